//! `CourseError`: what can go wrong in the local store, in its own words; the status each
//! gets is chosen with the publisher's (`publish/error.rs`).

use super::invalid::Invalid;
use crate::storage::StorageError;

/// Why a local-store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CourseError {
    /// No course with this id belongs to the caller.
    #[error("course {0} not found")]
    CourseNotFound(String),
    /// The course has no asset with this name.
    #[error("asset {name:?} not found in course {course}")]
    AssetNotFound {
        /// The course.
        course: i64,
        /// The name.
        name: String,
    },
    /// The name is taken in the course.
    #[error("asset {name:?} already exists in course {course}")]
    AssetExists {
        /// The course.
        course: i64,
        /// The name.
        name: String,
    },
    /// A field is invalid.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field (`asset_content.questions[0].options`).
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// Storage failed (a file too large is [`StorageError::TooLarge`]).
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl CourseError {
    pub(super) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> CourseError {
        CourseError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<Invalid> for CourseError {
    fn from(i: Invalid) -> Self {
        CourseError::Invalid {
            field: i.field,
            reason: i.reason,
        }
    }
}
