//! `local_bridge_create_quiz` and `local_bridge_update_quiz` on the stand-in, and a learner's
//! attempt at the quiz through mod_quiz's own functions (`mod_quiz_start_attempt`,
//! `…_get_attempt_data`, `…_process_attempt`, `…_get_user_best_grade`, `…_get_user_attempts`),
//! as `scripts/lib/plugin_checks_quiz.py` drives the real plugin.

use serde_json::{Value, json};

use crate::support::{Site, errorcode};

/// A nested value in Moodle's bracket notation (`questions[0][answers][1][text]`).
pub(super) fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                flatten(&format!("{prefix}[{k}]"), v, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), v, out);
            }
        }
        Value::Bool(b) => out.push((prefix.to_owned(), i32::from(*b).to_string())),
        Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

/// Calls a function with plain parameters plus nested ones.
pub(super) async fn call(
    site: &Site,
    token: &str,
    function: &str,
    plain: &[(&str, &str)],
    nested: &[(&str, Value)],
) -> Value {
    let mut form: Vec<(String, String)> = plain
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    for (prefix, value) in nested {
        flatten(prefix, value, &mut form);
    }
    let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    site.call(token, function, &refs).await
}

/// Questions of every type (2 + 3 + 1 + 4 + 5 = 15 points).
fn every_type() -> Value {
    json!([
        {"type": "multichoice", "text": "<p>How many legs has a spider?</p>", "points": 2,
         "answers": [{"text": "8", "correct": true, "feedback": "Yes."}, {"text": "6"}]},
        {"type": "multichoice", "text": "Which are prime?", "points": 3,
         "answers": [{"text": "2", "correct": true}, {"text": "3", "correct": true}, {"text": "4"}]},
        {"type": "truefalse", "text": "Water boils at 100 °C.", "correctanswer": true},
        {"type": "shortanswer", "text": "Capital of France?", "points": 4,
         "answers": [{"text": "Paris", "correct": true}]},
        {"type": "essay", "text": "Describe a pendulum.", "points": 5},
    ])
}

/// Questions graded automatically (2 + 3 + 1 + 4 = 10 points).
pub(super) fn graded() -> Value {
    json!([
        {"type": "multichoice", "text": "2 + 2?", "points": 2,
         "answers": [{"text": "4", "correct": true}, {"text": "5"}, {"text": "22"}]},
        {"type": "multichoice", "text": "Which are even?", "points": 3,
         "answers": [{"text": "2", "correct": true}, {"text": "3"}, {"text": "4", "correct": true}]},
        {"type": "truefalse", "text": "The Moon is a planet.", "correctanswer": false},
        {"type": "shortanswer", "text": "Symbol of gold?", "points": 4,
         "answers": [{"text": "Au", "correct": true}]},
    ])
}

/// Makes a quiz as teacher1 in PHYS101, answers not shuffled.
pub(super) async fn make_quiz(
    site: &Site,
    idnumber: &str,
    questions: Value,
    attempts: &str,
) -> Value {
    call(
        site,
        &site.token("teacher1_bridge"),
        "local_bridge_create_quiz",
        &[
            ("courseid", "2"),
            ("section", "2"),
            ("name", "Test quiz"),
            ("idnumber", idnumber),
            ("shuffleanswers", "0"),
            ("attempts", attempts),
        ],
        &[("questions", questions)],
    )
    .await
}

