//! The question engine as a quiz attempt uses it, for the four question types the project
//! makes and the deferred-feedback behaviour: starting an attempt (`quiz_create_attempt()`,
//! `quiz_start_new_attempt()`), saving responses (`process_submitted_actions()`, with the
//! sequence check), finishing and grading (`process_finish()`, each type's
//! `grade_response()`), the attempt's total and the learner's best grade
//! (`quiz_save_best_grade()`, `quiz_update_grades()`), and the review options that apply
//! (`quiz_get_review_options()`).

use std::collections::BTreeMap;

use crate::errors::WsError;
use crate::state::State;
use crate::state::quiz::{
    AFTER_CLOSE, Attempt, DURING, IMMEDIATELY_AFTER, LATER_WHILE_OPEN, Question, QuestionAttempt,
    Quiz, QuizGrade, review, round,
};

/// `quiz_attempt::IMMEDIATELY_AFTER_PERIOD`.
const IMMEDIATELY_AFTER_PERIOD: i64 = 120;

/// `question_display_options::MAX_ONLY`.
pub(super) const MAX_ONLY: i64 = 1;
/// `question_display_options::MARK_AND_MAX`.
pub(super) const MARK_AND_MAX: i64 = 2;

/// What a learner may see of an attempt (`mod_quiz\question\display_options`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct DisplayOptions {
    /// The attempt itself.
    pub attempt: bool,
    /// Whether each answer is right.
    pub correctness: bool,
    /// `HIDDEN`, `MAX_ONLY` or `MARK_AND_MAX`.
    pub marks: i64,
    /// The right answer.
    pub rightanswer: bool,
    /// Specific feedback.
    pub feedback: bool,
    /// General feedback.
    pub generalfeedback: bool,
}

impl DisplayOptions {
    /// `display_options::make_from_quiz($quiz, $when)`.
    pub fn from_quiz(quiz: &Quiz, when: i64) -> Self {
        let on = |field: usize| quiz.review[field] & when != 0;
        DisplayOptions {
            attempt: on(review::ATTEMPT),
            correctness: on(review::CORRECTNESS),
            marks: if !on(review::MAXMARKS) {
                0
            } else if on(review::MARKS) {
                MARK_AND_MAX
            } else {
                MAX_ONLY
            },
            rightanswer: on(review::RIGHTANSWER),
            feedback: on(review::SPECIFICFEEDBACK),
            generalfeedback: on(review::GENERALFEEDBACK),
        }
    }
}

/// `quiz_attempt_state()`: which review time applies to an attempt now.
pub(super) fn attempt_state(quiz: &Quiz, attempt: &Attempt, now: i64) -> i64 {
    if attempt.state == "inprogress" {
        DURING
    } else if quiz.timeclose != 0 && now >= quiz.timeclose {
        AFTER_CLOSE
    } else if now < attempt.timefinish + IMMEDIATELY_AFTER_PERIOD {
        IMMEDIATELY_AFTER
    } else {
        LATER_WHILE_OPEN
    }
}

/// `quiz_get_review_options()` for the attempt's owner.
pub(super) fn review_options(quiz: &Quiz, attempt: &Attempt, now: i64) -> DisplayOptions {
    DisplayOptions::from_quiz(quiz, attempt_state(quiz, attempt, now))
}

/// The attempt layout (`quiz_attempt_layout`): slots with a `0` after each page.
pub(super) fn layout(pages: &[(i64, i64)]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut current = None;
    for (slot, page) in pages {
        if current.is_some_and(|p| p != *page) {
            out.push("0".to_owned());
        }
        current = Some(*page);
        out.push(slot.to_string());
    }
    out.push("0".to_owned());
    out.join(",")
}

/// The pages of a layout, each a list of slots.
pub(super) fn pages(layout: &str) -> Vec<Vec<i64>> {
    let mut pages = vec![Vec::new()];
    for item in layout.split(',') {
        match item.parse::<i64>() {
            Ok(0) => pages.push(Vec::new()),
            Ok(slot) => pages.last_mut().map_or((), |p| p.push(slot)),
            Err(_) => {}
        }
    }
    pages.retain(|p| !p.is_empty());
    pages
}

