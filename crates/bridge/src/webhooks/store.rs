//! The SQL of events, cursors, subscriptions and deliveries (`migrations/*/0020`, `0021`),
//! portable to SQLite and PostgreSQL. Leases are claimed with one conditional `UPDATE` (no
//! `FOR UPDATE SKIP LOCKED`, which SQLite lacks); every write a lease guards names its owner,
//! so an instance whose lease lapsed cannot overwrite the work of the one that took over.

use sqlx::Row as _;

use super::events::Event;
use crate::db::Db;

/// A subscription as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRow {
    /// `wh_…`.
    pub id: String,
    /// Source and subject of the token that made it.
    pub owner: String,
    /// Where deliveries go.
    pub url: String,
    /// Types delivered (`*` every type).
    pub event_types: Vec<String>,
    /// Only this course's events, when set.
    pub course_id: Option<i64>,
    /// For people.
    pub description: String,
    /// Whether it delivers.
    pub active: bool,
    /// Whether the bridge's own writes' events are delivered too.
    pub include_bridge: bool,
    /// The sealed secret.
    pub sealed_secret: String,
    /// Why the bridge disabled it.
    pub disabled_reason: Option<String>,
    /// Made (Unix milliseconds).
    pub created_at_ms: i64,
    /// Changed (Unix milliseconds).
    pub updated_at_ms: i64,
}

impl WebhookRow {
    /// Whether an event goes to this subscription.
    pub fn wants(&self, event: &Event) -> bool {
        super::events::selects(
            &self.event_types,
            self.course_id,
            self.include_bridge,
            event,
        )
    }
}

/// A delivery as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRow {
    /// The event.
    pub event_id: i64,
    /// Its type.
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    /// Tries so far.
    pub attempts: i64,
    /// The next try (pending), Unix milliseconds.
    pub next_attempt_ms: i64,
    /// The receiver's last status (0: no answer).
    pub last_status: Option<i64>,
    /// Why the last try failed.
    pub last_error: Option<String>,
    /// Made.
    pub created_at_ms: i64,
    /// Delivered.
    pub delivered_at_ms: Option<i64>,
}

const WEBHOOK_COLUMNS: &str = "id, owner, url, event_types, course_id, description, active, \
     include_bridge, secret, disabled_reason, created_at_ms, updated_at_ms";

fn webhook(row: &sqlx::any::AnyRow) -> Result<WebhookRow, sqlx::Error> {
    let types: String = row.try_get("event_types")?;
    Ok(WebhookRow {
        id: row.try_get("id")?,
        owner: row.try_get("owner")?,
        url: row.try_get("url")?,
        event_types: types
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        course_id: row.try_get("course_id")?,
        description: row.try_get("description")?,
        active: row.try_get::<i64, _>("active")? == 1,
        include_bridge: row.try_get::<i64, _>("include_bridge")? == 1,
        sealed_secret: row.try_get("secret")?,
        disabled_reason: row.try_get("disabled_reason")?,
        created_at_ms: row.try_get("created_at_ms")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
    })
}

/// Saves a new subscription.
pub(super) async fn insert_webhook(db: &Db, w: &WebhookRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO webhooks (id, owner, url, event_types, course_id, description, active, \
         include_bridge, secret, disabled_reason, created_at_ms, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10, $10)",
    )
    .bind(&w.id)
    .bind(&w.owner)
    .bind(&w.url)
    .bind(w.event_types.join(" "))
    .bind(w.course_id)
    .bind(&w.description)
    .bind(i64::from(w.active))
    .bind(i64::from(w.include_bridge))
    .bind(&w.sealed_secret)
    .bind(w.created_at_ms)
    .execute(db.pool())
    .await
    .map(drop)
}

