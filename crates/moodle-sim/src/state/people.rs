//! Users, roles, enrolments, notifications and web-service credentials.

/// A row of `user`.
#[derive(Debug, Clone)]
pub struct User {
    /// User id.
    pub id: i64,
    /// Username (lowercase).
    pub username: String,
    /// Plain-text password (the stand-in keeps it as given; Moodle keeps a hash).
    pub password: String,
    /// First name.
    pub firstname: String,
    /// Last name.
    pub lastname: String,
    /// Email address.
    pub email: String,
    /// ID number.
    pub idnumber: String,
    /// Department.
    pub department: String,
    /// Profile description (HTML).
    pub description: String,
    /// Authentication plugin (`manual`, `nologin`, …).
    pub auth: String,
    /// Suspended.
    pub suspended: bool,
    /// Deleted.
    pub deleted: bool,
    /// Confirmed.
    pub confirmed: bool,
    /// Language.
    pub lang: String,
    /// Forced theme.
    pub theme: String,
    /// Timezone (`99` = server default).
    pub timezone: String,
    /// Mail format.
    pub mailformat: i64,
    /// Forum tracking.
    pub trackforums: i64,
    /// First access time.
    pub firstaccess: i64,
    /// Last access time.
    pub lastaccess: i64,
    /// Site policy agreed.
    pub policyagreed: i64,
    /// Creation time.
    pub timecreated: i64,
    /// Site administrator (`$CFG->siteadmins`).
    pub siteadmin: bool,
}

impl User {
    /// `fullname($user)`.
    pub fn fullname(&self) -> String {
        format!("{} {}", self.firstname, self.lastname)
    }
}

/// A row of `role`.
#[derive(Debug, Clone)]
pub struct Role {
    /// Role id.
    pub id: i64,
    /// Custom name (empty: use the archetype's name).
    pub name: String,
    /// Short name.
    pub shortname: String,
    /// Sort order.
    pub sortorder: i64,
    /// Archetype, which decides the role's capabilities here.
    pub archetype: String,
}

/// A row of `role_assignments`.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleAssignment {
    /// Role id.
    pub roleid: i64,
    /// Context id.
    pub contextid: i64,
    /// User id.
    pub userid: i64,
}

/// A row of `enrol` (an enrolment method of a course).
#[derive(Debug, Clone)]
pub struct EnrolInstance {
    /// Instance id.
    pub id: i64,
    /// Plugin: `manual`, `guest`, `self`.
    pub enrol: String,
    /// 0 enabled, 1 disabled.
    pub status: i64,
    /// Course id.
    pub courseid: i64,
    /// Default role.
    pub roleid: i64,
}

/// A row of `user_enrolments`.
#[derive(Debug, Clone)]
pub struct UserEnrolment {
    /// Row id.
    pub id: i64,
    /// Enrol instance.
    pub enrolid: i64,
    /// User id.
    pub userid: i64,
    /// 0 active, 1 suspended.
    pub status: i64,
    /// Start time (0 = none).
    pub timestart: i64,
    /// End time (0 = none).
    pub timeend: i64,
}

/// A row of `notifications` (popup notifications).
#[derive(Debug, Clone)]
pub struct Notification {
    /// Id.
    pub id: i64,
    /// Sender (-10 = no-reply user).
    pub useridfrom: i64,
    /// Recipient.
    pub useridto: i64,
    /// Subject.
    pub subject: String,
    /// Plain text body.
    pub fullmessage: String,
    /// Body format.
    pub fullmessageformat: i64,
    /// HTML body.
    pub fullmessagehtml: String,
    /// Short message.
    pub smallmessage: Option<String>,
    /// Sending component.
    pub component: String,
    /// Message provider name.
    pub eventtype: String,
    /// Link.
    pub contexturl: String,
    /// Link label.
    pub contexturlname: String,
    /// Creation time.
    pub timecreated: i64,
    /// Read time.
    pub timeread: Option<i64>,
    /// JSON custom data.
    pub customdata: Option<String>,
}

/// A row of `external_services` with its functions in `external_services_functions` order.
#[derive(Debug, Clone)]
pub struct Service {
    /// Service id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Short name (`moodle_mobile_app`, `bridge`).
    pub shortname: String,
    /// Enabled.
    pub enabled: bool,
    /// Only listed users may use it.
    pub restrictedusers: bool,
    /// "Can download files".
    pub downloadfiles: bool,
    /// "Can upload files".
    pub uploadfiles: bool,
    /// Function names, in the order they were added.
    pub functions: Vec<String>,
}

/// A row of `external_tokens`.
#[derive(Debug, Clone)]
pub struct Token {
    /// The token (32 alphanumerics).
    pub token: String,
    /// Owner.
    pub userid: i64,
    /// Service.
    pub serviceid: i64,
    /// Context restriction.
    pub contextid: i64,
    /// Expiry (0 = never).
    pub validuntil: i64,
    /// IP restriction (`address_in_subnet` syntax), empty for none.
    pub iprestriction: String,
    /// The private token handed out with it by `login/token.php` over HTTPS.
    pub privatetoken: Option<String>,
    /// Creation time.
    pub timecreated: i64,
    /// Last use.
    pub lastaccess: i64,
    /// Name given at creation.
    pub name: String,
}
