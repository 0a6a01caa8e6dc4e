//! `local_bridge_create_quiz` and `local_bridge_update_quiz` (`classes/external/create_quiz.php`,
//! `update_quiz.php`, `classes/local/quiz_writer.php`): the quiz's settings checked, its review
//! options, its questions saved in the right bank (the course's on Moodle 4.x, the quiz's own
//! on 5.0+), put in slots worth their points, replaced while nobody has attempted the quiz.

use serde::Deserialize;
use serde_json::{Value, json};

use super::questions::{self, QuestionInput};
use super::writer::{self, Changes, Common};
use crate::errors::WsError;
use crate::external::desc::*;
use crate::state::quiz::{AFTER_CLOSE, DURING, IMMEDIATELY_AFTER, LATER_WHILE_OPEN, Slot, round};
use crate::state::{ContextLevel, ModInstance, Quiz, State};
use crate::ws::{Call, FunctionDef, params};

/// A quiz's settings as given: all of them on create (defaults filled in), some on update.
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct Settings {
    pub grade: Option<f64>,
    pub attempts: Option<i64>,
    pub grademethod: Option<i64>,
    pub timeopen: Option<i64>,
    pub timeclose: Option<i64>,
    pub timelimit: Option<i64>,
    pub questionsperpage: Option<i64>,
    pub shuffleanswers: Option<bool>,
}

/// `structures::quiz_settings($optional)`.
pub(super) fn settings_desc(optional: bool) -> Vec<(&'static str, Desc)> {
    let defaults: [(&str, Desc, Value); 8] = [
        ("grade", float(), json!(0.0)),
        ("attempts", int(), json!(0)),
        ("grademethod", int(), json!(1)),
        ("timeopen", int(), json!(0)),
        ("timeclose", int(), json!(0)),
        ("timelimit", int(), json!(0)),
        ("questionsperpage", int(), json!(1)),
        ("shuffleanswers", boolean(), json!(true)),
    ];
    defaults
        .into_iter()
        .map(|(name, desc, default)| {
            (
                name,
                if optional {
                    desc.optional()
                } else {
                    desc.default(default)
                },
            )
        })
        .collect()
}

/// `structures::quiz_result()`.
fn quiz_result() -> Desc {
    let mut keys = super::module_fields();
    keys.extend([
        ("grade", float()),
        ("sumgrades", float()),
        (
            "questions",
            multiple(single(vec![
                ("slot", int()),
                ("page", int()),
                ("questionid", int()),
                ("type", plugin()),
                ("name", text()),
                ("maxmark", float()),
            ])),
        ),
        ("warnings", warnings()),
    ]);
    single(keys)
}

/// The functions.
pub(super) fn functions() -> Vec<FunctionDef> {
    vec![
        FunctionDef {
            name: "local_bridge_create_quiz",
            params: || {
                let mut keys = super::placement_parameters();
                keys.push(("questions", multiple(questions::question_desc())));
                keys.extend(settings_desc(false));
                keys.extend(super::common_parameters());
                single(keys)
            },
            returns: || Some(quiz_result()),
            run: create_quiz,
            write: true,
        },
        FunctionDef {
            name: "local_bridge_update_quiz",
            params: || {
                let mut fields = vec![
                    ("name", text().optional()),
                    ("intro", raw().optional()),
                    ("introformat", int().optional()),
                    ("idnumber", raw().optional()),
                    ("visible", boolean().optional()),
                ];
                fields.extend(settings_desc(true));
                single(vec![
                    ("cmid", int()),
                    ("fields", single(fields).default(json!({}))),
                    ("questions", multiple(questions::question_desc()).optional()),
                ])
            },
            returns: || Some(quiz_result()),
            run: update_quiz,
            write: true,
        },
    ]
}

