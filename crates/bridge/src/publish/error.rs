//! `PublishError`: what can go wrong in a push, in the publisher's words, with the status of
//! the publisher contract (`docs/contracts/publisher.md`) each maps to (`http/error.rs` makes
//! the `{"detail": …}` answer) and the curated reason of `"LMS export failed: <reason>"` (never
//! a lower layer's text with internals).

use serde_json::{Value, json};

use crate::courses::CourseError;
use crate::lms::{LmsError, is_unreachable};
use crate::storage::StorageError;

/// A failed push, sync or retry.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The LMS token is missing, refused, or the site unknown.
    #[error(transparent)]
    Lms(#[from] LmsError),
    /// The course or an asset is not there, or an input is invalid.
    #[error(transparent)]
    Course(#[from] CourseError),
    /// `asset_names` names assets the course does not have.
    #[error("unknown assets: {}", .0.join(", "))]
    UnknownAssets(Vec<String>),
    /// A request field is invalid (`export_format`, `asset_type`, `lms_course_id`).
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// `lms_course_id` names no course the user can see in Moodle.
    #[error("Moodle course {0} not found")]
    MoodleCourseNotFound(i64),
    /// Moodle refused a step; `what` says which (`creating the course`).
    #[error("{what}: {error}")]
    Moodle {
        /// The step.
        what: String,
        /// Moodle's error.
        error: moodle_ws::Error,
    },
    /// Some assets failed while the others were pushed; the first failure decides the status.
    #[error("{} of {} assets failed; {first_asset:?}: {first_reason}", .failed, .total)]
    AssetsFailed {
        /// How many failed.
        failed: usize,
        /// How many were pushed.
        total: usize,
        /// The first that failed.
        first_asset: String,
        /// Why.
        first_reason: String,
        /// Its status (403 for a permission, else 500).
        status: u16,
        /// The report of the whole push.
        report: Box<Value>,
    },
    /// No such job for this caller.
    #[error("job {0} not found")]
    JobNotFound(String),
    /// The bridge failed (database, storage, a stored job that cannot be read).
    #[error("{0}")]
    Internal(String),
    /// The bridge's database cannot be reached now.
    #[error("database unavailable: {0}")]
    DatabaseUnavailable(String),
}

impl From<sqlx::Error> for PublishError {
    fn from(e: sqlx::Error) -> Self {
        if crate::db::is_unavailable(&e) {
            return PublishError::DatabaseUnavailable(e.to_string());
        }
        PublishError::Internal(format!("database: {e}"))
    }
}

impl PublishError {
    /// A Moodle error of a step.
    pub fn moodle(what: impl Into<String>, error: moodle_ws::Error) -> PublishError {
        if error.moodle_errorcode() == Some("invalidtoken") {
            return PublishError::Lms(LmsError::TokenRejected);
        }
        PublishError::Moodle {
            what: what.into(),
            error,
        }
    }

    /// Whether Moodle could not be reached: the push waits and is tried again.
    pub fn is_unreachable(&self) -> bool {
        match self {
            PublishError::Moodle { error, .. } => is_unreachable(error),
            PublishError::Lms(LmsError::Unreachable(_)) => true,
            _ => false,
        }
    }

    /// The HTTP status of the publisher contract's table.
    pub fn status(&self) -> u16 {
        match self {
            PublishError::Lms(e) => lms_status(e),
            PublishError::Course(e) => course_status(e),
            PublishError::UnknownAssets(_) | PublishError::Invalid { .. } => 422,
            PublishError::MoodleCourseNotFound(_) | PublishError::JobNotFound(_) => 404,
            PublishError::Moodle { error, .. } if is_unreachable(error) => 503,
            PublishError::Moodle { error, .. } => moodle_status(error),
            PublishError::AssetsFailed { status, .. } => *status,
            PublishError::Internal(_) => 500,
            PublishError::DatabaseUnavailable(_) => 503,
        }
    }

    /// The `detail` text: what the seed says for its cases, a curated reason otherwise.
    pub fn detail(&self) -> String {
        match self {
            PublishError::Lms(e) => lms_detail(e),
            PublishError::Course(CourseError::CourseNotFound(_)) => "Course not found".to_owned(),
            PublishError::Course(CourseError::Storage(StorageError::TooLarge { limit })) => {
                format!("file: larger than the limit of {limit} bytes")
            }
            PublishError::Course(CourseError::Storage(StorageError::Source(_))) => {
                "file: the upload broke off".to_owned()
            }
            PublishError::Course(CourseError::Database(e)) if crate::db::is_unavailable(e) => {
                UNAVAILABLE.to_owned()
            }
            PublishError::Course(CourseError::Storage(e)) if e.is_unavailable() => {
                "The bridge's file storage is unavailable; nothing was kept, try again shortly"
                    .to_owned()
            }
            PublishError::Course(CourseError::Storage(_) | CourseError::Database(_)) => {
                "Internal error: the bridge's store failed".to_owned()
            }
            PublishError::Course(e) => e.to_string(),
            PublishError::UnknownAssets(names) => format!("Unknown assets: {}", names.join(", ")),
            PublishError::Invalid { field, reason } => format!("{field}: {reason}"),
            PublishError::MoodleCourseNotFound(id) => format!("Moodle course {id} not found"),
            PublishError::Moodle { error, .. } if is_unreachable(error) => {
                unreachable_detail(error)
            }
            PublishError::Moodle { what, error } => {
                format!("LMS export failed: {what}: {}", moodle_reason(error))
            }
            PublishError::AssetsFailed { .. } => format!("LMS export failed: {self}"),
            PublishError::JobNotFound(_) => "Job not found".to_owned(),
            PublishError::Internal(_) => "LMS export failed: internal error".to_owned(),
            PublishError::DatabaseUnavailable(_) => UNAVAILABLE.to_owned(),
        }
    }

    /// `{status, detail}` as stored with a failed job (plus the report when there is one).
    pub fn to_json(&self) -> Value {
        let mut v = json!({"status": self.status(), "detail": self.detail()});
        if let PublishError::AssetsFailed { report, .. } = self {
            v["data"] = (**report).clone();
        }
        v
    }

    /// Seconds to wait before trying again, for `Retry-After`.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            PublishError::Moodle {
                error: moodle_ws::Error::CircuitOpen { retry_in },
                ..
            }
            | PublishError::Lms(LmsError::Unreachable(moodle_ws::Error::CircuitOpen {
                retry_in,
            })) => Some(retry_in.as_secs().max(1)),
            _ => None,
        }
    }
}

