//! The audit log: every write through the bridge (who, route, Moodle function, object ids,
//! outcome, time) as a row of `audit_log`, and the listing `moodle-bridge audit` prints.
//!
//! Recording never fails the request it describes: the write has already happened in
//! Moodle, so a failed insert is logged as an error instead.
//!
//! Services record what happened (`outcome`: `ok` or their error's code); the HTTP status the
//! caller was given is decided by the HTTP layer alone, which settles it on the request's rows
//! once it has answered ([`AuditLog::settle`]). Commands and work a job does after its request
//! has been answered keep status 0.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use sqlx::Row as _;

use crate::db::Db;

/// Who is acting, and through which route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The token's subject (or the operator's name for commands).
    pub subject: String,
    /// The token source (`bridge`, `shared-secret`, `identity-provider`, `cli`).
    pub source: &'static str,
    /// `METHOD /route/pattern`, or the command.
    pub route: String,
    /// The request's `X-Request-Id`.
    pub request_id: Option<String>,
    /// The client's network address (behind `TRUSTED_PROXIES`, the forwarded one); `None` for
    /// commands and work done later by jobs.
    pub client: Option<String>,
}

impl Actor {
    /// The key that owns what this caller makes (publisher courses, jobs, LMS sessions, stored
    /// files): source and subject together, so an identity provider's user can never reach
    /// the data of a bridge-token subject with the same name.
    pub fn owner(&self) -> String {
        format!("{}:{}", self.source, self.subject)
    }
}

/// One write to record.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// The Moodle function called, if any.
    pub function: Option<&'a str>,
    /// The ids involved, as a JSON object.
    pub object_ids: Value,
    /// `ok`, or the code of what went wrong.
    pub outcome: &'a str,
}

/// A recorded write.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    /// Row id.
    pub id: i64,
    /// When (Unix milliseconds).
    pub at_ms: i64,
    /// Who.
    pub subject: String,
    /// Vouched for by.
    pub source: String,
    /// Route or command.
    pub route: String,
    /// Moodle function.
    pub moodle_function: Option<String>,
    /// Ids involved (JSON object text).
    pub object_ids: String,
    /// `ok` or an error code.
    pub outcome: String,
    /// HTTP status.
    pub status: i64,
    /// Request id.
    pub request_id: Option<String>,
    /// Client address.
    pub client_address: Option<String>,
}

/// The audit log store.
#[derive(Debug, Clone)]
pub struct AuditLog {
    db: Db,
}

impl AuditLog {
    /// The log in `db`.
    pub fn new(db: Db) -> AuditLog {
        AuditLog { db }
    }

    /// Records a write; a failure is logged, not returned.
    pub async fn record(&self, actor: &Actor, event: Event<'_>) {
        if let Err(e) = self.insert(actor, &event).await {
            tracing::error!(error = %e, route = %actor.route, subject = %actor.subject, "audit record not written");
        }
    }

    async fn insert(&self, actor: &Actor, event: &Event<'_>) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO audit_log (at_ms, subject, source, route, moodle_function, object_ids, outcome, status, request_id, client_address) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(now_ms())
        .bind(&actor.subject)
        .bind(actor.source)
        .bind(&actor.route)
        .bind(event.function)
        .bind(event.object_ids.to_string())
        .bind(event.outcome)
        .bind(0i64)
        .bind(actor.request_id.as_deref())
        .bind(actor.client.as_deref())
        .execute(self.db.pool())
        .await
        .map(drop)
    }

    /// Sets the HTTP status the caller of request `request_id` was given on the rows that
    /// request wrote (rows of other requests, commands and jobs are left alone).
    pub async fn settle(&self, request_id: &str, status: u16) {
        let settled =
            sqlx::query("UPDATE audit_log SET status = $1 WHERE request_id = $2 AND status = 0")
                .bind(i64::from(status))
                .bind(request_id)
                .execute(self.db.pool())
                .await;
        if let Err(e) = settled {
            tracing::error!(error = %e, request_id, "audit status not settled");
        }
    }

    /// Entries at or after `since_ms`, oldest first, at most `limit`.
    ///
    /// # Errors
    /// The database's error.
    pub async fn since(&self, since_ms: i64, limit: i64) -> Result<Vec<Entry>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, at_ms, subject, source, route, moodle_function, object_ids, outcome, status, request_id, client_address \
             FROM audit_log WHERE at_ms >= $1 ORDER BY at_ms, id LIMIT $2",
        )
        .bind(since_ms)
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Entry {
                    id: r.try_get("id")?,
                    at_ms: r.try_get("at_ms")?,
                    subject: r.try_get("subject")?,
                    source: r.try_get("source")?,
                    route: r.try_get("route")?,
                    moodle_function: r.try_get("moodle_function")?,
                    object_ids: r.try_get("object_ids")?,
                    outcome: r.try_get("outcome")?,
                    status: r.try_get("status")?,
                    request_id: r.try_get("request_id")?,
                    client_address: r.try_get("client_address")?,
                })
            })
            .collect()
    }
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
