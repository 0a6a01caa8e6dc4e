//! Enrolments: `enrol_manual_enrol_users` (write) and `core_enrol_get_enrolled_users`.

use crate::functions::Function;
use serde::{Deserialize, Serialize};

use super::{NameValue, lenient};
use crate::client::Client;
use crate::error::Error;

/// `enrol_manual_enrol_users`.
pub const ENROL_USERS: Function = Function::write("enrol_manual_enrol_users");
/// `core_enrol_get_enrolled_users`.
pub const GET_ENROLLED_USERS: Function = Function::read("core_enrol_get_enrolled_users");

/// One manual enrolment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Enrolment {
    /// Role id (5 = student, 3 = editing teacher on a default site).
    pub roleid: i64,
    /// User id.
    pub userid: i64,
    /// Course id.
    pub courseid: i64,
    /// Start time.
    pub timestart: Option<i64>,
    /// End time.
    pub timeend: Option<i64>,
    /// Enrol as suspended.
    pub suspend: Option<bool>,
}

impl Enrolment {
    /// Enrols `userid` in `courseid` with `roleid`.
    pub fn new(roleid: i64, userid: i64, courseid: i64) -> Self {
        Enrolment {
            roleid,
            userid,
            courseid,
            ..Enrolment::default()
        }
    }
}

/// An option of `core_enrol_get_enrolled_users`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrolledUsersOption {
    /// Only users with this capability.
    WithCapability(String),
    /// Only members of a group.
    GroupId(i64),
    /// Only active enrolments.
    OnlyActive(bool),
    /// Only suspended enrolments.
    OnlySuspended(bool),
    /// Only these user fields (`id,username,fullname,email,roles`).
    UserFields(Vec<String>),
    /// Paging: skip this many.
    LimitFrom(i64),
    /// Paging: at most this many.
    LimitNumber(i64),
    /// Sort field (`id`, `firstname`, `lastname`, `siteorder`).
    SortBy(String),
    /// `ASC` or `DESC`.
    SortDirection(String),
}

impl EnrolledUsersOption {
    fn to_name_value(&self) -> NameValue {
        match self {
            EnrolledUsersOption::WithCapability(c) => NameValue::new("withcapability", c),
            EnrolledUsersOption::GroupId(id) => NameValue::new("groupid", id),
            EnrolledUsersOption::OnlyActive(b) => NameValue::flag("onlyactive", *b),
            EnrolledUsersOption::OnlySuspended(b) => NameValue::flag("onlysuspended", *b),
            EnrolledUsersOption::UserFields(f) => NameValue::new("userfields", f.join(",")),
            EnrolledUsersOption::LimitFrom(n) => NameValue::new("limitfrom", n),
            EnrolledUsersOption::LimitNumber(n) => NameValue::new("limitnumber", n),
            EnrolledUsersOption::SortBy(s) => NameValue::new("sortby", s),
            EnrolledUsersOption::SortDirection(s) => NameValue::new("sortdirection", s),
        }
    }
}

/// An enrolled user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct EnrolledUser {
    /// User id.
    #[serde(deserialize_with = "lenient::int")]
    pub id: i64,
    /// Username.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub username: Option<String>,
    /// First name.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub firstname: Option<String>,
    /// Last name.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub lastname: Option<String>,
    /// Full name.
    #[serde(deserialize_with = "lenient::string")]
    pub fullname: String,
    /// Email.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub email: Option<String>,
    /// ID number.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub idnumber: Option<String>,
    /// Last access to this course.
    #[serde(deserialize_with = "lenient::opt_int")]
    pub lastcourseaccess: Option<i64>,
    /// Roles in the course.
    #[serde(deserialize_with = "lenient::list")]
    pub roles: Vec<Role>,
    /// Groups in the course.
    #[serde(deserialize_with = "lenient::list")]
    pub groups: Vec<Group>,
    /// Courses the user is enrolled in (that the caller may see).
    #[serde(deserialize_with = "lenient::list")]
    pub enrolledcourses: Vec<EnrolledCourse>,
}

/// A role assignment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Role {
    /// Role id.
    #[serde(deserialize_with = "lenient::int")]
    pub roleid: i64,
    /// Custom name (often empty).
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// Short name (`student`, `editingteacher`, …).
    #[serde(deserialize_with = "lenient::string")]
    pub shortname: String,
}

/// A group membership.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Group {
    /// Group id.
    #[serde(deserialize_with = "lenient::int")]
    pub id: i64,
    /// Name.
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
}

/// A course in `enrolledcourses`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct EnrolledCourse {
    /// Course id.
    #[serde(deserialize_with = "lenient::int")]
    pub id: i64,
    /// Full name.
    #[serde(deserialize_with = "lenient::string")]
    pub fullname: String,
    /// Short name.
    #[serde(deserialize_with = "lenient::string")]
    pub shortname: String,
}

#[derive(Serialize)]
struct EnrolParams<'a> {
    enrolments: &'a [Enrolment],
}

#[derive(Serialize)]
struct EnrolledParams {
    courseid: i64,
    options: Vec<NameValue>,
}

impl Client {
    /// Enrols users with the manual enrolment method; all or nothing. Moodle answers
    /// `null`. Never retried.
    ///
    /// # Errors
    /// `invaliduser`, `wsusercannotassign` (role not assignable), `invalidparameter`
    /// (unknown course), `nopermissions`, `requireloginerror` and other [`Error`]s.
    pub async fn enrol_users(&self, enrolments: &[Enrolment]) -> Result<(), Error> {
        self.call(ENROL_USERS, &EnrolParams { enrolments }).await
    }

    /// The users enrolled in a course.
    ///
    /// # Errors
    /// `invalidrecord` (unknown course), `errorcoursecontextnotvalid` and other [`Error`]s.
    pub async fn get_enrolled_users(
        &self,
        courseid: i64,
        options: &[EnrolledUsersOption],
    ) -> Result<Vec<EnrolledUser>, Error> {
        let options = options
            .iter()
            .map(EnrolledUsersOption::to_name_value)
            .collect();
        self.call(GET_ENROLLED_USERS, &EnrolledParams { courseid, options })
            .await
    }
}
