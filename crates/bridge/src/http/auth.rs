//! The bearer layer on the `/api/` routes: reads `Authorization: Bearer …`, has the token
//! verified, checks the scope the method needs (reads `moodle:read`, writes
//! `moodle:write`), applies the caller's rate limit and hands the principal to the handler.

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
    authenticate(&app, &mut req).await?;
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
    authenticate(&app, &mut req).await?;
    Ok(next.run(req).await)
}

/// Verifies the token, the scope and the rate limit; puts the principal in the request.
async fn authenticate(app: &AppState, req: &mut Request) -> Result<(), GatewayFailure> {
    let token = bearer_token(req.headers())?;
    let principal = app.auth.verify(token).await?;
    let needed = if matches!(*req.method(), Method::GET | Method::HEAD) {
        Scope::Read
    } else {
        Scope::Write
    };
    if !principal.scopes.contains(needed) {
        return Err(GatewayFailure::missing_scope(needed));
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
