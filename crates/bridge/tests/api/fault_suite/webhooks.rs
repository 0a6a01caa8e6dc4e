//! Webhooks under faults: the bridge killed with `kill -9` in the middle of delivering (the
//! restart goes on from where it was: every event arrives, in order, at most the one in flight
//! twice), and two instances on one database delivering each event exactly once.

use std::collections::HashMap;
use std::time::Duration;

use moodle_sim::Sim;
use reqwest::Method;
use serde_json::json;

use super::process::Process;
use super::{report, scan_logs};
use crate::helpers::postgres_database;
use crate::webhooks::receiver::{Delivery, Mode, Receiver};
use crate::webhooks::{call, manager_token, moodle_course};

const EVENTS_ENV: [(&str, &str); 4] = [
    ("WEBHOOK_ALLOW_PRIVATE_TARGETS", "true"),
    ("EVENTS_POLL_INTERVAL_MS", "100"),
    ("WEBHOOK_RETRY_BASE_MS", "50"),
    // A dead instance's subscriptions are taken over 7 s after its last attempt.
    ("WEBHOOK_TIMEOUT_SECONDS", "2"),
];

fn courses(got: &[Delivery]) -> Vec<i64> {
    got.iter()
        .filter_map(|d| d.event["course_id"].as_i64())
        .collect()
}

/// How many times each event id arrived.
fn arrivals(got: &[Delivery]) -> HashMap<String, usize> {
    let mut n = HashMap::new();
    for d in got {
        *n.entry(d.id.clone()).or_insert(0) += 1;
    }
    n
}

async fn subscribe(base: &str, receiver: &Receiver) -> String {
    let (status, made) = call(
        base,
        &manager_token("fault-suite"),
        Method::POST,
        "/api/webhooks",
        Some(&json!({"url": receiver.url, "event_types": ["course.created"]})),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    made["data"]["secret"].as_str().expect("secret").to_owned()
}

#[tokio::test]
async fn a_bridge_killed_while_delivering_goes_on_after_the_restart_in_order() {
    let sim = Sim::start(crate::helpers::sim_config()).await.expect("sim");
    let token = sim.token("admin_bridge").expect("token");
    let dir = tempfile::tempdir().expect("dir");
    let mut env: Vec<(&str, String)> = EVENTS_ENV
        .iter()
        .map(|(k, v)| (*k, (*v).to_owned()))
        .collect();
    env.push(("DATA_DIR", dir.path().display().to_string()));
    let mut first = Process::start(sim.url(), &token, &env, &dir.path().join("first.log")).await;
    let receiver = Receiver::start().await;
    receiver.set(Mode::Slow(250));
    let secret = subscribe(&first.url, &receiver).await;
    let mut made = Vec::new();
    for n in 0..10 {
        made.push(moodle_course(&sim, &format!("KILL{n}")).await);
    }
    let at_kill = receiver
        .wait_for(Duration::from_secs(20), |g| g.len() >= 3)
        .await
        .len();
    first.kill9().await;
    receiver.set(Mode::Accept);
    let second = Process::start(sim.url(), &token, &env, &dir.path().join("second.log")).await;
    let got = receiver
        .wait_for(Duration::from_secs(30), |g| {
            let mut seen = courses(g);
            seen.dedup();
            seen.len() >= made.len()
        })
        .await;
    let twice: Vec<_> = arrivals(&got).into_iter().filter(|(_, n)| *n > 1).collect();
    let mut order = courses(&got);
    order.dedup();
    report(
        "kill -9",
        "while delivering webhooks",
        "10 events, receiver 250 ms each",
        &format!("{at_kill} delivered at the kill"),
        &format!("restart: {} arrivals", got.len()),
        &format!("{} twice (the one in flight)", twice.len()),
    );
    assert_eq!(order, made, "every event, in order");
    assert!(
        twice.len() <= 1,
        "only the delivery in flight may come twice: {twice:?}"
    );
    assert!(got.iter().all(|d| d.verifies(&secret)));
    scan_logs(
        &[first.log.clone(), second.log.clone()],
        &[token.as_str(), secret.as_str()],
    );
}

#[tokio::test]
async fn two_instances_on_one_database_deliver_each_event_once() {
    let Some(database_url) = postgres_database().await else {
        return;
    };
    let sim = Sim::start(crate::helpers::sim_config()).await.expect("sim");
    let token = sim.token("admin_bridge").expect("token");
    let dir = tempfile::tempdir().expect("dir");
    let mut env: Vec<(&str, String)> = EVENTS_ENV
        .iter()
        .map(|(k, v)| (*k, (*v).to_owned()))
        .collect();
    env.push(("DATA_DIR", dir.path().display().to_string()));
    env.push(("DATABASE_URL", database_url));
    let (log_a, log_b) = (dir.path().join("a.log"), dir.path().join("b.log"));
    let (a, b) = tokio::join!(
        Process::start(sim.url(), &token, &env, &log_a),
        Process::start(sim.url(), &token, &env, &log_b),
    );
    let receiver = Receiver::start().await;
    subscribe(&a.url, &receiver).await;
    let mut made = Vec::new();
    for n in 0..20 {
        made.push(moodle_course(&sim, &format!("TWO{n}")).await);
    }
    let got = receiver
        .wait_for(Duration::from_secs(30), |g| g.len() >= made.len())
        .await;
    // A little longer: a second copy would come now.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let got = if got.len() == made.len() {
        receiver.received()
    } else {
        got
    };
    let twice = arrivals(&got).values().filter(|n| **n > 1).count();
    report(
        "two instances",
        "both poll and deliver",
        "20 events from one Moodle",
        &format!("{} arrivals", got.len()),
        "",
        &format!("{twice} twice"),
    );
    assert_eq!(courses(&got), made, "each once, in order");
    scan_logs(&[a.log.clone(), b.log.clone()], &[token.as_str()]);
}
