//! `kill -9` of the bridge in the middle of work, then a restart on the same database and
//! storage: during an upload, during a file copy, and during a push at several step
//! positions. Nothing half-written may be visible afterwards, and redoing the work gives
//! exactly one of everything.

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use moodle_sim::{Fault, FaultRule, Sim, Target};
use reqwest::Method;
use serde_json::{Value, json};

use super::process::{Process, command};
use super::{auth, call, pushed, report, scan_logs};
use crate::helpers::{add_service_functions, http_client};

/// Every file under a folder (the local storage), staging files included.
fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path.display().to_string());
        }
    }
    found
}

struct Setup {
    sim: Sim,
    dir: tempfile::TempDir,
    token: String,
}

impl Setup {
    async fn new() -> Setup {
        let sim = Sim::start(crate::helpers::sim_config()).await.expect("sim");
        add_service_functions(&sim, &[]);
        let token = sim.token("admin_bridge").expect("token");
        Setup {
            sim,
            dir: tempfile::tempdir().expect("dir"),
            token,
        }
    }

    async fn start(&self, log: &str) -> Process {
        let env = [("DATA_DIR", self.dir.path().display().to_string())];
        Process::start(
            self.sim.url(),
            &self.token,
            &env,
            &self.dir.path().join(log),
        )
        .await
    }

    fn storage(&self) -> Vec<String> {
        files_under(&self.dir.path().join("files"))
    }
}

