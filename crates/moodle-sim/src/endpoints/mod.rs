//! The stand-in's HTTP surface: Moodle's endpoints, the fault layer in front of them, and
//! the control endpoint for black-box tests.

pub(crate) mod ajax;
mod pluginfile;
mod server;
mod token;
mod upload;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::response::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use futures_util::{StreamExt as _, stream};
use http_body_util::BodyExt as _;

use crate::control;
use crate::faults::{Fault, Faults};
use crate::functions::FunctionCatalog;
use crate::php::{self, PhpArray, PhpKey, PhpValue};
use crate::state::State as Db;
use crate::ws::{FunctionDef, RequestInfo};

/// Largest request body the stand-in reads into memory (PHP's `post_max_size` on the
/// recorded site).
pub const MAX_BODY: usize = 64 * 1024 * 1024;

/// What every request handler shares.
pub struct Shared {
    /// The database.
    pub state: Mutex<Db>,
    /// Functions that exist on the site.
    pub catalog: FunctionCatalog,
    /// Functions the stand-in implements.
    pub registry: HashMap<&'static str, FunctionDef>,
    /// Fault rules and call counts.
    pub faults: Faults,
    /// The project's Moodle plugins the site has installed.
    pub plugins: crate::plugins::Plugins,
}

impl Shared {
    /// Locks the database for one request.
    pub fn db(&self) -> MutexGuard<'_, Db> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The router of a stand-in.
pub fn router(shared: Arc<Shared>) -> Router {
    let moodle = Router::new()
        .route("/webservice/rest/server.php", any(server::handle))
        .route("/login/token.php", any(token::handle))
        .route("/webservice/upload.php", any(upload::handle))
        .route("/webservice/pluginfile.php", any(pluginfile::handle))
        .route(
            "/webservice/pluginfile.php/{*path}",
            any(pluginfile::handle),
        )
        .merge(crate::plugins::routes(shared.plugins))
        .merge(crate::lti::routes())
        .layer(middleware::from_fn_with_state(shared.clone(), apply_faults));
    moodle
        .merge(control::router())
        .merge(crate::plugins::control_routes())
        .with_state(shared)
}

/// The endpoint a path belongs to, as fault targets and call counts name it.
fn endpoint_name(path: &str) -> &str {
    let path = path.trim_start_matches('/');
    if path.starts_with("webservice/pluginfile.php") {
        "webservice/pluginfile.php"
    } else if path.starts_with("mod/lti/services.php") {
        "mod/lti/services.php"
    } else {
        path
    }
}

/// Counts the request and applies any injected fault.
async fn apply_faults(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let endpoint = endpoint_name(req.uri().path()).to_owned();
    let (req, function) = if endpoint == "webservice/rest/server.php" {
        let (parts, body) = req.into_parts();
        let Ok(collected) = axum::body::to_bytes(body, MAX_BODY).await else {
            return (StatusCode::PAYLOAD_TOO_LARGE, "Request body too large").into_response();
        };
        let vars = request_vars(parts.uri.query(), &parts.headers, &collected);
        let function = vars
            .get(&PhpKey::Str("wsfunction".into()))
            .and_then(PhpValue::as_str)
            .map(str::to_owned);
        (Request::from_parts(parts, Body::from(collected)), function)
    } else {
        (req, None)
    };
    let plan = shared.faults.on_request(&endpoint, function.as_deref());
    if !plan.delay.is_zero() {
        tokio::time::sleep(plan.delay).await;
    }
    match plan.fault {
        None | Some(Fault::Latency { .. }) => next.run(req).await,
        Some(Fault::Status { status }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            html(
                status,
                format!(
                    "<html><head><title>{status}</title></head><body><center><h1>{status}</h1></center><hr><center>nginx</center></body></html>\n"
                ),
            )
        }
        Some(Fault::Maintenance) => maintenance_page(),
        Some(Fault::RateLimited { retry_after }) => {
            let mut resp = html(
                StatusCode::TOO_MANY_REQUESTS,
                "<html><head><title>429 Too Many Requests</title></head><body><h1>429 Too Many Requests</h1></body></html>\n".to_owned(),
            );
            if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        Some(Fault::TruncatedBody) => {
            let (parts, body) = next.run(req).await.into_parts();
            let bytes = collect(body).await;
            let half = bytes.slice(..bytes.len() / 2);
            rebuild(parts, half)
        }
        Some(Fault::PhpWarning) => {
            let (parts, body) = next.run(req).await.into_parts();
            let bytes = collect(body).await;
            let mut out = b"<br />\n<b>Warning</b>:  Undefined array key \"lang\" in <b>/var/www/moodle/lib/moodlelib.php</b> on line <b>8163</b><br />\n".to_vec();
            out.extend_from_slice(&bytes);
            rebuild(parts, Bytes::from(out))
        }
        Some(Fault::ResetMidBody) => {
            let (mut parts, body) = next.run(req).await.into_parts();
            let bytes = collect(body).await;
            let half = bytes.slice(..bytes.len() / 2);
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
            // The pause lets the headers and the first half reach the client before the
            // connection drops, as when a proxy or PHP worker dies mid-transfer.
            let chunks =
                stream::iter([Ok::<Bytes, std::io::Error>(half)]).chain(stream::once(async {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "moodle-sim: injected connection reset",
                    ))
                }));
            Response::from_parts(parts, Body::from_stream(chunks))
        }
    }
}

async fn collect(body: Body) -> Bytes {
    body.collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default()
}

fn rebuild(mut parts: Parts, body: Bytes) -> Response {
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

/// Moodle's CLI maintenance page (`lib/setup.php` serves `climaintenance.html` with 503).
fn maintenance_page() -> Response {
    let mut resp = html(
        StatusCode::SERVICE_UNAVAILABLE,
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Maintenance</title></head><body><div class=\"box\"><h1>Site is undergoing maintenance</h1><p>This site is currently being upgraded. Please try again later.</p></div></body></html>\n".to_owned(),
    );
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("300"));
    resp
}

fn html(status: StatusCode, body: String) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp
}

/// `$_GET` merged with `$_POST` (POST wins), for url-encoded bodies.
pub fn request_vars(query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> PhpArray {
    let mut vars = php::parse(query.unwrap_or_default().as_bytes());
    if is_form(headers) {
        php::parse_into(&mut vars, body);
    }
    vars
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

/// A scalar request variable.
pub fn var<'a>(vars: &'a PhpArray, name: &str) -> Option<&'a str> {
    vars.get(&PhpKey::Str(name.to_owned()))
        .and_then(PhpValue::as_str)
}

/// What functions need to know about the request.
pub fn request_info(headers: &HeaderMap) -> RequestInfo {
    RequestInfo {
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        https: headers
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https")),
        remote_addr: "127.0.0.1".to_owned(),
        query_names: Vec::new(),
    }
}

/// A body with a content type and the headers Moodle's web-service scripts add.
pub fn with_type(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Body>,
) -> Response {
    let mut resp = Response::new(body.into());
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    resp
}
