//! Dynamic registration cannot create or take over a trusted platform (security review,
//! issue 11 §1): against a platform the test plays itself, whose OpenID configuration it
//! controls, the bridge refuses endpoints off the issuer's site or outside the allowed
//! prefix (before anything is sent to the platform), never replaces an existing registration
//! (409, the stored one unchanged), and keeps what it saves pending until approved.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::cli::run;
use crate::helpers::{Options, TestApp, spawn_app_with};

/// A platform the test controls: its configuration and the client id its registration
/// endpoint gives, and how often that endpoint was called.
#[derive(Clone, Default)]
struct FakePlatform {
    configuration: Arc<Mutex<Value>>,
    registrations: Arc<Mutex<u32>>,
}

async fn configuration(State(p): State<FakePlatform>) -> Json<Value> {
    Json(p.configuration.lock().expect("lock").clone())
}

async fn register(State(p): State<FakePlatform>) -> Json<Value> {
    *p.registrations.lock().expect("lock") += 1;
    Json(json!({
        "client_id": "attacker-client",
        "https://purl.imsglobal.org/spec/lti-tool-configuration": {"deployment_id": "1"},
        "scope": "",
    }))
}

/// Starts the platform; returns it and its root (`http://127.0.0.1:port`).
async fn start_platform() -> (FakePlatform, String) {
    let platform = FakePlatform::default();
    let router = Router::new()
        .route("/moodle/openid.json", get(configuration))
        .route("/moodle/register", post(register))
        .with_state(platform.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let root = format!(
        "http://127.0.0.1:{}",
        listener.local_addr().expect("addr").port()
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    (platform, root)
}

/// A configuration with Moodle's endpoints under `issuer`, `jwks_uri` as given.
fn moodle_like(issuer: &str, jwks_uri: &str) -> Value {
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/mod/lti/auth.php"),
        "token_endpoint": format!("{issuer}/mod/lti/token.php"),
        "jwks_uri": jwks_uri,
        "registration_endpoint": format!("{issuer}/register"),
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "scopes_supported": [],
        "https://purl.imsglobal.org/spec/lti-platform-configuration": {
            "product_family_code": "moodle",
            "messages_supported": [{"type": "LtiResourceLinkRequest"}],
        },
    })
}

fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(base).expect("url");
    url.query_pairs_mut().extend_pairs(pairs);
    url.into()
}

/// `GET /lti/register` for the platform's configuration: status and body.
async fn try_register(app: &TestApp, root: &str) -> (u16, String) {
    let config = format!("{root}/moodle/openid.json");
    let url = with_query(
        &format!("{}/lti/register", app.url),
        &[
            ("openid_configuration", config.as_str()),
            ("registration_token", "t"),
        ],
    );
    let response = app.http.get(url).send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// Every registration row, as `lti list --json` prints it.
async fn listed(app: &TestApp) -> Vec<Value> {
    let out = run(&app.database_url, &["lti", "list", "--json"], &[]).await;
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect()
}

/// The bridge's login step for the platform: status and body.
async fn login(app: &TestApp, issuer: &str, client_id: &str) -> (u16, String) {
    let url = with_query(
        &format!("{}/lti/login", app.url),
        &[
            ("iss", issuer),
            ("client_id", client_id),
            ("login_hint", "3"),
            ("target_link_uri", &format!("{}/lti/launch", app.url)),
        ],
    );
    let response = app.http.get(url).send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

async fn bridge_allowing(root: &str, extra: &[(&str, &str)]) -> TestApp {
    let mut options = Options::default().env(
        "LTI_DYNAMIC_REGISTRATION_ISSUERS",
        &format!("{root}/moodle"),
    );
    for (k, v) in extra {
        options = options.env(k, v);
    }
    spawn_app_with(options).await
}

#[tokio::test]
async fn an_endpoint_on_another_site_is_refused_naming_it_before_the_platform_is_called() {
    let (platform, root) = start_platform().await;
    let app = bridge_allowing(&root, &[]).await;
    let issuer = format!("{root}/moodle");
    *platform.configuration.lock().expect("lock") =
        moodle_like(&issuer, "http://localhost:9/attacker-keys.json");
    let (status, body) = try_register(&app, &root).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("jwks_uri"), "{body}");
    assert_eq!(*platform.registrations.lock().expect("lock"), 0);
    assert!(listed(&app).await.is_empty());
}

#[tokio::test]
async fn an_endpoint_outside_the_allowed_prefix_is_refused_naming_it() {
    let (platform, root) = start_platform().await;
    let app = bridge_allowing(&root, &[]).await;
    let issuer = format!("{root}/moodle");
    // Same origin as the issuer, but outside the allowed /moodle prefix.
    let mut config = moodle_like(&issuer, &format!("{issuer}/mod/lti/certs.php"));
    config["token_endpoint"] = json!(format!("{root}/elsewhere/token.php"));
    *platform.configuration.lock().expect("lock") = config;
    let (status, body) = try_register(&app, &root).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("token_endpoint"), "{body}");
    assert_eq!(*platform.registrations.lock().expect("lock"), 0);
    assert!(listed(&app).await.is_empty());
}

