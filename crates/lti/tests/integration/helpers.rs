//! Shared set-up: the test keys, an HTTP client, and [`Env`] — a stub platform, a manual
//! clock at the recording's time, the in-memory stores with Moodle's registration, the
//! platform key cache, `Login` and `LaunchValidator` — plus signing of hand-made tokens.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lti::{
    AuthRedirect, Clock, LaunchValidator, Login, LoginRequest, MemoryStore, PlatformKeys,
    Registration, Stores, Tool, ToolKey,
};
use serde_json::{Value, json};
use url::Url;

use crate::stub::Stub;

/// Moodle's issuer in the recording (`$CFG->wwwroot`).
pub const ISSUER: &str = "http://127.0.0.1:8081";
/// The client id Moodle gave the tool.
pub const CLIENT_ID: &str = "9jaP3Q6PNFuPzAg";
/// The platform key id from certs.php.
pub const PLATFORM_KID: &str = "16a44423db2ba42d6f2b";
/// The recording's `iat` of teacher1's launch.
pub const NOW: i64 = 1_795_305_885;

pub fn fixture_path(rest: &str) -> String {
    format!("{}/tests/fixtures/{rest}", env!("CARGO_MANIFEST_DIR"))
}

pub fn key(name: &str) -> ToolKey {
    ToolKey::from_pem(
        &std::fs::read_to_string(fixture_path(&format!("keys/{name}.pem"))).expect("test setup"),
    )
    .expect("test setup")
}

pub fn public_pem(name: &str) -> String {
    std::fs::read_to_string(fixture_path(&format!("keys/{name}.pub.pem"))).expect("test setup")
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(moodle_ws::tls::config(&[], false).expect("test setup"))
        .build()
        .expect("test setup")
}

/// A JWKS with the platform test key under Moodle's key id.
pub fn platform_jwks(kid: &str) -> Value {
    let mut jwk = serde_json::to_value(key("platform").public_jwk()).expect("test setup");
    jwk["kid"] = json!(kid);
    json!({ "keys": [jwk] })
}

/// How a hand-made token is signed.
pub enum Signer<'a> {
    Rs256(&'a ToolKey),
    Hs256(&'a [u8]),
    Unsigned,
}

/// `header.payload.signature` from raw parts.
pub fn compact(header: &Value, payload: &[u8], signer: Signer<'_>) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature = match signer {
        Signer::Rs256(key) => {
            URL_SAFE_NO_PAD.encode(key.sign_rs256(input.as_bytes()).expect("test setup"))
        }
        Signer::Hs256(secret) => jsonwebtoken::crypto::sign(
            input.as_bytes(),
            &jsonwebtoken::EncodingKey::from_secret(secret),
            jsonwebtoken::Algorithm::HS256,
        )
        .expect("test setup"),
        Signer::Unsigned => String::new(),
    };
    format!("{input}.{signature}")
}

/// One platform and one tool, wired like the bridge will.
pub struct Env {
    pub stub: Stub,
    pub clock: Clock,
    pub store: Arc<MemoryStore>,
    pub keys: Arc<PlatformKeys>,
    pub registration: Registration,
    pub login: Login,
    pub validator: LaunchValidator,
}

impl Env {
    pub async fn new() -> Env {
        let stub = Stub::start().await;
        stub.set_jwks(platform_jwks(PLATFORM_KID));
        let clock = Clock::manual(NOW);
        let store = Arc::new(MemoryStore::new(clock.clone()));
        let mut registration =
            Registration::moodle("moodle-1", &stub.base, CLIENT_ID, &["1"]).expect("test setup");
        registration.issuer = ISSUER.to_owned();
        store.add_registration(registration.clone());
        let stores = Stores::from_one(store.clone());
        let keys = Arc::new(PlatformKeys::new(http(), clock.clone()));
        let tool =
            Arc::new(Tool::new("Bridge LTI tool", "http://127.0.0.1:8090").expect("test setup"));
        let login = Login::new(tool, stores.clone(), clock.clone());
        let validator = LaunchValidator::new(stores, keys.clone(), clock.clone());
        Env {
            stub,
            clock,
            store,
            keys,
            registration,
            login,
            validator,
        }
    }

    /// The login initiation Moodle auto-posted (recording seq 3).
    pub fn moodle_login_request() -> LoginRequest {
        LoginRequest::from_form(
            b"iss=http%3A%2F%2F127.0.0.1%3A8081&target_link_uri=http%3A%2F%2F127.0.0.1%3A8090%2Flti%2Flaunch&login_hint=3&lti_message_hint=%7B%22cmid%22%3A8%2C%22launchid%22%3A%22ltilaunch1_663297880%22%7D&client_id=9jaP3Q6PNFuPzAg&lti_deployment_id=1",
        )
    }

    pub async fn login(&self) -> AuthRedirect {
        self.login
            .initiate(&Env::moodle_login_request())
            .await
            .expect("test setup")
    }

    /// Fetches the platform set once, as a running tool would have.
    pub async fn warm_keys(&self) {
        self.keys
            .key(&self.registration.jwks_url, PLATFORM_KID)
            .await
            .expect("test setup");
    }

    pub fn jwks_url(&self) -> &Url {
        &self.registration.jwks_url
    }
}
