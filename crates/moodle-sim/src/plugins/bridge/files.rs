//! `local\user_files`: a learner's private files and latest submission files, for
//! `local_bridge_list_user_files`, and the rule deciding which file ids `download.php` sends.
//! Only learners' files: active participants holding a role of the student archetype in the
//! course (or a parent context).

use serde::Deserialize;
use serde_json::{Value, json};

use super::{PLUGIN, writer};
use crate::errors::WsError;
use crate::external::desc::*;
use crate::state::{ContextLevel, CourseModule, State, StoredFile, Submission};
use crate::ws::{Call, params};

/// `list_user_files::execute_returns()`.
pub(super) fn list_returns() -> Desc {
    single(vec![
        (
            "files",
            multiple(single(vec![
                ("fileid", int()),
                ("source", alpha()),
                ("contextid", int()),
                ("component", component()),
                ("filearea", area()),
                ("itemid", int()),
                ("filepath", path()),
                ("filename", file()),
                ("filesize", int()),
                ("mimetype", raw()),
                ("timecreated", int()),
                ("timemodified", int()),
                ("cmid", int()),
                ("assignmentname", text()),
                ("submissionstatus", alpha()),
                ("downloadurl", url()),
            ])),
        ),
        ("warnings", warnings()),
    ])
}

#[derive(Deserialize)]
struct ListParams {
    courseid: i64,
    userid: i64,
    includeprivate: bool,
    includesubmissions: bool,
}

pub(super) fn list_user_files(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: ListParams = params(p)?;
    let ctx = writer::course_context(call.state, p.courseid)?;
    call.state
        .validate_course_context(call.userid, p.courseid, call.now)?;
    call.require_capability("local/bridge:viewuserfiles", ctx)?;
    // user_files::require_participant().
    if call.state.live_user(p.userid).is_none() {
        return Err(crate::plugins::missing_record(
            call.state,
            "user",
            format!(
                "SELECT * FROM {{user}} WHERE id = ? AND deleted = ?\n[array (\n  0 => {},\n  1 => 0,\n)]",
                p.userid
            ),
        ));
    }
    if !call.state.is_enrolled(p.userid, p.courseid, call.now) {
        return Err(WsError::moodle(
            "usernotenrolled",
            format!(
                "The user with id {} is not an active participant of this course.",
                p.userid
            ),
        ));
    }
    // user_files::require_learner().
    if !is_learner(call.state, p.userid, ctx) {
        return Err(WsError::moodle(
            "notalearner",
            format!(
                "The user with id {} holds no learner (student) role in this course: only learners' files can be listed.",
                p.userid
            ),
        ));
    }
    let state = &*call.state;
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    if p.includeprivate && state.plugins.get_config_int(PLUGIN, "listprivatefiles") == 0 {
        warnings.push(json!({
            "item": "private",
            "warningcode": "privatefilesdisabled",
            "message": "Listing private files is disabled on this site.",
        }));
    } else if p.includeprivate
        && let Some(userctx) = state.context_id(ContextLevel::User, p.userid)
    {
        for f in sorted(state.area_files(userctx, "user", "private", 0)) {
            files.push(describe(state, p.courseid, f, None, None));
        }
    }
    if p.includesubmissions {
        for cm in assignments(state, p.courseid) {
            let cmctx = state
                .context_id(ContextLevel::Module, cm.id)
                .unwrap_or_default();
            if !call.has_capability("mod/assign:grade", cmctx) {
                warnings.push(json!({
                    "item": "assign",
                    "itemid": cm.id,
                    "warningcode": "nopermission",
                    "message": format!("You cannot see the submissions of the assignment \"{}\".", cm.name),
                }));
                continue;
            }
            if let Some(sub) = latest_submission(state, cm.instance, p.userid) {
                let area =
                    state.area_files(cmctx, "assignsubmission_file", "submission_files", sub.id);
                for f in sorted(area) {
                    files.push(describe(state, p.courseid, f, Some(cm), Some(sub)));
                }
            }
        }
    }
    Ok(json!({"files": files, "warnings": warnings}))
}

