//! Quizzes and question papers become Moodle quizzes: points as marks, a learner enrolled
//! with the push attempts the quiz through Moodle's own quiz functions and gets the grade;
//! questions are sent again only when they changed, and once learners have attempted the
//! quiz Moodle keeps them (409 for that asset) while its other changes still apply; a question
//! paper can stay a printable page (`mode: "page"`), and switching replaces the activity.

use moodle_sim::state::ModInstance;
use reqwest::Method;
use serde_json::{Value, json};

use super::helpers::{moodle_call, moodle_courses, publisher_app, push_body};
use crate::helpers::{TestApp, status_json};

/// A true/false question worth 2 and a short answer worth 3.
fn graded_quiz(intro: &str) -> Value {
    json!({"intro": intro, "questions": [
        {"type": "truefalse", "text": "Light is a wave.", "answer": true, "points": 2, "feedback": "Also a particle."},
        {"type": "shortanswer", "text": "The symbol of gold?", "answer": ["Au"], "points": 3}
    ]})
}

/// A course with one quiz, pushed with student1 enrolled; answers (course, Moodle course,
/// quiz cmid, LMS token).
async fn pushed_quiz(app: &TestApp) -> (i64, i64, i64, String) {
    let token = app.lms_token().await;
    let course = app
        .new_course(&json!({"name": "Quiz course", "shortname": "QUIZ-1"}))
        .await;
    let (status, body) = status_json(
        app.add_asset(course, "q1", "quiz", graded_quiz("Warm-up"))
            .await,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let mut push = push_body(&["q1"]);
    push["enrol"] = json!([{"username": "student1", "role": "student"}]);
    let (status, body) = status_json(app.push(&course.to_string(), &token, &push).await).await;
    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    assert_eq!(
        data["exported_assets"][0]["moodle_module"], "quiz",
        "{data}"
    );
    assert_eq!(data["enrolments"][0]["status"], "enrolled", "{data}");
    let moodle_id: i64 = data["lms_course_id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("n");
    let cmid: i64 = data["exported_assets"][0]["lms_content_id"]
        .as_str()
        .expect("cmid")
        .parse()
        .expect("n");
    (course, moodle_id, cmid, token)
}

/// The quiz as `mod_quiz_get_quizzes_by_courses` shows it to student1.
async fn listed(app: &TestApp, moodle_id: i64, cmid: i64) -> Value {
    let listed = moodle_call(
        &app.sim,
        "student1_mobile",
        "mod_quiz_get_quizzes_by_courses",
        &[("courseids[0]", moodle_id.to_string())],
    )
    .await;
    listed["quizzes"]
        .as_array()
        .and_then(|l| l.iter().find(|q| q["coursemodule"] == cmid).cloned())
        .unwrap_or_else(|| panic!("the quiz is listed for the learner: {listed}"))
}

/// student1 attempts the quiz, answering everything right; answers the finished attempt.
async fn attempt_right(app: &TestApp, quizid: i64) -> Value {
    let sim = &app.sim;
    let started = moodle_call(
        sim,
        "student1_mobile",
        "mod_quiz_start_attempt",
        &[("quizid", quizid.to_string())],
    )
    .await;
    let attempt = &started["attempt"];
    assert_eq!(attempt["state"], "inprogress", "{started}");
    let (aid, uid) = (attempt["id"].to_string(), attempt["uniqueid"].to_string());
    let mut data: Vec<(String, String)> = Vec::new();
    for page in 0..2 {
        let body = moodle_call(
            sim,
            "student1_mobile",
            "mod_quiz_get_attempt_data",
            &[("attemptid", aid.clone()), ("page", page.to_string())],
        )
        .await;
        let q = &body["questions"][0];
        let slot = q["slot"].as_i64().expect("slot");
        assert!(
            q.get("mark").is_none() && !q["html"].to_string().contains("The correct answer"),
            "nothing graded or right shows during the attempt: {q}"
        );
        data.push((
            format!("q{uid}:{slot}_:sequencecheck"),
            q["sequencecheck"].to_string(),
        ));
        // Slot 1 is the true/false question (1 = True), slot 2 the short answer.
        let answer = if slot == 1 { "1" } else { "Au" };
        data.push((format!("q{uid}:{slot}_answer"), answer.to_owned()));
    }
    let mut params = vec![("attemptid", aid), ("finishattempt", "1".to_owned())];
    let names: Vec<String> = (0..data.len())
        .map(|i| format!("data[{i}][name]"))
        .collect();
    let values: Vec<String> = (0..data.len())
        .map(|i| format!("data[{i}][value]"))
        .collect();
    for (i, (name, value)) in data.iter().enumerate() {
        params.push((names[i].as_str(), name.clone()));
        params.push((values[i].as_str(), value.clone()));
    }
    moodle_call(sim, "student1_mobile", "mod_quiz_process_attempt", &params).await
}

#[tokio::test]
async fn a_quiz_is_a_moodle_quiz_with_its_points_as_marks_and_a_learners_attempt_is_graded() {
    let app = publisher_app().await;
    let (_, moodle_id, cmid, _) = pushed_quiz(&app).await;
    let quiz = listed(&app, moodle_id, cmid).await;
    assert_eq!(
        (
            quiz["sumgrades"].as_f64(),
            quiz["grade"].as_f64(),
            quiz["hasquestions"].as_i64()
        ),
        (Some(5.0), Some(5.0), Some(1)),
        "{quiz}"
    );
    assert_eq!(quiz["intro"], "<p>Warm-up</p>", "{quiz}");
    // The questions' bank: the course's on Moodle 4.5; on 5.0, where banks are mod_qbank
    // module contexts, the quiz's own.
    let (banks, course_context, quiz_context) = app.sim.with_state(|s| {
        let quizid = quizid_of(s, cmid);
        let banks: Vec<i64> = s
            .quiz
            .slots
            .values()
            .filter(|slot| slot.quizid == quizid)
            .filter_map(|slot| s.quiz.questions.get(&slot.questionid))
            .map(|q| q.contextid)
            .collect();
        let course = s.context_id(moodle_sim::state::ContextLevel::Course, moodle_id);
        (banks, course, s.quiz_context(cmid))
    });
    let bank = if crate::helpers::moodle_version().at_least_5_0() {
        Some(quiz_context)
    } else {
        course_context
    };
    assert_eq!(banks.len(), 2, "two questions in the quiz");
    assert!(
        banks.iter().all(|c| Some(*c) == bank),
        "{banks:?} in {bank:?}"
    );
    let quizid = quiz["id"].as_i64().expect("quiz id");
    let finished = attempt_right(&app, quizid).await;
    assert_eq!(finished["state"], "finished", "{finished}");
    let best = moodle_call(
        &app.sim,
        "student1_mobile",
        "mod_quiz_get_user_best_grade",
        &[("quizid", quizid.to_string())],
    )
    .await;
    assert_eq!(
        (best["hasgrade"].as_bool(), best["grade"].as_f64()),
        (Some(true), Some(5.0)),
        "{best}"
    );
}

#[tokio::test]
async fn after_an_attempt_new_questions_are_refused_with_409_for_that_asset_and_its_other_changes_apply()
 {
    let app = publisher_app().await;
    let (course, moodle_id, cmid, token) = pushed_quiz(&app).await;
    let id = course.to_string();
    // Settings alone (the description): the questions are not sent.
    let change = |intro: &str, questions: Value| {
        let mut content = graded_quiz(intro);
        if !questions.is_null() {
            content["questions"] = questions;
        }
        json!({"asset_content": content})
    };
    let patch = |body: Value| {
        let path = format!("/api/courses/{course}/assets/q1");
        let app = &app;
        async move {
            let response = app
                .publisher_json(Method::PATCH, &path, &[], Some(&body))
                .await;
            assert_eq!(response.status(), 200);
        }
    };
    patch(change("Warm-up, revised", Value::Null)).await;
    let with_questions = app.sim.calls("local_bridge_update_quiz");
    let (status, body) = status_json(app.push(&id, &token, &push_body(&["q1"])).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["exported_assets"][0]["action"], "updated");
    assert_eq!(
        app.sim.calls("local_bridge_update_quiz"),
        with_questions + 1
    );
    let slots = |app: &TestApp| {
        app.sim.with_state(|s| {
            s.quiz
                .slots
                .values()
                .filter(|slot| slot.quizid == quizid_of(s, cmid))
                .count()
        })
    };
    assert_eq!(slots(&app), 2);
    // Before any attempt, new questions replace the old ones.
    patch(change(
        "Warm-up, revised",
        json!([{"type": "truefalse", "text": "Sound is a wave.", "answer": true, "points": 4}]),
    ))
    .await;
    let (status, body) = status_json(app.push(&id, &token, &push_body(&["q1"])).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(slots(&app), 1);
    assert_eq!(listed(&app, moodle_id, cmid).await["sumgrades"], 4.0);
    // A learner attempts it: Moodle now keeps its questions.
    let quizid = listed(&app, moodle_id, cmid).await["id"]
        .as_i64()
        .expect("id");
    let started = moodle_call(
        &app.sim,
        "student1_mobile",
        "mod_quiz_start_attempt",
        &[("quizid", quizid.to_string())],
    )
    .await;
    assert_eq!(started["attempt"]["state"], "inprogress", "{started}");
    patch(change("Warm-up, final", Value::Null)).await;
    let (status, body) = status_json(app.push(&id, &token, &push_body(&["q1"])).await).await;
    assert_eq!(status, 409, "{body}");
    let detail = body["detail"].as_str().expect("detail");
    assert!(detail.contains("quizhasattempts"), "{detail}");
    let entry = &body["data"]["exported_assets"][0];
    assert_eq!(
        (entry["status"].as_str(), entry["lms_content_id"].as_str()),
        (Some("failed"), Some(cmid.to_string().as_str())),
        "{entry}"
    );
    assert_eq!(slots(&app), 1, "the questions stay");
    assert_eq!(
        listed(&app, moodle_id, cmid).await["intro"],
        "<p>Warm-up, final</p>",
        "the description still follows the asset"
    );
    let status = app.sync_status().await;
    assert_eq!(status["assets"]["failed"], 1, "{status}");
    assert!(
        status["failed"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("quizhasattempts")),
        "{status}"
    );
}

fn quizid_of(s: &moodle_sim::state::State, cmid: i64) -> i64 {
    s.cms.get(&cmid).map(|m| m.instance).unwrap_or_default()
}

#[tokio::test]
async fn a_question_paper_is_a_quiz_or_a_printable_page_and_switching_replaces_its_activity() {
    let app = publisher_app().await;
    let token = app.lms_token().await;
    let course = app.new_course(&json!({"name": "Papers"})).await;
    let paper = |mode: Option<&str>| {
        let mut content = json!({"questions": [
            {"type": "multichoice", "text": "Pick the prime", "options": ["4", "7"], "answer": 1, "points": 2},
            {"type": "essay", "text": "Why?", "points": 5}
        ]});
        if let Some(mode) = mode {
            content["mode"] = json!(mode);
        }
        content
    };
    for (name, mode) in [("exam", None), ("printout", Some("page"))] {
        let (status, body) = status_json(
            app.add_asset(course, name, "question-paper", paper(mode))
                .await,
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = status_json(
        app.push(
            &course.to_string(),
            &token,
            &push_body(&["exam", "printout"]),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let entries = body["data"]["exported_assets"].as_array().expect("entries");
    assert_eq!(entries[0]["moodle_module"], "quiz");
    assert_eq!(entries[1]["moodle_module"], "page");
    let old: i64 = entries[1]["lms_content_id"]
        .as_str()
        .expect("cmid")
        .parse()
        .expect("n");
    let printout = app
        .sim
        .with_state(|s| s.cms.get(&old).map(|m| m.kind.clone()));
    let Some(ModInstance::Page { content }) = printout else {
        panic!("a page: {printout:?}");
    };
    assert!(
        content.contains("<li>B. 7</li>") && !content.contains("\"answer\""),
        "{content}"
    );
    // The printout becomes a quiz: a new activity, the page hidden and its ID number freed.
    let switched = app
        .publisher_json(
            Method::PATCH,
            &format!("/api/courses/{course}/assets/printout"),
            &[],
            Some(&json!({"asset_content": paper(Some("quiz"))})),
        )
        .await;
    assert_eq!(switched.status(), 200);
    let (status, body) = status_json(
        app.push(
            &course.to_string(),
            &token,
            &push_body(&["exam", "printout"]),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let entry = &body["data"]["exported_assets"][1];
    assert_eq!(
        (
            entry["moodle_module"].as_str(),
            entry["action"].as_str(),
            entry["replaced"].as_str()
        ),
        (
            Some("quiz"),
            Some("created"),
            Some(old.to_string().as_str())
        ),
        "{entry}"
    );
    let (visible, idnumber) = app
        .sim
        .with_state(|s| s.cms.get(&old).map(|m| (m.visible, m.idnumber.clone())))
        .expect("the page is still there");
    assert_eq!(
        (visible, idnumber.unwrap_or_default()),
        (false, String::new())
    );
    let moodle_id = moodle_courses(&app.sim, &format!("bridge:{course}"))[0].0;
    let quizzes = app.sim.with_state(|s| {
        s.cms
            .values()
            .filter(|m| m.course == moodle_id && m.modname == "quiz")
            .count()
    });
    assert_eq!(quizzes, 2);
}

#[tokio::test]
async fn a_quiz_question_without_its_right_answer_fails_that_asset_alone_with_422() {
    let app = publisher_app().await;
    let token = app.lms_token().await;
    let course = app.new_course(&json!({"name": "Answers"})).await;
    let (status, _) = status_json(
        app.add_asset(course, "intro", "page", json!("<p>Hi</p>"))
            .await,
    )
    .await;
    assert_eq!(status, 201);
    let (status, body) = status_json(
        app.add_asset(
            course,
            "open",
            "quiz",
            json!({"questions": [{"type": "shortanswer", "text": "Name a colour"}]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "the schema leaves answers optional: {body}");
    let (status, body) = status_json(
        app.push(&course.to_string(), &token, &push_body(&["intro", "open"]))
            .await,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("asset_content.questions[0].answer")),
        "{body}"
    );
    let statuses: Vec<&str> = body["data"]["exported_assets"]
        .as_array()
        .expect("report")
        .iter()
        .filter_map(|e| e["status"].as_str())
        .collect();
    assert_eq!(statuses, ["success", "failed"]);
}

#[tokio::test]
async fn a_plugin_older_than_1_1_makes_quizzes_printable_pages_one_call_each() {
    let app = publisher_app().await;
    app.sim.with_state(|s| {
        for service in s.services.values_mut() {
            service.functions.retain(|f| {
                !matches!(
                    f.as_str(),
                    "local_bridge_create_quiz"
                        | "local_bridge_update_quiz"
                        | "local_bridge_create_modules"
                )
            });
        }
    });
    let course = app.demo_course().await;
    let token = app.lms_token().await;
    let (status, body) = status_json(
        app.push(
            &course.to_string(),
            &token,
            &push_body(&super::helpers::DEMO_ASSETS),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let modules: Vec<&str> = body["data"]["exported_assets"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["moodle_module"].as_str())
        .collect();
    assert_eq!(
        modules,
        ["page", "page", "url", "forum", "page", "page", "resource"]
    );
    assert_eq!(app.sim.calls("local_bridge_create_page"), 4);
    assert_eq!(app.sim.calls("local_bridge_create_modules"), 0);
}
