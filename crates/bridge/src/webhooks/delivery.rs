//! The deliverer: claims a subscription whose oldest pending delivery is due (under a lease,
//! so one instance delivers it, in event order), posts its events one by one, signed, to its
//! checked target, and records each try. A failed try is retried with exponential backoff
//! and jitter; after `WEBHOOK_RETRY_SECONDS` (a day) of failures the subscription is disabled and its
//! pending deliveries kept as failed. A process killed mid-delivery leaves the delivery
//! pending: whoever claims the subscription next sends it again (at least once; receivers
//! de-duplicate by `webhook-id`).

use std::sync::Arc;
use std::time::Duration;

use rand::Rng as _;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use super::store::{self, Head, TryOutcome, WebhookRow};
use super::target::{self, PublicOnly};
use super::{Webhooks, now_ms, signing};

/// How often due deliveries are looked for when nothing woke the deliverer.
const POLL: Duration = Duration::from_secs(1);
/// The longest wait between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// The longest error text kept per delivery.
const MAX_ERROR: usize = 300;

/// Sends due deliveries until stopped.
pub struct Deliverer {
    webhooks: Arc<Webhooks>,
    http: reqwest::Client,
    me: String,
}

impl Deliverer {
    /// A deliverer for instance `me`.
    ///
    /// # Errors
    /// The HTTP client cannot be built (TLS setup).
    pub fn new(webhooks: Arc<Webhooks>, me: String) -> Result<Deliverer, moodle_ws::Error> {
        let config = webhooks.config();
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(moodle_ws::tls::config(&[], false)?)
            .user_agent(concat!(
                "moodle-bridge-webhooks/",
                env!("CARGO_PKG_VERSION")
            ))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(PublicOnly {
                allow_private: config.allow_private_targets,
            }))
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .pool_max_idle_per_host(2)
            .build()
            .map_err(|e| moodle_ws::Error::InvalidRequest {
                reason: format!("webhook client setup failed: {}", e.without_url()),
            })?;
        Ok(Deliverer { webhooks, http, me })
    }

    /// Runs until `stop` turns true; subscriptions being delivered finish their current try.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let this = Arc::new(self);
        let slots = Arc::new(Semaphore::new(this.webhooks.config().workers));
        let due = this.webhooks.due();
        let mut running = JoinSet::new();
        loop {
            while running.try_join_next().is_some() {}
            if *stop.borrow() {
                break;
            }
            let Ok(slot) = slots.clone().acquire_owned().await else {
                break;
            };
            match this.claim().await {
                Some(w) => {
                    let me = this.clone();
                    let stop = stop.clone();
                    running.spawn(async move {
                        me.deliver_all(&w, stop).await;
                        drop(slot);
                    });
                }
                None => {
                    drop(slot);
                    tokio::select! {
                        () = due.notified() => {}
                        () = tokio::time::sleep(POLL) => {}
                        _ = stop.changed() => {}
                    }
                }
            }
        }
        while running.join_next().await.is_some() {}
    }

    /// A lease outlives one attempt (renewed before each): a dead instance's subscriptions
    /// are taken over `WEBHOOK_TIMEOUT_SECONDS` + 5 s after its last renewal.
    fn lease_until(&self) -> i64 {
        let lease = self.webhooks.config().timeout + Duration::from_secs(5);
        now_ms() + i64::try_from(lease.as_millis()).unwrap_or(i64::MAX)
    }

    async fn claim(&self) -> Option<WebhookRow> {
        match store::claim_webhook(self.webhooks.db(), &self.me, self.lease_until(), now_ms()).await
        {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(error = %e, "webhook deliveries not claimed");
                None
            }
        }
    }

    /// Delivers a claimed subscription's due events in order, then gives its lease back.
    async fn deliver_all(&self, w: &WebhookRow, stop: watch::Receiver<bool>) {
        let db = self.webhooks.db();
        match self.webhooks.secret_of(w) {
            Some(secret) => loop {
                if *stop.borrow() {
                    break;
                }
                let head = match store::head(db, &w.id).await {
                    Ok(Some(h)) if h.next_attempt_ms <= now_ms() => h,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(webhook = %w.id, error = %e, "webhook delivery not read");
                        break;
                    }
                };
                match store::renew_webhook(db, &w.id, &self.me, self.lease_until()).await {
                    Ok(true) => {}
                    // Deleted, paused, or taken over after a stall: stop here.
                    Ok(false) => return,
                    Err(e) => {
                        tracing::warn!(webhook = %w.id, error = %e, "webhook lease not renewed");
                        break;
                    }
                }
                if !self.try_once(w, secret.expose(), &head).await {
                    break;
                }
            },
            None => {
                tracing::error!(webhook = %w.id, "webhook secret cannot be opened (was SECRET_KEY changed?)");
                let reason = "its signing secret cannot be opened (SECRET_KEY changed); delete it and make it again";
                if let Err(e) = store::disable(db, &w.id, reason, now_ms()).await {
                    tracing::warn!(webhook = %w.id, error = %e, "webhook not disabled");
                }
                return;
            }
        }
        if let Err(e) = store::release_webhook(db, &w.id, &self.me).await {
            tracing::warn!(webhook = %w.id, error = %e, "webhook lease not released");
        }
    }

    /// One try of the head delivery; whether to go on with the next one.
    async fn try_once(&self, w: &WebhookRow, secret: &str, head: &Head) -> bool {
        let db = self.webhooks.db();
        let config = self.webhooks.config();
        let body = serde_json::to_vec(&head.event).unwrap_or_default();
        let sent = self.post(w, secret, &head.event.id, body).await;
        let now = now_ms();
        let (outcome, go_on) = match &sent {
            Ok(status) if (200..300).contains(status) => {
                (TryOutcome::Delivered { status: *status }, true)
            }
            Ok(_) | Err(_) => {
                let (status, error) = match &sent {
                    Ok(status) => (*status, format!("the receiver answered {status}")),
                    Err(e) => (0, e.clone()),
                };
                let window = i64::try_from(config.retry_window.as_millis()).unwrap_or(i64::MAX);
                let failing_since = head.first_failed_at_ms.unwrap_or(now);
                if now.saturating_sub(failing_since) >= window {
                    let reason = format!(
                        "deliveries failed for {} (WEBHOOK_RETRY_SECONDS); last: {error}",
                        humantime::format_duration(config.retry_window)
                    );
                    if let Err(e) = store::record_try(
                        db,
                        &w.id,
                        &self.me,
                        head.event_id,
                        TryOutcome::GaveUp {
                            status,
                            error: &error,
                        },
                        now,
                    )
                    .await
                    {
                        tracing::warn!(webhook = %w.id, error = %e, "webhook try not recorded");
                    }
                    tracing::warn!(webhook = %w.id, %reason, "webhook disabled");
                    if let Err(e) = store::disable(db, &w.id, &reason, now).await {
                        tracing::warn!(webhook = %w.id, error = %e, "webhook not disabled");
                    }
                    return false;
                }
                let at = now + backoff(config.retry_base, head.attempts + 1);
                tracing::info!(webhook = %w.id, event = %head.event.id, status, %error, attempt = head.attempts + 1, "webhook delivery failed; retrying later");
                let error = truncate(&error);
                let outcome = TryOutcome::Retry {
                    at,
                    status,
                    error: &error,
                };
                // Later deliveries wait for this one: the subscription is done for now.
                self.record(w, head, outcome, now).await;
                return false;
            }
        };
        self.record(w, head, outcome, now).await && go_on
    }

    async fn record(&self, w: &WebhookRow, head: &Head, outcome: TryOutcome<'_>, now: i64) -> bool {
        match store::record_try(
            self.webhooks.db(),
            &w.id,
            &self.me,
            head.event_id,
            outcome,
            now,
        )
        .await
        {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(webhook = %w.id, error = %e, "webhook try not recorded");
                false
            }
        }
    }

    /// Posts one event; the receiver's status, or why there was none.
    async fn post(
        &self,
        w: &WebhookRow,
        secret: &str,
        event_id: &str,
        body: Vec<u8>,
    ) -> Result<i64, String> {
        // Checked again at each try: the setting may have changed since it was saved.
        let url = target::check(&w.url, self.webhooks.config().allow_private_targets)
            .map_err(|e| e.to_string())?;
        let timestamp = now_ms() / 1000;
        let signature = signing::sign(secret, event_id, timestamp, &body);
        let answer = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(describe)?;
        Ok(i64::from(answer.status().as_u16()))
    }
}

