//! Course contents and modules: `core_course_get_contents`, `core_course_get_course_module`,
//! `core_course_delete_modules`.
//!
//! Moodle 5.0 enables subsections: a `subsection` module (no `url`) stands for a delegated
//! section (`component` `mod_subsection`) that appears in the list as its own section.
//! Walkers recurse into it or skip it ([`Module::is_subsection`]).

use crate::functions::Function;
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::{Error, Warning};
use crate::functions::{ItemWarnings, NameValue, lenient};

/// `core_course_get_contents`.
pub const GET_CONTENTS: Function = Function::read("core_course_get_contents");
/// `core_course_get_course_module`.
pub const GET_COURSE_MODULE: Function = Function::read("core_course_get_course_module");
/// `core_course_delete_modules`.
pub const DELETE_MODULES: Function = Function::write("core_course_delete_modules");

/// An option of `core_course_get_contents`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentOption {
    /// Leave out modules.
    ExcludeModules(bool),
    /// Leave out module contents (files).
    ExcludeContents(bool),
    /// Include stealth modules.
    IncludeStealthModules(bool),
    /// Only this section (by id).
    SectionId(i64),
    /// Only this section (by number).
    SectionNumber(i64),
    /// Only this module.
    CmId(i64),
    /// Only modules of this type (`page`, `resource`, …).
    ModName(String),
    /// With `ModName`: only this instance.
    ModId(i64),
}

impl ContentOption {
    fn to_name_value(&self) -> NameValue {
        match self {
            ContentOption::ExcludeModules(b) => NameValue::flag("excludemodules", *b),
            ContentOption::ExcludeContents(b) => NameValue::flag("excludecontents", *b),
            ContentOption::IncludeStealthModules(b) => NameValue::flag("includestealthmodules", *b),
            ContentOption::SectionId(id) => NameValue::new("sectionid", id),
            ContentOption::SectionNumber(n) => NameValue::new("sectionnumber", n),
            ContentOption::CmId(id) => NameValue::new("cmid", id),
            ContentOption::ModName(name) => NameValue::new("modname", name),
            ContentOption::ModId(id) => NameValue::new("modid", id),
        }
    }
}

/// A course section with its modules.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Section {
    /// Section id.
    #[serde(deserialize_with = "lenient::int")]
    pub id: i64,
    /// Name.
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// Visible.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub visible: Option<bool>,
    /// Summary.
    #[serde(deserialize_with = "lenient::string")]
    pub summary: String,
    /// Section number.
    #[serde(deserialize_with = "lenient::opt_int")]
    pub section: Option<i64>,
    /// Visible to this user.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub uservisible: Option<bool>,
    /// The component a delegated section belongs to (`mod_subsection`), else `None`.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub component: Option<String>,
    /// The component's item id.
    #[serde(deserialize_with = "lenient::opt_int")]
    pub itemid: Option<i64>,
    /// The modules.
    #[serde(deserialize_with = "lenient::list")]
    pub modules: Vec<Module>,
}

/// A course module (activity or resource) in the contents.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Module {
    /// Course module id.
    #[serde(deserialize_with = "lenient::int")]
    pub id: i64,
    /// View URL (missing for subsections and labels without view).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub url: Option<String>,
    /// Name.
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// Instance id in the module's table.
    #[serde(deserialize_with = "lenient::opt_int")]
    pub instance: Option<i64>,
    /// The module's context id.
    #[serde(deserialize_with = "lenient::opt_int")]
    pub contextid: Option<i64>,
    /// Module type (`page`, `resource`, `assign`, `subsection`, …).
    #[serde(deserialize_with = "lenient::string")]
    pub modname: String,
    /// Visible.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub visible: Option<bool>,
    /// Visible to this user.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub uservisible: Option<bool>,
    /// Description (when shown on the course page).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    /// Module-specific data (JSON text).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub customdata: Option<String>,
    /// Dates shown with the module.
    #[serde(deserialize_with = "lenient::list")]
    pub dates: Vec<ModuleDate>,
    /// Files and links of the module.
    #[serde(deserialize_with = "lenient::list")]
    pub contents: Vec<ModuleContent>,
}

impl Module {
    /// Whether this module stands for a delegated section (Moodle 5.0 subsections).
    pub fn is_subsection(&self) -> bool {
        self.modname == "subsection"
    }
}