/// `user_files::is_learner()`: the user holds a role of the student archetype in the course's
/// context or a parent context.
pub(super) fn is_learner(state: &State, userid: i64, course_context: i64) -> bool {
    state
        .roles_in_context(userid, course_context)
        .iter()
        .any(|roleid| {
            state
                .roles
                .get(roleid)
                .is_some_and(|r| r.archetype == "student")
        })
}

/// Files without directory entries, by path then name (`'filepath, filename'`).
fn sorted(files: Vec<&StoredFile>) -> Vec<&StoredFile> {
    let mut files: Vec<&StoredFile> = files.into_iter().filter(|f| !f.is_dir()).collect();
    files.sort_by(|a, b| (&a.filepath, &a.filename).cmp(&(&b.filepath, &b.filename)));
    files
}

/// The course's assignments in course page order (`get_instances_of('assign')`).
fn assignments(state: &State, courseid: i64) -> Vec<&CourseModule> {
    state
        .course_sections(courseid)
        .iter()
        .flat_map(|s| s.sequence.iter())
        .filter_map(|cmid| state.cms.get(cmid))
        .filter(|cm| cm.modname == "assign")
        .collect()
}

/// The user's latest attempt at an assignment (`latest = 1`).
fn latest_submission(state: &State, assignment: i64, userid: i64) -> Option<&Submission> {
    state
        .submissions
        .values()
        .filter(|s| s.assignment == assignment && s.userid == userid)
        .max_by_key(|s| s.attemptnumber)
}

/// `user_files::describe()`.
fn describe(
    state: &State,
    courseid: i64,
    f: &StoredFile,
    cm: Option<&CourseModule>,
    submission: Option<&Submission>,
) -> Value {
    json!({
        "fileid": f.id,
        "source": if cm.is_some() { "submission" } else { "private" },
        "contextid": f.contextid,
        "component": f.component,
        "filearea": f.filearea,
        "itemid": f.itemid,
        "filepath": f.filepath,
        "filename": f.filename,
        "filesize": f.filesize(),
        "mimetype": f.mimetype.clone().unwrap_or_default(),
        "timecreated": f.timecreated,
        "timemodified": f.timemodified,
        "cmid": cm.map_or(0, |c| c.id),
        "assignmentname": cm.map_or(String::new(), |c| c.name.clone()),
        "submissionstatus": submission.map_or(String::new(), |s| s.status.clone()),
        "downloadurl": format!(
            "{}/local/bridge/download.php?courseid={courseid}&fileid={}",
            state.site.wwwroot, f.id
        ),
    })
}

/// `user_files::downloadable_file()`: a file the listing would show to this user in this
/// course (a learner's); anything else is "not found", so nothing else can be probed.
pub(super) fn downloadable_file(
    state: &State,
    userid: i64,
    courseid: i64,
    fileid: i64,
    now: i64,
) -> Option<StoredFile> {
    let file = state.files.get(&fileid).filter(|f| !f.is_dir())?;
    let context = state.contexts.get(&file.contextid)?;
    let owner = match (
        context.level,
        file.component.as_str(),
        file.filearea.as_str(),
    ) {
        (ContextLevel::User, "user", "private") => {
            if state.plugins.get_config_int(PLUGIN, "listprivatefiles") == 0 {
                return None;
            }
            context.instanceid
        }
        (ContextLevel::Module, "assignsubmission_file", "submission_files") => {
            let cm = state
                .cms
                .get(&context.instanceid)
                .filter(|cm| cm.modname == "assign" && cm.course == courseid)?;
            let submission = state.submissions.get(&file.itemid)?;
            let ctx = state.context_id(ContextLevel::Module, cm.id)?;
            if !state.has_capability(userid, "mod/assign:grade", ctx) {
                return None;
            }
            submission.userid
        }
        _ => return None,
    };
    let course_context = state.context_id(ContextLevel::Course, courseid)?;
    (state.is_enrolled(owner, courseid, now) && is_learner(state, owner, course_context))
        .then(|| file.clone())
}
