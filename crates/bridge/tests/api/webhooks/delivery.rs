//! Deliveries from the stand-in's outbox to loopback receivers: signed, in order, the bridge's
//! own events only when asked (no echo loops), everything after a receiver outage and nothing
//! twice, a subscription disabled when its receiver stays down, and replays.

use std::collections::HashSet;
use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use super::receiver::{Delivery, Mode, Receiver};
use super::{call, fast_events, manager_token, moodle_course, subscribe};
use crate::helpers::spawn_app_with;

const WAIT: Duration = Duration::from_secs(20);

fn types_and_courses(got: &[Delivery]) -> Vec<(String, i64)> {
    got.iter()
        .map(|d| {
            (
                d.event["type"].as_str().unwrap_or_default().to_owned(),
                d.event["course_id"].as_i64().unwrap_or_default(),
            )
        })
        .collect()
}

fn numbers(got: &[Delivery]) -> Vec<i64> {
    got.iter()
        .map(|d| d.id.trim_start_matches("evt_").parse().expect("evt_<n>"))
        .collect()
}

#[tokio::test]
async fn events_arrive_signed_and_the_bridges_own_only_where_asked_for() {
    let app = spawn_app_with(fast_events()).await;
    let all = Receiver::start().await;
    let plain = Receiver::start().await;
    let (_, all_secret) = subscribe(
        &app.url,
        "app",
        &all.url,
        &["course.*"],
        json!({"include_bridge_events": true}),
    )
    .await;
    let (_, plain_secret) =
        subscribe(&app.url, "app", &plain.url, &["course.created"], json!({})).await;

    // One course through the bridge (its own write), one made in Moodle by someone else.
    let (status, ours) = crate::helpers::status_json(
        app.create_course(&json!({"fullname": "Echo", "shortname": "ECHO1", "categoryid": 1}))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{ours}");
    let ours = ours["data"]["id"].as_i64().expect("id");
    let theirs = moodle_course(&app.sim, "MOODLE1").await;

    let got = all.wait_for(WAIT, |g| g.len() >= 2).await;
    assert_eq!(
        types_and_courses(&got),
        [
            ("course.created".to_owned(), ours),
            ("course.created".to_owned(), theirs)
        ],
        "both, in the order they happened"
    );
    assert_eq!(got[0].event["origin"], "bridge");
    assert_eq!(got[1].event["origin"], "moodle");
    assert!(got.iter().all(|d| d.verifies(&all_secret)));
    assert!(
        got.iter().all(|d| !d.verifies(&plain_secret)),
        "each subscription signs with its own secret"
    );
    let first = &got[0].event;
    for key in [
        "id",
        "type",
        "occurred_at",
        "site",
        "course_id",
        "object",
        "origin",
        "moodle",
    ] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }
    assert_eq!(
        (&first["object"]["kind"], &first["object"]["id"]),
        (&json!("course"), &json!(ours))
    );
    assert_eq!(
        first["moodle"]["eventname"],
        "\\core\\event\\course_created"
    );

    // The subscription without the bridge's events gets only Moodle's: no echo.
    let got = plain.wait_for(WAIT, |g| !g.is_empty()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = if got.len() == 1 {
        plain.received()
    } else {
        got
    };
    assert_eq!(
        types_and_courses(&got),
        [("course.created".to_owned(), theirs)]
    );
    assert!(got[0].verifies(&plain_secret));
    app.stop().await;
}

#[tokio::test]
async fn a_receiver_down_for_a_while_gets_everything_afterwards_in_order_and_nothing_twice() {
    let app = spawn_app_with(fast_events()).await;
    let receiver = Receiver::start().await;
    receiver.set(Mode::Fail(503));
    let (id, secret) = subscribe(
        &app.url,
        "app",
        &receiver.url,
        &["course.created"],
        json!({}),
    )
    .await;
    let mut made = Vec::new();
    for n in 0..5 {
        made.push(moodle_course(&app.sim, &format!("DOWN{n}")).await);
    }
    // Refused a few times with backoff, then back.
    let until = tokio::time::Instant::now() + WAIT;
    while receiver.refused() < 3 && tokio::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(receiver.refused() >= 3, "retried while down");
    assert!(receiver.received().is_empty());
    receiver.set(Mode::Accept);
    let got = receiver.wait_for(WAIT, |g| g.len() >= 5).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = if got.len() == 5 {
        receiver.received()
    } else {
        got
    };
    let courses: Vec<i64> = types_and_courses(&got)
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    assert_eq!(courses, made, "all five, in order");
    let ids = numbers(&got);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "increasing ids: {ids:?}"
    );
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        5,
        "nothing twice: {ids:?}"
    );
    assert!(got.iter().all(|d| d.verifies(&secret)));

    // The deliveries say what happened.
    let (status, list) = call(
        &app.url,
        &manager_token("app"),
        Method::GET,
        &format!("/api/webhooks/{id}/deliveries"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    let list = list["data"].as_array().expect("list").clone();
    assert_eq!(list.len(), 5);
    assert!(list.iter().all(|d| d["state"] == "delivered"), "{list:?}");
    let oldest = list.last().expect("oldest");
    assert!(oldest["attempts"].as_i64() >= Some(3), "{oldest}");
    assert_eq!(oldest["last_status"], 200);
    app.stop().await;
}

#[tokio::test]
async fn a_receiver_that_stays_down_gets_its_subscription_disabled_with_the_deliveries_kept() {
    let app = spawn_app_with(fast_events().env("WEBHOOK_RETRY_SECONDS", "2")).await;
    let receiver = Receiver::start().await;
    receiver.set(Mode::Fail(500));
    let (id, _) = subscribe(
        &app.url,
        "app",
        &receiver.url,
        &["course.created"],
        json!({}),
    )
    .await;
    moodle_course(&app.sim, "GONE1").await;
    moodle_course(&app.sim, "GONE2").await;
    let token = manager_token("app");
    let until = tokio::time::Instant::now() + WAIT;
    let webhook = loop {
        let (_, w) = call(
            &app.url,
            &token,
            Method::GET,
            &format!("/api/webhooks/{id}"),
            None,
        )
        .await;
        if w["data"]["active"] == false || tokio::time::Instant::now() >= until {
            break w["data"].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(webhook["active"], false, "{webhook}");
    let reason = webhook["disabled_reason"].as_str().unwrap_or_default();
    assert!(reason.contains("answered 500"), "{reason}");
    let (_, list) = call(
        &app.url,
        &token,
        Method::GET,
        &format!("/api/webhooks/{id}/deliveries"),
        None,
    )
    .await;
    let states: Vec<&str> = list["data"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|d| d["state"].as_str())
        .collect();
    assert_eq!(states, ["failed", "failed"], "{list}");

    // Back up, resumed and replayed: both arrive.
    receiver.set(Mode::Accept);
    let (status, _) = call(
        &app.url,
        &token,
        Method::PATCH,
        &format!("/api/webhooks/{id}"),
        Some(&json!({"active": true})),
    )
    .await;
    assert_eq!(status, 200);
    let first = list["data"]
        .as_array()
        .and_then(|l| l.last())
        .and_then(|d| d["event_id"].as_str())
        .expect("oldest")
        .to_owned();
    let (status, replayed) = call(
        &app.url,
        &token,
        Method::POST,
        &format!("/api/webhooks/{id}/replay"),
        Some(&json!({"from_event_id": first})),
    )
    .await;
    assert_eq!(
        (status, replayed["data"]["queued"].as_i64()),
        (202, Some(2)),
        "{replayed}"
    );
    let got = receiver.wait_for(WAIT, |g| g.len() >= 2).await;
    assert_eq!(got.len(), 2);
    app.stop().await;
}
