//! Assignments: `mod_assign_get_assignments`, `mod_assign_get_submissions`,
//! `mod_assign_get_grades`, `mod_assign_get_submission_status` (`mod/assign/externallib.php`).

use serde::Deserialize;
use serde_json::{Value, json};

mod returns;
mod status;
mod write;

use super::{Call, FunctionDef, params};
use crate::errors::WsError;
use crate::external::desc::*;
use crate::state::{
    Assign, ContextLevel, CourseModule, ModInstance, SYSTEM_CONTEXT, State, Submission,
    mimetype_icon,
};
use crate::version::MoodleVersion;
use returns::{
    course_structure, grade_structure, submission_status_structure, submission_structure,
};

pub(super) fn functions(version: MoodleVersion) -> Vec<FunctionDef> {
    let mut list = vec![
        FunctionDef {
            name: "mod_assign_get_assignments",
            params: || {
                single(vec![
                    ("courseids", multiple(int()).default(json!([]))),
                    ("capabilities", multiple(text()).default(json!([]))),
                    ("includenotenrolledcourses", boolean().default(false)),
                ])
            },
            returns: for_version!(version, |v| {
                Some(single(vec![
                    ("courses", multiple(course_structure(v))),
                    ("warnings", warnings()),
                ]))
            }),
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
            run: status::get_submission_status,
            write: false,
        },
    ];
    list.extend(write::functions());
    list
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
    capabilities: Vec<String>,
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
        // Courses where the user lacks any requested capability are dropped silently.
        let course_ctx = s
            .context_id(ContextLevel::Course, course.id)
            .unwrap_or(SYSTEM_CONTEXT);
        if !p
            .capabilities
            .iter()
            .all(|cap| s.has_capability(call.userid, cap, course_ctx))
        {
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
            let mut assignment = json!({
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
            });
            if s.site.moodle.at_least_5_0() {
                // 5.0's mod/assign/externallib.php returns assign.gradepenalty: the column's
                // default 0, as nothing the stand-in implements turns penalties on.
                assignment["gradepenalty"] = json!(0);
            }
            list.push(assignment);
        }
        out.push(json!({
            "id": course.id, "fullname": course.fullname, "shortname": course.shortname,
            "timemodified": course.timemodified, "assignments": list,
        }));
    }
    Ok(json!({"courses": out, "warnings": warnings}))
}

fn ctx_of(s: &State, cmid: i64) -> i64 {
    s.context_id(ContextLevel::Module, cmid)
        .unwrap_or(SYSTEM_CONTEXT)
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
                "text": sub.onlinetext.clone().unwrap_or_default(),
                // get_editor_format(): the stored format, 0 without an online text row.
                "format": i64::from(sub.onlinetext.is_some())}],
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

/// The assignment modules among requested instance ids, in course module order (the
/// `get_records_sql` keyed by `cm.id`), each with its context.
fn requested_cms(s: &State, ids: &[i64]) -> Vec<(i64, i64, i64)> {
    let mut cms: Vec<(i64, i64, i64)> = assignments(s)
        .filter(|(cm, _)| ids.contains(&cm.instance))
        .map(|(cm, _)| {
            let ctx = s
                .context_id(ContextLevel::Module, cm.id)
                .unwrap_or(SYSTEM_CONTEXT);
            (cm.id, cm.instance, ctx)
        })
        .collect();
    cms.sort_unstable();
    cms
}

/// `validate_context()` of the module, then `require_view_grades()` (view grades or grade).
fn can_view_grades(call: &Call<'_>, cmid: i64, ctx: i64) -> bool {
    call.state
        .validate_module_context(call.userid, cmid, call.now)
        .is_ok()
        && (call.has_capability("mod/assign:viewgrades", ctx)
            || call.has_capability("mod/assign:grade", ctx))
}

/// `can_view_submission()`: the user's enrolment (an inactive one only for viewers of
/// suspended users), then the viewer may see grades or it is their own.
fn can_view_submission(
    s: &State,
    viewer: i64,
    userid: i64,
    course: i64,
    ctx: i64,
    now: i64,
) -> bool {
    if !s.is_enrolled(userid, course, now)
        && !s.has_capability(viewer, "moodle/course:viewsuspendedusers", ctx)
    {
        return false;
    }
    if !s.has_enrolment(userid, course) {
        return false;
    }
    s.has_capability(viewer, "mod/assign:viewgrades", ctx)
        || s.has_capability(viewer, "mod/assign:grade", ctx)
        || userid == viewer
}

