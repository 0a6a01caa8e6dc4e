//! The real `moodle-bridge` binary: a push killed with `kill -9` half-way (between two batches
//! of activities) is resumed by the next start on the same database, and Moodle ends with one
//! course and one activity per asset; `moodle-bridge push` shows a progress bar and `sync status|retry` report.

use std::process::Stdio;
use std::time::Duration;

use moodle_sim::{Fault, FaultRule, Sim, Target};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

use super::helpers::{moodle_courses, moodle_modules};
use crate::helpers::{
    SECRET_KEY, SHARED_SECRET, add_service_functions, http_client, shared_token, status_json,
};

fn bridge(sim: &Sim, data_dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_moodle-bridge"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MOODLE_BASE_URL", sim.url())
        .env("MOODLE_TOKEN", sim.token("admin_bridge").expect("token"))
        .env("MOODLE_SERVICE", "bridge")
        .env("SECRET_KEY", SECRET_KEY)
        .env("AUTH_HS256_SECRET", SHARED_SECRET)
        .env("DATA_DIR", data_dir)
        .env("RATE_LIMIT_PER_MINUTE", "0")
        .env("JOB_LEASE_SECONDS", "2")
        // Batches of five, so a kill lands between two of them.
        .env("LMS_BATCH_SIZE", "5")
        .current_dir(std::env::temp_dir())
        .kill_on_drop(true);
    cmd
}

