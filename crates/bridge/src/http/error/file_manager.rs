//! The file manager's error answer (`docs/contracts/file-manager.md`): `{"error": "…",
//! "code": "…"}` with the status, plus `field` for a bad value. Authentication refusals on
//! these routes (launch token or bearer token) take the same shape.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::ErrorCause;
use super::moodle;
use crate::auth::{AuthError, Scope};
use crate::file_manager::FileError;
use crate::lti_tool::LaunchTokenError;
use crate::storage::StorageError;

/// An error answer of the file manager's routes.
#[derive(Debug)]
pub struct FileManagerFailure {
    status: StatusCode,
    code: String,
    message: String,
    field: Option<String>,
    retry_after: Option<u64>,
    www_authenticate: Option<&'static str>,
    cause: Option<String>,
}

/// The error body, for the OpenAPI document.
#[derive(Serialize, ToSchema)]
pub struct FileProblem {
    /// What went wrong, for people.
    pub error: String,
    /// A stable code: `unauthorized`, `forbidden`, `othercourse`, `notenrolled`, `notfound`,
    /// `toolarge`, `invalidparameter`, Moodle's code, …
    pub code: String,
    /// The field at fault, for `invalidparameter`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl FileManagerFailure {
    /// The status and code, for the audit log.
    pub fn outcome(&self) -> (u16, &str) {
        (self.status.as_u16(), &self.code)
    }

    /// An answer with this status, code and message.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> FileManagerFailure {
        FileManagerFailure {
            status,
            code: code.to_owned(),
            message: message.into(),
            field: None,
            retry_after: None,
            www_authenticate: None,
            cause: None,
        }
    }

    /// 400 naming a field.
    pub fn invalid(field: &str, reason: &str) -> FileManagerFailure {
        let mut e = FileManagerFailure::new(
            StatusCode::BAD_REQUEST,
            "invalidparameter",
            format!("{field}: {reason}"),
        );
        e.field = Some(field.to_owned());
        e
    }

    /// 413: a request over one of the upload limits; `code` says which.
    pub fn too_large(code: &str, message: &str) -> FileManagerFailure {
        FileManagerFailure::new(StatusCode::PAYLOAD_TOO_LARGE, code, message)
    }

    /// 401: no credential.
    pub fn unauthenticated() -> FileManagerFailure {
        let mut e = FileManagerFailure::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "open the tool from Moodle, or send an API token (Authorization: Bearer)",
        );
        e.www_authenticate = Some("Bearer");
        e
    }

    /// 401: a route that only a launch token opens, without one.
    pub fn no_launch_token() -> FileManagerFailure {
        let mut e = FileManagerFailure::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "open the tool from Moodle: this route takes the launch's token (X-Launch-Token)",
        );
        e.www_authenticate = Some("LaunchToken");
        e
    }

    /// 403: the launch's roles do not include the file manager.
    pub fn not_staff() -> FileManagerFailure {
        FileManagerFailure::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the file manager is for teachers and administrators",
        )
    }

    /// 403: an API token without the scope.
    pub fn missing_scope(scope: Scope) -> FileManagerFailure {
        FileManagerFailure::new(
            StatusCode::FORBIDDEN,
            "insufficientscope",
            format!("this token lacks the {} scope", scope.name()),
        )
    }

    /// Adds the internal cause, for the access log (never the body).
    pub fn with_cause(mut self, cause: impl Into<String>) -> FileManagerFailure {
        self.cause = Some(cause.into());
        self
    }

    /// 429 with `Retry-After`.
    pub fn rate_limited(wait_secs: u64) -> FileManagerFailure {
        let mut e = FileManagerFailure::new(
            StatusCode::TOO_MANY_REQUESTS,
            "ratelimited",
            format!("too many requests; retry in {wait_secs} s"),
        );
        e.retry_after = Some(wait_secs);
        e
    }
}

/// The file manager's answer to one of its errors: status, code and message. Moodle's failures
/// take the one Moodle table (`moodle.rs`); the rest are the file manager's own.
pub fn file_error_parts(e: &FileError) -> (StatusCode, String, String) {
    if let FileError::Moodle(m) = e {
        let answer = moodle::answer(m);
        return (answer.status, answer.code, moodle::message(m));
    }
    let status = match e {
        FileError::OtherCourse { .. }
        | FileError::NotEnrolled { .. }
        | FileError::NotALearner { .. }
        // The launch's platform was removed since: the launch no longer grants anything.
        | FileError::UnknownPlatform { .. } => StatusCode::FORBIDDEN,
        FileError::NoCourse | FileError::CourseRequired | FileError::Invalid { .. } => {
            StatusCode::BAD_REQUEST
        }
        FileError::NotFound { .. } | FileError::Storage(StorageError::NotFound) => {
            StatusCode::NOT_FOUND
        }
        FileError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        FileError::NoMoodleToken { .. } => StatusCode::SERVICE_UNAVAILABLE,
        FileError::Interrupted(_) => StatusCode::BAD_GATEWAY,
        FileError::Storage(s) if s.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
        FileError::Database(d) if crate::db::is_unavailable(d) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let message = match e {
        FileError::Storage(s) if s.is_unavailable() => {
            "the file storage cannot be reached now; nothing was kept, try again shortly".to_owned()
        }
        FileError::Storage(_) => "the file storage failed".to_owned(),
        FileError::Database(d) if crate::db::is_unavailable(d) => {
            "the bridge's database cannot be reached now; try again shortly".to_owned()
        }
        FileError::Database(_) => "the bridge's database failed".to_owned(),
        FileError::Interrupted(_) => "the transfer broke off; nothing was kept".to_owned(),
        other => other.to_string(),
    };
    (status, e.code(), message)
}

impl From<FileError> for FileManagerFailure {
    fn from(e: FileError) -> Self {
        let (status, code, message) = file_error_parts(&e);
        let mut api = FileManagerFailure::new(status, &code, message);
        if let FileError::Invalid { field, .. } = &e {
            api.field = Some(field.clone());
        }
        if let FileError::Moodle(m) = &e {
            api.retry_after = moodle::retry_after(m);
        }
        api.cause = Some(match &e {
            FileError::Moodle(m) => moodle::cause(m),
            other => other.to_string(),
        });
        api
    }
}

impl From<LaunchTokenError> for FileManagerFailure {
    fn from(e: LaunchTokenError) -> Self {
        if e == LaunchTokenError::Unavailable {
            return FileManagerFailure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "databaseunavailable",
                e.to_string(),
            );
        }
        let mut api =
            FileManagerFailure::new(StatusCode::UNAUTHORIZED, "unauthorized", e.to_string());
        api.www_authenticate = Some("LaunchToken");
        api
    }
}

impl From<AuthError> for FileManagerFailure {
    fn from(e: AuthError) -> Self {
        if e == AuthError::IdentityProviderUnreachable {
            return FileManagerFailure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unknown",
                "tokens cannot be checked now; try again shortly",
            );
        }
        let mut api =
            FileManagerFailure::new(StatusCode::UNAUTHORIZED, "unauthorized", e.to_string());
        api.www_authenticate = Some("Bearer error=\"invalid_token\"");
        api
    }
}

impl IntoResponse for FileManagerFailure {
    fn into_response(self) -> Response {
        let mut body = json!({"error": self.message, "code": self.code});
        if let Some(field) = &self.field {
            body["field"] = json!(field);
        }
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(value) = self.www_authenticate {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(value));
        }
        if let Some(cause) = self.cause {
            response.extensions_mut().insert(ErrorCause(cause));
        }
        response
    }
}
