//! Assignments: `mod_assign_get_assignments`, `mod_assign_get_submissions`,
//! `mod_assign_get_grades`, `mod_assign_get_submission_status` (`mod/assign/externallib.php`).

use serde::Deserialize;
use serde_json::{Value, json};

mod returns;

use super::{Call, FunctionDef, params};
use crate::errors::WsError;
use crate::external::desc::*;
use crate::state::{
    Assign, ContextLevel, CourseModule, ModInstance, SYSTEM_CONTEXT, State, Submission,
    mimetype_icon,
};
use returns::{
    course_structure, grade_structure, submission_status_structure, submission_structure,
};

pub(super) fn functions() -> Vec<FunctionDef> {
    vec![
        FunctionDef {
            name: "mod_assign_get_assignments",
            params: || {
                single(vec![
                    ("courseids", multiple(int()).default(json!([]))),
                    ("capabilities", multiple(text()).default(json!([]))),
                    ("includenotenrolledcourses", boolean().default(false)),
                ])
            },
            returns: || {
                Some(single(vec![
                    ("courses", multiple(course_structure())),
                    ("warnings", warnings()),
                ]))
            },
            run: get_assignments,
            write: false,
        },
        FunctionDef {
            name: "mod_assign_get_submissions",
            params: || {
                single(vec![
                    ("assignmentids", multiple(int())),
                    ("status", alpha().default("")),
                    ("since", int().default(0)),
                    ("before", int().default(0)),
                ])
            },
            returns: || {
                Some(single(vec![
                    (
                        "assignments",
                        multiple(single(vec![
                            ("assignmentid", int()),
                            ("submissions", multiple(submission_structure(false))),
                        ])),
                    ),
                    ("warnings", warnings()),
                ]))
            },
            run: get_submissions,
            write: false,
        },
        FunctionDef {
            name: "mod_assign_get_grades",
            params: || {
                single(vec![
                    ("assignmentids", multiple(int())),
                    ("since", int().default(0)),
                ])
            },
            returns: || {
                Some(single(vec![
                    (
                        "assignments",
                        multiple(single(vec![
                            ("assignmentid", int()),
                            ("grades", multiple(grade_structure(false))),
                        ])),
                    ),
                    ("warnings", warnings()),
                ]))
            },
            run: get_grades,
            write: false,
        },
        FunctionDef {
            name: "mod_assign_get_submission_status",
            params: || {
                single(vec![
                    ("assignid", int()),
                    ("userid", int().default(0)),
                    ("groupid", int().default(0)),
                ])
            },
            returns: || Some(submission_status_structure()),
            run: get_submission_status,
            write: false,
        },
    ]
}

/// An assignment module with its settings.
fn assignments(s: &State) -> impl Iterator<Item = (&CourseModule, &Assign)> {
    s.cms.values().filter_map(|cm| match &cm.kind {
        ModInstance::Assign(a) => Some((cm, a.as_ref())),
        _ => None,
    })
}

fn config(a: &Assign, plugin: &str, subtype: &str, name: &str) -> Option<String> {
    a.configs
        .iter()
        .find(|(p, s, n, _)| p == plugin && s == subtype && n == name)
        .map(|(_, _, _, v)| v.clone())
}

fn enabled(a: &Assign, plugin: &str, subtype: &str) -> bool {
    config(a, plugin, subtype, "enabled").as_deref() == Some("1")
}

/// Plugin settings of enabled, visible plugins (submission comments are always listed).
fn configs(a: &Assign) -> Vec<Value> {
    a.configs
        .iter()
        .filter(|(p, s, _, _)| (p == "comments" && s == "assignsubmission") || enabled(a, p, s))
        .map(|(p, s, n, v)| json!({"plugin": p, "subtype": s, "name": n, "value": v}))
        .collect()
}

#[derive(Deserialize)]
struct AssignmentsParams {
    courseids: Vec<i64>,
    includenotenrolledcourses: bool,
}

