//! Platforms' public keys (Moodle: `/mod/lti/certs.php`), fetched per JWKS URL and cached,
//! and RS256 signature checks with them.
//!
//! A set is refreshed after `max_age`; an unknown `kid` triggers one refetch, at most once
//! per `min_refetch` per URL, so made-up key ids cannot make the tool hammer a platform
//! (packback's issue #168, pylti1.3's D2L warning). Only RSA keys of 2048–8192 bits meant
//! for signatures with RS256 (or no `alg`, as D2L omits it) are kept: a token can never get an
//! RSA key used as an HMAC secret. Documents are size- and key-count-limited.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use base64::Engine;
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use serde::Deserialize;
use url::Url;

use crate::clock::Clock;
use crate::error::JwksError;
use crate::http::{ReadError, read_limited, transport_reason};
use crate::jwt::B64_LENIENT;

/// Limits of the platform key cache.
#[derive(Clone, Debug)]
pub struct JwksCacheConfig {
    /// How long a fetched set is used before a refresh (default 15 minutes).
    pub max_age: Duration,
    /// The shortest time between two fetches of one URL (default 30 seconds).
    pub min_refetch: Duration,
    /// The longest a fetch may take (default 5 seconds).
    pub fetch_timeout: Duration,
    /// The largest document read (default 64 KiB).
    pub max_bytes: usize,
    /// The most keys kept from one document (default 20).
    pub max_keys: usize,
    /// The most JWKS URLs cached (default 1000); the least recently fetched goes first.
    pub max_platforms: usize,
}

impl Default for JwksCacheConfig {
    fn default() -> Self {
        JwksCacheConfig {
            max_age: Duration::from_secs(15 * 60),
            min_refetch: Duration::from_secs(30),
            fetch_timeout: Duration::from_secs(5),
            max_bytes: 64 * 1024,
            max_keys: 20,
            max_platforms: 1000,
        }
    }
}

/// One platform public key, usable for RS256 only.
#[derive(Debug)]
pub struct PlatformKey {
    kid: String,
    n: Vec<u8>,
    e: Vec<u8>,
}

impl PlatformKey {
    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Whether `signature` is a valid RS256 (RSASSA-PKCS1-v1_5, SHA-256) signature of
    /// `message` by this key.
    pub fn verify_rs256(&self, message: &[u8], signature: &[u8]) -> bool {
        RsaPublicKeyComponents {
            n: &self.n,
            e: &self.e,
        }
        .verify(&RSA_PKCS1_2048_8192_SHA256, message, signature)
        .is_ok()
    }
}

/// The cache of platforms' key sets; share one per process (`Arc<PlatformKeys>`).
pub struct PlatformKeys {
    http: reqwest::Client,
    clock: Clock,
    config: JwksCacheConfig,
    sets: RwLock<HashMap<String, Arc<KeySetEntry>>>,
    fetches: AtomicU64,
}

