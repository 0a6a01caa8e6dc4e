//! Standard Webhooks signatures (https://www.standardwebhooks.com/): each subscription has a
//! secret `whsec_<base64 key>`; a delivery carries `webhook-id` (the event's id, the same on
//! every retry, for de-duplication), `webhook-timestamp` (Unix seconds) and
//! `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore as _;
use sha2::Sha256;

/// What every secret starts with.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new secret: 32 random bytes.
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

fn key(secret: &str) -> Vec<u8> {
    secret
        .strip_prefix(SECRET_PREFIX)
        .and_then(|b64| STANDARD.decode(b64).ok())
        .unwrap_or_else(|| secret.as_bytes().to_vec())
}

/// The `webhook-signature` value of a delivery.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "v1,{}",
        STANDARD.encode(keyed(secret, id, timestamp, body).finalize().into_bytes())
    )
}

/// The MAC over `<id>.<timestamp>.<body>`, before it is finalised.
fn keyed(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(&key(secret))
        .unwrap_or_else(|_| unreachable!("HMAC-SHA256 accepts every key length"));
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Whether one of the space-separated `v1,…` signatures is right (compared in constant
/// time): what a receiver checks.
pub fn verify(secret: &str, id: &str, timestamp: i64, body: &[u8], signatures: &str) -> bool {
    let mac = keyed(secret, id, timestamp, body);
    signatures.split(' ').any(|s| {
        s.strip_prefix("v1,")
            .and_then(|b64| STANDARD.decode(b64).ok())
            .is_some_and(|given| mac.clone().verify_slice(&given).is_ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specifications_example_signs_as_published() {
        // The Standard Webhooks specification's example (its reference libraries' test).
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_signature_verifies_only_for_its_body_secret_id_and_time() {
        let secret = new_secret();
        assert!(secret.starts_with(SECRET_PREFIX));
        let sig = sign(&secret, "evt_1", 100, b"{}");
        assert!(verify(&secret, "evt_1", 100, b"{}", &sig));
        assert!(verify(
            &secret,
            "evt_1",
            100,
            b"{}",
            &format!("v1,AAAA {sig}")
        ));
        assert!(!verify(&secret, "evt_1", 100, b"{ }", &sig));
        assert!(!verify(&secret, "evt_2", 100, b"{}", &sig));
        assert!(!verify(&secret, "evt_1", 101, b"{}", &sig));
        assert!(!verify(&new_secret(), "evt_1", 100, b"{}", &sig));
    }
}
