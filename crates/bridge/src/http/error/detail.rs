//! The publisher's error answer (FastAPI's shape, as the publisher contract has it,
//! `docs/contracts/publisher.md`): `{"detail": "…"}` with
//! the status of the failure's class (chosen here alone), plus `data` when a push failed
//! part-way (the report of what was done).
//! Bearer-layer refusals ([`GatewayFailure`]) on these routes keep their status and headers and
//! take this shape.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::{ErrorCause, GatewayFailure};
use crate::courses::CourseError;
use crate::lms::LmsError;
use crate::publish::{FailureClass, PublishError};

/// An error answer of the publisher's routes.
#[derive(Debug)]
pub struct PublisherFailure {
    status: StatusCode,
    detail: String,
    data: Option<Value>,
    retry_after: Option<u64>,
    www_authenticate: Option<String>,
    cause: Option<String>,
}

/// The error body, for the OpenAPI document.
#[derive(Serialize, ToSchema)]
pub struct Detail {
    /// What went wrong (`"LMS token expired or invalid"`, `"LMS export failed: <reason>"`).
    pub detail: String,
    /// When a push failed part-way: its report (`exported_assets` with each asset's status).
    #[schema(value_type = Option<Object>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl PublisherFailure {
    /// An answer with this status and detail.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> PublisherFailure {
        PublisherFailure {
            status,
            detail: detail.into(),
            data: None,
            retry_after: None,
            www_authenticate: None,
            cause: None,
        }
    }

    /// A malformed body: 422 naming the field (what FastAPI answers), 413 and 415 as they are.
    pub fn from_body(e: GatewayFailure) -> PublisherFailure {
        let mut d = PublisherFailure::from(e);
        if d.status == StatusCode::BAD_REQUEST {
            d.status = StatusCode::UNPROCESSABLE_ENTITY;
        }
        d
    }
}

impl From<GatewayFailure> for PublisherFailure {
    fn from(e: GatewayFailure) -> Self {
        PublisherFailure {
            status: e.status,
            detail: e.message,
            data: None,
            retry_after: e.retry_after,
            www_authenticate: e.www_authenticate,
            cause: e.cause,
        }
    }
}

impl From<PublishError> for PublisherFailure {
    fn from(e: PublishError) -> Self {
        let status = class_status(e.class());
        let data = match &e {
            PublishError::AssetsFailed { report, .. } => Some((**report).clone()),
            _ => None,
        };
        let cause = match &e {
            PublishError::Moodle { error, .. }
            | PublishError::Lms(LmsError::Moodle(error) | LmsError::Unreachable(error)) => {
                match error.debuginfo() {
                    Some(d) => format!("{e} (debuginfo: {})", d.as_str()),
                    None => e.to_string(),
                }
            }
            other => other.to_string(),
        };
        PublisherFailure {
            status,
            detail: e.detail(),
            data,
            retry_after: e.retry_after(),
            www_authenticate: None,
            cause: Some(cause),
        }
    }
}

/// The publisher contract's status of each kind of failure (the one place it is chosen:
/// answers, and failed jobs shown by `GET /api/jobs/{id}` and their events).
pub fn class_status(class: FailureClass) -> StatusCode {
    match class {
        FailureClass::Malformed => StatusCode::BAD_REQUEST,
        FailureClass::Unauthenticated => StatusCode::UNAUTHORIZED,
        FailureClass::Forbidden => StatusCode::FORBIDDEN,
        FailureClass::NotFound => StatusCode::NOT_FOUND,
        FailureClass::Conflict => StatusCode::CONFLICT,
        FailureClass::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        FailureClass::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        FailureClass::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        FailureClass::BadUpstream => StatusCode::BAD_GATEWAY,
        FailureClass::Failed => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A failed job's stored error (`{class, detail, data?}`) as the API shows it: with the status
/// of its class (`{status, detail, data?}`). Errors stored before classes were kept carry
/// their status already.
pub fn job_error_json(stored: &Value) -> Value {
    let mut shown = stored.clone();
    if let (Some(obj), Some(class)) = (
        shown.as_object_mut(),
        stored
            .get("class")
            .and_then(|c| serde_json::from_value::<FailureClass>(c.clone()).ok()),
    ) {
        obj.remove("class");
        obj.insert("status".to_owned(), json!(class_status(class).as_u16()));
    }
    shown
}

impl From<CourseError> for PublisherFailure {
    fn from(e: CourseError) -> Self {
        PublishError::Course(e).into()
    }
}

impl From<LmsError> for PublisherFailure {
    fn from(e: LmsError) -> Self {
        PublishError::Lms(e).into()
    }
}

impl IntoResponse for PublisherFailure {
    fn into_response(self) -> Response {
        let mut body = json!({ "detail": self.detail });
        if let Some(data) = self.data {
            body["data"] = data;
        }
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
