//! What `get_attempt_data` says about each question: its state class and status words
//! (`question_state::get_state_class()`, `default_string()`), its settings for external
//! rendering (`get_question_definition_for_external_rendering()`), and its HTML.
//!
//! The HTML is not Moodle's renderer output (theme markup, JavaScript): it is a plain form with
//! the same field names and values (`q<uniqueid>:<slot>_answer`, `_choice<n>`,
//! `_:sequencecheck`, `_:flagged`), so a client that reads the fields from the HTML finds them
//! here as on a real site. Right answers and feedback appear only when the display options
//! allow, as in Moodle.

use crate::state::quiz::{Question, QuestionAttempt};

use super::engine::DisplayOptions;

/// `get_state_class($showcorrectness)`.
pub(super) fn state_class(state: &str, showcorrectness: bool) -> &'static str {
    match state {
        "todo" => "notyetanswered",
        "invalid" => "invalidanswer",
        "complete" => "answersaved",
        "needsgrading" if showcorrectness => "requiresgrading",
        "gaveup" => "notanswered",
        "gradedright" if showcorrectness => "correct",
        "gradedpartial" if showcorrectness => "partiallycorrect",
        "gradedwrong" if showcorrectness => "incorrect",
        _ => "complete",
    }
}

/// `default_string($showcorrectness)`: the state class in words.
pub(super) fn status(state: &str, showcorrectness: bool) -> &'static str {
    match state_class(state, showcorrectness) {
        "notyetanswered" => "Not yet answered",
        "invalidanswer" => "Incomplete answer",
        "answersaved" => "Answer saved",
        "requiresgrading" => "Requires grading",
        "notanswered" => "Not answered",
        "correct" => "Correct",
        "partiallycorrect" => "Partially correct",
        "incorrect" => "Incorrect",
        _ => "Complete",
    }
}

