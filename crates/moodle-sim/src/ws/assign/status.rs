//! `mod_assign_get_submission_status` (`mod/assign/externallib.php`): the user's last
//! attempt, feedback and, for graders, the grading summary, from `assign`'s renderables.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{can_view_submission, enabled, find_assignment, submission_plugins};
use crate::errors::WsError;
use crate::state::{ContextLevel, CourseModule, SYSTEM_CONTEXT, State};
use crate::ws::{Call, params};

#[derive(Deserialize)]
struct StatusParams {
    assignid: i64,
    userid: i64,
}

pub(super) fn get_submission_status(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: StatusParams = params(p)?;
    let s = &*call.state;
    let Some((cm, a)) = find_assignment(s, p.assignid) else {
        return Err(s.site.missing_record(
            "assign",
            format!(
                "SELECT id FROM {{assign}} WHERE id = ?\n[array (\n  0 => {},\n)]",
                p.assignid
            ),
        ));
    };
    s.validate_module_context(call.userid, cm.id, call.now)?;
    let ctx = s
        .context_id(ContextLevel::Module, cm.id)
        .unwrap_or(SYSTEM_CONTEXT);
    let userid = if p.userid == 0 { call.userid } else { p.userid };
    s.must_exist_user(userid)?;
    if !can_view_submission(s, call.userid, userid, cm.course, ctx, call.now) {
        return Err(WsError::new(
            "core\\exception\\required_capability_exception",
            "nopermission",
            "error/nopermission",
        ));
    }
    let dates = crate::state::AssignDates {
        allowsubmissionsfromdate: a.allowsubmissionsfromdate,
        cutoffdate: a.cutoffdate,
        submissiondrafts: a.submissiondrafts == 1,
    };
    let sub = s
        .submissions
        .values()
        .filter(|x| x.assignment == cm.instance && x.userid == userid)
        .max_by_key(|x| x.attemptnumber);
    let grade = s
        .grades
        .values()
        .filter(|g| g.assignment == cm.instance && g.userid == userid)
        .filter(|g| sub.is_none_or(|x| x.attemptnumber == g.attemptnumber))
        .max_by_key(|g| g.attemptnumber);
    let flags = s
        .user_flags
        .values()
        .find(|f| f.assignment == cm.instance && f.userid == userid);
    let graded = grade.is_some_and(|g| g.grade >= 0.0);
    let plugins_enabled =
        enabled(a, "onlinetext", "assignsubmission") || enabled(a, "file", "assignsubmission");
    let open = s.assign_submissions_open(cm.instance, cm.course, userid, dates, call.now);
    let can_submit_cap = s.has_capability(userid, "mod/assign:submit", ctx);
    // can_edit_submission(): the owner while open; others need editothersubmission.
    let can_edit = if userid == call.userid {
        open && can_submit_cap
    } else {
        s.has_capability(call.userid, "mod/assign:editothersubmission", ctx)
    };
    // show_submit_button(): drafts on, not yet submitted, open, a plugin enabled.
    let show_submit = sub.is_some()
        && a.submissiondrafts == 1
        && sub.is_some_and(|x| x.status != crate::state::STATUS_SUBMITTED)
        && open
        && plugins_enabled;
    let mut lastattempt = json!({
        "submissiongroupmemberswhoneedtosubmit": [],
        "submissionsenabled": plugins_enabled,
        "locked": flags.is_some_and(|f| f.locked != 0),
        "graded": graded,
        "canedit": can_edit,
        "caneditowner": can_submit_cap && open && plugins_enabled,
        "cansubmit": show_submit && can_submit_cap,
        "extensionduedate": flags.map(|f| f.extensionduedate),
        "timelimit": 0,
        "blindmarking": false,
        "gradingstatus": if graded { "graded" } else { "notgraded" },
        "usergroups": [],
    });
    // The last attempt only for a user who may see their own submission summary (by role:
    // has_capability(..., false) gives administrators nothing extra).
    let show_lastattempt =
        s.has_capability_by_role(userid, "mod/assign:viewownsubmissionsummary", ctx);
    if let Some(sub) = sub {
        lastattempt["submission"] = json!({
            "id": sub.id, "userid": sub.userid, "attemptnumber": sub.attemptnumber,
            "timecreated": sub.timecreated, "timemodified": sub.timemodified, "timestarted": null,
            "status": sub.status, "groupid": 0, "assignment": sub.assignment, "latest": 1,
            "plugins": submission_plugins(s, cm, a, sub),
        });
    }
    let grading_summary = (s.has_capability(call.userid, "mod/assign:viewgrades", ctx)
        || s.has_capability(call.userid, "mod/assign:grade", ctx))
    .then(|| grading_summary(s, cm, plugins_enabled, call.now));
    let mut result = json!({
        "assignmentdata": {"attachments": {"intro": []}},
        "warnings": [],
    });
    if show_lastattempt {
        result["lastattempt"] = lastattempt;
    }
    if let Some(summary) = grading_summary {
        result["gradingsummary"] = summary;
    }
    if let Some(g) = grade.filter(|g| g.grade >= 0.0 || g.feedback.is_some()) {
        let mut plugins = Vec::new();
        if enabled(a, "comments", "assignfeedback") {
            plugins.push(json!({
                "type": "comments", "name": "Feedback comments",
                "fileareas": [{"area": "feedback", "files": []}],
                "editorfields": [{"name": "comments", "description": "Feedback comments",
                    "text": g.feedback.clone().unwrap_or_default(), "format": 1}],
            }));
        }
        result["feedback"] = json!({
            "grade": {
                "id": g.id, "assignment": g.assignment, "userid": g.userid, "attemptnumber": g.attemptnumber,
                "timecreated": g.timecreated, "timemodified": g.timemodified, "grader": g.grader,
                "grade": format!("{:.5}", g.grade),
            },
            "gradefordisplay": format!("{:.2}&nbsp;/&nbsp;{:.2}", g.grade, a.grade as f64),
            "gradeddate": g.timemodified,
            "plugins": plugins,
        });
    }
    Ok(result)
}

