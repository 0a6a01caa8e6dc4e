//! Readiness: whether the service can do its work now (the database answers, Moodle is
//! reachable and accepts the token, the circuit is closed). Checks are reused for two
//! seconds so frequent probes do not load Moodle.

use std::time::{Duration, Instant};

use moodle_ws::{BreakerState, Client};
use serde::Serialize;
use tokio::sync::Mutex;
use utoipa::ToSchema;

use crate::db::Db;

/// How long a readiness result is reused.
const REUSE: Duration = Duration::from_secs(2);
/// The longest a probe of Moodle may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The result of a readiness check.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Readiness {
    /// Whether everything below is fine.
    pub ready: bool,
    /// `ok`, or why the database cannot be used.
    pub database: String,
    /// `ok`, or why Moodle cannot be used (`unreachable`, `timeout`, an error code).
    pub moodle: String,
    /// The circuit breaker: `closed`, `open` or `half_open`.
    pub circuit: &'static str,
}

/// Runs and reuses readiness checks.
pub struct Health {
    db: Db,
    moodle: Client,
    last: Mutex<Option<(Instant, Readiness)>>,
}

impl Health {
    /// Checks of `db` and `moodle`.
    pub fn new(db: Db, moodle: Client) -> Health {
        Health {
            db,
            moodle,
            last: Mutex::new(None),
        }
    }

    /// The current readiness (at most two seconds old).
    pub async fn readiness(&self) -> Readiness {
        let mut last = self.last.lock().await;
        if let Some((at, r)) = last.as_ref()
            && at.elapsed() < REUSE
        {
            return r.clone();
        }
        let database = match self.db.ping().await {
            Ok(()) => "ok".to_owned(),
            Err(e) => {
                tracing::warn!(error = %e, "database not ready");
                "unavailable".to_owned()
            }
        };
        let moodle = match self.moodle.breaker_state() {
            BreakerState::Open { .. } => "circuit_open".to_owned(),
            _ => match tokio::time::timeout(PROBE_TIMEOUT, self.moodle.get_site_info()).await {
                Err(_) => "timeout".to_owned(),
                Ok(Ok(_)) => "ok".to_owned(),
                Ok(Err(e)) => e.code().unwrap_or(e.kind().as_str()).to_owned(),
            },
        };
        let circuit = match self.moodle.breaker_state() {
            BreakerState::Closed { .. } => "closed",
            BreakerState::Open { .. } => "open",
            BreakerState::HalfOpen => "half_open",
        };
        let readiness = Readiness {
            ready: database == "ok" && moodle == "ok" && circuit == "closed",
            database,
            moodle,
            circuit,
        };
        *last = Some((Instant::now(), readiness.clone()));
        readiness
    }
}
