//! Moodle's events to applications: subscriptions (`/api/webhooks`), deliveries from the
//! stand-in's outbox to a local receiver (signed, in order, once, across a receiver outage, a
//! killed bridge and two instances), echo suppression, refused targets, and the event stream.

mod delivery;
pub mod receiver;
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
