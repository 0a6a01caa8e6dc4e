//! The companion plugin `local_bridge` (`moodle-plugin/local_bridge`): activities made
//! from a draft area or from values, where Moodle's own web services cannot make them,
//! quizzes with their questions ([`quiz`]), many activities in one call ([`batch`]), and
//! a learner's files (`list_user_files`; the bytes through `download.php`,
//! `Client::download_user_file`), and the events the plugin records ([`events`],
//! `get_events`, plugin 1.2+).
//! Sites without the plugin answer these calls with `accessexception` or `invalidrecord`;
//! check [`SiteInfo::has_function`](super::site::SiteInfo::has_function) first (a plugin
//! older than 1.1 has neither the quiz functions nor `local_bridge_create_modules`).

pub mod batch;
pub mod events;
pub mod quiz;

pub use batch::{
    BatchItem, CREATE_MODULES, CreatedModules, ItemResult, ItemStatus, MAX_FIELDS, MAX_MODULES,
    batches,
};
pub use events::{Event, EventData, EventKind, EventPage, GET_EVENTS, MAX_LIMIT, Origin};
pub use quiz::{
    Answer, CREATE_QUIZ, CreatedQuiz, NewQuiz, Question, QuestionType, QuizFields, QuizQuestion,
    QuizSettings, UPDATE_QUIZ,
};

use crate::functions::Function;
use serde::{Deserialize, Serialize};

use super::lenient;
use crate::client::Client;
use crate::error::{Error, Warning};
use crate::functions::ItemWarnings;

/// `local_bridge_create_page`.
pub const CREATE_PAGE: Function = Function::write("local_bridge_create_page");
/// `local_bridge_create_resource`.
pub const CREATE_RESOURCE: Function = Function::write("local_bridge_create_resource");
/// `local_bridge_create_url`.
pub const CREATE_URL: Function = Function::write("local_bridge_create_url");
/// `local_bridge_create_forum`.
pub const CREATE_FORUM: Function = Function::write("local_bridge_create_forum");
/// `local_bridge_update_module`.
pub const UPDATE_MODULE: Function = Function::write("local_bridge_update_module");
/// `local_bridge_find_modules_by_idnumber`.
pub const FIND_MODULES_BY_IDNUMBER: Function =
    Function::read("local_bridge_find_modules_by_idnumber");
/// `local_bridge_list_user_files`.
pub const LIST_USER_FILES: Function = Function::read("local_bridge_list_user_files");

/// Where a new activity goes and what every activity has (the create functions' shared
/// parameters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placement {
    /// The course.
    pub courseid: i64,
    /// The section number (0 = the general section); it must exist.
    pub section: Option<i64>,
    /// The activity's name (1–255 characters, no HTML).
    pub name: String,
    /// Description (HTML).
    pub intro: Option<String>,
    /// Description format (1 = HTML).
    pub introformat: Option<i64>,
    /// ID number, unique among the course's activities (at most 100 characters).
    pub idnumber: Option<String>,
    /// Shown to students.
    pub visible: Option<bool>,
}

impl Placement {
    /// An activity named `name` in section 0 of `courseid`.
    pub fn new(courseid: i64, name: impl Into<String>) -> Self {
        Placement {
            courseid,
            section: None,
            name: name.into(),
            intro: None,
            introformat: None,
            idnumber: None,
            visible: None,
        }
    }
}

/// A Page activity to make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewPage {
    /// Where and what.
    #[serde(flatten)]
    pub placement: Placement,
    /// The page's HTML.
    pub content: String,
    /// Its format (1 = HTML).
    pub contentformat: Option<i64>,
}

/// A URL activity to make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewUrl {
    /// Where and what.
    #[serde(flatten)]
    pub placement: Placement,
    /// The address (http, https or ftp).
    pub externalurl: String,
    /// Display mode (`RESOURCELIB_DISPLAY_*`).
    pub display: Option<i64>,
}

/// A Forum activity to make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewForum {
    /// Where and what.
    #[serde(flatten)]
    pub placement: Placement,
    /// `general`, `eachuser`, `single`, `qanda` or `blog`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// Changes to an activity; fields left `None` stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ModuleFields {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub intro: Option<String>,
    /// Its format.
    pub introformat: Option<i64>,
    /// New ID number (`""` removes it).
    pub idnumber: Option<String>,
    /// Shown to students.
    pub visible: Option<bool>,
    /// Page only: new HTML.
    pub content: Option<String>,
    /// Page only: its format.
    pub contentformat: Option<i64>,
    /// URL only: new address.
    pub externalurl: Option<String>,
    /// URL and File: display mode.
    pub display: Option<i64>,
    /// File only: a draft area whose files replace the activity's.
    pub draftitemid: Option<i64>,
}

