//! The `moodle-bridge` binary itself: configuration problems stop it with exit code 2 and
//! one message naming every variable; with `MOODLE_DEBUG=true` its logs name functions and
//! durations but never a token; `token create` and `audit` work from the command line.

use std::process::Stdio;
use std::time::Duration;

use moodle_sim::Sim;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::Command;

use crate::helpers::{SECRET_KEY, SHARED_SECRET, add_service_functions, http_client, shared_token};

fn bridge() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_moodle-bridge"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(std::env::temp_dir())
        .kill_on_drop(true);
    cmd
}

#[tokio::test]
async fn configuration_problems_exit_2_naming_every_variable() {
    let out = bridge()
        .args(["serve"])
        .env("MOODLE_BASE_URL", "htp:/nowhere")
        .env("MOODLE_TIMEOUT_MS", "soon")
        .env("CORS_ORIGINS", "*")
        .output()
        .await
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for name in [
        "MOODLE_BASE_URL",
        "MOODLE_TOKEN",
        "MOODLE_TIMEOUT_MS",
        "SECRET_KEY",
        "CORS_ORIGINS",
    ] {
        assert!(
            stderr.contains(&format!("  {name}: ")),
            "{name} in {stderr}"
        );
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn development_routes_on_a_non_loopback_address_stop_the_start() {
    let serve = |bind: &'static str| {
        let mut cmd = bridge();
        cmd.args(["serve"])
            .env("MOODLE_BASE_URL", "http://127.0.0.1:9")
            .env("MOODLE_TOKEN", "0123456789abcdef0123456789abcdef")
            .env("SECRET_KEY", SECRET_KEY)
            .env("BRIDGE_DEV", "1")
            .env("BIND", bind);
        cmd
    };
    let out = tokio::time::timeout(Duration::from_secs(30), serve("0.0.0.0:0").output())
        .await
        .expect("the start stops instead of serving")
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("  BRIDGE_DEV: "), "{stderr}");
    assert!(stderr.contains("loopback"), "{stderr}");
    // On loopback the same settings are accepted (the start goes past configuration).
    let mut child = serve("127.0.0.1:0")
        .env(
            "DATA_DIR",
            std::env::temp_dir().join(format!("bridge-dev-{}", std::process::id())),
        )
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        child
            .try_wait()
            .expect("status")
            .is_none_or(|s| s.code() != Some(2)),
        "a loopback BIND with BRIDGE_DEV is fine"
    );
    let _ = child.kill().await;
}

#[tokio::test]
async fn debug_logs_name_functions_but_never_a_token() {
    let sim = Sim::start(crate::helpers::sim_config()).await.expect("sim");
    add_service_functions(&sim, &["core_course_search_courses"]);
    let moodle_token = sim.token("admin_bridge").expect("token");
    let dir = tempfile::tempdir().expect("dir");
    let mut child = bridge()
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("MOODLE_BASE_URL", sim.url())
        .env("MOODLE_TOKEN", &moodle_token)
        .env("SECRET_KEY", SECRET_KEY)
        .env("AUTH_HS256_SECRET", SHARED_SECRET)
        .env("DATA_DIR", dir.path())
        .env("MOODLE_DEBUG", "true")
        .env("LOG_LEVEL", "debug")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut log = String::new();
    let port = loop {
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the bridge logs its port")
            .expect("read")
            .expect("a line before exit");
        log.push_str(&line);
        log.push('\n');
        if let Ok(v) = serde_json::from_str::<Value>(&line)
            && v["message"] == "moodle-bridge listening"
        {
            break v["port"].as_u64().expect("port");
        }
    };
    let api_token =
        shared_token(serde_json::json!({"sub": "log-test", "scope": "moodle:read moodle:write"}));
    let http = http_client();
    let base = format!("http://127.0.0.1:{port}");
    for path in [
        "/api/moodle/siteinfo",
        "/api/moodle/courses?search=Physics",
        "/api/moodle/users/by-field?field=id&values=2",
    ] {
        let r = http
            .get(format!("{base}{path}"))
            .bearer_auth(&api_token)
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 200, "{path}");
    }
    let refused = http
        .post(format!("{base}/api/moodle/courses"))
        .bearer_auth(&api_token)
        .header("content-type", "application/json")
        .body(r#"{"fullname":"A","shortname":"PHYS101","categoryid":1}"#)
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), 409);
    let _ = http
        .get(format!("{base}/api/moodle/siteinfo"))
        .bearer_auth("wrong.token.value")
        .send()
        .await;
    child.start_kill().expect("kill");
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_secs(5), lines.next_line()).await
    {
        log.push_str(&line);
        log.push('\n');
    }
    assert!(
        log.contains("core_course_search_courses"),
        "debug logs name functions:\n{log}"
    );
    assert!(log.contains("elapsed_ms"), "and durations:\n{log}");
    for secret in [
        moodle_token.as_str(),
        api_token.as_str(),
        SECRET_KEY,
        SHARED_SECRET,
        "wrong.token.value",
    ] {
        assert!(!log.contains(secret), "a secret reached the log:\n{log}");
    }
}

