//! `Clock`: the time every expiry in this crate is measured with (login states, token
//! `exp`/`iat`, cached keys and access tokens), in whole Unix seconds. Tests use a manual
//! clock; everything else the system clock. It does not schedule anything.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current Unix time in seconds: the system clock, or a manual one for tests.
#[derive(Clone, Default)]
pub struct Clock {
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock { manual: None }
    }

    /// A clock that stands at `unix_seconds` until [`Clock::set`] or [`Clock::advance`] move
    /// it; clones share the same time.
    pub fn manual(unix_seconds: i64) -> Clock {
        Clock {
            manual: Some(Arc::new(AtomicI64::new(unix_seconds))),
        }
    }

    /// The current Unix time in seconds.
    pub fn now(&self) -> i64 {
        match &self.manual {
            Some(at) => at.load(Ordering::Relaxed),
            None => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
        }
    }

    /// Sets a manual clock to `unix_seconds`; no effect on the system clock.
    pub fn set(&self, unix_seconds: i64) {
        if let Some(at) = &self.manual {
            at.store(unix_seconds, Ordering::Relaxed);
        }
    }

    /// Moves a manual clock forward by `seconds`; no effect on the system clock.
    pub fn advance(&self, seconds: i64) {
        if let Some(at) = &self.manual {
            at.fetch_add(seconds, Ordering::Relaxed);
        }
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.manual {
            Some(at) => write!(f, "Clock::manual({})", at.load(Ordering::Relaxed)),
            None => f.write_str("Clock::system()"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told_and_clones_share_it() {
        let clock = Clock::manual(1_000);
        let other = clock.clone();
        clock.advance(30);
        assert_eq!(other.now(), 1_030);
        other.set(5);
        assert_eq!(clock.now(), 5);
    }

    #[test]
    fn system_clock_ignores_set() {
        let clock = Clock::system();
        clock.set(5);
        assert!(clock.now() > 1_700_000_000);
    }
}
