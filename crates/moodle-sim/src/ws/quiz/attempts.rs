//! A learner's attempt through mod_quiz's web services: `mod_quiz_start_attempt`,
//! `mod_quiz_get_attempt_data`, `mod_quiz_process_attempt`, `mod_quiz_get_user_attempts` and
//! `mod_quiz_get_user_best_grade`, with the checks of `validate_quiz()` /
//! `validate_attempt()` and the quiz's access rules (open and close dates, attempts allowed).
//!
//! Not modelled: teachers' preview attempts (Moodle starts one for a `mod/quiz:preview`
//! holder; here such a caller without `mod/quiz:attempt` is refused `nopermissions`),
//! passwords and other preflight checks, overdue handling beyond finishing at the end time,
//! and manual grading of essays.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::engine::{self, DisplayOptions, MARK_AND_MAX, MAX_ONLY};
use super::{render, returns, validate_quiz};
use crate::errors::WsError;
use crate::external::desc::*;
use crate::state::quiz::{Attempt, DURING};
use crate::state::{CourseModule, Quiz};
use crate::ws::{Call, FunctionDef, params};

pub(super) fn functions() -> Vec<FunctionDef> {
    vec![
        FunctionDef {
            name: "mod_quiz_start_attempt",
            params: || {
                single(vec![
                    ("quizid", int()),
                    ("preflightdata", returns::preflightdata()),
                    ("forcenew", boolean().default(false)),
                ])
            },
            returns: || {
                Some(single(vec![
                    ("attempt", returns::attempt_structure()),
                    ("warnings", warnings()),
                ]))
            },
            run: start_attempt,
            write: true,
        },
        FunctionDef {
            name: "mod_quiz_get_attempt_data",
            params: || {
                single(vec![
                    ("attemptid", int()),
                    ("page", int()),
                    ("preflightdata", returns::preflightdata()),
                ])
            },
            returns: || {
                Some(single(vec![
                    ("attempt", returns::attempt_structure()),
                    ("messages", multiple(text())),
                    ("nextpage", int()),
                    ("questions", multiple(returns::question_structure())),
                    ("warnings", warnings()),
                ]))
            },
            run: get_attempt_data,
            write: false,
        },
        FunctionDef {
            name: "mod_quiz_process_attempt",
            params: || {
                single(vec![
                    ("attemptid", int()),
                    (
                        "data",
                        multiple(single(vec![("name", raw()), ("value", raw())]))
                            .default(json!([])),
                    ),
                    ("finishattempt", boolean().default(false)),
                    ("timeup", boolean().default(false)),
                    ("preflightdata", returns::preflightdata()),
                ])
            },
            returns: || {
                Some(single(vec![
                    ("state", alphanumext()),
                    ("warnings", warnings()),
                ]))
            },
            run: process_attempt,
            write: true,
        },
        FunctionDef {
            name: "mod_quiz_get_user_attempts",
            params: || {
                single(vec![
                    ("quizid", int()),
                    ("userid", int().default(0)),
                    ("status", alpha().default("finished")),
                    ("includepreviews", boolean().default(false)),
                ])
            },
            returns: || {
                Some(single(vec![
                    ("attempts", multiple(returns::attempt_structure())),
                    ("warnings", warnings()),
                ]))
            },
            run: get_user_attempts,
            write: false,
        },
        FunctionDef {
            name: "mod_quiz_get_user_best_grade",
            params: || single(vec![("quizid", int()), ("userid", int().default(0))]),
            returns: || {
                Some(single(vec![
                    ("hasgrade", boolean()),
                    ("grade", float().optional()),
                    ("gradetopass", float().optional()),
                    ("warnings", warnings()),
                ]))
            },
            run: get_user_best_grade,
            write: false,
        },
    ]
}

/// The quiz's access rules' `prevent_access()` messages: closed or not yet open
/// (`quizaccess_openclosedate`).
pub(super) fn access_messages(quiz: &Quiz, now: i64) -> Vec<&'static str> {
    let closed = quiz.timeclose != 0
        && now > quiz.timeclose
        && (quiz.overduehandling != "graceperiod" || now > quiz.timeclose + quiz.graceperiod);
    if now < quiz.timeopen || closed {
        vec!["This quiz is currently not available."]
    } else {
        Vec::new()
    }
}

