//! The stand-in's database: Moodle's tables the implemented functions read and write,
//! with Moodle's id sequences, so created objects get the ids a real site would give.
//!
//! Web-service functions take `&mut State` inside one lock, which gives each call the
//! isolation of a database transaction: a call that fails changes nothing it did not
//! commit on purpose.

mod assign_lib;
mod course;
mod course_lib;
mod delegation;
mod enrol_lib;
pub mod files;
mod people;
pub mod quiz;
pub mod schema;
mod site;
mod sortorder;
mod user_lib;

pub use assign_lib::{AssignDates, STATUS_DRAFT, STATUS_NEW, STATUS_SUBMITTED};
pub use course::{
    Assign, Category, Course, CourseModule, FormatOptions, ModInstance, Section, Submission,
    SubmissionGrade, UserFlags,
};
pub use course_lib::{DEFAULT_COURSE_DURATION, MAX_SECTIONS, NewCourse, NewModule, module_type_id};
pub use delegation::SUBSECTION_COMPONENT;
pub use enrol_lib::{COURSE_CONTACT_ROLE, Enrolment};
pub use files::{NewFile, StoredFile, mimetype_for, mimetype_icon, mimetype_of, sha1_hex};
pub use people::{
    EnrolInstance, Notification, Role, RoleAssignment, Service, Token, User, UserEnrolment,
};
pub use quiz::{Quiz, QuizData};
pub use site::Site;
pub use sortorder::MAX_COURSES_IN_CATEGORY;
pub use user_lib::{NewUser, password_policy_errors};

use std::collections::BTreeMap;

use indexmap::IndexMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// Context levels (`CONTEXT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum ContextLevel {
    System = 10,
    User = 30,
    Category = 40,
    Course = 50,
    Module = 70,
    Block = 80,
}

/// A row of `context`.
#[derive(Debug, Clone)]
pub struct Context {
    /// Context id.
    pub id: i64,
    /// Level.
    pub level: ContextLevel,
    /// Id of the object at that level (user id, course id, cm id, …).
    pub instanceid: i64,
    /// Context ids from the system context down to this one.
    pub path: Vec<i64>,
}

/// Per-table id sequences, as PostgreSQL sequences would hand them out.
#[derive(Debug, Clone, Default)]
pub struct Sequences {
    next: BTreeMap<&'static str, i64>,
}

impl Sequences {
    /// Takes the next id of a table.
    pub fn next(&mut self, table: &'static str) -> i64 {
        let slot = self.next.entry(table).or_insert(1);
        let id = *slot;
        *slot += 1;
        id
    }

    /// Makes sure the next id of a table is at least `next`.
    pub fn reserve(&mut self, table: &'static str, next: i64) {
        let slot = self.next.entry(table).or_insert(1);
        *slot = (*slot).max(next);
    }
}

/// Everything the stand-in knows.
#[derive(Debug, Clone)]
pub struct State {
    /// Site configuration.
    pub site: Site,
    /// Id sequences.
    pub seq: Sequences,
    /// `context`.
    pub contexts: BTreeMap<i64, Context>,
    /// `user`.
    pub users: BTreeMap<i64, User>,
    /// `user_preferences`: (userid, name) → value, in the order rows were added.
    pub preferences: IndexMap<(i64, String), String>,
    /// `role`.
    pub roles: BTreeMap<i64, Role>,
    /// `role_assignments`.
    pub role_assignments: Vec<RoleAssignment>,
    /// `course_categories`.
    pub categories: BTreeMap<i64, Category>,
    /// `course`.
    pub courses: BTreeMap<i64, Course>,
    /// `course_sections`.
    pub sections: BTreeMap<i64, Section>,
    /// `course_modules` with their instances.
    pub cms: BTreeMap<i64, CourseModule>,
    /// `enrol`.
    pub enrol_instances: BTreeMap<i64, EnrolInstance>,
    /// `user_enrolments`.
    pub user_enrolments: BTreeMap<i64, UserEnrolment>,
    /// `files`.
    pub files: BTreeMap<i64, StoredFile>,
    /// `assign_submission`.
    pub submissions: BTreeMap<i64, Submission>,
    /// `assign_grades`.
    pub grades: BTreeMap<i64, SubmissionGrade>,
    /// `assign_user_flags`.
    pub user_flags: BTreeMap<i64, UserFlags>,
    /// The request's `$USER->preference` cache: whose, and how many of their preferences
    /// existed when it was loaded (`_lastloaded` sits after those, before later ones).
    pub preferences_loaded: Option<(i64, usize)>,
    /// `notifications`.
    pub notifications: BTreeMap<i64, Notification>,
    /// `external_services`.
    pub services: BTreeMap<i64, Service>,
    /// `external_tokens`, by token string.
    pub tokens: BTreeMap<String, Token>,
    /// `user_private_key` for `core_files` (the `userprivateaccesskey`), by user id.
    pub private_access_keys: BTreeMap<i64, String>,
    /// One-time login keys (`user_private_key` rows of `tool_mobile`), by key.
    pub login_keys: BTreeMap<String, LoginKey>,
    /// The project's Moodle plugins: settings, sessions, rate-limit counters, events.
    pub plugins: crate::plugins::PluginData,
    /// The LTI platform side's tables and browser session data.
    pub lti: crate::lti::LtiData,
    /// Questions, quiz slots, attempts and quiz grades (`state/quiz.rs`).
    pub quiz: QuizData,
}