/// A new question attempt: the first step, multiple-choice answers in order (shuffled when
/// both the quiz and the question shuffle).
pub(super) fn start_question(
    question: &Question,
    slot: i64,
    maxmark: f64,
    shuffle: bool,
    seed: i64,
    now: i64,
) -> QuestionAttempt {
    let mut order: Vec<i64> = if question.qtype == "multichoice" {
        question.answers.iter().map(|a| a.id).collect()
    } else {
        Vec::new()
    };
    if shuffle && order.len() > 1 {
        // A fixed permutation per attempt and slot stands in for shuffle().
        let mut state = u64::try_from(seed.wrapping_mul(31).wrapping_add(slot)).unwrap_or(1) | 1;
        for i in (1..order.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let j = usize::try_from(state % (i as u64 + 1)).unwrap_or(0);
            order.swap(i, j);
        }
    }
    QuestionAttempt {
        slot,
        questionid: question.id,
        maxmark,
        order,
        sequencecheck: 1,
        lastactiontime: now,
        response: BTreeMap::new(),
        state: "todo".to_owned(),
        fraction: None,
        flagged: false,
    }
}

/// The state a response leaves a question in while the attempt runs: `todo` (no response),
/// `invalid` (an incomplete one) or `complete`.
fn saved_state(
    question: &Question,
    qa: &QuestionAttempt,
    response: &BTreeMap<String, String>,
) -> &'static str {
    match question.qtype.as_str() {
        "multichoice" if question.single => match response
            .get("answer")
            .and_then(|a| a.parse::<i64>().ok())
        {
            Some(i) if i >= 0 && usize::try_from(i).is_ok_and(|i| i < qa.order.len()) => "complete",
            _ => "todo",
        },
        "multichoice" => {
            if (0..qa.order.len()).any(|i| {
                response
                    .get(&format!("choice{i}"))
                    .is_some_and(|v| v == "1")
            }) {
                "complete"
            } else {
                "todo"
            }
        }
        "truefalse" => match response.get("answer").map(String::as_str) {
            Some("0" | "1") => "complete",
            _ => "todo",
        },
        _ => {
            if response.get("answer").is_some_and(|a| !a.trim().is_empty()) {
                "complete"
            } else {
                "todo"
            }
        }
    }
}

/// `process_submitted_actions()`: saves each slot whose fields were sent, after its sequence
/// check (a slot sent without one is skipped, as Moodle skips it).
///
/// # Errors
/// `submissionoutofsequencefriendlymessage` when a sequence check is not the current one.
pub(super) fn save_responses(
    state: &mut State,
    attemptid: i64,
    data: &BTreeMap<String, String>,
    now: i64,
) -> Result<(), WsError> {
    let Some(attempt) = state.quiz.attempts.get(&attemptid).cloned() else {
        return Ok(());
    };
    let mut updated = attempt.questions.clone();
    for qa in &mut updated {
        let prefix = format!("q{}:{}_", attempt.uniqueid, qa.slot);
        let Some(check) = data.get(&format!("{prefix}:sequencecheck")) else {
            continue;
        };
        if crate::external::param::php_intval(check) != qa.sequencecheck {
            return Err(WsError::moodle(
                "submissionoutofsequencefriendlymessage",
                "You have entered data outside the normal sequence. This can occur if you use your browser's Back or Forward buttons; please don't use these during the test. It can also happen if you click on something while a page is loading. Click <strong>Continue</strong> to resume.",
            ));
        }
        if let Some(flag) = data.get(&format!("{prefix}:flagged")) {
            qa.flagged = flag == "1";
        }
        let response: BTreeMap<String, String> = data
            .iter()
            .filter_map(|(k, v)| {
                let field = k.strip_prefix(&prefix)?;
                (!field.starts_with(':') && !field.starts_with('-'))
                    .then(|| (field.to_owned(), v.clone()))
            })
            .collect();
        if response == qa.response {
            continue;
        }
        let Some(question) = state.quiz.questions.get(&qa.questionid) else {
            continue;
        };
        qa.state = saved_state(question, qa, &response).to_owned();
        qa.response = response;
        qa.sequencecheck += 1;
        qa.lastactiontime = now;
    }
    if let Some(a) = state.quiz.attempts.get_mut(&attemptid) {
        a.questions = updated;
        a.timemodified = now;
    }
    Ok(())
}