/// An attempt as `attempt_structure()` returns it.
fn attempt_json(a: &Attempt, sumgrades: Option<f64>, gradeitemmarks: bool) -> Value {
    let mut o = json!({
        "id": a.id, "quiz": a.quiz, "userid": a.userid, "attempt": a.attempt, "uniqueid": a.uniqueid,
        "layout": a.layout, "currentpage": a.currentpage, "preview": 0, "state": a.state,
        "timestart": a.timestart, "timefinish": a.timefinish, "timemodified": a.timemodified,
        "timemodifiedoffline": a.timemodifiedoffline, "timecheckstate": null, "sumgrades": sumgrades,
        "gradednotificationsenttime": a.gradednotificationsenttime,
    });
    if gradeitemmarks {
        o["gradeitemmarks"] = json!([]);
    }
    o
}

fn start_attempt(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    #[derive(Deserialize)]
    struct P {
        quizid: i64,
    }
    let p: P = params(p)?;
    let (cm, quiz) = validate_quiz(call, p.quizid)?;
    let slots: Vec<(i64, i64, f64, i64)> = call
        .state
        .quiz
        .quiz_slots(cm.instance)
        .iter()
        .map(|s| (s.slot, s.page, s.maxmark, s.questionid))
        .collect();
    if slots.is_empty() {
        return Err(WsError::moodle("noquestionsfound", "No questions found"));
    }
    let ctx = call.state.quiz_context(cm.id);
    call.require_capability("mod/quiz:attempt", ctx)?;
    let previous: Vec<Attempt> = call
        .state
        .quiz
        .user_attempts(cm.instance, call.userid)
        .into_iter()
        .cloned()
        .collect();
    let mut messages: Vec<&str> = access_messages(&quiz, call.now);
    let current = previous
        .last()
        .filter(|a| a.state == "inprogress" || a.state == "overdue");
    if current.is_none()
        && quiz.attempts > 0
        && previous.len() >= usize::try_from(quiz.attempts).unwrap_or(0)
    {
        // quizaccess_numattempts::prevent_new_attempt().
        messages.push("No more attempts are allowed");
    }
    if !messages.is_empty() {
        let warnings: Vec<Value> = messages
            .iter()
            .map(|m| json!({"item": "quiz", "itemid": cm.instance, "warningcode": "1", "message": m}))
            .collect();
        return Ok(json!({"attempt": {}, "warnings": warnings}));
    }
    if let Some(a) = current {
        let (code, message) = if a.state == "overdue" {
            ("stateoverdue", "Overdue")
        } else {
            ("attemptstillinprogress", "Attempt still in progress")
        };
        return Err(WsError::moodle(code, message));
    }
    let now = call.now;
    let id = call.state.seq.next("quiz_attempts");
    let uniqueid = call.state.seq.next("question_usages");
    let mut questions = Vec::new();
    for (slot, _, maxmark, questionid) in &slots {
        if let Some(q) = call.state.quiz.questions.get(questionid) {
            questions.push(engine::start_question(
                q,
                *slot,
                *maxmark,
                quiz.shuffleanswers,
                uniqueid,
                now,
            ));
        }
    }
    let layout = engine::layout(
        &slots
            .iter()
            .map(|(s, page, _, _)| (*s, *page))
            .collect::<Vec<_>>(),
    );
    let attempt = Attempt {
        id,
        quiz: cm.instance,
        userid: call.userid,
        attempt: previous.len() as i64 + 1,
        uniqueid,
        layout,
        currentpage: 0,
        state: "inprogress".to_owned(),
        timestart: now,
        timefinish: 0,
        timemodified: now,
        timemodifiedoffline: now,
        sumgrades: None,
        gradednotificationsenttime: None,
        questions,
    };
    let out = attempt_json(&attempt, None, false);
    call.state.quiz.attempts.insert(id, attempt);
    Ok(json!({"attempt": out, "warnings": []}))
}

