//! `local_logintoken`: `auth/logintoken.php` and its two functions (the rules added for
//! security, POST only, no administrators, no silent switch, are in `logintoken_rules.rs`).

use reqwest::header::{LOCATION, RETRY_AFTER, SET_COOKIE};
use serde_json::{Value, json};

use super::{set_config, setup};
use crate::support::{Site, errorcode};

pub(super) const ENTRY: &str = "/local/logintoken/auth/logintoken.php";

/// A POST to the entry script (the token in the body): status, `Set-Cookie` session id and
/// body.
pub(super) async fn entry(site: &Site, form: &[(&str, &str)]) -> (u16, Option<String>, Value) {
    send(
        site,
        site.http
            .post(format!("{}{ENTRY}", site.sim.url()))
            .form(form),
    )
    .await
}

pub(super) async fn send(
    site: &Site,
    request: reqwest::RequestBuilder,
) -> (u16, Option<String>, Value) {
    let _ = site;
    let resp = request.send().await.expect("request");
    let status = resp.status().as_u16();
    let cookie = session_cookie(&resp);
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, cookie, body)
}

pub(super) fn session_cookie(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("MoodleSession="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// A client that does not follow redirects.
pub(super) fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn error(reason: &str, title: &str, message: &str) -> Value {
    json!({"success": false, "error": title, "message": message, "errorcode": reason})
}

#[tokio::test]
async fn token_login_opens_a_session_and_answers_the_seed_json() {
    let site = Site::start().await;
    let fx = setup(&site).await;
    let (status, cookie, body) =
        entry(&site, &[("wstoken", fx.token("student1_logintoken"))]).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({
            "success": true,
            "message": "Login successful",
            "user": {"id": 4, "username": "student1", "firstname": "Alice", "lastname": "Anderson",
                     "email": "student1@example.com", "fullname": "Alice Anderson"},
            "redirect_url": format!("{}/", site.sim.url()),
            "session_id": cookie.clone().expect("session cookie"),
        })
    );
    let sid = cookie.expect("session cookie");
    assert_eq!(sid.len(), 26);
    let session_user = site
        .sim
        .with_state(|s| s.plugins.sessions.get(&sid).map(|x| x.userid));
    assert_eq!(session_user, Some(4), "a real session of the token's user");
}

#[tokio::test]
async fn a_mobile_app_token_logs_in_by_post_and_redirects_when_asked() {
    let site = Site::start().await;
    setup(&site).await;
    let http = no_redirects();
    let resp = http
        .post(format!("{}{ENTRY}", site.sim.url()))
        .form(&[
            ("wstoken", site.token("teacher1_mobile").as_str()),
            ("redirect", "1"),
            ("wantsurl", "/course/view.php?id=2"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.headers()[LOCATION],
        format!("{}/course/view.php?id=2", site.sim.url()).as_str()
    );
    assert!(session_cookie(&resp).is_some());
}

#[tokio::test]
async fn validation_describes_the_token_without_a_session() {
    let site = Site::start().await;
    let fx = setup(&site).await;
    let (status, cookie, body) = entry(
        &site,
        &[
            ("wstoken", fx.token("student1_logintoken")),
            ("wsfunction", "local_logintoken_validate_token"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["valid"], true);
    assert_eq!(body["message"], "Token is valid");
    assert_eq!(body["user"]["username"], "student1");
    assert_eq!(body["token_info"]["valid_until"], 0);
    assert!(
        body["token_info"]["created"]
            .as_i64()
            .is_some_and(|t| t > 0)
    );
    assert_eq!(cookie, None);
    assert!(site.sim.with_state(|s| s.plugins.sessions.is_empty()));
}

#[tokio::test]
async fn each_refused_token_gets_its_status_and_the_seed_error_shape() {
    let site = Site::start().await;
    let fx = setup(&site).await;
    let invalid = error(
        "invalidtoken",
        "Invalid token",
        "The provided wstoken is invalid or expired",
    );
    let cases = [
        (
            "",
            400,
            error(
                "missingtoken",
                "Missing token",
                "The wstoken parameter is required",
            ),
        ),
        ("0123456789abcdef0123456789abcdef", 401, invalid),
        (
            fx.token("student2_expired"),
            401,
            error(
                "tokenexpired",
                "Invalid token",
                "The provided wstoken is invalid or expired",
            ),
        ),
        (
            fx.token("student3_iprestricted"),
            403,
            error(
                "iprestricted",
                "Address not allowed",
                "This token cannot be used from your IP address",
            ),
        ),
        (
            fx.token("suspended_logintoken"),
            403,
            error(
                "usersuspended",
                "User suspended",
                "The account of this token's user is suspended",
            ),
        ),
        (
            fx.token("student2_bridge"),
            403,
            error(
                "servicenotallowed",
                "Service not allowed",
                "Tokens of this web service cannot be used to log in",
            ),
        ),
    ];
    for (token, status, expected) in cases {
        let (got, cookie, body) = entry(&site, &[("wstoken", token)]).await;
        assert_eq!((got, &body), (status, &expected), "token {token:?}");
        assert_eq!(cookie, None);
    }
    let (status, _, body) = entry(
        &site,
        &[
            ("wstoken", fx.token("student2_expired")),
            ("wsfunction", "local_logintoken_validate_token"),
        ],
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["valid"], false);
    assert_eq!(body["errorcode"], "tokenexpired");
    // Five refusals could be guesses; the missing token could not.
    let logged = site.sim.with_state(|s| {
        s.plugins
            .events
            .iter()
            .map(|e| e.reason.clone())
            .collect::<Vec<_>>()
    });
    assert_eq!(
        logged,
        [
            "invalidtoken",
            "tokenexpired",
            "iprestricted",
            "usersuspended",
            "servicenotallowed",
            "tokenexpired"
        ]
    );
    assert!(site.sim.with_state(|s| s.plugins.sessions.is_empty()));
}

#[tokio::test]
async fn https_required_refuses_plain_http_and_accepts_https() {
    let site = Site::start().await;
    let fx = setup(&site).await;
    set_config(&site, "requirehttps", "1").await;
    let (status, _, body) = entry(&site, &[("wstoken", fx.token("student1_logintoken"))]).await;
    assert_eq!(status, 403);
    assert_eq!(body["errorcode"], "httpsrequired");
    assert_eq!(body["error"], "HTTPS required");
    let (status, cookie, _) = send(
        &site,
        site.http
            .post(format!("{}{ENTRY}", site.sim.url()))
            .header("x-forwarded-proto", "https")
            .form(&[("wstoken", fx.token("student1_logintoken"))]),
    )
    .await;
    assert_eq!(status, 200);
    assert!(cookie.is_some());
    let key = site
        .call(
            fx.token("student1_logintoken"),
            "local_logintoken_login_with_token",
            &[],
        )
        .await;
    assert_eq!(errorcode(&key), Some("httpsrequired"));
    assert_eq!(
        key["message"],
        "Token login is only accepted over HTTPS on this site."
    );
}

#[tokio::test]
async fn repeated_failures_from_one_address_are_rate_limited() {
    let site = Site::start().await;
    let fx = setup(&site).await;
    set_config(&site, "maxfailedattempts", "3").await;
    for _ in 0..3 {
        let (status, _, _) = entry(&site, &[("wstoken", "ffffffffffffffffffffffffffffffff")]).await;
        assert_eq!(status, 401);
    }
    let resp = site
        .http
        .post(format!("{}{ENTRY}", site.sim.url()))
        .form(&[("wstoken", fx.token("student1_logintoken"))])
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 429);
    let retry: i64 = resp.headers()[RETRY_AFTER]
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=900).contains(&retry), "{retry}");
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(body["errorcode"], "ratelimited");
    set_config(&site, "maxfailedattempts", "0").await;
    let (status, _, _) = entry(&site, &[("wstoken", fx.token("student1_logintoken"))]).await;
    assert_eq!(status, 200, "0 turns the limit off");
}

#[tokio::test]
async fn switched_off_token_login_refuses_everything() {
    let site = Site::start().await;
    let fx = setup(&site).await;
    set_config(&site, "enabled", "0").await;
    let (status, _, body) = entry(&site, &[("wstoken", fx.token("student1_logintoken"))]).await;
    assert_eq!(
        (status, body["errorcode"].as_str()),
        (403, Some("logindisabled"))
    );
    let validated = site
        .call(
            fx.token("student1_logintoken"),
            "local_logintoken_validate_token",
            &[],
        )
        .await;
    assert_eq!(errorcode(&validated), Some("logindisabled"));
}

#[tokio::test]
async fn a_login_key_from_the_web_service_logs_the_browser_in_once() {
    let site = Site::start().await;
    let fx = setup(&site).await;
    let key = site
        .call(
            fx.token("student1_logintoken"),
            "local_logintoken_login_with_token",
            &[("wantsurl", "/course/view.php?id=2")],
        )
        .await;
    let url = key["loginurl"].as_str().expect("loginurl").to_owned();
    assert_eq!(
        url,
        format!(
            "{}{ENTRY}?userid=4&key={}&wantsurl=%2Fcourse%2Fview.php%3Fid%3D2",
            site.sim.url(),
            key["key"].as_str().expect("key")
        )
    );
    assert_eq!(key["user"]["id"], 4);
    let http = no_redirects();
    let first = http.get(&url).send().await.expect("redeem");
    assert_eq!(first.status(), 303);
    assert_eq!(
        first.headers()[LOCATION],
        format!("{}/course/view.php?id=2", site.sim.url()).as_str()
    );
    let sid = session_cookie(&first).expect("session");
    assert_eq!(
        site.sim
            .with_state(|s| s.plugins.sessions.get(&sid).map(|x| x.userid)),
        Some(4)
    );
    let again = http.get(&url).send().await.expect("redeem again");
    assert_eq!(again.status(), 401);
    let body: Value = again.json().await.expect("JSON");
    assert_eq!(body["errorcode"], "invalidkey");
}

#[tokio::test]
async fn a_login_key_bound_to_another_address_or_a_bad_address_is_refused() {
    let site = Site::start().await;
    let fx = setup(&site).await;
    let token = fx.token("teacher1_logintoken");
    let key = site
        .call(
            token,
            "local_logintoken_login_with_token",
            &[("ipaddress", "10.1.2.3")],
        )
        .await;
    let resp = no_redirects()
        .get(key["loginurl"].as_str().expect("loginurl"))
        .send()
        .await
        .expect("redeem");
    assert_eq!(resp.status(), 401);
    let bad = site
        .call(
            token,
            "local_logintoken_login_with_token",
            &[("ipaddress", "not-an-ip")],
        )
        .await;
    assert_eq!(errorcode(&bad), Some("invalidparameter"));
}

#[tokio::test]
async fn validate_token_describes_the_calling_token() {
    let site = Site::start().await;
    let admin = site.token("admin_bridge");
    let body = site
        .call(&admin, "local_logintoken_validate_token", &[])
        .await;
    assert_eq!(body["valid"], true);
    assert_eq!(body["user"]["fullname"], "Admin User");
    assert_eq!(body["token_info"]["valid_until"], 0);
    assert!(
        body["token_info"]["last_access"]
            .as_i64()
            .is_some_and(|t| t > 0)
    );
}
