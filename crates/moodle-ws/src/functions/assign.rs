//! Assignments (`mod/assign/externallib.php`): assignments by course and their
//! submissions with file URLs. Missing rights come back as warnings with numeric codes
//! (`"1"`, `"2"`), not errors.

use crate::functions::Function;
use serde::{Deserialize, Serialize};

use super::files::FileRef;
use super::{ItemWarnings, lenient};
use crate::client::Client;
use crate::error::{Error, Warning};

/// `mod_assign_get_assignments`.
pub const GET_ASSIGNMENTS: Function = Function::read("mod_assign_get_assignments");
/// `mod_assign_get_submissions`.
pub const GET_SUBMISSIONS: Function = Function::read("mod_assign_get_submissions");

/// `mod_assign_get_assignments` answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct AssignmentsByCourse {
    /// Courses with their assignments.
    #[serde(deserialize_with = "lenient::list")]
    pub courses: Vec<AssignCourse>,
    /// Courses the user may not see (code `"2"`).
    #[serde(deserialize_with = "lenient::list")]
    pub warnings: Vec<Warning>,
}

impl ItemWarnings for AssignmentsByCourse {
    fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
}

/// A course and its assignments.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct AssignCourse {
    /// Course id.
    #[serde(deserialize_with = "lenient::int")]
    pub id: i64,
    /// Full name.
    #[serde(deserialize_with = "lenient::string")]
    pub fullname: String,
    /// Short name.
    #[serde(deserialize_with = "lenient::string")]
    pub shortname: String,
    /// The assignments.
    #[serde(deserialize_with = "lenient::list")]
    pub assignments: Vec<Assignment>,
}

/// An assignment.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Assignment {
    /// Assignment id.
    #[serde(deserialize_with = "lenient::int")]
    pub id: i64,
    /// Course module id.
    #[serde(deserialize_with = "lenient::int")]
    pub cmid: i64,
    /// Course id.
    #[serde(deserialize_with = "lenient::int")]
    pub course: i64,
    /// Name.
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// Due date (0 = none).
    #[serde(deserialize_with = "lenient::int")]
    pub duedate: i64,
    /// Submissions open from.
    #[serde(deserialize_with = "lenient::int")]
    pub allowsubmissionsfromdate: i64,
    /// Cut-off date (0 = none).
    #[serde(deserialize_with = "lenient::int")]
    pub cutoffdate: i64,
    /// Maximum grade (negative = a scale id).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub grade: Option<String>,
    /// Group submissions.
    #[serde(deserialize_with = "lenient::boolean")]
    pub teamsubmission: bool,
    /// Description (HTML).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub intro: Option<String>,
    /// Files attached to the description.
    #[serde(deserialize_with = "lenient::list")]
    pub introattachments: Vec<FileRef>,
    /// Plugin settings.
    #[serde(deserialize_with = "lenient::list")]
    pub configs: Vec<AssignConfig>,
    /// Last change.
    #[serde(deserialize_with = "lenient::int")]
    pub timemodified: i64,
}

/// A plugin setting of an assignment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct AssignConfig {
    /// Plugin (`file`, `onlinetext`, …).
    #[serde(deserialize_with = "lenient::string")]
    pub plugin: String,
    /// `assignsubmission` or `assignfeedback`.
    #[serde(deserialize_with = "lenient::string")]
    pub subtype: String,
    /// Setting name.
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// Value.
    #[serde(deserialize_with = "lenient::string")]
    pub value: String,
}

/// Which submissions to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SubmissionsQuery {
    /// The assignments.
    pub assignmentids: Vec<i64>,
    /// Only this status (`submitted`, `draft`, …).
    pub status: Option<String>,
    /// Changed since.
    pub since: Option<i64>,
    /// Changed before.
    pub before: Option<i64>,
}

/// `mod_assign_get_submissions` answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Submissions {
    /// Submissions per assignment.
    #[serde(deserialize_with = "lenient::list")]
    pub assignments: Vec<AssignmentSubmissions>,
    /// Assignments the user may not grade (code `"1"`).
    #[serde(deserialize_with = "lenient::list")]
    pub warnings: Vec<Warning>,
}

