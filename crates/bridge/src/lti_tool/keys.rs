//! The tool's signing keys: from `PRIVATE_KEY_PEM` when given, else made once and kept
//! (sealed) in the database, never regenerated at start. `moodle-bridge keys rotate` makes a
//! new current key and keeps the old one published for `LTI_KEY_OVERLAP`; running instances
//! pick the change up within a minute ([`refresh`]), so the JWKS always holds every key a
//! platform may still see.

use std::time::Duration;

use lti::{KeySet, ToolKey};
use moodle_ws::Secret;

use super::ToolStartError;
use crate::audit::now_ms;
use crate::lti_store::{LtiStore, StoredKey};

/// Loads the key set: the configured key, or the database's keys (made on first start).
///
/// # Errors
/// [`ToolStartError`] when a key cannot be parsed, opened or stored.
pub(super) async fn load(
    store: &LtiStore,
    configured: Option<&Secret>,
) -> Result<KeySet, ToolStartError> {
    if let Some(pem) = configured {
        return Ok(KeySet::new(ToolKey::from_pem(pem.expose())?));
    }
    let mut stored = store.tool_keys(now_ms()).await?;
    if !stored.iter().any(|k| k.current) {
        let key = ToolKey::generate()?;
        let pem = key.private_pem()?;
        // Two instances starting at once on an empty database: one insert wins, both read it.
        if store
            .insert_first_key(key.kid(), pem.expose(), now_ms())
            .await?
        {
            tracing::info!(kid = key.kid(), "made the LTI tool key");
        }
        stored = store.tool_keys(now_ms()).await?;
    }
    let mut keys = stored.into_iter();
    let current = keys
        .next()
        .filter(|k| k.current)
        .ok_or(ToolStartError::NoCurrentKey)?;
    let set = KeySet::new(ToolKey::from_pem(current.private_pem.expose())?);
    for retired in keys {
        publish(&set, &retired)?;
    }
    Ok(set)
}

/// Brings a running key set up to the database's: a rotated key becomes current (the old
/// one stays published until its stored time), retired keys past their time are dropped.
///
/// # Errors
/// [`ToolStartError`] when the keys cannot be read or parsed.
pub(super) async fn refresh(set: &KeySet, store: &LtiStore) -> Result<(), ToolStartError> {
    let now = now_ms();
    let stored = store.tool_keys(now).await?;
    let Some(current) = stored.iter().find(|k| k.current) else {
        return Ok(());
    };
    if set.current().kid() != current.kid {
        let old = set.current().kid().to_owned();
        let until = stored
            .iter()
            .find(|k| k.kid == old)
            .and_then(|k| k.retired_until_ms)
            .unwrap_or(now);
        let overlap = Duration::from_millis(u64::try_from(until - now).unwrap_or(0));
        set.rotate(
            ToolKey::from_pem(current.private_pem.expose())?,
            now / 1000,
            overlap,
        );
        tracing::info!(kid = current.kid, previous = old, "LTI tool key rotated");
    }
    for retired in stored.iter().filter(|k| !k.current) {
        publish(set, retired)?;
    }
    set.prune(now / 1000);
    Ok(())
}

/// Makes a new current key in the database; the current one stays published for `overlap`.
/// Returns the old and the new key id.
///
/// # Errors
/// [`ToolStartError`].
pub async fn rotate(
    store: &LtiStore,
    overlap: Duration,
) -> Result<(Option<String>, String), ToolStartError> {
    let now = now_ms();
    let old = store
        .tool_keys(now)
        .await?
        .into_iter()
        .find(|k| k.current)
        .map(|k| k.kid);
    let key = ToolKey::generate()?;
    let pem = key.private_pem()?;
    let until = now.saturating_add(i64::try_from(overlap.as_millis()).unwrap_or(i64::MAX));
    store
        .rotate_key(key.kid(), pem.expose(), now, until)
        .await?;
    Ok((old, key.kid().to_owned()))
}

fn publish(set: &KeySet, stored: &StoredKey) -> Result<(), ToolStartError> {
    let until = stored.retired_until_ms.map(|ms| ms / 1000);
    set.add_published(ToolKey::from_pem(stored.private_pem.expose())?, until);
    Ok(())
}
