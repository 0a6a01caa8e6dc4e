//! The tool's own RSA keys: loading one from PEM (as the bridge's `PRIVATE_KEY_PEM` /
//! `PUBLIC_KEY_PEM`, or base64 of the PEM) or generating one (2048 bits) for the bridge to
//! persist; a [`KeySet`] of the current signing key plus published ones (the previous key
//! kept for an overlap, or the next one announced early); the JWKS document; RS256 signing.
//!
//! Key ids are RFC 7638 thumbprints, so the same key always gets the same `kid`. Storing keys
//! is the bridge's job. Platform keys live in `platform_jwks.rs`.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::der::zeroize::Zeroizing;
use rsa::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::{Deserialize, Serialize};

use crate::error::KeyError;
use crate::jwt::{B64, signing_input};

/// The size of generated keys.
const GENERATED_BITS: usize = 2048;

/// One RSA key of the tool, ready to sign RS256.
pub struct ToolKey {
    kid: String,
    private: RsaPrivateKey,
    pair: RsaKeyPair,
    n: String,
    e: String,
}

/// A private key in PKCS#8 PEM, for the bridge to persist; redacted in `Debug`, wiped on drop.
pub struct PrivateKeyPem(Zeroizing<String>);

impl PrivateKeyPem {
    /// The PEM text, for the one place that stores it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PrivateKeyPem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKeyPem(\"***\")")
    }
}

/// One public key in a JWKS document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Always `RSA`.
    pub kty: String,
    /// Always `RS256`.
    pub alg: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub key_use: String,
    /// The RFC 7638 thumbprint.
    pub kid: String,
    /// The modulus, base64url.
    pub n: String,
    /// The public exponent, base64url.
    pub e: String,
}

/// A JWKS document (`{"keys": [...]}`), as served at `/.well-known/jwks.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    /// The published keys, the current one first.
    pub keys: Vec<Jwk>,
}

impl ToolKey {
    /// A new 2048-bit key (about 0.1 s in release builds; seconds in debug builds).
    ///
    /// # Errors
    /// [`KeyError::Generation`] when the random source fails.
    pub fn generate() -> Result<ToolKey, KeyError> {
        let mut rng = rsa::rand_core::OsRng;
        let private =
            RsaPrivateKey::new(&mut rng, GENERATED_BITS).map_err(|_| KeyError::Generation)?;
        ToolKey::from_private(private)
    }

    /// Loads a private key from PEM (PKCS#8 `BEGIN PRIVATE KEY` or PKCS#1 `BEGIN RSA PRIVATE
    /// KEY`), or from base64 of such a PEM; `\n` written as two characters (as in a one-line
    /// environment variable) is accepted.
    ///
    /// # Errors
    /// [`KeyError::InvalidPrivateKey`], or [`KeyError::UnsupportedSize`] outside 2048–4096 bits.
    pub fn from_pem(text: &str) -> Result<ToolKey, KeyError> {
        let pem = pem_text(text).map_err(|reason| KeyError::InvalidPrivateKey { reason })?;
        let private = if pem.contains("BEGIN RSA PRIVATE KEY") {
            RsaPrivateKey::from_pkcs1_pem(&pem).map_err(|e| e.to_string())
        } else {
            RsaPrivateKey::from_pkcs8_pem(&pem).map_err(|e| e.to_string())
        }
        .map_err(|reason| KeyError::InvalidPrivateKey { reason })?;
        ToolKey::from_private(private)
    }

    /// Checks that `public` (PEM `BEGIN PUBLIC KEY` / `BEGIN RSA PUBLIC KEY`, or base64 of
    /// it) is this key's public half, as when the bridge is given both.
    ///
    /// # Errors
    /// [`KeyError::InvalidPublicKey`] or [`KeyError::PublicKeyMismatch`].
    pub fn check_public_pem(&self, public: &str) -> Result<(), KeyError> {
        let pem = pem_text(public).map_err(|reason| KeyError::InvalidPublicKey { reason })?;
        let key = if pem.contains("BEGIN RSA PUBLIC KEY") {
            RsaPublicKey::from_pkcs1_pem(&pem).map_err(|e| e.to_string())
        } else {
            RsaPublicKey::from_public_key_pem(&pem).map_err(|e| e.to_string())
        }
        .map_err(|reason| KeyError::InvalidPublicKey { reason })?;
        if key == RsaPublicKey::from(&self.private) {
            Ok(())
        } else {
            Err(KeyError::PublicKeyMismatch)
        }
    }