/// A dated event of a module (opens, due, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ModuleDate {
    /// Label.
    #[serde(deserialize_with = "lenient::string")]
    pub label: String,
    /// Time (Unix seconds).
    #[serde(deserialize_with = "lenient::int")]
    pub timestamp: i64,
    /// Machine name of the date.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub dataid: Option<String>,
}

/// A file or link of a module.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ModuleContent {
    /// `file`, `url` or `content`.
    #[serde(rename = "type", deserialize_with = "lenient::string")]
    pub kind: String,
    /// File name (or link title).
    #[serde(deserialize_with = "lenient::string")]
    pub filename: String,
    /// Directory.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub filepath: Option<String>,
    /// Size in bytes.
    #[serde(deserialize_with = "lenient::int")]
    pub filesize: i64,
    /// Download URL (for `download`) or the link.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub fileurl: Option<String>,
    /// Last change.
    #[serde(deserialize_with = "lenient::opt_int")]
    pub timemodified: Option<i64>,
    /// MIME type.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub mimetype: Option<String>,
    /// Sort order.
    #[serde(deserialize_with = "lenient::opt_int")]
    pub sortorder: Option<i64>,
}

/// `core_course_get_course_module` answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct CourseModuleInfo {
    /// The module.
    pub cm: CourseModule,
    /// Per-item warnings.
    #[serde(deserialize_with = "lenient::list")]
    pub warnings: Vec<Warning>,
}

impl ItemWarnings for CourseModuleInfo {
    fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
}

/// A course module's settings.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct CourseModule {
    /// Course module id.
    #[serde(deserialize_with = "lenient::int")]
    pub id: i64,
    /// Course id.
    #[serde(deserialize_with = "lenient::int")]
    pub course: i64,
    /// Module type id (differs between sites; do not match it literally).
    #[serde(deserialize_with = "lenient::int")]
    pub module: i64,
    /// Name.
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// Module type name.
    #[serde(deserialize_with = "lenient::string")]
    pub modname: String,
    /// Instance id.
    #[serde(deserialize_with = "lenient::int")]
    pub instance: i64,
    /// Section id.
    #[serde(deserialize_with = "lenient::int")]
    pub section: i64,
    /// Section number.
    #[serde(deserialize_with = "lenient::opt_int")]
    pub sectionnum: Option<i64>,
    /// ID number.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub idnumber: Option<String>,
    /// When added.
    #[serde(deserialize_with = "lenient::opt_int")]
    pub added: Option<i64>,
    /// Visible.
    #[serde(deserialize_with = "lenient::boolean")]
    pub visible: bool,
    /// Maximum grade, for graded modules.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub grade: Option<String>,
    /// Pass grade (Moodle sends text such as `"0.00"`).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub gradepass: Option<String>,
}

#[derive(Serialize)]
struct ContentsParams {
    courseid: i64,
    options: Vec<NameValue>,
}

#[derive(Serialize)]
struct CmidParams {
    cmid: i64,
}

#[derive(Serialize)]
struct CmidsParams<'a> {
    cmids: &'a [i64],
}

impl Client {
    /// A course's sections and modules.
    ///
    /// # Errors
    /// `invalidrecord` (unknown course), `errorcoursecontextnotvalid` (no access) and
    /// other [`Error`]s.
    pub async fn get_contents(
        &self,
        courseid: i64,
        options: &[ContentOption],
    ) -> Result<Vec<Section>, Error> {
        let options = options.iter().map(ContentOption::to_name_value).collect();
        self.call(GET_CONTENTS, &ContentsParams { courseid, options })
            .await
    }

    /// One course module's settings.
    ///
    /// # Errors
    /// `invalidrecord` and other [`Error`]s.
    pub async fn get_course_module(&self, cmid: i64) -> Result<CourseModuleInfo, Error> {
        self.call(GET_COURSE_MODULE, &CmidParams { cmid }).await
    }

    /// Deletes course modules. Moodle answers `null`. Never retried.
    ///
    /// # Errors
    /// Any [`Error`].
    pub async fn delete_modules(&self, cmids: &[i64]) -> Result<(), Error> {
        self.call(DELETE_MODULES, &CmidsParams { cmids }).await
    }
}
