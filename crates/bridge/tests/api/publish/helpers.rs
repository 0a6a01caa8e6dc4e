//! The publisher's test helpers: an app whose users log in to the stand-in's `bridge` service,
//! one method per publisher route, a demo course with one asset of every type, and counts of
//! what the stand-in holds and was asked to write.

use std::time::Duration;

use moodle_sim::Sim;
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::helpers::{Options, TestApp, spawn_app_with, status_json};

/// The stand-in's administrator.
pub const ADMIN: (&str, &str) = ("admin", "Admin123!x");
/// A teacher: no right to make courses or categories.
pub const TEACHER: (&str, &str) = ("teacher1", "Teacher123!x");

/// The functions and endpoint that write to Moodle in a push.
pub const WRITES: [&str; 16] = [
    "core_course_create_categories",
    "core_course_create_courses",
    "core_course_update_courses",
    "core_course_delete_courses",
    "core_course_delete_modules",
    "local_bridge_create_page",
    "local_bridge_create_url",
    "local_bridge_create_forum",
    "local_bridge_create_resource",
    "local_bridge_create_quiz",
    "local_bridge_create_modules",
    "local_bridge_update_module",
    "local_bridge_update_quiz",
    "enrol_manual_enrol_users",
    "webservice/upload.php",
    "core_user_create_users",
];

/// Options for publisher tests: users log in to the `bridge` service.
pub fn options() -> Options {
    Options::default().env("MOODLE_SERVICE", "bridge")
}

/// A bridge and stand-in for publisher tests.
pub async fn publisher_app() -> TestApp {
    spawn_app_with(options()).await
}

/// A bridge that makes each activity with its own create function (`LMS_BATCH_SIZE=0`), as
/// for sites whose plugin predates `local_bridge_create_modules`.
pub async fn one_call_each_app() -> TestApp {
    spawn_app_with(options().env("LMS_BATCH_SIZE", "0")).await
}

