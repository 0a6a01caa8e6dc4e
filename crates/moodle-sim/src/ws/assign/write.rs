//! Assignment writes: `mod_assign_lock_submissions`, `mod_assign_unlock_submissions`,
//! `mod_assign_revert_submissions_to_draft`, `mod_assign_submit_for_grading`,
//! `mod_assign_save_submission`, `mod_assign_save_grade`, `mod_assign_save_grades`,
//! `mod_assign_set_user_flags`, `mod_assign_get_user_flags` (`mod/assign/externallib.php`
//! around `assign`'s methods in `locallib.php`, which `state/assign_lib.rs` holds). None runs
//! in a transaction: what a call wrote before an exception stays.

mod flags;
mod grade;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Call, FunctionDef, enabled, find_assignment, params};
use crate::errors::WsError;
use crate::external::desc::*;
use crate::external::format::s;
use crate::state::{
    AssignDates, ContextLevel, NewFile, STATUS_DRAFT, STATUS_SUBMITTED, SYSTEM_CONTEXT, State,
    StoredFile,
};

fn warnings_only() -> Option<Desc> {
    Some(warnings())
}

fn assign_and_users() -> Desc {
    single(vec![("assignmentid", int()), ("userids", multiple(int()))])
}

pub(super) fn functions() -> Vec<FunctionDef> {
    vec![
        FunctionDef {
            name: "mod_assign_lock_submissions",
            params: assign_and_users,
            returns: warnings_only,
            run: |c, p| lock(c, p, true),
            write: false,
        },
        FunctionDef {
            name: "mod_assign_unlock_submissions",
            params: assign_and_users,
            returns: warnings_only,
            run: |c, p| lock(c, p, false),
            write: false,
        },
        FunctionDef {
            name: "mod_assign_revert_submissions_to_draft",
            params: assign_and_users,
            returns: warnings_only,
            run: revert_to_draft,
            write: false,
        },
        FunctionDef {
            name: "mod_assign_submit_for_grading",
            params: || {
                single(vec![
                    ("assignmentid", int()),
                    ("acceptsubmissionstatement", boolean()),
                ])
            },
            returns: warnings_only,
            run: submit_for_grading,
            write: false,
        },
        FunctionDef {
            name: "mod_assign_save_submission",
            params: || {
                single(vec![
                    ("assignmentid", int()),
                    (
                        "plugindata",
                        single(vec![
                            ("files_filemanager", int().optional()),
                            (
                                "onlinetext_editor",
                                single(vec![("text", raw()), ("format", int()), ("itemid", int())])
                                    .optional(),
                            ),
                        ]),
                    ),
                ])
            },
            returns: warnings_only,
            run: save_submission,
            write: false,
        },
        FunctionDef {
            name: "mod_assign_save_grade",
            params: || {
                single(vec![
                    ("assignmentid", int()),
                    ("userid", int()),
                    ("grade", float()),
                    ("attemptnumber", int()),
                    ("addattempt", boolean()),
                    ("workflowstate", alpha()),
                    ("applytoall", boolean()),
                    ("plugindata", feedback_plugindata()),
                    ("advancedgradingdata", single(vec![]).default(json!({}))),
                ])
            },
            returns: || None,
            run: grade::save_grade,
            write: false,
        },
        FunctionDef {
            name: "mod_assign_save_grades",
            params: || {
                single(vec![
                    ("assignmentid", int()),
                    ("applytoall", boolean()),
                    (
                        "grades",
                        multiple(single(vec![
                            ("userid", int()),
                            ("grade", float()),
                            ("attemptnumber", int()),
                            ("addattempt", boolean()),
                            ("workflowstate", alpha()),
                            ("plugindata", feedback_plugindata()),
                            ("advancedgradingdata", single(vec![]).default(json!({}))),
                        ])),
                    ),
                ])
            },
            returns: || None,
            run: grade::save_grades,
            write: false,
        },
        FunctionDef {
            name: "mod_assign_set_user_flags",
            params: || {
                single(vec![
                    ("assignmentid", int()),
                    (
                        "userflags",
                        multiple(single(vec![
                            ("userid", int()),
                            ("locked", int().optional()),
                            ("mailed", int().optional()),
                            ("extensionduedate", int().optional()),
                            ("workflowstate", alpha().optional()),
                            ("allocatedmarker", int().optional()),
                        ])),
                    ),
                ])
            },
            returns: || {
                Some(multiple(single(vec![
                    ("id", int()),
                    ("userid", int()),
                    ("errormessage", text().optional()),
                ])))
            },
            run: flags::set_user_flags,
            write: false,
        },
        FunctionDef {
            name: "mod_assign_get_user_flags",
            params: || single(vec![("assignmentids", multiple(int()))]),
            returns: || {
                Some(single(vec![
                    (
                        "assignments",
                        multiple(single(vec![
                            ("assignmentid", int()),
                            (
                                "userflags",
                                multiple(single(vec![
                                    ("id", int()),
                                    ("userid", int()),
                                    ("locked", int()),
                                    ("mailed", int()),
                                    ("extensionduedate", int()),
                                    ("workflowstate", alpha().optional()),
                                    ("allocatedmarker", int()),
                                ])),
                            ),
                        ])),
                    ),
                    ("warnings", warnings()),
                ]))
            },
            run: flags::get_user_flags,
            write: false,
        },
    ]
}

