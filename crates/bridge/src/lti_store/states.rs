//! `lti_states`: a login state saved at `/lti/login` and taken once at `/lti/launch`, keyed
//! by the SHA-256 of the state so the table never holds a usable one.

use lti::store::{LoginState, StateLookup};
use sha2::{Digest as _, Sha256};
use sqlx::Row as _;

use crate::db::Db;
use crate::storage::hex;

fn state_hash(state: &str) -> String {
    hex(&Sha256::digest(state.as_bytes()))
}

pub(super) async fn save(db: &Db, s: &LoginState) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO lti_states (state_hash, nonce, registration_id, issuer, client_id, \
         deployment_id, target_link_uri, storage_target, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(state_hash(&s.state))
    .bind(&s.nonce)
    .bind(&s.registration_id)
    .bind(&s.issuer)
    .bind(&s.client_id)
    .bind(s.deployment_id.as_deref())
    .bind(&s.target_link_uri)
    .bind(s.storage_target.as_deref())
    .bind(s.created_at)
    .bind(s.expires_at)
    .execute(db.pool())
    .await
    .map(drop)
}

/// Marks the state used and returns it, in one statement: of two launches racing with the
/// same state, one gets `Found`, the other `Used`.
pub(super) async fn take(db: &Db, state: &str, now: i64) -> Result<StateLookup, sqlx::Error> {
    let hash = state_hash(state);
    let row = sqlx::query(
        "UPDATE lti_states SET used_at = $1 WHERE state_hash = $2 AND used_at IS NULL \
         RETURNING nonce, registration_id, issuer, client_id, deployment_id, target_link_uri, \
         storage_target, created_at, expires_at",
    )
    .bind(now)
    .bind(&hash)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else {
        let known = sqlx::query("SELECT 1 AS one FROM lti_states WHERE state_hash = $1")
            .bind(&hash)
            .fetch_optional(db.pool())
            .await?;
        return Ok(if known.is_some() {
            StateLookup::Used
        } else {
            StateLookup::Unknown
        });
    };
    Ok(StateLookup::Found(Box::new(LoginState {
        state: state.to_owned(),
        nonce: row.try_get("nonce")?,
        registration_id: row.try_get("registration_id")?,
        issuer: row.try_get("issuer")?,
        client_id: row.try_get("client_id")?,
        deployment_id: row.try_get("deployment_id")?,
        target_link_uri: row.try_get("target_link_uri")?,
        storage_target: row.try_get("storage_target")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
    })))
}

/// Deletes states that expired before `before`.
pub(super) async fn purge(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM lti_states WHERE expires_at < $1")
        .bind(before)
        .execute(db.pool())
        .await?
        .rows_affected())
}
