//! `/api/events/stream`: Moodle's events as server-sent events, filtered, resumed with
//! `Last-Event-ID`.

use std::time::Duration;

use bridge::auth::{Scope, Scopes};
use futures_util::StreamExt as _;
use serde_json::Value;

use super::{fast_events, moodle_course};
use crate::helpers::{bridge_token, spawn_app_with};

/// Reads server-sent events from `response` until `n` have come (or `within` passed):
/// (id, event, data).
async fn read_events(
    response: reqwest::Response,
    n: usize,
    within: Duration,
) -> Vec<(String, String, Value)> {
    let mut stream = response.bytes_stream();
    let mut buffer = String::new();
    let mut got = Vec::new();
    let until = tokio::time::Instant::now() + within;
    while got.len() < n {
        let Ok(Some(Ok(chunk))) = tokio::time::timeout_at(until, stream.next()).await else {
            break;
        };
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let (mut id, mut event, mut data) = (String::new(), String::new(), String::new());
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().to_owned();
                } else if let Some(v) = line.strip_prefix("event:") {
                    event = v.trim().to_owned();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim());
                }
            }
            if !data.is_empty() {
                got.push((id, event, serde_json::from_str(&data).expect("JSON data")));
            }
        }
    }
    got
}

#[tokio::test]
async fn the_stream_sends_new_events_and_resumes_after_the_last_event_id() {
    let app = spawn_app_with(fast_events()).await;
    let token = bridge_token(Scopes::NONE.with(Scope::EventsRead));
    let open = |last: Option<String>| {
        let mut req = app
            .http
            .get(format!(
                "{}/api/events/stream?types=course.created",
                app.url
            ))
            .bearer_auth(&token);
        if let Some(last) = last {
            req = req.header("last-event-id", last);
        }
        req.send()
    };
    let first = open(None).await.expect("stream");
    assert_eq!(first.status(), 200);
    let a = moodle_course(&app.sim, "STREAM1").await;
    let got = read_events(first, 1, Duration::from_secs(20)).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let (id, event, data) = &got[0];
    assert_eq!(
        (event.as_str(), data["course_id"].as_i64()),
        ("course.created", Some(a))
    );
    assert_eq!(&data["id"], id);

    // Two more while nobody listens; resuming after the first gives exactly them.
    let b = moodle_course(&app.sim, "STREAM2").await;
    let c = moodle_course(&app.sim, "STREAM3").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let resumed = open(Some(id.clone())).await.expect("stream");
    let got = read_events(resumed, 2, Duration::from_secs(20)).await;
    let courses: Vec<i64> = got
        .iter()
        .filter_map(|(_, _, d)| d["course_id"].as_i64())
        .collect();
    assert_eq!(courses, [b, c]);
    app.stop().await;
}
