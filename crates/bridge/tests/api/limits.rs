//! Every input has a bound (security review, issue 11 §3 and §4): the public LTI routes cap
//! each parameter and limit each client address; `/metrics` labels come from a closed set;
//! `/upload_files` bounds its parts and its total; multipart text fields are a few KiB; event
//! streams are capped per caller and in time; and behind `TRUSTED_PROXIES` the forwarded
//! client address is the one limits and the audit log use — never one a client forges.

use std::time::Duration;

use moodle_sim::{Fault, FaultRule};
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::Row as _;

use crate::helpers::{Options, TestApp, body_json, shared_token, spawn_app_with, status_json};
use crate::publish::helpers::{DEMO_ASSETS, options as publisher_options, push_body};

async fn app_with(pairs: &[(&str, &str)]) -> TestApp {
    let mut options = Options::default();
    for (k, v) in pairs {
        options = options.env(k, v);
    }
    spawn_app_with(options).await
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    let db = bridge::db::Db::connect(&app.database_url)
        .await
        .expect("db");
    let n: i64 = sqlx::query(sql)
        .fetch_one(db.pool())
        .await
        .expect("row")
        .try_get(0)
        .expect("count");
    db.close().await;
    n
}

/// `/lti/login` for the stand-in's issuer, with `login_hint` as given and extra headers.
async fn lti_login(app: &TestApp, login_hint: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut url = url::Url::parse(&format!("{}/lti/login", app.url)).expect("url");
    url.query_pairs_mut()
        .append_pair("iss", app.sim.url())
        .append_pair("client_id", moodle_sim::lti::RECORDED_CLIENT_ID)
        .append_pair("login_hint", login_hint)
        .append_pair("target_link_uri", &format!("{}/lti/launch", app.url));
    let mut request = app.http.get(url.as_str());
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    request.send().await.expect("request")
}

async fn lti_app(pairs: &[(&str, &str)]) -> TestApp {
    let mut options = Options {
        lti: Some(false),
        ..Options::default()
    };
    for (k, v) in pairs {
        options = options.env(k, v);
    }
    spawn_app_with(options).await
}