fn get_assignments(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: AssignmentsParams = params(p)?;
    let s = &*call.state;
    let mut mine: Vec<&crate::state::Course> = s
        .enrolled_course_ids(call.userid)
        .iter()
        .filter(|c| s.is_enrolled(call.userid, **c, call.now))
        .filter_map(|c| s.courses.get(c))
        .collect();
    mine.sort_by_key(|c| (!c.visible, c.sortorder));
    let mut warnings = Vec::new();
    let courses: Vec<&crate::state::Course> = if p.courseids.is_empty() {
        mine
    } else if p.includenotenrolledcourses {
        p.courseids
            .iter()
            .filter_map(|id| s.courses.get(id))
            .collect()
    } else {
        let mut chosen = Vec::new();
        for id in &p.courseids {
            match mine.iter().find(|c| c.id == *id) {
                Some(c) => chosen.push(*c),
                None => warnings.push(json!({
                    "item": "course", "itemid": id, "warningcode": "2",
                    "message": "User is not enrolled or does not have requested capability",
                })),
            }
        }
        chosen
    };
    let mut out = Vec::new();
    for course in courses {
        if let Err(e) = s.validate_course_context(call.userid, course.id, call.now) {
            warnings.push(json!({
                "item": "course", "itemid": course.id, "warningcode": "1",
                "message": format!("No access rights in course context {}", e.message),
            }));
            continue;
        }
        let mut list = Vec::new();
        let mut modules: Vec<(&CourseModule, &Assign)> = assignments(s)
            .filter(|(cm, _)| cm.course == course.id)
            .collect();
        modules.sort_by_key(|(cm, _)| cm.id);
        for (cm, a) in modules {
            let ctx = s
                .context_id(ContextLevel::Module, cm.id)
                .unwrap_or(SYSTEM_CONTEXT);
            if s.validate_module_context(call.userid, cm.id, call.now)
                .is_err()
                || !s.has_capability(call.userid, "mod/assign:view", ctx)
            {
                warnings.push(json!({"item": "module", "itemid": cm.id, "warningcode": "1", "message": "No access rights in module context"}));
                continue;
            }
            list.push(json!({
                "id": cm.instance, "cmid": cm.id, "course": cm.course, "name": cm.name,
                "nosubmissions": a.nosubmissions, "submissiondrafts": a.submissiondrafts,
                "sendnotifications": a.sendnotifications, "sendlatenotifications": a.sendlatenotifications,
                "sendstudentnotifications": a.sendstudentnotifications, "duedate": a.duedate,
                "allowsubmissionsfromdate": a.allowsubmissionsfromdate, "grade": a.grade,
                "timemodified": cm.timemodified, "completionsubmit": 0, "cutoffdate": a.cutoffdate,
                "gradingduedate": a.gradingduedate, "teamsubmission": 0, "requireallteammemberssubmit": 0,
                "teamsubmissiongroupingid": 0, "blindmarking": 0, "hidegrader": 0, "revealidentities": 0,
                "attemptreopenmethod": "untilpass", "maxattempts": 1, "markingworkflow": 0,
                "markingallocation": 0, "markinganonymous": 0, "requiresubmissionstatement": 0,
                "preventsubmissionnotingroup": 0, "configs": configs(a), "intro": cm.intro,
                "introformat": cm.introformat, "introfiles": [], "introattachments": [],
                "timelimit": 0, "submissionattachments": 0,
            }));
        }
        out.push(json!({
            "id": course.id, "fullname": course.fullname, "shortname": course.shortname,
            "timemodified": course.timemodified, "assignments": list,
        }));
    }
    Ok(json!({"courses": out, "warnings": warnings}))
}

