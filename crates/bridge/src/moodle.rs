//! The one way a Moodle site and a token become a [`moodle_ws::Client`]: every client of the
//! bridge — its own site's (gateway, token login, health, `check`), the publisher's sites
//! (`LMS_SITES`) and each LTI platform's Moodle (file manager) — is built by
//! [`Clients::build`], with the same user agent and metrics observer, and the timeout,
//! retries and circuit breaker its [`Policy`] names.

use std::sync::Arc;
use std::time::Duration;

use moodle_ws::{CallObserver, Client, Secret};

/// How a kind of client calls Moodle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Per attempt.
    pub timeout: Duration,
    /// Repeats of a read-only call after a transport failure.
    pub max_retries: u32,
    /// Consecutive connection failures after which calls fail fast, and for how long.
    pub breaker: Option<(u32, Duration)>,
}

/// Builds the bridge's Moodle clients.
#[derive(Clone, Default)]
pub struct Clients {
    observer: Option<Arc<dyn CallObserver>>,
}

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clients")
            .field("observed", &self.observer.is_some())
            .finish()
    }
}

impl Clients {
    /// Clients whose calls `observer` (the metrics) sees; `None` for commands.
    pub fn new(observer: Option<Arc<dyn CallObserver>>) -> Clients {
        Clients { observer }
    }

    /// A client of the site at `url`, acting with `token` when given.
    ///
    /// # Errors
    /// [`moodle_ws::Error::InvalidRequest`] for a URL that is not a site root or a TLS setup
    /// that fails.
    pub fn build(
        &self,
        url: &str,
        token: Option<Secret>,
        policy: Policy,
    ) -> Result<Client, moodle_ws::Error> {
        let mut builder = Client::builder(url)
            .user_agent(concat!("moodle-bridge/", env!("CARGO_PKG_VERSION")))
            .timeout(policy.timeout)
            .max_retries(policy.max_retries);
        if let Some(token) = token {
            builder = builder.token(token);
        }
        if let Some((threshold, cooldown)) = policy.breaker {
            builder = builder.breaker(threshold, cooldown);
        }
        if let Some(observer) = &self.observer {
            builder = builder.observer(observer.clone());
        }
        builder.build()
    }
}
