//! Typed requests and responses for the Moodle web-service functions the project uses,
//! one module per Moodle area (the same file names as `moodle-sim/src/ws/`). Each module
//! holds its functions as `pub const` [`Function`]s (the only place each name is written,
//! each declared read-only or writing where it is named), the request and response types,
//! and the `Client` methods named by the function's verb phrase.
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

/// Moodle's text formats the project sends, the `…format` fields of texts (`lib/weblib.php`).
pub mod text_format {
    /// `FORMAT_HTML`.
    pub const HTML: i64 = 1;
    /// `FORMAT_MARKDOWN`.
    pub const MARKDOWN: i64 = 4;
}

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Warning, warnings_to_error};

/// A Moodle web-service function: its name, and whether it only reads. Only reads are ever
/// repeated after a failure: a write that timed out may still have been applied, and Moodle
/// has no idempotency keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Function {
    name: &'static str,
    read_only: bool,
}

impl Function {
    /// A function that only reads (safe to repeat).
    pub const fn read(name: &'static str) -> Function {
        Function {
            name,
            read_only: true,
        }
    }

    /// A function that changes something in Moodle (never repeated).
    pub const fn write(name: &'static str) -> Function {
        Function {
            name,
            read_only: false,
        }
    }

    /// Moodle's name for it (`core_course_get_courses`).
    pub const fn name(self) -> &'static str {
        self.name
    }

    /// Whether it only reads.
    pub const fn is_read_only(self) -> bool {
        self.read_only
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_that_changes_moodle_is_declared_a_write() {
        let all = [
            assign::GET_ASSIGNMENTS,
            assign::GET_SUBMISSIONS,
            category::GET_CATEGORIES,
            category::CREATE_CATEGORIES,
            course::GET_COURSES,
            course::GET_COURSES_BY_FIELD,
            course::SEARCH_COURSES,
            course::CREATE_COURSES,
            course::UPDATE_COURSES,
            course::DELETE_COURSES,
            course::GET_CONTENTS,
            course::GET_COURSE_MODULE,
            course::DELETE_MODULES,
            courseformat::UPDATE_COURSE,
            enrol::ENROL_USERS,
            enrol::GET_ENROLLED_USERS,
            files::GET_FILES,
            files::UPLOAD,
            local_bridge::CREATE_PAGE,
            local_bridge::CREATE_RESOURCE,
            local_bridge::CREATE_URL,
            local_bridge::CREATE_FORUM,
            local_bridge::UPDATE_MODULE,
            local_bridge::FIND_MODULES_BY_IDNUMBER,
            local_bridge::LIST_USER_FILES,
            local_bridge::CREATE_QUIZ,
            local_bridge::UPDATE_QUIZ,
            local_bridge::CREATE_MODULES,
            logintoken::VALIDATE_TOKEN,
            message::GET_POPUP_NOTIFICATIONS,
            message::GET_UNREAD_POPUP_NOTIFICATION_COUNT,
            mobile::GET_PUBLIC_CONFIG,
            site::GET_SITE_INFO,
            user::GET_USERS_BY_FIELD,
            user::CREATE_USERS,
            user::ADD_USER_PRIVATE_FILES,
        ];
        let writes = [
            "create",
            "update",
            "delete",
            "enrol_users",
            "upload",
            "add_user",
        ];
        for f in all {
            let writes_something = writes.iter().any(|w| f.name().contains(w));
            assert_eq!(
                f.is_read_only(),
                !writes_something,
                "{f} is declared {}",
                if f.is_read_only() {
                    "read-only"
                } else {
                    "a write"
                }
            );
        }
    }
}
