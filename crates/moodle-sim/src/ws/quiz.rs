//! Quizzes as Moodle's own web services show them (`mod/quiz/classes/external.php`):
//! `mod_quiz_get_quizzes_by_courses`, and the attempt functions in `quiz/attempts.rs`
//! (`mod_quiz_start_attempt`, `…_get_attempt_data`, `…_process_attempt`,
//! `…_get_user_attempts`, `…_get_user_best_grade`). Also what the rest of the stand-in asks
//! of a quiz: its capabilities (`mod/quiz/db/access.php`, the question bank's), its course
//! module custom data and dates.
//!
//! Quizzes come into being through `local_bridge` (`plugins/bridge/quiz.rs`); their data is in
//! `state/quiz.rs`.

mod attempts;
mod engine;
mod render;
mod returns;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Call, FunctionDef, params};
use crate::errors::WsError;
use crate::external::desc::*;
use crate::state::quiz::review;
use crate::state::{ContextLevel, CourseModule, ModInstance, Quiz, SYSTEM_CONTEXT, State};
use crate::version::MoodleVersion;

/// mod_quiz's and the question bank's capabilities the stand-in checks: (capability, display
/// name, archetypes).
const CAPABILITIES: &[(&str, &str, &[&str])] = &[
    (
        "mod/quiz:view",
        "View quiz information",
        &["guest", "student", "teacher", "editingteacher", "manager"],
    ),
    ("mod/quiz:attempt", "Attempt quizzes", &["student"]),
    (
        "mod/quiz:reviewmyattempts",
        "Review your own attempts",
        &["student"],
    ),
    (
        "mod/quiz:preview",
        "Preview quizzes",
        &["teacher", "editingteacher", "manager"],
    ),
    (
        "mod/quiz:viewreports",
        "View quiz reports",
        &["teacher", "editingteacher", "manager"],
    ),
    (
        "mod/quiz:manage",
        "Manage quizzes",
        &["editingteacher", "manager"],
    ),
    (
        "mod/quiz:addinstance",
        "Add a new quiz",
        &["editingteacher", "manager"],
    ),
    (
        "moodle/question:add",
        "Add new questions",
        &["editingteacher", "manager"],
    ),
    (
        "moodle/question:usemine",
        "Use your own questions",
        &["editingteacher", "manager"],
    ),
];

