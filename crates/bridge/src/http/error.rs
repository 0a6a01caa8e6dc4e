//! The API's answers: the gateway contract's envelope `{"ok": true, "data": …}` and
//! `{"ok": false, "error": {"code", "message", "details"}}`, [`GatewayFailure`] and, for the
//! token-login contract's shape, [`TokenLoginFailure`], and for the publisher contract's shape
//! `{"detail": …}`, [`PublisherFailure`] (in `error/detail.rs`; the contracts are in
//! `docs/contracts/`): the only places errors become
//! HTTP. The full cause of an error goes into the response's extensions ([`ErrorCause`]) for
//! the access log, never into the body.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::{BufMut as _, Bytes, BytesMut};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::auth::{AuthError, Scope};
use crate::gateway::{GatewayError, Reply};
use crate::token_login::TokenLoginError;

/// The internal cause of an error answer, logged once by the access-log middleware.
#[derive(Debug, Clone)]
pub struct ErrorCause(pub String);

/// An error answer.
#[derive(Debug)]
pub struct GatewayFailure {
    status: StatusCode,
    code: String,
    message: String,
    details: Value,
    retry_after: Option<u64>,
    www_authenticate: Option<String>,
    cause: Option<String>,
}

/// The error envelope, for the OpenAPI document.
#[derive(Serialize, ToSchema)]
pub struct ErrorEnvelope {
    /// Always `false`.
    pub ok: bool,
    /// What went wrong.
    pub error: ErrorBody,
}

/// `error` of the envelope.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// Moodle's error code (`invalidtoken`, `nopermissions`, …) or the bridge's
    /// (`invalidparameter`, `unauthorized`, `insufficientscope`, `ratelimited`,
    /// `pluginrequired`, `unknown`).
    pub code: String,
    /// A message for people, without debug information, tokens or server paths.
    pub message: String,
    /// More facts: `reason` for `unknown`, `field` for `invalidparameter`, `warnings`.
    #[schema(value_type = Option<Object>)]
    pub details: Value,
}

impl GatewayFailure {
    /// An error with a status, code and message, without details.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> GatewayFailure {
        GatewayFailure {
            status,
            code: code.to_owned(),
            message: message.into(),
            details: Value::Null,
            retry_after: None,
            www_authenticate: None,
            cause: None,
        }
    }

    /// Adds details.
    pub fn with_details(mut self, details: Value) -> GatewayFailure {
        self.details = details;
        self
    }

    /// Adds the internal cause for the log.
    pub fn with_cause(mut self, cause: impl Into<String>) -> GatewayFailure {
        self.cause = Some(cause.into());
        self
    }

    /// 400 `invalidparameter` naming a field.
    pub fn invalid(field: &str, reason: &str) -> GatewayFailure {
        GatewayFailure::new(
            StatusCode::BAD_REQUEST,
            "invalidparameter",
            format!("{field}: {reason}"),
        )
        .with_details(json!({ "field": field }))
    }

    /// 403: the token lacks `scope`.
    pub fn missing_scope(scope: Scope) -> GatewayFailure {
        let mut e = GatewayFailure::new(
            StatusCode::FORBIDDEN,
            "insufficientscope",
            format!("this token lacks the {} scope", scope.name()),
        )
        .with_details(json!({ "required_scope": scope.name() }));
        e.www_authenticate = Some(format!(
            "Bearer error=\"insufficient_scope\", scope=\"{}\"",
            scope.name()
        ));
        e
    }

    /// 429 with `Retry-After`.
    pub fn rate_limited(wait_secs: u64) -> GatewayFailure {
        let mut e = GatewayFailure::new(
            StatusCode::TOO_MANY_REQUESTS,
            "ratelimited",
            format!("too many requests; retry in {wait_secs} s"),
        )
        .with_details(json!({ "retry_after": wait_secs }));
        e.retry_after = Some(wait_secs);
        e
    }
}

impl From<AuthError> for GatewayFailure {
    fn from(e: AuthError) -> Self {
        if e == AuthError::IdentityProviderUnreachable {
            return GatewayFailure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unknown",
                "tokens cannot be checked now; try again shortly",
            )
            .with_details(json!({ "reason": e.reason() }));
        }
        let mut err = GatewayFailure::new(StatusCode::UNAUTHORIZED, "unauthorized", e.to_string())
            .with_details(json!({ "reason": e.reason() }));
        err.www_authenticate = Some(match e {
            AuthError::Missing => "Bearer".to_owned(),
            _ => "Bearer error=\"invalid_token\"".to_owned(),
        });
        err
    }
}

