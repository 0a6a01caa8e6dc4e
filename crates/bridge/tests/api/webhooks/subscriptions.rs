//! `/api/webhooks`: a caller's subscriptions — made with a secret shown once, listed, changed,
//! deleted — only its own, only with `webhooks:manage`, only to public targets unless
//! `WEBHOOK_ALLOW_PRIVATE_TARGETS`.

use reqwest::Method;
use serde_json::{Value, json};

use super::{call, manager_token};
use crate::helpers::{Options, expect_error, spawn_app_with};

#[tokio::test]
async fn a_subscription_is_made_with_a_secret_shown_once_and_only_its_owner_sees_it() {
    let app = spawn_app_with(Options::default().env("WEBHOOK_ALLOW_PRIVATE_TARGETS", "true")).await;
    let alice = manager_token("alice");
    let (status, made) = call(
        &app.url,
        &alice,
        Method::POST,
        "/api/webhooks",
        Some(&json!({
            "url": "http://127.0.0.1:9/hook",
            "event_types": ["course.*", "enrolment.created"],
            "course_id": 2,
            "description": "LMS mirror",
        })),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let id = made["data"]["id"].as_str().expect("id").to_owned();
    assert!(id.starts_with("wh_"), "{made}");
    let secret = made["data"]["secret"].as_str().expect("secret shown once");
    assert!(secret.starts_with("whsec_"), "{made}");
    assert_eq!(
        made["data"]["include_bridge_events"],
        json!(false),
        "echo is off by default"
    );
    assert_eq!(made["data"]["active"], json!(true));

    // Listed and read without the secret.
    let (status, listed) = call(&app.url, &alice, Method::GET, "/api/webhooks", None).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1), "{listed}");
    assert!(
        !listed.to_string().contains(secret),
        "the secret is never shown again"
    );
    let (status, one) = call(
        &app.url,
        &alice,
        Method::GET,
        &format!("/api/webhooks/{id}"),
        None,
    )
    .await;
    assert_eq!(
        (status, one["data"]["course_id"].clone()),
        (200, json!(2)),
        "{one}"
    );
    assert!(one["data"].get("secret").is_none(), "{one}");

    // Another caller sees nothing of it and cannot change or delete it.
    let bob = manager_token("bob");
    let (_, theirs) = call(&app.url, &bob, Method::GET, "/api/webhooks", None).await;
    assert_eq!(theirs["data"], json!([]), "{theirs}");
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"active": false}))),
        (Method::DELETE, None),
    ] {
        let (status, body) = call(
            &app.url,
            &bob,
            method.clone(),
            &format!("/api/webhooks/{id}"),
            body.as_ref(),
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("notfound")),
            "{method} {body}"
        );
    }

    // Changed: only the fields sent; `course_id: null` removes the filter.
    let (status, changed) = call(
        &app.url,
        &alice,
        Method::PATCH,
        &format!("/api/webhooks/{id}"),
        Some(&json!({
            "active": false, "course_id": null, "include_bridge_events": true,
        })),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["data"]["active"], json!(false));
    assert_eq!(changed["data"]["course_id"], Value::Null);
    assert_eq!(changed["data"]["include_bridge_events"], json!(true));
    assert_eq!(
        changed["data"]["event_types"],
        json!(["course.*", "enrolment.created"])
    );

    let (status, _) = call(
        &app.url,
        &alice,
        Method::DELETE,
        &format!("/api/webhooks/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &app.url,
        &alice,
        Method::GET,
        &format!("/api/webhooks/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    app.stop().await;
}

#[tokio::test]
async fn webhook_routes_need_the_webhooks_manage_scope() {
    let app = spawn_app_with(Options::default()).await;
    // The test token has moodle:read and moodle:write, not webhooks:manage.
    for (method, path) in [
        (Method::GET, "/api/webhooks"),
        (Method::POST, "/api/webhooks"),
        (Method::GET, "/api/events/stream"),
    ] {
        let response = app
            .request(method.clone(), path)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .expect("request");
        expect_error(response, 403, "insufficientscope").await;
    }
    let response = app
        .http
        .get(format!("{}/api/webhooks", app.url))
        .send()
        .await
        .expect("request");
    expect_error(response, 401, "unauthorized").await;
    app.stop().await;
}

#[tokio::test]
async fn private_and_malformed_targets_and_unknown_types_are_refused() {
    let app = spawn_app_with(Options::default()).await;
    let token = manager_token("alice");
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.7/hook",
        "http://[::1]/hook",
        "ftp://hooks.example.org/",
        "https://user:pw@hooks.example.org/",
    ] {
        let (status, body) = call(
            &app.url,
            &token,
            Method::POST,
            "/api/webhooks",
            Some(&json!({
                "url": url, "event_types": ["*"],
            })),
        )
        .await;
        assert_eq!(
            (status, body["error"]["details"]["field"].as_str()),
            (400, Some("url")),
            "{url}: {body}"
        );
    }
    let (status, body) = call(
        &app.url,
        &token,
        Method::POST,
        "/api/webhooks",
        Some(&json!({
            "url": "https://hooks.example.org/moodle", "event_types": ["course.exploded"],
        })),
    )
    .await;
    assert_eq!(
        (status, body["error"]["details"]["field"].as_str()),
        (400, Some("event_types")),
        "{body}"
    );
    let (status, body) = call(
        &app.url,
        &token,
        Method::POST,
        "/api/webhooks",
        Some(&json!({
            "url": "https://hooks.example.org/moodle", "event_types": ["*"], "secret": "mine",
        })),
    )
    .await;
    assert_eq!(status, 400, "unknown fields are refused: {body}");
    // A public name is accepted (resolved only when delivering).
    let (status, body) = call(
        &app.url,
        &token,
        Method::POST,
        "/api/webhooks",
        Some(&json!({
            "url": "https://hooks.example.org/moodle", "event_types": ["*"],
        })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn a_caller_has_at_most_webhooks_per_owner_subscriptions() {
    let app = spawn_app_with(Options::default().env("WEBHOOKS_PER_OWNER", "2")).await;
    let token = manager_token("alice");
    let new = json!({"url": "https://hooks.example.org/a", "event_types": ["*"]});
    for _ in 0..2 {
        let (status, body) =
            call(&app.url, &token, Method::POST, "/api/webhooks", Some(&new)).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = call(&app.url, &token, Method::POST, "/api/webhooks", Some(&new)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("toomanywebhooks")),
        "{body}"
    );
    // Another caller has its own allowance.
    let (status, _) = call(
        &app.url,
        &manager_token("bob"),
        Method::POST,
        "/api/webhooks",
        Some(&new),
    )
    .await;
    assert_eq!(status, 201);
    app.stop().await;
}
