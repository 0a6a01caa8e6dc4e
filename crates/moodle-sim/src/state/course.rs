//! Categories, courses, sections, course modules and assignment data.

/// A row of `course_categories`.
#[derive(Debug, Clone)]
pub struct Category {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// ID number (`NULL` when never set).
    pub idnumber: Option<String>,
    /// Description.
    pub description: String,
    /// Description format.
    pub descriptionformat: i64,
    /// Parent category (0 = top).
    pub parent: i64,
    /// Sort order (multiples of 10000 for top-level categories).
    pub sortorder: i64,
    /// Visible.
    pub visible: bool,
    /// Visibility before a parent hid it.
    pub visibleold: bool,
    /// Last change.
    pub timemodified: i64,
    /// Depth (1 = top).
    pub depth: i64,
    /// `/1/4` style path of category ids.
    pub path: String,
    /// Forced theme.
    pub theme: String,
    /// `coursecount`: courses in it when `fix_course_sortorder()` last ran.
    pub coursecount: i64,
}

/// Course format options (`course_format_options`).
#[derive(Debug, Clone, Default)]
pub struct FormatOptions {
    /// Number of sections.
    pub numsections: i64,
    /// Hidden sections shown collapsed (1) or invisible (0).
    pub hiddensections: i64,
    /// Show all sections on one page (0) or one per page (1).
    pub coursedisplay: i64,
    /// `weeks` only: end date computed from the sections.
    pub automaticenddate: Option<i64>,
}

/// A row of `course`.
#[derive(Debug, Clone)]
pub struct Course {
    /// Id.
    pub id: i64,
    /// Category id (0 for the site course).
    pub category: i64,
    /// Sort order within the category.
    pub sortorder: i64,
    /// Full name.
    pub fullname: String,
    /// Short name.
    pub shortname: String,
    /// ID number.
    pub idnumber: String,
    /// Summary.
    pub summary: String,
    /// Summary format.
    pub summaryformat: i64,
    /// Course format (`topics`, `weeks`, `site`, …).
    pub format: String,
    /// Show grades.
    pub showgrades: i64,
    /// Number of announcements.
    pub newsitems: i64,
    /// Start date.
    pub startdate: i64,
    /// End date.
    pub enddate: i64,
    /// Max upload size.
    pub maxbytes: i64,
    /// Show activity reports.
    pub showreports: i64,
    /// Visible.
    pub visible: bool,
    /// Visibility before the category hid it.
    pub visibleold: bool,
    /// Group mode.
    pub groupmode: i64,
    /// Force group mode.
    pub groupmodeforce: i64,
    /// Default grouping.
    pub defaultgroupingid: i64,
    /// Creation time.
    pub timecreated: i64,
    /// Last change.
    pub timemodified: i64,
    /// Completion tracking.
    pub enablecompletion: i64,
    /// Completion notifications.
    pub completionnotify: i64,
    /// Forced language.
    pub lang: String,
    /// Forced theme.
    pub theme: String,
    /// Highlighted section.
    pub marker: i64,
    /// Cache revision (a timestamp).
    pub cacherev: i64,
    /// Show activity dates.
    pub showactivitydates: bool,
    /// Show completion conditions (`NULL` for the site course).
    pub showcompletionconditions: Option<bool>,
    /// Format options.
    pub format_options: FormatOptions,
}

/// A row of `course_sections`.
#[derive(Debug, Clone)]
pub struct Section {
    /// Id.
    pub id: i64,
    /// Course id.
    pub course: i64,
    /// Section number.
    pub section: i64,
    /// Name (`NULL` = default name).
    pub name: Option<String>,
    /// Summary.
    pub summary: String,
    /// Summary format.
    pub summaryformat: i64,
    /// Visible.
    pub visible: bool,
    /// Module ids in display order.
    pub sequence: Vec<i64>,
    /// Delegating component (`mod_subsection`).
    pub component: Option<String>,
    /// Instance id in the delegating component.
    pub itemid: Option<i64>,
    /// Last change.
    pub timemodified: i64,
}

