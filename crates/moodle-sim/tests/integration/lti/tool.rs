//! A test LTI tool: a small HTTP server publishing the test tool key's JWKS
//! (`fixtures/tool-jwks.json`, kid `bridge-test-key-1` as in the recording) and recording
//! every request it receives (JWKS fetches by the stand-in, form posts a test forwards), plus
//! signing with the test tool key (`fixtures/tool-key.pem`, a throw-away key made for these
//! tests).

use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::IntoResponse;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

/// The tool key's id, as the recorded tool published it.
pub const TOOL_KID: &str = "bridge-test-key-1";
/// The key set the tool serves.
pub const TOOL_JWKS: &str = include_str!("fixtures/tool-jwks.json");
const TOOL_KEY: &str = include_str!("fixtures/tool-key.pem");
/// Where the tool serves its key set.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// A request the tool received.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Method.
    pub method: String,
    /// Path.
    pub path: String,
    /// `User-Agent`.
    pub user_agent: String,
    /// Form fields of a form post.
    pub form: Vec<(String, String)>,
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// The running test tool.
pub struct ToolServer {
    /// Its base URL, e.g. `http://127.0.0.1:41235`.
    pub url: String,
    log: Log,
    task: tokio::task::JoinHandle<()>,
}

async fn record(
    State(log): State<Log>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let form = form_urlencoded::parse(&body).into_owned().collect();
    log.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Seen {
            method: method.to_string(),
            path: uri.path().to_owned(),
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            form,
        });
    if uri.path() == JWKS_PATH {
        ([(header::CONTENT_TYPE, "application/json")], TOOL_JWKS).into_response()
    } else {
        "ok".into_response()
    }
}

impl ToolServer {
    /// Starts the tool on a free port.
    pub async fn start() -> ToolServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let log: Log = Arc::default();
        let app = Router::new().fallback(record).with_state(log.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        ToolServer { url, log, task }
    }

    /// Everything received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How often the key set was fetched, and with which user agents.
    pub fn jwks_fetches(&self) -> Vec<String> {
        self.seen()
            .into_iter()
            .filter(|s| s.path == JWKS_PATH)
            .map(|s| s.user_agent)
            .collect()
    }
}

impl Drop for ToolServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Signs claims with the tool key (RS256, `kid` as given).
pub fn sign(claims: &Value, kid: &str) -> String {
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some(kid.to_owned());
    let key = EncodingKey::from_rsa_pem(TOOL_KEY.as_bytes()).expect("tool key");
    jsonwebtoken::encode(&h, claims, &key).expect("signs")
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs(),
    )
    .expect("time")
}

/// A client assertion for `token.php`, as the recorded tool made them.
pub fn client_assertion(client_id: &str, aud: &str) -> String {
    let now = now();
    sign(
        &json!({"iss": client_id, "sub": client_id, "aud": aud, "iat": now, "exp": now + 300, "jti": format!("jti-{now}-{}", rand::random::<u32>())}),
        TOOL_KID,
    )
}
