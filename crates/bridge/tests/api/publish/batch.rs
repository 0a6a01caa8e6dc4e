//! New activities in batches (`local_bridge_create_modules`): at most 50 per call (and under
//! the form-field limit, which quizzes of ten questions reach first), a repeated push makes
//! none and asks Moodle three times in all, an item Moodle refuses fails alone, and a site
//! whose plugin lacks the batch function gets one call per activity.

use serde_json::{Value, json};

use super::helpers::{all_calls, moodle_courses, moodle_modules, publisher_app, push_body, writes};
use crate::helpers::{TestApp, status_json};

/// A course of `n` assets made by `content(i)` (name, type, content); answers its id and
/// the names.
async fn course_of(
    app: &TestApp,
    n: usize,
    content: impl Fn(usize) -> (String, &'static str, Value),
) -> (i64, Vec<String>) {
    let course = app.new_course(&json!({"name": "Batched"})).await;
    let mut names = Vec::with_capacity(n);
    for i in 0..n {
        let (name, kind, body) = content(i);
        let (status, answer) = status_json(app.add_asset(course, &name, kind, body).await).await;
        assert_eq!(status, 201, "{answer}");
        names.push(name);
    }
    (course, names)
}

fn ten_questions() -> Value {
    let questions: Vec<Value> = (0..10)
        .map(|q| json!({"type": "multichoice", "text": format!("Question {q}"), "options": ["a", "b", "c", "d"], "answer": "c", "points": 1}))
        .collect();
    json!({ "questions": questions })
}

#[tokio::test]
async fn new_activities_are_made_fifty_per_call_and_a_repeat_asks_moodle_three_times() {
    let app = publisher_app().await;
    let token = app.lms_token().await;
    let (course, names) = course_of(&app, 120, |i| {
        (format!("page-{i:03}"), "page", json!(format!("<p>{i}</p>")))
    })
    .await;
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let calls = all_calls(&app.sim);
    let (status, body) = status_json(
        app.push(&course.to_string(), &token, &push_body(&names))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.sim.calls("local_bridge_create_modules"), 3);
    assert_eq!(app.sim.calls("local_bridge_create_page"), 0);
    // Site info, the course's look-up and creation, three batches; no category path.
    assert_eq!(
        all_calls(&app.sim) - calls,
        6,
        "Moodle calls of the first push"
    );
    let moodle_id = moodle_courses(&app.sim, &format!("bridge:{course}"))[0].0;
    let made = moodle_modules(&app.sim, moodle_id);
    assert_eq!(made.len(), 120);
    let entries = body["data"]["exported_assets"].as_array().expect("entries");
    let in_order: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["asset_name"].as_str())
        .collect();
    assert_eq!(in_order, names, "reported in the push's order");
    let (before_calls, before_writes) = (all_calls(&app.sim), writes(&app.sim));
    let (status, body) = status_json(
        app.push(&course.to_string(), &token, &push_body(&names))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(writes(&app.sim), before_writes, "nothing written");
    // Site info, the course still there, one look-up of the activities.
    assert_eq!(all_calls(&app.sim) - before_calls, 3);
}

#[tokio::test]
async fn quizzes_of_ten_questions_are_split_under_the_form_field_limit() {
    let app = publisher_app().await;
    let token = app.lms_token().await;
    let (course, names) = course_of(&app, 45, |i| {
        (format!("quiz-{i:02}"), "quiz", ten_questions())
    })
    .await;
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (status, body) = status_json(
        app.push(&course.to_string(), &token, &push_body(&names))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // About 110 form fields a quiz: 4000 fields hold 36 of them.
    assert_eq!(app.sim.calls("local_bridge_create_modules"), 2);
    let quizzes = app.sim.with_state(|s| {
        s.cms
            .values()
            .filter(|m| m.modname == "quiz" && m.idnumber.is_some())
            .count()
    });
    assert_eq!(quizzes, 45);
}

#[tokio::test]
async fn an_item_moodle_refuses_fails_alone_and_the_others_of_its_batch_are_made() {
    let app = publisher_app().await;
    let token = app.lms_token().await;
    // Moodle refuses HTML in an activity's name; the local store takes any text.
    let (course, names) = course_of(&app, 5, |i| {
        let name = if i == 2 {
            "Intro <b>bold".to_owned()
        } else {
            format!("page-{i}")
        };
        (name, "page", json!("<p>x</p>"))
    })
    .await;
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (status, body) = status_json(
        app.push(&course.to_string(), &token, &push_body(&names))
            .await,
    )
    .await;
    assert_eq!(status, 500, "{body}");
    let detail = body["detail"].as_str().expect("detail");
    assert!(
        detail.starts_with("LMS export failed: 1 of 5 assets failed; \"Intro <b>bold\":")
            && detail.contains("invalidparameter"),
        "{detail}"
    );
    let statuses: Vec<&str> = body["data"]["exported_assets"]
        .as_array()
        .expect("report")
        .iter()
        .filter_map(|e| e["status"].as_str())
        .collect();
    assert_eq!(
        statuses,
        ["success", "success", "failed", "success", "success"]
    );
    assert_eq!(app.sim.calls("local_bridge_create_modules"), 1);
}

#[tokio::test]
async fn a_plugin_without_the_batch_function_gets_one_call_per_activity() {
    let app = publisher_app().await;
    app.sim.with_state(|s| {
        for service in s.services.values_mut() {
            service
                .functions
                .retain(|f| f != "local_bridge_create_modules");
        }
    });
    let token = app.lms_token().await;
    let (course, names) = course_of(&app, 6, |i| {
        if i % 2 == 0 {
            (format!("page-{i}"), "page", json!("<p>x</p>"))
        } else {
            (format!("quiz-{i}"), "quiz", ten_questions())
        }
    })
    .await;
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (status, body) = status_json(
        app.push(&course.to_string(), &token, &push_body(&names))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            app.sim.calls("local_bridge_create_page"),
            app.sim.calls("local_bridge_create_quiz")
        ),
        (3, 3)
    );
    assert_eq!(app.sim.calls("local_bridge_create_modules"), 0);
}
