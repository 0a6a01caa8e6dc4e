//! Load: 200 concurrent clients for `FAULT_SUITE_LOAD_SECONDS` (default 5; the README's
//! fault-suite command runs 60) on gateway reads, file downloads and whole LTI launches,
//! against the real binary with its rate limit on (each client is its own token subject).
//! No answer other than success or 429 is allowed; p50/p99 per kind and the bridge's memory
//! after warm-up and at the end are printed, and memory must stay flat.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use moodle_sim::Sim;
use serde_json::json;
use tokio::sync::Mutex;

use super::process::{Process, memory_kib};
use super::{report, scan_logs};
use crate::helpers::{add_service_functions, http_client, shared_token};
use crate::lti::browser::Browser;
use crate::lti::{TEACHER, begin_launch, finish_launch, log_in};

const CLIENTS: usize = 200;

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    limited: usize,
    failures: Vec<String>,
}

fn seconds() -> u64 {
    std::env::var("FAULT_SUITE_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let at = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[at]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_clients_get_answers_or_429_and_memory_stays_flat() {
    let sim = Sim::start(crate::helpers::sim_config()).await.expect("sim");
    add_service_functions(&sim, &["core_course_search_courses"]);
    let dir = tempfile::tempdir().expect("dir");
    let token = sim.token("admin_bridge").expect("token");
    let env = [
        ("DATA_DIR", dir.path().display().to_string()),
        ("RATE_LIMIT_PER_MINUTE", "600".to_owned()),
        // Every client of this test comes from 127.0.0.1: the per-address limit of the
        // launch routes would make them one client.
        ("LTI_RATE_LIMIT_PER_MINUTE", "0".to_owned()),
        ("LOG_LEVEL", "info".to_owned()),
        ("LTI_ISSUER", sim.url().to_owned()),
        (
            "LTI_CLIENT_ID",
            moodle_sim::lti::RECORDED_CLIENT_ID.to_owned(),
        ),
        ("LTI_DEPLOYMENT_ID", "1".to_owned()),
    ];
    let bridge = Process::start(sim.url(), &token, &env, &dir.path().join("bridge.log")).await;
    bridge::cli::demo::point_stand_in_at(&sim, &bridge.url);
    let uploader =
        shared_token(json!({"sub": "load-uploader", "scope": "moodle:read moodle:write"}));
    let form = reqwest::multipart::Form::new().text("course_id", "2").part(
        "files",
        reqwest::multipart::Part::bytes(vec![42u8; 1 << 20]).file_name("load.bin"),
    );
    let (status, uploaded) = crate::helpers::status_json(
        http_client()
            .post(format!("{}/upload_files", bridge.url))
            .bearer_auth(&uploader)
            .multipart(form)
            .send()
            .await
            .expect("upload"),
    )
    .await;
    assert_eq!(status, 200, "{uploaded}");
    let file_id = uploaded["files"][0]["id"].as_str().expect("id").to_owned();

    let tallies: Vec<Arc<Mutex<Tally>>> = (0..3).map(|_| Arc::default()).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for i in 0..CLIENTS {
        let kind = match i % 20 {
            0 => 2,     // launches: 5 % of the clients
            1..=6 => 1, // downloads: 30 %
            _ => 0,     // gateway reads: 65 %
        };
        let tally = tallies[kind].clone();
        let stop = stop.clone();
        let base = bridge.url.clone();
        let sim_url = sim.url().to_owned();
        let file = file_id.clone();
        clients.push(tokio::spawn(async move {
            let http = http_client();
            // Downloaders fetch the uploader's file: they see every stored file.
            let scope = if kind == 1 {
                "moodle:read files:admin"
            } else {
                "moodle:read"
            };
            let bearer = shared_token(json!({"sub": format!("load-{i}"), "scope": scope}));
            let browser = Browser::new();
            if kind == 2 {
                log_in(&browser, &sim_url, TEACHER).await;
            }
            // Each client does at least one request, however late its turn comes.
            let mut first = true;
            while first || !stop.load(Ordering::Relaxed) {
                first = false;
                let started = Instant::now();
                let status = match kind {
                    0 => {
                        http.get(format!("{base}/api/moodle/courses"))
                            .bearer_auth(&bearer)
                            .send()
                            .await
                    }
                    1 => {
                        http.get(format!("{base}/download_file/{file}"))
                            .bearer_auth(&bearer)
                            .send()
                            .await
                    }
                    _ => {
                        let step = begin_launch(&browser, &sim_url, 8).await;
                        let page = finish_launch(&browser, &step).await;
                        let took = started.elapsed();
                        let mut t = tally.lock().await;
                        if page.status == 200 {
                            t.latencies.push(took);
                        } else {
                            t.failures.push(format!("launch {}", page.status));
                        }
                        continue;
                    }
                };
                let outcome = match status {
                    Ok(r) => {
                        let code = r.status().as_u16();
                        // Read the whole body: a download is only done when its bytes are.
                        let _ = r.bytes().await;
                        Ok(code)
                    }
                    Err(e) => Err(e.to_string()),
                };
                let took = started.elapsed();
                let mut t = tally.lock().await;
                match outcome {
                    Ok(200) => t.latencies.push(took),
                    Ok(429) => t.limited += 1,
                    Ok(code) => t.failures.push(format!("{code}")),
                    Err(e) => t.failures.push(e),
                }
            }
        }));
    }
    let total = Duration::from_secs(seconds());
    tokio::time::sleep(total / 3).await;
    let (_, warm) = memory_kib(bridge.pid());
    tokio::time::sleep(total - total / 3).await;
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.expect("client");
    }
    let (peak, end) = memory_kib(bridge.pid());
    let mut failures = Vec::new();
    for (kind, tally) in ["gateway read", "file download", "LTI launch"]
        .iter()
        .zip(&tallies)
    {
        let mut t = tally.lock().await;
        t.latencies.sort();
        report(
            "load",
            &format!("{CLIENTS} clients, {} s", total.as_secs()),
            kind,
            &format!(
                "{} ok, {} × 429, {} other",
                t.latencies.len(),
                t.limited,
                t.failures.len()
            ),
            &format!(
                "p50 {:.1} ms p99 {:.1} ms",
                percentile(&t.latencies, 0.5).as_secs_f64() * 1e3,
                percentile(&t.latencies, 0.99).as_secs_f64() * 1e3
            ),
            "",
        );
        failures.extend(t.failures.iter().take(5).map(|f| format!("{kind}: {f}")));
        assert!(!t.latencies.is_empty(), "{kind}: some requests succeed");
    }
    report(
        "load",
        "memory",
        "the bridge's resident memory",
        &format!("after warm-up {} MiB", warm / 1024),
        &format!("at the end {} MiB", end / 1024),
        &format!("peak {} MiB", peak / 1024),
    );
    assert!(failures.is_empty(), "only successes and 429s: {failures:?}");
    assert!(
        end < warm + warm / 2 + 16 * 1024,
        "memory flat: {warm} KiB then {end} KiB"
    );
    scan_logs(
        std::slice::from_ref(&bridge.log),
        &[token.as_str(), uploader.as_str()],
    );
}
