//! Extractors that fail in the API's own error shape: `Caller` (the authenticated
//! principal), `Actor` (who, through which route, for the audit log), `AppJson` and
//! `AppQuery` (input whose errors name the field at fault), and `RequestId`; for the
//! publisher's `{"detail": …}` routes `DetailJson`, `DetailQuery` and `LmsToken`.

use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::error::{GatewayFailure, PublisherFailure};
use crate::audit::Actor;
use crate::auth::Principal;

/// The request's id (`X-Request-Id`, taken from the caller or made).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The authenticated caller, put in place by the bearer middleware.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = GatewayFailure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(Caller)
            .ok_or_else(|| GatewayFailure::from(crate::auth::AuthError::Missing))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Actor {
    type Rejection = GatewayFailure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Caller(principal) = Caller::from_request_parts(parts, state).await?;
        let route = parts
            .extensions
            .get::<MatchedPath>()
            .map_or_else(|| parts.uri.path().to_owned(), |m| m.as_str().to_owned());
        Ok(Actor {
            subject: principal.subject,
            source: principal.source.name(),
            route: format!("{} {route}", parts.method),
            request_id: parts.extensions.get::<RequestId>().map(|r| r.0.clone()),
            client: parts
                .extensions
                .get::<super::client_addr::ClientAddr>()
                .map(|c| c.0.to_string()),
        })
    }
}

/// A JSON body; malformed JSON, wrong types, unknown or missing fields give 400
/// `invalidparameter` naming the field, a body over the limit 413, another content type 415.
#[derive(Debug, Clone)]
pub struct AppJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for AppJson<T> {
    type Rejection = GatewayFailure;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim();
                m.eq_ignore_ascii_case("application/json") || m.ends_with("+json")
            });
        if !json {
            return Err(GatewayFailure::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "invalidparameter",
                "the body must be JSON (Content-Type: application/json)",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                GatewayFailure::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "invalidparameter",
                    "the body is larger than the limit",
                )
            } else {
                GatewayFailure::new(
                    StatusCode::BAD_REQUEST,
                    "invalidparameter",
                    "the body could not be read",
                )
            }
        })?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| field_error(e.path().to_string(), &e.into_inner().to_string()))?;
        de.end()
            .map_err(|e| field_error(String::new(), &e.to_string()))?;
        Ok(AppJson(value))
    }
}

/// A query string; bad values give 400 `invalidparameter` naming the parameter.
#[derive(Debug, Clone)]
pub struct AppQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for AppQuery<T> {
    type Rejection = GatewayFailure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(AppQuery)
            .map_err(|e| field_error(e.path().to_string(), &e.into_inner().to_string()))
    }
}

/// A 400 naming the field. serde_path_to_error's path already ends with an unknown field's
/// name, but stops at the parent of a missing one (`.` at the top level).
fn field_error(path: String, message: &str) -> GatewayFailure {
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    let field = match (path.as_str(), missing) {
        ("." | "", Some(name)) => name.to_owned(),
        (parent, Some(name)) => format!("{parent}.{name}"),
        ("." | "", None) => "body".to_owned(),
        (p, None) => p.to_owned(),
    };
    // serde's text ends with " at line 1 column 20" for JSON; keep only what is about the value.
    let reason = message.split(" at line ").next().unwrap_or(message);
    GatewayFailure::invalid(&field, reason)
}

/// A JSON body of the publisher's routes: as [`AppJson`], but answering in the
/// `{"detail": …}` shape, a body that does not fit with 422 naming the field.
#[derive(Debug, Clone)]
pub struct DetailJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for DetailJson<T> {
    type Rejection = PublisherFailure;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        AppJson::from_request(req, state)
            .await
            .map(|AppJson(v)| DetailJson(v))
            .map_err(PublisherFailure::from_body)
    }
}

/// A query string of the publisher's routes (bad values: 422 naming the parameter).
#[derive(Debug, Clone)]
pub struct DetailQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for DetailQuery<T> {
    type Rejection = PublisherFailure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        AppQuery::from_request_parts(parts, state)
            .await
            .map(|AppQuery(v)| DetailQuery(v))
            .map_err(PublisherFailure::from_body)
    }
}

/// `X-LMS-Token` (a session handle from `/api/login-lms`, or a Moodle token) and the
/// optional `X-LMS-Site` naming the site of a raw Moodle token. Missing: 400 as the publisher
/// contract answers (`docs/contracts/publisher.md`); as `Option<LmsToken>` it may be left out.
#[derive(Clone)]
pub struct LmsToken {
    /// The token.
    pub token: moodle_ws::Secret,
    /// `X-LMS-Site`.
    pub site: Option<String>,
}

impl std::fmt::Debug for LmsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LmsToken")
            .field("site", &self.site)
            .finish_non_exhaustive()
    }
}

impl LmsToken {
    fn read(parts: &Parts) -> Option<LmsToken> {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        Some(LmsToken {
            token: moodle_ws::Secret::new(header("x-lms-token")?),
            site: header("x-lms-site").map(str::to_owned),
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for LmsToken {
    type Rejection = PublisherFailure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        LmsToken::read(parts).ok_or_else(|| crate::lms::LmsError::MissingToken.into())
    }
}

impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for LmsToken {
    type Rejection = PublisherFailure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(LmsToken::read(parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_name_the_field_wherever_serde_puts_it() {
        let body = |e: GatewayFailure| format!("{e:?}");
        assert!(
            body(field_error(".".to_owned(), "missing field `shortname`"))
                .contains("\"field\": String(\"shortname\")")
        );
        assert!(
            body(field_error(
                "categoryid".to_owned(),
                "invalid type: string \"x\", expected i64 at line 1 column 9"
            ))
            .contains("categoryid: invalid type")
        );
        assert!(
            body(field_error(
                "enrolments[0].colour".to_owned(),
                "unknown field `colour`, expected one of `roleid`"
            ))
            .contains("\"field\": String(\"enrolments[0].colour\")")
        );
        assert!(
            body(field_error(
                "enrolments[0]".to_owned(),
                "missing field `userid`"
            ))
            .contains("\"field\": String(\"enrolments[0].userid\")")
        );
    }
}

/// The largest multipart text field read (a name, a type, an id): a few KiB, so a field can
/// never fill memory however large the body limit is.
pub const MAX_TEXT_FIELD_BYTES: usize = 4 * 1024;

/// Why a multipart text field was not read.
#[derive(Debug)]
pub enum TextFieldError {
    /// Longer than [`MAX_TEXT_FIELD_BYTES`].
    TooLong,
    /// Not UTF-8.
    NotUtf8,
    /// The body broke off or is malformed (its status says which: 413 over the body limit).
    Body(axum::extract::multipart::MultipartError),
}

/// Reads a multipart text field of at most [`MAX_TEXT_FIELD_BYTES`], stopping at the first
/// chunk past it.
///
/// # Errors
/// [`TextFieldError`].
pub async fn text_field(
    field: &mut axum::extract::multipart::Field<'_>,
) -> Result<String, TextFieldError> {
    let mut text = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(TextFieldError::Body)? {
        if text.len() + chunk.len() > MAX_TEXT_FIELD_BYTES {
            return Err(TextFieldError::TooLong);
        }
        text.extend_from_slice(&chunk);
    }
    String::from_utf8(text).map_err(|_| TextFieldError::NotUtf8)
}
