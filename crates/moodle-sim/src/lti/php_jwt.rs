//! JWT verification as Moodle's bundled `firebase/php-jwt` does it (`JWK::parseKeySet()`,
//! `JWT::decode()`): the same checks in the same order, failing with the same messages,
//! which Moodle passes on (`token.php` puts them in its `error`, the error page shows them).
//! Leeway 0, as Moodle leaves it. RSA keys only (the only kind LTI tools publish here).

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};

/// A key of a parsed key set.
#[derive(Debug, Clone)]
pub struct Key {
    alg: String,
    n: String,
    e: String,
}

/// `JWT::urlsafeB64Decode()` then `json_decode()`.
fn decode_part(part: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The claims of a JWT, unverified (`JWT::urlsafeB64Decode($parts[1])`, as `token.php` and
/// `lti_convert_from_jwt()` read them before verifying).
pub fn claims_unverified(jwt: &str) -> Option<Map<String, Value>> {
    let parts: Vec<&str> = jwt.split('.').collect();
    if parts.len() != 3 {
        return None;
    }
    match decode_part(parts[1])? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// `jwks_helper::fix_jwks_alg()` and the filter `lti_verify_with_keyset()` applies: the key
/// the JWT names gets the JWT's `alg` when it has none; keys still without one are dropped.
pub fn fix_alg(keyset: &mut Value, jwt: &str) -> Result<(), String> {
    let header = jwt
        .split('.')
        .next()
        .and_then(decode_part)
        .unwrap_or(Value::Null);
    let Some(kid) = header.get("kid") else {
        // moodle_exception with a message for a string id: Moodle shows "error/<id>".
        return Err("error/Error: kid must be provided in JWT header.".to_owned());
    };
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if let Some(keys) = keyset.get_mut("keys").and_then(Value::as_array_mut) {
        for key in keys.iter_mut() {
            let missing = key
                .get("alg")
                .is_none_or(|a| a.as_str().is_none_or(str::is_empty));
            if key.get("kid") == Some(kid) && missing {
                if !(alg.starts_with("RS") && key.get("kty").and_then(Value::as_str) == Some("RSA"))
                {
                    return Err("error/Error: Alg specified in the JWT header is incompatible with the JWK key type".to_owned());
                }
                key["alg"] = Value::from(alg);
            }
        }
        keys.retain(|k| k.get("alg").is_some());
    }
    Ok(())
}

/// `JWK::parseKeySet()`: keys by `kid`.
pub fn parse_key_set(keyset: &Value) -> Result<BTreeMap<String, Key>, String> {
    let keys = keyset
        .get("keys")
        .and_then(Value::as_array)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| "JWK Set did not contain any keys".to_owned())?;
    let mut out = BTreeMap::new();
    for (i, k) in keys.iter().enumerate() {
        let field = |name: &str| k.get(name).and_then(Value::as_str).map(str::to_owned);
        if field("kty").is_none() {
            return Err("JWK must contain a \"kty\" parameter".to_owned());
        }
        let Some(alg) = field("alg") else {
            return Err("JWK must contain an \"alg\" parameter".to_owned());
        };
        if field("kty").as_deref() != Some("RSA") {
            return Err(format!(
                "Unsupported key type {}",
                field("kty").unwrap_or_default()
            ));
        }
        let (Some(n), Some(e)) = (field("n"), field("e")) else {
            return Err("RSA keys must contain values for both \"n\" and \"e\"".to_owned());
        };
        let kid = field("kid").unwrap_or_else(|| i.to_string());
        out.insert(kid, Key { alg, n, e });
    }
    Ok(out)
}

/// `JWT::decode($jwt, $keys)` at time `now`: the claims, or php-jwt's message.
pub fn decode(
    jwt: &str,
    keys: &BTreeMap<String, Key>,
    now: i64,
) -> Result<Map<String, Value>, String> {
    let parts: Vec<&str> = jwt.split('.').collect();
    if parts.len() != 3 {
        return Err("Wrong number of segments".to_owned());
    }
    let Some(header) = decode_part(parts[0]) else {
        return Err("Invalid header encoding".to_owned());
    };
    let payload = match decode_part(parts[1]) {
        None | Some(Value::Null) => return Err("Invalid claims encoding".to_owned()),
        Some(Value::Object(m)) => m,
        Some(Value::Array(a)) if a.is_empty() => Map::new(),
        Some(_) => return Err("Payload must be a JSON object".to_owned()),
    };
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if alg.is_empty() {
        return Err("Empty algorithm".to_owned());
    }
    let algorithm = match alg {
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        _ => return Err("Algorithm not supported".to_owned()),
    };
    let kid = match header.get("kid") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    if kid.is_empty() {
        return Err("\"kid\" empty, unable to lookup correct key".to_owned());
    }
    let Some(key) = keys.get(&kid) else {
        return Err("\"kid\" invalid, unable to lookup correct key".to_owned());
    };
    if key.alg != alg {
        return Err("Incorrect key for this algorithm".to_owned());
    }
    let message = format!("{}.{}", parts[0], parts[1]);
    let verified = DecodingKey::from_rsa_components(&key.n, &key.e)
        .ok()
        .and_then(|k| {
            jsonwebtoken::crypto::verify(parts[2], message.as_bytes(), &k, algorithm).ok()
        })
        .unwrap_or(false);
    if !verified {
        return Err("Signature verification failed".to_owned());
    }
    let time = |name: &str| payload.get(name).and_then(Value::as_f64);
    if let Some(nbf) = time("nbf")
        && nbf.floor() > now as f64
    {
        return Err(format!(
            "Cannot handle token with nbf prior to {}",
            iso8601(nbf as i64)
        ));
    }
    if time("nbf").is_none()
        && let Some(iat) = time("iat")
        && iat.floor() > now as f64
    {
        return Err(format!(
            "Cannot handle token with iat prior to {}",
            iso8601(iat as i64)
        ));
    }
    if let Some(exp) = time("exp")
        && now as f64 >= exp
    {
        return Err("Expired token".to_owned());
    }
    Ok(payload)
}

/// `date(DateTime::ISO8601, $t)` in UTC: `2026-11-22T00:04:46+0000`.
fn iso8601(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+0000",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn times_are_written_like_php_iso8601() {
        assert_eq!(iso8601(1_795_305_886), "2026-11-22T00:04:46+0000");
        assert_eq!(iso8601(0), "1970-01-01T00:00:00+0000");
    }

    #[test]
    fn the_checks_fail_with_php_jwts_messages() {
        let keys = parse_key_set(&crate::lti::platform_jwks()).expect("keys");
        assert_eq!(
            decode("a.b", &keys, 0).unwrap_err(),
            "Wrong number of segments"
        );
        let token = crate::lti::keys::sign(&json!({"sub": "x", "exp": 100}));
        assert_eq!(decode(&token, &keys, 100).unwrap_err(), "Expired token");
        assert_eq!(decode(&token, &keys, 99).expect("valid")["sub"], "x");
        let mut tampered = token.clone();
        tampered.push('A');
        assert_eq!(
            decode(&tampered, &keys, 0).unwrap_err(),
            "Signature verification failed"
        );
        assert_eq!(
            decode(&token, &BTreeMap::new(), 0).unwrap_err(),
            "\"kid\" invalid, unable to lookup correct key"
        );
    }

    #[test]
    fn a_key_without_alg_gets_the_tokens() {
        let token = crate::lti::keys::sign(&json!({}));
        let mut set = crate::lti::platform_jwks();
        if let Some(k) = set["keys"][0].as_object_mut() {
            k.remove("alg");
        }
        if let Some(keys) = set["keys"].as_array_mut() {
            keys.push(json!({"kty": "RSA", "kid": "other"}));
        }
        fix_alg(&mut set, &token).expect("fixed");
        assert_eq!(set["keys"].as_array().map(Vec::len), Some(1));
        assert_eq!(set["keys"][0]["alg"], "RS256");
    }
}