    fn from_private(private: RsaPrivateKey) -> Result<ToolKey, KeyError> {
        let bits = private.size() * 8;
        if !(2048..=4096).contains(&bits) {
            return Err(KeyError::UnsupportedSize { bits });
        }
        let der = private
            .to_pkcs8_der()
            .map_err(|e| KeyError::InvalidPrivateKey {
                reason: e.to_string(),
            })?;
        let pair =
            RsaKeyPair::from_pkcs8(der.as_bytes()).map_err(|e| KeyError::InvalidPrivateKey {
                reason: e.to_string(),
            })?;
        let n = B64.encode(private.n().to_bytes_be());
        let e = B64.encode(private.e().to_bytes_be());
        let kid = thumbprint(&n, &e);
        Ok(ToolKey {
            kid,
            private,
            pair,
            n,
            e,
        })
    }

    /// The key id: the RFC 7638 SHA-256 thumbprint, base64url.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK.
    pub fn public_jwk(&self) -> Jwk {
        Jwk {
            kty: "RSA".to_owned(),
            alg: "RS256".to_owned(),
            key_use: "sig".to_owned(),
            kid: self.kid.clone(),
            n: self.n.clone(),
            e: self.e.clone(),
        }
    }

    /// The private key as PKCS#8 PEM, for the bridge to persist.
    ///
    /// # Errors
    /// [`KeyError::InvalidPrivateKey`] if encoding fails (not expected for a loaded key).
    pub fn private_pem(&self) -> Result<PrivateKeyPem, KeyError> {
        self.private
            .to_pkcs8_pem(LineEnding::LF)
            .map(PrivateKeyPem)
            .map_err(|e| KeyError::InvalidPrivateKey {
                reason: e.to_string(),
            })
    }

    /// The public key as SubjectPublicKeyInfo PEM (`BEGIN PUBLIC KEY`), as Moodle's "RSA key"
    /// field takes it.
    ///
    /// # Errors
    /// [`KeyError::InvalidPublicKey`] if encoding fails (not expected).
    pub fn public_pem(&self) -> Result<String, KeyError> {
        RsaPublicKey::from(&self.private)
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| KeyError::InvalidPublicKey {
                reason: e.to_string(),
            })
    }

    /// An RS256 JWT of `claims`, with this key's `kid` in the header.
    ///
    /// # Errors
    /// [`KeyError::Signing`] when signing fails.
    pub fn sign_jwt<T: Serialize>(&self, claims: &T) -> Result<String, KeyError> {
        let claims = serde_json::to_vec(claims).map_err(|_| KeyError::Signing)?;
        let mut token = signing_input(&self.kid, &claims);
        let signature = self.sign_rs256(token.as_bytes())?;
        token.push('.');
        B64.encode_string(&signature, &mut token);
        Ok(token)
    }

    /// The RS256 (RSASSA-PKCS1-v1_5, SHA-256) signature of `message`, blinded.
    ///
    /// # Errors
    /// [`KeyError::Signing`] when the random source fails.
    pub fn sign_rs256(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut signature = vec![0; self.pair.public().modulus_len()];
        let rng = ring::rand::SystemRandom::new();
        self.pair
            .sign(&RSA_PKCS1_SHA256, &rng, message, &mut signature)
            .map_err(|_| KeyError::Signing)?;
        Ok(signature)
    }
}