/// The submission plugins' data of a submission (`get_plugins_file_areas` etc.).
fn submission_plugins(s: &State, cm: &CourseModule, a: &Assign, sub: &Submission) -> Vec<Value> {
    let ctx = s
        .context_id(ContextLevel::Module, cm.id)
        .unwrap_or(SYSTEM_CONTEXT);
    let mut plugins = Vec::new();
    if enabled(a, "onlinetext", "assignsubmission") {
        plugins.push(json!({
            "type": "onlinetext", "name": "Online text",
            "fileareas": [{"area": "submissions_onlinetext", "files": []}],
            "editorfields": [{"name": "onlinetext", "description": "Online text submissions",
                "text": sub.onlinetext.clone().unwrap_or_default(), "format": 1}],
        }));
    }
    if enabled(a, "file", "assignsubmission") {
        let mut files: Vec<&crate::state::StoredFile> = s
            .area_files(ctx, "assignsubmission_file", "submission_files", sub.id)
            .into_iter()
            .filter(|f| !f.is_dir())
            .collect();
        files.sort_by(|x, y| (&x.filepath, &x.filename).cmp(&(&y.filepath, &y.filename)));
        let files: Vec<Value> = files
            .into_iter()
            .map(|f| {
                let mimetype = f.mimetype.clone().unwrap_or_default();
                json!({
                    "filename": f.filename, "filepath": f.filepath, "filesize": f.filesize(),
                    "fileurl": format!("{}/webservice/pluginfile.php/{ctx}/assignsubmission_file/submission_files/{}{}{}", s.site.wwwroot, sub.id, f.filepath, f.filename),
                    "timemodified": f.timemodified, "mimetype": mimetype, "isexternalfile": false,
                    "icon": mimetype_icon(&mimetype),
                })
            })
            .collect();
        plugins.push(json!({
            "type": "file", "name": "File submissions",
            "fileareas": [{"area": "submission_files", "files": files}],
        }));
    }
    plugins.push(json!({"type": "comments", "name": "Submission comments"}));
    plugins
}

#[derive(Deserialize)]
struct SubmissionsParams {
    assignmentids: Vec<i64>,
    status: String,
    since: i64,
    before: i64,
}

fn find_assignment(s: &State, instance: i64) -> Option<(&CourseModule, &Assign)> {
    assignments(s).find(|(cm, _)| cm.instance == instance)
}

fn get_submissions(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: SubmissionsParams = params(p)?;
    let s = &*call.state;
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for id in p.assignmentids {
        let Some((cm, a)) = find_assignment(s, id) else {
            continue;
        };
        let ctx = s
            .context_id(ContextLevel::Module, cm.id)
            .unwrap_or(SYSTEM_CONTEXT);
        if s.validate_module_context(call.userid, cm.id, call.now)
            .is_err()
            || !s.has_capability(call.userid, "mod/assign:grade", ctx)
        {
            warnings.push(json!({"item": "assignment", "itemid": id, "warningcode": "1", "message": "No access rights in module context"}));
            continue;
        }
        let subs: Vec<Value> = s
            .submissions
            .values()
            .filter(|sub| sub.assignment == id)
            .filter(|sub| p.status.is_empty() || sub.status == p.status)
            .filter(|sub| sub.timemodified >= p.since && (p.before == 0 || sub.timemodified <= p.before))
            .map(|sub| {
                let graded = s.grades.values().any(|g| g.assignment == id && g.userid == sub.userid);
                json!({
                    "id": sub.id, "userid": sub.userid, "attemptnumber": sub.attemptnumber,
                    "timecreated": sub.timecreated, "timemodified": sub.timemodified, "timestarted": null,
                    "status": sub.status, "groupid": 0, "plugins": submission_plugins(s, cm, a, sub),
                    "gradingstatus": if graded { "graded" } else { "notgraded" },
                })
            })
            .collect();
        out.push(json!({"assignmentid": id, "submissions": subs}));
    }
    Ok(json!({"assignments": out, "warnings": warnings}))
}

#[derive(Deserialize)]
struct GradesParams {
    assignmentids: Vec<i64>,
    since: i64,
}