/// The feedback plugins' parameters: comments' editor and the feedback files.
fn feedback_plugindata() -> Desc {
    single(vec![
        (
            "assignfeedbackcomments_editor",
            single(vec![("text", raw()), ("format", int())]).optional(),
        ),
        ("files_filemanager", int().optional()),
    ])
    .default(json!({}))
}

/// The assignment being worked on: instance, course module, course and module context.
#[derive(Clone)]
pub(super) struct Target {
    id: i64,
    course: i64,
    ctx: i64,
    grade: i64,
    dates: AssignDates,
    comments: bool,
    onlinetext: bool,
    files: bool,
    /// The file plugin's `maxfilesubmissions` and `maxsubmissionsizebytes` (0: no limit).
    maxfiles: usize,
    maxbytes: i64,
}

/// `external_api::validate_assign()`: the instance must exist, then the module context is
/// validated (course login, activity visible).
pub(super) fn validate_assign(call: &Call<'_>, assignid: i64) -> Result<Target, WsError> {
    let s = &*call.state;
    let Some((cm, a)) = find_assignment(s, assignid) else {
        return Err(s.site.missing_record(
            "assign",
            format!("SELECT id FROM {{assign}} WHERE id = ?\n[array (\n  0 => {assignid},\n)]"),
        ));
    };
    s.validate_module_context(call.userid, cm.id, call.now)?;
    Ok(Target {
        id: assignid,

        course: cm.course,
        ctx: s
            .context_id(ContextLevel::Module, cm.id)
            .unwrap_or(SYSTEM_CONTEXT),
        grade: a.grade,
        dates: AssignDates {
            allowsubmissionsfromdate: a.allowsubmissionsfromdate,
            cutoffdate: a.cutoffdate,
            submissiondrafts: a.submissiondrafts != 0,
        },
        comments: enabled(a, "comments", "assignfeedback"),
        onlinetext: enabled(a, "onlinetext", "assignsubmission"),
        files: enabled(a, "file", "assignsubmission"),
        maxfiles: super::config(a, "file", "assignsubmission", "maxfilesubmissions")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        maxbytes: super::config(a, "file", "assignsubmission", "maxsubmissionsizebytes")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    })
}

/// `generate_warning()`: the detail goes in `item`, escaped with `s()`.
fn warning(assignid: i64, code: &str, detail: &str) -> Value {
    let message = match code {
        "couldnotlock" => "Could not lock the submission for this user.",
        "couldnotunlock" => "Could not unlock the submission for this user.",
        "couldnotsubmitforgrading" => "Could not submit assignment for grading.",
        "couldnotrevert" => "Could not revert submission to draft.",
        "couldnotsavesubmission" => "Could not save submission.",
        "couldnotsavegrade" => "Could not save grade.",
        _ => "Unknown warning type.",
    };
    json!({"item": s(detail), "itemid": assignid, "warningcode": code, "message": message})
}

#[derive(Deserialize)]
struct UsersParams {
    assignmentid: i64,
    userids: Vec<i64>,
}

