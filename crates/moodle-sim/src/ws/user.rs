//! Users: `core_user_get_users_by_field`, `core_user_create_users` (`user/externallib.php`),
//! and `user_get_user_details()` (`user/lib.php`), which `core_enrol_get_enrolled_users`
//! shares.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Call, FunctionDef, params};
use crate::errors::WsError;
use crate::external::desc::*;
use crate::external::param::{ParamType, is_valid_email};
use crate::state::{ContextLevel, NewUser, SYSTEM_CONTEXT, State, User, password_policy_errors};

mod search;

pub(super) fn functions() -> Vec<FunctionDef> {
    vec![
        search::function(),
        FunctionDef {
            name: "core_user_get_users_by_field",
            params: || single(vec![("field", alpha()), ("values", multiple(raw()))]),
            returns: || Some(multiple(user_description())),
            run: get_users_by_field,
            write: false,
        },
        FunctionDef {
            name: "core_user_create_users",
            params: create_users_params,
            returns: || {
                Some(multiple(single(vec![
                    ("id", int()),
                    ("username", username()),
                ])))
            },
            run: create_users,
            write: true,
        },
    ]
}

/// `core_user_external::user_description()`.
fn user_description() -> Desc {
    single(vec![
        ("id", int()),
        ("username", username().optional()),
        ("firstname", notags().optional()),
        ("lastname", notags().optional()),
        ("fullname", notags()),
        ("email", value(ParamType::RawTrimmed).optional()),
        ("address", text().optional()),
        ("phone1", notags().optional()),
        ("phone2", notags().optional()),
        ("department", text().optional()),
        ("institution", text().optional()),
        ("idnumber", raw().optional()),
        ("interests", text().optional()),
        ("firstaccess", int().optional()),
        ("lastaccess", int().optional()),
        ("auth", auth().optional()),
        ("suspended", boolean().optional()),
        ("confirmed", boolean().optional()),
        ("lang", lang().optional()),
        ("calendartype", plugin().optional()),
        ("theme", theme().optional()),
        ("timezone", timezone().optional()),
        ("mailformat", int().optional()),
        ("trackforums", int().optional()),
        ("description", raw().optional()),
        ("descriptionformat", int().optional()),
        ("city", text().optional()),
        ("country", alpha().optional()),
        ("profileimageurlsmall", url()),
        ("profileimageurl", url()),
        (
            "customfields",
            multiple(single(vec![
                ("type", alphanumext()),
                ("value", raw()),
                ("displayvalue", raw().optional()),
                ("name", raw()),
                ("shortname", raw()),
            ]))
            .optional(),
        ),
        (
            "preferences",
            multiple(single(vec![("name", raw()), ("value", raw())])).optional(),
        ),
    ])
}

/// The fields `user_get_user_details()` returns by default.
pub const DEFAULT_FIELDS: [&str; 35] = [
    "id",
    "username",
    "fullname",
    "firstname",
    "lastname",
    "email",
    "address",
    "phone1",
    "phone2",
    "department",
    "institution",
    "interests",
    "firstaccess",
    "lastaccess",
    "auth",
    "confirmed",
    "idnumber",
    "lang",
    "theme",
    "timezone",
    "mailformat",
    "description",
    "descriptionformat",
    "city",
    "country",
    "profileimageurlsmall",
    "profileimageurl",
    "customfields",
    "groups",
    "roles",
    "preferences",
    "enrolledcourses",
    "suspended",
    "lastcourseaccess",
    "trackforums",
];

/// Who looks at whom, and in which course.
pub struct DetailsRequest<'a> {
    /// The viewing user.
    pub viewer: i64,
    /// The user described.
    pub user: &'a User,
    /// The course context of the request, if any.
    pub course: Option<i64>,
    /// Requested fields; empty for the defaults.
    pub fields: &'a [&'a str],
}

