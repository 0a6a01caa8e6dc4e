//! Typed requests and responses for the Moodle web-service functions the project uses,
//! one module per Moodle area (the same file names as `moodle-sim/src/ws/`). Each module
//! holds its functions' names as `pub const`s (the only place each name is written), the
//! request and response types, and the `Client` methods named by the function's verb phrase.
//!
//! Response types accept what Moodle really sends: unknown keys are ignored, optional keys
//! may be missing or `null`, ids may be numbers or strings (see [`lenient`]).

pub mod assign;
pub mod category;
pub mod course;
pub mod courseformat;
pub mod enrol;
pub mod files;
pub mod lenient;
pub mod local_bridge;
pub mod logintoken;
pub mod message;
pub mod mobile;
pub mod site;
pub mod user;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Warning, warnings_to_error};

/// A response that may carry per-item `warnings[]` next to its data.
pub trait ItemWarnings: Sized {
    /// The warnings Moodle reported.
    fn warnings(&self) -> &[Warning];

    /// The response itself when there are no warnings, else [`Error::Warnings`].
    ///
    /// # Errors
    /// [`Error::Warnings`] with every warning when there is at least one.
    fn fail_on_warnings(self) -> Result<Self, Error> {
        warnings_to_error(self.warnings())?;
        Ok(self)
    }
}

/// The answer of functions that only report warnings (`core_course_update_courses`,
/// `core_course_delete_courses`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Warnings {
    /// Per-item failures; empty when every item succeeded.
    #[serde(default, deserialize_with = "lenient::list")]
    pub warnings: Vec<Warning>,
}

impl ItemWarnings for Warnings {
    fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
}

/// One `{name, value}` option, the shape many functions take for options lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NameValue {
    /// The option name.
    pub name: &'static str,
    /// The option value as Moodle reads it.
    pub value: String,
}

impl NameValue {
    pub(crate) fn new(name: &'static str, value: impl ToString) -> Self {
        NameValue {
            name,
            value: value.to_string(),
        }
    }

    pub(crate) fn flag(name: &'static str, on: bool) -> Self {
        NameValue {
            name,
            value: if on { "1" } else { "0" }.to_owned(),
        }
    }
}

/// Comma-separated ids, as `ids` criteria take them.
pub(crate) fn join_ids(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod transcripts;
