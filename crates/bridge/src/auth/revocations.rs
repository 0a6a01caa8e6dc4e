//! Which API tokens exist and which are taken back: the bridge's own tokens are recorded when
//! issued (`moodle-bridge token create`, token login) so `token list` can show them;
//! `token revoke` takes back one token by its `jti` (of any source) or every token of a source
//! and subject issued until now. Revocations live in the database, shared by every instance;
//! each instance checks a copy in memory on every request and reloads it every few seconds, so
//! a revocation holds everywhere within [`REFRESH_EVERY`] without a query per request.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use sqlx::Row as _;

use super::{IssuedToken, TokenSource};
use crate::audit::now_ms;
use crate::db::Db;

/// How often each instance reloads the revocations.
pub const REFRESH_EVERY: Duration = Duration::from_secs(5);

/// The revocations in force, as of the last load.
#[derive(Debug, Default)]
struct Snapshot {
    /// Revoked token ids.
    tokens: HashSet<String>,
    /// (source, subject) → tokens issued before this time (Unix seconds) are revoked.
    subjects: HashMap<(String, String), i64>,
}

/// The revocations, checked in memory.
#[derive(Debug)]
pub struct Revocations {
    db: Db,
    snapshot: RwLock<Arc<Snapshot>>,
}

/// One issued token, as `token list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenRecord {
    /// Its `jti`.
    pub jti: String,
    /// Its subject.
    pub subject: String,
    /// Its scopes.
    pub scopes: String,
    /// `cli` or `token-login`.
    pub issued_by: String,
    /// When it was made (Unix milliseconds).
    pub issued_at_ms: i64,
    /// When it expires (Unix milliseconds).
    pub expires_at_ms: i64,
    /// When it was revoked, if it was.
    pub revoked_at_ms: Option<i64>,
}

impl Revocations {
    /// Loads the revocations in `db`.
    ///
    /// # Errors
    /// The database's error.
    pub async fn load(db: Db) -> Result<Revocations, sqlx::Error> {
        let revocations = Revocations {
            db,
            snapshot: RwLock::new(Arc::default()),
        };
        revocations.refresh().await?;
        Ok(revocations)
    }

    /// Reloads the revocations in force.
    ///
    /// # Errors
    /// The database's error (the previous copy stays in force).
    pub async fn refresh(&self) -> Result<(), sqlx::Error> {
        let now = now_ms();
        let tokens = sqlx::query(
            "SELECT jti FROM revoked_tokens WHERE expires_at_ms IS NULL OR expires_at_ms > $1",
        )
        .bind(now)
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>("jti"))
        .collect::<Result<HashSet<_>, _>>()?;
        let subjects =
            sqlx::query("SELECT source, subject, revoked_before_ms FROM revoked_subjects")
                .fetch_all(self.db.pool())
                .await?
                .iter()
                .map(|r| {
                    Ok((
                        (r.try_get("source")?, r.try_get("subject")?),
                        r.try_get::<i64, _>("revoked_before_ms")? / 1000,
                    ))
                })
                .collect::<Result<HashMap<_, _>, sqlx::Error>>()?;
        let fresh = Arc::new(Snapshot { tokens, subjects });
        *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(())
    }

    /// Reloads every [`REFRESH_EVERY`] while `self` lives.
    pub fn spawn_refresh(self: &Arc<Self>) {
        let me = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(REFRESH_EVERY);
            tick.tick().await;
            let mut round: u64 = 0;
            loop {
                tick.tick().await;
                let Some(revocations) = me.upgrade() else {
                    return;
                };
                if let Err(e) = revocations.refresh().await {
                    tracing::warn!(error = %e, "token revocations not reloaded; the last copy stays in force");
                }
                round += 1;
                // About once an hour, forget what expired long ago.
                if round.is_multiple_of(720)
                    && let Err(e) = purge_expired(&revocations.db).await
                {
                    tracing::warn!(error = %e, "expired token records not purged");
                }
            }
        });
    }

    /// Whether a token is revoked: by its id, or because its source and subject were revoked
    /// after it was issued (a token without `iat` counts as issued before).
    pub fn is_revoked(
        &self,
        source: TokenSource,
        subject: &str,
        jti: Option<&str>,
        issued_at: Option<i64>,
    ) -> bool {
        let snapshot = self
            .snapshot
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if jti.is_some_and(|j| snapshot.tokens.contains(j)) {
            return true;
        }
        if snapshot.subjects.is_empty() {
            return false;
        }
        snapshot
            .subjects
            .get(&(source.name().to_owned(), subject.to_owned()))
            .is_some_and(|before| issued_at.is_none_or(|iat| iat <= *before))
    }
}

