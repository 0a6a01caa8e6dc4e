//! `mod_assign_save_grade` and `mod_assign_save_grades`: `assign::save_grade()` and
//! `apply_grade_to_user()` for one user at a time (`mod/assign/locallib.php`).

use serde::Deserialize;
use serde_json::Value;

use super::{Target, validate_assign};
use crate::errors::WsError;
use crate::ws::{Call, params};

#[derive(Deserialize)]
struct GradeData {
    userid: i64,
    grade: f64,
    workflowstate: String,
    #[serde(default)]
    plugindata: FeedbackData,
}

#[derive(Deserialize, Default)]
struct FeedbackData {
    assignfeedbackcomments_editor: Option<CommentEditor>,
}

#[derive(Deserialize)]
struct CommentEditor {
    text: String,
}

#[derive(Deserialize)]
struct SaveGradeParams {
    assignmentid: i64,
    #[serde(flatten)]
    grade: GradeData,
}

pub(super) fn save_grade(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: SaveGradeParams = params(p)?;
    let t = validate_assign(call, p.assignmentid)?;
    apply_grade(call, &t, &p.grade)?;
    Ok(Value::Null)
}

#[derive(Deserialize)]
struct SaveGradesParams {
    assignmentid: i64,
    grades: Vec<GradeData>,
}

pub(super) fn save_grades(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: SaveGradesParams = params(p)?;
    let t = validate_assign(call, p.assignmentid)?;
    for g in &p.grades {
        apply_grade(call, &t, g)?;
    }
    Ok(Value::Null)
}

/// `assign::save_grade()` and `apply_grade_to_user()`: the grade (and submission) made if
/// missing, the workflow state put in the user's flags, the feedback comment saved when it
/// changed — an existing comment with none given is overwritten with NULL, which the
/// database refuses — then `update_grade()` (which refuses grades out of range) and the
/// student's grade notice.
fn apply_grade(call: &mut Call<'_>, t: &Target, data: &GradeData) -> Result<(), WsError> {
    call.require_capability("mod/assign:grade", t.ctx)?;
    let (userid, now) = (data.userid, call.now);
    let Some(gid) = call.state.assign_user_grade(t.id, userid, true, now) else {
        return Ok(());
    };
    let Some(mut grade) = call.state.grades.get(&gid).cloned() else {
        return Ok(());
    };
    let original = grade.grade;
    grade.grade = data.grade;
    if let Some(fid) = call.state.assign_user_flags(t.id, userid, true)
        && let Some(f) = call.state.user_flags.get_mut(&fid)
    {
        f.workflowstate.clone_from(&data.workflowstate);
    }
    grade.grader = call.userid;
    let mut feedback_modified = false;
    if t.comments {
        let stored = grade.feedback.clone().unwrap_or_default();
        let given = data
            .plugindata
            .assignfeedbackcomments_editor
            .as_ref()
            .map(|e| e.text.clone());
        if given.as_deref().unwrap_or_default() != stored {
            let Some(text) = given else {
                return Err(WsError::dml_write(
                    "ERROR:  null value in column \"commentformat\" of relation \"mdl_assignfeedback_comments\" violates not-null constraint",
                ));
            };
            // The plugin writes its row before update_grade() runs.
            if let Some(g) = call.state.grades.get_mut(&gid) {
                g.feedback = Some(text.clone());
            }
            grade.feedback = Some(text);
            feedback_modified = true;
        }
    }
    if original != -1.0 || grade.grade != -1.0 || feedback_modified {
        call.state.assign_update_grade(grade, t.grade, now);
    }
    call.state.assign_notify_grade_modified(t.id, userid);
    Ok(())
}