/// Writes the changeable fields of a subscription of `w.owner`; whether it exists.
pub(super) async fn update_webhook(db: &Db, w: &WebhookRow) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE webhooks SET url = $1, event_types = $2, course_id = $3, description = $4, \
         active = $5, include_bridge = $6, disabled_reason = $7, updated_at_ms = $8 \
         WHERE id = $9 AND owner = $10",
    )
    .bind(&w.url)
    .bind(w.event_types.join(" "))
    .bind(w.course_id)
    .bind(&w.description)
    .bind(i64::from(w.active))
    .bind(i64::from(w.include_bridge))
    .bind(w.disabled_reason.as_deref())
    .bind(w.updated_at_ms)
    .bind(&w.id)
    .bind(&w.owner)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The subscriptions of `owner`, oldest first.
pub(super) async fn webhooks_of(db: &Db, owner: &str) -> Result<Vec<WebhookRow>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE owner = $1 ORDER BY created_at_ms, id"
    )))
    .bind(owner)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(webhook)
    .collect()
}

/// How many subscriptions `owner` has.
pub(super) async fn count_of(db: &Db, owner: &str) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM webhooks WHERE owner = $1")
        .bind(owner)
        .fetch_one(db.pool())
        .await?
        .try_get("n")
}

/// One subscription of `owner`.
pub(super) async fn webhook_of(
    db: &Db,
    owner: &str,
    id: &str,
) -> Result<Option<WebhookRow>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE owner = $1 AND id = $2"
    )))
    .bind(owner)
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .map(|r| webhook(&r))
    .transpose()
}

/// Deletes a subscription of `owner` and its deliveries; whether it existed.
pub(super) async fn delete_webhook(db: &Db, owner: &str, id: &str) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let gone = sqlx::query("DELETE FROM webhooks WHERE owner = $1 AND id = $2")
        .bind(owner)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if gone == 1 {
        sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(gone == 1)
}

/// Takes (or keeps) the lease on polling `site`; answers the outbox id read up to, or `None`
/// while another instance holds it.
pub(super) async fn claim_cursor(
    db: &Db,
    site: &str,
    me: &str,
    until: i64,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query(
        "INSERT INTO event_cursors (site, last_moodle_id, lease_owner, lease_until_ms, updated_at_ms) \
         VALUES ($1, 0, NULL, NULL, $2) ON CONFLICT (site) DO NOTHING",
    )
    .bind(site)
    .bind(now)
    .execute(db.pool())
    .await?;
    sqlx::query(
        "UPDATE event_cursors SET lease_owner = $1, lease_until_ms = $2, updated_at_ms = $3 \
         WHERE site = $4 AND (lease_owner IS NULL OR lease_owner = $1 OR lease_until_ms < $3) \
         RETURNING last_moodle_id",
    )
    .bind(me)
    .bind(until)
    .bind(now)
    .bind(site)
    .fetch_optional(db.pool())
    .await?
    .map(|r| r.try_get("last_moodle_id"))
    .transpose()
}

/// One event read from the outbox, ready to be stored.
#[derive(Debug, Clone)]
pub(super) struct NewEvent {
    /// The outbox id.
    pub moodle_id: i64,
    /// The normalised event (its `id` is set once stored).
    pub event: Event,
}

