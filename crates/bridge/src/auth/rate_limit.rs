//! A keyed rate limit: a GCRA bucket per key (`governor`) — a token's source and subject, or
//! a client address — so one client cannot use up Moodle for the others. Answers how long to
//! wait when a request is over the limit; the HTTP layer turns that into 429 with
//! `Retry-After`.
//!
//! Its memory is bounded: buckets that are full again are forgotten at most a minute after
//! (checked on the way, no task needed), and at [`MAX_KEYS`] keys it forgets idle ones at
//! once; when even that leaves it full, every caller waits a second (it fails closed rather
//! than growing).

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

/// The most keys a limiter keeps (a few MB).
pub const MAX_KEYS: usize = 100_000;
/// How often idle keys are forgotten.
const PRUNE_EVERY_MS: u64 = 60_000;

/// Requests per caller per minute, with a burst allowance.
pub struct RateLimiter {
    limiter: Option<DefaultKeyedRateLimiter<String>>,
    clock: DefaultClock,
    max_keys: usize,
    started: Instant,
    /// Milliseconds after `started` of the last pruning.
    pruned_at_ms: AtomicU64,
}

impl RateLimiter {
    /// `per_minute` steady requests with `burst` at once; `per_minute == 0` turns it off.
    pub fn new(per_minute: u32, burst: u32) -> RateLimiter {
        let limiter = NonZeroU32::new(per_minute).map(|rate| {
            let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
            DefaultKeyedRateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst))
        });
        RateLimiter {
            limiter,
            clock: DefaultClock::default(),
            max_keys: MAX_KEYS,
            started: Instant::now(),
            pruned_at_ms: AtomicU64::new(0),
        }
    }

    /// The same with another key bound (tests).
    pub fn with_max_keys(mut self, max_keys: usize) -> RateLimiter {
        self.max_keys = max_keys.max(1);
        self
    }

    /// How many keys it holds now.
    pub fn len(&self) -> usize {
        self.limiter.as_ref().map_or(0, |l| l.len())
    }

    /// Whether it holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `Ok` when `key` may make a request now, else how long until it may.
    ///
    /// # Errors
    /// The wait, rounded up to whole seconds (at least one), when over the limit.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        let now_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let last = self.pruned_at_ms.load(Ordering::Relaxed);
        let full = limiter.len() >= self.max_keys;
        if (full || now_ms.saturating_sub(last) >= PRUNE_EVERY_MS)
            && self
                .pruned_at_ms
                .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.forget_idle();
        }
        if full && limiter.len() >= self.max_keys {
            return Err(Duration::from_secs(1));
        }
        limiter.check_key(&key.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            Duration::from_secs(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
                .max(Duration::from_secs(1))
        })
    }

    /// Forgets callers whose buckets are full again (keeps memory bounded).
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_burst_is_allowed_then_the_caller_waits_and_others_do_not() {
        let limiter = RateLimiter::new(60, 3);
        for _ in 0..3 {
            assert_eq!(limiter.check("a"), Ok(()));
        }
        let wait = limiter.check("a").expect_err("over the limit");
        assert_eq!(wait, Duration::from_secs(1));
        assert_eq!(limiter.check("b"), Ok(()), "other callers are not affected");
    }

    #[test]
    fn idle_keys_are_forgotten_and_the_key_count_stays_bounded() {
        let limiter = RateLimiter::new(6000, 1).with_max_keys(100);
        for i in 0..100 {
            assert_eq!(limiter.check(&format!("k{i}")), Ok(()));
        }
        assert_eq!(limiter.len(), 100);
        // Full: the next new key makes it forget every bucket that is full again.
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(limiter.check("new"), Ok(()));
        assert!(limiter.len() < 100, "{}", limiter.len());
    }

    #[test]
    fn when_every_key_is_busy_a_full_limiter_refuses_rather_than_grows() {
        let limiter = RateLimiter::new(1, 1).with_max_keys(10);
        for i in 0..10 {
            assert_eq!(limiter.check(&format!("k{i}")), Ok(()));
        }
        assert_eq!(limiter.check("k11"), Err(Duration::from_secs(1)));
        assert_eq!(limiter.len(), 10);
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let limiter = RateLimiter::new(0, 1);
        for _ in 0..1000 {
            assert_eq!(limiter.check("a"), Ok(()));
        }
    }
}