fn types_and_marks(quiz: &Value) -> Vec<(String, f64)> {
    quiz["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .map(|q| {
            (
                q["type"].as_str().unwrap_or_default().to_owned(),
                q["maxmark"].as_f64().unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_teacher_makes_a_quiz_with_every_question_type_each_worth_its_points() {
    let site = Site::start().await;
    let quiz = make_quiz(&site, "q-all", every_type(), "0").await;
    assert_eq!(quiz["modname"], "quiz", "{quiz}");
    assert_eq!(quiz["section"], 2);
    assert_eq!(
        types_and_marks(&quiz),
        [
            ("multichoice".to_owned(), 2.0),
            ("multichoice".to_owned(), 3.0),
            ("truefalse".to_owned(), 1.0),
            ("shortanswer".to_owned(), 4.0),
            ("essay".to_owned(), 5.0),
        ]
    );
    assert_eq!(
        (quiz["grade"].as_f64(), quiz["sumgrades"].as_f64()),
        (Some(15.0), Some(15.0))
    );
    assert_eq!(
        quiz["questions"][0]["name"],
        "Q1: How many legs has a spider?"
    );
    // The questions went to the course's bank (Moodle 4.5) and the multiple-answer question's
    // wrong choice takes a share away.
    let (contexts, fractions) = site.sim.with_state(|s| {
        let course = s
            .context_id(moodle_sim::state::ContextLevel::Course, 2)
            .unwrap_or_default();
        let all_in_course = s.quiz.questions.values().all(|q| q.contextid == course);
        let second = s
            .quiz
            .questions
            .values()
            .nth(1)
            .map(|q| q.answers.iter().map(|a| a.fraction).collect::<Vec<f64>>());
        (all_in_course, second)
    });
    assert!(contexts);
    assert_eq!(fractions, Some(vec![0.5, 0.5, -0.5]));
    let found = site
        .call(
            &site.token("teacher1_bridge"),
            "local_bridge_find_modules_by_idnumber",
            &[("courseid", "2"), ("idnumbers[0]", "q-all")],
        )
        .await;
    assert_eq!(found["modules"][0]["cmid"], quiz["cmid"], "{found}");
}

#[tokio::test]
async fn bad_questions_are_refused_naming_them_and_nothing_is_made() {
    let site = Site::start().await;
    let before = site.sim.with_state(|s| s.cms.len());
    let no_right =
        json!([{"type": "multichoice", "text": "x", "answers": [{"text": "a"}, {"text": "b"}]}]);
    let refused = make_quiz(&site, "bad-1", no_right, "0").await;
    assert_eq!(errorcode(&refused), Some("invalidquestion"));
    assert_eq!(
        refused["message"],
        "Question 1: no answer is marked correct."
    );
    let no_answer = json!([{"type": "truefalse", "text": "x"}]);
    let refused = make_quiz(&site, "bad-2", no_answer, "0").await;
    assert_eq!(
        refused["message"],
        "Question 1: a true/false question needs correctanswer (1 for true, 0 for false)."
    );
    let unknown = json!([{"type": "matching", "text": "x"}]);
    assert_eq!(
        errorcode(&make_quiz(&site, "bad-3", unknown, "0").await),
        Some("invalidquestion")
    );
    let student = call(
        &site,
        &site.token("student1_bridge"),
        "local_bridge_create_quiz",
        &[("courseid", "2"), ("name", "x")],
        &[("questions", graded())],
    )
    .await;
    assert_eq!(errorcode(&student), Some("nopermissions"));
    assert_eq!(site.sim.with_state(|s| s.cms.len()), before);
}

/// student1 starts an attempt, reads each page, answers everything right and finishes.
pub(super) async fn attempt_right(site: &Site, quizid: &str) -> Value {
    let learner = site.token("student1_mobile");
    let started = site
        .call(&learner, "mod_quiz_start_attempt", &[("quizid", quizid)])
        .await;
    let attempt = started["attempt"].clone();
    assert_eq!(attempt["state"], "inprogress", "{started}");
    assert_eq!(attempt["layout"], "1,0,2,0,3,0,4,0");
    let (aid, uid) = (attempt["id"].to_string(), attempt["uniqueid"].clone());
    let mut data = Vec::new();
    let right: [(i64, &[(&str, &str)]); 4] = [
        (1, &[("answer", "0")]),
        (2, &[("choice0", "1"), ("choice2", "1")]),
        (3, &[("answer", "0")]),
        (4, &[("answer", "Au")]),
    ];
    for page in 0..4 {
        let body = site
            .call(
                &learner,
                "mod_quiz_get_attempt_data",
                &[("attemptid", &aid), ("page", &page.to_string())],
            )
            .await;
        let q = &body["questions"][0];
        let slot = q["slot"].as_i64().expect("slot");
        let marks = [2.0, 3.0, 1.0, 4.0];
        assert_eq!(
            q["maxmark"].as_f64(),
            marks.get(usize::try_from(slot - 1).unwrap_or(9)).copied(),
            "{q}"
        );
        assert!(
            q.get("state").is_none() && q.get("mark").is_none(),
            "nothing graded shows: {q}"
        );
        let html = q["html"].as_str().unwrap_or_default();
        let field = right[usize::try_from(slot - 1).unwrap_or(0)].1[0].0;
        assert!(
            html.contains(&format!("name=\"q{uid}:{slot}_{field}\"")),
            "{html}"
        );
        assert!(!html.contains("The correct answer"), "{html}");
        assert_eq!(body["nextpage"], if page == 3 { -1 } else { page + 1 });
        data.push(json!({"name": format!("q{uid}:{slot}_:sequencecheck"), "value": q["sequencecheck"].to_string()}));
        for (name, value) in right[usize::try_from(slot - 1).unwrap_or(0)].1 {
            data.push(json!({"name": format!("q{uid}:{slot}_{name}"), "value": value}));
        }
    }
    call(
        site,
        &learner,
        "mod_quiz_process_attempt",
        &[("attemptid", &aid), ("finishattempt", "1")],
        &[("data", Value::Array(data))],
    )
    .await
}

#[tokio::test]
async fn a_learner_attempts_the_quiz_through_mod_quiz_and_gets_the_grade_then_questions_are_locked()
{
    let site = Site::start().await;
    let teacher = site.token("teacher1_bridge");
    let quiz = make_quiz(&site, "q-attempt", every_type(), "0").await;
    let cmid = quiz["cmid"].to_string();
    let updated = call(
        &site,
        &teacher,
        "local_bridge_update_quiz",
        &[("cmid", &cmid), ("fields[attempts]", "1")],
        &[("questions", graded())],
    )
    .await;
    assert_eq!(
        updated["questions"].as_array().map(Vec::len),
        Some(4),
        "{updated}"
    );
    assert_eq!(
        (updated["grade"].as_f64(), updated["sumgrades"].as_f64()),
        (Some(10.0), Some(10.0))
    );
    let quizid = quiz["instanceid"].to_string();

    let learner = site.token("student1_mobile");
    let listed = site
        .call(
            &learner,
            "mod_quiz_get_quizzes_by_courses",
            &[("courseids[0]", "2")],
        )
        .await;
    let mine = listed["quizzes"]
        .as_array()
        .and_then(|l| {
            l.iter()
                .find(|q| q["coursemodule"] == quiz["cmid"])
                .cloned()
        })
        .expect("the quiz is listed");
    assert_eq!(
        (mine["attempts"].clone(), mine["hasquestions"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(
        mine["reviewrightanswer"], 0x1110,
        "one attempt: right answers after submission"
    );

    let finished = attempt_right(&site, &quizid).await;
    assert_eq!(finished["state"], "finished", "{finished}");
    let best = site
        .call(
            &learner,
            "mod_quiz_get_user_best_grade",
            &[("quizid", &quizid)],
        )
        .await;
    assert_eq!(best, json!({"hasgrade": true, "grade": 10, "warnings": []}));
    let attempts = site
        .call(
            &learner,
            "mod_quiz_get_user_attempts",
            &[("quizid", &quizid)],
        )
        .await;
    assert_eq!(attempts["attempts"][0]["sumgrades"], 10, "{attempts}");
    assert_eq!(attempts["attempts"][0]["state"], "finished");
    let again = site
        .call(&learner, "mod_quiz_start_attempt", &[("quizid", &quizid)])
        .await;
    assert_eq!(again["attempt"], json!([]), "{again}");
    assert_eq!(
        again["warnings"][0]["message"],
        "No more attempts are allowed"
    );

    let refused = call(
        &site,
        &teacher,
        "local_bridge_update_quiz",
        &[("cmid", &cmid)],
        &[("questions", graded())],
    )
    .await;
    assert_eq!(errorcode(&refused), Some("quizhasattempts"), "{refused}");
    let renamed = site
        .call(
            &teacher,
            "local_bridge_update_quiz",
            &[("cmid", &cmid), ("fields[name]", "Renamed")],
        )
        .await;
    assert_eq!(renamed["name"], "Renamed");
    assert_eq!(renamed["questions"].as_array().map(Vec::len), Some(4));
}

#[tokio::test]
async fn wrong_and_missing_answers_earn_nothing_and_an_essay_waits_for_its_grader() {
    let site = Site::start().await;
    let quiz = make_quiz(&site, "q-essay", every_type(), "0").await;
    let quizid = quiz["instanceid"].to_string();
    let learner = site.token("student1_mobile");
    let started = site
        .call(&learner, "mod_quiz_start_attempt", &[("quizid", &quizid)])
        .await;
    let (aid, uid) = (
        started["attempt"]["id"].to_string(),
        started["attempt"]["uniqueid"].clone(),
    );
    let data = json!([
        {"name": format!("q{uid}:1_:sequencecheck"), "value": "1"},
        {"name": format!("q{uid}:1_answer"), "value": "1"},
        {"name": format!("q{uid}:5_:sequencecheck"), "value": "1"},
        {"name": format!("q{uid}:5_answer"), "value": "A pendulum swings."},
        {"name": format!("q{uid}:5_answerformat"), "value": "1"},
    ]);
    let saved = call(
        &site,
        &learner,
        "mod_quiz_process_attempt",
        &[("attemptid", &aid)],
        &[("data", data.clone())],
    )
    .await;
    assert_eq!(saved["state"], "inprogress");
    let stale = call(
        &site,
        &learner,
        "mod_quiz_process_attempt",
        &[("attemptid", &aid)],
        &[("data", data)],
    )
    .await;
    assert_eq!(
        errorcode(&stale),
        Some("submissionoutofsequencefriendlymessage"),
        "an old sequence check is refused: {stale}"
    );
    let done = site
        .call(
            &learner,
            "mod_quiz_process_attempt",
            &[("attemptid", &aid), ("finishattempt", "1")],
        )
        .await;
    assert_eq!(done["state"], "finished");
    let best = site
        .call(
            &learner,
            "mod_quiz_get_user_best_grade",
            &[("quizid", &quizid)],
        )
        .await;
    assert_eq!(best["hasgrade"], false, "the essay needs grading: {best}");
    let closed = site
        .call(
            &learner,
            "mod_quiz_get_attempt_data",
            &[("attemptid", &aid), ("page", "0")],
        )
        .await;
    assert_eq!(errorcode(&closed), Some("attemptalreadyclosed"));
    let other = site
        .call(
            &site.token("student2_mobile"),
            "mod_quiz_get_user_attempts",
            &[("quizid", &quizid), ("userid", "4")],
        )
        .await;
    assert_eq!(errorcode(&other), Some("nopermissions"), "{other}");
}

#[tokio::test]
async fn core_course_get_contents_shows_a_quiz_as_moodle_does() {
    let site = Site::start().await;
    let quiz = make_quiz(&site, "q-contents", graded(), "0").await;
    let contents = site
        .call(
            &site.token("student1_mobile"),
            "core_course_get_contents",
            &[("courseid", "2")],
        )
        .await;
    let module = contents
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["modules"].as_array().cloned().unwrap_or_default())
        .find(|m| m["id"] == quiz["cmid"])
        .expect("the quiz on the course page");
    assert_eq!(
        (
            &module["modname"],
            &module["modplural"],
            &module["purpose"],
            &module["customdata"]
        ),
        (
            &json!("quiz"),
            &json!("Quizzes"),
            &json!("assessment"),
            &json!("\"\"")
        )
    );
    assert!(
        module.get("contents").is_none(),
        "a quiz exports no contents: {module}"
    );
}