impl fmt::Debug for ToolKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// PEM text from a PEM or base64-of-PEM value.
fn pem_text(text: &str) -> Result<Zeroizing<String>, String> {
    let text = text.trim().replace("\\n", "\n");
    if text.contains("-----BEGIN") {
        return Ok(Zeroizing::new(text));
    }
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = Zeroizing::new(
        STANDARD
            .decode(compact.trim_end_matches('='))
            .or_else(|_| STANDARD.decode(&compact))
            .map_err(|_| "neither PEM nor base64 of PEM".to_owned())?,
    );
    let pem = String::from_utf8(bytes.to_vec()).map_err(|_| "base64 of non-text".to_owned())?;
    if pem.contains("-----BEGIN") {
        Ok(Zeroizing::new(pem))
    } else {
        Err("base64 of something that is not PEM".to_owned())
    }
}

/// RFC 7638 §3: SHA-256 of the required members in lexicographic order, no whitespace.
fn thumbprint(n: &str, e: &str) -> String {
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    B64.encode(ring::digest::digest(
        &ring::digest::SHA256,
        canonical.as_bytes(),
    ))
}

/// The tool's keys: one signs, all are published. Shared as `Arc<KeySet>`; rotation takes
/// `&self`.
pub struct KeySet {
    inner: RwLock<Inner>,
}

struct Inner {
    current: Arc<ToolKey>,
    /// Published but not signing: (key, Unix time after which [`KeySet::prune`] drops it).
    published: Vec<(Arc<ToolKey>, Option<i64>)>,
}

impl KeySet {
    /// A set whose only key is `current`.
    pub fn new(current: ToolKey) -> KeySet {
        KeySet {
            inner: RwLock::new(Inner {
                current: Arc::new(current),
                published: Vec::new(),
            }),
        }
    }

    /// Publishes `key` without signing with it: a previous key still trusted by platforms
    /// (until `until`, Unix seconds; `None` = until removed), or the next key announced before
    /// [`KeySet::rotate`] makes it current. A key already in the set is not added twice.
    pub fn add_published(&self, key: ToolKey, until: Option<i64>) {
        let mut inner = self.write();
        if inner.current.kid == key.kid || inner.published.iter().any(|(k, _)| k.kid == key.kid) {
            return;
        }
        inner.published.push((Arc::new(key), until));
    }

    /// Makes `next` the signing key; the old current key stays published until `now +
    /// overlap` so tokens it signed (and platforms' cached key sets) keep working.
    pub fn rotate(&self, next: ToolKey, now: i64, overlap: Duration) {
        let until = now.saturating_add(i64::try_from(overlap.as_secs()).unwrap_or(i64::MAX));
        let mut inner = self.write();
        inner.published.retain(|(k, _)| k.kid != next.kid);
        let old = std::mem::replace(&mut inner.current, Arc::new(next));
        inner.published.push((old, Some(until)));
    }

    /// Drops published keys whose time is over (`now` past their `until`); returns their ids.
    pub fn prune(&self, now: i64) -> Vec<String> {
        let mut inner = self.write();
        let mut dropped = Vec::new();
        inner.published.retain(|(k, until)| {
            let keep = until.is_none_or(|t| t >= now);
            if !keep {
                dropped.push(k.kid.clone());
            }
            keep
        });
        dropped
    }

    /// The signing key.
    pub fn current(&self) -> Arc<ToolKey> {
        self.read().current.clone()
    }

    /// Every published key id, the current one first.
    pub fn kids(&self) -> Vec<String> {
        let inner = self.read();
        std::iter::once(inner.current.kid.clone())
            .chain(inner.published.iter().map(|(k, _)| k.kid.clone()))
            .collect()
    }

    /// The JWKS document: the current key first, then the published ones.
    pub fn jwks(&self) -> Jwks {
        let inner = self.read();
        Jwks {
            keys: std::iter::once(inner.current.public_jwk())
                .chain(inner.published.iter().map(|(k, _)| k.public_jwk()))
                .collect(),
        }
    }

    /// An RS256 JWT of `claims` signed with the current key.
    ///
    /// # Errors
    /// [`KeyError::Signing`].
    pub fn sign_jwt<T: Serialize>(&self, claims: &T) -> Result<String, KeyError> {
        self.current().sign_jwt(claims)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySet")
            .field("kids", &self.kids())
            .finish()
    }
}

#[cfg(test)]
mod tests;