struct KeySetEntry {
    slot: RwLock<Slot>,
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Slot {
    keys: HashMap<String, Arc<PlatformKey>>,
    fetched_at: Option<i64>,
    attempted_at: Option<i64>,
    /// Why the last fetch failed, reported while no set was ever fetched.
    last_error: Option<JwksError>,
}

#[derive(Deserialize)]
struct Document {
    keys: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawJwk {
    kty: Option<String>,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    key_use: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

impl PlatformKeys {
    /// An empty cache fetching with `http` (the caller's client: timeouts, TLS, proxy).
    pub fn new(http: reqwest::Client, clock: Clock) -> PlatformKeys {
        PlatformKeys::with_config(http, clock, JwksCacheConfig::default())
    }

    /// An empty cache with other limits.
    pub fn with_config(
        http: reqwest::Client,
        clock: Clock,
        config: JwksCacheConfig,
    ) -> PlatformKeys {
        PlatformKeys {
            http,
            clock,
            config,
            sets: RwLock::new(HashMap::new()),
            fetches: AtomicU64::new(0),
        }
    }

    /// How many fetches were made so far (for metrics and tests).
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// Puts a key set into the cache as if fetched now from `jwks_url` (a platform
    /// configured with a fixed key set, or warm-up); returns how many keys were usable.
    ///
    /// # Errors
    /// [`JwksError::NotJwks`] when `document` is not a JWKS.
    pub fn insert(&self, jwks_url: &Url, document: &[u8]) -> Result<usize, JwksError> {
        let keys = self.parse(document)?;
        let count = keys.len();
        let entry = self.entry(jwks_url);
        let now = self.clock.now();
        let mut slot = entry.slot.write().unwrap_or_else(PoisonError::into_inner);
        *slot = Slot {
            keys,
            fetched_at: Some(now),
            attempted_at: Some(now),
            last_error: None,
        };
        Ok(count)
    }

    /// The key `kid` of the set at `jwks_url`: from the cache while fresh, else fetched;
    /// an unknown `kid` refetches once (rate-limited). A stale set is still used when a
    /// refresh fails.
    ///
    /// # Errors
    /// [`JwksError::UnknownKid`] after the refetch; fetch errors when no set is cached.
    pub async fn key(&self, jwks_url: &Url, kid: &str) -> Result<Arc<PlatformKey>, JwksError> {
        let entry = self.entry(jwks_url);
        let now = self.clock.now();
        if let Some(key) = self.cached(&entry, kid, now, true) {
            return Ok(key);
        }
        let _one_fetch = entry.fetching.lock().await;
        let now = self.clock.now();
        // Another task may have fetched while this one waited.
        if let Some(key) = self.cached(&entry, kid, now, true) {
            return Ok(key);
        }
        let may_fetch = {
            let slot = entry.slot.read().unwrap_or_else(PoisonError::into_inner);
            slot.attempted_at
                .is_none_or(|t| now - t >= secs(self.config.min_refetch))
        };
        if may_fetch {
            self.fetches.fetch_add(1, Ordering::Relaxed);
            let fetched = self.fetch(jwks_url).await;
            let mut slot = entry.slot.write().unwrap_or_else(PoisonError::into_inner);
            slot.attempted_at = Some(now);
            match fetched {
                Ok(keys) => {
                    slot.keys = keys;
                    slot.fetched_at = Some(now);
                    slot.last_error = None;
                }
                Err(error) if slot.fetched_at.is_none() => {
                    slot.last_error = Some(error.clone());
                    return Err(error);
                }
                Err(error) => {
                    tracing::warn!(jwks_url = %jwks_url, %error, "platform key set refresh failed; using the cached set");
                }
            }
        }
        if let Some(error) = entry
            .slot
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .last_error
            .clone()
            .filter(|_| !may_fetch)
        {
            // No set yet and the last attempt failed moments ago: say so, not "unknown kid".
            return Err(error);
        }
        self.cached(&entry, kid, now, false)
            .ok_or_else(|| JwksError::UnknownKid {
                kid: kid.chars().take(64).collect(),
            })
    }

    fn cached(
        &self,
        entry: &KeySetEntry,
        kid: &str,
        now: i64,
        fresh_only: bool,
    ) -> Option<Arc<PlatformKey>> {
        let slot = entry.slot.read().unwrap_or_else(PoisonError::into_inner);
        let fresh = slot
            .fetched_at
            .is_some_and(|t| now - t < secs(self.config.max_age));
        if fresh_only && !fresh {
            return None;
        }
        slot.keys.get(kid).cloned()
    }

    fn entry(&self, jwks_url: &Url) -> Arc<KeySetEntry> {
        if let Some(entry) = self
            .sets
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(jwks_url.as_str())
        {
            return entry.clone();
        }
        let mut sets = self.sets.write().unwrap_or_else(PoisonError::into_inner);
        if sets.len() >= self.config.max_platforms && !sets.contains_key(jwks_url.as_str()) {
            let oldest = sets
                .iter()
                .min_by_key(|(_, e)| {
                    e.slot
                        .read()
                        .unwrap_or_else(PoisonError::into_inner)
                        .attempted_at
                        .unwrap_or(i64::MIN)
                })
                .map(|(url, _)| url.clone());
            if let Some(oldest) = oldest {
                sets.remove(&oldest);
            }
        }
        sets.entry(jwks_url.as_str().to_owned())
            .or_insert_with(|| {
                Arc::new(KeySetEntry {
                    slot: RwLock::new(Slot::default()),
                    fetching: tokio::sync::Mutex::new(()),
                })
            })
            .clone()
    }

    async fn fetch(&self, jwks_url: &Url) -> Result<HashMap<String, Arc<PlatformKey>>, JwksError> {
        let response = self
            .http
            .get(jwks_url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(self.config.fetch_timeout)
            .send()
            .await
            .map_err(|e| JwksError::Unreachable {
                reason: transport_reason(e),
            })?;
        let status = response.status();
        if !status.is_success() {
            return Err(JwksError::Status {
                status: status.as_u16(),
            });
        }
        let body = read_limited(response, self.config.max_bytes)
            .await
            .map_err(|e| match e {
                ReadError::TooLarge => JwksError::TooLarge {
                    limit: self.config.max_bytes,
                },
                ReadError::Transport(reason) => JwksError::Unreachable { reason },
            })?;
        self.parse(&body)
    }

    fn parse(&self, document: &[u8]) -> Result<HashMap<String, Arc<PlatformKey>>, JwksError> {
        let document: Document =
            serde_json::from_slice(document).map_err(|e| JwksError::NotJwks {
                reason: e.to_string(),
            })?;
        let mut keys = HashMap::new();
        for value in document.keys {
            if keys.len() >= self.config.max_keys {
                break;
            }
            if let Some(key) = usable_key(value) {
                keys.insert(key.kid.clone(), Arc::new(key));
            }
        }
        Ok(keys)
    }
}

impl std::fmt::Debug for PlatformKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformKeys")
            .field("config", &self.config)
            .field("fetches", &self.fetch_count())
            .finish_non_exhaustive()
    }
}

/// An RS256 signing key from a JWK, or `None` for anything else (EC, symmetric, encryption
/// keys, other algorithms, no `kid`, modulus outside 2048–8192 bits).
fn usable_key(value: serde_json::Value) -> Option<PlatformKey> {
    let jwk: RawJwk = serde_json::from_value(value).ok()?;
    if jwk.kty.as_deref() != Some("RSA")
        || jwk.key_use.as_deref().is_some_and(|u| u != "sig")
        || jwk.alg.as_deref().is_some_and(|a| a != "RS256")
    {
        return None;
    }
    let kid = jwk.kid.filter(|k| !k.is_empty())?;
    let n = strip_zeros(B64_LENIENT.decode(jwk.n?).ok()?);
    let e = strip_zeros(B64_LENIENT.decode(jwk.e?).ok()?);
    if !(256..=1024).contains(&n.len()) || e.is_empty() || e.len() > 4 {
        return None;
    }
    Some(PlatformKey { kid, n, e })
}

fn strip_zeros(mut bytes: Vec<u8>) -> Vec<u8> {
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    bytes.drain(..zeros);
    bytes
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
