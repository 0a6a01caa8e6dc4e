//! Token login on the real site: `local_logintoken`'s `auth/logintoken.php` makes a real
//! Moodle session (a page that needs a login then opens), and the bridge's
//! `/api/auth/token-login` and `/api/auth/token-validate` check tokens through the plugin.

use reqwest::Method;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

use super::{Bridge, form_body, site, with_query};
use crate::helpers::status_json;

/// `MoodleSession`'s last value in a response's cookies.
fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.strip_prefix("MoodleSession="))
        .next_back()
        .map(str::to_owned)
}

#[tokio::test]
async fn logintoken_php_gives_a_real_moodle_session() {
    let Some(site) = site() else { return };
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(moodle_ws::tls::config(&[], false).expect("tls"))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let entry = format!("{}/local/logintoken/auth/logintoken.php", site.url);

    // Before: the profile page sends a visitor to the login page.
    let anonymous = http
        .get(format!("{}/user/profile.php", site.url))
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status(), 303);
    assert!(
        anonymous.headers()[LOCATION]
            .to_str()
            .is_ok_and(|l| l.contains("/login/index.php"))
    );

    let response = http
        .post(&entry)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&[("wstoken", site.token("student1_mobile"))]))
        .send()
        .await
        .expect("request");
    let session = session_cookie(&response).expect("a MoodleSession cookie");
    let (status, body) = status_json(response).await;
    assert_eq!(
        (status, &body["success"], &body["user"]["username"]),
        (200, &json!(true), &json!("student1")),
        "{body}"
    );
    assert_eq!(body["session_id"], json!(session));
    for page in ["/user/profile.php", "/my/"] {
        let response = http
            .get(format!("{}{page}", site.url))
            .header(COOKIE, format!("MoodleSession={session}"))
            .send()
            .await
            .expect("request");
        assert_eq!(
            response.status(),
            200,
            "{page} opens without a redirect to login"
        );
        let text = response.text().await.expect("body");
        assert!(text.contains("Alice Anderson"), "{page} is Alice's");
    }

    let (status, body) = status_json(
        http.post(&entry)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&[("wstoken", "0".repeat(32))]))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(
        (status, body["errorcode"].as_str()),
        (401, Some("invalidtoken")),
        "{body}"
    );

    // A token in a URL is refused: the plugin takes it by POST only (405 and a page saying why).
    let by_get = http
        .get(with_query(
            &entry,
            &[("wstoken", &site.token("student1_mobile"))],
        ))
        .send()
        .await
        .expect("request");
    assert_eq!(by_get.status(), 405);
    assert_eq!(
        by_get.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("POST")
    );
}

#[tokio::test]
async fn the_bridge_logs_in_and_validates_moodle_tokens_through_the_plugin() {
    let Some(site) = site() else { return };
    let bridge = Bridge::start(&site, &[]).await;
    let student = site.token("student1_bridge");
    let (status, body) = bridge
        .send(
            Method::POST,
            "/api/auth/token-login",
            &[],
            &json!({"wstoken": student}),
        )
        .await;
    assert_eq!(
        (status, &body["user"]["username"], &body["user"]["id"]),
        (200, &json!("student1"), &json!(4)),
        "{body}"
    );
    assert_eq!(body["validated_by"], "local_logintoken_validate_token");
    assert!(body["token"].is_string());
    assert!(
        !body.to_string().contains(&student),
        "the Moodle token is not echoed"
    );

    let validate = |token: String| {
        let request = bridge
            .http
            .get(format!("{}/api/auth/token-validate", bridge.url))
            .header("x-lms-token", token);
        async move { status_json(request.send().await.expect("request")).await }
    };
    let (status, body): (u16, Value) = validate(site.token("teacher1_bridge")).await;
    assert_eq!(
        (status, &body["valid"], &body["user"]["username"]),
        (200, &json!(true), &json!("teacher1")),
        "{body}"
    );
    assert_eq!(body["token_info"]["valid_until"], 0, "{body}");
    let (status, body) = validate("0".repeat(32)).await;
    assert_eq!(
        (status, body["errorcode"].as_str()),
        (401, Some("invalidtoken")),
        "{body}"
    );
    let (status, body) = bridge
        .send(
            Method::POST,
            "/api/auth/token-login",
            &[],
            &json!({"wstoken": "0123456789abcdef0123456789abcdef"}),
        )
        .await;
    assert_eq!(
        (status, body["errorcode"].as_str()),
        (401, Some("invalidtoken")),
        "{body}"
    );
    bridge.stop().await;
}
