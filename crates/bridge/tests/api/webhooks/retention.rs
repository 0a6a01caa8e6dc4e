//! Retention: events past `EVENTS_RETENTION_DAYS` are forgotten with their settled deliveries,
//! while an event still pending for a subscription is kept until it is delivered or fails.

use std::time::Duration;

use serde_json::json;

use super::receiver::{Mode, Receiver};
use super::{fast_events, moodle_course, subscribe};
use crate::helpers::{SECRET_KEY, spawn_app_with};

#[tokio::test]
async fn old_events_are_forgotten_unless_a_delivery_still_waits_for_them() {
    let app = spawn_app_with(fast_events()).await;
    let receiver = Receiver::start().await;
    receiver.set(Mode::Fail(503));
    subscribe(
        &app.url,
        "app",
        &receiver.url,
        &["course.created"],
        json!({}),
    )
    .await;
    moodle_course(&app.sim, "KEEP1").await;
    moodle_course(&app.sim, "KEEP2").await;
    // Another kind of event nobody subscribed to: nothing waits for it.
    super::moodle_write(
        &app.sim,
        "core_course_update_courses",
        &json!({"courses": [{"id": 2, "fullname": "Physics, renamed"}]}),
    )
    .await;

    let db = bridge::db::Db::connect(&app.database_url)
        .await
        .expect("db");
    let hooks = bridge::webhooks::Webhooks::new(
        db,
        &moodle_ws::Secret::new(SECRET_KEY),
        bridge::config::Config::from_env(
            &bridge::config::Env::from_pairs([]),
            bridge::config::Needs {
                moodle: false,
                secret_key: false,
            },
        )
        .expect("defaults")
        .webhooks,
    );
    let until = tokio::time::Instant::now() + Duration::from_secs(20);
    let stored = loop {
        let stored = hooks.events_after(0, 100).await.expect("events");
        if stored.len() >= 3 || tokio::time::Instant::now() >= until {
            break stored;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(stored.len(), 3, "{stored:?}");

    // Everything is older than "now + 1 s": only the two pending course.created stay.
    let later = bridge::webhooks::now_ms() + 1000;
    hooks.purge_before(later).await.expect("purge");
    let left: Vec<String> = hooks
        .events_after(0, 100)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(left, ["course.created", "course.created"]);

    // Delivered, they go too.
    receiver.set(Mode::Accept);
    receiver
        .wait_for(Duration::from_secs(20), |g| g.len() >= 2)
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    hooks.purge_before(later).await.expect("purge");
    assert!(hooks.events_after(0, 100).await.expect("events").is_empty());
    app.stop().await;
}
