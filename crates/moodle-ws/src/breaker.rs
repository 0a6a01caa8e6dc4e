//! The circuit breaker: after N consecutive transport failures (connect refused, reset,
//! timeout) calls fail fast with [`Error::CircuitOpen`] for a cool-down; then one probe
//! call is let through (half-open) and its outcome closes or re-opens the circuit.
//!
//! Any HTTP answer counts as success here, even a 5xx: the breaker tracks reachability,
//! not Moodle's health. One breaker serves all endpoints of a site (they share a host).

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::error::Error;

/// Breaker thresholds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Consecutive transport failures that open the circuit (default 5).
    pub failure_threshold: u32,
    /// How long the circuit stays open before a probe (default 30 s).
    pub cool_down: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failure_threshold: 5,
            cool_down: Duration::from_secs(30),
        }
    }
}

/// What the breaker is doing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through.
    Closed {
        /// Transport failures in a row so far.
        consecutive_failures: u32,
    },
    /// Calls fail fast.
    Open {
        /// Time until a probe is allowed.
        retry_in: Duration,
    },
    /// One probe call is in flight; others fail fast until it ends.
    HalfOpen,
}

#[derive(Debug)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen,
}

/// The breaker of one site.
#[derive(Debug)]
pub(crate) struct Breaker {
    config: BreakerConfig,
    state: Mutex<State>,
}

/// Leave to make one attempt; report its outcome with [`Breaker::record`].
#[derive(Debug)]
pub(crate) struct Permit<'a> {
    breaker: &'a Breaker,
    probe: bool,
    recorded: bool,
}

impl Breaker {
    pub(crate) fn new(config: BreakerConfig) -> Self {
        Breaker {
            config,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current state.
    pub(crate) fn state(&self) -> BreakerState {
        let now = Instant::now();
        match *self.lock() {
            State::Closed { failures } => BreakerState::Closed {
                consecutive_failures: failures,
            },
            State::Open { until } if until > now => BreakerState::Open {
                retry_in: until - now,
            },
            // Cool-down over: the next call will be the probe.
            State::Open { .. } => BreakerState::Open {
                retry_in: Duration::ZERO,
            },
            State::HalfOpen => BreakerState::HalfOpen,
        }
    }

    /// Asks to make an attempt.
    ///
    /// # Errors
    /// [`Error::CircuitOpen`] while open, or while another call is the probe.
    pub(crate) fn acquire(&self) -> Result<Permit<'_>, Error> {
        let now = Instant::now();
        let mut state = self.lock();
        let probe = match *state {
            State::Closed { .. } => false,
            State::Open { until } if until > now => {
                return Err(Error::CircuitOpen {
                    retry_in: until - now,
                });
            }
            State::Open { .. } => {
                *state = State::HalfOpen;
                true
            }
            State::HalfOpen => {
                return Err(Error::CircuitOpen {
                    retry_in: Duration::ZERO,
                });
            }
        };
        Ok(Permit {
            breaker: self,
            probe,
            recorded: false,
        })
    }

    /// Records an attempt's outcome: `Ok` for any HTTP answer, a transport error otherwise.
    pub(crate) fn record<T>(&self, mut permit: Permit<'_>, outcome: &Result<T, Error>) {
        permit.recorded = true;
        let failed = matches!(outcome, Err(e) if e.is_transport());
        let mut state = self.lock();
        match (&mut *state, failed) {
            (_, false) => {
                if permit.probe || matches!(*state, State::Closed { .. }) {
                    *state = State::Closed { failures: 0 };
                }
            }
            (State::Closed { failures }, true) => {
                *failures += 1;
                if *failures >= self.config.failure_threshold {
                    tracing::warn!(failures = *failures, "moodle unreachable: circuit opened");
                    *state = State::Open {
                        until: Instant::now() + self.config.cool_down,
                    };
                }
            }
            (_, true) if permit.probe => {
                tracing::warn!("moodle still unreachable: circuit re-opened");
                *state = State::Open {
                    until: Instant::now() + self.config.cool_down,
                };
            }
            (_, true) => {}
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        // A probe abandoned midway (its future dropped): let the next call probe.
        if self.probe && !self.recorded {
            let mut state = self.breaker.lock();
            if matches!(*state, State::HalfOpen) {
                *state = State::Open {
                    until: Instant::now(),
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused() -> Result<(), Error> {
        Err(Error::Connect {
            reason: "connection refused".into(),
        })
    }

    #[test]
    fn opens_after_n_transport_failures_and_fails_fast() {
        let b = Breaker::new(BreakerConfig {
            failure_threshold: 3,
            cool_down: Duration::from_secs(60),
        });
        for _ in 0..3 {
            let p = b.acquire().expect("closed");
            b.record(p, &refused());
        }
        assert!(matches!(b.state(), BreakerState::Open { .. }));
        assert!(matches!(b.acquire(), Err(Error::CircuitOpen { .. })));
    }

    #[test]
    fn an_answer_resets_the_count_and_5xx_is_an_answer() {
        let b = Breaker::new(BreakerConfig {
            failure_threshold: 2,
            cool_down: Duration::from_secs(60),
        });
        let p = b.acquire().expect("closed");
        b.record(p, &refused());
        let p = b.acquire().expect("closed");
        b.record(
            p,
            &Err::<(), _>(Error::Status {
                status: 503,
                snippet: String::new(),
                retry_after: None,
            }),
        );
        assert_eq!(
            b.state(),
            BreakerState::Closed {
                consecutive_failures: 0
            }
        );
    }

    #[test]
    fn half_open_lets_one_probe_through_and_its_result_decides() {
        let b = Breaker::new(BreakerConfig {
            failure_threshold: 1,
            cool_down: Duration::ZERO,
        });
        let p = b.acquire().expect("closed");
        b.record(p, &refused());
        let probe = b.acquire().expect("cool-down over: probe");
        assert_eq!(b.state(), BreakerState::HalfOpen);
        assert!(
            matches!(b.acquire(), Err(Error::CircuitOpen { .. })),
            "only one probe"
        );
        b.record(probe, &refused());
        assert!(matches!(b.state(), BreakerState::Open { .. }));
        let probe = b.acquire().expect("probe again");
        b.record(probe, &Ok(()));
        assert_eq!(
            b.state(),
            BreakerState::Closed {
                consecutive_failures: 0
            }
        );
    }

    #[test]
    fn an_abandoned_probe_lets_the_next_call_probe() {
        let b = Breaker::new(BreakerConfig {
            failure_threshold: 1,
            cool_down: Duration::ZERO,
        });
        let p = b.acquire().expect("closed");
        b.record(p, &refused());
        drop(b.acquire().expect("probe"));
        assert!(b.acquire().is_ok());
    }
}