/// Stores a page of events read from `site`, with a delivery for each subscription that
/// wants it, and moves the cursor to `read_up_to` — all in one transaction, and only while
/// `me` holds the site's lease. Answers the stored events with their ids; `None` when the
/// lease was lost (nothing written).
pub(super) async fn record_events(
    db: &Db,
    site: &str,
    me: &str,
    events: &[NewEvent],
    read_up_to: i64,
    now: i64,
) -> Result<Option<Vec<Event>>, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let moved = sqlx::query(
        "UPDATE event_cursors SET last_moodle_id = $1, updated_at_ms = $2 \
         WHERE site = $3 AND lease_owner = $4 AND last_moodle_id <= $1",
    )
    .bind(read_up_to)
    .bind(now)
    .bind(site)
    .bind(me)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if moved != 1 {
        return Ok(None);
    }
    let subscriptions: Vec<WebhookRow> = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE active = 1"
    )))
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(webhook)
    .collect::<Result<_, _>>()?;
    let mut stored = Vec::with_capacity(events.len());
    for new in events {
        let e = &new.event;
        let payload = serde_json::to_string(e).unwrap_or_default();
        let row = sqlx::query(
            "INSERT INTO moodle_events (site, moodle_id, event_type, stored_at_ms, course_id, \
             user_id, origin, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (site, moodle_id) DO NOTHING RETURNING id",
        )
        .bind(site)
        .bind(new.moodle_id)
        .bind(&e.event_type)
        .bind(now)
        .bind(e.course_id)
        .bind(e.user_id)
        .bind(e.origin.as_str())
        .bind(payload)
        .fetch_optional(&mut *tx)
        .await?;
        // Already stored (a page read twice across a takeover): its deliveries exist.
        let Some(row) = row else { continue };
        let id: i64 = row.try_get("id")?;
        let mut event = e.clone();
        event.id = super::events::event_id(id);
        for w in subscriptions.iter().filter(|w| w.wants(&event)) {
            insert_delivery(&mut tx, &w.id, id, now).await?;
        }
        stored.push(event);
    }
    tx.commit().await?;
    Ok(Some(stored))
}

async fn insert_delivery(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    webhook: &str,
    event: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO webhook_deliveries (webhook_id, event_id, state, attempts, next_attempt_ms, \
         created_at_ms) VALUES ($1, $2, 'pending', 0, $3, $3) \
         ON CONFLICT (webhook_id, event_id) DO UPDATE SET state = 'pending', attempts = 0, \
         next_attempt_ms = excluded.next_attempt_ms, first_failed_at_ms = NULL, \
         last_status = NULL, last_error = NULL, delivered_at_ms = NULL",
    )
    .bind(webhook)
    .bind(event)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// Events after number `after`, oldest first, at most `limit`.
pub(super) async fn events_after(
    db: &Db,
    after: i64,
    limit: i64,
) -> Result<Vec<Event>, sqlx::Error> {
    sqlx::query("SELECT id, payload FROM moodle_events WHERE id > $1 ORDER BY id LIMIT $2")
        .bind(after)
        .bind(limit)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(event_of)
        .collect()
}

fn event_of(row: &sqlx::any::AnyRow) -> Result<Event, sqlx::Error> {
    let id: i64 = row.try_get("id")?;
    let payload: String = row.try_get("payload")?;
    let mut event: Event =
        serde_json::from_str(&payload).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    event.id = super::events::event_id(id);
    Ok(event)
}

/// The newest event number (0 before any).
pub(super) async fn last_event(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COALESCE(MAX(id), 0) AS n FROM moodle_events")
        .fetch_one(db.pool())
        .await?
        .try_get("n")
}

/// Queues again every kept event from number `from` on that the subscription wants.
pub(super) async fn replay(
    db: &Db,
    w: &WebhookRow,
    from: i64,
    now: i64,
) -> Result<usize, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let rows = sqlx::query("SELECT id, payload FROM moodle_events WHERE id >= $1 ORDER BY id")
        .bind(from)
        .fetch_all(&mut *tx)
        .await?;
    let mut queued = 0;
    for row in &rows {
        let event = event_of(row)?;
        if w.wants(&event) {
            let id: i64 = row.try_get("id")?;
            insert_delivery(&mut tx, &w.id, id, now).await?;
            queued += 1;
        }
    }
    tx.commit().await?;
    Ok(queued)
}

/// The first event number at or after `since_ms` (when events were stored).
pub(super) async fn first_event_since(db: &Db, since_ms: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query("SELECT MIN(id) AS n FROM moodle_events WHERE stored_at_ms >= $1")
        .bind(since_ms)
        .fetch_one(db.pool())
        .await?
        .try_get("n")
}

