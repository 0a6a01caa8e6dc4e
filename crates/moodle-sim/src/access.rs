//! Who may do what: capabilities by role archetype (`db/access.php` of core and plugins),
//! `has_capability()` along the context path, and the login checks
//! `external_api::validate_context()` performs.
//!
//! Site administrators hold every capability. Everyone logged in also holds the
//! authenticated-user role (`user`) at system level, which the recorded site extended with
//! `webservice/rest:use` and `moodle/webservice:createtoken`.

use crate::errors::WsError;
use crate::state::{ContextLevel, SYSTEM_CONTEXT, State};

/// Role id of the authenticated-user role (`$CFG->defaultuserroleid`).
pub const AUTHENTICATED_ROLE: i64 = 7;

/// (capability, display name, archetypes allowed).
const CAPABILITIES: &[(&str, &str, &[&str])] = &[
    (
        "moodle/course:create",
        "Create courses",
        &["coursecreator", "manager"],
    ),
    (
        "moodle/course:update",
        "Update course settings",
        &["editingteacher", "manager"],
    ),
    (
        "moodle/course:view",
        "View courses without participation",
        &["manager"],
    ),
    (
        "moodle/course:viewhiddencourses",
        "View hidden courses",
        &["coursecreator", "teacher", "editingteacher", "manager"],
    ),
    ("moodle/course:delete", "Delete courses", &["manager"]),
    (
        "moodle/course:visibility",
        "Hide/show courses",
        &["editingteacher", "manager"],
    ),
    (
        "moodle/course:changefullname",
        "Change course full name",
        &["editingteacher", "manager"],
    ),
    (
        "moodle/course:changeshortname",
        "Change course short name",
        &["editingteacher", "manager"],
    ),
    (
        "moodle/course:changeidnumber",
        "Change course ID number",
        &["editingteacher", "manager"],
    ),
    (
        "moodle/course:changesummary",
        "Change course summary",
        &["editingteacher", "manager"],
    ),
    (
        "moodle/course:changecategory",
        "Change course category",
        &["editingteacher", "manager"],
    ),
    ("moodle/category:manage", "Manage categories", &["manager"]),
    (
        "moodle/category:viewhiddencategories",
        "See hidden categories",
        &["coursecreator", "manager"],
    ),
    ("moodle/user:create", "Create users", &["manager"]),
    ("moodle/user:update", "Update user profiles", &["manager"]),
    (
        "moodle/user:viewdetails",
        "View user profiles",
        &["guest", "student", "teacher", "editingteacher", "manager"],
    ),
    (
        "moodle/user:viewhiddendetails",
        "View hidden details of users",
        &["teacher", "editingteacher", "manager"],
    ),
    (
        "moodle/user:viewalldetails",
        "View user full information",
        &["manager"],
    ),
    (
        "moodle/course:useremail",
        "Enable/disable email address",
        &["editingteacher", "manager"],
    ),
    (
        "moodle/course:viewparticipants",
        "View participants",
        &["student", "teacher", "editingteacher", "manager"],
    ),
    (
        "moodle/course:enrolreview",
        "Review course enrolments",
        &["editingteacher", "manager"],
    ),
    (
        "moodle/course:manageactivities",
        "Manage activities",
        &["editingteacher", "manager"],
    ),
    (
        "moodle/course:activityvisibility",
        "Hide/show activities",
        &["editingteacher", "manager"],
    ),
    (
        "moodle/course:sectionvisibility",
        "Control section visibility",
        &["editingteacher", "manager"],
    ),
    (
        "moodle/course:viewhiddensections",
        "View hidden sections",
        &["editingteacher", "manager"],
    ),
    (
        "moodle/course:viewhiddenactivities",
        "View hidden activities",
        &["teacher", "editingteacher", "manager"],
    ),
    (
        "moodle/course:movesections",
        "Move sections",
        &["editingteacher", "manager"],
    ),
    (
        "moodle/course:setcurrentsection",
        "Mark topic as current",
        &["editingteacher", "manager"],
    ),
    (
        "moodle/site:accessallgroups",
        "Access all groups",
        &["editingteacher", "manager"],
    ),
    (
        "moodle/site:readallmessages",
        "Read all messages on site",
        &["manager", "editingteacher"],
    ),
    (
        "moodle/site:viewuseridentity",
        "See full user identity in lists",
        &["teacher", "editingteacher", "manager"],
    ),
    (
        "moodle/role:review",
        "Review permissions for others",
        &["teacher", "editingteacher", "manager"],
    ),
    (
        "moodle/role:assign",
        "Assign roles to users",
        &["editingteacher", "manager"],
    ),
    (
        "moodle/user:manageownfiles",
        "Manage files on own private file areas",
        &["user"],
    ),
    (
        "moodle/webservice:createtoken",
        "Create a web service token",
        &["manager", "user"],
    ),
    (
        "moodle/webservice:createmobiletoken",
        "Create a web service token for mobile access",
        &["user"],
    ),
    ("webservice/rest:use", "Use REST protocol", &["user"]),
    (
        "enrol/manual:enrol",
        "Enrol users",
        &["manager", "editingteacher"],
    ),
    (
        "mod/assign:view",
        "View assignment",
        &["guest", "student", "teacher", "editingteacher", "manager"],
    ),
    ("mod/assign:submit", "Submit assignment", &["student"]),
    (
        "mod/assign:grade",
        "Grade assignment",
        &["teacher", "editingteacher", "manager"],
    ),
    (
        "moodle/grade:viewall",
        "View grades of other users",
        &["teacher", "editingteacher", "manager"],
    ),
    (
        "mod/assign:viewgrades",
        "View grades",
        &["editingteacher", "manager", "teacher"],
    ),
    (
        "moodle/course:managefiles",
        "Manage files",
        &["editingteacher", "manager"],
    ),
    (
        "report/completion:view",
        "View course completion report",
        &["teacher", "editingteacher", "manager"],
    ),
    (
        "moodle/course:isincompletionreports",
        "Be shown on completion reports",
        &["student"],
    ),
    (
        "moodle/course:viewsuspendedusers",
        "View suspended users",
        &["editingteacher", "manager"],
    ),
    (
        "mod/assign:viewownsubmissionsummary",
        "View own submission summary",
        &["student"],
    ),
    (
        "mod/assign:editothersubmission",
        "Edit another student's submission",
        &["manager"],
    ),
    (
        "mod/assign:addinstance",
        "Add a new assignment",
        &["editingteacher", "manager"],
    ),
    (
        "mod/page:addinstance",
        "Add a new page",
        &["editingteacher", "manager"],
    ),
    (
        "mod/resource:addinstance",
        "Add a new file",
        &["editingteacher", "manager"],
    ),
    (
        "mod/url:addinstance",
        "Add a new URL",
        &["editingteacher", "manager"],
    ),
    (
        "mod/forum:addinstance",
        "Add a new forum",
        &["editingteacher", "manager"],
    ),
    (
        "mod/subsection:addinstance",
        "Add a new subsection",
        &["editingteacher", "manager"],
    ),
];