#[tokio::test]
async fn an_upload_killed_half_way_leaves_nothing() {
    let setup = Setup::new().await;
    let mut first = setup.start("first.log").await;
    // 16 MiB sent slowly: the bridge is killed while it is writing the file.
    let chunks = futures_util::stream::unfold(0u32, |i| async move {
        if i == 256 {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        Some((
            Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; 65_536])),
            i + 1,
        ))
    });
    let part =
        reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(chunks)).file_name("big.bin");
    let form = reqwest::multipart::Form::new()
        .text("course_id", "2")
        .part("files", part);
    let url = format!("{}/upload_files", first.url);
    let upload = tokio::spawn(async move {
        http_client()
            .post(url)
            .header("authorization", auth())
            .multipart(form)
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let during = setup.storage();
    first.kill9().await;
    let answered = upload.await.expect("joined");
    let second = setup.start("second.log").await;
    let (status, list) = call(&second.url, Method::GET, "/list_uploaded_files", &[], None).await;
    let left = setup.storage();
    report(
        "kill -9",
        "during an upload (16 MiB)",
        "POST /upload_files, killed after 1 s",
        &answered.as_ref().map_or_else(
            |_| "the connection broke".to_owned(),
            |status| format!("answered {status}"),
        ),
        &format!("restart: list {status} {list}"),
        &format!(
            "writing {} file(s); after restart {}",
            during.len(),
            left.len()
        ),
    );
    assert!(answered.is_err(), "the client saw the connection break");
    assert_eq!(
        (status, &list),
        (200, &json!([])),
        "no row for the broken upload"
    );
    assert!(left.is_empty(), "nothing left in the storage: {left:?}");
    scan_logs(
        &[first.log.clone(), second.log.clone()],
        &[setup.token.as_str()],
    );
}

#[tokio::test]
async fn a_copy_killed_half_way_leaves_nothing_and_copies_once_after_the_restart() {
    let setup = Setup::new().await;
    let mut first = setup.start("first.log").await;
    let (_, learners) = call(
        &first.url,
        Method::GET,
        "/get_learners?course_id=2",
        &[],
        None,
    )
    .await;
    let mut request = Value::Null;
    for learner in learners
        .as_array()
        .or_else(|| learners["learners"].as_array())
        .into_iter()
        .flatten()
    {
        let id = learner["id"].as_i64().expect("id");
        let (_, files) = call(
            &first.url,
            Method::GET,
            &format!("/get_user_files/{id}?course_id=2"),
            &[],
            None,
        )
        .await;
        let keys: Vec<Value> = files["files"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| f["key"].clone())
            .collect();
        if !keys.is_empty() {
            request = json!({"user_id": id, "course_id": 2, "files": keys});
            break;
        }
    }
    assert!(!request.is_null(), "a learner with files");
    for endpoint in ["webservice/pluginfile.php", "local/bridge/download.php"] {
        setup.sim.faults().inject(FaultRule {
            fault: Fault::Latency { ms: 3000 },
            target: Target::Endpoint(endpoint.to_owned()),
            times: None,
        });
    }
    let url = first.url.clone();
    let body = request.clone();
    let copy = tokio::spawn(async move {
        http_client()
            .post(format!("{url}/copy_moodle_files"))
            .header("authorization", auth())
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    tokio::time::sleep(Duration::from_millis(800)).await;
    first.kill9().await;
    assert!(
        copy.await.expect("joined").is_err(),
        "the client saw the connection break"
    );
    setup.sim.faults().clear();
    let second = setup.start("second.log").await;
    let (_, list) = call(&second.url, Method::GET, "/list_uploaded_files", &[], None).await;
    let left = setup.storage();
    assert_eq!(list, json!([]), "no row for the broken copy");
    assert!(left.is_empty(), "nothing in the storage: {left:?}");
    let wanted = request["files"].as_array().map_or(0, Vec::len);
    let (status, copied) = call(
        &second.url,
        Method::POST,
        "/copy_moodle_files",
        &[],
        Some(&request),
    )
    .await;
    let (_, again) = call(
        &second.url,
        Method::POST,
        "/copy_moodle_files",
        &[],
        Some(&request),
    )
    .await;
    let (_, list) = call(&second.url, Method::GET, "/list_uploaded_files", &[], None).await;
    let stored = list.as_array().map_or(0, Vec::len);
    report(
        "kill -9",
        "during a copy",
        &format!("POST /copy_moodle_files ({wanted} files)"),
        "killed while Moodle was answering",
        &format!("restart: copy {status}, copy again"),
        &format!("{stored} stored, {} objects", setup.storage().len()),
    );
    assert_eq!(status, 200, "{copied}");
    assert!(
        again["results"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|r| r["duplicate"] == true),
        "{again}"
    );
    assert_eq!(
        (stored, setup.storage().len()),
        (wanted, wanted),
        "each file once"
    );
    scan_logs(
        &[first.log.clone(), second.log.clone()],
        &[setup.token.as_str()],
    );
}

#[tokio::test]
async fn a_push_killed_at_any_step_is_finished_once_after_the_restart() {
    const PAGES: usize = 8;
    // Kill once the course exists in Moodle (no page yet), after the first page, and before
    // the last page.
    for kill_at in [0, 1, PAGES - 1] {
        let setup = Setup::new().await;
        let mut first = setup.start("first.log").await;
        let (status, course) = call(
            &first.url,
            Method::POST,
            "/api/courses",
            &[],
            Some(&json!({"name": "Killed"})),
        )
        .await;
        assert_eq!(status, 201, "{course}");
        let course = course["id"].as_i64().expect("id");
        let names: Vec<String> = (0..PAGES).map(|i| format!("page-{i}")).collect();
        for name in &names {
            let body =
                json!({"asset_name": name, "asset_type": "page", "asset_content": "<p>x</p>"});
            let (status, body) = call(
                &first.url,
                Method::POST,
                &format!("/api/courses/{course}/assets"),
                &[],
                Some(&body),
            )
            .await;
            assert_eq!(status, 201, "{body}");
        }
        let (_, login) = call(
            &first.url,
            Method::POST,
            "/api/login-lms",
            &[],
            Some(&json!({"email": "admin", "password": "Admin123!x"})),
        )
        .await;
        let lms = login["data"]["token"].as_str().expect("token").to_owned();
        setup.sim.faults().inject(FaultRule {
            fault: Fault::Latency { ms: 80 },
            target: Target::Any,
            times: None,
        });
        let (status, queued) = call(
            &first.url,
            Method::POST,
            &format!("/api/courses/{course}/push-to-lms?async=1"),
            &[("x-lms-token", &lms)],
            Some(&json!({"asset_names": names, "asset_type": ["page"]})),
        )
        .await;
        assert_eq!(status, 202, "{queued}");
        let job = queued["job_id"].as_str().expect("job").to_owned();
        let held = |sim: &Sim| pushed(sim, course);
        for _ in 0..3000 {
            let (courses, pages) = held(&setup.sim);
            if courses == 1 && pages >= kill_at {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        first.kill9().await;
        let at_kill = held(&setup.sim);
        setup.sim.faults().clear();
        let second = setup.start("second.log").await;
        let mut state = Value::Null;
        for _ in 0..300 {
            let (_, body) = call(
                &second.url,
                Method::GET,
                &format!("/api/jobs/{job}"),
                &[],
                None,
            )
            .await;
            state = body;
            if state["state"] == "succeeded" || state["state"] == "failed" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let after = held(&setup.sim);
        report(
            "kill -9",
            &format!("during a push, at page {kill_at}"),
            &format!("push of {PAGES} pages"),
            &format!("killed holding {} course, {} pages", at_kill.0, at_kill.1),
            &format!("restart: job {}", state["state"]),
            &format!("Moodle holds {} course, {} pages", after.0, after.1),
        );
        assert_eq!(state["state"], "succeeded", "{state}");
        assert_eq!(after, (1, PAGES), "nothing lost or made twice");
        scan_logs(
            &[first.log.clone(), second.log.clone()],
            &[setup.token.as_str(), lms.as_str()],
        );
    }
}

#[tokio::test]
async fn a_key_rotation_killed_at_any_moment_leaves_exactly_one_signing_key() {
    let setup = Setup::new().await;
    let env = [("DATA_DIR", setup.dir.path().display().to_string())];
    // The first start makes the tool's key.
    let mut first = setup.start("first.log").await;
    first.kill9().await;
    let database = format!("sqlite://{}/bridge.db", setup.dir.path().display());
    let current_keys = || async {
        let db = bridge::db::Db::connect(&database).await.expect("db");
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM lti_tool_keys WHERE status = 'current'")
                .fetch_one(db.pool())
                .await
                .expect("count");
        let all: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM lti_tool_keys")
            .fetch_one(db.pool())
            .await
            .expect("count");
        db.close().await;
        (count, all)
    };
    let rotate = || {
        command(setup.sim.url(), &setup.token, &env)
            .args(["keys", "rotate", "--overlap", "1h"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("keys rotate starts")
    };
    // How long a whole rotation takes here; the kills are spread over that time.
    let started = std::time::Instant::now();
    assert!(rotate().wait().await.expect("waited").success());
    let whole = started.elapsed();
    let mut outcomes = Vec::new();
    for step in 0..20u32 {
        let delay = whole * step / 16;
        let mut rotate = rotate();
        tokio::time::sleep(delay).await;
        let _ = rotate.start_kill();
        let status = rotate.wait().await.expect("waited");
        outcomes.push(status.code().map_or("killed", |_| "finished"));
        let (current, _) = current_keys().await;
        assert_eq!(
            current, 1,
            "exactly one signing key after a kill at {delay:?}"
        );
    }
    let (_, all) = current_keys().await;
    let second = setup.start("second.log").await;
    let (status, jwks) = call(
        &second.url,
        Method::GET,
        "/.well-known/jwks.json",
        &[],
        None,
    )
    .await;
    let mut kids: Vec<&str> = jwks["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k["kid"].as_str())
        .collect();
    let published = kids.len();
    kids.dedup();
    let finished = outcomes.iter().filter(|o| **o == "finished").count();
    report(
        "kill -9",
        "during key rotation",
        &format!(
            "20 × keys rotate, killed after 0..{} ms",
            (whole * 19 / 16).as_millis()
        ),
        &format!("{finished} finished, {} killed", outcomes.len() - finished),
        &format!("restart: JWKS {status}, {published} keys"),
        &format!("1 current key of {all}"),
    );
    assert_eq!(status, 200);
    assert_eq!(
        published,
        usize::try_from(all).expect("fits"),
        "every kept key published"
    );
    assert_eq!(kids.len(), published, "kids are unique");
    scan_logs(
        &[first.log.clone(), second.log.clone()],
        &[setup.token.as_str()],
    );
}