/// The deliveries of a subscription, newest first, before event `before`, at most `limit`.
pub(super) async fn deliveries(
    db: &Db,
    webhook: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<DeliveryRow>, sqlx::Error> {
    sqlx::query(
        "SELECT d.event_id, e.event_type, d.state, d.attempts, d.next_attempt_ms, d.last_status, \
         d.last_error, d.created_at_ms, d.delivered_at_ms FROM webhook_deliveries d \
         JOIN moodle_events e ON e.id = d.event_id WHERE d.webhook_id = $1 AND d.event_id < $2 \
         ORDER BY d.event_id DESC LIMIT $3",
    )
    .bind(webhook)
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(DeliveryRow {
            event_id: r.try_get("event_id")?,
            event_type: r.try_get("event_type")?,
            state: r.try_get("state")?,
            attempts: r.try_get("attempts")?,
            next_attempt_ms: r.try_get("next_attempt_ms")?,
            last_status: r.try_get("last_status")?,
            last_error: r.try_get("last_error")?,
            created_at_ms: r.try_get("created_at_ms")?,
            delivered_at_ms: r.try_get("delivered_at_ms")?,
        })
    })
    .collect()
}

/// Takes the lease on one subscription whose oldest pending delivery is due (later ones wait
/// for it: deliveries go out in event order), for `me` until `until`.
pub(super) async fn claim_webhook(
    db: &Db,
    me: &str,
    until: i64,
    now: i64,
) -> Result<Option<WebhookRow>, sqlx::Error> {
    let free = "(lease_until_ms IS NULL OR lease_until_ms < $3)";
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE webhooks SET lease_owner = $1, lease_until_ms = $2 WHERE id = (\
         SELECT w.id FROM webhooks w WHERE w.active = 1 \
         AND (w.lease_until_ms IS NULL OR w.lease_until_ms < $3) \
         AND (SELECT d.next_attempt_ms FROM webhook_deliveries d WHERE d.webhook_id = w.id \
         AND d.state = 'pending' ORDER BY d.event_id LIMIT 1) <= $3 \
         ORDER BY w.updated_at_ms, w.id LIMIT 1) \
         AND active = 1 AND {free} RETURNING {WEBHOOK_COLUMNS}"
    )))
    .bind(me)
    .bind(until)
    .bind(now)
    .fetch_optional(db.pool())
    .await?
    .map(|r| webhook(&r))
    .transpose()
}

/// Extends `me`'s lease on a subscription; whether it still holds it (and it is active).
pub(super) async fn renew_webhook(
    db: &Db,
    id: &str,
    me: &str,
    until: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE webhooks SET lease_until_ms = $1 WHERE id = $2 AND lease_owner = $3 AND active = 1",
    )
    .bind(until)
    .bind(id)
    .bind(me)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives a subscription's lease back.
pub(super) async fn release_webhook(db: &Db, id: &str, me: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE webhooks SET lease_owner = NULL, lease_until_ms = NULL \
         WHERE id = $1 AND lease_owner = $2",
    )
    .bind(id)
    .bind(me)
    .execute(db.pool())
    .await
    .map(drop)
}

/// The oldest pending delivery of a subscription, with its event and attempt state.
pub(super) struct Head {
    /// The event.
    pub event: Event,
    /// Its number.
    pub event_id: i64,
    /// Tries so far.
    pub attempts: i64,
    /// When it is due.
    pub next_attempt_ms: i64,
    /// When the first try failed.
    pub first_failed_at_ms: Option<i64>,
}

/// The oldest pending delivery of `webhook` (in event order: later ones wait for it).
pub(super) async fn head(db: &Db, webhook: &str) -> Result<Option<Head>, sqlx::Error> {
    sqlx::query(
        "SELECT d.event_id AS id, e.payload, d.attempts, d.next_attempt_ms, d.first_failed_at_ms \
         FROM webhook_deliveries d JOIN moodle_events e ON e.id = d.event_id \
         WHERE d.webhook_id = $1 AND d.state = 'pending' ORDER BY d.event_id LIMIT 1",
    )
    .bind(webhook)
    .fetch_optional(db.pool())
    .await?
    .map(|r| {
        Ok(Head {
            event: event_of(&r)?,
            event_id: r.try_get("id")?,
            attempts: r.try_get("attempts")?,
            next_attempt_ms: r.try_get("next_attempt_ms")?,
            first_failed_at_ms: r.try_get("first_failed_at_ms")?,
        })
    })
    .transpose()
}

