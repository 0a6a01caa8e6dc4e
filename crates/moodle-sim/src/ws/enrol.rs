//! Enrolments: `enrol_manual_enrol_users` (`enrol/manual/externallib.php`) and
//! `core_enrol_get_enrolled_users` (`enrol/externallib.php`).

use serde::Deserialize;
use serde_json::{Value, json};

use super::user::{DetailsRequest, user_details};
use super::{Call, FunctionDef, params};
use crate::errors::WsError;
use crate::external::desc::*;
use crate::external::param::php_string;
use crate::state::{ContextLevel, Enrolment, SITE_ID, SYSTEM_CONTEXT};

mod users_courses;

pub(super) fn functions() -> Vec<FunctionDef> {
    vec![
        users_courses::function(),
        FunctionDef {
            name: "enrol_manual_enrol_users",
            params: || {
                single(vec![(
                    "enrolments",
                    multiple(single(vec![
                        ("roleid", int()),
                        ("userid", int()),
                        ("courseid", int()),
                        ("timestart", int().optional()),
                        ("timeend", int().optional()),
                        ("suspend", int().optional()),
                    ])),
                )])
            },
            returns: || None,
            run: enrol_users,
            write: true,
        },
        FunctionDef {
            name: "core_enrol_get_enrolled_users",
            params: || {
                single(vec![
                    ("courseid", int()),
                    (
                        "options",
                        multiple(single(vec![("name", alphanumext()), ("value", raw())]))
                            .default(json!([])),
                    ),
                ])
            },
            returns: || Some(multiple(enrolled_user_structure())),
            run: get_enrolled_users,
            write: false,
        },
    ]
}

#[derive(Deserialize)]
struct EnrolParams {
    enrolments: Vec<EnrolRequest>,
}

#[derive(Deserialize)]
struct EnrolRequest {
    roleid: i64,
    userid: i64,
    courseid: i64,
    timestart: Option<i64>,
    timeend: Option<i64>,
    suspend: Option<i64>,
}

