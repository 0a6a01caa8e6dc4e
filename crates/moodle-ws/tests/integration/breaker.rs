//! The circuit breaker: opening after N connect failures, failing fast, half-open probes.

use std::time::{Duration, Instant};

use moodle_sim::{Sim, SimConfig};
use moodle_ws::{BreakerState, Client, Error, ErrorKind};

use crate::helpers::closed_addr;

#[tokio::test]
async fn connect_failures_open_the_circuit_and_calls_then_fail_fast() {
    let addr = closed_addr();
    let moodle = Client::builder(format!("http://{addr}"))
        .token("0123456789abcdef0123456789abcdef")
        .max_retries(0)
        .breaker(3, Duration::from_secs(60))
        .build()
        .expect("client");
    for i in 1..=3u32 {
        let err = moodle.get_site_info().await.expect_err("refused");
        assert!(
            matches!(&err, Error::Connect { reason } if reason == "connection refused"),
            "{err:?}"
        );
        assert_eq!(err.kind(), ErrorKind::Unreachable);
        if i < 3 {
            assert_eq!(
                moodle.breaker_state(),
                BreakerState::Closed {
                    consecutive_failures: i
                }
            );
        }
    }
    assert!(
        matches!(moodle.breaker_state(), BreakerState::Open { retry_in } if retry_in > Duration::from_secs(50))
    );
    let started = Instant::now();
    let err = moodle.get_site_info().await.expect_err("open");
    assert!(matches!(err, Error::CircuitOpen { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::CircuitOpen);
    assert!(started.elapsed() < Duration::from_millis(50));
}

#[tokio::test]
async fn retries_stop_when_the_circuit_opens() {
    let addr = closed_addr();
    let moodle = Client::builder(format!("http://{addr}"))
        .breaker(2, Duration::from_secs(60))
        .build()
        .expect("client");
    let err = moodle.get_site_info().await.expect_err("refused");
    assert!(
        matches!(err, Error::CircuitOpen { .. }),
        "third attempt meets the open circuit: {err:?}"
    );
}

#[tokio::test]
async fn after_the_cool_down_one_probe_decides_and_a_recovered_site_closes_the_circuit() {
    let addr = closed_addr();
    let moodle = Client::builder(format!("http://{addr}"))
        .max_retries(0)
        .breaker(2, Duration::from_millis(300))
        .build()
        .expect("client");
    for _ in 0..2 {
        let _ = moodle.get_site_info().await;
    }
    assert!(matches!(moodle.breaker_state(), BreakerState::Open { .. }));
    tokio::time::sleep(Duration::from_millis(350)).await;
    // Probe while the site is still down: open again.
    let err = moodle.get_site_info().await.expect_err("still down");
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    assert!(matches!(moodle.breaker_state(), BreakerState::Open { .. }));

    // The site comes up on that address; after the cool-down the probe succeeds.
    let sim = Sim::start(SimConfig {
        bind: addr,
        ..SimConfig::default()
    })
    .await
    .expect("sim on the old port");
    let moodle = moodle.with_token(sim.token("admin_bridge").expect("token"));
    assert!(
        matches!(moodle.get_site_info().await, Err(Error::CircuitOpen { .. })),
        "still cooling down"
    );
    tokio::time::sleep(Duration::from_millis(350)).await;
    let info = moodle.get_site_info().await.expect("probe succeeds");
    assert_eq!(info.userid, 2);
    assert_eq!(
        moodle.breaker_state(),
        BreakerState::Closed {
            consecutive_failures: 0
        }
    );
}
