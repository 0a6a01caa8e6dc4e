//! `lti_tool_keys`: the tool's RSA keys, sealed. One is current (it signs); retired ones
//! stay published until their time is over. Making, rotating and publishing keys is
//! `lti_tool/keys.rs`'s job; this file only stores them.

use moodle_ws::Secret;
use sqlx::Row as _;

use super::LtiStore;
use crate::crypto::SealError;

/// A stored key.
#[derive(Debug)]
pub struct StoredKey {
    /// Its id.
    pub kid: String,
    /// Its private key (PKCS#8 PEM).
    pub private_pem: Secret,
    /// Whether it signs.
    pub current: bool,
    /// For a retired key: until when it stays published (Unix milliseconds).
    pub retired_until_ms: Option<i64>,
}

/// Why stored keys cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A key cannot be opened.
    #[error("tool key {kid}: {source}")]
    Sealed {
        /// The key.
        kid: String,
        /// Why.
        source: SealError,
    },
}

impl LtiStore {
    /// The current key and the retired keys still published at `now_ms`, current first.
    ///
    /// # Errors
    /// [`KeyStoreError`].
    pub async fn tool_keys(&self, now_ms: i64) -> Result<Vec<StoredKey>, KeyStoreError> {
        let rows = sqlx::query(
            "SELECT kid, private_pem, status, retired_until_ms FROM lti_tool_keys \
             WHERE status = 'current' OR retired_until_ms > $1 \
             ORDER BY CASE WHEN status = 'current' THEN 0 ELSE 1 END, created_at_ms DESC",
        )
        .bind(now_ms)
        .fetch_all(self.db.pool())
        .await?;
        let mut keys = Vec::with_capacity(rows.len());
        for row in rows {
            let kid: String = row.try_get("kid")?;
            let sealed: String = row.try_get("private_pem")?;
            let private_pem = self
                .keys
                .open(&sealed)
                .map_err(|source| KeyStoreError::Sealed {
                    kid: kid.clone(),
                    source,
                })?;
            let status: String = row.try_get("status")?;
            keys.push(StoredKey {
                kid,
                private_pem,
                current: status == "current",
                retired_until_ms: row.try_get("retired_until_ms")?,
            });
        }
        Ok(keys)
    }

    /// Stores `kid` as the current key unless there is one already; whether it was stored.
    ///
    /// # Errors
    /// The database's error.
    pub async fn insert_first_key(
        &self,
        kid: &str,
        private_pem: &str,
        now_ms: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "INSERT INTO lti_tool_keys (kid, private_pem, status, created_at_ms) \
             VALUES ($1, $2, 'current', $3) ON CONFLICT DO NOTHING",
        )
        .bind(kid)
        .bind(self.keys.seal(private_pem))
        .bind(now_ms)
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Makes `kid` the current key; the previous one stays published until `retire_until_ms`.
    /// Retired keys past their time are deleted.
    ///
    /// # Errors
    /// The database's error.
    pub async fn rotate_key(
        &self,
        kid: &str,
        private_pem: &str,
        now_ms: i64,
        retire_until_ms: i64,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "UPDATE lti_tool_keys SET status = 'retired', retired_until_ms = $1 \
             WHERE status = 'current'",
        )
        .bind(retire_until_ms)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO lti_tool_keys (kid, private_pem, status, created_at_ms) \
             VALUES ($1, $2, 'current', $3)",
        )
        .bind(kid)
        .bind(self.keys.seal(private_pem))
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM lti_tool_keys WHERE status = 'retired' AND retired_until_ms <= $1",
        )
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }
}