impl ItemWarnings for Submissions {
    fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
}

/// The submissions of one assignment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct AssignmentSubmissions {
    /// Assignment id.
    #[serde(deserialize_with = "lenient::int")]
    pub assignmentid: i64,
    /// Submissions, in database order.
    #[serde(deserialize_with = "lenient::list")]
    pub submissions: Vec<Submission>,
}

/// One submission.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Submission {
    /// Submission id.
    #[serde(deserialize_with = "lenient::int")]
    pub id: i64,
    /// Student.
    #[serde(deserialize_with = "lenient::int")]
    pub userid: i64,
    /// Attempt number, from 0.
    #[serde(deserialize_with = "lenient::int")]
    pub attemptnumber: i64,
    /// Last change.
    #[serde(deserialize_with = "lenient::int")]
    pub timemodified: i64,
    /// `new`, `draft`, `submitted`, `reopened`.
    #[serde(deserialize_with = "lenient::string")]
    pub status: String,
    /// Group (team submissions).
    #[serde(deserialize_with = "lenient::int")]
    pub groupid: i64,
    /// `graded`, `notgraded`, ….
    #[serde(deserialize_with = "lenient::opt_string")]
    pub gradingstatus: Option<String>,
    /// Submission plugins with their files and texts.
    #[serde(deserialize_with = "lenient::list")]
    pub plugins: Vec<SubmissionPlugin>,
}

impl Submission {
    /// Every file of the submission.
    pub fn files(&self) -> impl Iterator<Item = &FileRef> {
        self.plugins
            .iter()
            .flat_map(|p| &p.fileareas)
            .flat_map(|a| &a.files)
    }
}

/// A submission plugin's data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SubmissionPlugin {
    /// Plugin (`file`, `onlinetext`, `comments`).
    #[serde(rename = "type", deserialize_with = "lenient::string")]
    pub kind: String,
    /// Display name.
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// File areas.
    #[serde(deserialize_with = "lenient::list")]
    pub fileareas: Vec<FileArea>,
    /// Editor texts (online text).
    #[serde(deserialize_with = "lenient::list")]
    pub editorfields: Vec<EditorField>,
}

/// A file area of a submission plugin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct FileArea {
    /// Area name.
    #[serde(deserialize_with = "lenient::string")]
    pub area: String,
    /// Files.
    #[serde(deserialize_with = "lenient::list")]
    pub files: Vec<FileRef>,
}

/// An editor text of a submission plugin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct EditorField {
    /// Field name.
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// Description.
    #[serde(deserialize_with = "lenient::string")]
    pub description: String,
    /// The text.
    #[serde(deserialize_with = "lenient::string")]
    pub text: String,
    /// Text format.
    #[serde(deserialize_with = "lenient::int")]
    pub format: i64,
}

#[derive(Serialize)]
struct CourseIdsParams<'a> {
    courseids: &'a [i64],
    // Moodle: without it, named courses the user is not enrolled in are only warnings, so
    // a site administrator's service token would see no assignments at all.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    includenotenrolledcourses: bool,
}

impl Client {
    /// Assignments of courses (all the user's courses when `courseids` is empty; named
    /// courses the user can see, enrolled or not).
    ///
    /// # Errors
    /// Any [`Error`]; courses the user may not see are warnings.
    pub async fn get_assignments(&self, courseids: &[i64]) -> Result<AssignmentsByCourse, Error> {
        let params = CourseIdsParams {
            courseids,
            includenotenrolledcourses: !courseids.is_empty(),
        };
        self.call(GET_ASSIGNMENTS, &params).await
    }

    /// Submissions of assignments (for graders).
    ///
    /// # Errors
    /// `invalidparameter` and other [`Error`]s; assignments the user may not grade are warnings.
    pub async fn get_submissions(&self, query: &SubmissionsQuery) -> Result<Submissions, Error> {
        self.call(GET_SUBMISSIONS, query).await
    }
}
