//! Moodle's events to applications: [`Webhooks`] keeps the subscriptions (each owned by the
//! token subject that made it, each with its own signing secret, shown once), lists their
//! deliveries, queues replays and reads the stored events for the event stream. The poller
//! (`poller.rs`) reads each site's outbox into the database; the deliverer (`delivery.rs`)
//! sends what is due, signed (`signing.rs`), to checked targets (`target.rs`).

pub mod delivery;
pub mod events;
pub mod poller;
pub mod signing;
mod store;
pub mod target;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use moodle_ws::Secret;
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, watch};
use utoipa::ToSchema;

pub use events::{CATALOGUE, Event, Origin, OutboxRow};
pub use store::{DeliveryRow, WebhookRow};

use crate::config::WebhookConfig;
use crate::crypto::SecretBox;
use crate::db::Db;

const SEAL_PURPOSE: &[u8] = b"moodle-bridge webhook-secret v1";

/// Longest description.
const MAX_DESCRIPTION: usize = 500;
/// Longest target URL.
const MAX_URL: usize = 2048;

/// Why a webhook request cannot be done.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// A field is wrong.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// No such subscription of the caller's.
    #[error("no webhook {0} of this caller")]
    NotFound(String),
    /// The caller has as many as allowed.
    #[error("at most {0} webhooks per caller (WEBHOOKS_PER_OWNER)")]
    TooMany(i64),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// What a caller sends to make a subscription.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where events are posted: a public `http(s)` URL.
    pub url: String,
    /// Types delivered: catalogue types (`course.created`), groups (`course.*`) or `*`.
    pub event_types: Vec<String>,
    /// Only this Moodle course's events.
    #[serde(default)]
    pub course_id: Option<i64>,
    /// For people.
    #[serde(default)]
    pub description: String,
    /// Whether it delivers (default true).
    #[serde(default = "yes")]
    pub active: bool,
    /// Also deliver the events the bridge's own writes caused (default false: no echo).
    #[serde(default)]
    pub include_bridge_events: bool,
}

fn yes() -> bool {
    true
}

/// What a caller sends to change a subscription: only the fields present change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    /// New target.
    pub url: Option<String>,
    /// New types.
    pub event_types: Option<Vec<String>>,
    /// New course filter (`null` removes it).
    #[serde(default, deserialize_with = "some_or_null")]
    #[schema(value_type = Option<i64>)]
    pub course_id: Option<Option<i64>>,
    /// New description.
    pub description: Option<String>,
    /// Pause (`false`) or resume (`true`); resuming clears the reason it was disabled.
    pub active: Option<bool>,
    /// Whether the bridge's own events are delivered.
    pub include_bridge_events: Option<bool>,
}

fn some_or_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

/// A subscription as its owner sees it (never its secret, after creation).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookView {
    /// `wh_…`.
    pub id: String,
    /// Where events are posted.
    pub url: String,
    /// Types delivered.
    pub event_types: Vec<String>,
    /// Only this course's events.
    pub course_id: Option<i64>,
    /// For people.
    pub description: String,
    /// Whether it delivers.
    pub active: bool,
    /// Whether the bridge's own events are delivered.
    pub include_bridge_events: bool,
    /// Why the bridge disabled it (retries ran out), when it did.
    pub disabled_reason: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<&WebhookRow> for WebhookView {
    fn from(w: &WebhookRow) -> Self {
        WebhookView {
            id: w.id.clone(),
            url: w.url.clone(),
            event_types: w.event_types.clone(),
            course_id: w.course_id,
            description: w.description.clone(),
            active: w.active,
            include_bridge_events: w.include_bridge,
            disabled_reason: w.disabled_reason.clone(),
            created_at: crate::publish::status::rfc3339(w.created_at_ms),
            updated_at: crate::publish::status::rfc3339(w.updated_at_ms),
        }
    }
}

