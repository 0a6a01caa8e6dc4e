//! Stricter tokens (security review, issue 11 §5): a shared-secret token must expire and meet
//! the configured issuer and audience; `nbf` holds for every kind; `token list` and
//! `token revoke` take tokens back on every instance; what a caller makes belongs to its token
//! source and subject together; an API token sees its own stored files only (all of them with
//! `files:admin`); the gateway enrols with allowed roles only.

use std::process::Output;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tokio::process::Command;

use crate::helpers::{
    Options, SECRET_KEY, TestApp, expect_error, expect_ok, raw_shared_token, shared_token,
    spawn_app, spawn_app_with, status_json,
};
use bridge::auth::{Scope, Scopes};

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

async fn siteinfo(app: &TestApp, token: &str) -> reqwest::Response {
    app.http
        .get(format!("{}/api/moodle/siteinfo", app.url))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
}

async fn refused_because(app: &TestApp, token: &str) -> Value {
    let body = expect_error(siteinfo(app, token).await, 401, "unauthorized").await;
    body["error"]["details"]["reason"].clone()
}

#[tokio::test]
async fn a_shared_secret_token_without_exp_is_refused() {
    let app = spawn_app().await;
    let reason = refused_because(&app, &raw_shared_token(&json!({"sub": "app-user"}))).await;
    assert_eq!(reason, "missing_claim");
    let ok = shared_token(json!({"sub": "app-user", "exp": now() + 60}));
    expect_ok(siteinfo(&app, &ok).await).await;
}

#[tokio::test]
async fn a_token_before_its_nbf_is_refused_whatever_its_source() {
    let app = spawn_app().await;
    let early = shared_token(json!({"sub": "app-user", "nbf": now() + 600}));
    assert_eq!(refused_because(&app, &early).await, "not_yet_valid");
    let due = shared_token(json!({"sub": "app-user", "nbf": now() - 5}));
    expect_ok(siteinfo(&app, &due).await).await;
}

#[tokio::test]
async fn configured_shared_secret_issuer_and_audience_are_checked() {
    let app = spawn_app_with(
        Options::default()
            .env("AUTH_HS256_ISSUER", "https://app.example.org")
            .env("AUTH_HS256_AUDIENCE", "moodle-bridge"),
    )
    .await;
    let good = json!({"sub": "u", "iss": "https://app.example.org", "aud": "moodle-bridge"});
    expect_ok(siteinfo(&app, &shared_token(good)).await).await;
    for claims in [
        json!({"sub": "u", "iss": "https://evil.example", "aud": "moodle-bridge"}),
        json!({"sub": "u", "iss": "https://app.example.org", "aud": "someone-else"}),
    ] {
        let reason = refused_because(&app, &shared_token(claims)).await;
        assert_eq!(reason, "wrong_issuer_or_audience");
    }
    let reason = refused_because(&app, &shared_token(json!({"sub": "u"}))).await;
    assert_eq!(reason, "missing_claim");
}

