//! Moodle's events to applications: subscriptions (`/api/webhooks`), deliveries from the
//! stand-in's outbox to a local receiver (signed, in order, once, across a receiver outage, a
//! killed bridge and two instances), echo suppression, refused targets, and the event stream.

mod catalogue;
mod delivery;
pub mod receiver;
mod retention;
mod stream;
mod subscriptions;

use bridge::auth::{OwnKey, Scope, Scopes};
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{SECRET_KEY, http_client, status_json};

/// A token of `subject` with `webhooks:manage`.
pub fn manager_token(subject: &str) -> String {
    OwnKey::derive(&moodle_ws::Secret::new(SECRET_KEY))
        .issue(
            subject,
            Scopes::NONE.with(Scope::WebhooksManage),
            std::time::Duration::from_secs(3600),
        )
        .expect("issue")
        .token
        .expose()
        .to_owned()
}

/// Sends `body` to `path` of the bridge at `base` with `token`: status and JSON.
pub async fn call(
    base: &str,
    token: &str,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut req = http_client()
        .request(method, format!("{base}{path}"))
        .bearer_auth(token);
    if let Some(body) = body {
        req = req
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    status_json(req.send().await.expect("request")).await
}

/// The settings every delivery test runs with: loopback receivers allowed, fast polls and
/// retries.
pub fn fast_events() -> crate::helpers::Options {
    crate::helpers::Options::default()
        .env("WEBHOOK_ALLOW_PRIVATE_TARGETS", "true")
        .env("EVENTS_POLL_INTERVAL_MS", "100")
        .env("WEBHOOK_RETRY_BASE_MS", "50")
}

/// Subscribes `url` for `subject` to `types` (more fields in `extra`); answers the id and the
/// secret.
pub async fn subscribe(
    base: &str,
    subject: &str,
    url: &str,
    types: &[&str],
    extra: Value,
) -> (String, String) {
    let mut body = serde_json::json!({ "url": url, "event_types": types });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let (status, made) = call(
        base,
        &manager_token(subject),
        Method::POST,
        "/api/webhooks",
        Some(&body),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    (
        made["data"]["id"].as_str().expect("id").to_owned(),
        made["data"]["secret"].as_str().expect("secret").to_owned(),
    )
}

/// A web-service call to the stand-in as a Moodle user other than the bridge (the
/// administrator's mobile-app token, its service given `function` as an administrator
/// would): the events it causes are Moodle's, not the bridge's.
pub async fn moodle_write(sim: &moodle_sim::Sim, function: &'static str, params: &Value) -> Value {
    sim_call(sim, "admin_mobile", function, params).await
}

/// A web-service call to the stand-in with the seeded token `role` (`teacher1_mobile`, …),
/// its service given `function` when it lacks it.
pub async fn sim_call(
    sim: &moodle_sim::Sim,
    role: &str,
    function: &'static str,
    params: &Value,
) -> Value {
    let service = if role.ends_with("_mobile") {
        "moodle_mobile_app"
    } else {
        "bridge"
    };
    sim.with_state(|s| {
        let service = s
            .services
            .values_mut()
            .find(|svc| svc.shortname == service)
            .expect("the service");
        if !service.functions.iter().any(|f| f == function) {
            service.functions.push(function.to_owned());
        }
    });
    let token = sim.token(role).expect("a seeded token");
    moodle_ws::Client::new(sim.url(), token)
        .expect("client")
        .call_raw(moodle_ws::Function::write(function), params)
        .await
        .unwrap_or_else(|e| panic!("{function} as {role}: {e}"))
}

/// Makes a course in the stand-in as Moodle (not the bridge); answers its id.
pub async fn moodle_course(sim: &moodle_sim::Sim, shortname: &str) -> i64 {
    let made = moodle_write(
        sim,
        "core_course_create_courses",
        &serde_json::json!({"courses": [{"fullname": shortname, "shortname": shortname, "categoryid": 1}]}),
    )
    .await;
    made[0]["id"].as_i64().unwrap_or_else(|| panic!("{made}"))
}
