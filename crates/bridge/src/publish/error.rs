//! `PublishError`: what can go wrong in a push, in the publisher's words: its [`FailureClass`]
//! (what kind of failure it is; the HTTP status of each class is chosen in
//! `http/error/detail.rs` alone) and the curated `detail` of the publisher contract
//! (`"LMS export failed: <reason>"`, never a lower layer's text with internals).

use serde::{Deserialize, Serialize};
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
    /// `enrol` names a role the bridge may not give (`GATEWAY_ENROL_ROLE_IDS`).
    #[error("{field}: role {role} (Moodle role {role_id}) may not be given")]
    RoleForbidden {
        /// The field (`enrol[1].role`).
        field: String,
        /// The role's name.
        role: String,
        /// Its Moodle role id.
        role_id: i64,
        /// The roles the bridge may give.
        allowed: Vec<i64>,
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
        /// Its class (a permission refusal, or a failure).
        class: FailureClass,
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

/// What kind of failure a publisher error is. Stored with failed jobs, so it names meanings,
/// not statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    /// The request itself is malformed (no LMS token, a mock token, another site's token).
    Malformed,
    /// The LMS token or the credentials were refused.
    Unauthenticated,
    /// Moodle refused the user or a permission.
    Forbidden,
    /// The course, asset, job or Moodle course is not there.
    NotFound,
    /// The asset name is taken.
    Conflict,
    /// A file is larger than the limit.
    TooLarge,
    /// A value of the request is invalid.
    Invalid,
    /// Moodle, the database or the storage cannot be reached now.
    Unavailable,
    /// Moodle answered something the publisher cannot use.
    BadUpstream,
    /// The export failed (Moodle refused a step for another reason, or the bridge failed).
    Failed,
}

impl FailureClass {
    /// Its name, as stored with failed jobs (`unavailable`, `forbidden`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            FailureClass::Malformed => "malformed",
            FailureClass::Unauthenticated => "unauthenticated",
            FailureClass::Forbidden => "forbidden",
            FailureClass::NotFound => "not_found",
            FailureClass::Conflict => "conflict",
            FailureClass::TooLarge => "too_large",
            FailureClass::Invalid => "invalid",
            FailureClass::Unavailable => "unavailable",
            FailureClass::BadUpstream => "bad_upstream",
            FailureClass::Failed => "failed",
        }
    }
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

    /// What kind of failure this is.
    pub fn class(&self) -> FailureClass {
        match self {
            PublishError::Lms(e) => lms_class(e),
            PublishError::Course(e) => course_class(e),
            PublishError::UnknownAssets(_) | PublishError::Invalid { .. } => FailureClass::Invalid,
            PublishError::RoleForbidden { .. } => FailureClass::Forbidden,
            PublishError::MoodleCourseNotFound(_) | PublishError::JobNotFound(_) => {
                FailureClass::NotFound
            }
            PublishError::Moodle { error, .. } if is_unreachable(error) => {
                FailureClass::Unavailable
            }
            PublishError::Moodle { error, .. } => moodle_class(error),
            PublishError::AssetsFailed { class, .. } => *class,
            PublishError::Internal(_) => FailureClass::Failed,
            PublishError::DatabaseUnavailable(_) => FailureClass::Unavailable,
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
            PublishError::RoleForbidden {
                field,
                role,
                role_id,
                allowed,
            } => format!(
                "{field}: the role {role} (Moodle role {role_id}) may not be given through the bridge; GATEWAY_ENROL_ROLE_IDS allows {}",
                allowed
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
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

    /// `{class, detail}` as stored with a failed job (plus the report when there is one); the
    /// HTTP layer adds the status of the class when it shows the job.
    pub fn to_json(&self) -> Value {
        let mut v = json!({"class": self.class(), "detail": self.detail()});
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

/// The class of an LMS error (login and token routes answer it too).
pub fn lms_class(e: &LmsError) -> FailureClass {
    match e {
        LmsError::MissingToken
        | LmsError::MockToken
        | LmsError::SiteMismatch(_)
        | LmsError::NotRevocable => FailureClass::Malformed,
        LmsError::TokenRejected | LmsError::InvalidCredentials => FailureClass::Unauthenticated,
        LmsError::LoginRefused { .. } => FailureClass::Forbidden,
        LmsError::UnknownSite { .. } => FailureClass::Invalid,
        LmsError::Unreachable(_) | LmsError::DatabaseUnavailable(_) => FailureClass::Unavailable,
        LmsError::Moodle(_) => FailureClass::BadUpstream,
        LmsError::Internal(_) => FailureClass::Failed,
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

fn course_class(e: &CourseError) -> FailureClass {
    match e {
        CourseError::CourseNotFound(_) | CourseError::AssetNotFound { .. } => {
            FailureClass::NotFound
        }
        CourseError::AssetExists { .. } => FailureClass::Conflict,
        CourseError::Invalid { .. } => FailureClass::Invalid,
        CourseError::Storage(StorageError::TooLarge { .. }) => FailureClass::TooLarge,
        CourseError::Storage(StorageError::Source(_)) => FailureClass::Malformed,
        CourseError::Database(e) if crate::db::is_unavailable(e) => FailureClass::Unavailable,
        CourseError::Storage(e) if e.is_unavailable() => FailureClass::Unavailable,
        CourseError::Storage(_) | CourseError::Database(_) => FailureClass::Failed,
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

/// A Moodle refusal of a step: a permission refusal, a conflict with what Moodle holds
/// (e.g. `quizhasattempts`: the questions of a quiz learners attempted cannot be replaced),
/// or a failed export (the publisher contract: "anything else"); a refused token is a
/// refused token.
pub fn moodle_class(e: &moodle_ws::Error) -> FailureClass {
    match e.kind() {
        moodle_ws::ErrorKind::Permission => FailureClass::Forbidden,
        moodle_ws::ErrorKind::Auth => FailureClass::Unauthenticated,
        moodle_ws::ErrorKind::Conflict => FailureClass::Conflict,
        _ => FailureClass::Failed,
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