/// The display name of a capability, as `nopermissions` messages show it.
pub fn capability_name(capability: &str) -> &str {
    CAPABILITIES
        .iter()
        .find(|(c, _, _)| *c == capability)
        .map(|(_, name, _)| *name)
        .or_else(|| crate::plugins::capability(capability).map(|(name, _)| name))
        .or_else(|| crate::lti::capability(capability).map(|(name, _)| name))
        .or_else(|| crate::ws::quiz::capability(capability).map(|(name, _)| name))
        .unwrap_or(capability)
}

fn archetype_allows(archetype: &str, capability: &str) -> bool {
    CAPABILITIES
        .iter()
        .any(|(c, _, archetypes)| *c == capability && archetypes.contains(&archetype))
        || crate::plugins::capability(capability)
            .is_some_and(|(_, archetypes)| archetypes.contains(&archetype))
        || crate::lti::capability(capability)
            .is_some_and(|(_, archetypes)| archetypes.contains(&archetype))
        || crate::ws::quiz::capability(capability)
            .is_some_and(|(_, archetypes)| archetypes.contains(&archetype))
}

impl State {
    /// `has_capability($capability, $context, $userid)`.
    pub fn has_capability(&self, userid: i64, capability: &str, contextid: i64) -> bool {
        let Some(user) = self.live_user(userid) else {
            return false;
        };
        if user.siteadmin {
            return true;
        }
        let mut roles = self.roles_in_context(userid, contextid);
        if user.username != "guest" {
            roles.push(AUTHENTICATED_ROLE);
        }
        roles.iter().any(|roleid| {
            self.roles
                .get(roleid)
                .is_some_and(|r| archetype_allows(&r.archetype, capability))
        })
    }

