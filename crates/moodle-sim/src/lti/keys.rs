//! The platform's signing key and `certs.php`. Moodle makes one 2048-bit RSA key with a
//! random 20-hex-digit `kid` at install (`mod/lti/upgradelib.php`,
//! `mod_lti_verify_private_key()`) and never rotates it; the stand-in uses a committed,
//! test-only key (`fixtures/platform-key.pem`, public half in `fixtures/platform-jwk.json`)
//! whose `kid` has the same form. Never use it outside tests and demos.

use std::sync::OnceLock;

use axum::response::Response;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::http;

/// The platform key's `kid` (20 hex digits, as Moodle's `bin2hex(openssl_random_pseudo_bytes(10))`).
pub const PLATFORM_KID: &str = "22c3c7be410a87af85b8";

const PRIVATE_PEM: &str = include_str!("fixtures/platform-key.pem");
const PUBLIC_JWK: &str = include_str!("fixtures/platform-jwk.json");

fn encoding_key() -> Option<&'static EncodingKey> {
    static KEY: OnceLock<Option<EncodingKey>> = OnceLock::new();
    KEY.get_or_init(|| EncodingKey::from_rsa_pem(PRIVATE_PEM.as_bytes()).ok())
        .as_ref()
}

/// `jwks_helper::get_jwks()`: the site's public key set.
pub fn platform_jwks() -> Value {
    let jwk: Value = serde_json::from_str(PUBLIC_JWK).unwrap_or(Value::Null);
    // Moodle's key order: kty, alg, kid, e, n, use.
    let key = json!({
        "kty": "RSA",
        "alg": "RS256",
        "kid": PLATFORM_KID,
        "e": jwk["e"],
        "n": jwk["n"],
        "use": "sig",
    });
    json!({ "keys": [key] })
}

/// `JWT::encode($payload, $privatekey['key'], 'RS256', $privatekey['kid'])`: header
/// `{"typ":"JWT","alg":"RS256","kid":…}`.
pub fn sign(claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(PLATFORM_KID.to_owned());
    match encoding_key() {
        Some(key) => jsonwebtoken::encode(&header, claims, key).unwrap_or_default(),
        None => String::new(),
    }
}

/// `certs.php`: the key set, pretty-printed with unescaped slashes.
pub(super) async fn certs() -> Response {
    http::json_pretty(200, "application/json; charset=utf-8", &platform_jwks())
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{DecodingKey, Validation, jwk::Jwk};

    use super::*;

    #[test]
    fn a_signed_token_verifies_with_the_published_key() {
        let token = sign(&json!({"sub": "3", "exp": 4_102_444_800_i64}));
        let header = jsonwebtoken::decode_header(&token).expect("header");
        assert_eq!(header.kid.as_deref(), Some(PLATFORM_KID));
        let jwk: Jwk = serde_json::from_value(platform_jwks()["keys"][0].clone()).expect("jwk");
        let key = DecodingKey::from_jwk(&jwk).expect("key");
        let data = jsonwebtoken::decode::<Value>(&token, &key, &Validation::new(Algorithm::RS256))
            .expect("verifies");
        assert_eq!(data.claims["sub"], "3");
    }

    #[test]
    fn the_kid_has_moodles_form() {
        assert_eq!(PLATFORM_KID.len(), 20);
        assert!(PLATFORM_KID.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
