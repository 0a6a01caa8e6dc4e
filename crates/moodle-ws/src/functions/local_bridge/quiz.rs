//! `local_bridge_create_quiz` and `local_bridge_update_quiz`: a Quiz activity with its
//! multiple-choice, true/false, short-answer and essay questions, saved in Moodle's question
//! bank (the course's on Moodle 4.x, the quiz's own on 5.0+), each worth its points; the
//! questions replaced while no learner has attempted the quiz (then `quizhasattempts`, 409).

use crate::functions::Function;
use serde::{Deserialize, Serialize};

use super::{CreatedModule, Placement};
use crate::client::Client;
use crate::error::{Error, Warning};
use crate::functions::{ItemWarnings, lenient};

/// `local_bridge_create_quiz`.
pub const CREATE_QUIZ: Function = Function::write("local_bridge_create_quiz");
/// `local_bridge_update_quiz`.
pub const UPDATE_QUIZ: Function = Function::write("local_bridge_update_quiz");

/// A question's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionType {
    /// One or several right choices (`qtype_multichoice`).
    Multichoice,
    /// True or false (`qtype_truefalse`).
    Truefalse,
    /// A typed answer compared with accepted ones, `*` a wildcard (`qtype_shortanswer`).
    Shortanswer,
    /// Free text graded by a teacher (`qtype_essay`).
    Essay,
}

/// One answer: a multiple-choice choice or an accepted short answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    /// The choice's text, or the accepted answer.
    pub text: String,
    /// Whether it is right (several right choices share the marks; each wrong one chosen
    /// takes a share away).
    pub correct: bool,
    /// Feedback for this answer, shown in review.
    pub feedback: Option<String>,
}

impl Answer {
    /// A right answer.
    pub fn right(text: impl Into<String>) -> Self {
        Answer {
            text: text.into(),
            correct: true,
            feedback: None,
        }
    }

    /// A wrong answer.
    pub fn wrong(text: impl Into<String>) -> Self {
        Answer {
            text: text.into(),
            correct: false,
            feedback: None,
        }
    }
}

/// One question of a quiz (the plugin's `structures::question()`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Question {
    /// The type.
    #[serde(rename = "type")]
    pub kind: QuestionType,
    /// The question text (HTML by default).
    pub text: String,
    /// Format of the text, answers and feedback (1 = HTML).
    pub textformat: Option<i64>,
    /// Name in the question bank; by default `Q<n>: <start of the text>`.
    pub name: Option<String>,
    /// Marks it is worth in the quiz, above 0 (default 1).
    pub points: Option<f64>,
    /// Feedback shown in review whatever the answer.
    pub generalfeedback: Option<String>,
    /// Multichoice (two or more) and shortanswer (one or more) only.
    pub answers: Vec<Answer>,
    /// Multichoice only: learners may choose several (default: when several are right).
    pub multipleanswers: Option<bool>,
    /// Truefalse only (required there): the right answer.
    pub correctanswer: Option<bool>,
    /// Truefalse only: feedback for True.
    pub feedbacktrue: Option<String>,
    /// Truefalse only: feedback for False.
    pub feedbackfalse: Option<String>,
    /// Shortanswer only: case-sensitive answers.
    pub usecase: Option<bool>,
    /// Essay only: `editor` (default), `plain` or `monospaced`.
    pub responseformat: Option<String>,
    /// Essay only: information for graders.
    pub graderinfo: Option<String>,
}

impl Question {
    fn new(kind: QuestionType, text: impl Into<String>, answers: Vec<Answer>) -> Self {
        Question {
            kind,
            text: text.into(),
            textformat: None,
            name: None,
            points: None,
            generalfeedback: None,
            answers,
            multipleanswers: None,
            correctanswer: None,
            feedbacktrue: None,
            feedbackfalse: None,
            usecase: None,
            responseformat: None,
            graderinfo: None,
        }
    }

    /// A multiple-choice question (one right answer: choose one; several: choose several).
    pub fn multichoice(text: impl Into<String>, answers: Vec<Answer>) -> Self {
        Question::new(QuestionType::Multichoice, text, answers)
    }

    /// A true/false question.
    pub fn truefalse(text: impl Into<String>, correct: bool) -> Self {
        Question {
            correctanswer: Some(correct),
            ..Question::new(QuestionType::Truefalse, text, Vec::new())
        }
    }

    /// A short-answer question with its accepted answers.
    pub fn shortanswer(text: impl Into<String>, answers: Vec<Answer>) -> Self {
        Question::new(QuestionType::Shortanswer, text, answers)
    }

    /// An essay question.
    pub fn essay(text: impl Into<String>) -> Self {
        Question::new(QuestionType::Essay, text, Vec::new())
    }

    /// The same question worth `points` marks.
    #[must_use]
    pub fn with_points(mut self, points: f64) -> Self {
        self.points = Some(points);
        self
    }
}