#[tokio::test]
async fn a_login_or_launch_parameter_over_its_cap_is_400_and_stores_nothing() {
    let app = lti_app(&[]).await;
    assert_eq!(lti_login(&app, "3", &[]).await.status(), 200);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM lti_states").await, 1);
    let refused = lti_login(&app, &"x".repeat(3000), &[]).await;
    assert_eq!(refused.status(), 400);
    assert!(
        refused
            .text()
            .await
            .expect("body")
            .contains("data-code=\"parametertoolarge\"")
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM lti_states").await, 1);
    // A launch whose id_token is larger than any platform's.
    let body = format!("state=s&id_token={}", "a".repeat(70 * 1024));
    let launch = app
        .http
        .post(format!("{}/lti/launch", app.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("request");
    assert_eq!(launch.status(), 400);
    assert!(
        launch
            .text()
            .await
            .expect("body")
            .contains("parametertoolarge")
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM lti_nonces").await, 0);
}

#[tokio::test]
async fn the_lti_routes_are_rate_limited_per_client_address() {
    let app = lti_app(&[("LTI_RATE_LIMIT_PER_MINUTE", "2")]).await;
    assert_eq!(lti_login(&app, "3", &[]).await.status(), 200);
    assert_eq!(lti_login(&app, "3", &[]).await.status(), 200);
    let limited = lti_login(&app, "3", &[]).await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    let launch = app
        .http
        .post(format!("{}/lti/launch", app.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("state=s&id_token=x")
        .send()
        .await
        .expect("request");
    assert_eq!(
        launch.status(),
        429,
        "the launch shares the address's limit"
    );
    // Without TRUSTED_PROXIES a forged X-Forwarded-For changes nothing.
    let forged = lti_login(&app, "3", &[("x-forwarded-for", "203.0.113.77")]).await;
    assert_eq!(forged.status(), 429);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let app = lti_app(&[
        ("LTI_RATE_LIMIT_PER_MINUTE", "1"),
        ("TRUSTED_PROXIES", "127.0.0.1/32"),
    ])
    .await;
    let a = [("x-forwarded-for", "203.0.113.1")];
    let b = [("x-forwarded-for", "198.51.100.2, 203.0.113.2")];
    assert_eq!(lti_login(&app, "3", &a).await.status(), 200);
    assert_eq!(lti_login(&app, "3", &a).await.status(), 429);
    assert_eq!(lti_login(&app, "3", &b).await.status(), 200);
    // A client cannot pick a fresh address by prepending one: the proxy's hop is read.
    let c = [("x-forwarded-for", "192.0.2.99, 203.0.113.1")];
    assert_eq!(lti_login(&app, "3", &c).await.status(), 429);
}

#[tokio::test]
async fn one_clients_failed_token_logins_behind_a_proxy_do_not_lock_out_another() {
    let app = app_with(&[
        ("AUTH_TOKEN_LOGIN_PER_MINUTE", "2"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    let attempt = |from: &'static str| {
        let http = app.http.clone();
        let url = format!("{}/api/auth/token-login", app.url);
        async move {
            http.post(url)
                .header("x-forwarded-for", from)
                .header("content-type", "application/json")
                .body(json!({"wstoken": "0123456789abcdef0123456789abcdef"}).to_string())
                .send()
                .await
                .expect("request")
                .status()
        }
    };
    assert_eq!(attempt("203.0.113.1").await, 401);
    assert_eq!(attempt("203.0.113.1").await, 401);
    assert_eq!(attempt("203.0.113.1").await, 429);
    assert_eq!(
        attempt("203.0.113.2").await,
        401,
        "another client is not locked out"
    );
}

#[tokio::test]
async fn the_audit_log_keeps_the_forwarded_client_address() {
    let app = app_with(&[("TRUSTED_PROXIES", "127.0.0.0/8")]).await;
    let response = app
        .request(Method::POST, "/api/moodle/courses")
        .header("x-forwarded-for", "203.0.113.50")
        .header("content-type", "application/json")
        .body(json!({"fullname": "Audit", "shortname": "AUDIT1", "categoryid": 1}).to_string())
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let db = bridge::db::Db::connect(&app.database_url)
        .await
        .expect("db");
    let client: Option<String> = sqlx::query(
        "SELECT client_address FROM audit_log WHERE route = 'POST /api/moodle/courses'",
    )
    .fetch_one(db.pool())
    .await
    .expect("row")
    .try_get("client_address")
    .expect("column");
    db.close().await;
    assert_eq!(client.as_deref(), Some("203.0.113.50"));
}

#[tokio::test]
async fn metrics_labels_come_from_a_closed_set() {
    let app = app_with(&[]).await;
    for i in 0..5 {
        let method = Method::from_bytes(format!("FOOBAR{i}").as_bytes()).expect("method");
        app.http
            .request(method, format!("{}/health", app.url))
            .send()
            .await
            .expect("request");
        app.http
            .get(format!(
                "{}/no/such/path/{i}-{}",
                app.url,
                uuid::Uuid::new_v4()
            ))
            .send()
            .await
            .expect("request");
    }
    let text = app.get("/metrics").await.text().await.expect("metrics");
    assert!(!text.contains("FOOBAR"), "{text}");
    assert!(!text.contains("/no/such/path"), "{text}");
    assert!(text.contains("method=\"OTHER\""), "{text}");
    assert!(text.contains("route=\"unmatched\""), "{text}");
}

fn file_part(name: &str, size: usize) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(vec![b'x'; size])
        .file_name(name.to_owned())
        .mime_str("application/octet-stream")
        .expect("mime")
}

async fn upload(app: &TestApp, form: reqwest::multipart::Form) -> (u16, Value) {
    status_json(
        app.request(Method::POST, "/upload_files?course_id=2")
            .multipart(form)
            .send()
            .await
            .expect("request"),
    )
    .await
}

async fn stored(app: &TestApp) -> Value {
    body_json(app.get("/list_uploaded_files").await).await
}

#[tokio::test]
async fn an_upload_with_too_many_parts_is_413_and_keeps_nothing() {
    let app = app_with(&[("UPLOAD_FILES_MAX_PARTS", "3")]).await;
    let mut form = reqwest::multipart::Form::new();
    for i in 0..4 {
        form = form.part("file", file_part(&format!("f{i}.bin"), 1000));
    }
    let (status, body) = upload(&app, form).await;
    assert_eq!(
        (status, &body["code"]),
        (413, &json!("toomanyparts")),
        "{body}"
    );
    assert_eq!(stored(&app).await, json!([]));
}

#[tokio::test]
async fn an_upload_over_the_total_is_413_and_keeps_nothing() {
    let app = app_with(&[("UPLOAD_FILES_MAX_TOTAL_MB", "1")]).await;
    let form = reqwest::multipart::Form::new()
        .part("file", file_part("a.bin", 600 * 1024))
        .part("file", file_part("b.bin", 600 * 1024));
    let (status, body) = upload(&app, form).await;
    assert_eq!(
        (status, &body["code"]),
        (413, &json!("uploadtoolarge")),
        "{body}"
    );
    assert_eq!(stored(&app).await, json!([]));
    // Within the total it works.
    let form = reqwest::multipart::Form::new().part("file", file_part("a.bin", 600 * 1024));
    assert_eq!(upload(&app, form).await.0, 200);
}

#[tokio::test]
async fn a_multipart_text_field_of_more_than_a_few_kib_is_refused_naming_it() {
    let app = spawn_app_with(publisher_options()).await;
    let course = app
        .new_course(&json!({"name": "Limits", "description": "", "category_path": "Science"}))
        .await;
    let form = reqwest::multipart::Form::new()
        .text("asset_name", "n".repeat(5000))
        .text("asset_type", "file")
        .part("file", file_part("a.txt", 10));
    let (status, body) = status_json(
        app.request(Method::POST, &format!("/api/courses/{course}/assets"))
            .multipart(form)
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let detail = body["detail"].as_str().expect("detail");
    assert!(
        detail.starts_with("asset_name") && detail.contains("4096 bytes"),
        "refused at the cap, before the field is read whole: {detail}"
    );
    let form = reqwest::multipart::Form::new()
        .text("filepath", "/".repeat(5000))
        .part("file", file_part("a.txt", 10));
    let (status, body) = status_json(app.upload(form).await).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["details"]["field"], "filepath", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("4096 bytes")),
        "{body}"
    );
    assert_eq!(app.sim.calls("webservice/upload.php"), 0);
}

#[tokio::test]
async fn event_streams_are_capped_per_caller_and_in_time() {
    let app = spawn_app_with(
        publisher_options()
            .env("EVENT_STREAMS_PER_SUBJECT", "1")
            .env("EVENT_STREAM_MAX_SECONDS", "1"),
    )
    .await;
    let course = app.demo_course().await;
    let token = app.lms_token().await;
    // Moodle answers slowly, so the push is still running while the streams are opened.
    app.sim
        .faults()
        .inject(FaultRule::always(Fault::Latency { ms: 400 }).times(20));
    let response = app
        .publisher_json(
            Method::POST,
            &format!("/api/courses/{course}/push-to-lms?async=1"),
            &[("x-lms-token", &token)],
            Some(&push_body(&DEMO_ASSETS)),
        )
        .await;
    assert_eq!(response.status(), 202);
    let id = body_json(response).await["job_id"]
        .as_str()
        .expect("job id")
        .to_owned();
    let first = app.get(&format!("/api/jobs/{id}/events")).await;
    assert_eq!(first.status(), 200);
    let second = app.get(&format!("/api/jobs/{id}/events")).await;
    assert_eq!(second.status(), 429);
    // Another caller has its own allowance (and sees nothing of this job: 404).
    let other = shared_token(json!({"sub": "someone-else"}));
    let theirs = app
        .http
        .get(format!("{}/api/jobs/{id}/events", app.url))
        .bearer_auth(other)
        .send()
        .await
        .expect("request");
    assert_eq!(theirs.status(), 404);
    // The stream ends after EVENT_STREAM_MAX_SECONDS even though the job goes on…
    let ended = tokio::time::timeout(Duration::from_secs(10), first.text()).await;
    assert!(ended.is_ok(), "the stream ended on its own");
    // …and its slot is free again.
    let again = app.get(&format!("/api/jobs/{id}/events")).await;
    assert_eq!(again.status(), 200);
    drop(again);
    app.sim.faults().clear();
    app.wait_job(&id).await;
}
