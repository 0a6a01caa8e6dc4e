//! `core_courseformat_update_course`: course-format state actions (`section_add`,
//! `section_hide`, `cm_show`, `cm_delete`, …), the only core way to add sections.
//!
//! Moodle answers a JSON **string** that holds the JSON list of state updates (double
//! encoding); both layers are decoded here.

use crate::functions::Function;
use serde::{Deserialize, Serialize};

use super::lenient;
use crate::client::Client;
use crate::decode;
use crate::error::Error;

/// `core_courseformat_update_course`.
pub const UPDATE_COURSE: Function = Function::write("core_courseformat_update_course");

/// A state action on a course.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CourseFormatAction {
    /// The action (`section_add`, `section_hide`, `cm_delete`, …).
    pub action: String,
    /// The course.
    pub courseid: i64,
    /// The sections or modules acted on.
    pub ids: Vec<i64>,
    /// Target section, for moves and adds.
    pub targetsectionid: Option<i64>,
    /// Target module, for moves.
    pub targetcmid: Option<i64>,
}

impl CourseFormatAction {
    /// An action on a course with no ids or targets yet.
    pub fn new(action: impl Into<String>, courseid: i64) -> Self {
        CourseFormatAction {
            action: action.into(),
            courseid,
            ..CourseFormatAction::default()
        }
    }
}

/// One state update (`{name: course|section|cm, action: put|remove, fields}`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct StateUpdate {
    /// `course`, `section` or `cm`.
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// `put`, `remove`, ….
    #[serde(deserialize_with = "lenient::string")]
    pub action: String,
    /// The object's fields (ids come as strings here).
    pub fields: serde_json::Map<String, serde_json::Value>,
}

impl StateUpdate {
    /// The object's id (`fields.id`, a string holding a number).
    pub fn id(&self) -> Option<i64> {
        match self.fields.get("id")? {
            serde_json::Value::String(s) => s.parse().ok(),
            serde_json::Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Encoded {
    Text(String),
    Direct(Vec<StateUpdate>),
}

impl Client {
    /// Runs a course-format state action and returns the resulting state updates.
    /// Never retried.
    ///
    /// # Errors
    /// Moodle's exceptions (an unknown action comes with the action in its code) and other
    /// [`Error`]s.
    pub async fn update_course(
        &self,
        action: &CourseFormatAction,
    ) -> Result<Vec<StateUpdate>, Error> {
        match self.call::<_, Encoded>(UPDATE_COURSE, action).await? {
            Encoded::Direct(updates) => Ok(updates),
            Encoded::Text(json) => serde_json::from_str(&json)
                .map_err(|e| decode::json_error(&e, json.as_bytes(), self.secret())),
        }
    }
}