/// A quiz's own settings; `None` takes the plugin's default on create and keeps the current
/// value on update.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QuizSettings {
    /// Maximum grade (at most 10000); 0 or `None` on create: the sum of the points.
    pub grade: Option<f64>,
    /// Attempts allowed, 0 for unlimited (default); with 1, right answers show right after
    /// submission, otherwise only after the quiz closes.
    pub attempts: Option<i64>,
    /// 1 highest (default), 2 average, 3 first, 4 last attempt.
    pub grademethod: Option<i64>,
    /// Opens at (Unix time), 0 for always.
    pub timeopen: Option<i64>,
    /// Closes at (Unix time), 0 for never; after `timeopen`.
    pub timeclose: Option<i64>,
    /// Time limit in seconds, 0 for none.
    pub timelimit: Option<i64>,
    /// Questions per page (default 1), 0 for all on one page.
    pub questionsperpage: Option<i64>,
    /// Shuffle multiple-choice answers (default yes).
    pub shuffleanswers: Option<bool>,
}

/// A quiz to make.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewQuiz {
    /// Where and what.
    #[serde(flatten)]
    pub placement: Placement,
    /// The questions, in order (1 to 100).
    pub questions: Vec<Question>,
    /// Its settings.
    #[serde(flatten)]
    pub settings: QuizSettings,
}

/// Changes to a quiz; fields left `None` stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QuizFields {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub intro: Option<String>,
    /// Its format.
    pub introformat: Option<i64>,
    /// New ID number (`""` removes it).
    pub idnumber: Option<String>,
    /// Shown to students.
    pub visible: Option<bool>,
    /// Settings to change (a new `grade` rescales grades already given; 0 is the sum of marks).
    #[serde(flatten)]
    pub settings: QuizSettings,
}

/// One slot of a quiz.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct QuizQuestion {
    /// Slot number, from 1.
    #[serde(deserialize_with = "lenient::int")]
    pub slot: i64,
    /// Page, from 1.
    #[serde(deserialize_with = "lenient::int")]
    pub page: i64,
    /// The question's id (latest version).
    #[serde(deserialize_with = "lenient::int")]
    pub questionid: i64,
    /// Its type (`multichoice`, …).
    #[serde(rename = "type", deserialize_with = "lenient::string")]
    pub kind: String,
    /// Its name.
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// Marks it is worth.
    #[serde(deserialize_with = "lenient::float")]
    pub maxmark: f64,
}

/// A quiz the plugin made or changed.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct CreatedQuiz {
    /// The activity (with the call's warnings).
    #[serde(flatten)]
    pub module: CreatedModule,
    /// Maximum grade.
    #[serde(deserialize_with = "lenient::float")]
    pub grade: f64,
    /// Total of the questions' marks.
    #[serde(deserialize_with = "lenient::float")]
    pub sumgrades: f64,
    /// The questions in order.
    #[serde(deserialize_with = "lenient::list")]
    pub questions: Vec<QuizQuestion>,
}

impl ItemWarnings for CreatedQuiz {
    fn warnings(&self) -> &[Warning] {
        &self.module.warnings
    }
}

#[derive(Serialize)]
struct UpdateParams<'a> {
    cmid: i64,
    fields: &'a QuizFields,
    questions: Option<&'a [Question]>,
}

impl Client {
    /// Makes a Quiz activity with its questions. Never retried: after a timeout, look it up
    /// with [`Client::find_modules_by_idnumber`].
    ///
    /// # Errors
    /// `invalidrecord`/`accessexception` without the plugin (or this function in the token's
    /// service); `requireloginerror`; `nopermissions` (`moodle/course:manageactivities`,
    /// `mod/quiz:addinstance`, `moodle/question:add`, `moodle/question:usemine`);
    /// `invalidparameter` (name, settings out of range, closing before opening);
    /// `invalidquestion` ("Question 3: no answer is marked correct."), `noquestions`,
    /// `toomanyquestions`; `sectionnotfound`; `duplicateidnumber`.
    pub async fn create_quiz(&self, quiz: &NewQuiz) -> Result<CreatedQuiz, Error> {
        self.call(CREATE_QUIZ, quiz).await
    }

    /// Changes a quiz's settings and, with `questions`, replaces all of its questions (an
    /// empty slice is sent as no questions at all: they stay). Never retried.
    ///
    /// # Errors
    /// `invalidcoursemodule` (`invalidrecordunknown` on Moodle 5.0+), `requireloginerror`,
    /// `nopermissions` (`mod/quiz:manage`, the question capabilities,
    /// `moodle/course:activityvisibility`), `notaquiz`, `invalidparameter`, `invalidquestion`,
    /// `quizhasattempts` (409: learners have attempted it, its questions stay),
    /// `duplicateidnumber`.
    pub async fn update_quiz(
        &self,
        cmid: i64,
        fields: &QuizFields,
        questions: Option<&[Question]>,
    ) -> Result<CreatedQuiz, Error> {
        self.call(
            UPDATE_QUIZ,
            &UpdateParams {
                cmid,
                fields,
                questions,
            },
        )
        .await
    }
}