/// `lock_submission()` / `unlock_submission()` for each user: the grading capability, the
/// user's flags (made if needed), then the user must exist (for the event).
fn lock(call: &mut Call<'_>, p: Value, locked: bool) -> Result<Value, WsError> {
    let p: UsersParams = params(p)?;
    let t = validate_assign(call, p.assignmentid)?;
    for userid in p.userids {
        call.require_capability("mod/assign:grade", t.ctx)?;
        if let Some(id) = call.state.assign_user_flags(t.id, userid, true)
            && let Some(f) = call.state.user_flags.get_mut(&id)
        {
            f.locked = i64::from(locked);
        }
        call.state.must_exist_user(userid)?;
    }
    Ok(json!([]))
}

/// `revert_to_draft()` for each user: no submission gives a warning; else the status is
/// draft (time unchanged) and the grade (made if needed) is written again.
fn revert_to_draft(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: UsersParams = params(p)?;
    let t = validate_assign(call, p.assignmentid)?;
    let mut warnings = Vec::new();
    for userid in p.userids {
        call.require_capability("mod/assign:grade", t.ctx)?;
        let now = call.now;
        let Some(sid) = call.state.assign_user_submission(t.id, userid, false, now) else {
            warnings.push(warning(
                t.id,
                "couldnotrevert",
                &format!("User id: {userid}, Assignment id: {}", t.id),
            ));
            continue;
        };
        if let Some(sub) = call.state.submissions.get_mut(&sid) {
            sub.status = STATUS_DRAFT.to_owned();
        }
        if let Some(gid) = call.state.assign_user_grade(t.id, userid, true, now)
            && let Some(mut grade) = call.state.grades.get(&gid).cloned()
        {
            grade.grader = call.userid;
            call.state.assign_update_grade(grade, t.grade, now);
        }
    }
    Ok(Value::Array(warnings))
}

#[derive(Deserialize)]
struct SubmitParams {
    assignmentid: i64,
}

/// `assign::submit_for_grading()`; its notices are passed by value, so the warning's detail
/// never lists them.
fn submit_for_grading(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: SubmitParams = params(p)?;
    let t = validate_assign(call, p.assignmentid)?;
    call.require_capability("mod/assign:submit", t.ctx)?;
    let (userid, now) = (call.userid, call.now);
    let sid = call.state.assign_user_submission(t.id, userid, true, now);
    let open = call
        .state
        .assign_submissions_open(t.id, t.course, userid, t.dates, now);
    let submitted = sid
        .and_then(|id| call.state.submissions.get(&id))
        .is_some_and(|s| s.status == STATUS_SUBMITTED);
    if open && !submitted {
        if let Some(sub) = sid.and_then(|id| call.state.submissions.get_mut(&id)) {
            sub.status = STATUS_SUBMITTED.to_owned();
            sub.timemodified = now;
        }
        if let Some(submissionid) = sid {
            call.state.emit(crate::plugins::Change::Submitted {
                submissionid,
                editable: false,
            });
        }
        return Ok(json!([]));
    }
    Ok(json!([warning(
        t.id,
        "couldnotsubmitforgrading",
        &format!("User id: {userid}, Assignment id: {} Notices:", t.id),
    )]))
}

#[derive(Deserialize)]
struct SaveSubmissionParams {
    assignmentid: i64,
    plugindata: SubmissionData,
}

#[derive(Deserialize)]
struct SubmissionData {
    files_filemanager: Option<i64>,
    onlinetext_editor: Option<Editor>,
}

#[derive(Deserialize)]
struct Editor {
    text: String,
}

/// `count_words()` is above zero.
fn has_words(text: &str) -> bool {
    !crate::external::param::strip_tags(text).trim().is_empty()
}

/// `save_submission()`: closed submissions give the due-date notice; otherwise
/// `assign::save_submission()` with the enabled plugins.
fn save_submission(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: SaveSubmissionParams = params(p)?;
    let t = validate_assign(call, p.assignmentid)?;
    let (userid, now) = (call.userid, call.now);
    let mut notices: Vec<&str> = Vec::new();
    if !call
        .state
        .assign_submissions_open(t.id, t.course, userid, t.dates, now)
    {
        notices.push("The due date for this assignment has now passed");
    } else {
        save_user_submission(call, &t, &p.plugindata, &mut notices)?;
    }
    Ok(Value::Array(
        notices
            .into_iter()
            .map(|n| warning(t.id, "couldnotsavesubmission", n))
            .collect(),
    ))
}