/// A delivery as its subscription's owner sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryView {
    /// The event (`evt_…`), the `webhook-id` of every try.
    pub event_id: String,
    /// Its type.
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    /// Tries so far.
    pub attempts: i64,
    /// The next try, while pending (RFC 3339).
    pub next_attempt_at: Option<String>,
    /// The receiver's last HTTP status (0: it did not answer).
    pub last_status: Option<i64>,
    /// Why the last try failed.
    pub last_error: Option<String>,
    /// When it was queued (RFC 3339).
    pub created_at: String,
    /// When it was delivered (RFC 3339).
    pub delivered_at: Option<String>,
}

impl From<&DeliveryRow> for DeliveryView {
    fn from(d: &DeliveryRow) -> Self {
        let at = crate::publish::status::rfc3339;
        DeliveryView {
            event_id: events::event_id(d.event_id),
            event_type: d.event_type.clone(),
            state: d.state.clone(),
            attempts: d.attempts,
            next_attempt_at: (d.state == "pending").then(|| at(d.next_attempt_ms)),
            last_status: d.last_status,
            last_error: d.last_error.clone(),
            created_at: at(d.created_at_ms),
            delivered_at: d.delivered_at_ms.map(at),
        }
    }
}

/// Where a replay starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayFrom {
    /// From this event number on.
    Event(i64),
    /// From the first event stored at or after this time (Unix milliseconds).
    Time(i64),
}

