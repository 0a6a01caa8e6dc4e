//! Who calls the file manager's routes: the layer takes a launch token (`X-Launch-Token`,
//! administrators and instructors only), else an API bearer token (reads `moodle:read`,
//! writes `moodle:write`), else — on `GET /download_file/{id}` only — a download ticket
//! (`?ticket=`), applies the rate limit and hands the handler a [`FileCaller`].

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::audit::Actor;
use crate::auth::{Principal, Scope};
use crate::file_manager::Access;
use crate::http::client_addr::ClientAddr;
use crate::http::error::FileManagerFailure;
use crate::http::extract::RequestId;
use crate::lti_tool::{LaunchClaims, TicketClaims};
use crate::state::AppState;

/// The header the file manager page sends its launch token in.
pub const LAUNCH_TOKEN_HEADER: &str = "x-launch-token";

/// An authenticated caller of the file manager.
#[derive(Debug, Clone)]
pub enum FileCaller {
    /// A launch's token.
    Launch(LaunchClaims),
    /// An API token.
    Api(Principal),
    /// A download ticket (one file).
    Ticket(TicketClaims),
}

impl FileCaller {
    /// What the caller may see.
    pub fn access(&self) -> Access {
        match self {
            FileCaller::Launch(c) => Access::Launch {
                platform: c.reg.clone(),
                context_id: c.ctx.clone(),
                course_id: c.course,
            },
            FileCaller::Api(p) => Access::Api {
                owner: p.key(),
                admin: p.scopes.contains(Scope::FilesAdmin),
            },
            FileCaller::Ticket(t) => Access::Launch {
                platform: t.reg.clone(),
                context_id: t.ctx.clone(),
                course_id: None,
            },
        }
    }

    /// Subject and source for the audit log and the rate limit.
    fn who(&self) -> (String, &'static str) {
        match self {
            FileCaller::Launch(c) => (format!("lti:{}:{}", c.reg, c.sub), "lti"),
            FileCaller::Api(p) => (p.subject.clone(), p.source.name()),
            FileCaller::Ticket(t) => (format!("lti:{}:ticket", t.reg), "lti"),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for FileCaller {
    type Rejection = FileManagerFailure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<FileCaller>()
            .cloned()
            .ok_or_else(FileManagerFailure::unauthenticated)
    }
}

/// The layer.
///
/// # Errors
/// 401 without a valid credential, 403 for a learner's launch or a token without the scope,
/// 429 over the rate limit.
pub async fn require_caller(
    State(app): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, FileManagerFailure> {
    let is_download = req.method() == Method::GET && req.uri().path().contains("/download_file/");
    let needed = if matches!(*req.method(), Method::GET | Method::HEAD) {
        Scope::Read
    } else {
        Scope::Write
    };
    let ticket = req
        .uri()
        .query()
        .and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "ticket"))
        .map(|(_, v)| v.into_owned())
        .filter(|_| is_download);
    let caller = identify(&app, req.headers(), needed, ticket).await?;
    let (subject, source) = caller.who();
    app.limiter
        .check(&format!("{source}:{subject}"))
        .map_err(|wait| FileManagerFailure::rate_limited(wait.as_secs()))?;
    tracing::Span::current().record("subject", subject.as_str());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| req.uri().path().to_owned(), |m| m.as_str().to_owned());
    let actor = Actor {
        subject,
        source,
        route: format!("{} {route}", req.method()),
        request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()),
        client: req
            .extensions()
            .get::<ClientAddr>()
            .map(|ClientAddr(ip)| ip.to_string()),
    };
    req.extensions_mut().insert(actor);
    req.extensions_mut().insert(caller);
    Ok(next.run(req).await)
}

async fn identify(
    app: &AppState,
    headers: &HeaderMap,
    needed: Scope,
    ticket: Option<String>,
) -> Result<FileCaller, FileManagerFailure> {
    if let Some(token) = header_text(headers, LAUNCH_TOKEN_HEADER) {
        let claims = app.lti.verify_launch_token(token).await?;
        if !claims.is_staff() {
            return Err(FileManagerFailure::not_staff());
        }
        return Ok(FileCaller::Launch(claims));
    }
    if let Some(value) = header_text(headers, header::AUTHORIZATION.as_str()) {
        let token = match value.split_once(' ') {
            Some((scheme, token))
                if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
            {
                token.trim()
            }
            _ => return Err(crate::auth::AuthError::Malformed.into()),
        };
        let principal = app.auth.verify(token).await?;
        if !principal.scopes.contains(needed) {
            return Err(FileManagerFailure::missing_scope(needed));
        }
        return Ok(FileCaller::Api(principal));
    }
    match ticket {
        Some(ticket) => Ok(FileCaller::Ticket(app.lti.tokens().verify_ticket(&ticket)?)),
        None => Err(FileManagerFailure::unauthenticated()),
    }
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The audit actor the layer put in place.
#[derive(Debug, Clone)]
pub struct FileActor(pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for FileActor {
    type Rejection = FileManagerFailure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Actor>()
            .cloned()
            .map(FileActor)
            .ok_or_else(FileManagerFailure::unauthenticated)
    }
}
