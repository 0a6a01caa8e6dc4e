//! `local\question_writer`: the checks a quiz's questions must pass (the same problems, in the
//! same order and words, as the PHP class), and each question saved as its type's
//! `save_question()` stores it (answers, fractions, options).

use serde::Deserialize;
use serde_json::json;

use crate::errors::WsError;
use crate::external::desc::*;
use crate::external::param::{ParamType, strip_tags};
use crate::state::State;
use crate::state::quiz::{Answer, Question, round};

/// Question types a quiz may be made with.
const QTYPES: [&str; 4] = ["multichoice", "truefalse", "shortanswer", "essay"];
/// Most questions in one quiz.
const MAX_QUESTIONS: usize = 100;
/// Most answers of one question.
const MAX_ANSWERS: usize = 20;
/// Most points of one question.
const MAX_POINTS: f64 = 1000.0;
/// Essay response formats without a file area.
const ESSAY_FORMATS: [&str; 3] = ["editor", "plain", "monospaced"];

/// One question as the bridge sends it (`structures::question()`).
#[derive(Debug, Clone, Deserialize)]
pub(super) struct QuestionInput {
    #[serde(rename = "type")]
    pub qtype: String,
    pub text: String,
    pub textformat: i64,
    pub name: String,
    pub points: f64,
    pub generalfeedback: String,
    pub answers: Vec<AnswerInput>,
    pub multipleanswers: Option<bool>,
    pub correctanswer: Option<bool>,
    pub feedbacktrue: Option<String>,
    pub feedbackfalse: Option<String>,
    pub usecase: Option<bool>,
    pub responseformat: Option<String>,
    pub graderinfo: Option<String>,
}

/// One answer of a question.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct AnswerInput {
    pub text: String,
    pub correct: bool,
    pub feedback: String,
}

/// `structures::question()`.
pub(super) fn question_desc() -> Desc {
    single(vec![
        ("type", alpha()),
        ("text", raw()),
        ("textformat", int().default(1)),
        ("name", raw().default("")),
        ("points", float().default(1.0)),
        ("generalfeedback", raw().default("")),
        (
            "answers",
            multiple(single(vec![
                ("text", raw()),
                ("correct", boolean().default(false)),
                ("feedback", raw().default("")),
            ]))
            .default(json!([])),
        ),
        ("multipleanswers", boolean().optional()),
        ("correctanswer", boolean().optional()),
        ("feedbacktrue", raw().optional()),
        ("feedbackfalse", raw().optional()),
        ("usecase", boolean().optional()),
        ("responseformat", alpha().optional()),
        ("graderinfo", raw().optional()),
    ])
}

/// `check_all()`.
///
/// # Errors
/// `noquestions`, `toomanyquestions`, `invalidquestion` naming the first problem.
pub(super) fn check_all(questions: &[QuestionInput]) -> Result<(), WsError> {
    if questions.is_empty() {
        return Err(WsError::moodle(
            "noquestions",
            "A quiz needs at least one question.",
        ));
    }
    if questions.len() > MAX_QUESTIONS {
        return Err(WsError::moodle(
            "toomanyquestions",
            format!("A quiz can be made with at most {MAX_QUESTIONS} questions."),
        ));
    }
    for (i, q) in questions.iter().enumerate() {
        if let Some(problem) = problem(q) {
            return Err(WsError::moodle(
                "invalidquestion",
                format!("Question {}: {problem}", i + 1),
            ));
        }
    }
    Ok(())
}

/// PHP's `trim()`.
fn php_trim(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\n', '\r', '\0', '\x0B'])
}

