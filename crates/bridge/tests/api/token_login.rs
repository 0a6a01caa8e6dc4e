//! Token login, the bridge's side (`docs/contracts/token-login.md`): a Moodle token is checked
//! by the companion plugin or, without it, by site info; a login returns the user and a bridge
//! API token; refusals keep the contract's error shape; attempts are rate-limited per address.

use moodle_sim::Plugins;
use serde_json::{Value, json};

use crate::helpers::{Options, TestApp, body_json, spawn_app, spawn_app_with};

async fn login(app: &TestApp, wstoken: &str) -> (u16, Value) {
    let response = app
        .http
        .post(format!("{}/api/auth/token-login", app.url))
        .header("content-type", "application/json")
        .body(json!({ "wstoken": wstoken }).to_string())
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, body_json(response).await)
}

async fn validate(app: &TestApp, header: Option<&str>, query: &str) -> (u16, Value) {
    let mut request = app
        .http
        .get(format!("{}/api/auth/token-validate{query}", app.url));
    if let Some(token) = header {
        request = request.header("x-lms-token", token);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, body_json(response).await)
}

#[tokio::test]
async fn a_login_returns_the_moodle_user_and_a_bridge_token_for_them() {
    let app = spawn_app().await;
    let student = app.sim.token("student1_bridge").expect("token");
    let (status, body) = login(&app, &student).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], json!(true));
    assert_eq!(body["message"], "Login successful");
    assert_eq!(body["user"]["username"], "student1");
    assert_eq!(body["user"]["email"], "student1@example.com");
    assert_eq!(body["validated_by"], "local_logintoken_validate_token");
    assert_eq!(body["scope"], "", "no gateway rights by default");
    let api_token = body["token"].as_str().expect("token");
    let gateway = app
        .http
        .get(format!("{}/api/moodle/siteinfo", app.url))
        .bearer_auth(api_token)
        .send()
        .await
        .expect("request");
    assert_eq!(
        gateway.status(),
        403,
        "the token is valid but carries no gateway scope"
    );
    assert!(
        !body.to_string().contains(&student),
        "the Moodle token is not echoed"
    );
}

#[tokio::test]
async fn configured_scopes_are_granted_to_logged_in_users() {
    let app =
        spawn_app_with(Options::default().env("AUTH_TOKEN_LOGIN_SCOPES", "moodle:read")).await;
    let (_, body) = login(&app, &app.sim.token("teacher1_bridge").expect("token")).await;
    let api_token = body["token"].as_str().expect("token");
    let gateway = app
        .http
        .get(format!("{}/api/moodle/siteinfo", app.url))
        .bearer_auth(api_token)
        .send()
        .await
        .expect("request");
    assert_eq!(gateway.status(), 200);
}

#[tokio::test]
async fn without_the_plugin_site_info_vouches_for_the_token() {
    let app = spawn_app_with(Options {
        plugins: Plugins::none(),
        ..Options::default()
    })
    .await;
    let token = app.sim.token("student2_mobile").expect("token");
    let (status, body) = login(&app, &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["user"]["username"].as_str(),
            body["validated_by"].as_str()
        ),
        (Some("student2"), Some("core_webservice_get_site_info"))
    );
    let (status, body) = validate(&app, Some(&token), "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["valid"], json!(true));
    assert_eq!(body["token_info"], Value::Null);
}

#[tokio::test]
async fn validation_answers_the_seeds_shape_from_header_or_query() {
    let app = spawn_app().await;
    let token = app.sim.token("teacher1_bridge").expect("token");
    let (status, body) = validate(&app, Some(&token), "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["valid"].as_bool(), body["message"].as_str()),
        (Some(true), Some("Token is valid"))
    );
    assert!(
        body["token_info"]["created"]
            .as_i64()
            .is_some_and(|t| t > 0),
        "{body}"
    );
    assert_eq!(body["user"]["username"], "teacher1");
    let (status, _) = validate(&app, None, &format!("?wstoken={token}")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn refusals_keep_the_seeds_error_shape() {
    let app = spawn_app().await;
    let (status, body) = login(&app, "0123456789abcdef0123456789abcdef").await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        body,
        json!({"success": false, "error": "Invalid token", "message": "The provided wstoken is invalid or expired", "errorcode": "invalidtoken"})
    );
    let (status, body) = login(&app, "not a token; drop table").await;
    assert_eq!(
        (status, body["errorcode"].as_str()),
        (401, Some("invalidtoken"))
    );
    let (status, body) = validate(&app, None, "").await;
    assert_eq!(
        (status, body["errorcode"].as_str()),
        (400, Some("missingtoken")),
        "{body}"
    );
    let calls = app.sim.calls("local_logintoken_validate_token");
    assert_eq!(calls, 1, "malformed and missing tokens never reach Moodle");
}

#[tokio::test]
async fn a_suspended_users_token_is_refused() {
    let app = spawn_app().await;
    let token = app.sim.token("student2_bridge").expect("token");
    app.sim.with_state(|s| {
        if let Some(u) = s.users.values_mut().find(|u| u.username == "student2") {
            u.suspended = true;
        }
    });
    let (status, body) = login(&app, &token).await;
    assert_eq!(
        (status, body["errorcode"].as_str()),
        (403, Some("wsaccessusersuspended")),
        "{body}"
    );
    assert_eq!(body["success"], json!(false));
    assert!(body["token"].is_null());
}

#[tokio::test]
async fn attempts_are_rate_limited_per_address() {
    let app = spawn_app_with(Options::default().env("AUTH_TOKEN_LOGIN_PER_MINUTE", "2")).await;
    for _ in 0..2 {
        let (status, _) = login(&app, "0123456789abcdef0123456789abcdef").await;
        assert_eq!(status, 401);
    }
    let response = app
        .http
        .post(format!("{}/api/auth/token-login", app.url))
        .header("content-type", "application/json")
        .body(json!({"wstoken": app.sim.token("student1_bridge").expect("token")}).to_string())
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(body_json(response).await["errorcode"], "ratelimited");
}