/// Records a token the bridge issued.
///
/// # Errors
/// The database's error.
pub async fn record_issued(
    db: &Db,
    issued: &IssuedToken,
    issued_by: &str,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO api_tokens (jti, subject, scopes, issued_by, issued_at_ms, expires_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&issued.id)
    .bind(&issued.subject)
    .bind(issued.scopes.to_string())
    .bind(issued_by)
    .bind(now)
    .bind(i64::try_from(issued.expires_at).unwrap_or(i64::MAX / 1000) * 1000)
    .execute(db.pool())
    .await
    .map(drop)
}

/// The issued tokens (of `subject`, when given), newest first, at most `limit`.
///
/// # Errors
/// The database's error.
pub async fn list(
    db: &Db,
    subject: Option<&str>,
    limit: i64,
) -> Result<Vec<TokenRecord>, sqlx::Error> {
    macro_rules! columns {
        () => {
            "SELECT jti, subject, scopes, issued_by, issued_at_ms, expires_at_ms, revoked_at_ms \
             FROM api_tokens"
        };
    }
    let rows = match subject {
        Some(subject) => {
            sqlx::query(concat!(
                columns!(),
                " WHERE subject = $1 ORDER BY issued_at_ms DESC, jti LIMIT $2"
            ))
            .bind(subject)
            .bind(limit)
            .fetch_all(db.pool())
            .await?
        }
        None => {
            sqlx::query(concat!(
                columns!(),
                " ORDER BY issued_at_ms DESC, jti LIMIT $1"
            ))
            .bind(limit)
            .fetch_all(db.pool())
            .await?
        }
    };
    rows.iter()
        .map(|r| {
            Ok(TokenRecord {
                jti: r.try_get("jti")?,
                subject: r.try_get("subject")?,
                scopes: r.try_get("scopes")?,
                issued_by: r.try_get("issued_by")?,
                issued_at_ms: r.try_get("issued_at_ms")?,
                expires_at_ms: r.try_get("expires_at_ms")?,
                revoked_at_ms: r.try_get("revoked_at_ms")?,
            })
        })
        .collect()
}

/// Revokes one token by its `jti`; whether the bridge had issued it (a foreign token's id is
/// revoked too, without expiry, since its lifetime is unknown here).
///
/// # Errors
/// The database's error.
pub async fn revoke_token(db: &Db, jti: &str) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let expires: Option<i64> = sqlx::query("SELECT expires_at_ms FROM api_tokens WHERE jti = $1")
        .bind(jti)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get("expires_at_ms"))
        .transpose()?;
    sqlx::query(
        "UPDATE api_tokens SET revoked_at_ms = $2 WHERE jti = $1 AND revoked_at_ms IS NULL",
    )
    .bind(jti)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO revoked_tokens (jti, expires_at_ms, revoked_at_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (jti) DO NOTHING",
    )
    .bind(jti)
    .bind(expires)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(expires.is_some())
}

/// Revokes every token of `source` and `subject` issued until now; how many of the bridge's
/// recorded tokens that took back.
///
/// # Errors
/// The database's error.
pub async fn revoke_subject(
    db: &Db,
    source: TokenSource,
    subject: &str,
) -> Result<u64, sqlx::Error> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO revoked_subjects (source, subject, revoked_before_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (source, subject) DO UPDATE SET revoked_before_ms = excluded.revoked_before_ms",
    )
    .bind(source.name())
    .bind(subject)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let taken = if source == TokenSource::Bridge {
        sqlx::query(
            "UPDATE api_tokens SET revoked_at_ms = $2 WHERE subject = $1 AND revoked_at_ms IS NULL",
        )
        .bind(subject)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
    } else {
        0
    };
    tx.commit().await?;
    Ok(taken)
}

/// Forgets recorded tokens and token revocations that expired more than a day ago.
///
/// # Errors
/// The database's error.
pub async fn purge_expired(db: &Db) -> Result<u64, sqlx::Error> {
    let before = now_ms() - 86_400_000;
    let tokens = sqlx::query("DELETE FROM api_tokens WHERE expires_at_ms < $1")
        .bind(before)
        .execute(db.pool())
        .await?
        .rows_affected();
    let revoked = sqlx::query("DELETE FROM revoked_tokens WHERE expires_at_ms < $1")
        .bind(before)
        .execute(db.pool())
        .await?
        .rows_affected();
    Ok(tokens + revoked)
}
