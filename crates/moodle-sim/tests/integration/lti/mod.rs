//! The LTI 1.3 platform side of the stand-in, driven over HTTP as a browser and a tool drive
//! a real Moodle: a test tool (`tool.rs`: its key, key set and request log), a browser with
//! a session (`browser.rs`), and the flows — launch, the authentication endpoint's refusals,
//! the token endpoint, NRPS, AGS, deep linking, dynamic registration.

pub mod browser;
pub mod html;
pub mod tool;

mod auth;
mod deep_linking;
mod launch;
mod registration;
mod services;
mod token;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use moodle_sim::lti::{LtiConfig, RECORDED_CLIENT_ID};
use moodle_sim::{Sim, SimConfig};
use serde_json::Value;

use browser::{Browser, Page};
use tool::ToolServer;

/// `client_id` of the seeded tool type.
pub const CLIENT_ID: &str = RECORDED_CLIENT_ID;
/// Every service scope the seeded tool may have.
pub const ALL_SCOPES: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem https://purl.imsglobal.org/spec/lti-ags/scope/score https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";

/// A stand-in whose seeded tool type points at a running test tool.
pub async fn start_with(config: LtiConfig) -> (Sim, ToolServer) {
    let tool = ToolServer::start().await;
    let sim = Sim::start(SimConfig {
        lti: LtiConfig {
            tool_url: tool.url.clone(),
            ..config
        },
        ..SimConfig::default()
    })
    .await
    .expect("the stand-in starts");
    (sim, tool)
}

/// A stand-in with the default LTI set-up and a test tool.
pub async fn start() -> (Sim, ToolServer) {
    start_with(LtiConfig::default()).await
}

/// A plain HTTP client (reqwest needs a TLS provider installed even for plain http).
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The tool's authentication request for a login initiation, as a tool builds it.
pub fn auth_query(initiation: &Value, redirect_uri: &str, state: &str, nonce: &str) -> String {
    let f = &initiation["fields"];
    let s = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
    let pairs = [
        ("scope", "openid".to_owned()),
        ("response_type", "id_token".to_owned()),
        ("response_mode", "form_post".to_owned()),
        ("prompt", "none".to_owned()),
        ("client_id", s("client_id")),
        ("redirect_uri", redirect_uri.to_owned()),
        ("login_hint", s("login_hint")),
        ("lti_message_hint", s("lti_message_hint")),
        ("state", state.to_owned()),
        ("nonce", nonce.to_owned()),
    ];
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// Verifies an id_token with the key the site publishes in `certs.php` (issuer the site,
/// audience the client id) and returns its claims.
pub async fn verify_id_token(site: &str, jwt: &str) -> Value {
    let jwks: JwkSet = http()
        .get(format!("{site}/mod/lti/certs.php"))
        .send()
        .await
        .expect("certs.php")
        .json()
        .await
        .expect("a key set");
    let kid = jsonwebtoken::decode_header(jwt)
        .expect("header")
        .kid
        .expect("kid");
    let jwk = jwks.find(&kid).expect("the token's key is published");
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[CLIENT_ID]);
    v.set_issuer(&[site]);
    jsonwebtoken::decode::<Value>(jwt, &DecodingKey::from_jwk(jwk).expect("key"), &v)
        .expect("the id_token verifies")
        .claims
}

/// A launch as a browser and the tool make it: the initiation page (`launch.php` or
/// `contentitem.php`), the login post to the tool, the authentication request, the
/// id_token form. Returns the authentication answer.
pub async fn launch(b: &mut Browser, start: &str, redirect_uri: &str) -> (Page, Page) {
    let initiation = b.get(start).await;
    assert_eq!(initiation.status, 200, "{}", initiation.body);
    let form = initiation.form();
    b.submit(&initiation).await;
    let auth = b
        .get(&format!(
            "/mod/lti/auth.php?{}",
            auth_query(&form, redirect_uri, "state-1", "nonce-1")
        ))
        .await;
    (initiation, auth)
}

/// An access token for the seeded tool, from `token.php`.
pub async fn access_token(site: &str, scope: &str) -> String {
    let assertion = tool::client_assertion(CLIENT_ID, &format!("{site}/mod/lti/token.php"));
    let body: Value = http()
        .post(format!("{site}/mod/lti/token.php"))
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion.as_str()),
            ("scope", scope),
        ])
        .send()
        .await
        .expect("token.php")
        .json()
        .await
        .expect("a JSON body");
    body["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}