/// `user_get_user_details()`: what the viewer may see of a user, or `None` when nothing.
pub fn user_details(s: &State, req: &DetailsRequest<'_>, now: i64) -> Option<Value> {
    let user = req.user;
    let fields: Vec<&str> = if req.fields.is_empty() {
        DEFAULT_FIELDS.to_vec()
    } else {
        req.fields.to_vec()
    };
    let has = |f: &str| fields.contains(&f);
    let current = user.id == req.viewer;
    let user_ctx = s
        .context_id(ContextLevel::User, user.id)
        .unwrap_or(SYSTEM_CONTEXT);
    let ctx = req
        .course
        .and_then(|c| s.context_id(ContextLevel::Course, c))
        .unwrap_or(user_ctx);
    let cap = |c: &str| s.has_capability(req.viewer, c, ctx);
    if !current {
        let can_view = if req.course.is_some() {
            cap("moodle/user:viewdetails")
                || s.has_capability(req.viewer, "moodle/user:viewdetails", user_ctx)
        } else {
            s.has_capability(req.viewer, "moodle/user:viewdetails", user_ctx)
        };
        if !can_view && !has_coursecontact_role(s, user.id) {
            return None;
        }
    }
    // $CFG->showuseridentity is "email", shown to those who may view user identity.
    let identity_email = cap("moodle/site:viewuseridentity");
    let alldetails = cap("moodle/user:viewalldetails");
    let mut d = Map::new();
    d.insert("id".into(), json!(user.id));
    d.insert("fullname".into(), json!(user.fullname()));
    if has("firstname") {
        d.insert("firstname".into(), json!(user.firstname));
    }
    if has("lastname") {
        d.insert("lastname".into(), json!(user.lastname));
    }
    if has("username") && (current || alldetails) {
        d.insert("username".into(), json!(user.username));
    }
    if has("profileimageurl") {
        d.insert("profileimageurl".into(), json!(s.user_picture_url("f1")));
    }
    if has("profileimageurlsmall") {
        d.insert(
            "profileimageurlsmall".into(),
            json!(s.user_picture_url("f2")),
        );
    }
    if has("timezone") && !user.timezone.is_empty() {
        d.insert("timezone".into(), json!(user.timezone));
    }
    if has("suspended") {
        d.insert("suspended".into(), json!(user.suspended));
    }
    if has("firstaccess") {
        d.insert("firstaccess".into(), json!(user.firstaccess));
    }
    if has("lastaccess") {
        d.insert("lastaccess".into(), json!(user.lastaccess));
    }
    if has("lastcourseaccess") {
        d.insert("lastcourseaccess".into(), json!(0));
    }
    // maildisplay is "course members only" by default.
    let shares_course = s
        .enrolled_course_ids(user.id)
        .iter()
        .any(|c| s.is_enrolled(req.viewer, *c, now));
    let can_view_email = req.course.is_some() && cap("moodle/course:useremail");
    if has("email") && (current || shares_course || can_view_email || identity_email) {
        d.insert("email".into(), json!(user.email));
    }
    if has("idnumber") && !user.idnumber.is_empty() && (current || alldetails) {
        d.insert("idnumber".into(), json!(user.idnumber));
    }
    if has("department") && (current || alldetails) {
        d.insert("department".into(), json!(user.department));
    }
    if has("description") && !user.description.is_empty() && (current || alldetails) {
        let (text, format) = crate::external::format::format_text(&user.description, 1);
        d.insert("description".into(), json!(text));
        d.insert("descriptionformat".into(), json!(format));
    }
    if has("roles")
        && let Some(course) = req.course
    {
        let course_ctx = s
            .context_id(ContextLevel::Course, course)
            .unwrap_or(SYSTEM_CONTEXT);
        // get_user_roles(): by the roles' sort order.
        let mut assigned: Vec<&crate::state::Role> = s
            .role_assignments
            .iter()
            .filter(|ra| ra.userid == user.id && ra.contextid == course_ctx)
            .filter_map(|ra| s.roles.get(&ra.roleid))
            .collect();
        assigned.sort_by_key(|r| r.id);
        let roles: Vec<Value> = assigned
                .into_iter()
                .map(|r| json!({"roleid": r.id, "name": r.name, "shortname": r.shortname, "sortorder": 0}))
                .collect();
        d.insert("roles".into(), json!(roles));
    }
    if has("enrolledcourses") {
        let mut courses: Vec<&crate::state::Course> = s
            .enrolled_course_ids(user.id)
            .iter()
            .filter(|c| s.is_enrolled(user.id, **c, now))
            .filter_map(|c| s.courses.get(c))
            .collect();
        courses.sort_by_key(|c| (!c.visible, c.sortorder));
        if !courses.is_empty() {
            let list: Vec<Value> = courses
                .iter()
                .map(|c| json!({"id": c.id, "fullname": c.fullname, "shortname": c.shortname}))
                .collect();
            d.insert("enrolledcourses".into(), json!(list));
        }
    }
    if has("preferences") && current {
        let mut prefs: Vec<Value> = s
            .preferences
            .iter()
            .filter(|((uid, _), _)| *uid == user.id)
            .map(|((_, name), value)| json!({"name": name, "value": value}))
            .collect();
        // `_lastloaded` follows the preferences there were when the cache was loaded.
        let at = match s.preferences_loaded {
            Some((uid, count)) if uid == user.id => count.min(prefs.len()),
            _ => prefs.len(),
        };
        prefs.insert(at, json!({"name": "_lastloaded", "value": now}));
        d.insert("preferences".into(), json!(prefs));
    }
    if current || alldetails {
        for (key, value) in [
            ("auth", json!(user.auth)),
            ("confirmed", json!(user.confirmed)),
            ("lang", json!(user.lang)),
            ("theme", json!(user.theme)),
            ("mailformat", json!(user.mailformat)),
            ("trackforums", json!(user.trackforums)),
        ] {
            if has(key) {
                d.insert(key.into(), value);
            }
        }
    }
    Some(Value::Object(d))
}

