//! The outermost middleware of every request: takes the caller's `X-Request-Id` (when it is
//! a sane token) or makes one, returns it, works out the client's address (`client_addr.rs`),
//! opens the request's span, counts the request in the metrics and writes one access-log
//! line with the error's internal cause, if any; and after a write, settles the HTTP status on
//! the audit rows the request wrote.
//!
//! Only the path is logged, never the query string or headers: tokens travel in headers,
//! and some seed routes take them in the query.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument as _;

use super::client_addr::{ClientAddr, client_address};
use super::error::ErrorCause;
use super::extract::RequestId;
use crate::state::AppState;

/// `X-Request-Id`.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The middleware.
pub async fn observe(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane_id(v))
        .map_or_else(new_request_id, str::to_owned);
    req.extensions_mut().insert(RequestId(id.clone()));
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| client_address(peer.ip(), req.headers(), &app.http));
    if let Some(client) = client {
        req.extensions_mut().insert(ClientAddr(client));
    }
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = req.method().clone();
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %method,
        route = %route,
        client = client.map(tracing::field::display),
        subject = tracing::field::Empty,
    );
    let writes = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    let mut response = next.run(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    if writes {
        // The status the caller was given, on the audit rows this request wrote (services
        // record what happened; the status is the HTTP layer's alone).
        app.audit.settle(&id, status).await;
    }
    app.metrics
        .request_served(&route, method.as_str(), status, elapsed);
    let elapsed_ms = elapsed.as_secs_f64() * 1000.0;
    span.in_scope(|| match response.extensions().get::<ErrorCause>() {
        Some(ErrorCause(cause)) if status >= 500 => {
            tracing::warn!(status, elapsed_ms, cause = %cause, "request failed")
        }
        Some(ErrorCause(cause)) => {
            tracing::info!(status, elapsed_ms, cause = %cause, "request refused")
        }
        None => tracing::info!(status, elapsed_ms, "request served"),
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(X_REQUEST_ID.clone(), value);
    }
    response
}

/// A random (v4) UUID from the thread's CSPRNG: no system call per request, as
/// `Uuid::new_v4` (the OS's random source) makes.
fn new_request_id() -> String {
    uuid::Builder::from_random_bytes(rand::random())
        .into_uuid()
        .to_string()
}

/// 1 to 128 visible ASCII characters without spaces or quotes: safe to log and echo.
fn is_sane_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'/' | b'+' | b'=')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sane_request_ids_are_taken() {
        assert!(is_sane_id("3f2a-11ee:web.1"));
        assert!(!is_sane_id(""));
        assert!(!is_sane_id("a b"));
        assert!(!is_sane_id("x\"y"));
        assert!(!is_sane_id(&"a".repeat(129)));
    }

    #[test]
    fn made_request_ids_are_distinct_version_4_uuids() {
        let (a, b) = (new_request_id(), new_request_id());
        assert_ne!(a, b);
        let parsed = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert!(is_sane_id(&a));
    }
}