#[tokio::test]
async fn token_create_prints_a_working_token_and_audit_shows_it() {
    let dir = tempfile::tempdir().expect("dir");
    let run = |args: &[&str]| {
        let mut cmd = bridge();
        cmd.args(args)
            .env("SECRET_KEY", SECRET_KEY)
            .env("DATA_DIR", dir.path());
        cmd
    };
    let out = run(&[
        "token",
        "create",
        "--sub",
        "reporting",
        "--scope",
        "moodle:read",
        "--ttl",
        "2h",
    ])
    .output()
    .await
    .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    let key = bridge::auth::OwnKey::derive(&moodle_ws::Secret::new(SECRET_KEY));
    let config = bridge::config::Config::from_env(
        &bridge::config::Env::default(),
        bridge::config::Needs {
            moodle: false,
            secret_key: false,
        },
    )
    .expect("defaults");
    let principal = bridge::auth::Authenticator::new(&config.auth, Some(key), http_client())
        .verify(&token)
        .await
        .expect("the printed token is valid");
    assert_eq!(principal.subject, "reporting");
    assert_eq!(principal.scopes.to_string(), "moodle:read");
    let audit = run(&["audit", "--json"]).output().await.expect("runs");
    assert!(audit.status.success());
    let line = String::from_utf8(audit.stdout).expect("utf-8");
    let entry: Value = serde_json::from_str(line.lines().next().expect("one entry")).expect("json");
    assert_eq!(entry["route"], "token create");
    assert!(!line.contains(&token), "the token itself is not audited");
    let bad = run(&["token", "create", "--sub", "x", "--scope", "moodle:admin"])
        .output()
        .await
        .expect("runs");
    assert!(!bad.status.success());
}

#[tokio::test]
async fn the_demo_answers_every_route_and_stops_cleanly_on_ctrl_c() {
    let dir = tempfile::tempdir().expect("dir");
    let mut child = bridge()
        .args(["demo", "--port", "0", "--moodle-port", "0", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut printed = Vec::new();
    while printed.len() < 5 {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the demo prints its five lines")
            .expect("read")
            .expect("a line");
        printed.push(line);
    }
    let value = |prefix: &str| {
        printed
            .iter()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("{prefix} in {printed:?}"))
            .to_owned()
    };
    assert!(value("Moodle (stand-in): ").starts_with("http://127.0.0.1:"));
    let base = value("Bridge: ");
    let token = value("API token: ");
    assert_eq!(value("Docs: "), format!("{base}/docs"));
    assert!(value("Launch: ").contains("/course/view.php?id="));
    let http = http_client();
    let get = |path: &str| http.get(format!("{base}{path}")).bearer_auth(&token).send();
    for path in [
        "/api/moodle/siteinfo",
        "/api/moodle/courses",
        "/api/moodle/courses?search=Physics",
        "/api/moodle/courses?category=2",
        "/api/moodle/users/by-field?field=username&values=student1",
        "/api/moodle/notifications?userid=3",
        "/api/moodle/notifications/unread-count?userid=3",
        "/docs",
    ] {
        assert_eq!(get(path).await.expect("request").status(), 200, "{path}");
    }
    let send = |method: reqwest::Method, path: &str, body: &str| {
        http.request(method, format!("{base}{path}"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
    };
    let created = send(
        reqwest::Method::POST,
        "/api/moodle/courses",
        r#"{"fullname":"Demo","shortname":"DEMO1","categoryid":1}"#,
    )
    .await
    .expect("create");
    assert_eq!(created.status(), 200);
    let patched = send(
        reqwest::Method::PATCH,
        "/api/moodle/courses/2",
        r#"{"summary":"Updated"}"#,
    )
    .await
    .expect("patch");
    assert_eq!(patched.status(), 200);
    let enrolled = send(
        reqwest::Method::POST,
        "/api/moodle/enrol",
        r#"{"enrolments":[{"roleid":5,"userid":8,"courseid":2}]}"#,
    )
    .await
    .expect("enrol");
    assert_eq!(enrolled.status(), 200);
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"notes".to_vec()).file_name("notes.txt"),
    );
    let uploaded: Value = serde_json::from_str(
        &http
            .post(format!("{base}/api/moodle/files/upload"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await
            .expect("upload")
            .text()
            .await
            .expect("body"),
    )
    .expect("json");
    let itemid = uploaded["data"]["itemid"].as_i64().expect("itemid");
    let attached = send(
        reqwest::Method::POST,
        "/api/moodle/files/attach",
        &format!(r#"{{"courseid":2,"draftitemid":{itemid},"name":"Notes"}}"#),
    )
    .await
    .expect("attach");
    assert_eq!(attached.status(), 200);
    // The printed launch: a teacher logs in to the stand-in, opens the activity and lands in
    // the file manager, which lists the course's learners and a learner's files.
    let sim = value("Moodle (stand-in): ");
    let browser = crate::lti::browser::Browser::new();
    crate::lti::log_in(&browser, &sim, crate::lti::TEACHER).await;
    let step = crate::lti::begin_launch(&browser, &sim, 8).await;
    assert!(
        step.url.starts_with(&base),
        "the login step is the bridge's: {}",
        step.url
    );
    let page = crate::lti::finish_launch(&browser, &step).await;
    let launch = crate::lti::launch_config(&page)["token"]
        .as_str()
        .expect("a launch token")
        .to_owned();
    let learners = http
        .get(format!("{base}/get_learners"))
        .header("x-launch-token", &launch)
        .send()
        .await
        .expect("learners");
    assert_eq!(learners.status(), 200);
    let pid = child.id().expect("pid").to_string();
    let interrupted = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .await
        .expect("kill");
    assert!(interrupted.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("stops")
        .expect("status");
    assert!(status.success(), "{status}");
}
