//! Moodle misbehaving, for each kind of work the bridge does with it: a gateway read, a
//! gateway write, a file copy and a push. Moodle is slow (past the timeout), down (its port
//! closed), answers 500, 429 with `Retry-After`, malformed JSON, a connection reset
//! mid-body, or its maintenance page. Each case prints what was sent, what came back and
//! what Moodle holds afterwards; the bridge must answer a gateway error (never 500, never a
//! success made up), lose and duplicate nothing, and work again once Moodle is back.

use std::time::Duration;

use moodle_sim::{Fault, FaultRule, Target};
use reqwest::Method;
use serde_json::{Value, json};

use super::proxy::Proxy;
use super::{pushed, report};
use crate::helpers::{Options, TestApp, spawn_app_with, status_json};

/// The bridge's Moodle timeout in these cases; "slow" is well past it.
const TIMEOUT_MS: u64 = 300;

/// What goes wrong.
#[derive(Debug, Clone, Copy)]
enum Trouble {
    Slow,
    Down,
    ServerError,
    RateLimited,
    Malformed,
    Reset,
    Maintenance,
}

const TROUBLES: [Trouble; 7] = [
    Trouble::Slow,
    Trouble::Down,
    Trouble::ServerError,
    Trouble::RateLimited,
    Trouble::Malformed,
    Trouble::Reset,
    Trouble::Maintenance,
];

impl Trouble {
    fn label(self) -> &'static str {
        match self {
            Trouble::Slow => "slow (1 s > 300 ms timeout)",
            Trouble::Down => "down (port closed)",
            Trouble::ServerError => "HTTP 500",
            Trouble::RateLimited => "429 Retry-After: 1",
            Trouble::Malformed => "malformed JSON",
            Trouble::Reset => "reset mid-body",
            Trouble::Maintenance => "maintenance page",
        }
    }

    fn fault(self) -> Option<Fault> {
        match self {
            Trouble::Slow => Some(Fault::Latency { ms: 1000 }),
            Trouble::Down => None,
            Trouble::ServerError => Some(Fault::Status { status: 500 }),
            Trouble::RateLimited => Some(Fault::RateLimited { retry_after: 1 }),
            Trouble::Malformed => Some(Fault::TruncatedBody),
            Trouble::Reset => Some(Fault::ResetMidBody),
            Trouble::Maintenance => Some(Fault::Maintenance),
        }
    }
}

/// A bridge whose Moodle is the stand-in behind a switchable forwarder.
struct Case {
    app: TestApp,
    proxy: Proxy,
}

impl Case {
    async fn start() -> Case {
        let proxy = Proxy::start().await;
        // The site URL is the forwarder's, as for a Moodle behind a reverse proxy: web
        // service calls and file downloads both go through it.
        let app = spawn_app_with(Options {
            sim_public_url: Some(proxy.url()),
            ..Options::default()
                .env("MOODLE_TIMEOUT_MS", &TIMEOUT_MS.to_string())
                .env("LMS_TIMEOUT", "1")
                .env("LMS_BREAKER_THRESHOLD", "1000")
                .env("MOODLE_SERVICE", "bridge")
        })
        .await;
        proxy.forward_to(app.sim.addr());
        Case { app, proxy }
    }

    /// Makes Moodle misbehave for requests `target` matches.
    fn break_moodle(&self, trouble: Trouble, target: Target) {
        match trouble.fault() {
            Some(fault) => self.app.sim.faults().inject(FaultRule {
                fault,
                target,
                times: None,
            }),
            None => self.proxy.down(),
        }
    }

