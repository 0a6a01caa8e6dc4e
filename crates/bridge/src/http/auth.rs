//! The bearer layer on the `/api/` routes: reads `Authorization: Bearer …`, has the token
//! verified, checks the scope the route needs (gateway and publisher: reads `moodle:read`,
//! writes `moodle:write`; webhooks `webhooks:manage`; the event stream `events:read` or
//! `webhooks:manage`), applies the caller's rate limit and hands the principal to the
//! handler.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;

use super::error::{GatewayFailure, PublisherFailure};
use crate::auth::{AuthError, Scope};
use crate::state::AppState;

/// The middleware.
///
/// # Errors
/// 401 without a valid token, 403 without the scope, 429 over the rate limit.
pub async fn require_bearer(
    State(app): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, GatewayFailure> {
    let needed = by_method(req.method());
    authenticate(&app, &mut req, &[needed]).await?;
    Ok(next.run(req).await)
}

/// The layer of the webhook routes: `webhooks:manage` for every method.
///
/// # Errors
/// As [`require_bearer`].
pub async fn require_webhooks(
    State(app): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, GatewayFailure> {
    authenticate(&app, &mut req, &[Scope::WebhooksManage]).await?;
    Ok(next.run(req).await)
}

/// The layer of the event stream: `events:read`, or `webhooks:manage` (whose holder receives
/// the same events by webhook).
///
/// # Errors
/// As [`require_bearer`].
pub async fn require_events(
    State(app): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, GatewayFailure> {
    authenticate(&app, &mut req, &[Scope::EventsRead, Scope::WebhooksManage]).await?;
    Ok(next.run(req).await)
}

/// The same for the publisher's routes, refusing in their `{"detail": …}` shape.
///
/// # Errors
/// As [`require_bearer`].
pub async fn require_bearer_detail(
    State(app): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, PublisherFailure> {
    let needed = by_method(req.method());
    authenticate(&app, &mut req, &[needed]).await?;
    Ok(next.run(req).await)
}

/// Reads need `moodle:read`, writes `moodle:write`.
fn by_method(method: &Method) -> Scope {
    if matches!(*method, Method::GET | Method::HEAD) {
        Scope::Read
    } else {
        Scope::Write
    }
}

/// Verifies the token, that it has one of the `needed` scopes and the rate limit; puts the
/// principal in the request.
async fn authenticate(
    app: &AppState,
    req: &mut Request,
    needed: &[Scope],
) -> Result<(), GatewayFailure> {
    let token = bearer_token(req.headers())?;
    let principal = app.auth.verify(token).await?;
    if !needed.iter().any(|s| principal.scopes.contains(*s)) {
        return Err(GatewayFailure::missing_scope(needed[0]));
    }
    app.limiter
        .check(&principal.key())
        .map_err(|wait| GatewayFailure::rate_limited(wait.as_secs()))?;
    tracing::Span::current().record("subject", principal.subject.as_str());
    req.extensions_mut().insert(principal);
    Ok(())
}

/// The token of an `Authorization: Bearer …` header (the scheme is case-insensitive).
fn bearer_token(headers: &HeaderMap) -> Result<&str, AuthError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(AuthError::Missing)?;
    let value = value.to_str().map_err(|_| AuthError::Malformed)?;
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::Malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(AuthError::Malformed);
    }
    Ok(token)
}