/// The fraction a response earns (`grade_response()`), `None` when there is nothing to grade.
pub(super) fn grade(question: &Question, qa: &QuestionAttempt) -> Option<f64> {
    let r = &qa.response;
    let fraction_of = |id: i64| {
        question
            .answers
            .iter()
            .find(|a| a.id == id)
            .map_or(0.0, |a| a.fraction)
    };
    match question.qtype.as_str() {
        "multichoice" if question.single => {
            let i = usize::try_from(r.get("answer")?.parse::<i64>().ok()?).ok()?;
            Some(fraction_of(*qa.order.get(i)?))
        }
        "multichoice" => {
            let chosen: Vec<i64> = qa
                .order
                .iter()
                .enumerate()
                .filter(|(i, _)| r.get(&format!("choice{i}")).is_some_and(|v| v == "1"))
                .map(|(_, id)| *id)
                .collect();
            if chosen.is_empty() {
                return None;
            }
            Some(
                chosen
                    .iter()
                    .map(|id| fraction_of(*id))
                    .sum::<f64>()
                    .clamp(0.0, 1.0),
            )
        }
        "truefalse" => {
            let answer = r.get("answer")?;
            // Answers are True then False; the right one has fraction 1.
            let right_is_true = question.answers.first().is_some_and(|a| a.fraction > 0.5);
            match answer.as_str() {
                "1" => Some(if right_is_true { 1.0 } else { 0.0 }),
                "0" => Some(if right_is_true { 0.0 } else { 1.0 }),
                _ => None,
            }
        }
        "shortanswer" => {
            let text = r
                .get("answer")
                .map(|a| a.trim())
                .filter(|a| !a.is_empty())?;
            Some(
                question
                    .answers
                    .iter()
                    .find(|a| wildcard_match(text, &a.text, !question.usecase))
                    .map_or(0.0, |a| a.fraction),
            )
        }
        _ => None,
    }
}

/// `qtype_shortanswer_question::compare_string_with_wildcard()`: `*` matches anything.
fn wildcard_match(text: &str, pattern: &str, ignorecase: bool) -> bool {
    let (text, pattern) = if ignorecase {
        (text.to_lowercase(), pattern.to_lowercase())
    } else {
        (text.to_owned(), pattern.to_owned())
    };
    let bits: Vec<&str> = pattern.split('*').collect();
    let (first, rest) = bits.split_first().map_or(("", &[][..]), |(f, r)| (*f, r));
    let Some(mut tail) = text.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return tail.is_empty();
    };
    for bit in middle {
        match tail.find(bit) {
            Some(i) => tail = &tail[i + bit.len()..],
            None => return false,
        }
    }
    tail.ends_with(last)
}

