//! Moodle failing under a push: an unanswered write is looked up by ID number before it is
//! repeated; after repeated connection failures the circuit opens, pushes fail fast with 503,
//! their items stay `pending` while the local store keeps working, and the queued push runs
//! once Moodle answers again.

use std::time::Duration;

use moodle_sim::{Fault, FaultRule, Target};
use serde_json::json;

use super::helpers::{
    DEMO_ASSETS, all_calls, moodle_courses, moodle_modules, one_call_each_app, options,
    publisher_app, push_body,
};
use crate::helpers::{spawn_app_with, status_json};

#[tokio::test]
async fn an_unanswered_write_is_looked_up_by_id_number_before_it_is_repeated() {
    let app = one_call_each_app().await;
    let course = app.demo_course().await;
    let token = app.lms_token().await;
    // Moodle makes the page, then the connection drops before the answer arrives.
    app.sim
        .faults()
        .inject(FaultRule::on_function("local_bridge_create_page", Fault::ResetMidBody).times(1));
    // A proxy answers 503 without passing the forum on to Moodle.
    app.sim.faults().inject(
        FaultRule::on_function("local_bridge_create_forum", Fault::Status { status: 503 }).times(1),
    );
    let (status, body) = status_json(
        app.push(&course.to_string(), &token, &push_body(&DEMO_ASSETS))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.sim.calls("local_bridge_create_page"),
        2,
        "the page made despite the reset is not made again"
    );
    assert_eq!(
        app.sim.calls("local_bridge_create_forum"),
        2,
        "the forum that was not made is made"
    );
    let (moodle_id, ..) = moodle_courses(&app.sim, &format!("bridge:{course}"))[0].clone();
    let mut idnumbers: Vec<String> = moodle_modules(&app.sim, moodle_id)
        .into_iter()
        .map(|m| m.2)
        .collect();
    idnumbers.sort();
    let mut expected: Vec<String> = DEMO_ASSETS
        .iter()
        .map(|n| format!("bridge:{course}:{n}"))
        .collect();
    expected.sort();
    assert_eq!(idnumbers, expected, "one activity per asset");
}

#[tokio::test]
async fn an_unanswered_batch_is_sent_again_and_makes_nothing_twice() {
    let app = publisher_app().await;
    let course = app.demo_course().await;
    let token = app.lms_token().await;
    // Moodle makes the batch, then the connection drops before the answer arrives.
    app.sim.faults().inject(
        FaultRule::on_function("local_bridge_create_modules", Fault::ResetMidBody).times(1),
    );
    let (status, body) = status_json(
        app.push(&course.to_string(), &token, &push_body(&DEMO_ASSETS))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.sim.calls("local_bridge_create_modules"),
        2,
        "the batch is sent again: what the first made answers existed"
    );
    assert_eq!(app.sim.calls("local_bridge_create_page"), 0);
    let (moodle_id, ..) = moodle_courses(&app.sim, &format!("bridge:{course}"))[0].clone();
    let mut idnumbers: Vec<String> = moodle_modules(&app.sim, moodle_id)
        .into_iter()
        .map(|m| m.2)
        .collect();
    idnumbers.sort();
    let mut expected: Vec<String> = DEMO_ASSETS
        .iter()
        .map(|n| format!("bridge:{course}:{n}"))
        .collect();
    expected.sort();
    assert_eq!(idnumbers, expected, "one activity per asset");
    let again = app
        .push(&course.to_string(), &token, &push_body(&DEMO_ASSETS))
        .await;
    let (status, body) = status_json(again).await;
    assert_eq!(status, 200, "{body}");
    for entry in body["data"]["exported_assets"].as_array().expect("assets") {
        assert_eq!(entry["action"], "unchanged", "{entry}");
    }
}

#[tokio::test]
async fn an_open_circuit_fails_fast_keeps_items_pending_and_they_are_pushed_when_moodle_answers() {
    let app = spawn_app_with(
        options()
            .env("LMS_BREAKER_THRESHOLD", "2")
            .env("LMS_BREAKER_COOLDOWN_SECONDS", "2")
            .env("LMS_RETRY_ATTEMPTS", "2"),
    )
    .await;
    let course = app.demo_course().await;
    let token = app.lms_token().await;
    app.sim.faults().inject(FaultRule {
        fault: Fault::ResetMidBody,
        target: Target::Any,
        times: None,
    });
    let (status, body) = status_json(
        app.push(&course.to_string(), &token, &push_body(&DEMO_ASSETS))
            .await,
    )
    .await;
    assert_eq!(
        (status, body),
        (
            503,
            json!({"detail": "Connection error - Could not connect to LMS server"})
        )
    );
    let status = app.sync_status().await;
    assert_eq!(
        (
            status["assets"]["pending"].as_i64(),
            status["assets"]["failed"].as_i64()
        ),
        (Some(7), Some(0)),
        "{status}"
    );
    assert_eq!(
        status["jobs"]["queued"], 1,
        "the push waits in the queue: {status}"
    );
    // The local store works on.
    assert_eq!(
        app.add_asset(course, "later", "page", json!("<p>Later</p>"))
            .await
            .status(),
        201
    );
    let calls = all_calls(&app.sim);
    let response = app
        .push(&course.to_string(), &token, &push_body(&DEMO_ASSETS))
        .await;
    let retry_after = response.headers().get("retry-after").cloned();
    let (status, body) = status_json(response).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("treated as unreachable")),
        "{body}"
    );
    assert!(retry_after.is_some(), "Retry-After with an open circuit");
    assert_eq!(all_calls(&app.sim), calls, "the open circuit fails fast");
    app.sim.faults().clear();
    let mut synced = 0;
    for _ in 0..300 {
        synced = app.sync_status().await["assets"]["synced"]
            .as_i64()
            .unwrap_or(0);
        if synced == 7 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(synced, 7, "the queued push ran once Moodle answered");
    let made = moodle_courses(&app.sim, &format!("bridge:{course}"));
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(moodle_modules(&app.sim, made[0].0).len(), 7);
}
