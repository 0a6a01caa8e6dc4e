//! Compact JWS (RFC 7515 §7.1) pieces: base64url, splitting a token into its parts and
//! decoding its header. Signing is `keys.rs`'s job, verification `platform_jwks.rs`'s.

use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use serde::Deserialize;

/// base64url without padding, as JWS requires.
pub(crate) const B64: GeneralPurpose = URL_SAFE_NO_PAD;

/// base64url with or without padding, for JWK members written by other software.
pub(crate) const B64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes base64url without padding: the parts of a token on the launch path. base64-simd
/// (SIMD, about 3x the `base64` crate on a 4 KB payload, `scripts/bench-lti`), as strict:
/// padding, other alphabets and non-zero trailing bits are refused.
pub(crate) fn decode_b64url(text: &str) -> Option<Vec<u8>> {
    base64_simd::URL_SAFE_NO_PAD.decode_to_vec(text).ok()
}

/// The longest token accepted (Moodle's id_tokens are about 4 KB).
pub(crate) const MAX_TOKEN_BYTES: usize = 64 * 1024;

/// A token split into its parts, the signature decoded.
pub(crate) struct Parts<'a> {
    /// `base64url(header) "." base64url(payload)`, the signed bytes.
    pub signing_input: &'a [u8],
    /// The header, decoded.
    pub header: Header,
    /// The payload, base64url.
    pub payload_b64: &'a str,
    /// The signature bytes.
    pub signature: Vec<u8>,
}

/// The JOSE header members this crate reads.
#[derive(Deserialize)]
pub(crate) struct Header {
    pub alg: String,
    #[serde(default)]
    pub kid: Option<String>,
}

/// Splits a compact JWS; `None` when it is not three base64url parts with a JSON header.
/// The dots are found with `memchr` (SIMD; the payload is most of the token).
pub(crate) fn split(token: &str) -> Option<Parts<'_>> {
    if token.len() > MAX_TOKEN_BYTES {
        return None;
    }
    let bytes = token.as_bytes();
    let first = memchr::memchr(b'.', bytes)?;
    let second = first + 1 + memchr::memchr(b'.', &bytes[first + 1..])?;
    let (header_b64, payload_b64, signature_b64) = (
        &token[..first],
        &token[first + 1..second],
        &token[second + 1..],
    );
    if memchr::memchr(b'.', signature_b64.as_bytes()).is_some()
        || header_b64.is_empty()
        || payload_b64.is_empty()
    {
        return None;
    }
    let header: Header = serde_json::from_slice(&decode_b64url(header_b64)?).ok()?;
    let signature = decode_b64url(signature_b64)?;
    Some(Parts {
        signing_input: &bytes[..second],
        header,
        payload_b64,
        signature,
    })
}

/// `base64url(header) "." base64url(claims)` for RS256 with `kid`.
pub(crate) fn signing_input(kid: &str, claims: &[u8]) -> String {
    let header = serde_json::json!({"alg": "RS256", "kid": kid, "typ": "JWT"});
    let mut out = B64.encode(header.to_string());
    out.push('.');
    B64.encode_string(claims, &mut out);
    out
}

/// Equality whose time does not depend on where the inputs differ (for states, nonces and
/// signatures an attacker may probe).
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_refuses_anything_but_three_parts_with_a_json_header() {
        assert!(split("a.b").is_none());
        assert!(split("a.b.c.d").is_none());
        assert!(split("!!.e30.").is_none());
        let header = B64.encode(br#"{"alg":"none"}"#);
        let token = format!("{header}.e30.");
        let parts = split(&token).unwrap();
        assert_eq!(parts.header.alg, "none");
        assert!(parts.signature.is_empty());
        assert_eq!(parts.signing_input, format!("{header}.e30").as_bytes());
    }

    #[test]
    fn decoding_is_strict_base64url_without_padding() {
        assert_eq!(decode_b64url("e30").unwrap(), b"{}");
        assert_eq!(decode_b64url("-_8").unwrap(), [0xfb, 0xff]);
        // Padding, the standard alphabet and non-zero trailing bits are refused.
        assert!(decode_b64url("e30=").is_none());
        assert!(decode_b64url("+/8").is_none());
        assert!(decode_b64url("e31").is_none());
        assert!(decode_b64url("e3").is_none());
        assert!(decode_b64url("e30.").is_none());
    }

    #[test]
    fn constant_time_eq_compares_whole_values() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