/// The subscriptions and the stored events.
pub struct Webhooks {
    db: Db,
    sealer: SecretBox,
    config: WebhookConfig,
    /// Woken when deliveries are queued, so the deliverer starts at once.
    due: Arc<Notify>,
    /// The newest event number this process stored (streams wake on it).
    newest: watch::Sender<i64>,
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Webhooks {
    /// The service over `db`, secrets sealed with a key derived from `secret_key`.
    pub fn new(db: Db, secret_key: &Secret, config: WebhookConfig) -> Webhooks {
        Webhooks {
            db,
            sealer: SecretBox::derive(secret_key, SEAL_PURPOSE),
            config,
            due: Arc::new(Notify::new()),
            newest: watch::channel(0).0,
        }
    }

    /// The settings.
    pub fn config(&self) -> &WebhookConfig {
        &self.config
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    /// Wakes the deliverer (deliveries were queued).
    pub(crate) fn wake_deliverer(&self) {
        self.due.notify_one();
    }

    pub(crate) fn due(&self) -> Arc<Notify> {
        self.due.clone()
    }

    /// Tells streams of this process that events up to `n` are stored.
    pub(crate) fn stored_up_to(&self, n: i64) {
        self.newest.send_if_modified(|cur| {
            let moved = n > *cur;
            *cur = (*cur).max(n);
            moved
        });
    }

    /// A receiver that changes when this process stores events.
    pub fn watch_newest(&self) -> watch::Receiver<i64> {
        self.newest.subscribe()
    }

    /// The signing secret of a subscription.
    pub(crate) fn secret_of(&self, w: &WebhookRow) -> Option<Secret> {
        self.sealer.open(&w.sealed_secret).ok()
    }

    /// Makes a subscription for `owner`; answers it and its secret (shown this once).
    ///
    /// # Errors
    /// [`WebhookError`].
    pub async fn create(
        &self,
        owner: &str,
        new: NewWebhook,
    ) -> Result<(WebhookView, Secret), WebhookError> {
        let url = self.check_url(&new.url)?;
        let event_types = check_types(&new.event_types)?;
        check_description(&new.description)?;
        check_course(new.course_id)?;
        if store::count_of(&self.db, owner).await? >= self.config.per_owner {
            return Err(WebhookError::TooMany(self.config.per_owner));
        }
        let secret = signing::new_secret();
        let now = now_ms();
        let row = WebhookRow {
            id: new_id(),
            owner: owner.to_owned(),
            url,
            event_types,
            course_id: new.course_id,
            description: new.description,
            active: new.active,
            include_bridge: new.include_bridge_events,
            sealed_secret: self.sealer.seal(&secret),
            disabled_reason: None,
            created_at_ms: now,
            updated_at_ms: now,
        };
        store::insert_webhook(&self.db, &row).await?;
        tracing::info!(webhook = %row.id, owner, "webhook created");
        Ok((WebhookView::from(&row), Secret::new(secret)))
    }

    /// The subscriptions of `owner`.
    ///
    /// # Errors
    /// The database's.
    pub async fn list(&self, owner: &str) -> Result<Vec<WebhookView>, WebhookError> {
        Ok(store::webhooks_of(&self.db, owner)
            .await?
            .iter()
            .map(WebhookView::from)
            .collect())
    }

    async fn row(&self, owner: &str, id: &str) -> Result<WebhookRow, WebhookError> {
        store::webhook_of(&self.db, owner, id)
            .await?
            .ok_or_else(|| WebhookError::NotFound(id.to_owned()))
    }

    /// One subscription of `owner`.
    ///
    /// # Errors
    /// [`WebhookError::NotFound`] for another caller's or a missing one.
    pub async fn get(&self, owner: &str, id: &str) -> Result<WebhookView, WebhookError> {
        Ok(WebhookView::from(&self.row(owner, id).await?))
    }

    /// Changes a subscription of `owner`.
    ///
    /// # Errors
    /// [`WebhookError`].
    pub async fn update(
        &self,
        owner: &str,
        id: &str,
        patch: WebhookPatch,
    ) -> Result<WebhookView, WebhookError> {
        let mut row = self.row(owner, id).await?;
        if let Some(url) = &patch.url {
            row.url = self.check_url(url)?;
        }
        if let Some(types) = &patch.event_types {
            row.event_types = check_types(types)?;
        }
        if let Some(course) = patch.course_id {
            check_course(course)?;
            row.course_id = course;
        }
        if let Some(description) = patch.description {
            check_description(&description)?;
            row.description = description;
        }
        if let Some(active) = patch.active {
            if active && !row.active {
                row.disabled_reason = None;
            }
            row.active = active;
        }
        if let Some(include) = patch.include_bridge_events {
            row.include_bridge = include;
        }
        row.updated_at_ms = now_ms();
        if !store::update_webhook(&self.db, &row).await? {
            return Err(WebhookError::NotFound(id.to_owned()));
        }
        if row.active {
            self.wake_deliverer();
        }
        Ok(WebhookView::from(&row))
    }

    /// Deletes a subscription of `owner` with its deliveries.
    ///
    /// # Errors
    /// [`WebhookError::NotFound`].
    pub async fn delete(&self, owner: &str, id: &str) -> Result<(), WebhookError> {
        if store::delete_webhook(&self.db, owner, id).await? {
            tracing::info!(webhook = %id, owner, "webhook deleted");
            Ok(())
        } else {
            Err(WebhookError::NotFound(id.to_owned()))
        }
    }

    /// Deliveries of a subscription of `owner`, newest first, before event `before`.
    ///
    /// # Errors
    /// [`WebhookError`].
    pub async fn deliveries(
        &self,
        owner: &str,
        id: &str,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<DeliveryView>, WebhookError> {
        let w = self.row(owner, id).await?;
        let before = before
            .map(|b| {
                events::event_number(b).ok_or(WebhookError::Invalid {
                    field: "before",
                    reason: "must be an event id (evt_…)".to_owned(),
                })
            })
            .transpose()?;
        Ok(
            store::deliveries(&self.db, &w.id, before, limit.clamp(1, 500))
                .await?
                .iter()
                .map(DeliveryView::from)
                .collect(),
        )
    }

    /// Queues again, for a subscription of `owner`, every kept event it wants from `from` on
    /// (delivered ones too: receivers de-duplicate by event id). Answers how many.
    ///
    /// # Errors
    /// [`WebhookError`].
    pub async fn replay(
        &self,
        owner: &str,
        id: &str,
        from: ReplayFrom,
    ) -> Result<usize, WebhookError> {
        let w = self.row(owner, id).await?;
        let first = match from {
            ReplayFrom::Event(n) => Some(n),
            ReplayFrom::Time(ms) => store::first_event_since(&self.db, ms).await?,
        };
        let Some(first) = first else { return Ok(0) };
        let queued = store::replay(&self.db, &w, first, now_ms()).await?;
        tracing::info!(webhook = %w.id, from = first, queued, "webhook replay queued");
        self.wake_deliverer();
        Ok(queued)
    }

    /// Stored events after number `after`, oldest first, at most `limit`.
    ///
    /// # Errors
    /// The database's.
    pub async fn events_after(&self, after: i64, limit: i64) -> Result<Vec<Event>, sqlx::Error> {
        store::events_after(&self.db, after, limit).await
    }

    /// The newest stored event number (0 before any).
    ///
    /// # Errors
    /// The database's.
    pub async fn last_event(&self) -> Result<i64, sqlx::Error> {
        store::last_event(&self.db).await
    }

    /// Forgets events older than `EVENTS_RETENTION_DAYS` whose deliveries are settled.
    ///
    /// # Errors
    /// The database's.
    pub async fn purge(&self) -> Result<u64, sqlx::Error> {
        let keep = i64::try_from(self.config.retention.as_millis()).unwrap_or(i64::MAX);
        self.purge_before(now_ms().saturating_sub(keep)).await
    }

    /// Forgets events stored before `before_ms` (Unix milliseconds) whose deliveries are all
    /// settled, with those deliveries; events with a pending delivery stay. Answers how many
    /// rows went.
    ///
    /// # Errors
    /// The database's.
    pub async fn purge_before(&self, before_ms: i64) -> Result<u64, sqlx::Error> {
        store::purge(&self.db, before_ms).await
    }

    fn check_url(&self, raw: &str) -> Result<String, WebhookError> {
        if raw.len() > MAX_URL {
            return Err(WebhookError::Invalid {
                field: "url",
                reason: format!("at most {MAX_URL} characters"),
            });
        }
        target::check(raw, self.config.allow_private_targets)
            .map(String::from)
            .map_err(|e| WebhookError::Invalid {
                field: "url",
                reason: e.to_string(),
            })
    }
}

/// The types a subscription or stream asks for: each `*`, a catalogue type or a group
/// (`course.*`); duplicates dropped.
///
/// # Errors
/// [`WebhookError::Invalid`] naming `event_types`.
pub fn check_types(types: &[String]) -> Result<Vec<String>, WebhookError> {
    let invalid = |reason: String| WebhookError::Invalid {
        field: "event_types",
        reason,
    };
    if types.is_empty() || types.len() > CATALOGUE.len() + 1 {
        return Err(invalid(format!(
            "one to {} types, e.g. [\"course.created\"] or [\"*\"]",
            CATALOGUE.len() + 1
        )));
    }
    let mut out: Vec<String> = Vec::with_capacity(types.len());
    for t in types {
        let t = t.trim();
        let known = t == "*"
            || events::is_known_type(t)
            || t.strip_suffix(".*").is_some_and(|group| {
                CATALOGUE
                    .iter()
                    .any(|(_, k, _)| k.split_once('.').is_some_and(|(g, _)| g == group))
            });
        if !known {
            return Err(invalid(format!(
                "{t:?} is not an event type; known: {}",
                CATALOGUE
                    .iter()
                    .map(|(_, k, _)| *k)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if !out.iter().any(|o| o == t) {
            out.push(t.to_owned());
        }
    }
    Ok(out)
}

fn check_description(d: &str) -> Result<(), WebhookError> {
    if d.chars().count() > MAX_DESCRIPTION || d.chars().any(char::is_control) {
        return Err(WebhookError::Invalid {
            field: "description",
            reason: format!("at most {MAX_DESCRIPTION} characters, without control characters"),
        });
    }
    Ok(())
}

fn check_course(course: Option<i64>) -> Result<(), WebhookError> {
    if course.is_some_and(|c| c < 1) {
        return Err(WebhookError::Invalid {
            field: "course_id",
            reason: "must be a Moodle course id (1 or more)".to_owned(),
        });
    }
    Ok(())
}

fn new_id() -> String {
    format!("wh_{}", uuid::Uuid::new_v4().simple())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn event_types_are_catalogue_types_groups_or_everything() {
        assert_eq!(
            check_types(&types(&["course.*", "grade.updated", "course.*"])).expect("valid"),
            types(&["course.*", "grade.updated"])
        );
        assert!(check_types(&types(&["*"])).is_ok());
        assert!(check_types(&types(&["course.exploded"])).is_err());
        assert!(check_types(&types(&["nothing.*"])).is_err());
        assert!(check_types(&[]).is_err());
    }
}
