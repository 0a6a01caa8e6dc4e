//! Quizzes: a quiz activity's settings (the `quiz` row, kept in its course module as
//! [`ModInstance::Quiz`], like an assignment's), and what mod_quiz and the question engine keep
//! beside it ([`QuizData`]): questions with their answers, the quiz's slots, learners' attempts
//! with each question's responses, best grades (`quiz_grades`) and the quiz's grade item.
//!
//! Only the four question types `local_bridge` makes exist here (multichoice, truefalse,
//! shortanswer, essay), with the deferred-feedback behaviour. What the web-service functions do
//! with this data lives in `ws/quiz/` (Moodle's own functions) and `plugins/bridge/` (the
//! plugin's).

use std::collections::BTreeMap;

use super::{ContextLevel, CourseModule, ModInstance, State};

/// `mod_quiz\question\display_options::DURING`.
pub const DURING: i64 = 0x10000;
/// `IMMEDIATELY_AFTER`.
pub const IMMEDIATELY_AFTER: i64 = 0x01000;
/// `LATER_WHILE_OPEN`.
pub const LATER_WHILE_OPEN: i64 = 0x00100;
/// `AFTER_CLOSE`.
pub const AFTER_CLOSE: i64 = 0x00010;

/// A row of `quiz`: the settings the project's functions set and Moodle's report.
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub struct Quiz {
    pub timeopen: i64,
    pub timeclose: i64,
    pub timelimit: i64,
    pub overduehandling: String,
    pub graceperiod: i64,
    pub preferredbehaviour: String,
    pub canredoquestions: i64,
    pub attempts: i64,
    pub attemptonlast: i64,
    pub grademethod: i64,
    pub decimalpoints: i64,
    pub questiondecimalpoints: i64,
    /// Review bit fields: attempt, correctness, maxmarks, marks, specificfeedback,
    /// generalfeedback, rightanswer, overallfeedback.
    pub review: [i64; 8],
    pub questionsperpage: i64,
    pub navmethod: String,
    pub shuffleanswers: bool,
    pub sumgrades: f64,
    pub grade: f64,
    pub timecreated: i64,
    pub password: String,
    pub subnet: String,
    pub browsersecurity: String,
    pub delay1: i64,
    pub delay2: i64,
    pub showuserpicture: i64,
    pub showblocks: i64,
    pub completionattemptsexhausted: i64,
    pub allowofflineattempts: i64,
}

/// Index of each review field in [`Quiz::review`].
pub mod review {
    /// `reviewattempt`.
    pub const ATTEMPT: usize = 0;
    /// `reviewcorrectness`.
    pub const CORRECTNESS: usize = 1;
    /// `reviewmaxmarks`.
    pub const MAXMARKS: usize = 2;
    /// `reviewmarks`.
    pub const MARKS: usize = 3;
    /// `reviewspecificfeedback`.
    pub const SPECIFICFEEDBACK: usize = 4;
    /// `reviewgeneralfeedback`.
    pub const GENERALFEEDBACK: usize = 5;
    /// `reviewrightanswer`.
    pub const RIGHTANSWER: usize = 6;
    /// `reviewoverallfeedback`.
    pub const OVERALLFEEDBACK: usize = 7;
    /// The column names, in index order.
    pub const NAMES: [&str; 8] = [
        "attempt",
        "correctness",
        "maxmarks",
        "marks",
        "specificfeedback",
        "generalfeedback",
        "rightanswer",
        "overallfeedback",
    ];
}

/// A question as its type saved it (`question` with `question_answers` and the type's options).
#[derive(Debug, Clone)]
pub struct Question {
    /// Question id.
    pub id: i64,
    /// Its bank entry (`question_bank_entries.id`).
    pub entry: i64,
    /// The category's context: the course (Moodle 4.x) or the quiz (5.0+).
    pub contextid: i64,
    /// `multichoice`, `truefalse`, `shortanswer` or `essay`.
    pub qtype: String,
    /// Name.
    pub name: String,
    /// Question text.
    pub questiontext: String,
    /// Text format of the text, answers and feedback.
    pub textformat: i64,
    /// General feedback.
    pub generalfeedback: String,
    /// Default mark.
    pub defaultmark: f64,
    /// Answers in id order (truefalse: True then False).
    pub answers: Vec<Answer>,
    /// multichoice: one answer only.
    pub single: bool,
    /// shortanswer: case matters.
    pub usecase: bool,
    /// essay: response format.
    pub responseformat: String,
    /// Who saved it.
    pub createdby: i64,
}

/// A row of `question_answers`.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Id.
    pub id: i64,
    /// Text.
    pub text: String,
    /// Fraction of the marks it earns.
    pub fraction: f64,
    /// Feedback.
    pub feedback: String,
}

/// A row of `quiz_slots` (with its question reference, always the latest version).
#[derive(Debug, Clone)]
pub struct Slot {
    /// Id.
    pub id: i64,
    /// Quiz instance id.
    pub quizid: i64,
    /// Slot number, from 1.
    pub slot: i64,
    /// Page, from 1.
    pub page: i64,
    /// Marks.
    pub maxmark: f64,
    /// The question.
    pub questionid: i64,
}

/// A question attempt inside a quiz attempt.
#[derive(Debug, Clone)]
pub struct QuestionAttempt {
    /// Slot.
    pub slot: i64,
    /// Question id.
    pub questionid: i64,
    /// Marks it is worth.
    pub maxmark: f64,
    /// multichoice: the answers' ids in the order shown.
    pub order: Vec<i64>,
    /// Steps so far (`get_sequence_check_count()`).
    pub sequencecheck: i64,
    /// Time of the last step.
    pub lastactiontime: i64,
    /// The last saved response: field name (without prefix) → value.
    pub response: BTreeMap<String, String>,
    /// `todo`, `complete`, `invalid`, `gaveup`, `gradedright`, `gradedpartial`, `gradedwrong`,
    /// `needsgrading`.
    pub state: String,
    /// Fraction once graded.
    pub fraction: Option<f64>,
    /// Flagged by the learner.
    pub flagged: bool,
}