/// `check_settings()`.
pub(super) fn check_settings(s: &Settings, current: Option<&Quiz>) -> Result<(), WsError> {
    let ranges: [(&str, Option<f64>, f64, Option<f64>); 7] = [
        ("grade", s.grade, 0.0, Some(10000.0)),
        ("attempts", s.attempts.map(|v| v as f64), 0.0, Some(100.0)),
        (
            "grademethod",
            s.grademethod.map(|v| v as f64),
            1.0,
            Some(4.0),
        ),
        ("timeopen", s.timeopen.map(|v| v as f64), 0.0, None),
        ("timeclose", s.timeclose.map(|v| v as f64), 0.0, None),
        ("timelimit", s.timelimit.map(|v| v as f64), 0.0, None),
        (
            "questionsperpage",
            s.questionsperpage.map(|v| v as f64),
            0.0,
            Some(50.0),
        ),
    ];
    for (name, value, min, max) in ranges {
        let Some(v) = value else { continue };
        if !v.is_finite() || v < min || max.is_some_and(|m| v > m) {
            let range = match max {
                Some(m) => format!("between {min} and {m}"),
                None => format!("at least {min}"),
            };
            return Err(WsError::invalid_parameter(format!(
                "{name}: must be {range}"
            )));
        }
    }
    let open = s.timeopen.or(current.map(|q| q.timeopen)).unwrap_or(0);
    let close = s.timeclose.or(current.map(|q| q.timeclose)).unwrap_or(0);
    if open > 0 && close > 0 && close <= open {
        return Err(WsError::invalid_parameter(
            "timeclose: must be after timeopen",
        ));
    }
    Ok(())
}

/// `review_fields()` as the eight review bit fields.
fn review_bits(attempts: i64) -> [i64; 8] {
    let after = IMMEDIATELY_AFTER | LATER_WHILE_OPEN | AFTER_CLOSE;
    let rightanswer = if attempts == 1 { after } else { AFTER_CLOSE };
    [
        DURING | after,
        after,
        DURING | after,
        after,
        after,
        after,
        rightanswer,
        after,
    ]
}

/// `instance_fields()`: a new quiz's settings.
fn new_quiz(s: &Settings, grade: f64, now: i64) -> Quiz {
    let attempts = s.attempts.unwrap_or(0);
    Quiz {
        timeopen: s.timeopen.unwrap_or(0),
        timeclose: s.timeclose.unwrap_or(0),
        timelimit: s.timelimit.unwrap_or(0),
        overduehandling: "autosubmit".to_owned(),
        graceperiod: 86400,
        preferredbehaviour: "deferredfeedback".to_owned(),
        canredoquestions: 0,
        attempts,
        attemptonlast: 0,
        grademethod: s.grademethod.unwrap_or(1),
        decimalpoints: 2,
        questiondecimalpoints: -1,
        review: review_bits(attempts),
        questionsperpage: s.questionsperpage.unwrap_or(1),
        navmethod: "free".to_owned(),
        shuffleanswers: s.shuffleanswers.unwrap_or(true),
        sumgrades: 0.0,
        grade: round(grade, 5),
        timecreated: now,
        password: String::new(),
        subnet: String::new(),
        browsersecurity: "-".to_owned(),
        delay1: 0,
        delay2: 0,
        showuserpicture: 0,
        showblocks: 0,
        completionattemptsexhausted: 0,
        allowofflineattempts: 0,
    }
}

/// `require_can_add_questions()`: the question bank's capabilities where the questions go.
fn require_can_add_questions(call: &Call<'_>, contextid: i64) -> Result<(), WsError> {
    call.require_capability("moodle/question:add", contextid)?;
    call.require_capability("moodle/question:usemine", contextid)
}

/// The context of the bank a quiz's questions go to: the course's (Moodle 4.x) or the quiz's
/// own (5.0+).
fn bank_context(state: &State, cmid: i64) -> i64 {
    let course = state.cms.get(&cmid).map_or(0, |cm| cm.course);
    if crate::plugins::moodle_5(state) {
        state.quiz_context(cmid)
    } else {
        state
            .context_id(ContextLevel::Course, course)
            .unwrap_or_default()
    }
}