    /// `has_capability($capability, $context, $userid, false)`: through roles only, without
    /// the site administrator's "do anything".
    pub fn has_capability_by_role(&self, userid: i64, capability: &str, contextid: i64) -> bool {
        let Some(user) = self.live_user(userid) else {
            return false;
        };
        let mut roles = self.roles_in_context(userid, contextid);
        if user.username != "guest" {
            roles.push(AUTHENTICATED_ROLE);
        }
        roles.iter().any(|roleid| {
            self.roles
                .get(roleid)
                .is_some_and(|r| archetype_allows(&r.archetype, capability))
        })
    }

    /// `require_capability()`.
    ///
    /// # Errors
    /// `nopermissions` naming the capability.
    pub fn require_capability(
        &self,
        userid: i64,
        capability: &str,
        contextid: i64,
    ) -> Result<(), WsError> {
        if self.has_capability(userid, capability, contextid) {
            Ok(())
        } else {
            Err(WsError::no_permissions(capability_name(capability)))
        }
    }

    /// `require_login($course)` as web services run it: the course must be visible to the
    /// user (or they may see hidden courses) and they must be enrolled or may view it
    /// without participation.
    ///
    /// # Errors
    /// `requireloginerror` ("Course or activity not accessible.").
    pub fn require_course_login(
        &self,
        userid: i64,
        courseid: i64,
        now: i64,
    ) -> Result<(), WsError> {
        let Some(course) = self.courses.get(&courseid) else {
            return Err(WsError::require_login());
        };
        if courseid == crate::state::SITE_ID {
            return Ok(());
        }
        let ctx = self
            .context_id(ContextLevel::Course, courseid)
            .unwrap_or(SYSTEM_CONTEXT);
        if !course.visible && !self.has_capability(userid, "moodle/course:viewhiddencourses", ctx) {
            return Err(WsError::require_login_because("Course is hidden"));
        }
        if self.is_enrolled(userid, courseid, now)
            || self.has_capability(userid, "moodle/course:view", ctx)
        {
            Ok(())
        } else {
            Err(WsError::require_login_because("Not enrolled"))
        }
    }

    /// `external_api::validate_context(context_course::instance($courseid))`. Functions that
    /// catch this and rethrow `errorcoursecontextnotvalid` wrap it with
    /// [`WsError::context_not_valid`].
    ///
    /// # Errors
    /// `requireloginerror`.
    pub fn validate_course_context(
        &self,
        userid: i64,
        courseid: i64,
        now: i64,
    ) -> Result<(), WsError> {
        self.require_course_login(userid, courseid, now)
    }

    /// `external_api::validate_context(context_module::instance($cmid))`: course login plus
    /// the module being visible to the user.
    ///
    /// # Errors
    /// `requireloginerror`.
    pub fn validate_module_context(&self, userid: i64, cmid: i64, now: i64) -> Result<(), WsError> {
        let Some(cm) = self.cms.get(&cmid) else {
            return Err(WsError::require_login());
        };
        let ctx = self
            .context_id(ContextLevel::Module, cmid)
            .unwrap_or(SYSTEM_CONTEXT);
        let visible =
            cm.visible || self.has_capability(userid, "moodle/course:viewhiddenactivities", ctx);
        self.require_course_login(userid, cm.course, now)?;
        if visible {
            Ok(())
        } else {
            Err(WsError::require_login_because("Activity is hidden"))
        }
    }
}