/// A Moodle web-service call straight to the stand-in (not through the bridge) with a seeded
/// token (`student1_mobile`, `admin_bridge`, …): Moodle's own read functions show what a push
/// made. Nested parameters are given in bracket notation.
pub async fn moodle_call(
    sim: &Sim,
    role: &str,
    function: &str,
    params: &[(&str, String)],
) -> Value {
    let token = sim.token(role).expect("seeded token");
    let mut form: Vec<(String, String)> = vec![
        ("wstoken".to_owned(), token),
        ("wsfunction".to_owned(), function.to_owned()),
        ("moodlewsrestformat".to_owned(), "json".to_owned()),
    ];
    form.extend(params.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .finish();
    let text = crate::helpers::http_client()
        .post(format!("{}/webservice/rest/server.php", sim.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("the stand-in answers")
        .text()
        .await
        .expect("body");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("{function}: not JSON: {text}"))
}

/// The Moodle user id of a seeded user.
pub fn moodle_user(sim: &Sim, username: &str) -> i64 {
    sim.with_state(|s| {
        s.users
            .values()
            .find(|u| u.username == username)
            .map(|u| u.id)
    })
    .expect("seeded user")
}

/// Every write the stand-in received.
pub fn writes(sim: &Sim) -> u64 {
    WRITES.iter().map(|f| sim.calls(f)).sum()
}

/// Every request the stand-in received, but the event poller's reads of the outbox: it runs
/// beside the pushes on its own interval (under load a push outlasts one).
pub fn all_calls(sim: &Sim) -> u64 {
    sim.faults()
        .all_calls()
        .iter()
        .filter(|(function, _)| function.as_str() != "local_bridge_get_events")
        .map(|(_, n)| n)
        .sum()
}

/// Moodle courses with this ID number: (id, shortname, category, visible).
pub fn moodle_courses(sim: &Sim, idnumber: &str) -> Vec<(i64, String, i64, bool)> {
    sim.with_state(|s| {
        s.courses
            .values()
            .filter(|c| c.idnumber == idnumber)
            .map(|c| (c.id, c.shortname.clone(), c.category, c.visible))
            .collect()
    })
}

/// A Moodle course's activities: (cmid, modname, idnumber).
pub fn moodle_modules(sim: &Sim, course: i64) -> Vec<(i64, String, String)> {
    sim.with_state(|s| {
        s.cms
            .values()
            .filter(|m| m.course == course)
            .filter_map(|m| m.idnumber.clone().map(|i| (m.id, m.modname.clone(), i)))
            .collect()
    })
}

/// A push of these assets, every type allowed.
pub fn push_body(names: &[&str]) -> Value {
    json!({
        "asset_names": names,
        "asset_type": ["page", "file", "url", "forum", "quiz", "question-paper"],
        "publish": true,
        "export_format": "lms_standard",
    })
}

/// The demo course's asset names.
pub const DEMO_ASSETS: [&str; 7] = [
    "intro", "notes", "link", "discuss", "quiz1", "paper1", "syllabus",
];

impl TestApp {
    /// A JSON request with the test token and extra headers.
    pub async fn publisher_json(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Response {
        let mut request = self.request(method, path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        request.send().await.expect("request")
    }

    /// `POST /api/login-lms`.
    pub async fn lms_login(&self, email: &str, password: &str) -> Response {
        self.publisher_json(
            Method::POST,
            "/api/login-lms",
            &[],
            Some(&json!({"email": email, "password": password})),
        )
        .await
    }

    /// Logs in as the administrator and answers the LMS token.
    pub async fn lms_token(&self) -> String {
        self.lms_token_of(ADMIN).await
    }

    /// Logs in as a user and answers the LMS token.
    pub async fn lms_token_of(&self, (user, password): (&str, &str)) -> String {
        let (status, body) = status_json(self.lms_login(user, password).await).await;
        assert_eq!(status, 200, "{body}");
        body["data"]["token"].as_str().expect("token").to_owned()
    }

    /// `POST /api/courses`; answers the new id.
    pub async fn new_course(&self, body: &Value) -> i64 {
        let (status, course) = status_json(
            self.publisher_json(Method::POST, "/api/courses", &[], Some(body))
                .await,
        )
        .await;
        assert_eq!(status, 201, "{course}");
        course["id"].as_i64().expect("id")
    }

    /// `POST /api/courses/{id}/assets` as JSON.
    pub async fn add_asset(&self, course: i64, name: &str, kind: &str, content: Value) -> Response {
        let body = json!({"asset_name": name, "asset_type": kind, "asset_content": content});
        self.publisher_json(
            Method::POST,
            &format!("/api/courses/{course}/assets"),
            &[],
            Some(&body),
        )
        .await
    }

    /// `POST /api/courses/{id}/assets` as multipart, a file asset.
    pub async fn add_file(
        &self,
        course: i64,
        name: &str,
        filename: &str,
        bytes: &'static [u8],
    ) -> Response {
        let form = reqwest::multipart::Form::new()
            .text("asset_name", name.to_owned())
            .text("asset_type", "file")
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes)
                    .file_name(filename.to_owned())
                    .mime_str("application/pdf")
                    .expect("mime"),
            );
        self.request(Method::POST, &format!("/api/courses/{course}/assets"))
            .multipart(form)
            .send()
            .await
            .expect("request")
    }

    /// `POST /api/courses/{id}/push-to-lms` with `X-LMS-Token`.
    pub async fn push(&self, course: &str, lms_token: &str, body: &Value) -> Response {
        self.publisher_json(
            Method::POST,
            &format!("/api/courses/{course}/push-to-lms"),
            &[("x-lms-token", lms_token)],
            Some(body),
        )
        .await
    }

    /// `GET /api/sync/status`.
    pub async fn sync_status(&self) -> Value {
        let (status, body) = status_json(self.get("/api/sync/status").await).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Polls `GET /api/jobs/{id}` until the job ends (at most 30 s); answers it.
    pub async fn wait_job(&self, id: &str) -> Value {
        for _ in 0..300 {
            let (status, job) = status_json(self.get(&format!("/api/jobs/{id}")).await).await;
            assert_eq!(status, 200, "{job}");
            if matches!(job["state"].as_str(), Some("succeeded" | "failed")) {
                return job;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("job {id} did not end");
    }

    /// The demo course: category path `Science/Physics`, one asset of every type (two pages).
    pub async fn demo_course(&self) -> i64 {
        let id = self
            .new_course(&json!({"name": "Physics for Poets", "description": "<p>Light, gently.</p>", "category_path": "Science/Physics", "shortname": "POETPHYS"}))
            .await;
        let assets = [
            ("intro", "page", json!("<h2>Welcome</h2><p>Start here.</p>")),
            (
                "notes",
                "page",
                json!({"text": "# Notes\n\n*Light* is fast.", "format": "markdown"}),
            ),
            (
                "link",
                "url",
                json!({"url": "https://en.wikipedia.org/wiki/Light", "display": "popup"}),
            ),
            (
                "discuss",
                "forum",
                json!({"intro": "Ask anything.", "type": "qanda"}),
            ),
            (
                "quiz1",
                "quiz",
                json!({"questions": [
                    {"type": "multichoice", "text": "What is fastest?", "options": ["Light", "Sound"], "answer": "Light", "points": 2},
                    {"type": "truefalse", "text": "Light is a wave.", "answer": true}
                ]}),
            ),
            (
                "paper1",
                "question-paper",
                json!({"questions": [{"type": "essay", "text": "Describe a rainbow.", "points": 10}]}),
            ),
        ];
        for (name, kind, content) in assets {
            let (status, body) = status_json(self.add_asset(id, name, kind, content).await).await;
            assert_eq!(status, 201, "{name}: {body}");
        }
        let (status, body) = status_json(
            self.add_file(id, "syllabus", "syllabus.pdf", b"%PDF-1.4 syllabus")
                .await,
        )
        .await;
        assert_eq!(status, 201, "{body}");
        id
    }
}