/// Roles a user may assign in a course (`get_assignable_roles()` with Moodle's defaults:
/// managers assign all course roles, editing teachers assign teachers and students).
fn assignable_roles(call: &Call<'_>, ctx: i64) -> Vec<i64> {
    if call.is_siteadmin() {
        return vec![1, 3, 4, 5];
    }
    let roles = call.state.roles_in_context(call.userid, ctx);
    let mut out = Vec::new();
    if roles.contains(&1) {
        out.extend([1, 3, 4, 5]);
    }
    if roles.contains(&3) {
        out.extend([4, 5]);
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn enrol_users(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: EnrolParams = params(p)?;
    for e in p.enrolments {
        let Some(ctx) = call.state.context_id(ContextLevel::Course, e.courseid) else {
            return Err(WsError::invalid_parameter("Context does not exist"));
        };
        call.state
            .require_course_login(call.userid, e.courseid, call.now)?;
        call.require_capability("enrol/manual:enrol", ctx)?;
        call.state.must_exist_user(e.userid)?;
        let Some(user) = call.state.users.get(&e.userid).cloned() else {
            return Ok(Value::Null);
        };
        if user.deleted {
            return Err(WsError::moodle(
                "userdeleted",
                "User account has been deleted",
            ));
        }
        if !user.confirmed {
            return Err(WsError::moodle(
                "usernotconfirmed",
                format!(
                    "Your account has not been confirmed yet ({})",
                    user.username
                ),
            ));
        }
        if !assignable_roles(call, ctx).contains(&e.roleid) {
            return Err(WsError::moodle(
                "wsusercannotassign",
                format!(
                    "You don't have the permission to assign this role ({}) to this user ({}) in this course ({}).",
                    e.roleid, user.id, e.courseid
                ),
            ));
        }
        let Some(instance) = call
            .state
            .enrol_instances
            .values()
            .find(|i| i.courseid == e.courseid && i.enrol == "manual" && i.status == 0)
            .map(|i| i.id)
        else {
            return Err(WsError::moodle(
                "wsnoinstance",
                format!(
                    "Manual enrolment plugin instance doesn't exist or is disabled for the course (id = {})",
                    e.courseid
                ),
            ));
        };
        call.state.enrol_user(
            Enrolment {
                enrolid: instance,
                userid: user.id,
                roleid: Some(e.roleid),
                timestart: e.timestart.unwrap_or(0),
                timeend: e.timeend.unwrap_or(0),
                suspended: e.suspend.unwrap_or(0) != 0,
            },
            call.now,
        );
    }
    Ok(Value::Null)
}

fn enrolled_user_structure() -> Desc {
    single(vec![
        ("id", int()),
        ("username", raw().optional()),
        ("firstname", notags().optional()),
        ("lastname", notags().optional()),
        ("fullname", notags()),
        ("email", text().optional()),
        ("address", text().optional()),
        ("phone1", notags().optional()),
        ("phone2", notags().optional()),
        ("department", text().optional()),
        ("institution", text().optional()),
        ("idnumber", raw().optional()),
        ("interests", text().optional()),
        ("firstaccess", int().optional()),
        ("lastaccess", int().optional()),
        ("lastcourseaccess", int().optional()),
        ("description", raw().optional()),
        ("descriptionformat", int().optional()),
        ("city", notags().optional()),
        ("country", alpha().optional()),
        ("profileimageurlsmall", url().optional()),
        ("profileimageurl", url().optional()),
        (
            "customfields",
            multiple(single(vec![
                ("type", alphanumext()),
                ("value", raw()),
                ("name", raw()),
                ("shortname", raw()),
            ]))
            .optional(),
        ),
        (
            "groups",
            multiple(single(vec![
                ("id", int()),
                ("name", raw()),
                ("description", raw()),
                ("descriptionformat", int()),
            ]))
            .optional(),
        ),
        (
            "roles",
            multiple(single(vec![
                ("roleid", int()),
                ("name", raw()),
                ("shortname", alphanumext()),
                ("sortorder", int()),
            ]))
            .optional(),
        ),
        (
            "preferences",
            multiple(single(vec![("name", raw()), ("value", raw())])).optional(),
        ),
        (
            "enrolledcourses",
            multiple(single(vec![
                ("id", int()),
                ("fullname", raw()),
                ("shortname", raw()),
            ]))
            .optional(),
        ),
    ])
}

#[derive(Deserialize)]
struct EnrolledParams {
    courseid: i64,
    options: Vec<EnrolledOption>,
}

#[derive(Deserialize)]
struct EnrolledOption {
    name: String,
    value: Value,
}

fn get_enrolled_users(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: EnrolledParams = params(p)?;
    let mut withcapability = String::new();
    let mut onlyactive = false;
    let mut userfields: Vec<String> = Vec::new();
    let (mut limitfrom, mut limitnumber) = (0usize, 0usize);
    let mut sortby = "id".to_owned();
    let mut descending = false;
    let mut groupid = 0;
    for o in &p.options {
        let v = php_string(&o.value);
        match o.name.as_str() {
            "withcapability" => withcapability = v,
            "onlyactive" => onlyactive = !crate::external::param::php_empty(&o.value),
            "userfields" => {
                userfields = v
                    .split(',')
                    .map(|f| {
                        f.chars()
                            .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                            .collect()
                    })
                    .collect();
            }
            "limitfrom" => {
                limitfrom = usize::try_from(crate::external::param::php_intval(&v)).unwrap_or(0)
            }
            "limitnumber" => {
                limitnumber = usize::try_from(crate::external::param::php_intval(&v)).unwrap_or(0)
            }
            "sortby" => {
                if !matches!(v.as_str(), "id" | "firstname" | "lastname" | "siteorder") {
                    return Err(WsError::invalid_parameter(format!(
                        "Invalid value for sortby parameter (value: {v}), allowed values are: id,firstname,lastname,siteorder"
                    )));
                }
                sortby = v;
            }
            "sortdirection" => descending = v.eq_ignore_ascii_case("desc"),
            "groupid" => groupid = crate::external::param::php_intval(&v),
            _ => {}
        }
    }
    let s = &*call.state;
    if !s.courses.contains_key(&p.courseid) {
        return Err(s.site.missing_record_by_id("course", p.courseid));
    }
    let ctx = s
        .context_id(ContextLevel::Course, p.courseid)
        .unwrap_or(SYSTEM_CONTEXT);
    if p.courseid != SITE_ID {
        s.require_course_login(call.userid, p.courseid, call.now)
            .map_err(|e| WsError::context_not_valid("course", p.courseid, &e))?;
    }
    call.require_capability("moodle/course:viewparticipants", ctx)?;
    if !withcapability.is_empty() {
        call.require_capability("moodle/role:review", ctx)?;
    }
    // Another group than one's own needs accessallgroups; the stand-in has no groups, so the
    // caller is in none and a group has no members.
    if groupid != 0 {
        call.require_capability("moodle/site:accessallgroups", ctx)?;
    }
    if onlyactive {
        call.require_capability("moodle/course:enrolreview", ctx)?;
    }
    if groupid != 0 {
        return Ok(json!([]));
    }
    let mut users: Vec<&crate::state::User> = s
        .users
        .values()
        .filter(|u| !u.deleted && s.has_enrolment(u.id, p.courseid))
        .filter(|u| !onlyactive || s.is_enrolled(u.id, p.courseid, call.now))
        .filter(|u| withcapability.is_empty() || s.has_capability(u.id, &withcapability, ctx))
        .collect();
    match sortby.as_str() {
        "firstname" => users.sort_by(|a, b| a.firstname.cmp(&b.firstname)),
        "lastname" => users.sort_by(|a, b| a.lastname.cmp(&b.lastname)),
        "siteorder" => {
            users.sort_by(|a, b| (&a.lastname, &a.firstname).cmp(&(&b.lastname, &b.firstname)))
        }
        _ => {}
    }
    if descending {
        users.reverse();
    }
    let users = users.into_iter().skip(limitfrom);
    let users: Vec<_> = if limitnumber > 0 {
        users.take(limitnumber).collect()
    } else {
        users.collect()
    };
    let fields: Vec<&str> = userfields.iter().map(String::as_str).collect();
    let mut out = Vec::new();
    for user in users {
        let req = DetailsRequest {
            viewer: call.userid,
            user,
            course: Some(p.courseid),
            fields: &fields,
        };
        if let Some(d) = user_details(s, &req, call.now) {
            out.push(d);
        }
    }
    Ok(Value::Array(out))
}
