//! Injected faults: a slow Moodle is 504, an unreachable one 503, a foreign body 502;
//! reads are retried before giving up, writes never are (the stand-in's call counter proves
//! exactly one create); the circuit breaker opens after repeated failures.

use moodle_sim::{Fault, FaultRule};
use serde_json::json;

use crate::helpers::{Options, expect_error, expect_ok, spawn_app, spawn_app_with};

fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn a_slow_moodle_is_504_timeout() {
    let app = spawn_app_with(
        Options::default()
            .env("MOODLE_TIMEOUT_MS", "200")
            .env("MOODLE_MAX_RETRIES", "0"),
    )
    .await;
    app.sim
        .faults()
        .inject(FaultRule::always(Fault::Latency { ms: 1000 }));
    let body = expect_error(app.site_info().await, 504, "unknown").await;
    assert_eq!(body["error"]["details"]["reason"], "timeout");
    assert_eq!(body["error"]["message"], "Request timeout after 0.2s");
}

#[tokio::test]
async fn a_refused_connection_is_503_unreachable() {
    let app = spawn_app_with(Options {
        moodle_url: Some(closed_port_url()),
        ..Options::default()
    })
    .await;
    let body = expect_error(app.site_info().await, 503, "unknown").await;
    assert_eq!(body["error"]["details"]["reason"], "unreachable");
}

#[tokio::test]
async fn garbage_from_moodle_is_502_bad_response() {
    let app = spawn_app().await;
    for fault in [Fault::TruncatedBody, Fault::PhpWarning] {
        app.sim.faults().clear();
        app.sim.faults().inject(FaultRule::on_function(
            "core_webservice_get_site_info",
            fault.clone(),
        ));
        let body = expect_error(app.site_info().await, 502, "unknown").await;
        assert_eq!(
            body["error"]["details"]["reason"], "bad_response",
            "{fault:?}"
        );
    }
}

#[tokio::test]
async fn a_5xx_is_retried_for_reads_then_502() {
    let app = spawn_app().await;
    app.sim.faults().inject(FaultRule::on_function(
        "core_course_get_courses",
        Fault::Status { status: 500 },
    ));
    let body = expect_error(app.courses("").await, 502, "unknown").await;
    assert_eq!(body["error"]["details"]["reason"], "bad_response");
    assert_eq!(
        app.sim.calls("core_course_get_courses"),
        3,
        "first attempt and MOODLE_MAX_RETRIES=2 repeats"
    );
}

#[tokio::test]
async fn a_read_recovers_when_a_retry_succeeds() {
    let app = spawn_app().await;
    app.sim.faults().inject(
        FaultRule::on_function(
            "core_webservice_get_site_info",
            Fault::Status { status: 503 },
        )
        .times(1),
    );
    expect_ok(app.site_info().await).await;
    assert_eq!(app.sim.calls("core_webservice_get_site_info"), 2);
}

#[tokio::test]
async fn writes_are_never_retried() {
    let app = spawn_app().await;
    app.sim.faults().inject(FaultRule::on_function(
        "core_course_create_courses",
        Fault::Status { status: 500 },
    ));
    expect_error(
        app.create_course(&json!({"fullname": "A", "shortname": "A1", "categoryid": 1}))
            .await,
        502,
        "unknown",
    )
    .await;
    assert_eq!(app.sim.calls("core_course_create_courses"), 1);
    app.sim.faults().clear();
    app.sim.faults().inject(FaultRule::on_function(
        "core_course_update_courses",
        Fault::ResetMidBody,
    ));
    expect_error(
        app.update_course("2", &json!({"fullname": "B"})).await,
        503,
        "unknown",
    )
    .await;
    assert_eq!(app.sim.calls("core_course_update_courses"), 1);
}

#[tokio::test]
async fn a_create_that_times_out_is_sent_once() {
    let app = spawn_app_with(Options::default().env("MOODLE_TIMEOUT_MS", "300")).await;
    app.sim.faults().inject(FaultRule::on_function(
        "core_course_create_courses",
        Fault::Latency { ms: 1000 },
    ));
    expect_error(
        app.create_course(&json!({"fullname": "Slow", "shortname": "SLOW1", "categoryid": 1}))
            .await,
        504,
        "unknown",
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert_eq!(app.sim.calls("core_course_create_courses"), 1);
}

#[tokio::test]
async fn the_circuit_opens_after_repeated_failures_and_says_so() {
    let app = spawn_app_with(
        Options {
            moodle_url: Some(closed_port_url()),
            ..Options::default()
        }
        .env("MOODLE_MAX_RETRIES", "0"),
    )
    .await;
    for _ in 0..5 {
        expect_error(app.site_info().await, 503, "unknown").await;
    }
    let response = app.site_info().await;
    let retry_after = response.headers().get("retry-after").cloned();
    let body = expect_error(response, 503, "unknown").await;
    assert_eq!(body["error"]["details"]["reason"], "circuit_open");
    assert!(
        retry_after.is_some(),
        "circuit-open answers say when to come back"
    );
}

#[tokio::test]
async fn moodle_maintenance_mode_is_a_bad_response_not_a_crash() {
    let app = spawn_app().await;
    app.sim
        .faults()
        .inject(FaultRule::always(Fault::Maintenance));
    let body = expect_error(app.courses("").await, 502, "unknown").await;
    assert_eq!(body["error"]["details"]["reason"], "bad_response");
}