/// `add_questions()`: each question saved, then added with `quiz_add_quiz_question()` (page
/// by the quiz's questions per page), then the quiz's total of marks.
pub(super) fn add_questions(state: &mut State, cmid: i64, list: &[QuestionInput], userid: i64) {
    let Some(cm) = state.cms.get(&cmid) else {
        return;
    };
    let (instance, perpage) = match &cm.kind {
        ModInstance::Quiz(q) => (cm.instance, q.questionsperpage),
        _ => return,
    };
    let contextid = bank_context(state, cmid);
    for (i, q) in list.iter().enumerate() {
        let questionid = questions::save(state, q, contextid, i + 1, userid);
        let existing = state.quiz.quiz_slots(instance);
        let maxpage = existing.iter().map(|s| s.page).max().unwrap_or(1);
        let onlast = existing.iter().filter(|s| s.page == maxpage).count() as i64;
        let page = if perpage > 0 && onlast >= perpage {
            maxpage + 1
        } else {
            maxpage
        };
        let slot = existing.len() as i64 + 1;
        let id = state.seq.next("quiz_slots");
        state.quiz.slots.insert(
            id,
            Slot {
                id,
                quizid: instance,
                slot,
                page,
                maxmark: round(q.points, 7),
                questionid,
            },
        );
    }
    state.recompute_quiz_sumgrades(cmid);
}

/// `remove_questions()`: every slot removed, and the questions from the quiz's bank deleted.
fn remove_questions(state: &mut State, cmid: i64) {
    let Some(instance) = state.cms.get(&cmid).map(|cm| cm.instance) else {
        return;
    };
    let contextid = bank_context(state, cmid);
    let removed: Vec<i64> = state
        .quiz
        .quiz_slots(instance)
        .iter()
        .map(|s| s.questionid)
        .collect();
    state.quiz.slots.retain(|_, s| s.quizid != instance);
    for id in removed {
        if state
            .quiz
            .questions
            .get(&id)
            .is_some_and(|q| q.contextid == contextid)
        {
            state.quiz.questions.remove(&id);
        }
    }
    state.recompute_quiz_sumgrades(cmid);
}

/// `set_grade()`: the maximum grade (0: the total of marks); grades already given are
/// rescaled.
fn set_grade(state: &mut State, cmid: i64, grade: f64) {
    let Some(q) = state.quiz_mut(cmid) else {
        return;
    };
    q.grade = round(if grade > 0.0 { grade } else { q.sumgrades }, 5);
    if let Some(instance) = state.cms.get(&cmid).map(|cm| cm.instance) {
        crate::ws::quiz::regrade(state, instance);
    }
}

/// `quiz_writer::export()` added to the activity.
fn export(state: &State, cmid: i64, mut module: Value) -> Value {
    let Some(cm) = state.cms.get(&cmid) else {
        return module;
    };
    let ModInstance::Quiz(quiz) = &cm.kind else {
        return module;
    };
    let list: Vec<Value> = state
        .quiz
        .quiz_slots(cm.instance)
        .iter()
        .filter_map(|s| {
            let q = state.quiz.questions.get(&s.questionid)?;
            Some(
                json!({"slot": s.slot, "page": s.page, "questionid": q.id, "type": q.qtype,
                "name": q.name, "maxmark": s.maxmark}),
            )
        })
        .collect();
    module["grade"] = json!(quiz.grade);
    module["sumgrades"] = json!(quiz.sumgrades);
    module["questions"] = json!(list);
    module
}

/// Makes a checked quiz and its questions (what `create_checked()` and its `$after` do).
pub(super) fn create(
    call: &mut Call<'_>,
    common: &Common,
    settings: &Settings,
    list: &[QuestionInput],
) -> Result<Value, WsError> {
    let points: f64 = list.iter().map(|q| q.points).sum();
    let grade = settings.grade.filter(|g| *g > 0.0).unwrap_or(points);
    let kind = ModInstance::Quiz(Box::new(new_quiz(settings, grade, call.now)));
    let module = writer::create_checked(call, common, kind, None)?;
    let cmid = module["cmid"].as_i64().unwrap_or_default();
    add_questions(call.state, cmid, list, call.userid);
    if let Some(instance) = call.state.cms.get(&cmid).map(|cm| cm.instance) {
        call.state.quiz_grade_item(instance);
    }
    Ok(export(call.state, cmid, module))
}

/// The checks a new quiz passes before anything is made, after the capabilities to add one.
pub(super) fn check_new(settings: &Settings, list: &[QuestionInput]) -> Result<(), WsError> {
    check_settings(settings, None)?;
    questions::check_all(list)
}

/// The question bank capabilities for a new quiz, in the course.
pub(super) fn require_question_caps(call: &Call<'_>, courseid: i64) -> Result<(), WsError> {
    let ctx = call
        .state
        .context_id(ContextLevel::Course, courseid)
        .unwrap_or_default();
    require_can_add_questions(call, ctx)
}

