//! Calls per second through `moodle_ws::Client` against the Moodle stand-in, side by side
//! with a raw HTTP loop (the same POSTs with plain reqwest: no encoding, decoding, retry or
//! breaker), for `core_webservice_get_site_info` and `core_course_get_courses` at 1 and 32
//! concurrent callers, three interleaved repeats each, with their spread.
//!
//! Run `scripts/bench-client` (release build, sim and load pinned to separate cores), or
//! `cargo bench -p moodle-ws --bench client` (sim in-process). Environment:
//! `MOODLE_BENCH_URL` + `MOODLE_BENCH_TOKEN` use an already running stand-in (an
//! `admin_bridge` token); `MOODLE_BENCH_SECS` sets each run's length (default 3).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use moodle_sim::{Sim, SimConfig};
use moodle_ws::Client;
use moodle_ws::functions::{course, site};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Client,
    Raw,
}

#[derive(Clone)]
struct Target {
    client: Client,
    raw: reqwest::Client,
    rest_url: String,
    token: String,
}

impl Target {
    /// One call; panics on failure so errors are never counted as throughput.
    async fn call(&self, mode: Mode, function: moodle_ws::Function) {
        match mode {
            Mode::Client if function == site::GET_SITE_INFO => {
                let info = self.client.get_site_info().await.expect("site info");
                assert_eq!(info.userid, 2);
            }
            Mode::Client => {
                let courses = self.client.get_courses(&[]).await.expect("courses");
                assert!(!courses.is_empty());
            }
            Mode::Raw => {
                let body = format!(
                    "wstoken={}&wsfunction={function}&moodlewsrestformat=json",
                    self.token
                );
                let response = self
                    .raw
                    .post(&self.rest_url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await
                    .expect("raw send");
                assert_eq!(response.status().as_u16(), 200);
                let bytes = response.bytes().await.expect("raw body");
                assert!(bytes.len() > 2);
            }
        }
    }
}

/// One run's result: calls per second, and CPU time this process spent per call.
struct Run {
    per_sec: f64,
    cpu_us: Option<f64>,
}

/// CPU time of all this process's threads, in nanoseconds (Linux `schedstat`).
fn cpu_ns() -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// Calls per second with `concurrency` callers for `length`.
async fn measure(
    target: &Target,
    mode: Mode,
    function: moodle_ws::Function,
    concurrency: usize,
    length: Duration,
) -> Run {
    let done = Arc::new(AtomicU64::new(0));
    let cpu_before = cpu_ns();
    let started = Instant::now();
    let deadline = started + length;
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let target = target.clone();
            let done = done.clone();
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    target.call(mode, function).await;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("caller task");
    }
    let calls = done.load(Ordering::Relaxed) as f64;
    let cpu_us = cpu_before
        .zip(cpu_ns())
        .map(|(a, b)| (b - a) as f64 / 1000.0 / calls);
    Run {
        per_sec: calls / started.elapsed().as_secs_f64(),
        cpu_us,
    }
}

fn stats(runs: &[f64]) -> (f64, f64) {
    let mean = runs.iter().sum::<f64>() / runs.len() as f64;
    let min = runs.iter().copied().fold(f64::INFINITY, f64::min);
    let max = runs.iter().copied().fold(0.0, f64::max);
    (mean, (max - min) / mean * 100.0)
}

async fn setup() -> (Target, Option<Sim>) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (url, token, sim) = match std::env::var("MOODLE_BENCH_URL") {
        Ok(url) => (
            url,
            std::env::var("MOODLE_BENCH_TOKEN").expect("MOODLE_BENCH_TOKEN with MOODLE_BENCH_URL"),
            None,
        ),
        Err(_) => {
            let sim = Sim::start(SimConfig::default()).await.expect("sim starts");
            let token = sim.token("admin_bridge").expect("admin token");
            (sim.url().to_owned(), token, Some(sim))
        }
    };
    let client = Client::builder(&url)
        .token(token.clone())
        .build()
        .expect("client");
    let raw = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .expect("raw client");
    let rest_url = format!("{}/webservice/rest/server.php", url.trim_end_matches('/'));
    (
        Target {
            client,
            raw,
            rest_url,
            token,
        },
        sim,
    )
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (target, sim) = setup().await;
        let secs: u64 = std::env::var("MOODLE_BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
        let length = Duration::from_secs(secs);
        let mut functions = vec![site::GET_SITE_INFO];
        match target.client.get_courses(&[]).await {
            Ok(_) => functions.push(course::GET_COURSES),
            Err(e) => println!("note: {} not benchmarked, the stand-in answered: {e}", course::GET_COURSES),
        }
        println!(
            "moodle-ws client vs raw reqwest loop; {} stand-in; {secs} s per run, 3 interleaved runs; cores visible: {}",
            if sim.is_some() { "in-process" } else { "external" },
            std::thread::available_parallelism().map_or(0, |n| n.get())
        );
        println!(
            "{:<32} {:>4} {:>22} {:>22} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "function", "conc", "client calls/s", "raw calls/s", "client µs", "raw µs", "overhead", "cpu/call", "cpu/call"
        );
        println!("{:<32} {:>4} {:>22} {:>22} {:>9} {:>9} {:>9} {:>9} {:>9}", "", "", "(± half range)", "(± half range)", "per call", "per call", "µs", "client µs", "raw µs");
        for function in functions {
            for concurrency in [1usize, 32] {
                // Warm both paths (connections, caches).
                measure(&target, Mode::Client, function, concurrency, Duration::from_millis(300)).await;
                measure(&target, Mode::Raw, function, concurrency, Duration::from_millis(300)).await;
                let (mut client_runs, mut raw_runs) = (Vec::new(), Vec::new());
                for _ in 0..3 {
                    client_runs.push(measure(&target, Mode::Client, function, concurrency, length).await);
                    raw_runs.push(measure(&target, Mode::Raw, function, concurrency, length).await);
                }
                let (client, client_spread) = stats(&client_runs.iter().map(|r| r.per_sec).collect::<Vec<_>>());
                let (raw, raw_spread) = stats(&raw_runs.iter().map(|r| r.per_sec).collect::<Vec<_>>());
                let cpu = |runs: &[Run]| {
                    let v: Option<Vec<f64>> = runs.iter().map(|r| r.cpu_us).collect();
                    v.map_or_else(|| "-".to_owned(), |v| format!("{:.1}", stats(&v).0))
                };
                // Wall time per call as throughput sees it (per caller at 1, shared at 32).
                let (client_us, raw_us) = (1e6 / client, 1e6 / raw);
                println!(
                    "{function:<32} {concurrency:>4} {:>12.0} (±{:>4.1}%) {:>12.0} (±{:>4.1}%) {client_us:>9.1} {raw_us:>9.1} {:>9.1} {:>9} {:>9}",
                    client,
                    client_spread / 2.0,
                    raw,
                    raw_spread / 2.0,
                    client_us - raw_us,
                    cpu(&client_runs),
                    cpu(&raw_runs),
                );
            }
        }
        if let Some(sim) = sim {
            sim.stop().await;
        }
    });
}
