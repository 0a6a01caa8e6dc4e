//! `FileError`: every way a file-manager operation fails, in the file manager's words, with a
//! stable code for each; the HTTP status, message and body are chosen in
//! `http/error/file_manager.rs`.

use crate::storage::StorageError;

/// Why a file-manager operation failed.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// A launch asked about a course other than its own.
    #[error("course {course} is not the course this tool was launched from")]
    OtherCourse {
        /// The course asked for.
        course: i64,
    },
    /// The launch's context is not a Moodle course.
    #[error("this launch has no Moodle course")]
    NoCourse,
    /// An API caller gave no course.
    #[error("course_id is required")]
    CourseRequired,
    /// The user is not a participant of the course.
    #[error("user {user} is not enrolled in course {course}")]
    NotEnrolled {
        /// The user.
        user: i64,
        /// The course.
        course: i64,
    },
    /// The user takes part in the course, but not as a learner: the file manager serves
    /// learners' files only (a teacher's or manager's files are theirs).
    #[error("user {user} is not a learner of course {course}")]
    NotALearner {
        /// The user.
        user: i64,
        /// The course.
        course: i64,
    },
    /// No stored file with this id is visible to the caller.
    #[error("file {id} not found")]
    NotFound {
        /// The id asked for.
        id: String,
    },
    /// A value of the request is wrong.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A file is larger than `MAX_UPLOAD_MB`.
    #[error("the file is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The platform has no Moodle web-service token configured.
    #[error(
        "platform {platform} has no Moodle web-service token; set one with moodle-bridge lti add"
    )]
    NoMoodleToken {
        /// The registration id.
        platform: String,
    },
    /// The platform's registration is gone.
    #[error("platform {platform} is not registered")]
    UnknownPlatform {
        /// The registration id.
        platform: String,
    },
    /// Moodle failed or refused.
    #[error("moodle: {0}")]
    Moodle(#[from] moodle_ws::Error),
    /// Storage failed (too large and broken uploads are their own variants).
    #[error("storage: {0}")]
    Storage(StorageError),
    /// The upload or Moodle's download broke off.
    #[error("the transfer broke off: {0}")]
    Interrupted(String),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl From<StorageError> for FileError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::TooLarge { limit } => FileError::TooLarge { limit },
            StorageError::Source(reason) => FileError::Interrupted(reason),
            other => FileError::Storage(other),
        }
    }
}

impl FileError {
    /// A short stable code for what went wrong (`othercourse`, `notenrolled`, `toolarge`,
    /// Moodle's code or the kind of a failure Moodle did not name, …): the answers' `code`
    /// and the audit log's outcome.
    pub fn code(&self) -> String {
        match self {
            FileError::OtherCourse { .. } => "othercourse".to_owned(),
            FileError::NoCourse => "nocourse".to_owned(),
            FileError::CourseRequired | FileError::Invalid { .. } => "invalidparameter".to_owned(),
            FileError::NotEnrolled { .. } => "notenrolled".to_owned(),
            FileError::NotALearner { .. } => "notalearner".to_owned(),
            FileError::NotFound { .. } => "notfound".to_owned(),
            FileError::TooLarge { .. } => "toolarge".to_owned(),
            FileError::NoMoodleToken { .. } => "nomoodletoken".to_owned(),
            FileError::UnknownPlatform { .. } => "unknownplatform".to_owned(),
            FileError::Moodle(e) => e.code().unwrap_or(e.kind().as_str()).to_owned(),
            FileError::Storage(e) if e.is_unavailable() => "storageunavailable".to_owned(),
            FileError::Storage(_) => "storagefailed".to_owned(),
            FileError::Interrupted(_) => "interrupted".to_owned(),
            FileError::Database(e) if crate::db::is_unavailable(e) => {
                "databaseunavailable".to_owned()
            }
            FileError::Database(_) => "servererror".to_owned(),
        }
    }
}
