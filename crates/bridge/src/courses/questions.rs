//! The schema of quizzes and question papers: `{intro?, mode?, questions: [{type: multichoice|
//! truefalse|shortanswer|essay, text, options?, answer?, points?, feedback?}]}`, with the checks
//! serde cannot make (options only for multichoice, an answer that fits the question, points).
//! `mode` (question papers only): `quiz` (default, a Moodle quiz) or `page` (a printable page).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::invalid::{Invalid, ROOT, invalid, typed};

/// A quiz or question paper.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Questions {
    /// Text shown before the questions.
    #[serde(default)]
    pub intro: Option<String>,
    /// Question papers only: what it becomes in Moodle (default a quiz).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<PaperMode>,
    /// The questions, in order.
    pub questions: Vec<Question>,
}

/// What a question paper becomes in Moodle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaperMode {
    /// A Moodle quiz, attempted and graded (the default).
    Quiz,
    /// A Page with the questions written out, to print.
    Page,
}

/// One question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Its kind.
    #[serde(rename = "type")]
    pub kind: QuestionType,
    /// The question.
    pub text: String,
    /// The choices (multichoice only).
    #[serde(default)]
    pub options: Option<Vec<String>>,
    /// The right answer: an option (text or 0-based index, or a list of them), `true`/`false`,
    /// or accepted texts; never shown on the published page.
    #[serde(default)]
    pub answer: Option<Value>,
    /// What it is worth.
    #[serde(default)]
    pub points: Option<f64>,
    /// Feedback shown in review, whatever the answer (quizzes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<String>,
}

/// A question's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionType {
    /// Pick from options.
    Multichoice,
    /// True or false.
    Truefalse,
    /// A short text answer.
    Shortanswer,
    /// A free text answer.
    Essay,
}

/// A quiz's or question paper's content.
///
/// # Errors
/// [`Invalid`].
pub fn questions(content: &Value) -> Result<Questions, Invalid> {
    let set: Questions = typed(content)?;
    if set.questions.is_empty() || set.questions.len() > 500 {
        return Err(invalid(
            format!("{ROOT}.questions"),
            "must hold 1 to 500 questions",
        ));
    }
    for (i, q) in set.questions.iter().enumerate() {
        let at = |field: &str| format!("{ROOT}.questions[{i}].{field}");
        if q.text.trim().is_empty() {
            return Err(invalid(at("text"), "must not be empty"));
        }
        if q.points.is_some_and(|p| !(p > 0.0 && p <= 1000.0)) {
            return Err(invalid(
                at("points"),
                "must be more than 0 and at most 1000",
            ));
        }
        match (q.kind, &q.options) {
            (QuestionType::Multichoice, None) => {
                return Err(invalid(
                    at("options"),
                    "a multichoice question needs options",
                ));
            }
            (QuestionType::Multichoice, Some(options)) => {
                if !(2..=26).contains(&options.len()) {
                    return Err(invalid(at("options"), "must hold 2 to 26 options"));
                }
                if let Some(j) = options.iter().position(|o| o.trim().is_empty()) {
                    return Err(invalid(at(&format!("options[{j}]")), "must not be empty"));
                }
            }
            (_, Some(_)) => {
                return Err(invalid(
                    at("options"),
                    "only multichoice questions have options",
                ));
            }
            (_, None) => {}
        }
        if let Some(answer) = &q.answer
            && !answer_fits(q, answer)
        {
            return Err(invalid(at("answer"), answer_rule(q.kind)));
        }
    }
    Ok(set)
}

fn answer_fits(q: &Question, answer: &Value) -> bool {
    let option = |v: &Value| match (v, &q.options) {
        (Value::String(s), Some(o)) => o.iter().any(|x| x == s),
        (Value::Number(n), Some(o)) => n.as_u64().is_some_and(|i| (i as usize) < o.len()),
        _ => false,
    };
    match (q.kind, answer) {
        (QuestionType::Multichoice, Value::Array(items)) => {
            !items.is_empty() && items.iter().all(option)
        }
        (QuestionType::Multichoice, v) => option(v),
        (QuestionType::Truefalse, Value::Bool(_)) => true,
        (QuestionType::Truefalse, Value::String(s)) => matches!(s.as_str(), "true" | "false"),
        (QuestionType::Shortanswer, Value::String(s)) => !s.trim().is_empty(),
        (QuestionType::Shortanswer, Value::Array(items)) => {
            !items.is_empty()
                && items
                    .iter()
                    .all(|v| v.as_str().is_some_and(|s| !s.trim().is_empty()))
        }
        (QuestionType::Essay, Value::String(_)) => true,
        _ => false,
    }
}

fn answer_rule(kind: QuestionType) -> &'static str {
    match kind {
        QuestionType::Multichoice => {
            "must be one of the options (its text or 0-based index), or a list of them"
        }
        QuestionType::Truefalse => "must be true or false",
        QuestionType::Shortanswer => "must be the accepted text, or a list of accepted texts",
        QuestionType::Essay => "must be a model answer (text)",
    }
}