/// The question's settings as JSON (null for types that have none).
pub(super) fn settings(question: &Question) -> Option<String> {
    match question.qtype.as_str() {
        "multichoice" => Some(
            r#"{"shuffleanswers":"1","answernumbering":"abc","showstandardinstruction":"0","layout":1}"#
                .to_owned(),
        ),
        "essay" => Some(format!(
            r#"{{"responseformat":"{}","responserequired":"1","responsefieldlines":"10","attachments":"0","attachmentsrequired":"0","maxbytes":"0","filetypeslist":[],"responsetemplate":"","responsetemplateformat":"{}","minwordlimit":null,"maxwordlimit":null}}"#,
            question.responseformat, question.textformat
        )),
        _ => None,
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The question as a form: text, inputs named as Moodle names them, and, when the options
/// allow, feedback and the right answer.
pub(super) fn html(
    question: &Question,
    qa: &QuestionAttempt,
    uniqueid: i64,
    number: i64,
    options: DisplayOptions,
    finished: bool,
) -> String {
    let prefix = format!("q{uniqueid}:{}_", qa.slot);
    let class = state_class(&qa.state, options.correctness);
    let disabled = if finished {
        " disabled=\"disabled\""
    } else {
        ""
    };
    let mut out = format!(
        "<div id=\"question-{uniqueid}-{slot}\" class=\"que {qtype} deferredfeedback {class}\"><div class=\"info\"><h3 class=\"no\">Question <span class=\"qno\">{number}</span></h3><div class=\"state\">{status}</div></div><div class=\"content\"><div class=\"formulation clearfix\"><input type=\"hidden\" name=\"{prefix}:sequencecheck\" value=\"{seq}\" /><input type=\"hidden\" name=\"{prefix}:flagged\" value=\"{flag}\" /><div class=\"qtext\">{text}</div>",
        slot = qa.slot,
        qtype = question.qtype,
        status = status(&qa.state, options.correctness),
        seq = qa.sequencecheck,
        flag = i32::from(qa.flagged),
        text = question.questiontext,
    );
    let checked = |yes: bool| if yes { " checked=\"checked\"" } else { "" };
    match question.qtype.as_str() {
        "multichoice" => {
            out.push_str("<div class=\"answer\">");
            for (i, id) in qa.order.iter().enumerate() {
                let text = question
                    .answers
                    .iter()
                    .find(|a| a.id == *id)
                    .map_or("", |a| a.text.as_str());
                let letter = char::from(b'a' + u8::try_from(i % 26).unwrap_or(0));
                if question.single {
                    let on = qa
                        .response
                        .get("answer")
                        .is_some_and(|v| *v == i.to_string());
                    out.push_str(&format!(
                        "<div class=\"r{}\"><input type=\"radio\" name=\"{prefix}answer\" value=\"{i}\" id=\"{prefix}answer{i}\"{}{disabled} /><label for=\"{prefix}answer{i}\"><span class=\"answernumber\">{letter}. </span>{text}</label></div>",
                        i % 2,
                        checked(on)
                    ));
                } else {
                    let on = qa
                        .response
                        .get(&format!("choice{i}"))
                        .is_some_and(|v| v == "1");
                    out.push_str(&format!(
                        "<div class=\"r{}\"><input type=\"hidden\" name=\"{prefix}choice{i}\" value=\"0\" /><input type=\"checkbox\" name=\"{prefix}choice{i}\" value=\"1\" id=\"{prefix}choice{i}\"{}{disabled} /><label for=\"{prefix}choice{i}\"><span class=\"answernumber\">{letter}. </span>{text}</label></div>",
                        i % 2,
                        checked(on)
                    ));
                }
            }
            out.push_str("</div>");
        }
        "truefalse" => {
            let value = qa.response.get("answer").map(String::as_str);
            out.push_str(&format!(
                "<div class=\"answer\"><div class=\"r0\"><input type=\"radio\" name=\"{prefix}answer\" value=\"1\" id=\"{prefix}answertrue\"{}{disabled} /><label for=\"{prefix}answertrue\">True</label></div><div class=\"r1\"><input type=\"radio\" name=\"{prefix}answer\" value=\"0\" id=\"{prefix}answerfalse\"{}{disabled} /><label for=\"{prefix}answerfalse\">False</label></div></div>",
                checked(value == Some("1")),
                checked(value == Some("0"))
            ));
        }
        "shortanswer" => {
            let value = qa
                .response
                .get("answer")
                .map_or(String::new(), |v| escape(v));
            out.push_str(&format!(
                "<div class=\"ablock\"><label for=\"{prefix}answer\">Answer:</label><input type=\"text\" name=\"{prefix}answer\" id=\"{prefix}answer\" value=\"{value}\" size=\"80\"{disabled} /></div>"
            ));
        }
        _ => {
            let value = qa
                .response
                .get("answer")
                .map_or(String::new(), |v| escape(v));
            out.push_str(&format!(
                "<div class=\"ablock\"><textarea name=\"{prefix}answer\" id=\"{prefix}answer\" rows=\"10\" cols=\"60\"{disabled}>{value}</textarea><input type=\"hidden\" name=\"{prefix}answerformat\" value=\"1\" /></div>"
            ));
        }
    }
    out.push_str("</div>");
    if finished && (options.feedback || options.generalfeedback || options.rightanswer) {
        out.push_str("<div class=\"outcome clearfix\"><div class=\"feedback\">");
        if options.generalfeedback && !question.generalfeedback.is_empty() {
            out.push_str(&format!(
                "<div class=\"generalfeedback\">{}</div>",
                question.generalfeedback
            ));
        }
        if options.rightanswer {
            let right: Vec<&str> = question
                .answers
                .iter()
                .filter(|a| a.fraction > 0.0)
                .map(|a| a.text.as_str())
                .collect();
            if !right.is_empty() {
                out.push_str(&format!(
                    "<div class=\"rightanswer\">The correct answer is: {}</div>",
                    right.join(", ")
                ));
            }
        }
        out.push_str("</div></div>");
    }
    out.push_str("</div></div>");
    out
}
