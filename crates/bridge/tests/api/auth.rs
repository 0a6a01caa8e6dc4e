//! Who may call: no token, a malformed, forged or expired one is 401; a token without the
//! scope the method needs is 403; the seeds' token shape works; an identity provider's
//! tokens are checked against its JWKS; the rate limit answers 429 with `Retry-After`.

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    Options, expect_error, expect_ok, read_only_token, shared_token, spawn_app, spawn_app_with,
};

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

async fn get_with(app: &crate::helpers::TestApp, auth: Option<&str>) -> reqwest::Response {
    let mut request = app.http.get(format!("{}/api/moodle/siteinfo", app.url));
    if let Some(value) = auth {
        request = request.header("authorization", value);
    }
    request.send().await.expect("request")
}

#[tokio::test]
async fn requests_without_a_valid_token_are_401_in_the_envelope() {
    let app = spawn_app().await;
    let cases: [(Option<String>, &str); 6] = [
        (None, "missing_token"),
        (Some("Basic dXNlcjpwYXNz".to_owned()), "malformed"),
        (Some("Bearer not.a.jwt".to_owned()), "malformed"),
        (
            Some(format!(
                "Bearer {}",
                shared_token(json!({"sub": "u", "exp": now() - 600}))
            )),
            "expired",
        ),
        (
            Some(format!(
                "Bearer {}",
                jsonwebtoken::encode(
                    &Header::new(Algorithm::HS256),
                    &json!({"sub": "u"}),
                    &EncodingKey::from_secret(b"not-the-shared-secret-at-all"),
                )
                .expect("sign")
            )),
            "bad_signature",
        ),
        (
            Some(format!(
                "Bearer {}",
                shared_token(json!({"name": "no subject"}))
            )),
            "missing_claim",
        ),
    ];
    for (auth, reason) in cases {
        let response = get_with(&app, auth.as_deref()).await;
        assert!(response.headers().contains_key("www-authenticate"));
        let body = expect_error(response, 401, "unauthorized").await;
        assert_eq!(body["error"]["details"]["reason"], reason, "{auth:?}");
    }
    assert_eq!(
        app.sim.calls("core_webservice_get_site_info"),
        0,
        "Moodle is not called for refused requests"
    );
}