/// How a try ended.
pub(super) enum TryOutcome<'a> {
    /// The receiver answered 2xx.
    Delivered {
        /// Its status.
        status: i64,
    },
    /// Try again at this time.
    Retry {
        /// When.
        at: i64,
        /// The receiver's status (0: none).
        status: i64,
        /// Why.
        error: &'a str,
    },
    /// Retries are over.
    GaveUp {
        /// The receiver's status (0: none).
        status: i64,
        /// Why.
        error: &'a str,
    },
}

/// Records a try of `webhook`'s delivery of `event`, only while `me` holds its lease.
pub(super) async fn record_try(
    db: &Db,
    webhook: &str,
    me: &str,
    event: i64,
    outcome: TryOutcome<'_>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let held = "EXISTS (SELECT 1 FROM webhooks w WHERE w.id = $1 AND w.lease_owner = $2)";
    let (sql, status, error, at): (String, Option<i64>, Option<&str>, i64) = match outcome {
        TryOutcome::Delivered { status } => (
            format!(
                "UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1, \
                 delivered_at_ms = $4, last_status = $5, last_error = $6, next_attempt_ms = $7 \
                 WHERE webhook_id = $1 AND event_id = $3 AND state = 'pending' AND {held}"
            ),
            Some(status),
            None,
            now,
        ),
        TryOutcome::Retry { at, status, error } => (
            format!(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, \
                 first_failed_at_ms = COALESCE(first_failed_at_ms, $4), last_status = $5, \
                 last_error = $6, next_attempt_ms = $7 \
                 WHERE webhook_id = $1 AND event_id = $3 AND state = 'pending' AND {held}"
            ),
            Some(status),
            Some(error),
            at,
        ),
        TryOutcome::GaveUp { status, error } => (
            format!(
                "UPDATE webhook_deliveries SET state = 'failed', attempts = attempts + 1, \
                 first_failed_at_ms = COALESCE(first_failed_at_ms, $4), last_status = $5, \
                 last_error = $6, next_attempt_ms = $7 \
                 WHERE webhook_id = $1 AND event_id = $3 AND state = 'pending' AND {held}"
            ),
            Some(status),
            Some(error),
            now,
        ),
    };
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(webhook)
        .bind(me)
        .bind(event)
        .bind(now)
        .bind(status)
        .bind(error)
        .bind(at)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Turns a subscription off after its retries ran out: it stops, and its other pending
/// deliveries are kept as failed (a replay sends them again).
pub(super) async fn disable(
    db: &Db,
    webhook: &str,
    reason: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE webhooks SET active = 0, disabled_reason = $2, updated_at_ms = $3, \
         lease_owner = NULL, lease_until_ms = NULL WHERE id = $1",
    )
    .bind(webhook)
    .bind(reason)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE webhook_deliveries SET state = 'failed', last_error = COALESCE(last_error, $2) \
         WHERE webhook_id = $1 AND state = 'pending'",
    )
    .bind(webhook)
    .bind(reason)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Forgets events stored before `before_ms` with their settled deliveries; pending ones stay.
pub(super) async fn purge(db: &Db, before_ms: i64) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let deliveries = sqlx::query(
        "DELETE FROM webhook_deliveries WHERE state <> 'pending' AND event_id IN \
         (SELECT id FROM moodle_events WHERE stored_at_ms < $1)",
    )
    .bind(before_ms)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let events = sqlx::query(
        "DELETE FROM moodle_events WHERE stored_at_ms < $1 AND id NOT IN \
         (SELECT event_id FROM webhook_deliveries)",
    )
    .bind(before_ms)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(deliveries + events)
}