    async fn mend_moodle(&self) {
        self.app.sim.faults().clear();
        self.proxy.up().await;
        // A slow answer Moodle was still working on when the bridge gave up lands now.
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut request = self
            .app
            .http
            .request(method, format!("{}{path}", self.app.url))
            .bearer_auth(&self.app.token)
            .timeout(Duration::from_secs(60));
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
}

/// Whether a status is one a gateway gives when its upstream failed.
fn is_upstream_failure(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// The short form of an answer for the report.
fn summary(status: u16, body: &Value) -> String {
    let reason = body["error"]["details"]["reason"]
        .as_str()
        .or_else(|| body["error"]["code"].as_str())
        .or_else(|| body["detail"].as_str())
        .or_else(|| body["results"][0]["error"]["code"].as_str())
        .unwrap_or("");
    let reason: String = reason.chars().take(60).collect();
    format!("{status} {reason}")
}

#[tokio::test]
async fn gateway_reads_fail_cleanly_and_recover() {
    let mut problems = Vec::new();
    for trouble in TROUBLES {
        let case = Case::start().await;
        case.break_moodle(
            trouble,
            Target::Function("core_course_get_courses".to_owned()),
        );
        let (status, body) = case
            .send(Method::GET, "/api/moodle/courses", &[], None)
            .await;
        case.mend_moodle().await;
        let (after, after_body) = case
            .send(Method::GET, "/api/moodle/courses", &[], None)
            .await;
        report(
            "gateway read",
            trouble.label(),
            "GET /api/moodle/courses",
            &summary(status, &body),
            &format!("then {after}"),
            "nothing to lose",
        );
        if !is_upstream_failure(status) || body["ok"] != false {
            problems.push(format!("{trouble:?}: {status} {body}"));
        }
        if after != 200 || after_body["ok"] != true {
            problems.push(format!("{trouble:?} recovery: {after} {after_body}"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[tokio::test]
async fn gateway_writes_are_sent_at_most_once_and_never_duplicated() {
    let mut problems = Vec::new();
    for (i, trouble) in TROUBLES.into_iter().enumerate() {
        let case = Case::start().await;
        let shortname = format!("FAULT{i}");
        let body = json!({"fullname": "Fault case", "shortname": shortname, "categoryid": 1});
        case.break_moodle(
            trouble,
            Target::Function("core_course_create_courses".to_owned()),
        );
        let (status, answer) = case
            .send(Method::POST, "/api/moodle/courses", &[], Some(&body))
            .await;
        let sent = case.app.sim.calls("core_course_create_courses");
        case.mend_moodle().await;
        // The client retries, as it should after a gateway error.
        let (again, again_body) = case
            .send(Method::POST, "/api/moodle/courses", &[], Some(&body))
            .await;
        let held = case.app.sim.with_state(|s| {
            s.courses
                .values()
                .filter(|c| c.shortname == shortname)
                .count()
        });
        report(
            "gateway write",
            trouble.label(),
            &format!("POST /api/moodle/courses {shortname}"),
            &format!("{} ({sent} call to Moodle)", summary(status, &answer)),
            &format!("client retry {}", summary(again, &again_body)),
            &format!("Moodle holds {held}"),
        );
        if !is_upstream_failure(status) {
            problems.push(format!("{trouble:?}: {status} {answer}"));
        }
        if sent > 1 {
            problems.push(format!("{trouble:?}: a write was sent {sent} times"));
        }
        if held != 1 {
            problems.push(format!(
                "{trouble:?}: Moodle holds {held} courses {shortname}"
            ));
        }
        // Either the retry made it, or Moodle had made it and says the shortname is taken.
        if !(again == 200 || again == 201 || again == 409) {
            problems.push(format!("{trouble:?} client retry: {again} {again_body}"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// A learner of course 2 with submission files, and the keys of those files.
async fn learner_files(case: &Case) -> (i64, Vec<String>) {
    let (status, learners) = case
        .send(Method::GET, "/get_learners?course_id=2", &[], None)
        .await;
    assert_eq!(status, 200, "{learners}");
    let list = learners
        .as_array()
        .or_else(|| learners["learners"].as_array())
        .cloned()
        .unwrap_or_default();
    for learner in list {
        let id = learner["id"].as_i64().expect("id");
        let (status, files) = case
            .send(
                Method::GET,
                &format!("/get_user_files/{id}?course_id=2"),
                &[],
                None,
            )
            .await;
        assert_eq!(status, 200, "{files}");
        let keys: Vec<String> = files["files"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["key"].as_str().map(str::to_owned))
            .collect();
        if !keys.is_empty() {
            return (id, keys);
        }
    }
    panic!("the stand-in's course 2 has a learner with submission files");
}

async fn stored(case: &Case) -> Vec<Value> {
    let (status, list) = case
        .send(Method::GET, "/list_uploaded_files", &[], None)
        .await;
    assert_eq!(status, 200, "{list}");
    list.as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn file_copies_keep_nothing_half_written_and_store_once() {
    let mut problems = Vec::new();
    for trouble in TROUBLES {
        let case = Case::start().await;
        let (user, keys) = learner_files(&case).await;
        let request = json!({"user_id": user, "course_id": 2, "files": [keys[0]]});
        // Submission files come from pluginfile.php, private files from local_bridge's
        // download.php.
        for endpoint in ["webservice/pluginfile.php", "local/bridge/download.php"] {
            case.break_moodle(trouble, Target::Endpoint(endpoint.to_owned()));
        }
        if matches!(trouble, Trouble::Down) {
            // The download link points at the stand-in itself: close the web services too.
            case.app
                .sim
                .faults()
                .inject(FaultRule::always(Fault::Status { status: 503 }));
        }
        let (status, answer) = case
            .send(Method::POST, "/copy_moodle_files", &[], Some(&request))
            .await;
        let during = stored(&case).await;
        case.mend_moodle().await;
        let (again, again_body) = case
            .send(Method::POST, "/copy_moodle_files", &[], Some(&request))
            .await;
        let (_, twice) = case
            .send(Method::POST, "/copy_moodle_files", &[], Some(&request))
            .await;
        let after = stored(&case).await;
        report(
            "file copy",
            trouble.label(),
            "POST /copy_moodle_files (1 file)",
            &summary(status, &answer),
            &format!("then {} and a second copy", summary(again, &again_body)),
            &format!("stored during {} after {}", during.len(), after.len()),
        );
        let refused = is_upstream_failure(status) || answer["results"][0]["ok"] == false;
        if !refused {
            problems.push(format!("{trouble:?}: {status} {answer}"));
        }
        if !during.is_empty() {
            problems.push(format!("{trouble:?}: a failed copy left {during:?}"));
        }
        if again != 200 || again_body["results"][0]["ok"] != true {
            problems.push(format!("{trouble:?} recovery: {again} {again_body}"));
        }
        if after.len() != 1 || twice["results"][0]["ok"] != true {
            problems.push(format!(
                "{trouble:?}: {} stored after copying twice: {after:?}",
                after.len()
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[tokio::test]
async fn pushes_never_duplicate_and_complete_once_moodle_is_back() {
    const PAGES: usize = 3;
    let mut problems = Vec::new();
    for trouble in TROUBLES {
        let case = Case::start().await;
        let (status, course) = case
            .send(
                Method::POST,
                "/api/courses",
                &[],
                Some(&json!({"name": format!("Fault {trouble:?}")})),
            )
            .await;
        assert_eq!(status, 201, "{course}");
        let id = course["id"].as_i64().expect("id");
        let names: Vec<String> = (0..PAGES).map(|i| format!("page-{i}")).collect();
        for name in &names {
            let body =
                json!({"asset_name": name, "asset_type": "page", "asset_content": "<p>x</p>"});
            let (status, body) = case
                .send(
                    Method::POST,
                    &format!("/api/courses/{id}/assets"),
                    &[],
                    Some(&body),
                )
                .await;
            assert_eq!(status, 201, "{body}");
        }
        let (status, login) = case
            .send(
                Method::POST,
                "/api/login-lms",
                &[],
                Some(&json!({"email": "admin", "password": "Admin123!x"})),
            )
            .await;
        assert_eq!(status, 200, "{login}");
        let lms = login["data"]["token"].as_str().expect("token").to_owned();
        let push = json!({"asset_names": names, "asset_type": ["page"]});
        let path = format!("/api/courses/{id}/push-to-lms");
        case.break_moodle(trouble, Target::Any);
        let (status, answer) = case
            .send(Method::POST, &path, &[("x-lms-token", &lms)], Some(&push))
            .await;
        case.mend_moodle().await;
        let (again, again_body) = case
            .send(Method::POST, &path, &[("x-lms-token", &lms)], Some(&push))
            .await;
        let (courses, modules) = pushed(&case.app.sim, id);
        report(
            "push",
            trouble.label(),
            &format!("POST {path} ({PAGES} pages)"),
            &summary(status, &answer),
            &format!("push again {}", summary(again, &again_body)),
            &format!("Moodle holds {courses} course, {modules} pages"),
        );
        // The publisher contract: an LMS answer it cannot use is 500 "LMS export failed: …".
        let seed_500 = status == 500
            && answer["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with("LMS export failed: "));
        if (status == 500 && !seed_500)
            || (status < 400 && !matches!(trouble, Trouble::RateLimited))
        {
            problems.push(format!("{trouble:?}: {status} {answer}"));
        }
        if again != 200 {
            problems.push(format!("{trouble:?} push again: {again} {again_body}"));
        }
        if (courses, modules) != (1, PAGES) {
            problems.push(format!(
                "{trouble:?}: Moodle holds {courses} courses and {modules} pages"
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
