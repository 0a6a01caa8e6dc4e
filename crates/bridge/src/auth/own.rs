//! The bridge's own API tokens: HS256 with a key derived from `SECRET_KEY` (HKDF-SHA256,
//! so the raw secret signs nothing and other uses of it get other keys). The key id is a
//! fingerprint of the key: after `SECRET_KEY` changes, old tokens are refused as signed
//! by an unknown key rather than as forged.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hkdf::Hkdf;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::{AuthError, Scopes};
use moodle_ws::Secret;

/// `iss` and `aud` of the bridge's tokens.
pub const ISSUER: &str = "moodle-bridge";
/// What every bridge key id starts with.
const KID_PREFIX: &str = "mb-";
/// HKDF `info` for the API-token key.
const KEY_INFO: &[u8] = b"moodle-bridge api-token hs256 v1";

/// The key that signs and checks the bridge's own tokens.
#[derive(Clone)]
pub struct OwnKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
    /// The checks, built once (not per request).
    validation: Validation,
}

/// A token just made.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The JWT.
    pub token: Secret,
    /// Its unique id (`jti`).
    pub id: String,
    /// Its subject.
    pub subject: String,
    /// Its scopes.
    pub scopes: Scopes,
    /// When it expires (Unix seconds).
    pub expires_at: u64,
}

impl OwnKey {
    /// Derives the key from `SECRET_KEY`.
    pub fn derive(secret_key: &Secret) -> OwnKey {
        let mut key = [0u8; 32];
        Hkdf::<Sha256>::new(None, secret_key.expose().as_bytes())
            .expand(KEY_INFO, &mut key)
            .unwrap_or_else(|_| unreachable!("32 bytes is a valid HKDF-SHA256 output length"));
        let fingerprint = Sha256::digest(key);
        let kid = format!(
            "{KID_PREFIX}{}",
            fingerprint[..6]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[ISSUER]);
        OwnKey {
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            kid,
            validation,
        }
    }

    /// Whether a key id has the bridge's form (current or retired).
    pub fn is_own_kid(kid: &str) -> bool {
        kid.starts_with(KID_PREFIX)
    }

    /// Makes a token for `subject` with `scopes`, valid for `ttl`.
    ///
    /// # Errors
    /// Only if signing fails, which HS256 with a 32-byte key does not.
    pub fn issue(
        &self,
        subject: &str,
        scopes: Scopes,
        ttl: Duration,
    ) -> Result<IssuedToken, jsonwebtoken::errors::Error> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        self.issue_at(subject, scopes, ttl, now)
    }

    /// Makes a token as if it were `now` (Unix seconds).
    pub(crate) fn issue_at(
        &self,
        subject: &str,
        scopes: Scopes,
        ttl: Duration,
        now: u64,
    ) -> Result<IssuedToken, jsonwebtoken::errors::Error> {
        let expires_at = now.saturating_add(ttl.as_secs());
        let id = uuid::Uuid::new_v4().simple().to_string();
        let claims = json!({
            "iss": ISSUER,
            "aud": ISSUER,
            "sub": subject,
            "scope": scopes.to_string(),
            "iat": now,
            "exp": expires_at,
            "jti": id,
        });
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        Ok(IssuedToken {
            token: Secret::new(jsonwebtoken::encode(&header, &claims, &self.encoding)?),
            id,
            subject: subject.to_owned(),
            scopes,
            expires_at,
        })
    }

    /// Checks a token that names a bridge key id.
    pub(super) fn verify(&self, token: &str, kid: &str) -> Result<Map<String, Value>, AuthError> {
        if kid != self.kid {
            return Err(AuthError::UnknownKey);
        }
        Ok(
            jsonwebtoken::decode::<Map<String, Value>>(token, &self.decoding, &self.validation)?
                .claims,
        )
    }
}
