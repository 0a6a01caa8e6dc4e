//! The publisher (`docs/contracts/publisher.md`) against the real site, and what its tests
//! share: logging in with a real password, local courses and assets, pushes, what Moodle holds
//! (read back with the administrator's token) and how many times the bridge called each
//! Moodle function (its `/metrics`).

mod changes;
mod inline;
mod push;
mod quiz;
mod removals;

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};

use super::{Bridge, Site, run_id};

/// The course's activities in Moodle: (cmid, modname, name).
pub async fn moodle_modules(site: &Site, course: i64) -> Vec<(i64, String, String)> {
    let contents = site
        .admin_ws(
            "core_course_get_contents",
            &[("courseid", course.to_string())],
        )
        .await;
    contents
        .as_array()
        .unwrap_or_else(|| panic!("sections: {contents}"))
        .iter()
        .flat_map(|s| s["modules"].as_array().cloned().unwrap_or_default())
        .map(|m| {
            (
                m["id"].as_i64().expect("id"),
                m["modname"].as_str().expect("modname").to_owned(),
                m["name"].as_str().expect("name").to_owned(),
            )
        })
        .collect()
}

/// A course module as the administrator sees it (`core_course_get_course_module`): its
/// `cm` object, or `None` when Moodle no longer has it.
pub async fn course_module(site: &Site, cmid: i64) -> Option<Value> {
    let answer = site
        .admin_ws(
            "core_course_get_course_module",
            &[("cmid", cmid.to_string())],
        )
        .await;
    // `invalidrecord` or `invalidrecordunknown`, by Moodle's version.
    if answer["exception"] == "dml_missing_record_exception" {
        return None;
    }
    assert!(answer["cm"].is_object(), "cm {cmid}: {answer}");
    Some(answer["cm"].clone())
}

/// A run id for the names this test makes, and a bridge on the site whose ID numbers start
/// with `real<run>` (so its course ids never meet an earlier run's), with `extra` settings.
pub async fn own_bridge(site: &Site, extra: &[(&str, &str)]) -> (String, Bridge) {
    let run = run_id();
    let prefix = format!("real{run}");
    let mut env = vec![("LMS_IDNUMBER_PREFIX", prefix.as_str())];
    env.extend_from_slice(extra);
    let bridge = Bridge::start(site, &env).await;
    (run, bridge)
}

/// The administrator's LMS token, from `POST /api/login-lms` with the real password.
pub async fn admin_login(bridge: &Bridge, site: &Site) -> String {
    let (status, body) = bridge
        .send(
            Method::POST,
            "/api/login-lms",
            &[],
            &json!({"email": "admin@example.com", "password": site.password("admin")}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["data"]["token"].as_str().expect("token").to_owned()
}

/// A new local course; answers its id.
pub async fn new_course(bridge: &Bridge, name: &str, shortname: &str) -> i64 {
    let (status, course) = bridge
        .send(
            Method::POST,
            "/api/courses",
            &[],
            &json!({"name": name, "category_path": "Bridge real suite", "shortname": shortname}),
        )
        .await;
    assert_eq!(status, 201, "{course}");
    course["id"].as_i64().expect("id")
}

/// Adds a JSON asset to a local course.
pub async fn add_asset(bridge: &Bridge, course: i64, name: &str, kind: &str, content: Value) {
    let (status, body) = bridge
        .send(
            Method::POST,
            &format!("/api/courses/{course}/assets"),
            &[],
            &json!({"asset_name": name, "asset_type": kind, "asset_content": content}),
        )
        .await;
    assert_eq!(status, 201, "{name}: {body}");
}

/// `push-to-lms` of the named assets (`extra` fields added to the body): status and answer.
pub async fn push_status(
    bridge: &Bridge,
    course: i64,
    lms_token: &str,
    names: &[&str],
    extra: Value,
) -> (u16, Value) {
    let mut body = json!({
        "asset_names": names,
        "asset_type": ["page", "file", "url", "forum", "quiz", "question-paper"],
        "publish": true,
        "export_format": "lms_standard",
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    bridge
        .send(
            Method::POST,
            &format!("/api/courses/{course}/push-to-lms"),
            &[("x-lms-token", lms_token)],
            &body,
        )
        .await
}

/// `push-to-lms` that must succeed: answers its `data`.
pub async fn push(bridge: &Bridge, course: i64, lms_token: &str, names: &[&str]) -> Value {
    let (status, body) = push_status(bridge, course, lms_token, names, json!({})).await;
    assert_eq!((status, &body["success"]), (200, &json!(true)), "{body}");
    body["data"].clone()
}

/// The Moodle course id of a push's answer.
pub fn moodle_course(data: &Value) -> i64 {
    data["lms_course_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("lms_course_id: {data}"))
}

/// The report entry of an asset, by name.
pub fn entry<'a>(data: &'a Value, name: &str) -> &'a Value {
    data["exported_assets"]
        .as_array()
        .and_then(|l| l.iter().find(|e| e["asset_name"] == name))
        .unwrap_or_else(|| panic!("no entry for {name}: {data}"))
}

/// The course module id of a report entry.
pub fn cmid(entry: &Value) -> i64 {
    entry["lms_content_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("lms_content_id: {entry}"))
}

/// How many times the bridge has called each Moodle function (every outcome), read from its
/// `/metrics` (`moodle_bridge_moodle_call_duration_seconds_count`).
pub async fn moodle_calls(bridge: &Bridge) -> BTreeMap<String, u64> {
    let text = bridge
        .http
        .get(format!("{}/metrics", bridge.url))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("moodle_bridge_moodle_call_duration_seconds_count{")
        else {
            continue;
        };
        let function = rest
            .split("function=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("a function label");
        let n: u64 = rest
            .rsplit(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("a count: {line}"));
        *counts.entry(function.to_owned()).or_default() += n;
    }
    counts
}

/// The calls made between two readings of [`moodle_calls`], by function.
pub fn calls_since(
    before: &BTreeMap<String, u64>,
    after: &BTreeMap<String, u64>,
) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(f, n)| (f.clone(), n - before.get(f).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}
