//! `local_bridge_get_events` (`classes/external/get_events.php`): the outbox's rows after a
//! cursor, in order, those the token's user may see (`local\events\access`), with the cursor to
//! ask from next.

use serde::Deserialize;
use serde_json::{Value, json};

use super::outbox::EventRow;
use crate::errors::WsError;
use crate::external::desc::*;
use crate::state::{ContextLevel, SITE_ID, SYSTEM_CONTEXT, State};
use crate::ws::{Call, FunctionDef, params};

/// The most events one call returns.
pub const MAX_LIMIT: i64 = 500;
/// The most rows one call reads, visible or not.
pub const SCAN: usize = 1000;

/// The function of `db/services.php`.
pub(in crate::plugins::bridge) fn functions() -> Vec<FunctionDef> {
    vec![FunctionDef {
        name: "local_bridge_get_events",
        params: || {
            single(vec![
                ("afterid", int().default(0)),
                ("limit", int().default(100)),
            ])
        },
        returns: || Some(returns()),
        run: get_events,
        write: false,
    }]
}

fn returns() -> Desc {
    single(vec![
        (
            "events",
            multiple(single(vec![
                ("id", int()),
                ("eventname", raw()),
                ("objectid", int()),
                ("courseid", int()),
                ("contextid", int()),
                ("contextlevel", int()),
                ("contextinstanceid", int()),
                ("userid", int()),
                ("relateduserid", int()),
                ("timecreated", int()),
                ("origin", alpha()),
                ("service", raw()),
                ("viacallertoken", boolean()),
                ("other", raw()),
            ])),
        ),
        ("lastid", int()),
        ("more", boolean()),
        ("newestid", int()),
        ("warnings", warnings()),
    ])
}

fn get_events(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    #[derive(Deserialize)]
    struct Params {
        afterid: i64,
        limit: i64,
    }
    let p: Params = params(p)?;
    if p.afterid < 0 {
        return Err(WsError::invalid_parameter("afterid: must be 0 or more"));
    }
    if !(1..=MAX_LIMIT).contains(&p.limit) {
        return Err(WsError::invalid_parameter(format!(
            "limit: must be between 1 and {MAX_LIMIT}"
        )));
    }
    let state = &*call.state;
    let outbox = &state.plugins.outbox;
    let (rows, held) = outbox.settled_after(p.afterid, SCAN, call.now);
    let limit = usize::try_from(p.limit).unwrap_or(1);
    let mut events = Vec::new();
    let mut lastid = p.afterid;
    let mut more = false;
    for row in &rows {
        if events.len() >= limit {
            more = true;
            break;
        }
        lastid = row.id;
        if visible(state, call.userid, row, call.now) {
            events.push(export(row, &call.token.token));
        }
    }
    if !more && !held && rows.len() == SCAN {
        more = true;
    }
    let purged = outbox.purged_through;
    let mut warnings = Vec::new();
    if p.afterid > 0 && p.afterid < purged {
        warnings.push(json!({
            "item": "events", "itemid": purged, "warningcode": "eventspurged",
            "message": format!("Events up to id {purged} were deleted by the retention setting before they were read; some events after your cursor are lost."),
        }));
    }
    Ok(json!({
        "events": events, "lastid": lastid, "more": more, "newestid": outbox.newest_id(),
        "warnings": warnings,
    }))
}

fn export(row: &EventRow, caller: &str) -> Value {
    json!({
        "id": row.id, "eventname": row.eventname, "objectid": row.objectid, "courseid": row.courseid,
        "contextid": row.contextid, "contextlevel": row.contextlevel,
        "contextinstanceid": row.contextinstanceid, "userid": row.userid,
        "relateduserid": row.relateduserid, "timecreated": row.timecreated, "origin": row.origin,
        "service": row.service, "viacallertoken": row.token.as_deref() == Some(caller),
        "other": String::from_utf8_lossy(&crate::php_json::encode(&Value::Object(row.other.clone()))),
    })
}

