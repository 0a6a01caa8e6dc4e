//! A quiz's or question paper's questions as `local_bridge` takes them (the plugin README's
//! "The question"): multichoice options become answers with the right ones marked (several
//! right: learners choose several), true/false its right answer, short answer the accepted
//! answers, essay the model answer for graders; points become marks (the quiz's grade is
//! their sum), feedback the general feedback. Texts are the asset's plain text, written as
//! HTML; accepted short answers stay as they are (Moodle compares them with what learners
//! type). What a Moodle quiz cannot hold is refused here, naming the field.

use moodle_ws::functions::local_bridge::{Answer, Question};
use serde_json::Value;

use crate::courses::{Invalid, Question as Asked, QuestionType, Questions};
use crate::html::escape;
use moodle_ws::functions::text_format::HTML as FORMAT_HTML;

/// Most questions in one quiz (`local_bridge`).
const MAX_QUESTIONS: usize = 100;
/// Most answers of one question (`local_bridge`).
const MAX_ANSWERS: usize = 20;

/// The questions of a quiz.
///
/// # Errors
/// [`Invalid`] naming the first question a quiz cannot be made of.
pub fn questions(set: &Questions) -> Result<Vec<Question>, Invalid> {
    if set.questions.len() > MAX_QUESTIONS {
        return Err(invalid(
            "asset_content.questions".to_owned(),
            format!("a Moodle quiz holds at most {MAX_QUESTIONS} questions"),
        ));
    }
    set.questions
        .iter()
        .enumerate()
        .map(|(i, q)| question(i, q))
        .collect()
}

fn question(i: usize, q: &Asked) -> Result<Question, Invalid> {
    let at = |field: &str| format!("asset_content.questions[{i}].{field}");
    let no_answer = || {
        invalid(
            at("answer"),
            "a quiz question needs its right answer (for a printable question paper, set \"mode\": \"page\")",
        )
    };
    let text = format!("<p>{}</p>", escape(&q.text));
    let mut out = match q.kind {
        QuestionType::Multichoice => {
            let options = q.options.as_deref().unwrap_or_default();
            if options.len() > MAX_ANSWERS {
                return Err(invalid(
                    at("options"),
                    format!("a Moodle quiz question has at most {MAX_ANSWERS} options"),
                ));
            }
            let answer = q.answer.as_ref().ok_or_else(no_answer)?;
            let right = |j: usize, option: &str| match answer {
                Value::Array(items) => items.iter().any(|v| picks(v, j, option)),
                v => picks(v, j, option),
            };
            let answers = options
                .iter()
                .enumerate()
                .map(|(j, option)| Answer {
                    text: escape(option),
                    correct: right(j, option),
                    feedback: None,
                })
                .collect();
            Question::multichoice(text, answers)
        }
        QuestionType::Truefalse => {
            let right = match q.answer.as_ref().ok_or_else(no_answer)? {
                Value::Bool(b) => *b,
                Value::String(s) => s == "true",
                _ => return Err(no_answer()),
            };
            Question::truefalse(text, right)
        }
        QuestionType::Shortanswer => {
            let accepted: Vec<Answer> = match q.answer.as_ref().ok_or_else(no_answer)? {
                Value::String(s) => vec![Answer::right(s.trim())],
                Value::Array(items) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|s| Answer::right(s.trim()))
                    .collect(),
                _ => return Err(no_answer()),
            };
            if accepted.len() > MAX_ANSWERS {
                return Err(invalid(
                    at("answer"),
                    format!("a Moodle quiz question accepts at most {MAX_ANSWERS} answers"),
                ));
            }
            Question::shortanswer(text, accepted)
        }
        QuestionType::Essay => {
            let mut essay = Question::essay(text);
            essay.graderinfo = q
                .answer
                .as_ref()
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .map(|s| format!("<p>{}</p>", escape(s)));
            essay
        }
    };
    out.textformat = Some(FORMAT_HTML);
    out.points = q.points;
    out.generalfeedback = q
        .feedback
        .as_deref()
        .filter(|f| !f.trim().is_empty())
        .map(|f| format!("<p>{}</p>", escape(f)));
    Ok(out)
}

/// Whether an answer value names option `j` (by its text or its 0-based index).
fn picks(v: &Value, j: usize, option: &str) -> bool {
    match v {
        Value::String(s) => s == option,
        Value::Number(n) => n.as_u64() == u64::try_from(j).ok(),
        _ => false,
    }
}

fn invalid(field: String, reason: impl Into<String>) -> Invalid {
    Invalid {
        field,
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::courses::questions as parse;
    use moodle_ws::functions::local_bridge::QuestionType as Kind;
    use serde_json::json;

    #[test]
    fn every_question_type_becomes_the_plugins_with_its_marks_and_right_answers() {
        let set = parse(&json!({"questions": [
            {"type": "multichoice", "text": "Primes?", "options": ["2", "4", "7"], "answer": ["2", 2], "points": 3, "feedback": "Look again"},
            {"type": "multichoice", "text": "Fastest?", "options": ["Light", "Sound"], "answer": 0},
            {"type": "truefalse", "text": "Sky blue?", "answer": "true"},
            {"type": "shortanswer", "text": "Gold?", "answer": ["Au", "gold "]},
            {"type": "essay", "text": "Why & how?", "answer": "Because."}
        ]}))
        .expect("valid");
        let q = questions(&set).expect("a quiz");
        assert_eq!(q[0].kind, Kind::Multichoice);
        let right: Vec<bool> = q[0].answers.iter().map(|a| a.correct).collect();
        assert_eq!(right, [true, false, true]);
        assert_eq!(q[0].points, Some(3.0));
        assert_eq!(q[0].generalfeedback.as_deref(), Some("<p>Look again</p>"));
        assert!(q[1].answers[0].correct);
        assert_eq!((q[1].points, q[1].answers[1].correct), (None, false));
        assert_eq!(q[2].correctanswer, Some(true));
        let accepted: Vec<&str> = q[3].answers.iter().map(|a| a.text.as_str()).collect();
        assert_eq!(accepted, ["Au", "gold"]);
        assert_eq!(q[4].text, "<p>Why &amp; how?</p>");
        assert_eq!(q[4].graderinfo.as_deref(), Some("<p>Because.</p>"));
        assert!(q.iter().all(|q| q.textformat == Some(1)));
    }

    #[test]
    fn a_question_without_its_right_answer_is_refused_naming_it() {
        let set = parse(&json!({"questions": [
            {"type": "essay", "text": "Fine without"},
            {"type": "truefalse", "text": "No answer"}
        ]}))
        .expect("valid content");
        let e = questions(&set).expect_err("not a quiz");
        assert_eq!(e.field, "asset_content.questions[1].answer");
        assert!(e.reason.contains("\"mode\": \"page\""), "{}", e.reason);
    }
}