/// `is_graded()`: the latest grade is set (0 or more).
fn is_graded(s: &State, assignment: i64, userid: i64) -> bool {
    let attempt = s
        .submissions
        .values()
        .filter(|x| x.assignment == assignment && x.userid == userid)
        .map(|x| x.attemptnumber)
        .max();
    s.grades
        .values()
        .filter(|g| g.assignment == assignment && g.userid == userid)
        .filter(|g| attempt.is_none_or(|a| g.attemptnumber == a))
        .max_by_key(|g| g.attemptnumber)
        .is_some_and(|g| g.grade >= 0.0)
}

fn get_submissions(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: SubmissionsParams = params(p)?;
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let mut visible = Vec::new();
    for (cmid, instance, ctx) in requested_cms(call.state, &p.assignmentids) {
        if can_view_grades(call, cmid, ctx) {
            visible.push(instance);
        } else {
            warnings.push(json!({"item": "assignment", "itemid": instance, "warningcode": "1", "message": "No access rights in module context"}));
        }
    }
    let s = &*call.state;
    for id in visible {
        let Some((cm, a)) = find_assignment(s, id) else {
            continue;
        };
        // The latest attempt of each user, filtered by status and times; the warning is for
        // none found, before the ones the viewer may not see are dropped.
        let mut found = false;
        let subs: Vec<Value> = s
            .submissions
            .values()
            .filter(|sub| sub.assignment == id)
            .filter(|sub| {
                !s.submissions.values().any(|o| {
                    o.assignment == id && o.userid == sub.userid && o.attemptnumber > sub.attemptnumber
                })
            })
            .filter(|sub| p.status.is_empty() || sub.status == p.status)
            .filter(|sub| {
                sub.timemodified >= p.since && (p.before == 0 || sub.timemodified <= p.before)
            })
            .collect::<Vec<_>>()
            .into_iter()
            .inspect(|_| found = true)
            .filter(|sub| can_view_submission(s, call.userid, sub.userid, cm.course, ctx_of(s, cm.id), call.now))
            .map(|sub| {
                json!({
                    "id": sub.id, "userid": sub.userid, "attemptnumber": sub.attemptnumber,
                    "timecreated": sub.timecreated, "timemodified": sub.timemodified, "timestarted": null,
                    "status": sub.status, "groupid": 0, "plugins": submission_plugins(s, cm, a, sub),
                    "gradingstatus": if is_graded(s, id, sub.userid) { "graded" } else { "notgraded" },
                })
            })
            .collect();
        if !found {
            warnings.push(json!({"item": "module", "itemid": id, "warningcode": "3", "message": "No submissions found"}));
        }
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
    let mut warnings = Vec::new();
    let mut requested = p.assignmentids.clone();
    for (cmid, instance, ctx) in requested_cms(call.state, &p.assignmentids) {
        if !can_view_grades(call, cmid, ctx) {
            requested.retain(|r| *r != instance);
            warnings.push(json!({"item": "assignment", "itemid": instance, "warningcode": "1", "message": "No access rights in module context"}));
        }
    }
    let s = &*call.state;
    // Grades of each user's latest submission attempt, by assignment and id.
    let mut rows: Vec<&crate::state::SubmissionGrade> = s
        .grades
        .values()
        .filter(|g| requested.contains(&g.assignment) && g.timemodified >= p.since)
        .filter(|g| {
            let latest = s
                .submissions
                .values()
                .filter(|x| x.assignment == g.assignment && x.userid == g.userid)
                .map(|x| x.attemptnumber)
                .max();
            latest == Some(g.attemptnumber)
        })
        .collect();
    rows.sort_by_key(|g| (g.assignment, g.id));
    let mut out: Vec<Value> = Vec::new();
    for g in rows {
        let grade = json!({
            "id": g.id, "userid": g.userid, "attemptnumber": g.attemptnumber, "timecreated": g.timecreated,
            "timemodified": g.timemodified, "grader": g.grader, "grade": format!("{:.5}", g.grade),
        });
        match out.last_mut() {
            Some(a) if a["assignmentid"] == json!(g.assignment) => {
                if let Some(list) = a["grades"].as_array_mut() {
                    list.push(grade);
                }
            }
            _ => {
                requested.retain(|r| *r != g.assignment);
                out.push(json!({"assignmentid": g.assignment, "grades": [grade]}));
            }
        }
    }
    for id in requested {
        warnings.push(json!({"item": "assignment", "itemid": id, "warningcode": "3", "message": "No grades found"}));
    }
    Ok(json!({"assignments": out, "warnings": warnings}))
}
