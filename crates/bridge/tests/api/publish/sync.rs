//! Manual re-sync and jobs: `GET /api/sync/status`, `POST /api/sync/retry`,
//! `POST /api/courses/{id}/sync`, `?async=1` with `GET /api/jobs/{id}` and its events.

use moodle_sim::{Fault, FaultRule};
use reqwest::Method;
use serde_json::json;

use super::helpers::{
    DEMO_ASSETS, moodle_courses, moodle_modules, one_call_each_app, publisher_app, push_body,
};
use crate::helpers::{shared_token, status_json};

#[tokio::test]
async fn retry_pushes_what_failed_again_and_finds_what_moodle_made_meanwhile() {
    let app = one_call_each_app().await;
    let course = app.demo_course().await;
    let token = app.lms_token().await;
    // Moodle makes the URL activity but its answer is spoiled by a PHP warning.
    app.sim
        .faults()
        .inject(FaultRule::on_function("local_bridge_create_url", Fault::PhpWarning).times(1));
    let (status, _) = status_json(
        app.push(&course.to_string(), &token, &push_body(&DEMO_ASSETS))
            .await,
    )
    .await;
    assert_eq!(status, 500);
    let status = app.sync_status().await;
    assert_eq!(status["assets"]["failed"], 1, "{status}");
    let failure = &status["failed"][0];
    assert_eq!(
        (
            failure["asset_name"].as_str(),
            failure["lms"].as_str(),
            failure["attempts"].as_i64()
        ),
        (Some("link"), Some("default"), Some(1))
    );
    assert!(
        failure["error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot read")),
        "{failure}"
    );
    let (status, reply) = status_json(
        app.publisher_json(Method::POST, "/api/sync/retry", &[], None)
            .await,
    )
    .await;
    assert_eq!(status, 202, "{reply}");
    let jobs = reply["job_ids"].as_array().expect("jobs").clone();
    assert_eq!(jobs.len(), 1, "{reply}");
    let job = app.wait_job(jobs[0].as_str().expect("id")).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    let entries = job["result"]["exported_assets"]
        .as_array()
        .expect("assets")
        .clone();
    assert_eq!(entries.len(), 1, "only what failed: {job}");
    assert_eq!(
        (
            entries[0]["asset_name"].as_str(),
            entries[0]["action"].as_str()
        ),
        (Some("link"), Some("updated"))
    );
    assert_eq!(
        app.sim.calls("local_bridge_create_url"),
        1,
        "found, not made again"
    );
    let (moodle_id, ..) = moodle_courses(&app.sim, &format!("bridge:{course}"))[0].clone();
    let urls = moodle_modules(&app.sim, moodle_id)
        .into_iter()
        .filter(|m| m.1 == "url")
        .count();
    assert_eq!(urls, 1);
    let status = app.sync_status().await;
    assert_eq!(
        (
            status["assets"]["failed"].as_i64(),
            status["assets"]["synced"].as_i64()
        ),
        (Some(0), Some(7)),
        "{status}"
    );
    assert_eq!(status["failed"], json!([]));
}

#[tokio::test]
async fn an_async_push_answers_202_and_its_job_reports_progress_as_events() {
    let app = publisher_app().await;
    let course = app.demo_course().await;
    let token = app.lms_token().await;
    let response = app
        .publisher_json(
            Method::POST,
            &format!("/api/courses/{course}/push-to-lms?async=1"),
            &[("x-lms-token", &token)],
            Some(&push_body(&DEMO_ASSETS)),
        )
        .await;
    assert_eq!(response.status(), 202);
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (_, body) = status_json(response).await;
    let id = body["job_id"].as_str().expect("job id").to_owned();
    assert_eq!(location, Some(format!("/api/jobs/{id}")));
    let job = app.wait_job(&id).await;
    assert_eq!(
        (
            job["state"].as_str(),
            job["course_id"].as_i64(),
            job["lms"].as_str()
        ),
        (Some("succeeded"), Some(course), Some("default"))
    );
    assert_eq!(
        job["result"]["exported_assets"].as_array().map(Vec::len),
        Some(7)
    );
    let events = app.get(&format!("/api/jobs/{id}/events")).await;
    assert_eq!(
        events
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    let text = events.text().await.expect("events");
    assert_eq!(text.matches("event: started").count(), 1, "{text}");
    assert_eq!(text.matches("event: progress").count(), 7, "{text}");
    assert!(text.contains("\"done\":7,\"total\":7"), "{text}");
    assert!(
        text.trim_end().ends_with("}") && text.contains("event: succeeded"),
        "{text}"
    );
    let other = shared_token(json!({"sub": "someone-else"}));
    let theirs = app
        .http
        .get(format!("{}/api/jobs/{id}", app.url))
        .bearer_auth(&other)
        .send()
        .await
        .expect("request");
    let (status, body) = status_json(theirs).await;
    assert_eq!((status, body), (404, json!({"detail": "Job not found"})));
}

#[tokio::test]
async fn a_course_sync_pushes_its_changes_with_the_last_token() {
    let app = publisher_app().await;
    let course = app.demo_course().await;
    let token = app.lms_token().await;
    assert_eq!(
        app.push(&course.to_string(), &token, &push_body(&DEMO_ASSETS))
            .await
            .status(),
        200
    );
    let changed = app
        .publisher_json(
            Method::PATCH,
            &format!("/api/courses/{course}/assets/discuss"),
            &[],
            Some(&json!({"asset_content": {"intro": "Ask more.", "type": "qanda"}})),
        )
        .await;
    assert_eq!(changed.status(), 200);
    let updates = app.sim.calls("local_bridge_update_module");
    let (status, reply) = status_json(
        app.publisher_json(
            Method::POST,
            &format!("/api/courses/{course}/sync"),
            &[],
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 202, "{reply}");
    let job = app
        .wait_job(reply["job_ids"][0].as_str().expect("job"))
        .await;
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(app.sim.calls("local_bridge_update_module"), updates + 1);
    let status = app.sync_status().await;
    assert_eq!(
        (
            status["assets"]["synced"].as_i64(),
            status["assets"]["out_of_date"].as_i64()
        ),
        (Some(7), Some(0)),
        "{status}"
    );
    let (status, _) = status_json(
        app.publisher_json(Method::POST, "/api/courses/999/sync", &[], None)
            .await,
    )
    .await;
    assert_eq!(status, 404);
}
