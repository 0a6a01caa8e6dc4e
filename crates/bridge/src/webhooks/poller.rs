//! The poller: reads each Moodle site's outbox (`local_bridge_get_events`) into the database.
//! One instance at a time holds a site's lease (another takes over when it lapses); the
//! cursor, the events and their deliveries are written in one transaction under that lease,
//! so every outbox row is stored once, in order, across restarts, takeovers and Moodle
//! outages (the next read starts at the cursor).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use moodle_ws::functions::local_bridge;
use tokio::sync::watch;

use super::events::{self, OutboxRow};
use super::store::{self, NewEvent};
use super::{Webhooks, now_ms};

/// Rows asked for per read.
pub const PAGE: i64 = 200;

/// How long a site's lease lasts beyond three poll intervals: about the longest a dead
/// instance's site goes unread before another takes over. A read that outlasts it costs
/// only work: the lease's owner alone may store what it read.
const LEASE_SLACK: Duration = Duration::from_secs(5);

/// How long to wait before asking a site without the outbox again.
const MISSING_RETRY: Duration = Duration::from_secs(60);

/// Why a site's outbox could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The site has no `local_bridge_get_events` for this token (plugin missing or older).
    #[error("the site has no local_bridge_get_events: {0}")]
    Missing(String),
    /// Moodle failed or could not be reached; the next read tries again from the cursor.
    #[error(transparent)]
    Moodle(moodle_ws::Error),
}

/// One read of an outbox.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutboxPage {
    /// The rows the token may see, oldest first.
    pub rows: Vec<OutboxRow>,
    /// The cursor to read from next: the last id read, seen or not.
    pub last_id: i64,
    /// More rows wait after `last_id`: read again at once.
    pub more: bool,
}

/// A read in progress.
pub type OutboxRead<'a> =
    Pin<Box<dyn Future<Output = Result<OutboxPage, OutboxError>> + Send + 'a>>;

/// One Moodle site's outbox.
pub trait Outbox: Send + Sync + 'static {
    /// The site's name (`default`, or an `LMS_SITES` name).
    fn site(&self) -> &str;
    /// At most `limit` rows with an id above `after`, in id order.
    fn read(&self, after: i64, limit: i64) -> OutboxRead<'_>;
}

/// A site's outbox over its web services.
pub struct MoodleOutbox {
    site: String,
    client: moodle_ws::Client,
}

impl MoodleOutbox {
    /// The outbox of `site`, read with `client` (which carries the site's token).
    pub fn new(site: impl Into<String>, client: moodle_ws::Client) -> MoodleOutbox {
        MoodleOutbox {
            site: site.into(),
            client,
        }
    }
}

impl Outbox for MoodleOutbox {
    fn site(&self) -> &str {
        &self.site
    }

    fn read(&self, after: i64, limit: i64) -> OutboxRead<'_> {
        Box::pin(async move {
            let limit = u32::try_from(limit.clamp(1, i64::from(local_bridge::MAX_LIMIT)))
                .unwrap_or(local_bridge::MAX_LIMIT);
            match self.client.get_events(after, limit).await {
                Ok(page) => {
                    if let Some(purged) = page.purged_through() {
                        tracing::warn!(site = %self.site, after, purged, "Moodle purged events the bridge had not read yet (the bridge was away longer than local_bridge/eventretention)");
                    }
                    Ok(OutboxPage {
                        rows: page.events.into_iter().map(row_of).collect(),
                        last_id: page.lastid,
                        more: page.more,
                    })
                }
                Err(e) if is_missing(&e) => Err(OutboxError::Missing(e.to_string())),
                Err(e) => Err(OutboxError::Moodle(e)),
            }
        })
    }
}

fn row_of(e: local_bridge::Event) -> OutboxRow {
    let channel = match e.origin {
        local_bridge::Origin::WebService => "ws",
        local_bridge::Origin::Web => "web",
        local_bridge::Origin::Cli => "cli",
        local_bridge::Origin::Restore => "restore",
        local_bridge::Origin::Unknown => "unknown",
    };
    OutboxRow {
        id: e.id,
        eventname: e.eventname,
        objectid: e.objectid,
        courseid: e.courseid,
        contextid: e.contextid,
        userid: e.userid,
        relateduserid: e.relateduserid,
        timecreated: e.timecreated,
        channel: channel.to_owned(),
        via_bridge: e.viacallertoken,
        other: serde_json::Value::Object(e.other),
    }
}

/// Whether Moodle says the function is not there for this token.
fn is_missing(e: &moodle_ws::Error) -> bool {
    matches!(
        e.code(),
        Some(
            "invalidrecord" | "accessexception" | "servicenotavailable" | "webservicenotavailable"
        )
    ) || e.to_string().contains("local_bridge_get_events")
}

