//! The publisher's tables on SQLite and PostgreSQL: a job is claimed by one process at a
//! time and taken over when its lease lapses; a push, a re-push and the sync state work on
//! PostgreSQL as on SQLite.

use std::time::Duration;

use bridge::db::Db;
use bridge::jobs::{JobState, Jobs, NewJob, Sealed};
use serde_json::json;

use super::helpers::{DEMO_ASSETS, options, push_body, writes};
use crate::helpers::{postgres_database, spawn_app_with, status_json};

async fn a_job_is_claimed_once_and_taken_over_when_its_lease_lapses(url: &str) {
    let db = Db::connect(url).await.expect("db");
    db.migrate().await.expect("migrate");
    let first = Jobs::new(db.clone(), Duration::from_secs(2));
    let second = Jobs::new(db.clone(), Duration::from_secs(2));
    let id = first
        .enqueue(NewJob {
            kind: "push",
            owner: "owner-1".to_owned(),
            work_key: "course:1@default".to_owned(),
            args: json!({"course_id": 1}),
            credential: Some(Sealed("v1.sealed".to_owned())),
        })
        .await
        .expect("enqueue");
    let claimed = first.claim().await.expect("claim").expect("a job");
    assert_eq!(
        (claimed.id.as_str(), claimed.state, claimed.attempts),
        (id.as_str(), JobState::Running, 1)
    );
    assert_eq!(claimed.credential, Some(Sealed("v1.sealed".to_owned())));
    assert!(
        second.claim().await.expect("claim").is_none(),
        "held by the first"
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let taken = second.claim().await.expect("claim").expect("taken over");
    assert_eq!((taken.id.as_str(), taken.attempts), (id.as_str(), 2));
    second
        .retry_later(&id, Duration::ZERO, &json!({"status": 503}))
        .await
        .expect("requeue");
    let waiting = first.get(&id).await.expect("get").expect("job");
    assert_eq!(
        (waiting.state, waiting.attempts),
        (JobState::Queued, 1),
        "waiting does not count"
    );
    let again = first
        .claim()
        .await
        .expect("claim")
        .expect("claimable again");
    assert_eq!(again.attempts, 2);
    first
        .event(&id, "progress", &json!({"done": 1, "total": 1}))
        .await;
    let events = first.events_after(&id, 0).await.expect("events");
    assert_eq!(events.len(), 1);
    assert!(
        first
            .events_after(&id, events[0].id)
            .await
            .expect("events")
            .is_empty()
    );
    first
        .succeed(&id, &json!({"lms_course_id": "7"}))
        .await
        .expect("succeed");
    let done = second.get(&id).await.expect("get").expect("job");
    assert_eq!(
        (done.state, done.result),
        (JobState::Succeeded, Some(json!({"lms_course_id": "7"})))
    );
    assert!(done.finished_at_ms.is_some());
    assert_eq!(
        second
            .latest(("push", "auto-push"), "course:1@default")
            .await
            .expect("latest")
            .map(|j| j.id),
        Some(id)
    );
    assert_eq!(
        first.counts(Some("owner-1")).await.expect("counts"),
        [("succeeded".to_owned(), 1)]
    );
    assert!(
        first
            .counts(Some("someone-else"))
            .await
            .expect("counts")
            .is_empty()
    );
    db.close().await;
}

#[tokio::test]
async fn jobs_are_claimed_and_taken_over_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("jobs.db").display());
    a_job_is_claimed_once_and_taken_over_when_its_lease_lapses(&url).await;
}

#[tokio::test]
async fn jobs_are_claimed_and_taken_over_on_postgresql() {
    let Some(url) = postgres_database().await else {
        return;
    };
    a_job_is_claimed_once_and_taken_over_when_its_lease_lapses(&url).await;
}

#[tokio::test]
async fn a_push_a_repush_and_the_sync_state_work_on_postgresql() {
    let Some(url) = postgres_database().await else {
        return;
    };
    let app = spawn_app_with(options().env("DATABASE_URL", &url)).await;
    let course = app.demo_course().await;
    let token = app.lms_token().await;
    let (status, body) = status_json(
        app.push(&course.to_string(), &token, &push_body(&DEMO_ASSETS))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let before = writes(&app.sim);
    let (status, _) = status_json(
        app.push(&course.to_string(), &token, &push_body(&DEMO_ASSETS))
            .await,
    )
    .await;
    assert_eq!((status, writes(&app.sim)), (200, before));
    let state = app.sync_status().await;
    assert_eq!(
        (
            state["assets"]["synced"].as_i64(),
            state["courses"]["synced"].as_i64()
        ),
        (Some(7), Some(1)),
        "{state}"
    );
    assert_eq!(state["jobs"]["succeeded"], 2, "{state}");
}