/// The display name and archetypes of a quiz or question capability.
pub fn capability(capability: &str) -> Option<(&'static str, &'static [&'static str])> {
    CAPABILITIES
        .iter()
        .find(|(c, _, _)| *c == capability)
        .map(|(_, name, archetypes)| (*name, *archetypes))
}

/// `quiz_get_coursemodule_info()`'s custom data: the open and close times when set.
pub fn customdata(quiz: &Quiz) -> Value {
    let mut data = Map::new();
    if quiz.timeopen != 0 {
        data.insert("timeopen".into(), quiz.timeopen.to_string().into());
    }
    if quiz.timeclose != 0 {
        data.insert("timeclose".into(), quiz.timeclose.to_string().into());
    }
    if data.is_empty() {
        json!("")
    } else {
        Value::Object(data)
    }
}

/// `mod_quiz\dates::get_dates()`.
pub fn activity_dates(quiz: &Quiz, now: i64) -> Vec<Value> {
    let mut dates = Vec::new();
    if quiz.timeopen != 0 {
        let label = if quiz.timeopen > now {
            "Opens:"
        } else {
            "Opened:"
        };
        dates.push(json!({"label": label, "timestamp": quiz.timeopen, "dataid": "timeopen"}));
    }
    if quiz.timeclose != 0 {
        let label = if quiz.timeclose > now {
            "Closes:"
        } else {
            "Closed:"
        };
        dates.push(json!({"label": label, "timestamp": quiz.timeclose, "dataid": "timeclose"}));
    }
    dates
}

pub(super) fn functions(version: MoodleVersion) -> Vec<FunctionDef> {
    let mut list = vec![FunctionDef {
        name: "mod_quiz_get_quizzes_by_courses",
        params: || single(vec![("courseids", multiple(int()).default(json!([])))]),
        returns: for_version!(version, |v| {
            Some(single(vec![
                ("quizzes", multiple(returns::quiz_structure(v))),
                ("warnings", warnings()),
            ]))
        }),
        run: get_quizzes_by_courses,
        write: false,
    }];
    list.extend(attempts::functions());
    list
}

/// The quizzes of a course a user sees, in course page order (`get_all_instances_in_courses()`).
fn course_quizzes(s: &State, courseid: i64, userid: i64) -> Vec<(&CourseModule, &Quiz)> {
    let mut found = Vec::new();
    let mut sections: Vec<&crate::state::Section> = s
        .sections
        .values()
        .filter(|sec| sec.course == courseid)
        .collect();
    sections.sort_by_key(|sec| sec.section);
    for section in sections {
        for cmid in &section.sequence {
            let Some(cm) = s.cms.get(cmid) else { continue };
            let ModInstance::Quiz(quiz) = &cm.kind else {
                continue;
            };
            let ctx = s
                .context_id(ContextLevel::Module, cm.id)
                .unwrap_or(SYSTEM_CONTEXT);
            let visible = (cm.visible && section.visible)
                || s.has_capability(userid, "moodle/course:viewhiddenactivities", ctx);
            if visible {
                found.push((cm, quiz.as_ref()));
            }
        }
    }
    found
}

fn get_quizzes_by_courses(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    #[derive(Deserialize)]
    struct P {
        courseids: Vec<i64>,
    }
    let p: P = params(p)?;
    let s = &*call.state;
    let courseids: Vec<i64> = if p.courseids.is_empty() {
        // enrol_get_my_courses(): active enrolments, visible courses first, by sort order.
        let mut mine: Vec<&crate::state::Course> = s
            .enrolled_course_ids(call.userid)
            .iter()
            .filter(|c| s.is_enrolled(call.userid, **c, call.now))
            .filter_map(|c| s.courses.get(c))
            .collect();
        mine.sort_by_key(|c| (!c.visible, c.sortorder));
        mine.iter().map(|c| c.id).collect()
    } else {
        let mut unique = Vec::new();
        for id in p.courseids {
            if !unique.contains(&id) {
                unique.push(id);
            }
        }
        unique
    };
    let mut warnings = Vec::new();
    let mut quizzes = Vec::new();
    for courseid in courseids {
        // util::validate_courses().
        if !s.courses.contains_key(&courseid)
            || s.validate_course_context(call.userid, courseid, call.now)
                .is_err()
        {
            warnings.push(
                json!({"item": "course", "itemid": courseid, "warningcode": "1",
                "message": "No access rights in course context"}),
            );
            continue;
        }
        for (cm, quiz) in course_quizzes(s, courseid, call.userid) {
            quizzes.push(quiz_details(call, cm, quiz));
        }
    }
    Ok(json!({"quizzes": quizzes, "warnings": warnings}))
}

/// One quiz as `get_quizzes_by_courses` shows it to the caller: the fields their capabilities
/// and the quiz's access rules allow.
fn quiz_details(call: &Call<'_>, cm: &CourseModule, quiz: &Quiz) -> Value {
    let s = &*call.state;
    let ctx = s.quiz_context(cm.id);
    let section = s.sections.get(&cm.section).map_or(0, |sec| sec.section);
    let mut o = Map::new();
    o.insert("id".into(), cm.instance.into());
    o.insert("coursemodule".into(), cm.id.into());
    o.insert("course".into(), cm.course.into());
    o.insert("name".into(), cm.name.clone().into());
    o.insert("lang".into(), "".into());
    let view = call.has_capability("mod/quiz:view", ctx);
    if view {
        o.insert("intro".into(), cm.intro.clone().into());
        o.insert("introformat".into(), cm.introformat.into());
        o.insert("introfiles".into(), json!([]));
    }
    if view {
        o.insert("section".into(), section.into());
        o.insert("visible".into(), cm.visible.into());
        o.insert("groupmode".into(), cm.groupmode.into());
        o.insert("groupingid".into(), 0.into());
    }
    if !view {
        return Value::Object(o);
    }
    o.insert("hasfeedback".into(), 0.into());
    let mut fields: Vec<(&str, Value)> = vec![
        ("timeopen", quiz.timeopen.into()),
        ("timeclose", quiz.timeclose.into()),
        ("attempts", quiz.attempts.into()),
        ("timelimit", quiz.timelimit.into()),
        ("grademethod", quiz.grademethod.into()),
        ("decimalpoints", quiz.decimalpoints.into()),
        ("questiondecimalpoints", quiz.questiondecimalpoints.into()),
        ("sumgrades", quiz.sumgrades.into()),
        ("grade", quiz.grade.into()),
        ("preferredbehaviour", quiz.preferredbehaviour.clone().into()),
    ];
    if attempts::access_messages(quiz, call.now).is_empty() {
        o.insert(
            "hasquestions".into(),
            i64::from(!s.quiz.quiz_slots(cm.instance).is_empty()).into(),
        );
        o.insert("autosaveperiod".into(), 60.into());
        fields.push(("attemptonlast", quiz.attemptonlast.into()));
        for (i, name) in review::NAMES.iter().enumerate() {
            let key: &'static str = match *name {
                "attempt" => "reviewattempt",
                "correctness" => "reviewcorrectness",
                "maxmarks" => "reviewmaxmarks",
                "marks" => "reviewmarks",
                "specificfeedback" => "reviewspecificfeedback",
                "generalfeedback" => "reviewgeneralfeedback",
                "rightanswer" => "reviewrightanswer",
                _ => "reviewoverallfeedback",
            };
            fields.push((key, quiz.review[i].into()));
        }
        fields.extend([
            ("questionsperpage", quiz.questionsperpage.into()),
            ("navmethod", quiz.navmethod.clone().into()),
            ("browsersecurity", quiz.browsersecurity.clone().into()),
            ("delay1", quiz.delay1.into()),
            ("delay2", quiz.delay2.into()),
            ("showuserpicture", quiz.showuserpicture.into()),
            ("showblocks", quiz.showblocks.into()),
            (
                "completionattemptsexhausted",
                quiz.completionattemptsexhausted.into(),
            ),
            ("overduehandling", quiz.overduehandling.clone().into()),
            ("graceperiod", quiz.graceperiod.into()),
            ("canredoquestions", quiz.canredoquestions.into()),
            ("allowofflineattempts", quiz.allowofflineattempts.into()),
        ]);
        o.insert("completionpass".into(), 0.into());
    }
    if call.has_capability("moodle/course:manageactivities", ctx) {
        fields.extend([
            ("shuffleanswers", i64::from(quiz.shuffleanswers).into()),
            ("timecreated", quiz.timecreated.into()),
            ("timemodified", cm.timemodified.into()),
            ("password", quiz.password.clone().into()),
            ("subnet", quiz.subnet.clone().into()),
        ]);
    }
    for (k, v) in fields {
        o.insert(k.into(), v);
    }
    Value::Object(o)
}

/// `validate_quiz()`: the quiz by instance id, and the caller may enter its course module.
///
/// # Errors
/// `invalidrecord` (no such quiz), `requireloginerror`.
fn validate_quiz(call: &Call<'_>, quizid: i64) -> Result<(CourseModule, Quiz), WsError> {
    let Some((cm, quiz)) = call.state.quiz(quizid) else {
        return Err(call.state.site.missing_record(
            "quiz",
            format!("SELECT * FROM {{quiz}} WHERE id = ?\n[array (\n  0 => {quizid},\n)]"),
        ));
    };
    let (cm, quiz) = (cm.clone(), quiz.clone());
    call.state
        .validate_module_context(call.userid, cm.id, call.now)?;
    Ok((cm, quiz))
}

/// `grade_calculator::recompute_all_final_grades()`: every learner's best grade again (after
/// the quiz's maximum grade changed).
pub(crate) fn regrade(state: &mut State, quizid: i64) {
    let users: Vec<i64> = state
        .quiz
        .attempts
        .values()
        .filter(|a| a.quiz == quizid)
        .map(|a| a.userid)
        .collect();
    for userid in users {
        engine::save_best_grade(state, quizid, userid, crate::state::now());
    }
}
