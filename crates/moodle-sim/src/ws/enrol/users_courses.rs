//! `core_enrol_get_users_courses` (`enrol/externallib.php`): a user's active enrolments as
//! `enrol_get_users_courses($userid, true)` lists them (visible first, then by sort order),
//! each only when the caller may use the course and, for someone else's list, see its
//! participants; completion data only for oneself or who may see it.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::errors::WsError;
use crate::external::desc::*;
use crate::external::format::{format_string, format_text};
use crate::state::{ContextLevel, SYSTEM_CONTEXT};
use crate::ws::{Call, FunctionDef, params};

pub(super) fn function() -> FunctionDef {
    FunctionDef {
        name: "core_enrol_get_users_courses",
        params: || {
            single(vec![
                ("userid", int()),
                ("returnusercount", boolean().default(true)),
            ])
        },
        returns: || Some(multiple(course_structure())),
        run: get_users_courses,
        write: false,
    }
}

fn course_structure() -> Desc {
    single(vec![
        ("id", int()),
        ("shortname", raw()),
        ("fullname", raw()),
        ("displayname", raw().optional()),
        ("enrolledusercount", int().optional()),
        ("idnumber", raw()),
        ("visible", int()),
        ("summary", raw().optional()),
        ("summaryformat", int().optional()),
        ("format", plugin().optional()),
        ("courseimage", url().optional()),
        ("showgrades", boolean().optional()),
        ("lang", lang().optional()),
        ("enablecompletion", boolean().optional()),
        ("completionhascriteria", boolean().optional()),
        ("completionusertracked", boolean().optional()),
        ("category", int().optional()),
        ("progress", float().optional()),
        ("completed", boolean().optional()),
        ("startdate", int().optional()),
        ("enddate", int().optional()),
        ("marker", int().optional()),
        ("lastaccess", int().optional()),
        ("isfavourite", boolean().optional()),
        ("hidden", boolean().optional()),
        (
            "overviewfiles",
            multiple(single(vec![
                ("filename", file().optional()),
                ("filepath", path().optional()),
                ("filesize", int().optional()),
                ("fileurl", url().optional()),
                ("timemodified", int().optional()),
                ("mimetype", raw().optional()),
            ]))
            .optional(),
        ),
        ("showactivitydates", boolean().optional()),
        ("showcompletionconditions", boolean().optional()),
        ("timemodified", int().optional()),
    ])
}

#[derive(Deserialize)]
struct Params {
    userid: i64,
    returnusercount: bool,
}

fn get_users_courses(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: Params = params(p)?;
    let s = &*call.state;
    let same = p.userid == call.userid;
    let mut courses: Vec<&crate::state::Course> = s
        .enrolled_course_ids(p.userid)
        .into_iter()
        .filter(|c| s.is_enrolled(p.userid, *c, call.now))
        .filter_map(|c| s.courses.get(&c))
        // enrol_get_all_users_courses($onlyactive): hidden courses only for a user who may
        // see them.
        .filter(|c| {
            c.visible
                || s.context_id(ContextLevel::Course, c.id).is_some_and(|ctx| {
                    s.has_capability(p.userid, "moodle/course:viewhiddencourses", ctx)
                })
        })
        .collect();
    courses.sort_by_key(|c| (!c.visible, c.sortorder));
    let mut out = Vec::new();
    for course in courses {
        let ctx = s
            .context_id(ContextLevel::Course, course.id)
            .unwrap_or(SYSTEM_CONTEXT);
        if s.validate_course_context(call.userid, course.id, call.now)
            .is_err()
        {
            continue;
        }
        // course_can_view_participants() and user_can_view_profile() for someone else.
        if !same && !s.has_capability(call.userid, "moodle/course:viewparticipants", ctx) {
            continue;
        }
        let completion_on = course.enablecompletion != 0;
        let may_see_completion =
            same || s.has_capability(call.userid, "report/completion:view", ctx);
        let (completed, tracked) = if may_see_completion && completion_on {
            let tracked = s.is_enrolled(p.userid, course.id, call.now)
                && s.has_capability(p.userid, "moodle/course:isincompletionreports", ctx);
            (json!(false), tracked)
        } else {
            (Value::Null, false)
        };
        let (summary, summaryformat) = format_text(&course.summary, course.summaryformat);
        let mut item = json!({
            "id": course.id,
            "shortname": format_string(&course.shortname),
            "fullname": format_string(&course.fullname),
            "displayname": format_string(&course.fullname),
            "idnumber": course.idnumber,
            "visible": i64::from(course.visible),
            "summary": summary,
            "summaryformat": summaryformat,
            "format": course.format,
            "courseimage": format!("{}/pluginfile.php/{ctx}/course/generated/course.svg", s.site.wwwroot),
            "showgrades": course.showgrades != 0,
            "lang": course.lang,
            "enablecompletion": completion_on,
            "completionhascriteria": false,
            "completionusertracked": tracked,
            "category": course.category,
            "progress": null,
            "completed": completed,
            "startdate": course.startdate,
            "enddate": course.enddate,
            "marker": course.marker,
            "lastaccess": null,
            "isfavourite": false,
            "hidden": false,
            "overviewfiles": [],
            "showactivitydates": course.showactivitydates,
            "showcompletionconditions": course.showcompletionconditions,
            "timemodified": course.timemodified,
        });
        if p.returnusercount {
            let count = s
                .users
                .keys()
                .filter(|u| s.has_enrolment(**u, course.id))
                .count();
            item["enrolledusercount"] = json!(count);
        }
        out.push(item);
    }
    Ok(Value::Array(out))
}
