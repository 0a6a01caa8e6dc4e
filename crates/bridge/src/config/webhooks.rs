//! Moodle events to applications: how often each site's outbox is read, where and how long
//! webhooks are delivered, and how long events are kept for replays (`EVENTS_*`, `WEBHOOK_*`).

use std::time::Duration;

use super::{Env, Problems};

/// Events and webhooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// `EVENTS_ENABLED`: read Moodle's events (needs `local_bridge` 2026120700+ on the site;
    /// default true — a site without it is asked again every minute and logged once).
    pub enabled: bool,
    /// `EVENTS_POLL_INTERVAL_MS`: how often a site's outbox is read (default 2000).
    pub poll_interval: Duration,
    /// `EVENTS_RETENTION_DAYS`: how long events are kept for replays and streams (default 7,
    /// as the plugin's outbox).
    pub retention: Duration,
    /// `WEBHOOK_ALLOW_PRIVATE_TARGETS`: let webhooks reach loopback and private addresses
    /// (default false; for tests and closed networks).
    pub allow_private_targets: bool,
    /// `WEBHOOK_TIMEOUT_SECONDS`: one delivery attempt, connection to answer (default 10).
    pub timeout: Duration,
    /// `WEBHOOK_RETRY_SECONDS`: how long a failing delivery is retried before its
    /// subscription is disabled (default 86400: a day).
    pub retry_window: Duration,
    /// `WEBHOOK_RETRY_BASE_MS`: the first retry's delay; each next one doubles, up to an hour,
    /// with jitter (default 5000).
    pub retry_base: Duration,
    /// `WEBHOOKS_PER_OWNER`: subscriptions one token subject may have (default 25).
    pub per_owner: i64,
    /// `WEBHOOK_WORKERS`: subscriptions delivered to at the same time by one instance
    /// (default 8).
    pub workers: usize,
}

/// The events and webhooks settings from `env`, problems added to `p`.
pub(crate) fn webhook_config(env: &Env, p: &mut Problems) -> WebhookConfig {
    WebhookConfig {
        enabled: p.flag(env, "EVENTS_ENABLED", true),
        poll_interval: Duration::from_millis(p.number(
            env,
            "EVENTS_POLL_INTERVAL_MS",
            2000u64,
            20..=600_000,
        )),
        retention: Duration::from_secs(
            p.number(env, "EVENTS_RETENTION_DAYS", 7u64, 1..=365) * 86_400,
        ),
        allow_private_targets: p.flag(env, "WEBHOOK_ALLOW_PRIVATE_TARGETS", false),
        timeout: Duration::from_secs(p.number(env, "WEBHOOK_TIMEOUT_SECONDS", 10u64, 1..=120)),
        retry_window: Duration::from_secs(p.number(
            env,
            "WEBHOOK_RETRY_SECONDS",
            86_400u64,
            1..=7 * 86_400,
        )),
        retry_base: Duration::from_millis(p.number(
            env,
            "WEBHOOK_RETRY_BASE_MS",
            5000u64,
            10..=3_600_000,
        )),
        per_owner: p.number(env, "WEBHOOKS_PER_OWNER", 25i64, 1..=10_000),
        workers: p.number(env, "WEBHOOK_WORKERS", 8usize, 1..=256),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_issues_and_bad_values_name_their_variable() {
        let mut p = Problems::default();
        let c = webhook_config(&Env::from_pairs([]), &mut p);
        assert!(p.is_empty());
        assert_eq!(c.poll_interval, Duration::from_secs(2));
        assert_eq!(c.retry_window, Duration::from_secs(86_400));
        assert!(!c.allow_private_targets && c.enabled);
        let mut p = Problems::default();
        webhook_config(
            &Env::from_pairs([
                ("EVENTS_POLL_INTERVAL_MS", "0"),
                ("WEBHOOK_RETRY_SECONDS", "x"),
            ]),
            &mut p,
        );
        assert_eq!(
            p.names(),
            ["EVENTS_POLL_INTERVAL_MS", "WEBHOOK_RETRY_SECONDS"]
        );
    }
}