/// `has_coursecontact_role()`: the user is a course contact somewhere.
fn has_coursecontact_role(s: &State, userid: i64) -> bool {
    s.role_assignments
        .iter()
        .any(|ra| ra.userid == userid && ra.roleid == crate::state::COURSE_CONTACT_ROLE)
}

/// `user_get_user_details_courses()`: the system profile when allowed, else the first
/// shared course the viewer may see the user in.
fn details_any_context(s: &State, viewer: i64, user: &User, now: i64) -> Option<Value> {
    let user_ctx = s
        .context_id(ContextLevel::User, user.id)
        .unwrap_or(SYSTEM_CONTEXT);
    let system = s.has_capability(viewer, "moodle/user:viewdetails", user_ctx)
        || viewer == user.id
        || has_coursecontact_role(s, user.id);
    if system {
        return user_details(
            s,
            &DetailsRequest {
                viewer,
                user,
                course: None,
                fields: &[],
            },
            now,
        );
    }
    let mut details = None;
    for course in s.enrolled_course_ids(user.id) {
        let viewer_in = s.is_enrolled(viewer, course, now);
        let ctx = s
            .context_id(ContextLevel::Course, course)
            .unwrap_or(SYSTEM_CONTEXT);
        if viewer_in && s.has_capability(viewer, "moodle/user:viewdetails", ctx) {
            details = user_details(
                s,
                &DetailsRequest {
                    viewer,
                    user,
                    course: Some(course),
                    fields: &[],
                },
                now,
            );
        }
    }
    details
}

#[derive(Deserialize)]
struct ByFieldParams {
    field: String,
    values: Vec<Value>,
}

fn get_users_by_field(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: ByFieldParams = params(p)?;
    let ty = match p.field.as_str() {
        "id" => ParamType::Int,
        "idnumber" => ParamType::Raw,
        "username" => ParamType::Username,
        "email" => ParamType::RawTrimmed,
        other => {
            return Err(WsError::coding("invalid field parameter").with_debuginfo(format!(
                "The search field '{other}' is not supported, look at the web service documentation"
            )));
        }
    };
    let mut cleaned = Vec::new();
    for v in &p.values {
        let c = ty.clean(v, &call.state.site.wwwroot);
        // `$value != $cleanedvalue`: PHP's loose comparison (" 4" equals 4).
        if !crate::external::loose::php_loose_eq(v, &c) {
            return Err(WsError::invalid_parameter(format!(
                "The field '{}' value is invalid: {}(cleaned value: {})",
                p.field,
                crate::external::param::php_string(v),
                crate::external::param::php_string(&c)
            )));
        }
        cleaned.push(crate::external::param::php_string(&c));
    }
    let s = &*call.state;
    let mut out = Vec::new();
    // get_records_list(): deleted users too, by id.
    for user in s.users.values() {
        let key = match p.field.as_str() {
            "id" => user.id.to_string(),
            "idnumber" => user.idnumber.clone(),
            "username" => user.username.clone(),
            _ => user.email.clone(),
        };
        if !cleaned.contains(&key) {
            continue;
        }
        if let Some(d) = details_any_context(s, call.userid, user, call.now) {
            let shown = d
                .get(p.field.as_str())
                .is_some_and(|v| !crate::external::param::php_empty(v));
            if shown {
                out.push(d);
            }
        }
    }
    Ok(Value::Array(out))
}