#[tokio::test]
async fn a_seed_shaped_token_gets_the_default_scopes() {
    let app = spawn_app_with(Options::default().env("AUTH_DEFAULT_SCOPES", "moodle:read")).await;
    let seed_token = shared_token(json!({"sub": "user-42"}));
    let auth = format!("Bearer {seed_token}");
    expect_ok(get_with(&app, Some(&auth)).await).await;
    let write = app
        .http
        .post(format!("{}/api/moodle/courses", app.url))
        .header("authorization", &auth)
        .header("content-type", "application/json")
        .body(r#"{"fullname":"A","shortname":"A1","categoryid":1}"#)
        .send()
        .await
        .expect("request");
    let body = expect_error(write, 403, "insufficientscope").await;
    assert_eq!(body["error"]["details"]["required_scope"], "moodle:write");
    assert_eq!(app.sim.calls("core_course_create_courses"), 0);
}

#[tokio::test]
async fn with_default_settings_a_token_naming_no_scope_may_read_but_not_write() {
    let app = spawn_app().await;
    let auth = format!("Bearer {}", shared_token(json!({"sub": "user-42"})));
    expect_ok(get_with(&app, Some(&auth)).await).await;
    let refused = app
        .http
        .post(format!("{}/api/moodle/courses", app.url))
        .header("authorization", &auth)
        .header("content-type", "application/json")
        .body(r#"{"fullname":"Seed client","shortname":"SEED1","categoryid":1}"#)
        .send()
        .await
        .expect("request");
    expect_error(refused, 403, "insufficientscope").await;
    assert_eq!(app.sim.calls("core_course_create_courses"), 0);
    // Writes are granted by the token's scope claim (or AUTH_DEFAULT_SCOPES).
    let writer = format!(
        "Bearer {}",
        shared_token(json!({"sub": "user-42", "scope": "moodle:read moodle:write"}))
    );
    let created = app
        .http
        .post(format!("{}/api/moodle/courses", app.url))
        .header("authorization", &writer)
        .header("content-type", "application/json")
        .body(r#"{"fullname":"Seed client","shortname":"SEED1","categoryid":1}"#)
        .send()
        .await
        .expect("request");
    expect_ok(created).await;
}

#[tokio::test]
async fn a_read_only_token_cannot_write() {
    let app = spawn_app().await;
    let token = read_only_token();
    let response = app
        .http
        .request(Method::PATCH, format!("{}/api/moodle/courses/2", app.url))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(r#"{"fullname":"X"}"#)
        .send()
        .await
        .expect("request");
    let www = response.headers().get("www-authenticate").cloned();
    expect_error(response, 403, "insufficientscope").await;
    assert!(www.is_some_and(|v| v.to_str().is_ok_and(|s| s.contains("insufficient_scope"))));
    let read = app
        .http
        .get(format!("{}/api/moodle/courses", app.url))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    expect_ok(read).await;
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after() {
    let app = spawn_app_with(
        Options::default()
            .env("RATE_LIMIT_PER_MINUTE", "60")
            .env("RATE_LIMIT_BURST", "2"),
    )
    .await;
    expect_ok(app.site_info().await).await;
    expect_ok(app.site_info().await).await;
    let limited = app.site_info().await;
    let retry_after = limited
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = expect_error(limited, 429, "ratelimited").await;
    assert_eq!(retry_after.as_deref(), Some("1"), "{body}");
    let other = shared_token(json!({"sub": "someone-else"}));
    let response = app
        .http
        .get(format!("{}/api/moodle/siteinfo", app.url))
        .bearer_auth(other)
        .send()
        .await
        .expect("request");
    expect_ok(response).await;
}

/// A stand-in identity provider: serves a JWKS with the test Ed25519 key.
async fn identity_provider() -> String {
    let x = include_str!("../fixtures/idp-test-ed25519.x")
        .trim()
        .to_owned();
    let jwks = json!({"keys": [
        {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "idp-key-1", "use": "sig", "alg": "EdDSA"}
    ]});
    let router = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || {
            let jwks = jwks.clone();
            async move { axum::Json(jwks) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/jwks.json", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

fn idp_token(claims: &Value, kid: &str) -> String {
    let key = EncodingKey::from_ed_pem(include_bytes!("../fixtures/idp-test-ed25519.pem"))
        .expect("test key");
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &key).expect("sign")
}

#[tokio::test]
async fn identity_provider_tokens_are_checked_against_its_keys_issuer_and_audience() {
    let jwks_url = identity_provider().await;
    let app = spawn_app_with(
        Options::default()
            .env("AUTH_JWKS_URL", &jwks_url)
            .env("AUTH_ISSUER", "https://idp.example.org")
            .env("AUTH_AUDIENCE", "moodle-bridge"),
    )
    .await;
    let good = json!({"sub": "alice", "iss": "https://idp.example.org", "aud": "moodle-bridge",
        "exp": now() + 300, "scope": "openid moodle:read"});
    expect_ok(
        get_with(
            &app,
            Some(&format!("Bearer {}", idp_token(&good, "idp-key-1"))),
        )
        .await,
    )
    .await;
    let cases = [
        (
            json!({"aud": "someone-else"}),
            "idp-key-1",
            "wrong_issuer_or_audience",
        ),
        (
            json!({"iss": "https://evil.example.org"}),
            "idp-key-1",
            "wrong_issuer_or_audience",
        ),
        (json!({"exp": now() - 600}), "idp-key-1", "expired"),
        (json!({}), "unknown-key", "unknown_key"),
    ];
    for (change, kid, reason) in cases {
        let mut claims = good.clone();
        for (k, v) in change.as_object().expect("object") {
            claims[k] = v.clone();
        }
        let response = get_with(&app, Some(&format!("Bearer {}", idp_token(&claims, kid)))).await;
        let body = expect_error(response, 401, "unauthorized").await;
        assert_eq!(body["error"]["details"]["reason"], reason, "{change}");
    }
    // Its token without moodle:write cannot write.
    let write = app
        .http
        .post(format!("{}/api/moodle/enrol", app.url))
        .bearer_auth(idp_token(&good, "idp-key-1"))
        .header("content-type", "application/json")
        .body(r#"{"enrolments":[{"roleid":5,"userid":8,"courseid":2}]}"#)
        .send()
        .await
        .expect("request");
    expect_error(write, 403, "insufficientscope").await;
}

#[tokio::test]
async fn without_an_identity_provider_its_tokens_are_refused() {
    let app = spawn_app().await;
    let claims = json!({"sub": "alice", "exp": now() + 300});
    let body = expect_error(
        get_with(
            &app,
            Some(&format!("Bearer {}", idp_token(&claims, "idp-key-1"))),
        )
        .await,
        401,
        "unauthorized",
    )
    .await;
    assert_eq!(body["error"]["details"]["reason"], "unsupported_algorithm");
    tokio::time::sleep(Duration::from_millis(1)).await;
}
