//! `lti_nonces`: the nonces of accepted id_tokens, recorded once each (insert if absent, or
//! take over a row whose time is over) in a single statement.

use crate::db::Db;

/// Records `nonce` until `keep_until`; `false` when it is already recorded and not expired.
pub(super) async fn record(
    db: &Db,
    issuer: &str,
    nonce: &str,
    keep_until: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    // SQLite (3.24+) and PostgreSQL share this upsert; the WHERE makes a live row a no-op,
    // so the affected-row count says whether the nonce was fresh.
    let done = sqlx::query(
        "INSERT INTO lti_nonces (issuer, nonce, keep_until) VALUES ($1, $2, $3) \
         ON CONFLICT (issuer, nonce) DO UPDATE SET keep_until = excluded.keep_until \
         WHERE lti_nonces.keep_until <= $4",
    )
    .bind(issuer)
    .bind(nonce)
    .bind(keep_until)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes nonces whose time is over.
pub(super) async fn purge(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM lti_nonces WHERE keep_until <= $1")
        .bind(now)
        .execute(db.pool())
        .await?
        .rows_affected())
}