fn get_grades(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: GradesParams = params(p)?;
    let s = &*call.state;
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for id in p.assignmentids {
        let Some((cm, _)) = find_assignment(s, id) else {
            warnings.push(json!({"item": "assignment", "itemid": id, "warningcode": "3", "message": "No grades found"}));
            continue;
        };
        let ctx = s
            .context_id(ContextLevel::Module, cm.id)
            .unwrap_or(SYSTEM_CONTEXT);
        if s.validate_module_context(call.userid, cm.id, call.now)
            .is_err()
            || !s.has_capability(call.userid, "mod/assign:grade", ctx)
        {
            warnings.push(json!({"item": "assignment", "itemid": id, "warningcode": "1", "message": "No access rights in module context"}));
            continue;
        }
        let grades: Vec<Value> = s
            .grades
            .values()
            .filter(|g| g.assignment == id && g.timemodified >= p.since)
            .map(|g| json!({
                "id": g.id, "userid": g.userid, "attemptnumber": g.attemptnumber, "timecreated": g.timecreated,
                "timemodified": g.timemodified, "grader": g.grader, "grade": format!("{:.5}", g.grade),
            }))
            .collect();
        out.push(json!({"assignmentid": id, "grades": grades}));
    }
    Ok(json!({"assignments": out, "warnings": warnings}))
}

#[derive(Deserialize)]
struct StatusParams {
    assignid: i64,
    userid: i64,
}

fn get_submission_status(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: StatusParams = params(p)?;
    let s = &*call.state;
    let (cm, a) = find_assignment(s, p.assignid)
        .ok_or_else(|| WsError::missing_record_by_id("assign", p.assignid))?;
    s.validate_module_context(call.userid, cm.id, call.now)?;
    let ctx = s
        .context_id(ContextLevel::Module, cm.id)
        .unwrap_or(SYSTEM_CONTEXT);
    let userid = if p.userid == 0 { call.userid } else { p.userid };
    if userid != call.userid {
        s.require_capability(call.userid, "mod/assign:grade", ctx)?;
    } else {
        s.require_capability(call.userid, "mod/assign:view", ctx)?;
    }
    let sub = s
        .submissions
        .values()
        .find(|x| x.assignment == cm.instance && x.userid == userid);
    let grade = s
        .grades
        .values()
        .find(|g| g.assignment == cm.instance && g.userid == userid);
    let submitted = sub.is_some_and(|x| x.status == "submitted");
    let open =
        a.allowsubmissionsfromdate <= call.now && (a.cutoffdate == 0 || call.now <= a.cutoffdate);
    let can_submit_cap = s.has_capability(userid, "mod/assign:submit", ctx);
    let can_edit = can_submit_cap && open && !(submitted && a.submissiondrafts == 1);
    let mut lastattempt = json!({
        "submissiongroupmemberswhoneedtosubmit": [],
        "submissionsenabled": true,
        "locked": false,
        "graded": grade.is_some(),
        "canedit": can_edit,
        "caneditowner": can_edit,
        "cansubmit": can_edit && a.submissiondrafts == 1 && sub.is_some_and(|x| x.status == "draft"),
        "extensionduedate": 0,
        "timelimit": 0,
        "blindmarking": false,
        "gradingstatus": if grade.is_some() { "graded" } else { "notgraded" },
        "usergroups": [],
    });
    if let Some(sub) = sub {
        lastattempt["submission"] = json!({
            "id": sub.id, "userid": sub.userid, "attemptnumber": sub.attemptnumber,
            "timecreated": sub.timecreated, "timemodified": sub.timemodified, "timestarted": null,
            "status": sub.status, "groupid": 0, "assignment": sub.assignment, "latest": 1,
            "plugins": submission_plugins(s, cm, a, sub),
        });
    }
    let mut result = json!({
        "lastattempt": lastattempt,
        "assignmentdata": {"attachments": {"intro": []}},
        "warnings": [],
    });
    if let Some(g) = grade {
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