/// `access::RULES`: (capability, in the event's context, own events visible).
fn rule(eventname: &str) -> Option<(&'static str, Option<&'static str>, bool, bool)> {
    let short = eventname.rsplit('\\').next().unwrap_or_default();
    Some(match short {
        "course_created" | "course_updated" => ("course", None, false, false),
        "course_deleted" => ("coursedeleted", None, false, false),
        "course_module_created" | "course_module_updated" => ("module", None, false, false),
        "course_module_deleted" => (
            "moduledeleted",
            Some("moodle/course:manageactivities"),
            false,
            false,
        ),
        "user_enrolment_created" | "user_enrolment_updated" | "user_enrolment_deleted" => {
            ("enrolment", Some("moodle/course:enrolreview"), false, true)
        }
        "role_assigned" | "role_unassigned" => ("role", Some("moodle/role:review"), true, true),
        "user_created" | "user_updated" | "user_deleted" => ("user", None, false, true),
        "assessable_submitted" => ("submission", Some("mod/assign:grade"), true, true),
        "user_graded" => ("grade", Some("moodle/grade:viewall"), false, false),
        "attempt_submitted" | "attempt_graded" => {
            ("quizattempt", Some("mod/quiz:viewreports"), true, true)
        }
        _ => return None,
    })
}

/// `access::visible()`.
fn visible(state: &State, userid: i64, row: &EventRow, now: i64) -> bool {
    let Some((kind, capability, in_context, own_visible)) = rule(row.eventname) else {
        return false;
    };
    let own = row.relateduserid != 0 && row.relateduserid == userid;
    let system = |cap: &str| state.has_capability(userid, cap, SYSTEM_CONTEXT);
    match kind {
        "user" => return own || system("moodle/user:viewalldetails"),
        "coursedeleted" => return system("moodle/course:view"),
        _ => {}
    }
    if own_visible && own {
        return true;
    }
    if row.courseid == 0 {
        return capability.is_some_and(system);
    }
    let Some(sees) = sees_course(state, userid, row.courseid, now) else {
        return system("moodle/course:view");
    };
    if !sees {
        return false;
    }
    let course_ctx = state
        .context_id(ContextLevel::Course, row.courseid)
        .unwrap_or(SYSTEM_CONTEXT);
    match (kind, capability) {
        ("course", _) => true,
        ("module", _) => {
            state.has_capability(userid, "moodle/course:manageactivities", course_ctx)
                || module_visible(state, userid, row.contextinstanceid)
        }
        (_, Some(cap)) => {
            let ctx = if in_context && state.contexts.contains_key(&row.contextid) {
                row.contextid
            } else {
                course_ctx
            };
            state.has_capability(userid, cap, ctx)
        }
        _ => false,
    }
}

/// `access::sees_course()`: `None` when the course is gone.
fn sees_course(state: &State, userid: i64, courseid: i64, now: i64) -> Option<bool> {
    let course = state.courses.get(&courseid)?;
    if courseid == SITE_ID {
        return Some(true);
    }
    let ctx = state
        .context_id(ContextLevel::Course, courseid)
        .unwrap_or(SYSTEM_CONTEXT);
    Some(
        (course.visible || state.has_capability(userid, "moodle/course:viewhiddencourses", ctx))
            && (state.has_capability(userid, "moodle/course:view", ctx)
                || state.is_enrolled(userid, courseid, now)),
    )
}

/// `access::module_visible()`.
fn module_visible(state: &State, userid: i64, cmid: i64) -> bool {
    let Some(cm) = state.cms.get(&cmid) else {
        return false;
    };
    cm.visible
        || state
            .context_id(ContextLevel::Module, cmid)
            .is_some_and(|ctx| {
                state.has_capability(userid, "moodle/course:viewhiddenactivities", ctx)
            })
}
