//! Response types of the course functions.

use serde::{Deserialize, Serialize};

use crate::error::Warning;
use crate::functions::files::FileRef;
use crate::functions::{ItemWarnings, lenient};

/// A course as `core_course_get_courses` returns it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Course {
    /// Course id.
    #[serde(deserialize_with = "lenient::int")]
    pub id: i64,
    /// Short name (unique).
    #[serde(deserialize_with = "lenient::string")]
    pub shortname: String,
    /// Category id (0 for the front page).
    #[serde(deserialize_with = "lenient::int")]
    pub categoryid: i64,
    /// Full name.
    #[serde(deserialize_with = "lenient::string")]
    pub fullname: String,
    /// Display name.
    #[serde(deserialize_with = "lenient::string")]
    pub displayname: String,
    /// ID number (empty when unset).
    #[serde(deserialize_with = "lenient::string")]
    pub idnumber: String,
    /// Summary (HTML by default).
    #[serde(deserialize_with = "lenient::string")]
    pub summary: String,
    /// Summary format (1 = HTML).
    #[serde(deserialize_with = "lenient::int")]
    pub summaryformat: i64,
    /// Course format (`topics`, `weeks`, `site`, …).
    #[serde(deserialize_with = "lenient::string")]
    pub format: String,
    /// Start time (Unix seconds).
    #[serde(deserialize_with = "lenient::int")]
    pub startdate: i64,
    /// End time (0 = none).
    #[serde(deserialize_with = "lenient::int")]
    pub enddate: i64,
    /// Number of sections, when the format has the setting.
    #[serde(deserialize_with = "lenient::opt_int")]
    pub numsections: Option<i64>,
    /// Visible to students.
    #[serde(deserialize_with = "lenient::boolean")]
    pub visible: bool,
    /// Completion tracking on.
    #[serde(deserialize_with = "lenient::boolean")]
    pub enablecompletion: bool,
    /// Forced language (empty = none).
    #[serde(deserialize_with = "lenient::string")]
    pub lang: String,
    /// Creation time.
    #[serde(deserialize_with = "lenient::int")]
    pub timecreated: i64,
    /// Last change.
    #[serde(deserialize_with = "lenient::int")]
    pub timemodified: i64,
    /// Course-format options.
    #[serde(deserialize_with = "lenient::list")]
    pub courseformatoptions: Vec<FormatOption>,
    /// Custom fields.
    #[serde(deserialize_with = "lenient::list")]
    pub customfields: Vec<CustomField>,
}

/// A course as the searching functions return it (`get_courses_by_field`, `search_courses`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct CourseSummary {
    /// Course id.
    #[serde(deserialize_with = "lenient::int")]
    pub id: i64,
    /// Full name.
    #[serde(deserialize_with = "lenient::string")]
    pub fullname: String,
    /// Display name.
    #[serde(deserialize_with = "lenient::string")]
    pub displayname: String,
    /// Short name.
    #[serde(deserialize_with = "lenient::string")]
    pub shortname: String,
    /// Category id.
    #[serde(deserialize_with = "lenient::int")]
    pub categoryid: i64,
    /// Category name.
    #[serde(deserialize_with = "lenient::string")]
    pub categoryname: String,
    /// Summary.
    #[serde(deserialize_with = "lenient::string")]
    pub summary: String,
    /// Summary format.
    #[serde(deserialize_with = "lenient::int")]
    pub summaryformat: i64,
    /// Course image URL.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub courseimage: Option<String>,
    /// Overview files.
    #[serde(deserialize_with = "lenient::list")]
    pub overviewfiles: Vec<FileRef>,
    /// Course contacts (teachers).
    #[serde(deserialize_with = "lenient::list")]
    pub contacts: Vec<Contact>,
    /// Enrolment methods (`manual`, `self`, …).
    #[serde(deserialize_with = "lenient::list")]
    pub enrollmentmethods: Vec<String>,
    /// ID number (only for users who may see it).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub idnumber: Option<String>,
    /// Format.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub format: Option<String>,
    /// Start time.
    #[serde(deserialize_with = "lenient::opt_int")]
    pub startdate: Option<i64>,
    /// End time.
    #[serde(deserialize_with = "lenient::opt_int")]
    pub enddate: Option<i64>,
    /// Visible.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub visible: Option<bool>,
    /// Last change.
    #[serde(deserialize_with = "lenient::opt_int")]
    pub timemodified: Option<i64>,
    /// Course-format options.
    #[serde(deserialize_with = "lenient::list")]
    pub courseformatoptions: Vec<FormatOption>,
    /// Custom fields.
    #[serde(deserialize_with = "lenient::list")]
    pub customfields: Vec<CustomField>,
}

/// A course contact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Contact {
    /// User id.
    #[serde(deserialize_with = "lenient::int")]
    pub id: i64,
    /// Full name.
    #[serde(deserialize_with = "lenient::string")]
    pub fullname: String,
}

/// A course-format option (`{name, value}`; the value may be a number or a string).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FormatOption {
    /// Option name (`hiddensections`, `coursedisplay`, …).
    pub name: String,
    /// Its value.
    #[serde(deserialize_with = "lenient::string")]
    pub value: String,
}

/// A custom field of a course as returned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct CustomField {
    /// Field name.
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// Short name.
    #[serde(deserialize_with = "lenient::string")]
    pub shortname: String,
    /// Field type.
    #[serde(rename = "type", deserialize_with = "lenient::string")]
    pub kind: String,
    /// Raw value.
    #[serde(deserialize_with = "lenient::string")]
    pub valueraw: String,
    /// Formatted value.
    #[serde(deserialize_with = "lenient::string")]
    pub value: String,
}

/// A custom field value to set (`{shortname, value}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomFieldValue {
    /// Field short name.
    pub shortname: String,
    /// The value.
    pub value: String,
}

/// `core_course_get_courses_by_field` answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct CoursesByField {
    /// The courses found.
    #[serde(deserialize_with = "lenient::list")]
    pub courses: Vec<CourseSummary>,
    /// Per-item warnings.
    #[serde(deserialize_with = "lenient::list")]
    pub warnings: Vec<Warning>,
}

impl ItemWarnings for CoursesByField {
    fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
}

/// `core_course_search_courses` answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct SearchResult {
    /// Matches in total (all pages).
    #[serde(deserialize_with = "lenient::int")]
    pub total: i64,
    /// This page's courses.
    #[serde(deserialize_with = "lenient::list")]
    pub courses: Vec<CourseSummary>,
    /// Per-item warnings.
    #[serde(deserialize_with = "lenient::list")]
    pub warnings: Vec<Warning>,
}

impl ItemWarnings for SearchResult {
    fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
}

/// A created course.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct CreatedCourse {
    /// New course id.
    #[serde(deserialize_with = "lenient::int")]
    pub id: i64,
    /// Its short name.
    #[serde(deserialize_with = "lenient::string")]
    pub shortname: String,
}
