//! An identity provider's signing keys (`AUTH_JWKS_URL`), fetched on first use, refreshed
//! every ten minutes, and re-fetched when a token names a key id not yet seen (at most once
//! per 30 seconds, so random key ids cannot make the bridge hammer the provider).
//!
//! Each key is used only with the algorithm family of its own type: a token cannot pick
//! HS256 and get an RSA public key used as an HMAC secret.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, Validation};
use serde_json::{Map, Value};
use tokio::sync::{Mutex, RwLock};

use super::AuthError;
use crate::config::IdentityProvider;

/// How long fetched keys are used before a refresh.
const MAX_AGE: Duration = Duration::from_secs(600);
/// The shortest time between two fetches.
const MIN_REFETCH: Duration = Duration::from_secs(30);
/// The longest a fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest JWKS document read.
const MAX_BYTES: usize = 256 * 1024;

/// A provider's keys and how to check its tokens.
pub struct Jwks {
    provider: IdentityProvider,
    http: reqwest::Client,
    keys: RwLock<Keys>,
    fetching: Mutex<()>,
}

#[derive(Default)]
struct Keys {
    by_kid: HashMap<String, (DecodingKey, AlgorithmFamily)>,
    fetched_at: Option<Instant>,
    attempted_at: Option<Instant>,
}

impl Jwks {
    /// Keys of `provider`, fetched with `http` when first needed.
    pub fn new(provider: IdentityProvider, http: reqwest::Client) -> Jwks {
        Jwks {
            provider,
            http,
            keys: RwLock::new(Keys::default()),
            fetching: Mutex::new(()),
        }
    }

    /// Checks a token signed with `alg` by the key `kid`.
    pub(super) async fn verify(
        &self,
        token: &str,
        alg: Algorithm,
        kid: Option<&str>,
    ) -> Result<Map<String, Value>, AuthError> {
        let kid = kid.ok_or(AuthError::UnknownKey)?;
        let (key, family) = self.key(kid).await?;
        if alg.family() != family {
            return Err(AuthError::UnsupportedAlgorithm(format!(
                "{alg:?} with this key"
            )));
        }
        let mut validation = Validation::new(alg);
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.set_issuer(&[&self.provider.issuer]);
        validation.set_audience(&[&self.provider.audience]);
        Ok(jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)?.claims)
    }

    async fn key(&self, kid: &str) -> Result<(DecodingKey, AlgorithmFamily), AuthError> {
        {
            let keys = self.keys.read().await;
            let fresh = keys.fetched_at.is_some_and(|t| t.elapsed() < MAX_AGE);
            if let Some(found) = keys.by_kid.get(kid)
                && fresh
            {
                return Ok(found.clone());
            }
        }
        let _one_fetch = self.fetching.lock().await;
        let mut keys = self.keys.write().await;
        let recently_tried = keys.attempted_at.is_some_and(|t| t.elapsed() < MIN_REFETCH);
        if !recently_tried {
            keys.attempted_at = Some(Instant::now());
            match self.fetch().await {
                Ok(set) => {
                    keys.by_kid = set;
                    keys.fetched_at = Some(Instant::now());
                }
                Err(why) => {
                    tracing::warn!(jwks_url = %self.provider.jwks_url, error = %why, "identity provider keys not fetched");
                    if keys.by_kid.is_empty() {
                        return Err(AuthError::IdentityProviderUnreachable);
                    }
                }
            }
        }
        keys.by_kid.get(kid).cloned().ok_or(AuthError::UnknownKey)
    }

    async fn fetch(&self) -> Result<HashMap<String, (DecodingKey, AlgorithmFamily)>, String> {
        let response = self
            .http
            .get(self.provider.jwks_url.clone())
            .timeout(FETCH_TIMEOUT)
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        if !response.status().is_success() {
            return Err(format!("http {}", response.status().as_u16()));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BYTES as u64)
        {
            return Err("document too large".to_owned());
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| e.without_url().to_string())?;
        if body.len() > MAX_BYTES {
            return Err("document too large".to_owned());
        }
        let set: JwkSet = serde_json::from_slice(&body).map_err(|e| format!("not a JWKS: {e}"))?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                continue;
            };
            if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
                continue;
            }
            let family = match &jwk.algorithm {
                AlgorithmParameters::RSA(_) => AlgorithmFamily::Rsa,
                AlgorithmParameters::EllipticCurve(_) => AlgorithmFamily::Ec,
                AlgorithmParameters::OctetKeyPair(_) => AlgorithmFamily::Ed,
                // A symmetric key in a public document is a misconfiguration; never use it.
                _ => continue,
            };
            if let Ok(key) = DecodingKey::from_jwk(jwk) {
                keys.insert(kid, (key, family));
            }
        }
        Ok(keys)
    }
}
