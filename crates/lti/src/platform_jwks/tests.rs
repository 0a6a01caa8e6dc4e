use serde_json::json;

use super::*;
use crate::keys::ToolKey;

const PLATFORM_PEM: &str = include_str!("../../tests/fixtures/keys/platform.pem");

fn rsa_jwk() -> serde_json::Value {
    serde_json::to_value(ToolKey::from_pem(PLATFORM_PEM).unwrap().public_jwk()).unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(moodle_ws::tls::config(&[], false).unwrap())
        .build()
        .unwrap()
}

#[test]
fn only_rsa_signing_keys_for_rs256_with_a_kid_are_kept() {
    let good = rsa_jwk();
    assert!(usable_key(good.clone()).is_some());

    let mut no_alg = good.clone();
    no_alg.as_object_mut().unwrap().remove("alg");
    assert!(usable_key(no_alg).is_some(), "D2L omits alg");

    for (member, value) in [
        ("kty", json!("oct")),
        ("kty", json!("EC")),
        ("alg", json!("HS256")),
        ("alg", json!("RS512")),
        ("use", json!("enc")),
        ("kid", json!("")),
    ] {
        let mut jwk = good.clone();
        jwk[member] = value.clone();
        assert!(
            usable_key(jwk).is_none(),
            "{member}={value} must be skipped"
        );
    }
    let mut no_kid = good.clone();
    no_kid.as_object_mut().unwrap().remove("kid");
    assert!(usable_key(no_kid).is_none());
}

#[test]
fn keys_under_2048_bits_are_skipped() {
    let mut small = rsa_jwk();
    small["n"] = json!(B64_LENIENT.encode([0xC5u8; 128]));
    assert!(usable_key(small).is_none());
}

#[test]
fn padded_and_leading_zero_members_are_accepted() {
    let mut jwk = rsa_jwk();
    let n = B64_LENIENT.decode(jwk["n"].as_str().unwrap()).unwrap();
    let mut padded = vec![0u8];
    padded.extend_from_slice(&n);
    jwk["n"] = json!(base64::engine::general_purpose::URL_SAFE.encode(padded));
    let key = usable_key(jwk).unwrap();
    assert_eq!(key.n, n);
}

#[tokio::test]
async fn an_inserted_set_verifies_signatures_without_fetching() {
    let url = Url::parse("http://127.0.0.1:9/certs.php").unwrap();
    let cache = PlatformKeys::new(client(), Clock::manual(1_000));
    let jwk = rsa_jwk();
    let kid = jwk["kid"].as_str().unwrap().to_owned();
    let doc = json!({"keys": [jwk, {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}]});
    assert_eq!(cache.insert(&url, doc.to_string().as_bytes()).unwrap(), 1);

    let signer = ToolKey::from_pem(PLATFORM_PEM).unwrap();
    let token = signer.sign_jwt(&json!({"a": 1})).unwrap();
    let (input, sig) = token.rsplit_once('.').unwrap();
    let sig = crate::jwt::B64.decode(sig).unwrap();

    let key = cache.key(&url, &kid).await.unwrap();
    assert!(key.verify_rs256(input.as_bytes(), &sig));
    assert!(!key.verify_rs256(b"something else", &sig));
    assert_eq!(cache.fetch_count(), 0);
}

#[test]
fn a_document_that_is_not_a_jwks_is_refused() {
    let url = Url::parse("http://127.0.0.1:9/certs.php").unwrap();
    let cache = PlatformKeys::new(client(), Clock::manual(0));
    assert!(matches!(
        cache.insert(&url, b"<html>"),
        Err(JwksError::NotJwks { .. })
    ));
}