/// A one-time login key (`create_user_key()`), redeemed by an autologin script.
#[derive(Debug, Clone)]
pub struct LoginKey {
    /// The key's owner.
    pub userid: i64,
    /// The script it is for (`tool_mobile`).
    pub script: String,
    /// The address it is bound to.
    pub iprestriction: String,
    /// Expiry time.
    pub validuntil: i64,
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `SITEID`.
pub const SITE_ID: i64 = 1;
/// The system context id.
pub const SYSTEM_CONTEXT: i64 = 1;

impl State {
    /// Creates a context under a parent context (`context_helper::create_instances`).
    pub fn create_context(&mut self, level: ContextLevel, instanceid: i64, parent: i64) -> i64 {
        let id = self.seq.next("context");
        let mut path = self
            .contexts
            .get(&parent)
            .map(|c| c.path.clone())
            .unwrap_or_default();
        path.push(id);
        self.contexts.insert(
            id,
            Context {
                id,
                level,
                instanceid,
                path,
            },
        );
        id
    }

    /// `context::update_moved($newparent)`: the context and everything below it get paths
    /// under the new parent.
    pub fn move_context(&mut self, context: i64, new_parent: i64) {
        let Some(old_path) = self.contexts.get(&context).map(|c| c.path.clone()) else {
            return;
        };
        let mut new_path = self
            .contexts
            .get(&new_parent)
            .map(|c| c.path.clone())
            .unwrap_or_default();
        new_path.push(context);
        for c in self.contexts.values_mut() {
            if c.path.starts_with(&old_path) {
                let mut path = new_path.clone();
                path.extend_from_slice(&c.path[old_path.len()..]);
                c.path = path;
            }
        }
    }

    /// The context of an object, if it exists.
    pub fn context_of(&self, level: ContextLevel, instanceid: i64) -> Option<&Context> {
        self.contexts
            .values()
            .find(|c| c.level == level && c.instanceid == instanceid)
    }

    /// The context id of an object, if it exists.
    pub fn context_id(&self, level: ContextLevel, instanceid: i64) -> Option<i64> {
        self.context_of(level, instanceid).map(|c| c.id)
    }

    /// The URL of a theme image (`$OUTPUT->image_url()`), e.g. `core`, `u/f1`.
    pub fn image_url(&self, component: &str, image: &str) -> String {
        format!(
            "{}/theme/image.php/boost/{component}/{}/{image}",
            self.site.wwwroot, self.site.themerev
        )
    }

    /// The default user picture URL of a size (`f1`, `f2`).
    pub fn user_picture_url(&self, size: &str) -> String {
        self.image_url("core", &format!("u/{size}"))
    }

    /// `enrol_check_plugins($user)` as web-service logins run it: records when the user's
    /// enrolments were last synchronised, at most once an hour unless forced.
    pub fn sync_enrolments(&mut self, userid: i64, now: i64, ignore_interval: bool) {
        // get_user_preferences() loads the user's preference cache first.
        let loaded = self
            .preferences
            .keys()
            .filter(|(uid, _)| *uid == userid)
            .count();
        self.preferences_loaded = Some((userid, loaded));
        let key = (userid, "last_time_enrolments_synced".to_owned());
        let last: i64 = self
            .preferences
            .get(&key)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if ignore_interval || now - last >= 3600 {
            self.preferences.insert(key, now.to_string());
        }
    }

    /// A user by id that is not deleted.
    pub fn live_user(&self, id: i64) -> Option<&User> {
        self.users.get(&id).filter(|u| !u.deleted)
    }
}

/// `$DB->get_in_or_equal($strings)` against an integer column: PostgreSQL reads each value
/// as a bigint literal (surrounding spaces and a sign allowed) and refuses the whole query
/// when one is not, e.g. the empty string `explode(',', '2,,4')` yields.
///
/// # Errors
/// `dmlreadexception`, as the refused query surfaces in Moodle.
pub fn sql_int_list<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<i64>, crate::errors::WsError> {
    values
        .into_iter()
        .map(|v| {
            let t = v.trim_matches([' ', '\t', '\n', '\r']);
            let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(crate::errors::WsError::dml_read(format!(
                    "ERROR:  invalid input syntax for type bigint: \"{v}\""
                )));
            }
            t.parse::<i64>().map_err(|_| {
                crate::errors::WsError::dml_read("ERROR:  value out of range for type bigint")
            })
        })
        .collect()
}