fn create_quiz(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    #[derive(Deserialize)]
    struct Own {
        questions: Vec<QuestionInput>,
    }
    let common: Common = params(p.clone())?;
    let settings: Settings = params(p.clone())?;
    let own: Own = params(p)?;
    let ctx = writer::course_context(call.state, common.courseid)?;
    call.state
        .validate_course_context(call.userid, common.courseid, call.now)?;
    call.require_capability("moodle/course:manageactivities", ctx)?;
    call.require_capability("mod/quiz:addinstance", ctx)?;
    require_can_add_questions(call, ctx)?;
    writer::check_common(
        Some(&common.name),
        Some(common.introformat),
        Some(&common.idnumber),
    )?;
    check_new(&settings, &own.questions)?;
    create(call, &common, &settings, &own.questions)
}

fn update_quiz(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    #[derive(Deserialize)]
    struct Fields {
        name: Option<String>,
        intro: Option<String>,
        introformat: Option<i64>,
        idnumber: Option<String>,
        visible: Option<bool>,
        #[serde(flatten)]
        settings: Settings,
    }
    #[derive(Deserialize)]
    struct P {
        cmid: i64,
        fields: Fields,
        questions: Option<Vec<QuestionInput>>,
    }
    let p: P = params(p)?;
    let Some(cm) = call.state.cms.get(&p.cmid).cloned() else {
        return Err(crate::plugins::missing_record(
            call.state,
            "course_modules",
            format!(
                "SELECT id FROM {{course_modules}} WHERE id = ?\n[array (\n  0 => {},\n)]",
                p.cmid
            ),
        ));
    };
    let ctx = call.state.quiz_context(cm.id);
    call.state
        .validate_module_context(call.userid, cm.id, call.now)?;
    call.require_capability("moodle/course:manageactivities", ctx)?;
    let ModInstance::Quiz(current) = &cm.kind else {
        return Err(WsError::moodle(
            "notaquiz",
            format!("Course module {} is not a quiz.", cm.id),
        ));
    };
    call.require_capability("mod/quiz:manage", ctx)?;
    if p.questions.is_some() {
        require_can_add_questions(call, ctx)?;
    }
    let f = p.fields;
    writer::check_common(f.name.as_deref(), f.introformat, f.idnumber.as_deref())?;
    check_settings(&f.settings, Some(current))?;
    if let Some(list) = &p.questions {
        questions::check_all(list)?;
        if call.state.quiz.has_attempts(cm.instance) {
            return Err(WsError::moodle(
                "quizhasattempts",
                format!(
                    "Learners have attempted the quiz (course module {}): its questions can no longer be replaced. Make a new quiz, or change the questions in Moodle.",
                    cm.id
                ),
            ));
        }
    }
    if f.visible.is_some_and(|v| v != cm.visible) {
        call.require_capability("moodle/course:activityvisibility", ctx)?;
    }
    let changes = Changes {
        name: f.name,
        intro: f.intro,
        introformat: f.introformat,
        idnumber: f.idnumber,
        visible: f.visible,
        ..Changes::default()
    };
    let module = writer::update_checked(call, cm.id, changes)?;
    let s = f.settings;
    if let Some(q) = call.state.quiz_mut(cm.id) {
        q.attempts = s.attempts.unwrap_or(q.attempts);
        q.grademethod = s.grademethod.unwrap_or(q.grademethod);
        q.timeopen = s.timeopen.unwrap_or(q.timeopen);
        q.timeclose = s.timeclose.unwrap_or(q.timeclose);
        q.timelimit = s.timelimit.unwrap_or(q.timelimit);
        q.questionsperpage = s.questionsperpage.unwrap_or(q.questionsperpage);
        q.shuffleanswers = s.shuffleanswers.unwrap_or(q.shuffleanswers);
        if let Some(attempts) = s.attempts {
            q.review = review_bits(attempts);
        }
    }
    if let Some(list) = &p.questions {
        remove_questions(call.state, cm.id);
        add_questions(call.state, cm.id, list, call.userid);
    }
    if let Some(grade) = s.grade {
        set_grade(call.state, cm.id, grade);
    } else if p.questions.is_some() {
        set_grade(call.state, cm.id, 0.0);
    }
    Ok(export(call.state, cm.id, module))
}
