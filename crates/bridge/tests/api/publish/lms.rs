//! LMS logins and tokens: `POST /api/login-lms` (username or email), the encrypted Moodle
//! token, `GET /api/lms/validate`, `GET /api/lms/me`, expiry, revocation, raw Moodle tokens,
//! and several Moodle sites.

use bridge::db::Db;
use moodle_sim::Sim;
use reqwest::Method;
use serde_json::json;
use sqlx::Row as _;

use super::helpers::{ADMIN, moodle_courses, options, publisher_app, push_body};
use crate::helpers::{add_service_functions, spawn_app_with, status_json};

#[tokio::test]
async fn a_login_by_username_or_email_answers_the_seed_shape_and_keeps_the_moodle_token_sealed() {
    let app = publisher_app().await;
    let (status, body) = status_json(app.lms_login("admin", "Admin123!x").await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["message"], "Successfully logged into LMS");
    let data = &body["data"];
    assert!(
        data["token"]
            .as_str()
            .is_some_and(|t| t.starts_with("lms_") && t.len() > 40),
        "{body}"
    );
    assert_eq!(
        data["user"],
        json!({"id": 2, "email": "admin@example.com", "name": "Admin User", "username": "admin"})
    );
    assert_eq!(data["lms"], "default");
    let (status, body) =
        status_json(app.lms_login("teacher1@example.com", "Teacher123!x").await).await;
    assert_eq!(
        (status, body["data"]["user"]["username"].as_str()),
        (200, Some("teacher1")),
        "{body}"
    );
    let moodle_token = app.sim.token("admin_bridge").expect("token");
    let db = Db::connect(&app.database_url).await.expect("db");
    let rows = sqlx::query("SELECT id, moodle_token FROM lms_sessions")
        .fetch_all(db.pool())
        .await
        .expect("rows");
    db.close().await;
    assert_eq!(rows.len(), 2);
    for row in rows {
        let sealed: String = row.try_get("moodle_token").expect("column");
        let id: String = row.try_get("id").expect("column");
        assert!(
            sealed.starts_with("v1.") && !sealed.contains(&moodle_token),
            "sealed: {sealed}"
        );
        assert!(!id.starts_with("lms_"), "only the handle's hash is stored");
    }
}

#[tokio::test]
async fn wrong_credentials_are_401_and_an_unreachable_moodle_is_503() {
    let app = publisher_app().await;
    let (status, body) = status_json(app.lms_login("admin", "wrong").await).await;
    assert_eq!(
        (status, body),
        (401, json!({"detail": "Invalid LMS credentials"}))
    );
    let (status, body) = status_json(app.lms_login("nobody@example.com", "x").await).await;
    assert_eq!(
        (status, body["detail"].as_str()),
        (401, Some("Invalid LMS credentials"))
    );
    let down = spawn_app_with(crate::helpers::Options {
        moodle_url: Some("http://127.0.0.1:9".to_owned()),
        ..options()
    })
    .await;
    let (status, body) = status_json(down.lms_login("admin", "Admin123!x").await).await;
    assert_eq!(
        (status, body),
        (
            503,
            json!({"detail": "Connection error - Could not connect to LMS server"})
        )
    );
    let (status, body) = status_json(
        app.publisher_json(
            Method::POST,
            "/api/login-lms",
            &[],
            Some(&json!({"email": "admin", "password": "x", "lms": "elsewhere"})),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["detail"].as_str()),
        (
            422,
            Some("lms: unknown LMS \"elsewhere\"; configured: default")
        )
    );
}

#[tokio::test]
async fn validate_and_me_take_an_lms_token_or_a_raw_moodle_token() {
    let app = publisher_app().await;
    let token = app.lms_token().await;
    let with = |t: &str, path: &str| {
        let t = t.to_owned();
        let path = path.to_owned();
        let app = &app;
        async move {
            status_json(
                app.publisher_json(Method::GET, &path, &[("x-lms-token", &t)], None)
                    .await,
            )
            .await
        }
    };
    assert_eq!(
        with(&token, "/api/lms/validate").await,
        (200, json!({"valid": true, "lms": "default", "user_id": 2}))
    );
    let (status, me) = with(&token, "/api/lms/me").await;
    assert_eq!(
        (status, me["username"].as_str(), me["email"].as_str()),
        (200, Some("admin"), Some("admin@example.com"))
    );
    let raw = app.sim.token("teacher1_bridge").expect("token");
    let (status, body) = with(&raw, "/api/lms/validate").await;
    assert_eq!((status, body["user_id"].as_i64()), (200, Some(3)), "{body}");
    assert_eq!(
        with("0123456789abcdef0123456789abcdef", "/api/lms/validate")
            .await
            .0,
        401
    );
    assert_eq!(with("lms_nothing", "/api/lms/me").await.0, 401);
    assert_eq!(with("mock_lms_token", "/api/lms/validate").await.0, 400);
    let (status, body) = status_json(app.get("/api/lms/validate").await).await;
    assert_eq!(
        (status, body),
        (400, json!({"detail": "Invalid or expired LMS token"}))
    );
}