/// The status of an LMS error (login and token routes use it too).
pub fn lms_status(e: &LmsError) -> u16 {
    match e {
        LmsError::MissingToken
        | LmsError::MockToken
        | LmsError::SiteMismatch(_)
        | LmsError::NotRevocable => 400,
        LmsError::TokenRejected | LmsError::InvalidCredentials => 401,
        LmsError::LoginRefused { .. } => 403,
        LmsError::UnknownSite { .. } => 422,
        LmsError::Unreachable(_) => 503,
        LmsError::Moodle(_) => 502,
        LmsError::Internal(_) => 500,
        LmsError::DatabaseUnavailable(_) => 503,
    }
}

/// The `detail` of an LMS error.
pub fn lms_detail(e: &LmsError) -> String {
    match e {
        LmsError::MissingToken | LmsError::MockToken => "Invalid or expired LMS token".to_owned(),
        LmsError::TokenRejected => "LMS token expired or invalid".to_owned(),
        LmsError::InvalidCredentials => "Invalid LMS credentials".to_owned(),
        LmsError::LoginRefused { message, .. } => format!("LMS login refused: {message}"),
        LmsError::UnknownSite { name, known } => {
            format!(
                "lms: unknown LMS {name:?}; configured: {}",
                known.join(", ")
            )
        }
        LmsError::SiteMismatch(site) => format!("X-LMS-Site: the LMS token belongs to {site:?}"),
        LmsError::NotRevocable => "Only LMS tokens from /api/login-lms can be revoked".to_owned(),
        LmsError::Unreachable(e) => unreachable_detail(e),
        LmsError::Moodle(e) => format!("LMS answered unexpectedly: {}", moodle_reason(e)),
        LmsError::Internal(_) => "LMS login failed: internal error".to_owned(),
        LmsError::DatabaseUnavailable(_) => UNAVAILABLE.to_owned(),
    }
}

fn course_status(e: &CourseError) -> u16 {
    match e {
        CourseError::CourseNotFound(_) | CourseError::AssetNotFound { .. } => 404,
        CourseError::AssetExists { .. } => 409,
        CourseError::Invalid { .. } => 422,
        CourseError::Storage(StorageError::TooLarge { .. }) => 413,
        CourseError::Storage(StorageError::Source(_)) => 400,
        CourseError::Database(e) if crate::db::is_unavailable(e) => 503,
        CourseError::Storage(e) if e.is_unavailable() => 503,
        CourseError::Storage(_) | CourseError::Database(_) => 500,
    }
}

/// The `detail` when the bridge's own database cannot be reached.
const UNAVAILABLE: &str = "The bridge's database is unavailable; try again shortly";

fn unreachable_detail(e: &moodle_ws::Error) -> String {
    match e {
        moodle_ws::Error::CircuitOpen { retry_in } => format!(
            "LMS unavailable: Moodle is treated as unreachable after repeated failures; next attempt in {} s",
            retry_in.as_secs().max(1)
        ),
        moodle_ws::Error::Timeout(_) => {
            "Request timeout - LMS server took too long to respond".to_owned()
        }
        e if e.moodle_errorcode() == Some("sitemaintenance") => {
            "LMS unavailable: the Moodle site is in maintenance".to_owned()
        }
        _ => "Connection error - Could not connect to LMS server".to_owned(),
    }
}

/// 401 and 403 for Moodle's token and permission refusals, 500 for the rest (the publisher
/// contract's `LMS export failed: <reason>`).
pub fn moodle_status(e: &moodle_ws::Error) -> u16 {
    match e.status_hint().status {
        403 => 403,
        401 => 401,
        _ => 500,
    }
}

/// Moodle's code and message (both already scrubbed of tokens and paths by `moodle_ws`).
pub fn moodle_reason(e: &moodle_ws::Error) -> String {
    use moodle_ws::Error as E;
    match e {
        // Moodle's word for a function missing from the token's service.
        E::Exception {
            errorcode, message, ..
        } if errorcode == "accessexception" => format!(
            "{message} ({errorcode}: the function is not in the service users log in to; see MOODLE_SERVICE)"
        ),
        E::Exception {
            errorcode, message, ..
        }
        | E::Endpoint {
            errorcode, message, ..
        } => format!("{message} ({errorcode})"),
        E::Warnings(w) => w
            .first()
            .map(|w| format!("{} ({})", w.message, w.warningcode))
            .unwrap_or_default(),
        E::FileRejected {
            errortype, message, ..
        } => format!("{message} ({errortype})"),
        E::Decode { .. } | E::Status { .. } => {
            "Moodle sent an answer the bridge cannot read".to_owned()
        }
        E::InvalidRequest { reason } => reason.clone(),
        other => other.to_string(),
    }
}