#[tokio::test]
async fn an_issuer_the_configuration_url_is_not_under_is_refused() {
    let (platform, root) = start_platform().await;
    let app = bridge_allowing(&root, &[]).await;
    // The configuration claims a deeper issuer than where it is served from.
    let issuer = format!("{root}/moodle/site");
    *platform.configuration.lock().expect("lock") =
        moodle_like(&issuer, &format!("{issuer}/mod/lti/certs.php"));
    let (status, body) = try_register(&app, &root).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(*platform.registrations.lock().expect("lock"), 0);
    assert!(listed(&app).await.is_empty());
}

#[tokio::test]
async fn a_registration_of_a_known_platform_is_409_and_changes_nothing() {
    let (platform, root) = start_platform().await;
    let issuer = format!("{root}/moodle");
    let app = bridge_allowing(
        &root,
        &[
            ("LTI_ISSUER", &issuer),
            ("LTI_CLIENT_ID", "attacker-client"),
            ("LTI_DEPLOYMENT_ID", "1"),
        ],
    )
    .await;
    let before = listed(&app).await;
    assert_eq!(before.len(), 1);
    assert_eq!(before[0]["moodle_token"], true);
    // The attacker's keys on the same site, under the allowed prefix.
    *platform.configuration.lock().expect("lock") =
        moodle_like(&issuer, &format!("{issuer}/private-files/keys.json"));
    let (status, body) = try_register(&app, &root).await;
    assert_eq!(status, 409, "{body}");
    let after = listed(&app).await;
    assert_eq!(after, before, "the stored registration is unchanged");
    assert_eq!(after[0]["jwks_url"], format!("{issuer}/mod/lti/certs.php"));
    assert_eq!(after[0]["status"], "active");
}

#[tokio::test]
async fn a_new_platform_is_pending_until_approved_and_gets_no_moodle_token() {
    let (platform, root) = start_platform().await;
    let app = bridge_allowing(&root, &[]).await;
    let issuer = format!("{root}/moodle");
    *platform.configuration.lock().expect("lock") =
        moodle_like(&issuer, &format!("{issuer}/mod/lti/certs.php"));
    let (status, body) = try_register(&app, &root).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("data-code=\"registered\""), "{body}");
    let rows = listed(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["status"], "pending");
    assert_eq!(
        rows[0]["moodle_token"], false,
        "never the bridge's own token"
    );
    let id = rows[0]["id"].as_str().expect("id").to_owned();

    let (status, body) = login(&app, &issuer, "attacker-client").await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("data-code=\"registrationpending\""), "{body}");

    // Approval needs an explicit choice of Moodle access.
    let refused = run(&app.database_url, &["lti", "approve", &id], &[]).await;
    assert_ne!(refused.status.code(), Some(0));
    assert_eq!(listed(&app).await[0]["status"], "pending");
    let missing = run(
        &app.database_url,
        &["lti", "approve", &id, "--moodle-token-from", "nothing"],
        &[],
    )
    .await;
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(listed(&app).await[0]["status"], "pending");
    let approved = run(
        &app.database_url,
        &["lti", "approve", &id, "--without-moodle"],
        &[],
    )
    .await;
    assert_eq!(
        approved.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&approved.stderr)
    );
    assert_eq!(listed(&app).await[0]["status"], "active");
    let (status, body) = login(&app, &issuer, "attacker-client").await;
    assert_eq!(status, 200, "{body}");
}
