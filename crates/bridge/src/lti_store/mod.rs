//! The LTI tool's tables, in SQL that runs on SQLite and PostgreSQL: login states
//! (`states.rs`, single-use take), seen nonces (`nonces.rs`, insert-if-absent), platform
//! registrations with their deployments and their Moodle's sealed web-service token
//! (`registrations.rs`), the tool's own keys, sealed (`keys.rs`), and the AGS and NRPS
//! endpoints launches brought (`services.rs`).
//!
//! [`LtiStore`] implements the `lti` crate's `StateStore`, `NonceStore` and
//! `RegistrationStore`; every rule (expiry, binding, single use) stays in that crate. This
//! module does not decide who may launch or what a launch may see.

mod keys;
mod nonces;
mod registrations;
mod services;
mod states;

use lti::store::{BoxFuture, LoginState, NonceStore, RegistrationStore, StateLookup, StateStore};
use lti::{Clock, Registration, StoreError};
use moodle_ws::Secret;

pub use keys::{KeyStoreError, StoredKey};
pub use registrations::{
    ApproveError, MoodleAccess, NewRegistration, PendingSaveError, PlatformRecord,
    RegistrationStatus,
};
pub use services::{AgsGrant, LaunchServices, ServiceContext};

use crate::crypto::SecretBox;
use crate::db::Db;

/// HKDF purpose of the key that seals platforms' Moodle tokens.
const MOODLE_TOKEN_PURPOSE: &[u8] = b"moodle-bridge lti-moodle-token v1";
/// HKDF purpose of the key that seals the tool's private keys.
const TOOL_KEY_PURPOSE: &[u8] = b"moodle-bridge lti-tool-key v1";
/// How long a used or expired state is kept, so a late replay reads "used" (as the lti
/// crate's in-memory store does).
const STATE_GRACE_SECS: i64 = 600;

/// The LTI tables.
#[derive(Clone)]
pub struct LtiStore {
    db: Db,
    tokens: SecretBox,
    keys: SecretBox,
    clock: Clock,
}

impl std::fmt::Debug for LtiStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LtiStore").finish_non_exhaustive()
    }
}

impl LtiStore {
    /// The tables in `db`; secrets sealed with keys derived from `secret_key`.
    pub fn new(db: Db, secret_key: &Secret, clock: Clock) -> LtiStore {
        LtiStore {
            db,
            tokens: SecretBox::derive(secret_key, MOODLE_TOKEN_PURPOSE),
            keys: SecretBox::derive(secret_key, TOOL_KEY_PURPOSE),
            clock,
        }
    }

    /// Deletes states and nonces that can no longer matter; returns how many rows went.
    ///
    /// # Errors
    /// The database's error.
    pub async fn purge(&self) -> Result<u64, sqlx::Error> {
        let now = self.clock.now();
        let states = states::purge(&self.db, now - STATE_GRACE_SECS).await?;
        let nonces = nonces::purge(&self.db, now).await?;
        Ok(states + nonces)
    }
}

fn store_error(e: sqlx::Error) -> StoreError {
    StoreError::new(format!("database: {e}"))
}

impl StateStore for LtiStore {
    fn save(&self, state: LoginState) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move { states::save(&self.db, &state).await.map_err(store_error) })
    }

    fn take<'a>(&'a self, state: &'a str) -> BoxFuture<'a, Result<StateLookup, StoreError>> {
        Box::pin(async move {
            states::take(&self.db, state, self.clock.now())
                .await
                .map_err(store_error)
        })
    }
}

impl NonceStore for LtiStore {
    fn record<'a>(
        &'a self,
        issuer: &'a str,
        nonce: &'a str,
        keep_until: i64,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            nonces::record(&self.db, issuer, nonce, keep_until, self.clock.now())
                .await
                .map_err(store_error)
        })
    }
}

impl RegistrationStore for LtiStore {
    fn find<'a>(
        &'a self,
        issuer: &'a str,
        client_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Registration>, StoreError>> {
        Box::pin(async move {
            registrations::find(&self.db, issuer, Some(client_id))
                .await
                .map(|mut found| found.pop())
                .map_err(store_error)
        })
    }

    fn find_by_issuer<'a>(
        &'a self,
        issuer: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Registration>, StoreError>> {
        Box::pin(async move {
            registrations::find(&self.db, issuer, None)
                .await
                .map_err(store_error)
        })
    }
}