/// `assign::save_submission()` for the calling user.
fn save_user_submission(
    call: &mut Call<'_>,
    t: &Target,
    data: &SubmissionData,
    notices: &mut Vec<&'static str>,
) -> Result<(), WsError> {
    call.require_capability("mod/assign:submit", t.ctx)?;
    let (userid, now) = (call.userid, call.now);
    let user_ctx = call
        .state
        .context_id(ContextLevel::User, userid)
        .unwrap_or(SYSTEM_CONTEXT);
    let Some(sid) = call.state.assign_user_submission(t.id, userid, true, now) else {
        return Ok(());
    };
    let draft_files = |s: &State, itemid: i64| -> Vec<StoredFile> {
        s.area_files(user_ctx, "user", "draft", itemid)
            .into_iter()
            .filter(|f| !f.is_dir())
            .cloned()
            .collect()
    };
    let text_given = data
        .onlinetext_editor
        .as_ref()
        .is_some_and(|e| has_words(&e.text));
    let files_given = data
        .files_filemanager
        .is_some_and(|d| !draft_files(call.state, d).is_empty());
    if !(t.onlinetext && text_given || t.files && files_given) {
        notices.push("Nothing was submitted");
        return Ok(());
    }
    let flags_locked = call
        .state
        .user_flags
        .values()
        .any(|f| f.assignment == t.id && f.userid == userid && f.locked != 0);
    if flags_locked {
        return Err(WsError::moodle(
            "submissionslocked",
            "This assignment is not accepting submissions",
        ));
    }
    if t.onlinetext
        && let Some(sub) = call.state.submissions.get_mut(&sid)
    {
        sub.onlinetext = Some(
            data.onlinetext_editor
                .as_ref()
                .map(|e| e.text.clone())
                .unwrap_or_default(),
        );
    }
    if t.files
        && let Some(draft) = data.files_filemanager.filter(|d| *d != 0)
    {
        // file_save_draft_area_files(): the area becomes the draft area's files, in id order,
        // leaving out files over the size limit and those past the file limit.
        let mut files = draft_files(call.state, draft);
        files.sort_by_key(|f| f.id);
        files.retain(|f| t.maxbytes == 0 || f.filesize() <= t.maxbytes);
        if t.maxfiles > 0 {
            files.truncate(t.maxfiles);
        }
        call.state.delete_area_files(
            t.ctx,
            "assignsubmission_file",
            "submission_files",
            Some(sid),
        );
        for f in files {
            call.state.create_file(
                NewFile {
                    contextid: t.ctx,
                    component: "assignsubmission_file",
                    filearea: "submission_files",
                    itemid: sid,
                    filepath: &f.filepath,
                    filename: &f.filename,
                    userid: f.userid,
                    author: f.author.clone(),
                    license: f.license.clone(),
                    source: f.source.clone(),
                },
                f.content.clone(),
            );
        }
    }
    let has_text = call
        .state
        .submissions
        .get(&sid)
        .and_then(|s| s.onlinetext.as_deref())
        .is_some_and(has_words);
    let has_files = call
        .state
        .area_files(t.ctx, "assignsubmission_file", "submission_files", sid)
        .iter()
        .any(|f| !f.is_dir());
    if !(t.onlinetext && has_text || t.files && has_files) {
        notices.push("Nothing was submitted");
        return Ok(());
    }
    if let Some(sub) = call.state.submissions.get_mut(&sid) {
        sub.status = if t.dates.submissiondrafts {
            STATUS_DRAFT
        } else {
            STATUS_SUBMITTED
        }
        .to_owned();
        sub.timemodified = now;
    }
    if !t.dates.submissiondrafts {
        // Without "require students to submit", every save is a submission.
        call.state.emit(crate::plugins::Change::Submitted {
            submissionid: sid,
            editable: true,
        });
    }
    Ok(())
}
