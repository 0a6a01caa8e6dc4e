//! Call observation: a hook through which an application sees every finished Moodle call
//! (function or endpoint, duration, retries, outcome) to feed its metrics. The client logs
//! calls itself; an observer is for numbers, not for logging.

use std::time::Duration;

use crate::error::Error;

/// One finished call.
#[derive(Debug, Clone, Copy)]
pub struct CallRecord<'a> {
    /// The web-service function, or the script (`webservice/upload.php`, …) for the other
    /// endpoints.
    pub function: &'a str,
    /// Time from the call's start to its outcome, retries and backoff included.
    pub elapsed: Duration,
    /// Repeats made after the first attempt.
    pub retries: u32,
    /// The error, when the call failed.
    pub error: Option<&'a Error>,
}

/// Receives a [`CallRecord`] for every finished call of a client (and of its
/// [`Client::with_token`](crate::Client::with_token) copies).
pub trait CallObserver: Send + Sync + 'static {
    /// Called once per call, after its outcome is known. Must not block.
    fn call_finished(&self, record: &CallRecord<'_>);
}