/// The binary on the test app's database.
async fn cli(app: &TestApp, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().expect("dir");
    Command::new(env!("CARGO_BIN_EXE_moodle-bridge"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATA_DIR", dir.path())
        .env("DATABASE_URL", &app.database_url)
        .env("SECRET_KEY", SECRET_KEY)
        .env("LOG_LEVEL", "warn")
        .current_dir(dir.path())
        .args(args)
        .output()
        .await
        .expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Waits (up to 8 s, more than the revocation reload period) for `token` to be refused.
async fn until_refused(app: &TestApp, token: &str) -> Value {
    for _ in 0..80 {
        let response = siteinfo(app, token).await;
        if response.status() == 401 {
            return status_json(response).await.1;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the revoked token was still accepted after 8 s");
}

#[tokio::test]
async fn token_list_shows_issued_tokens_and_token_revoke_takes_them_back() {
    let app = spawn_app().await;
    let made = cli(
        &app,
        &[
            "token",
            "create",
            "--sub",
            "alice",
            "--scope",
            "moodle:read",
        ],
    )
    .await;
    assert_eq!(made.status.code(), Some(0), "{made:?}");
    let alice = stdout(&made).trim().to_owned();
    let second = cli(&app, &["token", "create", "--sub", "alice"]).await;
    let alice2 = stdout(&second).trim().to_owned();
    let bob = stdout(&cli(&app, &["token", "create", "--sub", "bob"]).await)
        .trim()
        .to_owned();
    expect_ok(siteinfo(&app, &alice).await).await;

    let listed = cli(&app, &["token", "list", "--json"]).await;
    let rows: Vec<Value> = stdout(&listed)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(
        !stdout(&listed).contains(&alice),
        "the tokens themselves are never listed"
    );
    let first = rows
        .iter()
        .find(|r| r["subject"] == "alice" && r["scopes"] == "moodle:read")
        .expect("alice's read-only token");
    assert_eq!(first["state"], "active");
    let jti = first["jti"].as_str().expect("jti").to_owned();

    let revoked = cli(&app, &["token", "revoke", &jti]).await;
    assert_eq!(revoked.status.code(), Some(0), "{revoked:?}");
    let body = until_refused(&app, &alice).await;
    assert_eq!(body["error"]["details"]["reason"], "revoked");
    expect_ok(siteinfo(&app, &alice2).await).await;

    let all = cli(&app, &["token", "revoke", "--sub", "alice"]).await;
    assert_eq!(all.status.code(), Some(0), "{all:?}");
    until_refused(&app, &alice2).await;
    expect_ok(siteinfo(&app, &bob).await).await;
    let listed = stdout(&cli(&app, &["token", "list", "--sub", "alice", "--json"]).await);
    assert_eq!(
        listed.matches("\"state\":\"revoked\"").count(),
        2,
        "{listed}"
    );
    // A token of alice made after the revocation works.
    let fresh = stdout(&cli(&app, &["token", "create", "--sub", "alice"]).await)
        .trim()
        .to_owned();
    expect_ok(siteinfo(&app, &fresh).await).await;
}

#[tokio::test]
async fn a_shared_secret_subject_can_be_revoked_too() {
    let app = spawn_app().await;
    let token = shared_token(json!({"sub": "app-user", "iat": now() - 10}));
    expect_ok(siteinfo(&app, &token).await).await;
    let out = cli(
        &app,
        &[
            "token",
            "revoke",
            "--sub",
            "app-user",
            "--source",
            "shared-secret",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    until_refused(&app, &token).await;
    // The bridge's own "app-user" is someone else.
    let own = OwnToken::new("app-user");
    expect_ok(siteinfo(&app, &own.0).await).await;
}

/// A bridge token for a subject, with both gateway scopes.
struct OwnToken(String);

impl OwnToken {
    fn new(subject: &str) -> OwnToken {
        OwnToken(
            bridge::auth::OwnKey::derive(&moodle_ws::Secret::new(SECRET_KEY))
                .issue(subject, Scopes::READ_WRITE, Duration::from_secs(3600))
                .expect("issue")
                .token
                .expose()
                .to_owned(),
        )
    }
}

#[tokio::test]
async fn publisher_data_belongs_to_source_and_subject_together() {
    let app = spawn_app_with(crate::publish::helpers::options()).await;
    let own = OwnToken::new("alice").0;
    let shared = shared_token(json!({"sub": "alice", "scope": "moodle:read moodle:write"}));
    let made = app
        .http
        .post(format!("{}/api/courses", app.url))
        .bearer_auth(&own)
        .header("content-type", "application/json")
        .body(json!({"name": "Mine", "description": "", "category_path": "Science"}).to_string())
        .send()
        .await
        .expect("request");
    let (status, course) = status_json(made).await;
    assert_eq!(status, 201, "{course}");
    let id = course["id"].as_i64().expect("id");
    let theirs = app
        .http
        .get(format!("{}/api/courses/{id}", app.url))
        .bearer_auth(&shared)
        .send()
        .await
        .expect("request");
    assert_eq!(theirs.status(), 404, "another source's alice sees nothing");
    let list = app
        .http
        .get(format!("{}/api/courses", app.url))
        .bearer_auth(&shared)
        .send()
        .await
        .expect("request");
    assert_eq!(status_json(list).await.1, json!([]));
    let mine = app
        .http
        .get(format!("{}/api/courses/{id}", app.url))
        .bearer_auth(&own)
        .send()
        .await
        .expect("request");
    assert_eq!(mine.status(), 200);
}

async fn upload_as(app: &TestApp, token: &str, name: &str) -> String {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"hello".to_vec())
            .file_name(name.to_owned())
            .mime_str("text/plain")
            .expect("mime"),
    );
    let (status, body) = status_json(
        app.http
            .post(format!("{}/upload_files?course_id=2", app.url))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["files"][0]["id"].as_str().expect("id").to_owned()
}

async fn listed_ids(app: &TestApp, token: &str) -> Vec<String> {
    let (status, body) = status_json(
        app.http
            .get(format!("{}/list_uploaded_files", app.url))
            .bearer_auth(token)
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body.as_array()
        .expect("list")
        .iter()
        .map(|f| f["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn an_api_token_sees_and_deletes_only_its_own_files_unless_files_admin() {
    let app = spawn_app().await;
    let alice = OwnToken::new("alice").0;
    let bob = OwnToken::new("bob").0;
    let admin = bridge::auth::OwnKey::derive(&moodle_ws::Secret::new(SECRET_KEY))
        .issue(
            "ops",
            Scopes::READ_WRITE.with(Scope::FilesAdmin),
            Duration::from_secs(3600),
        )
        .expect("issue")
        .token
        .expose()
        .to_owned();
    let a = upload_as(&app, &alice, "a.txt").await;
    let b = upload_as(&app, &bob, "b.txt").await;
    assert_eq!(listed_ids(&app, &alice).await, vec![a.clone()]);
    assert_eq!(listed_ids(&app, &bob).await, vec![b.clone()]);
    let mut all = listed_ids(&app, &admin).await;
    all.sort();
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort();
    assert_eq!(all, expected);
    for (method, path) in [
        (Method::GET, format!("/download_file/{a}")),
        (Method::DELETE, format!("/delete_file/{a}")),
    ] {
        let response = app
            .http
            .request(method, format!("{}{path}", app.url))
            .bearer_auth(&bob)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 404, "{path}");
    }
    assert_eq!(
        listed_ids(&app, &alice).await,
        vec![a.clone()],
        "still there"
    );
    let deleted = app
        .http
        .delete(format!("{}/delete_file/{a}", app.url))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("request");
    assert_eq!(deleted.status(), 200);
    assert!(listed_ids(&app, &alice).await.is_empty());
}

#[tokio::test]
async fn the_gateway_enrols_with_allowed_roles_only() {
    let app = spawn_app().await;
    let manager = json!({"enrolments": [{"roleid": 1, "userid": 3, "courseid": 3}]});
    let body = expect_error(app.enrol(&manager).await, 403, "roleforbidden").await;
    assert_eq!(body["error"]["details"]["field"], "enrolments[0].roleid");
    let mixed = json!({"enrolments": [
        {"roleid": 5, "userid": 7, "courseid": 3},
        {"roleid": 3, "userid": 8, "courseid": 3}
    ]});
    let body = expect_error(app.enrol(&mixed).await, 403, "roleforbidden").await;
    assert_eq!(body["error"]["details"]["field"], "enrolments[1].roleid");
    assert_eq!(
        app.sim.calls("enrol_manual_enrol_users"),
        0,
        "Moodle is not called"
    );
    let student = json!({"enrolments": [{"roleid": 5, "userid": 7, "courseid": 3}]});
    expect_ok(app.enrol(&student).await).await;
    // An operator may allow more.
    let app = spawn_app_with(Options::default().env("GATEWAY_ENROL_ROLE_IDS", "5,3")).await;
    let teacher = json!({"enrolments": [{"roleid": 3, "userid": 8, "courseid": 3}]});
    expect_ok(app.enrol(&teacher).await).await;
}