/// `validate_attempt()`: the attempt is the caller's, may be attempted, is not finished.
fn validate_attempt(
    call: &Call<'_>,
    attemptid: i64,
) -> Result<(CourseModule, Quiz, Attempt), WsError> {
    let Some(attempt) = call.state.quiz.attempts.get(&attemptid).cloned() else {
        return Err(call.state.site.missing_record(
            "quiz_attempts",
            format!(
                "SELECT * FROM {{quiz_attempts}} WHERE id = ?\n[array (\n  0 => {attemptid},\n)]"
            ),
        ));
    };
    let (cm, quiz) = validate_quiz(call, attempt.quiz)?;
    if attempt.userid != call.userid {
        return Err(WsError::moodle(
            "notyourattempt",
            "This is not your attempt!",
        ));
    }
    call.require_capability("mod/quiz:attempt", call.state.quiz_context(cm.id))?;
    if attempt.state == "finished" || attempt.state == "abandoned" {
        return Err(WsError::moodle(
            "attemptalreadyclosed",
            "This attempt has already been finished.",
        ));
    }
    Ok((cm, quiz, attempt))
}

fn get_attempt_data(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    #[derive(Deserialize)]
    struct P {
        attemptid: i64,
        page: i64,
    }
    let p: P = params(p)?;
    let (_, quiz, attempt) = validate_attempt(call, p.attemptid)?;
    let messages = access_messages(&quiz, call.now);
    if !messages.is_empty() {
        return Err(WsError::moodle(
            "attempterror",
            format!(
                "You are not allowed to attempt this quiz at this time because: {}",
                messages[0]
            ),
        ));
    }
    let pages = engine::pages(&attempt.layout);
    let Some(slots) = usize::try_from(p.page).ok().and_then(|i| pages.get(i)) else {
        return Err(WsError::moodle(
            "Invalid page number",
            "quiz/Invalid page number",
        ));
    };
    let options = DisplayOptions::from_quiz(&quiz, DURING);
    let questions: Vec<Value> = slots
        .iter()
        .filter_map(|slot| question_json(call, &attempt, *slot, p.page, options))
        .collect();
    let nextpage = if usize::try_from(p.page + 1).is_ok_and(|n| n >= pages.len()) {
        -1
    } else {
        p.page + 1
    };
    Ok(json!({
        "attempt": attempt_json(&attempt, attempt.sumgrades, false),
        "messages": [],
        "nextpage": nextpage,
        "questions": questions,
        "warnings": [],
    }))
}

/// One question of `get_attempt_questions_data()`.
fn question_json(
    call: &Call<'_>,
    attempt: &Attempt,
    slot: i64,
    page: i64,
    options: DisplayOptions,
) -> Option<Value> {
    let qa = attempt.questions.iter().find(|q| q.slot == slot)?;
    let question = call.state.quiz.questions.get(&qa.questionid)?;
    let number = attempt
        .questions
        .iter()
        .position(|q| q.slot == slot)
        .map_or(1, |i| i as i64 + 1);
    let mut o = Map::new();
    o.insert("slot".into(), slot.into());
    o.insert("type".into(), question.qtype.clone().into());
    o.insert("page".into(), page.into());
    o.insert("questionnumber".into(), number.to_string().into());
    o.insert("number".into(), number.into());
    let finished = attempt.state == "finished";
    o.insert(
        "html".into(),
        render::html(question, qa, attempt.uniqueid, number, options, finished).into(),
    );
    o.insert("responsefileareas".into(), json!([]));
    o.insert("sequencecheck".into(), qa.sequencecheck.into());
    o.insert("lastactiontime".into(), qa.lastactiontime.into());
    o.insert("hasautosavedstep".into(), false.into());
    o.insert("flagged".into(), qa.flagged.into());
    let showcorrectness = options.correctness && qa.maxmark > 0.0;
    if showcorrectness {
        o.insert("state".into(), qa.state.clone().into());
    }
    o.insert(
        "stateclass".into(),
        render::state_class(&qa.state, showcorrectness).into(),
    );
    o.insert(
        "status".into(),
        render::status(&qa.state, showcorrectness).into(),
    );
    o.insert("blockedbyprevious".into(), false.into());
    if options.marks >= MAX_ONLY {
        o.insert("maxmark".into(), qa.maxmark.into());
    }
    if options.marks >= MARK_AND_MAX {
        let mark = qa.fraction.map(|f| format!("{:.2}", f * qa.maxmark));
        o.insert("mark".into(), mark.map_or(Value::Null, Value::from));
    }
    o.insert(
        "settings".into(),
        render::settings(question).map_or(Value::Null, Value::from),
    );
    Some(Value::Object(o))
}

