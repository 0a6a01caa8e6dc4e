//! Injected faults: timeouts, 5xx, resets, truncated and foreign bodies, rate limits; and
//! which calls are retried (reads) and which never are (writes).

use std::time::{Duration, Instant};

use moodle_sim::{Fault, FaultRule};
use moodle_ws::functions::course::{self, NewCourse};
use moodle_ws::functions::site;
use moodle_ws::{DecodeReason, Error, ErrorKind};

use crate::helpers::{builder, client, sim};

fn new_course() -> NewCourse {
    NewCourse::new("Robotics 150", "ROBO150", 2)
}

#[tokio::test]
async fn latency_beyond_the_timeout_is_a_timeout_and_reads_are_retried() {
    let sim = sim().await;
    sim.faults()
        .inject(FaultRule::always(Fault::Latency { ms: 1500 }));
    let moodle = builder(&sim, "admin_bridge")
        .timeout(Duration::from_millis(200))
        .max_retries(1)
        .build()
        .expect("client");
    let started = Instant::now();
    let err = moodle.get_site_info().await.expect_err("times out");
    assert!(
        matches!(err, Error::Timeout(d) if d == Duration::from_millis(200)),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(sim.calls(site::GET_SITE_INFO.name()), 2);
    assert!(
        started.elapsed() < Duration::from_millis(1400),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_write_that_times_out_is_not_retried() {
    let sim = sim().await;
    sim.faults().inject(FaultRule::on_function(
        course::CREATE_COURSES.name(),
        Fault::Latency { ms: 1500 },
    ));
    let moodle = builder(&sim, "admin_bridge")
        .timeout(Duration::from_millis(200))
        .build()
        .expect("client");
    let err = moodle
        .create_courses(&[new_course()])
        .await
        .expect_err("times out");
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert_eq!(sim.calls(course::CREATE_COURSES.name()), 1);
}

#[tokio::test]
async fn status_503_on_a_read_is_retried_until_it_succeeds() {
    let sim = sim().await;
    sim.faults().inject(
        FaultRule::on_function(site::GET_SITE_INFO.name(), Fault::Status { status: 503 }).times(2),
    );
    let info = client(&sim, "admin_bridge")
        .get_site_info()
        .await
        .expect("third attempt succeeds");
    assert_eq!(info.userid, 2);
    assert_eq!(sim.calls(site::GET_SITE_INFO.name()), 3);
}

#[tokio::test]
async fn status_500_on_a_read_exhausts_the_retries_then_fails_as_bad_gateway() {
    let sim = sim().await;
    sim.faults().inject(FaultRule::on_function(
        site::GET_SITE_INFO.name(),
        Fault::Status { status: 500 },
    ));
    let started = Instant::now();
    let err = client(&sim, "admin_bridge")
        .get_site_info()
        .await
        .expect_err("always 500");
    assert!(
        matches!(&err, Error::Status { status: 500, snippet, .. } if snippet.contains("500")),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::BadResponse);
    assert_eq!(
        sim.calls(site::GET_SITE_INFO.name()),
        4,
        "first attempt and three retries"
    );
    // Backoff 100/200/400 ms with jitter: at least half of it, well under the full sum plus slack.
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(350) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
}

#[tokio::test]
async fn status_500_on_a_write_is_not_retried() {
    let sim = sim().await;
    sim.faults().inject(FaultRule::on_function(
        course::CREATE_COURSES.name(),
        Fault::Status { status: 500 },
    ));
    let err = client(&sim, "admin_bridge")
        .create_courses(&[new_course()])
        .await
        .expect_err("500");
    assert!(matches!(err, Error::Status { status: 500, .. }), "{err:?}");
    assert_eq!(sim.calls(course::CREATE_COURSES.name()), 1);
}

#[tokio::test]
async fn a_reset_mid_body_is_retried_for_reads_and_reported_for_writes() {
    let sim = sim().await;
    sim.faults()
        .inject(FaultRule::on_function(site::GET_SITE_INFO.name(), Fault::ResetMidBody).times(1));
    let moodle = client(&sim, "admin_bridge");
    assert_eq!(
        moodle.get_site_info().await.expect("retry succeeds").userid,
        2
    );
    assert_eq!(sim.calls(site::GET_SITE_INFO.name()), 2);

    sim.faults().inject(FaultRule::on_function(
        course::CREATE_COURSES.name(),
        Fault::ResetMidBody,
    ));
    let err = moodle
        .create_courses(&[new_course()])
        .await
        .expect_err("reset");
    assert!(matches!(err, Error::Interrupted { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Unreachable);
    assert_eq!(err.kind(), ErrorKind::Unreachable);
    assert_eq!(sim.calls(course::CREATE_COURSES.name()), 1);
}

#[tokio::test]
async fn a_truncated_body_is_a_decode_error_and_not_retried() {
    let sim = sim().await;
    sim.faults().inject(FaultRule::on_function(
        site::GET_SITE_INFO.name(),
        Fault::TruncatedBody,
    ));
    let err = client(&sim, "admin_bridge")
        .get_site_info()
        .await
        .expect_err("truncated");
    assert!(
        matches!(
            err,
            Error::Decode {
                reason: DecodeReason::Truncated,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::BadResponse);
    assert_eq!(sim.calls(site::GET_SITE_INFO.name()), 1);
}

#[tokio::test]
async fn a_php_warning_before_the_json_is_a_decode_error_without_server_paths() {
    let sim = sim().await;
    sim.faults().inject(FaultRule::on_function(
        site::GET_SITE_INFO.name(),
        Fault::PhpWarning,
    ));
    let err = client(&sim, "admin_bridge")
        .get_site_info()
        .await
        .expect_err("notice");
    let Error::Decode {
        reason: DecodeReason::Html,
        snippet,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(snippet.contains("Undefined array key"), "{snippet}");
    assert!(
        !snippet.contains("/var/www") && !snippet.contains("moodlelib.php"),
        "{snippet}"
    );
    assert_eq!(err.kind(), ErrorKind::BadResponse);
}

#[tokio::test]
async fn the_maintenance_page_is_reported_without_waiting_for_its_retry_after() {
    let sim = sim().await;
    sim.faults().inject(FaultRule::always(Fault::Maintenance));
    let started = Instant::now();
    let err = client(&sim, "admin_bridge")
        .get_site_info()
        .await
        .expect_err("maintenance");
    let Error::Status {
        status: 503,
        snippet,
        retry_after,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(snippet.contains("maintenance"), "{snippet}");
    assert_eq!(*retry_after, Some(Duration::from_secs(300)));
    assert_eq!(err.kind(), ErrorKind::BadResponse);
    assert_eq!(
        sim.calls(site::GET_SITE_INFO.name()),
        1,
        "Retry-After 300 s is beyond the cap: no retry"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn rate_limiting_is_honoured_for_reads() {
    let sim = sim().await;
    sim.faults().inject(
        FaultRule::on_function(
            site::GET_SITE_INFO.name(),
            Fault::RateLimited { retry_after: 1 },
        )
        .times(1),
    );
    let started = Instant::now();
    let info = client(&sim, "admin_bridge")
        .get_site_info()
        .await
        .expect("after the wait");
    assert_eq!(info.userid, 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(sim.calls(site::GET_SITE_INFO.name()), 2);
}

#[tokio::test]
async fn rate_limiting_beyond_the_cap_or_on_writes_is_reported_as_429() {
    let sim = sim().await;
    sim.faults()
        .inject(FaultRule::always(Fault::RateLimited { retry_after: 60 }));
    let moodle = client(&sim, "admin_bridge");
    let err = moodle.get_site_info().await.expect_err("429");
    assert!(
        matches!(err, Error::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(60)),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(sim.calls(site::GET_SITE_INFO.name()), 1);
    sim.faults().clear();
    sim.faults().inject(FaultRule::on_function(
        course::CREATE_COURSES.name(),
        Fault::RateLimited { retry_after: 1 },
    ));
    let err = moodle
        .create_courses(&[new_course()])
        .await
        .expect_err("429");
    assert!(matches!(err, Error::RateLimited { .. }));
    assert_eq!(sim.calls(course::CREATE_COURSES.name()), 1);
}

/// Records what the client reports to its observer.
#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<(String, u32, Option<ErrorKind>)>>);

impl moodle_ws::CallObserver for Recorder {
    fn call_finished(&self, record: &moodle_ws::CallRecord<'_>) {
        self.0.lock().expect("lock").push((
            record.function.to_owned(),
            record.retries,
            record.error.map(Error::kind),
        ));
    }
}

#[tokio::test]
async fn the_observer_sees_each_call_with_its_retries_and_outcome() {
    let sim = sim().await;
    let recorder = std::sync::Arc::new(Recorder::default());
    let moodle = builder(&sim, "admin_bridge")
        .observer(recorder.clone())
        .build()
        .expect("client");
    moodle.get_site_info().await.expect("site info");
    sim.faults().inject(FaultRule::on_function(
        site::GET_SITE_INFO.name(),
        Fault::Status { status: 503 },
    ));
    moodle.get_site_info().await.expect_err("503 every time");
    let seen = recorder.0.lock().expect("lock").clone();
    assert_eq!(
        seen,
        vec![
            (site::GET_SITE_INFO.name().to_owned(), 0, None),
            (
                site::GET_SITE_INFO.name().to_owned(),
                3,
                Some(ErrorKind::BadResponse)
            ),
        ]
    );
}