fn create_users_params() -> Desc {
    single(vec![(
        "users",
        multiple(single(vec![
            ("createpassword", boolean().optional()),
            ("username", username()),
            ("auth", auth().default("manual")),
            ("password", raw().optional()),
            ("firstname", notags()),
            ("lastname", notags()),
            ("email", value(ParamType::RawTrimmed)),
            ("maildisplay", int().optional()),
            ("city", text().optional()),
            ("country", alpha().optional()),
            ("timezone", timezone().optional()),
            ("description", raw().optional()),
            ("firstnamephonetic", notags().optional()),
            ("lastnamephonetic", notags().optional()),
            ("middlename", notags().optional()),
            ("alternatename", notags().optional()),
            ("interests", text().optional()),
            ("idnumber", raw().default("")),
            ("institution", text().optional()),
            ("department", text().optional()),
            ("phone1", notags().optional()),
            ("phone2", notags().optional()),
            ("address", text().optional()),
            ("lang", lang().default("en")),
            ("calendartype", plugin().default("gregorian")),
            ("theme", theme().optional()),
            ("mailformat", int().optional()),
            (
                "customfields",
                multiple(single(vec![("type", alphanumext()), ("value", raw())])).optional(),
            ),
            (
                "preferences",
                multiple(single(vec![("type", raw()), ("value", raw())])).optional(),
            ),
        ])),
    )])
}

#[derive(Deserialize)]
struct CreateParams {
    users: Vec<NewUserFields>,
}

#[derive(Deserialize)]
struct NewUserFields {
    createpassword: Option<bool>,
    username: String,
    auth: String,
    password: Option<String>,
    firstname: String,
    lastname: String,
    email: String,
    idnumber: String,
    lang: String,
    department: Option<String>,
    mailformat: Option<i64>,
    timezone: Option<String>,
}

fn create_users(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    call.require_capability("moodle/user:create", SYSTEM_CONTEXT)?;
    let p: CreateParams = params(p)?;
    let mut created = Vec::new();
    for u in p.users {
        for (field, value) in [
            ("username", &u.username),
            ("firstname", &u.firstname),
            ("lastname", &u.lastname),
        ] {
            if value.trim().is_empty() {
                return Err(WsError::invalid_parameter(format!(
                    "The field {field} cannot be blank"
                )));
            }
        }
        if call.state.users.values().any(|x| x.username == u.username) {
            return Err(WsError::invalid_parameter(format!(
                "Username already exists: {}",
                u.username
            )));
        }
        if !matches!(u.auth.as_str(), "manual" | "nologin" | "email") {
            return Err(WsError::invalid_parameter(format!(
                "Invalid authentication type: {}",
                u.auth
            )));
        }
        if u.lang != "en" {
            return Err(WsError::invalid_parameter(format!(
                "Invalid language code: {}",
                u.lang
            )));
        }
        let create_password = u.createpassword.unwrap_or(false);
        let internal = u.auth != "nologin";
        if internal && u.password.as_deref().unwrap_or_default().is_empty() && !create_password {
            return Err(WsError::invalid_parameter(
                "Invalid password: you must provide a password, or set createpassword.",
            ));
        }
        if !is_valid_email(&u.email) {
            return Err(WsError::invalid_parameter(format!(
                "Email address is invalid: {}",
                u.email
            )));
        }
        if call
            .state
            .users
            .values()
            .any(|x| !x.deleted && x.email.eq_ignore_ascii_case(&u.email))
        {
            return Err(WsError::invalid_parameter(format!(
                "Email address already exists: {}",
                u.email
            )));
        }
        let password = if create_password {
            String::new()
        } else {
            u.password.clone().unwrap_or_default()
        };
        if !create_password
            && internal
            && let Some(errors) = password_policy_errors(&password)
        {
            return Err(WsError::literal(errors));
        }
        crate::state::schema::check_row(
            call.state.site.moodle,
            "user",
            &[
                ("username", &u.username),
                ("firstname", &u.firstname),
                ("lastname", &u.lastname),
                ("email", &u.email),
                ("idnumber", &u.idnumber),
                ("auth", &u.auth),
                ("department", u.department.as_deref().unwrap_or_default()),
                ("timezone", u.timezone.as_deref().unwrap_or_default()),
            ],
        )?;
        let id = call.state.create_user(
            NewUser {
                username: u.username.clone(),
                password,
                firstname: u.firstname,
                lastname: u.lastname,
                email: u.email,
                idnumber: u.idnumber,
                auth: u.auth,
                lang: u.lang,
            },
            call.now,
        );
        if let Some(user) = call.state.users.get_mut(&id) {
            if let Some(d) = u.department {
                user.department = d;
            }
            if let Some(m) = u.mailformat {
                user.mailformat = m;
            }
            if let Some(t) = u.timezone {
                user.timezone = t;
            }
        }
        if create_password {
            call.state
                .preferences
                .insert((id, "auth_forcepasswordchange".to_owned()), "1".to_owned());
        }
        created.push(json!({"id": id, "username": u.username}));
    }
    Ok(Value::Array(created))
}