/// `quiz_attempt::process_finish()`: grades every question (deferred feedback), then the
/// attempt's total, the learner's best grade and the gradebook.
pub(super) fn finish(state: &mut State, attemptid: i64, now: i64) {
    let Some(mut attempt) = state.quiz.attempts.get(&attemptid).cloned() else {
        return;
    };
    state.emit(crate::plugins::Change::AttemptSubmitting(attemptid));
    for qa in &mut attempt.questions {
        let Some(question) = state.quiz.questions.get(&qa.questionid) else {
            continue;
        };
        let answered = qa.state == "complete" || qa.state == "invalid";
        let (newstate, fraction) = if question.qtype == "essay" {
            if answered {
                ("needsgrading", None)
            } else {
                ("gaveup", None)
            }
        } else {
            match grade(question, qa).filter(|_| answered) {
                None => ("gaveup", None),
                Some(f) if f >= 0.999_999_9 => ("gradedright", Some(f)),
                Some(f) if f <= 0.000_000_1 => ("gradedwrong", Some(f)),
                Some(f) => ("gradedpartial", Some(f)),
            }
        };
        qa.state = newstate.to_owned();
        qa.fraction = fraction.map(|f| round(f, 7));
        qa.sequencecheck += 1;
        qa.lastactiontime = now;
    }
    // question_usage_by_activity::get_total_mark(): unknown while a question needs grading.
    let pending = attempt
        .questions
        .iter()
        .any(|qa| qa.maxmark > 0.0 && qa.state == "needsgrading");
    attempt.sumgrades = (!pending).then(|| {
        round(
            attempt
                .questions
                .iter()
                .map(|qa| qa.fraction.unwrap_or(0.0) * qa.maxmark)
                .sum(),
            5,
        )
    });
    attempt.state = "finished".to_owned();
    attempt.timefinish = now;
    attempt.timemodified = now;
    attempt.timemodifiedoffline = now;
    if attempt.sumgrades.is_some() {
        attempt.gradednotificationsenttime = Some(now);
    }
    let (quizid, userid) = (attempt.quiz, attempt.userid);
    state.quiz.attempts.insert(attemptid, attempt);
    save_best_grade(state, quizid, userid, now);
    state.emit(crate::plugins::Change::AttemptGraded(attemptid));
}

/// `quiz_save_best_grade()` and `quiz_update_grades()`: the learner's grade from their finished
/// attempts by the quiz's grading method, rescaled to the quiz's grade.
pub(super) fn save_best_grade(state: &mut State, quizid: i64, userid: i64, now: i64) {
    let Some((_, quiz)) = state.quiz(quizid) else {
        return;
    };
    let quiz = quiz.clone();
    let marks: Vec<f64> = state
        .quiz
        .user_attempts(quizid, userid)
        .into_iter()
        .filter(|a| a.state == "finished")
        .filter_map(|a| a.sumgrades)
        .collect();
    let best = match quiz.grademethod {
        2 if !marks.is_empty() => Some(marks.iter().sum::<f64>() / marks.len() as f64),
        3 => marks.first().copied(),
        4 => marks.last().copied(),
        _ => marks.iter().copied().reduce(f64::max),
    };
    let itemid = state.quiz_grade_item(quizid);
    let old = state.quiz.grades.get(&(quizid, userid)).map(|g| g.grade);
    match best {
        Some(raw) => {
            let grade = if quiz.sumgrades >= 0.000_005 {
                round(raw * quiz.grade / quiz.sumgrades, 5)
            } else {
                0.0
            };
            state.quiz.grades.insert(
                (quizid, userid),
                QuizGrade {
                    grade,
                    timemodified: now,
                },
            );
            if let Some(item) = state.quiz.grade_items.values_mut().find(|i| i.id == itemid) {
                item.grades.insert(userid, (grade, now));
            }
        }
        None => {
            state.quiz.grades.remove(&(quizid, userid));
            if let Some(item) = state.quiz.grade_items.values_mut().find(|i| i.id == itemid) {
                item.grades.remove(&userid);
            }
        }
    }
    let new = state.quiz.grades.get(&(quizid, userid)).map(|g| g.grade);
    let item = crate::plugins::GradeItemRef::Quiz(quizid);
    state.emit(crate::plugins::Change::Graded {
        item,
        userid,
        old,
        new,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_put_a_page_break_after_each_page() {
        assert_eq!(layout(&[(1, 1), (2, 2), (3, 3)]), "1,0,2,0,3,0");
        assert_eq!(layout(&[(1, 1), (2, 1), (3, 2)]), "1,2,0,3,0");
        assert_eq!(pages("1,2,0,3,0"), vec![vec![1, 2], vec![3]]);
    }

    #[test]
    fn short_answers_match_with_wildcards_and_case_as_asked() {
        assert!(wildcard_match("Paris", "paris", true));
        assert!(!wildcard_match("Paris", "paris", false));
        assert!(wildcard_match("anything", "*", true));
        assert!(wildcard_match("gold Au", "*au", true));
        assert!(wildcard_match("frog and toad", "frog*toad", false));
        assert!(!wildcard_match("frog", "frog*toad", false));
    }
}
