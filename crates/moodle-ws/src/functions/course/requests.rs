//! Request types of the course functions.

use serde::Serialize;

use super::types::{CustomFieldValue, FormatOption};
use crate::functions::join_ids;

/// Which courses `core_course_get_courses_by_field` returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CourseField {
    /// Every course the user can see.
    All,
    /// One course id.
    Id(i64),
    /// Several course ids.
    Ids(Vec<i64>),
    /// By short name.
    Shortname(String),
    /// By ID number.
    Idnumber(String),
    /// Courses of a category.
    Category(i64),
    /// The course holding a section.
    SectionId(i64),
}

impl CourseField {
    pub(super) fn name_value(&self) -> (Option<&'static str>, Option<String>) {
        match self {
            CourseField::All => (None, None),
            CourseField::Id(id) => (Some("id"), Some(id.to_string())),
            CourseField::Ids(ids) => (Some("ids"), Some(join_ids(ids))),
            CourseField::Shortname(s) => (Some("shortname"), Some(s.clone())),
            CourseField::Idnumber(s) => (Some("idnumber"), Some(s.clone())),
            CourseField::Category(id) => (Some("category"), Some(id.to_string())),
            CourseField::SectionId(id) => (Some("sectionid"), Some(id.to_string())),
        }
    }
}

/// What `core_course_search_courses` searches by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchCriterion {
    /// Free text.
    Search,
    /// Courses using a module (admins only).
    ModuleList,
    /// Courses using a block (admins only).
    BlockList,
    /// Courses with a tag id.
    TagId,
}

/// A `core_course_search_courses` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchCourses {
    /// Search by what.
    pub criterianame: SearchCriterion,
    /// The text, module name, block name or tag id.
    pub criteriavalue: String,
    /// Page number, from 0.
    pub page: Option<i64>,
    /// Courses per page (0 = all).
    pub perpage: Option<i64>,
    /// Only courses where the user has these capabilities.
    pub requiredcapabilities: Vec<String>,
    /// Only courses the user is enrolled in.
    pub limittoenrolled: Option<bool>,
    /// Only courses with completion on.
    pub onlywithcompletion: Option<bool>,
}

impl SearchCourses {
    /// A free-text search.
    pub fn text(text: impl Into<String>) -> Self {
        SearchCourses {
            criterianame: SearchCriterion::Search,
            criteriavalue: text.into(),
            page: None,
            perpage: None,
            requiredcapabilities: Vec::new(),
            limittoenrolled: None,
            onlywithcompletion: None,
        }
    }
}

/// Optional course settings, shared by creating and updating.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CourseSettings {
    /// ID number.
    pub idnumber: Option<String>,
    /// Summary.
    pub summary: Option<String>,
    /// Summary format (1 = HTML).
    pub summaryformat: Option<i64>,
    /// Course format (`topics`, `weeks`, …).
    pub format: Option<String>,
    /// Show the gradebook to students.
    pub showgrades: Option<bool>,
    /// Number of announcements shown.
    pub newsitems: Option<i64>,
    /// Start time.
    pub startdate: Option<i64>,
    /// End time.
    pub enddate: Option<i64>,
    /// Number of sections (deprecated by Moodle in favour of `courseformatoptions`).
    pub numsections: Option<i64>,
    /// Largest upload in bytes.
    pub maxbytes: Option<i64>,
    /// Visible to students.
    pub visible: Option<bool>,
    /// Group mode (0 none, 1 separate, 2 visible).
    pub groupmode: Option<i64>,
    /// Completion tracking.
    pub enablecompletion: Option<bool>,
    /// Forced language.
    pub lang: Option<String>,
    /// Course-format options.
    pub courseformatoptions: Vec<FormatOption>,
    /// Custom fields.
    pub customfields: Vec<CustomFieldValue>,
}

/// A course to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewCourse {
    /// Full name.
    pub fullname: String,
    /// Short name (must be unused).
    pub shortname: String,
    /// Category id.
    pub categoryid: i64,
    /// Everything else.
    #[serde(flatten)]
    pub settings: CourseSettings,
}

impl NewCourse {
    /// A course with default settings.
    pub fn new(fullname: impl Into<String>, shortname: impl Into<String>, categoryid: i64) -> Self {
        NewCourse {
            fullname: fullname.into(),
            shortname: shortname.into(),
            categoryid,
            settings: CourseSettings::default(),
        }
    }
}

/// Changes to one course.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CourseUpdate {
    /// The course.
    pub id: i64,
    /// New full name.
    pub fullname: Option<String>,
    /// New short name.
    pub shortname: Option<String>,
    /// New category.
    pub categoryid: Option<i64>,
    /// Other settings to change.
    #[serde(flatten)]
    pub settings: CourseSettings,
}

impl CourseUpdate {
    /// An update that changes nothing yet.
    pub fn new(id: i64) -> Self {
        CourseUpdate {
            id,
            ..CourseUpdate::default()
        }
    }
}