/// The wait before try `n + 1` after `n` failed ones: `base · 2^(n−1)`, at most an hour,
/// drawn from its upper half (jitter, so receivers coming back are not hit all at once).
pub fn backoff(base: Duration, failed: i64) -> i64 {
    let exp = u32::try_from(failed.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let full = base
        .saturating_mul(2u32.saturating_pow(exp))
        .min(MAX_BACKOFF);
    let ms = i64::try_from(full.as_millis()).unwrap_or(i64::MAX).max(2);
    rand::rng().random_range(ms / 2..=ms)
}

/// Why a post got no answer, without the URL (it may carry the receiver's own secret).
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    if e.is_timeout() {
        "no answer within WEBHOOK_TIMEOUT_SECONDS".to_owned()
    } else if e.is_connect() {
        let mut why = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            why = s.to_string();
            source = s.source();
        }
        format!("cannot connect: {why}")
    } else {
        e.to_string()
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(MAX_ERROR).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_an_hour() {
        let base = Duration::from_secs(5);
        for _ in 0..50 {
            let first = backoff(base, 1);
            assert!((2500..=5000).contains(&first), "{first}");
            let fourth = backoff(base, 4);
            assert!((20_000..=40_000).contains(&fourth), "{fourth}");
            let late = backoff(base, 40);
            assert!((1_800_000..=3_600_000).contains(&late), "{late}");
        }
    }
}
