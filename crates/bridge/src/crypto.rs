//! Secrets at rest: AES-256-GCM with a key derived from `SECRET_KEY` by HKDF-SHA256 for one
//! purpose each (`info`), so a leaked database holds no usable Moodle token and one purpose's
//! key opens nothing else. The stored form is `v1.<base64url(nonce ‖ ciphertext)>`.

use aes_gcm::aead::{Aead as _, AeadCore as _, KeyInit as _, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use moodle_ws::Secret;
use sha2::Sha256;

/// Encrypts and decrypts one kind of secret.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

/// A stored secret could not be opened (wrong `SECRET_KEY`, or tampered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a stored secret cannot be decrypted (was SECRET_KEY changed?)")]
pub struct SealError;

const PREFIX: &str = "v1.";

impl SecretBox {
    /// The box for `purpose` (e.g. `b"moodle-bridge lms-token v1"`).
    pub fn derive(secret_key: &Secret, purpose: &[u8]) -> SecretBox {
        let mut key = [0u8; 32];
        Hkdf::<Sha256>::new(None, secret_key.expose().as_bytes())
            .expand(purpose, &mut key)
            .unwrap_or_else(|_| unreachable!("32 bytes is a valid HKDF-SHA256 output length"));
        SecretBox {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)),
        }
    }

    /// Encrypts `plain` with a fresh random nonce.
    pub fn seal(&self, plain: &str) -> String {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        // Encryption with a valid key and nonce cannot fail for in-memory data.
        let mut out = nonce.to_vec();
        out.extend(
            self.cipher
                .encrypt(&nonce, plain.as_bytes())
                .unwrap_or_else(|_| unreachable!("AES-GCM encryption of memory cannot fail")),
        );
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(out))
    }

    /// Decrypts what [`SecretBox::seal`] made.
    ///
    /// # Errors
    /// [`SealError`] for another key, a changed text or a foreign format.
    pub fn open(&self, sealed: &str) -> Result<Secret, SealError> {
        let raw = sealed
            .strip_prefix(PREFIX)
            .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok())
            .filter(|r| r.len() > 12)
            .ok_or(SealError)?;
        let (nonce, ciphertext) = raw.split_at(12);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| SealError)?;
        String::from_utf8(plain)
            .map(Secret::new)
            .map_err(|_| SealError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(key: &str, purpose: &[u8]) -> SecretBox {
        SecretBox::derive(&Secret::new(key), purpose)
    }

    #[test]
    fn a_sealed_secret_opens_only_with_the_same_key_and_purpose() {
        let lms = boxed("0123456789abcdef0123456789abcdef", b"lms");
        let sealed = lms.seal("moodle-token-123");
        assert!(!sealed.contains("moodle-token-123"));
        assert_ne!(
            sealed,
            lms.seal("moodle-token-123"),
            "fresh nonce each time"
        );
        assert_eq!(
            lms.open(&sealed).map(|s| s.expose().to_owned()),
            Ok("moodle-token-123".to_owned())
        );
        assert_eq!(
            boxed("0123456789abcdef0123456789abcdef", b"other")
                .open(&sealed)
                .err(),
            Some(SealError)
        );
        assert_eq!(
            boxed("ffffffffffffffffffffffffffffffff", b"lms")
                .open(&sealed)
                .err(),
            Some(SealError)
        );
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(lms.open(&tampered).err(), Some(SealError));
    }
}