/// `problem()`: what is wrong with one question.
fn problem(q: &QuestionInput) -> Option<String> {
    if !QTYPES.contains(&q.qtype.as_str()) {
        return Some(format!(
            "the type \"{}\" is not one of multichoice, truefalse, shortanswer, essay.",
            q.qtype
        ));
    }
    let lower = q.text.to_lowercase();
    let media = ["<img", "<audio", "<video"]
        .iter()
        .any(|t| lower.contains(t));
    if !media && php_trim(&strip_tags(&q.text)).is_empty() {
        return Some("its text is empty.".to_owned());
    }
    if ![0, 1, 2, 4].contains(&q.textformat) {
        return Some(format!("unknown text format {}.", q.textformat));
    }
    let clean = ParamType::Text.validate(&json!(q.name), "").is_some();
    if q.name.chars().count() > 255 || !clean {
        return Some("its name must be at most 255 characters, without HTML.".to_owned());
    }
    if !q.points.is_finite() || q.points <= 0.0 || q.points > MAX_POINTS {
        return Some(format!(
            "its points must be above 0 and at most {MAX_POINTS}."
        ));
    }
    let own = [
        (
            "multipleanswers",
            q.multipleanswers.is_some(),
            "multichoice",
        ),
        ("correctanswer", q.correctanswer.is_some(), "truefalse"),
        ("feedbacktrue", q.feedbacktrue.is_some(), "truefalse"),
        ("feedbackfalse", q.feedbackfalse.is_some(), "truefalse"),
        ("usecase", q.usecase.is_some(), "shortanswer"),
        ("responseformat", q.responseformat.is_some(), "essay"),
        ("graderinfo", q.graderinfo.is_some(), "essay"),
    ];
    if let Some((field, _, qtype)) = own.iter().find(|(_, given, t)| *given && *t != q.qtype) {
        return Some(format!("{field} applies to {qtype} questions only."));
    }
    if q.answers.len() > MAX_ANSWERS {
        return Some(format!("it has more than {MAX_ANSWERS} answers."));
    }
    if q.answers.iter().any(|a| php_trim(&a.text).is_empty()) {
        return Some("an answer has no text.".to_owned());
    }
    let correct = q.answers.iter().filter(|a| a.correct).count();
    match q.qtype.as_str() {
        "multichoice" => {
            if q.answers.len() < 2 {
                Some("a multiple-choice question needs at least two answers.".to_owned())
            } else if correct == 0 {
                Some("no answer is marked correct.".to_owned())
            } else if q.multipleanswers == Some(false) && correct > 1 {
                Some(format!(
                    "{correct} answers are marked correct, but learners may choose only one (multipleanswers is 0)."
                ))
            } else {
                None
            }
        }
        "truefalse" if !q.answers.is_empty() => {
            Some("truefalse questions take no answers.".to_owned())
        }
        "truefalse" if q.correctanswer.is_none() => {
            Some("a true/false question needs correctanswer (1 for true, 0 for false).".to_owned())
        }
        "shortanswer" if correct == 0 => Some("no answer is marked correct.".to_owned()),
        "essay" if !q.answers.is_empty() => Some("essay questions take no answers.".to_owned()),
        "essay"
            if q.responseformat
                .as_deref()
                .is_some_and(|f| !ESSAY_FORMATS.contains(&f)) =>
        {
            Some(format!(
                "responseformat must be one of {}.",
                ESSAY_FORMATS.join(", ")
            ))
        }
        _ => None,
    }
}

/// `shorten_text(trim(html_to_text($text)), 50)`, closely enough for plain question texts.
fn short_text(text: &str) -> String {
    let plain = php_trim(&strip_tags(text))
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    let words: String = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    if words.chars().count() <= 50 {
        return words;
    }
    let cut: String = words.chars().take(50).collect();
    match cut.rfind(' ') {
        Some(i) => format!("{}...", &cut[..i]),
        None => format!("{cut}..."),
    }
}

/// `save()`: the question as its type stores it, in the bank of the given context.
pub(super) fn save(
    state: &mut State,
    q: &QuestionInput,
    contextid: i64,
    number: usize,
    userid: i64,
) -> i64 {
    let id = state.seq.next("question");
    let entry = state.seq.next("question_bank_entries");
    let correct = q.answers.iter().filter(|a| a.correct).count();
    let single = q.multipleanswers.map_or(correct == 1, |m| !m);
    let mut answers = Vec::new();
    let mut answer = |state: &mut State, text: &str, fraction: f64, feedback: &str| {
        answers.push(Answer {
            id: state.seq.next("question_answers"),
            text: text.to_owned(),
            fraction: round(fraction, 7),
            feedback: feedback.to_owned(),
        });
    };
    match q.qtype.as_str() {
        "multichoice" => {
            // One right answer is worth everything; several share the marks and each wrong
            // choice takes a share away.
            let share = round(1.0 / correct.max(1) as f64, 7);
            for a in &q.answers {
                let fraction = match (a.correct, single) {
                    (true, true) => 1.0,
                    (false, true) => 0.0,
                    (true, false) => share,
                    (false, false) => -share,
                };
                answer(state, &a.text, fraction, &a.feedback);
            }
        }
        "truefalse" => {
            let right = q.correctanswer.unwrap_or(false);
            let t = q.feedbacktrue.clone().unwrap_or_default();
            let f = q.feedbackfalse.clone().unwrap_or_default();
            answer(state, "True", if right { 1.0 } else { 0.0 }, &t);
            answer(state, "False", if right { 0.0 } else { 1.0 }, &f);
        }
        "shortanswer" => {
            for a in &q.answers {
                let fraction = if a.correct { 1.0 } else { 0.0 };
                answer(state, php_trim(&a.text), fraction, &a.feedback);
            }
        }
        _ => {}
    }
    let name = if q.name.is_empty() {
        format!("Q{number}: {}", short_text(&q.text))
    } else {
        q.name.clone()
    };
    state.quiz.questions.insert(
        id,
        Question {
            id,
            entry,
            contextid,
            qtype: q.qtype.clone(),
            name: php_trim(&name).to_owned(),
            questiontext: php_trim(&q.text).to_owned(),
            textformat: q.textformat,
            generalfeedback: php_trim(&q.generalfeedback).to_owned(),
            defaultmark: round(q.points, 7),
            answers,
            single,
            usecase: q.usecase.unwrap_or(false),
            responseformat: q
                .responseformat
                .clone()
                .unwrap_or_else(|| "editor".to_owned()),
            createdby: userid,
        },
    );
    id
}