/// The activities found by ID number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct FoundModules {
    /// Every activity of the course with one of the ID numbers, by course module id.
    #[serde(deserialize_with = "lenient::list")]
    pub modules: Vec<CreatedModule>,
    /// One `idnumbernotfound` warning per ID number without an activity.
    #[serde(deserialize_with = "lenient::list")]
    pub warnings: Vec<Warning>,
}

/// A File activity to make from the files of one of the token user's draft areas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewResource {
    /// The course.
    pub courseid: i64,
    /// The section number (0 = the general section); it must exist.
    pub section: Option<i64>,
    /// The activity's name.
    pub name: String,
    /// The draft item id `webservice/upload.php` answered.
    pub draftitemid: i64,
    /// Display mode (`RESOURCELIB_DISPLAY_*`, 0 = automatic).
    pub display: Option<i64>,
    /// Description.
    pub intro: Option<String>,
    /// Description format (1 = HTML).
    pub introformat: Option<i64>,
    /// ID number, unique among the course's activities.
    pub idnumber: Option<String>,
    /// Shown to students.
    pub visible: Option<bool>,
}

impl NewResource {
    /// A File activity named `name` in section 0 of `courseid` from draft area `draftitemid`.
    pub fn new(courseid: i64, name: impl Into<String>, draftitemid: i64) -> Self {
        NewResource {
            courseid,
            section: None,
            name: name.into(),
            draftitemid,
            display: None,
            intro: None,
            introformat: None,
            idnumber: None,
            visible: None,
        }
    }
}

/// An activity the plugin made or changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct CreatedModule {
    /// Course module id.
    #[serde(deserialize_with = "lenient::int")]
    pub cmid: i64,
    /// Instance id in the module's table.
    #[serde(deserialize_with = "lenient::int")]
    pub instanceid: i64,
    /// Course id.
    #[serde(deserialize_with = "lenient::int")]
    pub courseid: i64,
    /// Section number.
    #[serde(deserialize_with = "lenient::int")]
    pub section: i64,
    /// Module name (`resource`, `page`, …).
    #[serde(deserialize_with = "lenient::string")]
    pub modname: String,
    /// Activity name.
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// ID number (empty when none).
    #[serde(deserialize_with = "lenient::string")]
    pub idnumber: String,
    /// Shown to students.
    #[serde(deserialize_with = "lenient::boolean")]
    pub visible: bool,
    /// The activity's page.
    #[serde(deserialize_with = "lenient::string")]
    pub url: String,
    /// Per-item warnings.
    #[serde(deserialize_with = "lenient::list")]
    pub warnings: Vec<Warning>,
}

impl ItemWarnings for CreatedModule {
    fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
}

/// Which of a learner's files `local_bridge_list_user_files` lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserFilesQuery {
    /// The course.
    pub courseid: i64,
    /// The learner.
    pub userid: i64,
    /// Their private files (default yes).
    pub includeprivate: Option<bool>,
    /// Their latest assignment submission files in the course (default yes).
    pub includesubmissions: Option<bool>,
}

/// A learner's files: private files first (by path, then name), then submission files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct UserFiles {
    /// The files.
    #[serde(deserialize_with = "lenient::list")]
    pub files: Vec<UserFile>,
    /// `nopermission` per assignment the caller cannot grade, `privatefilesdisabled`.
    #[serde(deserialize_with = "lenient::list")]
    pub warnings: Vec<Warning>,
}

