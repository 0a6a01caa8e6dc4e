//! The REST call itself: what goes on the wire, and Moodle's exceptions as errors.

use moodle_ws::functions::{site, user};
use moodle_ws::{Client, Error, ErrorKind};
use serde_json::json;

use crate::helpers::{capture, client, sim};

#[tokio::test]
async fn site_info_names_the_token_user_and_the_service_functions() {
    let sim = sim().await;
    let admin = client(&sim, "admin_bridge")
        .get_site_info()
        .await
        .expect("site info");
    assert_eq!((admin.username.as_str(), admin.userid), ("admin", 2));
    assert!(admin.has_function(site::GET_SITE_INFO));
    assert_eq!(admin.uploadfiles, Some(true));
    let student = client(&sim, "student1_bridge")
        .get_site_info()
        .await
        .expect("site info");
    assert_eq!((student.username.as_str(), student.userid), ("student1", 4));
    assert_eq!(sim.calls(site::GET_SITE_INFO.name()), 2);
}

#[tokio::test]
async fn requests_are_form_posts_with_the_token_only_in_the_body() {
    let body = r#"{"sitename":"S","username":"u","userid":7,"siteurl":"http://x","functions":[]}"#
        .to_owned();
    let server = capture("200 OK", "application/json", body, false).await;
    let moodle = Client::new(
        format!("{}/moodle", server.url),
        "0123456789abcdef0123456789abcdef",
    )
    .expect("client");
    let info = moodle.get_site_info().await.expect("site info");
    assert_eq!(info.userid, 7);
    #[derive(serde::Serialize)]
    struct P {
        values: Vec<&'static str>,
        flag: bool,
    }
    let _ = moodle
        .call_raw::<_, serde_json::Value>(
            user::GET_USERS_BY_FIELD,
            &P {
                values: vec!["a&b", "c"],
                flag: true,
            },
        )
        .await;
    let requests = server.requests();
    let first = &requests[0];
    let request_line = first.lines().next().expect("request line");
    assert_eq!(
        request_line,
        "POST /moodle/webservice/rest/server.php HTTP/1.1"
    );
    assert!(
        first
            .to_ascii_lowercase()
            .contains("content-type: application/x-www-form-urlencoded")
    );
    assert!(first.ends_with("wstoken=0123456789abcdef0123456789abcdef&wsfunction=core_webservice_get_site_info&moodlewsrestformat=json"));
    assert!(
        requests[1].ends_with("moodlewsrestformat=json&values%5B0%5D=a%26b&values%5B1%5D=c&flag=1"),
        "{}",
        requests[1]
    );
}

#[tokio::test]
async fn a_bad_token_is_an_invalidtoken_exception_with_401() {
    let sim = sim().await;
    let moodle = Client::new(sim.url(), "not0a0real0token0000000000000000").expect("client");
    let err = moodle.get_site_info().await.expect_err("refused");
    assert!(
        matches!(&err, Error::Exception { errorcode, .. } if errorcode == "invalidtoken"),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Auth);
    let no_token = Client::builder(sim.url()).build().expect("client");
    let err = no_token.get_site_info().await.expect_err("refused");
    assert_eq!(err.moodle_errorcode(), Some("invalidtoken"));
}

#[tokio::test]
async fn function_outside_the_service_is_403_and_unknown_function_is_400() {
    let sim = sim().await;
    let moodle = client(&sim, "admin_bridge");
    let err = moodle
        .call_raw::<_, serde_json::Value>(
            moodle_ws::Function::write("core_user_delete_users"),
            &json!({"userids": [9]}),
        )
        .await
        .expect_err("not in service");
    assert_eq!(
        (err.kind(), err.moodle_errorcode()),
        (ErrorKind::Permission, Some("accessexception"))
    );
    let err = moodle
        .call_raw::<_, serde_json::Value>(moodle_ws::Function::read("local_nothing_here"), &())
        .await
        .expect_err("unknown");
    assert!(
        matches!(&err, Error::Exception { exception, .. } if exception == "dml_missing_record_exception")
    );
    assert_eq!(err.code(), Some("invalidrecord"));
    assert_eq!(err.kind(), ErrorKind::MissingRecord);
}

#[tokio::test]
async fn invalid_parameters_are_400_and_debuginfo_stays_out_of_messages() {
    let sim = sim().await;
    let moodle = client(&sim, "admin_bridge");
    let err = moodle
        .call_raw::<_, serde_json::Value>(site::GET_SITE_INFO, &json!({"bogus": 1}))
        .await
        .expect_err("extra key");
    assert_eq!(
        (err.kind(), err.moodle_errorcode()),
        (ErrorKind::Invalid, Some("invalidparameter"))
    );
    assert!(err.debuginfo().is_none());
    sim.set_debug(true);
    let err = moodle
        .call_raw::<_, serde_json::Value>(site::GET_SITE_INFO, &json!({"bogus": 1}))
        .await
        .expect_err("extra key");
    let info = err.debuginfo().expect("debug site sends debuginfo");
    assert!(info.as_str().contains("bogus"), "{}", info.as_str());
    assert!(!err.to_string().contains("bogus"), "{err}");
    assert!(!format!("{err:?}").contains("bogus"), "{err:?}");
}

#[tokio::test]
async fn call_raw_returns_the_json_answer() {
    let sim = sim().await;
    let v = client(&sim, "teacher1_bridge")
        .call_raw::<_, serde_json::Value>(site::GET_SITE_INFO, &())
        .await
        .expect("json");
    assert_eq!(v["username"], "teacher1");
}

#[tokio::test]
async fn reserved_names_and_oversized_calls_are_refused_before_sending() {
    let sim = sim().await;
    let moodle = crate::helpers::builder(&sim, "admin_bridge")
        .max_input_vars(10)
        .build()
        .expect("client");
    let err = moodle
        .call_raw::<_, serde_json::Value>(
            site::GET_SITE_INFO,
            &json!({"wsfunction": "core_user_delete_users"}),
        )
        .await
        .expect_err("reserved");
    assert!(matches!(err, Error::InvalidRequest { .. }));
    let many: Vec<i64> = (0..20).collect();
    let err = moodle
        .call_raw::<_, serde_json::Value>(site::GET_SITE_INFO, &json!({"ids": many}))
        .await
        .expect_err("too many fields");
    assert!(matches!(err, Error::InvalidRequest { .. }));
    assert_eq!(sim.calls(site::GET_SITE_INFO.name()), 0);
}

#[test]
fn clients_and_their_futures_can_cross_threads() {
    fn send<T: Send>(_: &T) {}
    fn shared<T: Send + Sync + Clone + 'static>() {}
    shared::<Client>();
    let moodle = Client::new("http://127.0.0.1:1", "t").expect("client");
    send(&moodle.get_site_info());
    send(&moodle.get_courses(&[]));
    send(&moodle.call_raw::<_, serde_json::Value>(site::GET_SITE_INFO, &json!({})));
    send(&moodle.download("/1/user/private/a.txt"));
    send(&moodle.upload_to_draft(Vec::new(), moodle_ws::upload::UploadOptions::default()));
    send(&moodle.login("u", &moodle_ws::Secret::new("p"), "s"));
}
