//! The fault suite (`scripts/fault-suite`, and a short form in `scripts/test`): Moodle
//! misbehaving in every way a network service can, processes killed with `kill -9`, the
//! database and the storage going away, two instances sharing one database and one
//! storage, and a load test. Each case prints one line: what was sent, what came back and
//! what was lost or duplicated (must be nothing). `FAULT_SUITE_LOAD_SECONDS` sets the
//! length of the load test (the README command: 60; CI: 5).

mod database;
mod kills;
mod load;
mod moodle;
mod process;
mod proxy;
mod storage;
mod two_instances;
mod webhooks;

use std::path::PathBuf;
use std::time::Duration;

use moodle_sim::Sim;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{http_client, shared_token, status_json};

/// `Authorization` for the suite's requests: a token of the kind the seeds' applications
/// sign (HS256 with the shared secret).
pub fn auth() -> String {
    format!(
        "Bearer {}",
        shared_token(json!({"sub": "fault-suite", "scope": "moodle:read moodle:write"}))
    )
}

/// A JSON request to a bridge process with [`auth`]; its status and body.
pub async fn call(
    base: &str,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> (u16, Value) {
    let mut request = http_client()
        .request(method, format!("{base}{path}"))
        .header("authorization", auth())
        .timeout(Duration::from_secs(30));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    status_json(request.send().await.expect("the bridge answers")).await
}

/// What Moodle holds of a pushed local course: (courses, activities) with its ID numbers.
pub fn pushed(sim: &Sim, course: i64) -> (usize, usize) {
    let idnumber = format!("bridge:{course}");
    let prefix = format!("{idnumber}:");
    sim.with_state(|s| {
        (
            s.courses
                .values()
                .filter(|c| c.idnumber == idnumber)
                .count(),
            s.cms
                .values()
                .filter(|m| {
                    m.idnumber
                        .as_deref()
                        .is_some_and(|i| i.starts_with(&prefix))
                })
                .count(),
        )
    })
}

/// Prints one case of the suite as a table row.
pub fn report(area: &str, trouble: &str, sent: &str, got: &str, then: &str, held: &str) {
    println!(
        "fault-suite | {area:<13} | {trouble:<28} | {sent:<40} | {got:<28} | {then:<34} | {held}"
    );
}

/// A fresh bucket on the S3-compatible test server (`BRIDGE_TEST_S3_ENDPOINT`, started by
/// `scripts/lib/s3.sh`), or `None` after one skip line.
pub async fn s3_bucket() -> Option<S3Bucket> {
    let Some(endpoint) = std::env::var("BRIDGE_TEST_S3_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())
    else {
        moodle_sim::testing::skip(
            "fault suite's S3 cases",
            "BRIDGE_TEST_S3_ENDPOINT is not set; scripts/test sets it",
            moodle_sim::testing::Dependency::InstalledByCi,
        );
        return None;
    };
    let bucket = S3Bucket {
        endpoint: endpoint.trim_end_matches('/').to_owned(),
        name: format!("suite-{}", uuid::Uuid::new_v4().simple()),
    };
    let made = http_client()
        .put(format!("{}/{}", bucket.endpoint, bucket.name))
        .send()
        .await
        .expect("the S3 test server answers");
    assert!(made.status().is_success(), "bucket made: {}", made.status());
    Some(bucket)
}

/// A bucket of the S3-compatible test server.
pub struct S3Bucket {
    endpoint: String,
    name: String,
}

impl S3Bucket {
    /// The settings that point the bridge at this bucket.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let var =
            |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
        vec![
            ("STORAGE_URL", format!("s3://{}/files", self.name)),
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", var("AWS_ACCESS_KEY_ID", "testing")),
            (
                "AWS_SECRET_ACCESS_KEY",
                var("AWS_SECRET_ACCESS_KEY", "testing"),
            ),
            ("AWS_REGION", var("AWS_REGION", "us-east-1")),
        ]
    }

    /// How many objects the bucket holds.
    pub async fn object_count(&self) -> usize {
        let listing = http_client()
            .get(format!("{}/{}?list-type=2", self.endpoint, self.name))
            .send()
            .await
            .expect("list")
            .text()
            .await
            .expect("body");
        listing.matches("<Key>").count()
    }
}

/// Asserts that no log line holds a secret: the given ones, a private key, or a JWT (every
/// token the bridge handles is one, and none may be logged).
pub fn scan_logs(logs: &[PathBuf], secrets: &[&str]) {
    let mut lines = 0;
    for log in logs {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            lines += 1;
            for secret in secrets.iter().filter(|s| s.len() >= 8) {
                assert!(
                    !line.contains(secret),
                    "{}:{} holds a secret: {line}",
                    log.display(),
                    n + 1
                );
            }
            assert!(
                !line.contains("PRIVATE KEY"),
                "{}:{} holds a private key",
                log.display(),
                n + 1
            );
            assert!(
                !line.contains(crate::helpers::SECRET_KEY)
                    && !line.contains(crate::helpers::SHARED_SECRET),
                "{}:{} holds the bridge's secret",
                log.display(),
                n + 1
            );
            assert!(
                !looks_like_jwt(line),
                "{}:{} holds a JWT: {line}",
                log.display(),
                n + 1
            );
        }
    }
    report(
        "log scan",
        "",
        &format!("{} log lines of {} processes", lines, logs.len()),
        "no secret",
        "",
        "",
    );
}

/// Whether a line holds something shaped like a signed JWT (`eyJ….eyJ….sig`).
fn looks_like_jwt(line: &str) -> bool {
    line.match_indices("eyJ").any(|(at, _)| {
        let rest = &line[at..];
        let token: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        token.split('.').count() == 3 && token.len() > 60
    })
}