fn process_attempt(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    #[derive(Deserialize)]
    struct Field {
        name: String,
        value: String,
    }
    #[derive(Deserialize)]
    struct P {
        attemptid: i64,
        data: Vec<Field>,
        finishattempt: bool,
    }
    let p: P = params(p)?;
    // validate_attempt($params, false, $failifoverdue): no access rules here.
    let (_, quiz, attempt) = validate_attempt(call, p.attemptid)?;
    let data: BTreeMap<String, String> = p.data.into_iter().map(|f| (f.name, f.value)).collect();
    let now = call.now;
    // The attempt's end: the quiz's close time or its time limit, whichever comes first.
    let ends = [
        quiz.timeclose,
        if quiz.timelimit > 0 {
            attempt.timestart + quiz.timelimit
        } else {
            0
        },
    ];
    let timeup = ends
        .iter()
        .filter(|t| **t > 0)
        .min()
        .is_some_and(|end| now > *end - 1);
    engine::save_responses(call.state, p.attemptid, &data, now)?;
    if let Some(a) = call.state.quiz.attempts.get_mut(&p.attemptid) {
        a.timemodifiedoffline = now;
    }
    if p.finishattempt || timeup {
        engine::finish(call.state, p.attemptid, now);
    }
    let state = call
        .state
        .quiz
        .attempts
        .get(&p.attemptid)
        .map_or_else(String::new, |a| a.state.clone());
    Ok(json!({"state": state, "warnings": []}))
}

/// The user a read function is about: the caller, or another user for those who may view the
/// quiz's reports.
fn target_user(call: &Call<'_>, cm: &CourseModule, userid: i64) -> Result<i64, WsError> {
    let userid = if userid == 0 { call.userid } else { userid };
    let Some(user) = call.state.live_user(userid) else {
        return Err(call.state.site.missing_record(
            "user",
            format!(
                "SELECT * FROM {{user}} WHERE id = ? AND deleted = ?\n[array (\n  0 => {userid},\n  1 => 0,\n)]"
            ),
        ));
    };
    if user.suspended {
        return Err(WsError::moodle("suspended", "Suspended account"));
    }
    if userid != call.userid {
        call.require_capability("mod/quiz:viewreports", call.state.quiz_context(cm.id))?;
    }
    Ok(userid)
}

fn get_user_attempts(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    #[derive(Deserialize)]
    struct P {
        quizid: i64,
        userid: i64,
        status: String,
    }
    let p: P = params(p)?;
    let (cm, quiz) = validate_quiz(call, p.quizid)?;
    if !["all", "finished", "unfinished"].contains(&p.status.as_str()) {
        return Err(WsError::invalid_parameter("Invalid status value"));
    }
    let userid = target_user(call, &cm, p.userid)?;
    let reports = call.has_capability("mod/quiz:viewreports", call.state.quiz_context(cm.id));
    let attempts: Vec<Value> = call
        .state
        .quiz
        .user_attempts(cm.instance, userid)
        .into_iter()
        .filter(|a| match p.status.as_str() {
            "finished" => a.state == "finished" || a.state == "abandoned",
            "unfinished" => a.state == "inprogress" || a.state == "overdue",
            _ => true,
        })
        .map(|a| {
            let options = engine::review_options(&quiz, a, call.now);
            if !reports && (options.marks < MARK_AND_MAX || a.state != "finished") {
                attempt_json(a, None, false)
            } else {
                attempt_json(a, a.sumgrades, true)
            }
        })
        .collect();
    Ok(json!({"attempts": attempts, "warnings": []}))
}

fn get_user_best_grade(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    #[derive(Deserialize)]
    struct P {
        quizid: i64,
        userid: i64,
    }
    let p: P = params(p)?;
    let (cm, quiz) = validate_quiz(call, p.quizid)?;
    let userid = target_user(call, &cm, p.userid)?;
    let attempts = call.state.quiz.user_attempts(cm.instance, userid);
    // quiz_get_combined_reviewoptions(): marks must show for every attempt.
    let canview = !attempts.is_empty()
        && (userid != call.userid
            || attempts
                .iter()
                .all(|a| engine::review_options(&quiz, a, call.now).marks >= MARK_AND_MAX));
    let grade = call
        .state
        .quiz
        .grades
        .get(&(cm.instance, userid))
        .filter(|_| canview)
        .map(|g| g.grade);
    Ok(match grade {
        Some(g) => json!({"hasgrade": true, "grade": g, "warnings": []}),
        None => json!({"hasgrade": false, "warnings": []}),
    })
}
