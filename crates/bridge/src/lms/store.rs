//! The SQL of `lms_sessions`: handles are looked up by their SHA-256, tokens stored sealed.

use sqlx::Row as _;

use crate::db::Db;

/// A stored LMS session.
#[derive(Debug, Clone)]
pub(super) struct SessionRow {
    pub id: String,
    pub owner: String,
    pub site: String,
    pub moodle_token: String,
    pub moodle_user_id: i64,
    pub username: String,
    pub email: String,
    pub fullname: String,
    pub expires_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
}

pub(super) async fn insert(db: &Db, s: &SessionRow, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO lms_sessions (id, owner, site, moodle_token, moodle_user_id, username, email, fullname, \
         created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&s.id)
    .bind(&s.owner)
    .bind(&s.site)
    .bind(&s.moodle_token)
    .bind(s.moodle_user_id)
    .bind(&s.username)
    .bind(&s.email)
    .bind(&s.fullname)
    .bind(now)
    .bind(s.expires_at_ms)
    .execute(db.pool())
    .await
    .map(drop)
}

pub(super) async fn get(db: &Db, id: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, owner, site, moodle_token, moodle_user_id, username, email, fullname, expires_at_ms, \
         revoked_at_ms FROM lms_sessions WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| {
        Ok(SessionRow {
            id: r.try_get("id")?,
            owner: r.try_get("owner")?,
            site: r.try_get("site")?,
            moodle_token: r.try_get("moodle_token")?,
            moodle_user_id: r.try_get("moodle_user_id")?,
            username: r.try_get("username")?,
            email: r.try_get("email")?,
            fullname: r.try_get("fullname")?,
            expires_at_ms: r.try_get("expires_at_ms")?,
            revoked_at_ms: r.try_get("revoked_at_ms")?,
        })
    })
    .transpose()
}

pub(super) async fn revoke(db: &Db, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE lms_sessions SET revoked_at_ms = $1 WHERE id = $2 AND revoked_at_ms IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes sessions that ended more than a day ago (they only served to say "expired").
pub(super) async fn forget_ended(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM lms_sessions WHERE expires_at_ms < $1")
        .bind(now - 86_400_000)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}