#[tokio::test]
async fn an_expired_revoked_or_foreign_lms_token_is_refused_with_401() {
    let app = publisher_app().await;
    let course = app.new_course(&json!({"name": "Tokens"})).await;
    assert_eq!(
        app.add_asset(course, "p", "page", json!("<p>x</p>"))
            .await
            .status(),
        201
    );
    let expiring = app.lms_token().await;
    let db = Db::connect(&app.database_url).await.expect("db");
    sqlx::query("UPDATE lms_sessions SET expires_at_ms = 1")
        .execute(db.pool())
        .await
        .expect("expire");
    db.close().await;
    let (status, body) = status_json(
        app.push(&course.to_string(), &expiring, &push_body(&["p"]))
            .await,
    )
    .await;
    assert_eq!(
        (status, body),
        (401, json!({"detail": "LMS token expired or invalid"}))
    );
    let revoked = app.lms_token().await;
    let logout = app
        .publisher_json(
            Method::POST,
            "/api/lms/logout",
            &[("x-lms-token", &revoked)],
            None,
        )
        .await;
    assert_eq!(logout.status(), 204);
    let (status, _) = status_json(
        app.publisher_json(
            Method::GET,
            "/api/lms/validate",
            &[("x-lms-token", &revoked)],
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 401);
    let raw = app.sim.token("admin_bridge").expect("token");
    let (status, body) = status_json(
        app.publisher_json(
            Method::POST,
            "/api/lms/logout",
            &[("x-lms-token", &raw)],
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["detail"].as_str()),
        (
            400,
            Some("Only LMS tokens from /api/login-lms can be revoked")
        )
    );
    assert!(moodle_courses(&app.sim, &format!("bridge:{course}")).is_empty());
}

#[tokio::test]
async fn each_lms_token_pushes_to_the_site_it_was_made_for() {
    let second = Sim::start(crate::helpers::sim_config())
        .await
        .expect("second stand-in");
    add_service_functions(&second, &[]);
    let service_token = second.token("admin_bridge").expect("token");
    let app = spawn_app_with(
        options()
            .env("LMS_SITES", &format!("second={}", second.url()))
            .env("LMS_SITE_SECOND_TOKEN", &service_token),
    )
    .await;
    let course = app.new_course(&json!({"name": "Twice"})).await;
    assert_eq!(
        app.add_asset(course, "p", "page", json!("<p>x</p>"))
            .await
            .status(),
        201
    );
    let body = json!({"email": ADMIN.0, "password": ADMIN.1, "lms": "second"});
    let (status, login) = status_json(
        app.publisher_json(Method::POST, "/api/login-lms", &[], Some(&body))
            .await,
    )
    .await;
    assert_eq!(
        (status, login["data"]["lms"].as_str()),
        (200, Some("second")),
        "{login}"
    );
    let token = login["data"]["token"].as_str().expect("token");
    let (status, pushed) = status_json(
        app.push(&course.to_string(), token, &push_body(&["p"]))
            .await,
    )
    .await;
    assert_eq!(
        (status, pushed["data"]["lms"].as_str()),
        (200, Some("second")),
        "{pushed}"
    );
    let idnumber = format!("bridge:{course}");
    assert_eq!(
        moodle_courses(&second, &idnumber).len(),
        1,
        "made in the second site"
    );
    assert!(
        moodle_courses(&app.sim, &idnumber).is_empty(),
        "not in the first"
    );
    let first_token = app.lms_token().await;
    let (status, _) = status_json(
        app.push(&course.to_string(), &first_token, &push_body(&["p"]))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        moodle_courses(&app.sim, &idnumber).len(),
        1,
        "now in the first too"
    );
    assert_eq!(app.sync_status().await["courses"]["synced"], 2);
    let raw = second.token("admin_bridge").expect("token");
    let (status, body) = status_json(
        app.publisher_json(
            Method::GET,
            "/api/lms/validate",
            &[("x-lms-token", &raw), ("x-lms-site", "second")],
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["lms"].as_str()),
        (200, Some("second")),
        "{body}"
    );
}