impl From<GatewayError> for GatewayFailure {
    /// The gateway contract's table: Moodle's failures by `http/error/moodle.rs`, the
    /// bridge's own refusals here.
    fn from(e: GatewayError) -> Self {
        let mut api = match &e {
            GatewayError::Moodle(m) => {
                let answer = moodle::answer(m);
                let mut api = GatewayFailure::new(answer.status, &answer.code, moodle::message(m))
                    .with_details(moodle_details(m, answer.reason));
                api.retry_after = moodle::retry_after(m);
                api.with_cause(moodle::cause(m))
            }
            GatewayError::Invalid { field, .. } => {
                GatewayFailure::new(StatusCode::BAD_REQUEST, "invalidparameter", e.to_string())
                    .with_details(json!({ "field": field }))
            }
            GatewayError::RoleForbidden { field, roleid, .. } => {
                GatewayFailure::new(StatusCode::FORBIDDEN, "roleforbidden", e.to_string())
                    .with_details(json!({ "field": field, "roleid": roleid }))
            }
            GatewayError::PluginRequired {
                plugin, function, ..
            } => GatewayFailure::new(StatusCode::NOT_IMPLEMENTED, "pluginrequired", e.to_string())
                .with_details(json!({ "plugin": plugin, "function": function.name() })),
        };
        if api.cause.is_none() {
            api.cause = Some(e.to_string());
        }
        api
    }
}

fn moodle_details(e: &moodle_ws::Error, reason: Option<&'static str>) -> Value {
    match e {
        moodle_ws::Error::Warnings(w) => json!({ "warnings": warnings_json(w) }),
        _ => match reason {
            Some(r) => json!({ "reason": r }),
            None => Value::Null,
        },
    }
}

fn warnings_json(warnings: &[moodle_ws::Warning]) -> Value {
    warnings
        .iter()
        .map(|w| json!({"item": w.item, "itemid": w.itemid, "warningcode": w.warningcode, "message": w.message}))
        .collect()
}

impl IntoResponse for GatewayFailure {
    fn into_response(self) -> Response {
        let body = json!({
            "ok": false,
            "error": { "code": self.code, "message": self.message, "details": self.details },
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(value) = self
            .www_authenticate
            .and_then(|v| HeaderValue::from_str(&v).ok())
        {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        if let Some(cause) = self.cause {
            response.extensions_mut().insert(ErrorCause(cause));
        }
        response
    }
}

/// A success answer: `{"ok": true, "data": …}`, plus `details.warnings` when Moodle
/// warned about items the request did not name.
pub fn ok(reply: Reply) -> Response {
    let mut body = BytesMut::with_capacity(reply.data.len() + 24);
    body.put_slice(br#"{"ok":true,"data":"#);
    body.put_slice(&reply.data);
    if !reply.warnings.is_empty() {
        body.put_slice(br#","details":{"warnings":"#);
        body.put_slice(warnings_json(&reply.warnings).to_string().as_bytes());
        body.put_slice(b"}");
    }
    body.put_slice(b"}");
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        Bytes::from(body),
    )
        .into_response()
}

/// The token-login routes' error answer: the token-login contract's `{"success": false,
/// "error", "message"}` (`docs/contracts/token-login.md`)
/// plus a stable `errorcode`.
#[derive(Debug)]
pub struct TokenLoginFailure(pub TokenLoginError);

impl From<TokenLoginError> for TokenLoginFailure {
    fn from(e: TokenLoginError) -> Self {
        TokenLoginFailure(e)
    }
}

/// The token-login error body, for the OpenAPI document.
#[derive(Serialize, ToSchema)]
pub struct TokenLoginProblem {
    /// Always `false`.
    pub success: bool,
    /// A short title (`Invalid token`).
    pub error: String,
    /// What happened.
    pub message: String,
    /// A stable code (`missingtoken`, `invalidtoken`, Moodle's code, `ratelimited`, …).
    pub errorcode: String,
}

impl IntoResponse for TokenLoginFailure {
    fn into_response(self) -> Response {
        let (status, title, message, code, retry_after) = match &self.0 {
            TokenLoginError::Missing => (
                400,
                "Missing token",
                "A wstoken is required".to_owned(),
                "missingtoken".to_owned(),
                None,
            ),
            TokenLoginError::InvalidToken => (
                401,
                "Invalid token",
                "The provided wstoken is invalid or expired".to_owned(),
                "invalidtoken".to_owned(),
                None,
            ),
            TokenLoginError::NotAccepted { code, message } => (
                403,
                "Token not accepted",
                message.clone(),
                code.clone(),
                None,
            ),
            TokenLoginError::RateLimited(secs) => (
                429,
                "Too many attempts",
                format!("Too many token logins from this address; retry in {secs} s"),
                "ratelimited".to_owned(),
                Some(*secs),
            ),
            TokenLoginError::Moodle(e) => {
                let answer = moodle::answer(e);
                (
                    answer.status.as_u16(),
                    "Moodle unavailable",
                    moodle::message(e),
                    answer.reason.map_or(answer.code.clone(), str::to_owned),
                    None,
                )
            }
            TokenLoginError::NoSigningKey | TokenLoginError::Signing => (
                500,
                "Server error",
                "The bridge cannot issue API tokens".to_owned(),
                "servererror".to_owned(),
                None,
            ),
        };
        let body = json!({"success": false, "error": title, "message": message, "errorcode": code});
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
            .extensions_mut()
            .insert(ErrorCause(self.0.to_string()));
        response
    }
}

mod detail;
pub mod moodle;
pub use detail::{Detail, PublisherFailure, class_status, job_error_json};

mod webhooks;

mod file_manager;
pub use file_manager::{FileManagerFailure, FileProblem, file_error_parts};