/// The module-type specific part of a course module.
#[derive(Debug, Clone)]
pub enum ModInstance {
    /// `mod_page`.
    Page {
        /// Page content (HTML).
        content: String,
    },
    /// `mod_forum`.
    Forum {
        /// Forum type (`general`, `news`, …).
        forumtype: String,
        /// Read tracking type.
        trackingtype: i64,
    },
    /// `mod_url`.
    Url {
        /// The external URL.
        externalurl: String,
        /// Display mode.
        display: i64,
    },
    /// `mod_resource` (its file lives in the file store).
    Resource {
        /// Display mode.
        display: i64,
    },
    /// `mod_label`.
    Label,
    /// `mod_assign`.
    Assign(Box<Assign>),
    /// `mod_subsection`, delegating a section.
    Subsection,
    /// `mod_lti`.
    Lti,
    /// `mod_quiz` (its questions and attempts are in `State::quiz`).
    Quiz(Box<crate::state::Quiz>),
}

/// A row of `course_modules` joined with its instance.
#[derive(Debug, Clone)]
pub struct CourseModule {
    /// Course module id.
    pub id: i64,
    /// Course id.
    pub course: i64,
    /// Module name (`page`, `forum`, …).
    pub modname: String,
    /// Instance id in the module's table.
    pub instance: i64,
    /// Section id.
    pub section: i64,
    /// ID number (`NULL` when created without one).
    pub idnumber: Option<String>,
    /// Time added.
    pub added: i64,
    /// Indentation.
    pub indent: i64,
    /// Visible.
    pub visible: bool,
    /// Visible on the course page.
    pub visibleoncoursepage: bool,
    /// Visibility before the section hid it.
    pub visibleold: bool,
    /// Group mode.
    pub groupmode: i64,
    /// Completion tracking.
    pub completion: i64,
    /// Show description on the course page.
    pub showdescription: bool,
    /// Name of the instance.
    pub name: String,
    /// Intro of the instance.
    pub intro: String,
    /// Intro format.
    pub introformat: i64,
    /// Last change of the instance.
    pub timemodified: i64,
    /// Module-specific data.
    pub kind: ModInstance,
}

/// An assignment's settings (`assign` and `assign_plugin_config`).
#[derive(Debug, Clone)]
pub struct Assign {
    /// Accept submissions without files or text.
    pub nosubmissions: i64,
    /// Require students to click submit.
    pub submissiondrafts: i64,
    /// Notify graders of submissions.
    pub sendnotifications: i64,
    /// Notify graders of late submissions.
    pub sendlatenotifications: i64,
    /// Notify students.
    pub sendstudentnotifications: i64,
    /// Due date.
    pub duedate: i64,
    /// Allow submissions from.
    pub allowsubmissionsfromdate: i64,
    /// Maximum grade.
    pub grade: i64,
    /// Cut-off date.
    pub cutoffdate: i64,
    /// Grading due date.
    pub gradingduedate: i64,
    /// Plugin settings: (plugin, subtype, name, value), in Moodle's order.
    pub configs: Vec<(String, String, String, String)>,
}

/// A row of `assign_submission` with its online text.
#[derive(Debug, Clone)]
pub struct Submission {
    /// Id (also the file area item id).
    pub id: i64,
    /// Assignment instance id.
    pub assignment: i64,
    /// Student.
    pub userid: i64,
    /// Attempt.
    pub attemptnumber: i64,
    /// Creation time.
    pub timecreated: i64,
    /// Last change.
    pub timemodified: i64,
    /// `new`, `draft` or `submitted`.
    pub status: String,
    /// Online text, if the plugin is enabled.
    pub onlinetext: Option<String>,
}

/// A row of `assign_user_flags`.
#[derive(Debug, Clone)]
pub struct UserFlags {
    /// Id.
    pub id: i64,
    /// Assignment instance id.
    pub assignment: i64,
    /// Student.
    pub userid: i64,
    /// Submissions locked.
    pub locked: i64,
    /// 0 = a grade notice is due, 1 = sent, 2 = none due.
    pub mailed: i64,
    /// Extension due date (0: none).
    pub extensionduedate: i64,
    /// Marking workflow state.
    pub workflowstate: String,
    /// Allocated marker.
    pub allocatedmarker: i64,
}

/// A row of `assign_grades` with its feedback comment.
#[derive(Debug, Clone)]
pub struct SubmissionGrade {
    /// Id.
    pub id: i64,
    /// Assignment instance id.
    pub assignment: i64,
    /// Student.
    pub userid: i64,
    /// Attempt.
    pub attemptnumber: i64,
    /// Creation time.
    pub timecreated: i64,
    /// Last change.
    pub timemodified: i64,
    /// Grader.
    pub grader: i64,
    /// Grade.
    pub grade: f64,
    /// Feedback comment (HTML).
    pub feedback: Option<String>,
}
