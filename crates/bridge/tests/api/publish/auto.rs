//! Automatic sync: a local change is pushed by itself once the course stays unchanged for
//! `LMS_AUTO_SYNC_DELAY`, a burst of changes making one push, with the course's last LMS
//! token; a course's own `auto_sync` overrides `LMS_AUTO_SYNC`; a failed automatic push is
//! tried again with backoff and shows in `/api/sync/status` meanwhile.

use std::time::Duration;

use moodle_sim::state::ModInstance;
use moodle_sim::{Fault, FaultRule};
use reqwest::Method;
use serde_json::{Value, json};

use super::helpers::{DEMO_ASSETS, options, push_body};
use crate::helpers::{TestApp, spawn_app_with, status_json};

async fn change_intro(app: &TestApp, course: i64, text: &str) {
    let response = app
        .publisher_json(
            Method::PATCH,
            &format!("/api/courses/{course}/assets/intro"),
            &[],
            Some(&json!({"asset_content": text})),
        )
        .await;
    assert_eq!(response.status(), 200);
}

fn page_text(app: &TestApp, course: i64) -> Option<String> {
    app.sim.with_state(|s| {
        s.cms
            .values()
            .find(|m| m.idnumber.as_deref() == Some(&format!("bridge:{course}:intro")))
            .and_then(|m| match &m.kind {
                ModInstance::Page { content } => Some(content.clone()),
                _ => None,
            })
    })
}

/// Waits (at most 15 s) until `done` holds.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..300 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen within 15 s");
}

async fn pushed_demo(app: &TestApp) -> i64 {
    let course = app.demo_course().await;
    let token = app.lms_token().await;
    let (status, body) = status_json(
        app.push(&course.to_string(), &token, &push_body(&DEMO_ASSETS))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    course
}

#[tokio::test]
async fn a_burst_of_changes_is_pushed_by_itself_once_after_the_quiet_period() {
    let app = spawn_app_with(
        options()
            .env("LMS_AUTO_SYNC", "true")
            .env("LMS_AUTO_SYNC_DELAY", "700ms"),
    )
    .await;
    let course = pushed_demo(&app).await;
    let updates = app.sim.calls("local_bridge_update_module");
    for text in ["<p>One</p>", "<p>Two</p>", "<p>Three</p>"] {
        change_intro(&app, course, text).await;
    }
    // The changes reach the scheduler through a channel: wait for the first to be seen.
    let mut status = app.sync_status().await;
    for _ in 0..100 {
        if status["auto_sync"]["scheduled"] != json!([]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        status = app.sync_status().await;
    }
    let scheduled = status["auto_sync"]["scheduled"].as_array().expect("list");
    assert_eq!(scheduled.len(), 1, "one push for the burst: {status}");
    assert_eq!(
        (
            scheduled[0]["course_id"].as_i64(),
            scheduled[0]["state"].as_str()
        ),
        (Some(course), Some("queued"))
    );
    assert_eq!(status["auto_sync"]["enabled"], true);
    assert_eq!(
        page_text(&app, course).as_deref(),
        Some("<h2>Welcome</h2><p>Start here.</p>")
    );
    eventually("the automatic push", || {
        page_text(&app, course).as_deref() == Some("<p>Three</p>")
    })
    .await;
    assert_eq!(app.sim.calls("local_bridge_update_module"), updates + 1);
    // Moodle has the change before the job records its outcome: wait for the job to end.
    let mut status = app.sync_status().await;
    for _ in 0..300 {
        if status["jobs"]["running"].as_i64().unwrap_or(0) == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        status = app.sync_status().await;
    }
    assert_eq!(status["assets"]["synced"], 7, "{status}");
    assert_eq!(app.sim.calls("local_bridge_update_module"), updates + 1);
}

#[tokio::test]
async fn a_course_says_for_itself_whether_it_syncs_automatically() {
    // Off by default; on for one course.
    let app = spawn_app_with(options().env("LMS_AUTO_SYNC_DELAY", "200ms")).await;
    let quiet = pushed_demo(&app).await;
    let eager = pushed_demo(&app).await;
    let (status, body) = status_json(
        app.publisher_json(
            Method::PATCH,
            &format!("/api/courses/{eager}"),
            &[],
            Some(&json!({"auto_sync": true})),
        )
        .await,
    )
    .await;
    assert_eq!((status, &body["auto_sync"]), (200, &json!(true)), "{body}");
    change_intro(&app, quiet, "<p>Quiet</p>").await;
    change_intro(&app, eager, "<p>Eager</p>").await;
    eventually("the eager course's push", || {
        page_text(&app, eager).as_deref() == Some("<p>Eager</p>")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_ne!(page_text(&app, quiet).as_deref(), Some("<p>Quiet</p>"));
    let status = app.sync_status().await;
    assert_eq!(
        status["assets"]["out_of_date"], 1,
        "the quiet course's change waits: {status}"
    );
    let (_, shown) = status_json(app.get(&format!("/api/courses/{quiet}")).await).await;
    assert_eq!(shown["auto_sync"], Value::Null);
}

#[tokio::test]
async fn a_failed_automatic_push_is_tried_again_with_backoff_and_shows_meanwhile() {
    let app = spawn_app_with(
        options()
            .env("LMS_AUTO_SYNC", "1")
            .env("LMS_AUTO_SYNC_DELAY", "300ms"),
    )
    .await;
    let course = pushed_demo(&app).await;
    // Moodle's answer to the update is spoiled once.
    app.sim
        .faults()
        .inject(FaultRule::on_function("local_bridge_update_module", Fault::PhpWarning).times(1));
    change_intro(&app, course, "<p>Retried</p>").await;
    let mut seen: Option<Value> = None;
    for _ in 0..200 {
        let status = app.sync_status().await;
        // The job is queued again a moment before the failed asset is listed (two records):
        // wait for both.
        if let Some(entry) = status["auto_sync"]["scheduled"]
            .as_array()
            .and_then(|l| l.first())
            .filter(|e| e["attempts"].as_i64() == Some(1) && e["state"] == "queued")
            .filter(|_| status["failed"].as_array().is_some_and(|f| !f.is_empty()))
        {
            seen = Some(json!({"entry": entry, "failed": status["failed"]}));
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let seen = seen.expect("the failed attempt shows, waiting to be tried again");
    assert!(
        seen["entry"]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot read")),
        "{seen}"
    );
    assert_eq!(seen["failed"][0]["asset_name"], "intro", "{seen}");
    eventually("the second attempt", || {
        page_text(&app, course).as_deref() == Some("<p>Retried</p>")
    })
    .await;
    let mut status = app.sync_status().await;
    for _ in 0..100 {
        if status["auto_sync"]["scheduled"] == json!([]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        status = app.sync_status().await;
    }
    assert_eq!(status["auto_sync"]["scheduled"], json!([]), "{status}");
    assert_eq!(status["assets"]["failed"], 0, "{status}");
}
