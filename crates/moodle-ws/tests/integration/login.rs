//! `login/token.php`: tokens for credentials, and its error shape.

use moodle_sim::{Fault, FaultRule};
use moodle_ws::{Client, Endpoint, Error, ErrorKind, Secret};

use crate::helpers::{sim, token};

#[tokio::test]
async fn good_credentials_give_the_users_token_which_then_works() {
    let sim = sim().await;
    let anonymous = Client::builder(sim.url()).build().expect("client");
    let grant = anonymous
        .login("student1", &Secret::new("Student123!x"), "bridge")
        .await
        .expect("token");
    assert_eq!(
        grant.token.expose(),
        token(&sim, "student1_bridge"),
        "the newest valid token is reused"
    );
    assert!(grant.privatetoken.is_none(), "no private token over http");
    let me = anonymous
        .with_token(grant.token)
        .get_site_info()
        .await
        .expect("site info");
    assert_eq!(me.userid, 4);
}

#[tokio::test]
async fn bad_credentials_and_unknown_services_use_the_endpoint_error_shape() {
    let sim = sim().await;
    let anonymous = Client::builder(sim.url()).build().expect("client");
    let err = anonymous
        .login("student1", &Secret::new("wrong"), "bridge")
        .await
        .expect_err("refused");
    assert!(
        matches!(&err, Error::Endpoint { endpoint: Endpoint::Token, http_status: 200, errorcode, message, .. }
            if errorcode == "invalidlogin" && message == "Invalid login, please try again"),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(!err.to_string().contains("wrong"));
    let err = anonymous
        .login("student1", &Secret::new("Student123!x"), "no_such_service")
        .await
        .expect_err("refused");
    assert_eq!(err.moodle_errorcode(), Some("servicenotavailable"));
    sim.set_debug(true);
    let err = anonymous
        .login("nobody", &Secret::new("x"), "bridge")
        .await
        .expect_err("refused");
    assert!(err.debuginfo().is_some(), "a debug site sends debuginfo");
    assert!(!err.to_string().contains("line"), "{err}");
}

#[tokio::test]
async fn token_login_is_never_retried() {
    let sim = sim().await;
    sim.faults().inject(FaultRule::on_endpoint(
        "login/token.php",
        Fault::Status { status: 503 },
    ));
    let anonymous = Client::builder(sim.url()).build().expect("client");
    let err = anonymous
        .login("student1", &Secret::new("Student123!x"), "bridge")
        .await
        .expect_err("503");
    assert!(matches!(err, Error::Status { status: 503, .. }), "{err:?}");
    assert_eq!(sim.calls("login/token.php"), 1);
}
