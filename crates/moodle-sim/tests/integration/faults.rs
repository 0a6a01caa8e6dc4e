//! Fault injection and call counting through the control endpoint, as a black-box test
//! drives them.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::Site;

async fn inject(site: &Site, rule: Value) {
    let resp = site
        .http
        .post(format!("{}/__sim/faults", site.sim.url()))
        .json(&rule)
        .send()
        .await
        .expect("control");
    assert_eq!(resp.status(), 204, "{rule}");
}

async fn site_info(site: &Site) -> reqwest::Response {
    site.http
        .post(format!("{}/webservice/rest/server.php", site.sim.url()))
        .form(&[
            ("wstoken", site.token("admin_bridge").as_str()),
            ("wsfunction", "core_webservice_get_site_info"),
            ("moodlewsrestformat", "json"),
        ])
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn a_limited_status_fault_fails_once_and_is_counted() {
    let site = Site::start().await;
    inject(
        &site,
        json!({"fault": {"kind": "status", "status": 503}, "target": {"function": "core_webservice_get_site_info"}, "times": 1}),
    )
    .await;
    let first = site_info(&site).await;
    assert_eq!(first.status(), 503);
    assert!(
        first.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/html")
    );
    let second = site_info(&site).await;
    assert_eq!(second.status(), 200);
    let calls: Value = site
        .http
        .get(format!("{}/__sim/calls", site.sim.url()))
        .send()
        .await
        .expect("calls")
        .json()
        .await
        .expect("json");
    assert_eq!(calls["core_webservice_get_site_info"], 2);
    assert_eq!(site.sim.calls("core_webservice_get_site_info"), 2);
}

#[tokio::test]
async fn latency_delays_and_rate_limits_carry_retry_after() {
    let site = Site::start().await;
    inject(
        &site,
        json!({"fault": {"kind": "latency", "ms": 150}, "target": "any", "times": 1}),
    )
    .await;
    let started = Instant::now();
    assert_eq!(site_info(&site).await.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
    inject(
        &site,
        json!({"fault": {"kind": "rate_limited", "retry_after": 7}, "target": "any", "times": 1}),
    )
    .await;
    let limited = site_info(&site).await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "7");
}

#[tokio::test]
async fn broken_bodies_are_what_a_broken_site_sends() {
    let site = Site::start().await;
    inject(
        &site,
        json!({"fault": {"kind": "truncated_body"}, "target": "any", "times": 1}),
    )
    .await;
    let truncated = site_info(&site).await.text().await.expect("body");
    assert!(
        serde_json::from_str::<Value>(&truncated).is_err(),
        "{truncated}"
    );
    inject(
        &site,
        json!({"fault": {"kind": "php_warning"}, "target": "any", "times": 1}),
    )
    .await;
    let warned = site_info(&site).await.text().await.expect("body");
    assert!(warned.starts_with("<br />\n<b>Warning</b>"), "{warned}");
    assert!(warned.contains("\"sitename\":\"Moodle Real Test Site\""));
    inject(
        &site,
        json!({"fault": {"kind": "maintenance"}, "target": "any", "times": 1}),
    )
    .await;
    let maintenance = site_info(&site).await;
    assert_eq!(maintenance.status(), 503);
    assert!(
        maintenance
            .text()
            .await
            .expect("body")
            .contains("maintenance")
    );
}

#[tokio::test]
async fn a_reset_mid_body_breaks_the_download() {
    let site = Site::start().await;
    inject(&site, json!({"fault": {"kind": "reset_mid_body"}, "target": {"endpoint": "webservice/pluginfile.php"}})).await;
    let resp = site
        .http
        .get(format!(
            "{}/webservice/pluginfile.php/17/user/private/study_notes.txt",
            site.sim.url()
        ))
        .query(&[("token", site.token("student1_bridge"))])
        .send()
        .await
        .expect("headers arrive");
    assert_eq!(resp.status(), 200);
    assert!(resp.bytes().await.is_err(), "the body must not complete");
}

#[tokio::test]
async fn debugging_can_be_switched_on_from_outside() {
    let site = Site::start().await;
    let resp = site
        .http
        .post(format!("{}/__sim/config", site.sim.url()))
        .json(&json!({"debug": true}))
        .send()
        .await
        .expect("config");
    assert_eq!(resp.status(), 204);
    let body = site
        .call(
            &site.token("admin_bridge"),
            "core_course_get_contents",
            &[("courseid", "abc")],
        )
        .await;
    assert_eq!(
        body["debuginfo"],
        "courseid => Invalid parameter value detected: Invalid external api parameter: the value is \"abc\", the server was expecting \"int\" type"
    );
}
