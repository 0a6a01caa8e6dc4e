//! When to repeat a call: only read-only functions (an explicit allow-list), only after a
//! transport failure, a 5xx or a 429, with backoff 100/200/400 ms (halved-range jitter)
//! and the server's `Retry-After` honoured up to a cap.
//!
//! Writes (create, update, delete, enrol, upload, token login) are never repeated: a
//! request that timed out may still have been applied, and Moodle has no idempotency keys.

use std::time::Duration;

use rand::Rng as _;

use crate::functions::{
    assign, category, course, enrol, files, local_bridge, logintoken, message, mobile, site, user,
};

/// The functions that only read, so repeating them is safe. Nothing else is retried.
pub const READ_ONLY_FUNCTIONS: &[&str] = &[
    site::GET_SITE_INFO,
    mobile::GET_PUBLIC_CONFIG,
    course::GET_COURSES,
    course::GET_COURSES_BY_FIELD,
    course::SEARCH_COURSES,
    course::GET_CONTENTS,
    course::GET_COURSE_MODULE,
    category::GET_CATEGORIES,
    user::GET_USERS_BY_FIELD,
    enrol::GET_ENROLLED_USERS,
    message::GET_POPUP_NOTIFICATIONS,
    message::GET_UNREAD_POPUP_NOTIFICATION_COUNT,
    files::GET_FILES,
    assign::GET_ASSIGNMENTS,
    assign::GET_SUBMISSIONS,
    logintoken::VALIDATE_TOKEN,
    local_bridge::FIND_MODULES_BY_IDNUMBER,
    local_bridge::LIST_USER_FILES,
];

/// Whether a function is on the read-only allow-list.
pub fn is_read_only(function: &str) -> bool {
    READ_ONLY_FUNCTIONS.contains(&function)
}

/// How reads are repeated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Repeats after the first attempt (default 3).
    pub max_retries: u32,
    /// The first backoff; each further one doubles (default 100 ms).
    pub base_delay: Duration,
    /// The longest backoff (default 5 s).
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured; a longer one ends the retries (default 10 s).
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The full backoff before repeat number `retry` (0-based), before jitter.
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(16));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// The wait before repeat number `retry` (0-based), or `None` when no repeat is due:
    /// the retries are used up, or the server asked for a longer wait than the cap.
    pub fn delay(&self, retry: u32, server_wait: Option<Duration>) -> Option<Duration> {
        if retry >= self.max_retries {
            return None;
        }
        let full = self.backoff(retry);
        // Halved-range jitter: between half and all of the backoff, so callers that failed
        // together do not come back together.
        let half = full / 2;
        let jittered = half + rand::rng().random_range(Duration::ZERO..=full - half);
        match server_wait {
            Some(wait) if wait > self.max_retry_after => None,
            Some(wait) => Some(wait.max(jittered)),
            None => Some(jittered),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_100_ms() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(0), Duration::from_millis(100));
        assert_eq!(p.backoff(1), Duration::from_millis(200));
        assert_eq!(p.backoff(2), Duration::from_millis(400));
        assert_eq!(p.backoff(20), Duration::from_secs(5));
    }

    #[test]
    fn jitter_stays_between_half_and_all_of_the_backoff() {
        let p = RetryPolicy::default();
        for _ in 0..200 {
            let d = p.delay(2, None).expect("a retry is due");
            assert!(
                d >= Duration::from_millis(200) && d <= Duration::from_millis(400),
                "{d:?}"
            );
        }
        assert_eq!(p.delay(3, None), None);
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(2))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(p.delay(0, Some(Duration::from_secs(300))), None);
    }

    #[test]
    fn no_write_function_is_on_the_allow_list() {
        let writes = [
            course::CREATE_COURSES,
            course::UPDATE_COURSES,
            course::DELETE_COURSES,
            course::DELETE_MODULES,
            category::CREATE_CATEGORIES,
            crate::functions::courseformat::UPDATE_COURSE,
            user::CREATE_USERS,
            user::ADD_USER_PRIVATE_FILES,
            enrol::ENROL_USERS,
            files::UPLOAD,
        ];
        for f in writes {
            assert!(!is_read_only(f), "{f} must never be retried");
        }
        for f in READ_ONLY_FUNCTIONS {
            assert!(
                !f.contains("create") && !f.contains("update") && !f.contains("delete"),
                "{f}"
            );
        }
        assert!(is_read_only(site::GET_SITE_INFO));
        assert!(!is_read_only("core_user_delete_users"));
    }
}
