use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use super::*;

pub(crate) const TOOL_PEM: &str = include_str!("../../tests/fixtures/keys/tool.pem");
const TOOL_PUB_PEM: &str = include_str!("../../tests/fixtures/keys/tool.pub.pem");
const NEXT_PEM: &str = include_str!("../../tests/fixtures/keys/tool-next.pem");

fn verify(token: &str, jwk: &Jwk) -> serde_json::Value {
    let key = DecodingKey::from_rsa_components(&jwk.n, &jwk.e).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.kid.as_deref(), Some(jwk.kid.as_str()));
    jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
        .unwrap()
        .claims
}

#[test]
fn pkcs1_pkcs8_base64_and_one_line_pem_give_the_same_key() {
    let pkcs1 = ToolKey::from_pem(TOOL_PEM).unwrap();
    let pkcs8 = ToolKey::from_pem(pkcs1.private_pem().unwrap().expose()).unwrap();
    let b64 = ToolKey::from_pem(&STANDARD.encode(TOOL_PEM)).unwrap();
    let one_line = ToolKey::from_pem(&TOOL_PEM.replace('\n', "\\n")).unwrap();
    assert_eq!(pkcs1.kid(), pkcs8.kid());
    assert_eq!(pkcs1.kid(), b64.kid());
    assert_eq!(pkcs1.kid(), one_line.kid());
}

#[test]
fn garbage_and_public_keys_are_not_private_keys() {
    assert!(matches!(
        ToolKey::from_pem("hello"),
        Err(KeyError::InvalidPrivateKey { .. })
    ));
    assert!(matches!(
        ToolKey::from_pem(TOOL_PUB_PEM),
        Err(KeyError::InvalidPrivateKey { .. })
    ));
}

#[test]
fn the_public_pem_is_checked_against_the_private_key() {
    let key = ToolKey::from_pem(TOOL_PEM).unwrap();
    key.check_public_pem(TOOL_PUB_PEM).unwrap();
    key.check_public_pem(&STANDARD.encode(TOOL_PUB_PEM))
        .unwrap();
    key.check_public_pem(&key.public_pem().unwrap()).unwrap();
    let other = ToolKey::from_pem(NEXT_PEM).unwrap();
    assert!(matches!(
        key.check_public_pem(&other.public_pem().unwrap()),
        Err(KeyError::PublicKeyMismatch)
    ));
}

#[test]
fn private_pem_is_redacted_in_debug() {
    let key = ToolKey::from_pem(TOOL_PEM).unwrap();
    let pem = key.private_pem().unwrap();
    assert!(pem.expose().starts_with("-----BEGIN PRIVATE KEY-----"));
    assert_eq!(format!("{pem:?}"), "PrivateKeyPem(\"***\")");
    assert!(!format!("{key:?}").contains("BEGIN"));
}

#[test]
fn thumbprint_matches_rfc_7638_example() {
    let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    assert_eq!(
        thumbprint(n, "AQAB"),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

#[test]
fn jwks_has_exactly_the_rs256_signing_members() {
    let set = KeySet::new(ToolKey::from_pem(TOOL_PEM).unwrap());
    let json = serde_json::to_value(set.jwks()).unwrap();
    let key = &json["keys"][0];
    let mut members: Vec<&str> = key
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    members.sort_unstable();
    assert_eq!(members, ["alg", "e", "kid", "kty", "n", "use"]);
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["e"], "AQAB");
    assert_eq!(
        key["n"].as_str().unwrap().len(),
        342,
        "2048-bit modulus, base64url"
    );
    assert_eq!(json["keys"].as_array().unwrap().len(), 1);
}

#[test]
fn a_signed_jwt_verifies_with_the_published_key() {
    let set = KeySet::new(ToolKey::from_pem(TOOL_PEM).unwrap());
    let token = set
        .sign_jwt(&serde_json::json!({"iss": "client-1", "n": 1}))
        .unwrap();
    let claims = verify(&token, &set.jwks().keys[0]);
    assert_eq!(claims["iss"], "client-1");
}

#[test]
fn rotation_keeps_the_old_key_published_for_the_overlap_only() {
    let old = ToolKey::from_pem(TOOL_PEM).unwrap();
    let old_kid = old.kid().to_owned();
    let set = KeySet::new(old);
    let next = ToolKey::from_pem(NEXT_PEM).unwrap();
    let next_kid = next.kid().to_owned();

    set.rotate(next, 1_000, Duration::from_secs(3_600));
    assert_eq!(set.kids(), [next_kid.clone(), old_kid.clone()]);
    let token = set.sign_jwt(&serde_json::json!({"a": 1})).unwrap();
    let jwks = set.jwks();
    assert_eq!(jwks.keys.len(), 2);
    verify(&token, &jwks.keys[0]);

    assert!(set.prune(4_600).is_empty(), "still inside the overlap");
    assert_eq!(set.prune(4_601), [old_kid]);
    assert_eq!(set.kids(), [next_kid]);
}

#[test]
fn a_next_key_can_be_published_before_it_signs() {
    let set = KeySet::new(ToolKey::from_pem(TOOL_PEM).unwrap());
    let current = set.current().kid().to_owned();
    set.add_published(ToolKey::from_pem(NEXT_PEM).unwrap(), None);
    set.add_published(ToolKey::from_pem(NEXT_PEM).unwrap(), None);
    assert_eq!(set.jwks().keys.len(), 2, "the same key is not added twice");
    assert_eq!(
        set.current().kid(),
        current,
        "publishing does not switch signing"
    );
    set.rotate(
        ToolKey::from_pem(NEXT_PEM).unwrap(),
        0,
        Duration::from_secs(60),
    );
    assert_eq!(
        set.jwks().keys.len(),
        2,
        "the next key moved from published to current"
    );
    assert_eq!(set.kids()[1], current);
}

#[test]
fn a_generated_key_has_2048_bits_and_round_trips_through_pem() {
    let key = ToolKey::generate().unwrap();
    let again = ToolKey::from_pem(key.private_pem().unwrap().expose()).unwrap();
    assert_eq!(key.kid(), again.kid());
    assert_eq!(key.public_jwk().n.len(), 342);
}