/// Starts `serve` and answers the child and its base URL; its log is drained in the background.
async fn serve(sim: &Sim, data_dir: &std::path::Path) -> (Child, String) {
    let mut child = bridge(sim, data_dir)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let port = loop {
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the bridge logs its port")
            .expect("read")
            .expect("a line before exit");
        if let Ok(v) = serde_json::from_str::<Value>(&line)
            && v["message"] == "moodle-bridge listening"
        {
            break v["port"].as_u64().expect("port");
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, format!("http://127.0.0.1:{port}"))
}

async fn call(
    base: &str,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (u16, Value) {
    let token = shared_token(json!({"sub": "binary-test", "scope": "moodle:read moodle:write"}));
    let mut request = http_client()
        .request(method, format!("{base}{path}"))
        .bearer_auth(token);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    status_json(request.send().await.expect("request")).await
}

/// A course with `n` pages, made through the running bridge; answers its id.
async fn course_with_pages(base: &str, n: usize) -> i64 {
    let (status, course) = call(
        base,
        reqwest::Method::POST,
        "/api/courses",
        &[],
        Some(json!({"name": "Resumable"})),
    )
    .await;
    assert_eq!(status, 201, "{course}");
    let id = course["id"].as_i64().expect("id");
    for i in 0..n {
        let body = json!({"asset_name": format!("page-{i:02}"), "asset_type": "page", "asset_content": format!("<p>Page {i}</p>")});
        let (status, body) = call(
            base,
            reqwest::Method::POST,
            &format!("/api/courses/{id}/assets"),
            &[],
            Some(body),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    id
}

#[tokio::test]
async fn a_push_killed_half_way_is_resumed_after_a_restart_without_duplicates() {
    const PAGES: usize = 30;
    let sim = Sim::start(crate::helpers::sim_config()).await.expect("sim");
    add_service_functions(&sim, &[]);
    let dir = tempfile::tempdir().expect("dir");
    let (mut first, base) = serve(&sim, dir.path()).await;
    let course = course_with_pages(&base, PAGES).await;
    let login = json!({"email": "admin", "password": "Admin123!x"});
    let (status, login) = call(
        &base,
        reqwest::Method::POST,
        "/api/login-lms",
        &[],
        Some(login),
    )
    .await;
    assert_eq!(status, 200, "{login}");
    let lms = login["data"]["token"].as_str().expect("token").to_owned();
    // Moodle answers as a real site does, slowly enough to be killed half-way.
    sim.faults().inject(FaultRule {
        fault: Fault::Latency { ms: 60 },
        target: Target::Any,
        times: None,
    });
    let names: Vec<String> = (0..PAGES).map(|i| format!("page-{i:02}")).collect();
    let body = json!({"asset_names": names, "asset_type": ["page"]});
    let path = format!("/api/courses/{course}/push-to-lms?async=1");
    let (status, queued) = call(
        &base,
        reqwest::Method::POST,
        &path,
        &[("x-lms-token", &lms)],
        Some(body),
    )
    .await;
    assert_eq!(status, 202, "{queued}");
    let job = queued["job_id"].as_str().expect("job").to_owned();
    let prefix = format!("bridge:{course}:");
    let made = |sim: &Sim| {
        sim.with_state(|s| {
            s.cms
                .values()
                .filter(|m| {
                    m.idnumber
                        .as_deref()
                        .is_some_and(|i| i.starts_with(&prefix))
                })
                .count()
        })
    };
    for _ in 0..1000 {
        if made(&sim) >= 8 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.kill().await.expect("kill -9");
    let at_kill = made(&sim);
    assert!(
        (8..PAGES).contains(&at_kill),
        "killed half-way: {at_kill} of {PAGES}"
    );
    let (mut second, base) = serve(&sim, dir.path()).await;
    let mut state = Value::Null;
    for _ in 0..300 {
        let (status, body) = call(
            &base,
            reqwest::Method::GET,
            &format!("/api/jobs/{job}"),
            &[],
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        state = body;
        if state["state"] == "succeeded" || state["state"] == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state["state"], "succeeded", "{state}");
    assert_eq!(state["attempts"], 2, "taken over once: {state}");
    assert_eq!(
        state["result"]["exported_assets"].as_array().map(Vec::len),
        Some(PAGES)
    );
    let courses = moodle_courses(&sim, &format!("bridge:{course}"));
    assert_eq!(courses.len(), 1, "exactly one course: {courses:?}");
    let mut idnumbers: Vec<String> = moodle_modules(&sim, courses[0].0)
        .into_iter()
        .map(|m| m.2)
        .collect();
    idnumbers.sort();
    let expected: Vec<String> = (0..PAGES).map(|i| format!("{prefix}page-{i:02}")).collect();
    assert_eq!(idnumbers, expected, "exactly one activity per asset");
    second.kill().await.expect("stop");
}

#[tokio::test]
async fn the_command_line_pushes_with_a_progress_bar_and_reports_the_sync_state() {
    let sim = Sim::start(crate::helpers::sim_config()).await.expect("sim");
    add_service_functions(&sim, &[]);
    let dir = tempfile::tempdir().expect("dir");
    let (mut server, base) = serve(&sim, dir.path()).await;
    let course = course_with_pages(&base, 3).await;
    server.kill().await.expect("stop");
    let raw = sim.token("admin_bridge").expect("token");
    let out = bridge(&sim, dir.path())
        .args(["push", &course.to_string()])
        .env("LMS_TOKEN", &raw)
        .output()
        .await
        .expect("runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.starts_with("pushed to default: Moodle course "),
        "{stdout}"
    );
    assert!(
        stderr.contains("[##########") && stderr.contains("3/3"),
        "a progress bar: {stderr}"
    );
    assert!(!stderr.contains(&raw), "no token in the output");
    assert_eq!(moodle_courses(&sim, &format!("bridge:{course}")).len(), 1);
    let out = bridge(&sim, dir.path())
        .args(["sync", "status", "--json"])
        .output()
        .await
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let status: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        (
            status["assets"]["synced"].as_i64(),
            status["courses"]["synced"].as_i64()
        ),
        (Some(3), Some(1)),
        "{status}"
    );
    let out = bridge(&sim, dir.path())
        .args(["sync", "retry"])
        .output()
        .await
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 push(es) retried"));
    let out = bridge(&sim, dir.path())
        .args(["push", "999"])
        .env("LMS_TOKEN", &raw)
        .output()
        .await
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("push failed (not_found): Course not found")
    );
}
