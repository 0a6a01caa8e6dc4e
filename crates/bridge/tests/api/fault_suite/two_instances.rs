//! Two `moodle-bridge serve` processes behind one address in spirit: one PostgreSQL
//! database, one S3-compatible bucket, one Moodle (the stand-in). Requests are spread over
//! both — the LTI login step on one and the launch on the other, a file uploaded through
//! one and downloaded and deleted through the other — and a push started on one is
//! finished by the other after the first is killed with `kill -9`. Nothing may be lost or
//! done twice; the logs of both hold no secret.

use std::time::Duration;

use moodle_sim::{Fault, FaultRule, Sim, Target};
use reqwest::Method;
use serde_json::{Value, json};

use super::process::Process;
use super::{call, pushed, report, s3_bucket, scan_logs};
use crate::helpers::{add_service_functions, http_client, postgres_database, status_json};
use crate::lti::browser::Browser;
use crate::lti::{TEACHER, begin_launch, launch_config, log_in, sha256_hex};

#[tokio::test]
async fn two_instances_share_launches_files_and_pushes_without_loss_or_duplicates() {
    let Some(database_url) = postgres_database().await else {
        return;
    };
    let Some(storage) = s3_bucket().await else {
        return;
    };
    let sim = Sim::start(crate::helpers::sim_config())
        .await
        .expect("the stand-in starts");
    add_service_functions(&sim, &["core_course_search_courses"]);
    let logs = tempfile::tempdir().expect("dir");
    let mut env: Vec<(&str, String)> = vec![
        ("DATABASE_URL", database_url),
        ("DATA_DIR", logs.path().display().to_string()),
        ("LTI_ISSUER", sim.url().to_owned()),
        (
            "LTI_CLIENT_ID",
            moodle_sim::lti::RECORDED_CLIENT_ID.to_owned(),
        ),
        ("LTI_DEPLOYMENT_ID", "1".to_owned()),
        // New activities in batches of four, so A is killed between two of them.
        ("LMS_BATCH_SIZE", "4".to_owned()),
    ];
    env.extend(storage.env());
    let token = sim.token("admin_bridge").expect("token");
    // Both start at once on the empty database: migrations, the LTI registration from the
    // environment and the tool key must each be made once.
    let (log_a, log_b) = (logs.path().join("a.log"), logs.path().join("b.log"));
    let (a, b) = tokio::join!(
        Process::start(sim.url(), &token, &env, &log_a),
        Process::start(sim.url(), &token, &env, &log_b),
    );
    let (mut a, b) = (a, b);
    bridge::cli::demo::point_stand_in_at(&sim, &a.url);

    // The same public keys from both, one key (not one per instance).
    let (_, jwks_a) = call(&a.url, Method::GET, "/.well-known/jwks.json", &[], None).await;
    let (_, jwks_b) = call(&b.url, Method::GET, "/.well-known/jwks.json", &[], None).await;
    assert_eq!(jwks_a, jwks_b, "one key set");
    assert_eq!(jwks_a["keys"].as_array().map(Vec::len), Some(1), "{jwks_a}");
    report(
        "two instances",
        "started together",
        "GET /.well-known/jwks.json on A and B",
        "the same 1 key",
        "",
        "",
    );

    // Gateway reads spread over both.
    for (i, base) in [&a.url, &b.url].into_iter().cycle().take(10).enumerate() {
        let (status, body) = call(base, Method::GET, "/api/moodle/courses", &[], None).await;
        assert_eq!(status, 200, "read {i}: {body}");
    }
    report(
        "two instances",
        "round robin",
        "10 × GET /api/moodle/courses",
        "10 × 200",
        "",
        "",
    );

    // The LTI login step on A, the launch on B.
    let browser = Browser::new();
    log_in(&browser, sim.url(), TEACHER).await;
    let step = begin_launch(&browser, sim.url(), 8).await;
    assert!(step.url.starts_with(&a.url), "login on A: {}", step.url);
    let config = step.json_block("login-config").expect("the login step");
    let auth = browser
        .get(config["auth_url"].as_str().expect("auth_url"))
        .await;
    let mut form = auth.form("ltiAuthForm").expect("auth.php's form");
    form.action = form.action.replace(&a.url, &b.url);
    assert!(form.action.starts_with(&b.url), "{}", form.action);
    let launched = browser.submit(&auth, &form).await;
    assert_eq!(launched.status, 200, "launch on B: {}", launched.body);
    let launch_token = launch_config(&launched)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    // The id_token cannot be replayed on A: the nonce was used on B.
    let replay = browser
        .submit(&auth, &auth.form("ltiAuthForm").expect("form"))
        .await;
    assert_ne!(replay.status, 200, "a replayed launch on A is refused");
    report(
        "two instances",
        "LTI",
        "login on A, launch on B, replay on A",
        "200, then refused",
        "",
        "state and nonce used once",
    );

    // A file uploaded through A, read and deleted through B.
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let form = reqwest::multipart::Form::new().part(
        "files",
        reqwest::multipart::Part::bytes(bytes.clone()).file_name("shared.bin"),
    );
    let uploaded = http_client()
        .post(format!("{}/upload_files", a.url))
        .header("x-launch-token", &launch_token)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let (status, uploaded) = status_json(uploaded).await;
    assert_eq!(status, 200, "{uploaded}");
    let id = uploaded["files"][0]["id"].as_str().expect("id").to_owned();
    let downloaded = http_client()
        .get(format!("{}/download_file/{id}", b.url))
        .header("x-launch-token", &launch_token)
        .send()
        .await
        .expect("download");
    assert_eq!(downloaded.status(), 200);
    let got = downloaded.bytes().await.expect("body");
    assert_eq!(
        sha256_hex(&got),
        sha256_hex(&bytes),
        "the same bytes through B"
    );
    let deleted = http_client()
        .delete(format!("{}/delete_file/{id}", b.url))
        .header("x-launch-token", &launch_token)
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), 200);
    let listed = http_client()
        .get(format!("{}/list_uploaded_files", a.url))
        .header("x-launch-token", &launch_token)
        .send()
        .await
        .expect("list");
    let (_, listed) = status_json(listed).await;
    assert_eq!(listed, json!([]), "A sees B's delete");
    assert_eq!(
        storage.object_count().await,
        0,
        "nothing left in the bucket"
    );
    report(
        "two instances",
        "files",
        "upload on A, download + delete on B",
        "same sha256, 200",
        "A lists none",
        "bucket empty",
    );

    // A push started on A, A killed half-way, finished by B.
    const PAGES: usize = 20;
    let (status, course) = call(
        &a.url,
        Method::POST,
        "/api/courses",
        &[],
        Some(&json!({"name": "Shared"})),
    )
    .await;
    assert_eq!(status, 201, "{course}");
    let course = course["id"].as_i64().expect("id");
    for i in 0..PAGES {
        let body = json!({"asset_name": format!("page-{i:02}"), "asset_type": "page", "asset_content": format!("<p>{i}</p>")});
        let base = if i % 2 == 0 { &a.url } else { &b.url };
        let (status, body) = call(
            base,
            Method::POST,
            &format!("/api/courses/{course}/assets"),
            &[],
            Some(&body),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, login) = call(
        &b.url,
        Method::POST,
        "/api/login-lms",
        &[],
        Some(&json!({"email": "admin", "password": "Admin123!x"})),
    )
    .await;
    assert_eq!(status, 200, "{login}");
    let lms = login["data"]["token"].as_str().expect("token").to_owned();
    sim.faults().inject(FaultRule {
        fault: Fault::Latency { ms: 60 },
        target: Target::Any,
        times: None,
    });
    let names: Vec<String> = (0..PAGES).map(|i| format!("page-{i:02}")).collect();
    let (status, queued) = call(
        &a.url,
        Method::POST,
        &format!("/api/courses/{course}/push-to-lms?async=1"),
        &[("x-lms-token", &lms)],
        Some(&json!({"asset_names": names, "asset_type": ["page"]})),
    )
    .await;
    assert_eq!(status, 202, "{queued}");
    let job = queued["job_id"].as_str().expect("job").to_owned();
    let made = |sim: &Sim| pushed(sim, course).1;
    for _ in 0..2000 {
        if made(&sim) >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    a.kill9().await;
    let at_kill = made(&sim);
    assert!(
        (5..PAGES).contains(&at_kill),
        "A killed half-way: {at_kill} of {PAGES}"
    );
    let mut state = Value::Null;
    for _ in 0..600 {
        let (status, body) =
            call(&b.url, Method::GET, &format!("/api/jobs/{job}"), &[], None).await;
        assert_eq!(status, 200, "{body}");
        state = body;
        if state["state"] == "succeeded" || state["state"] == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state["state"], "succeeded", "{state}");
    let (courses, modules) = pushed(&sim, course);
    report(
        "two instances",
        "kill -9 A mid-push",
        &format!("push of {PAGES} pages on A"),
        &format!("A killed at {at_kill}"),
        &format!("B finished it ({} attempts)", state["attempts"]),
        &format!("Moodle holds {courses} course, {modules} pages"),
    );
    assert_eq!((courses, modules), (1, PAGES), "nothing lost or made twice");
    assert_eq!(state["attempts"], 2, "taken over once: {state}");

    let secrets = [
        token.as_str(),
        lms.as_str(),
        launch_token.as_str(),
        "Admin123!x",
        "Teacher123!x",
    ];
    scan_logs(&[a.log.clone(), b.log.clone()], &secrets);
}