/// Reads every given site's outbox until `stop` turns true.
pub struct Poller {
    webhooks: Arc<Webhooks>,
    outboxes: Vec<Arc<dyn Outbox>>,
    me: String,
}

impl Poller {
    /// A poller of `outboxes`, as instance `me`.
    pub fn new(webhooks: Arc<Webhooks>, outboxes: Vec<Arc<dyn Outbox>>, me: String) -> Poller {
        Poller {
            webhooks,
            outboxes,
            me,
        }
    }

    /// Runs one loop per site until `stop`.
    pub async fn run(self, stop: watch::Receiver<bool>) {
        let mut loops = tokio::task::JoinSet::new();
        for outbox in self.outboxes {
            let site = SitePoller {
                webhooks: self.webhooks.clone(),
                outbox,
                me: self.me.clone(),
            };
            loops.spawn(site.run(stop.clone()));
        }
        while loops.join_next().await.is_some() {}
    }
}

struct SitePoller {
    webhooks: Arc<Webhooks>,
    outbox: Arc<dyn Outbox>,
    me: String,
}

/// What one step found.
enum Step {
    /// A full page: read again at once.
    More,
    /// Up to date (or another instance reads the site): wait an interval.
    Idle,
    /// Wait this long.
    Wait(Duration),
}

impl SitePoller {
    async fn run(self, mut stop: watch::Receiver<bool>) {
        let interval = self.webhooks.config().poll_interval;
        let mut failures = 0u32;
        let mut told_missing = false;
        loop {
            if *stop.borrow() {
                break;
            }
            let wait = match self.step().await {
                Ok(Step::More) => {
                    failures = 0;
                    continue;
                }
                Ok(Step::Idle) => {
                    failures = 0;
                    interval
                }
                Ok(Step::Wait(d)) => d,
                Err(OutboxError::Missing(why)) => {
                    if !told_missing {
                        tracing::warn!(site = self.outbox.site(), reason = %why, "no Moodle events from this site: install or upgrade local_bridge (and add local_bridge_get_events to the token's service)");
                        told_missing = true;
                    }
                    MISSING_RETRY
                }
                Err(OutboxError::Moodle(e)) => {
                    failures = failures.saturating_add(1);
                    if failures == 1 || failures.is_power_of_two() {
                        tracing::warn!(site = self.outbox.site(), error = %e, failures, "Moodle events not read; retrying from the cursor");
                    }
                    (interval * failures.min(15)).min(Duration::from_secs(30))
                }
            };
            if told_missing && wait != MISSING_RETRY {
                told_missing = false;
            }
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// Claims the site, reads one page and stores it.
    async fn step(&self) -> Result<Step, OutboxError> {
        let db = self.webhooks.db();
        let site = self.outbox.site();
        let interval = self.webhooks.config().poll_interval;
        let now = now_ms();
        let lease = i64::try_from((interval * 3 + LEASE_SLACK).as_millis()).unwrap_or(i64::MAX);
        let cursor = match store::claim_cursor(db, site, &self.me, now + lease, now).await {
            Ok(Some(c)) => c,
            Ok(None) => return Ok(Step::Idle),
            Err(e) => {
                tracing::warn!(site, error = %e, "event cursor not claimed");
                return Ok(Step::Wait(interval.max(Duration::from_secs(1))));
            }
        };
        let page = self.outbox.read(cursor, PAGE).await?;
        let last = page
            .rows
            .iter()
            .map(|r| r.id)
            .chain([page.last_id])
            .max()
            .unwrap_or(cursor);
        if last <= cursor {
            return Ok(Step::Idle);
        }
        let new: Vec<NewEvent> = page
            .rows
            .iter()
            .filter(|r| r.id > cursor)
            .filter_map(|r| {
                events::normalise(site, 0, r).map(|event| NewEvent {
                    moodle_id: r.id,
                    event,
                })
            })
            .collect();
        match store::record_events(db, site, &self.me, &new, last, now_ms()).await {
            Ok(Some(stored)) => {
                if let Some(n) = stored.last().and_then(|e| events::event_number(&e.id)) {
                    tracing::debug!(
                        site,
                        stored = stored.len(),
                        up_to = last,
                        "Moodle events stored"
                    );
                    self.webhooks.stored_up_to(n);
                    self.webhooks.wake_deliverer();
                }
                Ok(if page.more { Step::More } else { Step::Idle })
            }
            Ok(None) => Ok(Step::Idle),
            Err(e) => {
                tracing::warn!(site, error = %e, "Moodle events not stored; read again next time");
                Ok(Step::Wait(interval.max(Duration::from_secs(1))))
            }
        }
    }
}