/// A row of `quiz_attempts` with its question usage.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Id.
    pub id: i64,
    /// Quiz instance id.
    pub quiz: i64,
    /// Learner.
    pub userid: i64,
    /// Attempt number.
    pub attempt: i64,
    /// The question usage id.
    pub uniqueid: i64,
    /// Slots and page breaks (`1,0,2,0`).
    pub layout: String,
    /// Current page.
    pub currentpage: i64,
    /// `inprogress`, `overdue`, `finished`, `abandoned`.
    pub state: String,
    /// Started.
    pub timestart: i64,
    /// Finished, 0 before.
    pub timefinish: i64,
    /// Last change.
    pub timemodified: i64,
    /// Last change through web services.
    pub timemodifiedoffline: i64,
    /// Total marks, once every question is graded.
    pub sumgrades: Option<f64>,
    /// When the learner was told about manual grading.
    pub gradednotificationsenttime: Option<i64>,
    /// The questions, by slot order.
    pub questions: Vec<QuestionAttempt>,
}

/// A row of `quiz_grades`.
#[derive(Debug, Clone, Copy)]
pub struct QuizGrade {
    /// The best grade, out of the quiz's grade.
    pub grade: f64,
    /// When it was set.
    pub timemodified: i64,
}

/// The quiz's row of `grade_items` and its `grade_grades`.
#[derive(Debug, Clone)]
pub struct QuizGradeItem {
    /// `grade_items.id`.
    pub id: i64,
    /// Learner → (raw grade, time graded).
    pub grades: BTreeMap<i64, (f64, i64)>,
}

/// What mod_quiz and the question bank keep.
#[derive(Debug, Clone, Default)]
pub struct QuizData {
    /// `question`, by id.
    pub questions: BTreeMap<i64, Question>,
    /// `quiz_slots`, by id.
    pub slots: BTreeMap<i64, Slot>,
    /// `quiz_attempts`, by id.
    pub attempts: BTreeMap<i64, Attempt>,
    /// `quiz_grades`, by (quiz, user).
    pub grades: BTreeMap<(i64, i64), QuizGrade>,
    /// Each quiz's grade item, by quiz instance id.
    pub grade_items: BTreeMap<i64, QuizGradeItem>,
}

impl QuizData {
    /// A quiz's slots in order.
    pub fn quiz_slots(&self, quizid: i64) -> Vec<&Slot> {
        let mut slots: Vec<&Slot> = self.slots.values().filter(|s| s.quizid == quizid).collect();
        slots.sort_by_key(|s| s.slot);
        slots
    }

    /// `quiz_has_attempts()`: attempts of learners (this stand-in makes no previews).
    pub fn has_attempts(&self, quizid: i64) -> bool {
        self.attempts.values().any(|a| a.quiz == quizid)
    }

    /// A learner's attempts at a quiz, oldest first.
    pub fn user_attempts(&self, quizid: i64, userid: i64) -> Vec<&Attempt> {
        let mut list: Vec<&Attempt> = self
            .attempts
            .values()
            .filter(|a| a.quiz == quizid && a.userid == userid)
            .collect();
        list.sort_by_key(|a| a.attempt);
        list
    }
}

impl State {
    /// The course module and settings of a quiz by instance id.
    pub fn quiz(&self, quizid: i64) -> Option<(&CourseModule, &Quiz)> {
        self.cms.values().find_map(|cm| match &cm.kind {
            ModInstance::Quiz(q) if cm.instance == quizid => Some((cm, q.as_ref())),
            _ => None,
        })
    }

    /// The settings of a quiz, to change them.
    pub fn quiz_mut(&mut self, cmid: i64) -> Option<&mut Quiz> {
        match self.cms.get_mut(&cmid).map(|cm| &mut cm.kind) {
            Some(ModInstance::Quiz(q)) => Some(q.as_mut()),
            _ => None,
        }
    }

    /// `grade_calculator::recompute_quiz_sumgrades()`: the quiz's total is its slots' marks.
    pub fn recompute_quiz_sumgrades(&mut self, cmid: i64) {
        let Some(instance) = self.cms.get(&cmid).map(|cm| cm.instance) else {
            return;
        };
        let total: f64 = self
            .quiz
            .quiz_slots(instance)
            .iter()
            .map(|s| s.maxmark)
            .sum();
        if let Some(q) = self.quiz_mut(cmid) {
            q.sumgrades = round(total, 5);
        }
    }

    /// `quiz_grade_item_update()`: the quiz's grade item exists (made on first use).
    pub fn quiz_grade_item(&mut self, quizid: i64) -> i64 {
        if let Some(item) = self.quiz.grade_items.get(&quizid) {
            return item.id;
        }
        let id = self.seq.next("grade_items");
        self.quiz.grade_items.insert(
            quizid,
            QuizGradeItem {
                id,
                grades: BTreeMap::new(),
            },
        );
        id
    }

    /// The context id of a quiz's course module.
    pub fn quiz_context(&self, cmid: i64) -> i64 {
        self.context_id(ContextLevel::Module, cmid)
            .unwrap_or(super::SYSTEM_CONTEXT)
    }
}

/// A value rounded to `places` decimals, as a NUMBER(n, places) column keeps it.
pub fn round(value: f64, places: i32) -> f64 {
    let factor = 10f64.powi(places);
    (value * factor).round() / factor
}