/// One file of [`UserFiles`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct UserFile {
    /// The file's id, for [`Client::download_user_file`].
    #[serde(deserialize_with = "lenient::int")]
    pub fileid: i64,
    /// `private` or `submission`.
    #[serde(deserialize_with = "lenient::string")]
    pub source: String,
    /// Context id.
    #[serde(deserialize_with = "lenient::int")]
    pub contextid: i64,
    /// Component (`user`, `assignsubmission_file`).
    #[serde(deserialize_with = "lenient::string")]
    pub component: String,
    /// File area (`private`, `submission_files`).
    #[serde(deserialize_with = "lenient::string")]
    pub filearea: String,
    /// Item id (0, or the submission id).
    #[serde(deserialize_with = "lenient::int")]
    pub itemid: i64,
    /// Directory, `/`-delimited.
    #[serde(deserialize_with = "lenient::string")]
    pub filepath: String,
    /// Name.
    #[serde(deserialize_with = "lenient::string")]
    pub filename: String,
    /// Size in bytes.
    #[serde(deserialize_with = "lenient::int")]
    pub filesize: i64,
    /// MIME type.
    #[serde(deserialize_with = "lenient::string")]
    pub mimetype: String,
    /// Created.
    #[serde(deserialize_with = "lenient::int")]
    pub timecreated: i64,
    /// Last change.
    #[serde(deserialize_with = "lenient::int")]
    pub timemodified: i64,
    /// The assignment's course module, 0 for private files.
    #[serde(deserialize_with = "lenient::int")]
    pub cmid: i64,
    /// The assignment's name, `""` for private files.
    #[serde(deserialize_with = "lenient::string")]
    pub assignmentname: String,
    /// `new`, `draft`, `submitted`; `""` for private files.
    #[serde(deserialize_with = "lenient::string")]
    pub submissionstatus: String,
    /// `…/local/bridge/download.php?courseid=…&fileid=…` (without a token).
    #[serde(deserialize_with = "lenient::string")]
    pub downloadurl: String,
}

impl ItemWarnings for UserFiles {
    fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
}

#[derive(Serialize)]
struct UpdateParams<'a> {
    cmid: i64,
    fields: &'a ModuleFields,
}

#[derive(Serialize)]
struct FindParams<'a> {
    courseid: i64,
    idnumbers: &'a [String],
}

impl Client {
    /// Makes a Page activity. Never retried.
    ///
    /// # Errors
    /// As [`Client::create_resource`], without the draft-area errors.
    pub async fn create_page(&self, page: &NewPage) -> Result<CreatedModule, Error> {
        self.call(CREATE_PAGE, page).await
    }

    /// Makes a URL activity. Never retried.
    ///
    /// # Errors
    /// As [`Client::create_page`]; `invalidparameter` for an address that is not a URL.
    pub async fn create_url(&self, url: &NewUrl) -> Result<CreatedModule, Error> {
        self.call(CREATE_URL, url).await
    }

    /// Makes a Forum activity. Never retried.
    ///
    /// # Errors
    /// As [`Client::create_page`]; `invalidparameter` for the type `news` or an unknown one.
    pub async fn create_forum(&self, forum: &NewForum) -> Result<CreatedModule, Error> {
        self.call(CREATE_FORUM, forum).await
    }

    /// Changes the given fields of an activity. Never retried.
    ///
    /// # Errors
    /// `invalidcoursemodule`, `unsupportedmodule`, `invalidparameter` (a field of another
    /// module type), `nopermissions`, `duplicateidnumber`, `invaliddraftitemid`.
    pub async fn update_module(
        &self,
        cmid: i64,
        fields: &ModuleFields,
    ) -> Result<CreatedModule, Error> {
        self.call(UPDATE_MODULE, &UpdateParams { cmid, fields })
            .await
    }

    /// A course's activities with these ID numbers (the way to find what an earlier,
    /// unanswered create made).
    ///
    /// # Errors
    /// `invalidrecord` (course), `requireloginerror`, `nopermissions`.
    pub async fn find_modules_by_idnumber(
        &self,
        courseid: i64,
        idnumbers: &[String],
    ) -> Result<FoundModules, Error> {
        self.call(
            FIND_MODULES_BY_IDNUMBER,
            &FindParams {
                courseid,
                idnumbers,
            },
        )
        .await
    }

    /// A learner's private and submission files (for callers holding
    /// `local/bridge:viewuserfiles` in the course; the user must be an active participant with a
    /// student-archetype role there); download them with [`Client::download_user_file`].
    ///
    /// # Errors
    /// `invalidrecord`/`accessexception` without the plugin (or the function in the token's
    /// service); `requireloginerror`, `nopermissions`, `invaliduser` (`invalidrecordunknown`
    /// on Moodle 5.0+ without debugging), `usernotenrolled`, `notalearner` (a teacher's or
    /// manager's files).
    pub async fn list_user_files(&self, query: &UserFilesQuery) -> Result<UserFiles, Error> {
        self.call(LIST_USER_FILES, query).await
    }

    /// Makes a File activity from a draft area. Never retried.
    ///
    /// # Errors
    /// `invalidrecord`/`accessexception` without the plugin; the plugin's errors
    /// (`nopermissions`, an empty draft area, a missing section, a taken ID number).
    pub async fn create_resource(&self, resource: &NewResource) -> Result<CreatedModule, Error> {
        self.call(CREATE_RESOURCE, resource).await
    }
}