/// `get_assign_grading_summary_renderable()`: the participants (enrolled users who may
/// submit) and their latest submissions by status; submitted ones need grading until a grade
/// newer than the submission exists.
fn grading_summary(s: &State, cm: &CourseModule, plugins_enabled: bool, now: i64) -> Value {
    let ctx = s
        .context_id(ContextLevel::Module, cm.id)
        .unwrap_or(SYSTEM_CONTEXT);
    let participants: Vec<i64> = s
        .users
        .keys()
        .copied()
        .filter(|u| s.is_enrolled(*u, cm.course, now))
        .filter(|u| s.has_capability(*u, "mod/assign:submit", ctx))
        .collect();
    let latest = |u: i64| {
        s.submissions
            .values()
            .filter(|x| x.assignment == cm.instance && x.userid == u)
            .max_by_key(|x| x.attemptnumber)
    };
    let count = |status: &str| {
        participants
            .iter()
            .filter(|u| latest(**u).is_some_and(|x| x.status == status))
            .count()
    };
    let need_grading = participants
        .iter()
        .filter_map(|u| latest(*u))
        .filter(|x| x.status == crate::state::STATUS_SUBMITTED)
        .filter(|x| {
            let g = s.grades.values().find(|g| {
                g.assignment == cm.instance
                    && g.userid == x.userid
                    && g.attemptnumber == x.attemptnumber
            });
            g.is_none_or(|g| x.timemodified >= g.timemodified || g.grade < 0.0)
        })
        .count();
    json!({
        "participantcount": participants.len(),
        "submissiondraftscount": count(crate::state::STATUS_DRAFT),
        "submissionsenabled": plugins_enabled,
        "submissionssubmittedcount": count(crate::state::STATUS_SUBMITTED),
        "submissionsneedgradingcount": need_grading,
        "warnofungroupedusers": "",
    })
}
