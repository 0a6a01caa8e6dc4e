//! Turning Moodle's answers into values or [`Error`]s: the REST exception object that
//! arrives with HTTP 200, the `{error, errorcode, …}` object of the AJAX-style scripts,
//! HTTP statuses Moodle itself never sends, and bodies that are not JSON.
//!
//! Everything taken from a body goes through `secret::scrub` before it enters an error.

use std::time::Duration;

use serde::de::{DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::error::{DebugInfo, DecodeReason, Endpoint, Error};
use crate::secret::{SNIPPET_CHARS, Secret, scrub};

/// Longest Moodle message kept.
const MESSAGE_CHARS: usize = 300;

/// A JSON value kept only when it is a string (so probing never fails on odd types).
#[derive(Default)]
struct Text(Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any value")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(Some(v.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text(Some(v)))
            }
            fn visit_bool<E: serde::de::Error>(self, _v: bool) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_i64<E: serde::de::Error>(self, _v: i64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_u64<E: serde::de::Error>(self, _v: u64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_f64<E: serde::de::Error>(self, _v: f64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Text, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// The keys of an object that tell an error from a success.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ErrorProbe {
    exception: Text,
    errorcode: Text,
    message: Text,
    error: Text,
    debuginfo: Text,
}

fn first_byte(body: &[u8]) -> Option<u8> {
    body.iter().copied().find(|b| !b.is_ascii_whitespace())
}

/// Moodle's message, made safe: without the ` (debuginfo)` Moodle appends on developer
/// sites, tags, the token and server paths.
fn clean_message(message: &str, debuginfo: Option<&str>, token: Option<&Secret>) -> String {
    let mut message = message;
    if let Some(d) = debuginfo.filter(|d| !d.is_empty()) {
        let suffix = format!(" ({d})");
        message = message.strip_suffix(suffix.as_str()).unwrap_or(message);
    }
    scrub(message, token, MESSAGE_CHARS)
}

fn debug_info(text: Option<String>, token: Option<&Secret>) -> Option<DebugInfo> {
    text.filter(|d| !d.trim().is_empty())
        .map(|d| DebugInfo(scrub(&d, token, 4000)))
}

/// Decodes a REST (`webservice/rest/server.php`) answer with HTTP 2xx.
///
/// # Errors
/// [`Error::Exception`] for Moodle's error object, [`Error::Decode`] for anything else
/// that is not a `T`.
pub(crate) fn rest<T: DeserializeOwned>(body: &[u8], token: Option<&Secret>) -> Result<T, Error> {
    exception(body, token)?;
    serde_json::from_slice(body).map_err(|e| json_error(&e, body, token))
}

/// Moodle's error object as [`Error::Exception`], if the answer is one.
///
/// # Errors
/// [`Error::Exception`]; [`Error::Decode`] for an answer that names an exception but is
/// not JSON.
pub(crate) fn exception(body: &[u8], token: Option<&Secret>) -> Result<(), Error> {
    // Only an object that has an "exception" key can be Moodle's error object; skipping the
    // probe for every other answer saves a second pass over large successful answers.
    if first_byte(body) == Some(b'{') && memchr::memmem::find(body, b"\"exception\"").is_some() {
        let probe: ErrorProbe =
            serde_json::from_slice(body).map_err(|e| json_error(&e, body, token))?;
        if let (Some(exception), Some(message)) = (probe.exception.0, probe.message.0) {
            let raw_debug = probe.debuginfo.0;
            return Err(Error::Exception {
                exception: scrub(&exception, token, MESSAGE_CHARS),
                errorcode: scrub(&probe.errorcode.0.unwrap_or_default(), token, MESSAGE_CHARS),
                message: clean_message(&message, raw_debug.as_deref(), token),
                debuginfo: debug_info(raw_debug, token),
            });
        }
    }
    Ok(())
}

/// The `{error, errorcode, …}` object of `login/token.php`, `upload.php` and
/// `pluginfile.php`, if the body is one.
pub(crate) fn endpoint_error(
    endpoint: Endpoint,
    http_status: u16,
    body: &[u8],
    token: Option<&Secret>,
) -> Option<Error> {
    if first_byte(body) != Some(b'{') {
        return None;
    }
    let probe: ErrorProbe = serde_json::from_slice(body).ok()?;
    let errorcode = probe.errorcode.0?;
    let message = probe.error.0?;
    let raw_debug = probe.debuginfo.0;
    Some(Error::Endpoint {
        endpoint,
        http_status,
        errorcode: scrub(&errorcode, token, MESSAGE_CHARS),
        message: clean_message(&message, raw_debug.as_deref(), token),
        debuginfo: debug_info(raw_debug, token),
    })
}

/// Decodes an answer of `login/token.php` or `webservice/upload.php` with HTTP 200.
///
/// # Errors
/// [`Error::Endpoint`] for the error object, [`Error::Decode`] otherwise.
pub(crate) fn endpoint<T: DeserializeOwned>(
    endpoint: Endpoint,
    body: &[u8],
    token: Option<&Secret>,
) -> Result<T, Error> {
    if let Some(err) = endpoint_error(endpoint, 200, body, token) {
        return Err(err);
    }
    serde_json::from_slice(body).map_err(|e| json_error(&e, body, token))
}

/// A JSON error as [`Error::Decode`], with a snippet of the body (or of the error, for a
/// shape mismatch; string values in it are elided).
pub(crate) fn json_error(e: &serde_json::Error, body: &[u8], token: Option<&Secret>) -> Error {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => Error::Decode {
            reason: DecodeReason::Truncated,
            snippet: snippet(body, token),
        },
        Category::Data => Error::Decode {
            reason: DecodeReason::UnexpectedShape,
            snippet: scrub(&elide_quoted(&e.to_string()), token, SNIPPET_CHARS),
        },
        Category::Syntax | Category::Io => not_json(body, token),
    }
}

/// A body that is not JSON at all.
pub(crate) fn not_json(body: &[u8], token: Option<&Secret>) -> Error {
    let reason = if first_byte(body) == Some(b'<') {
        DecodeReason::Html
    } else {
        DecodeReason::NotJson
    };
    Error::Decode {
        reason,
        snippet: snippet(body, token),
    }
}

/// The start of a body, scrubbed.
pub(crate) fn snippet(body: &[u8], token: Option<&Secret>) -> String {
    let head = &body[..body.len().min(2048)];
    scrub(&String::from_utf8_lossy(head), token, SNIPPET_CHARS)
}

/// Replaces the content of `"…"` in serde's messages (they quote values from the body).
fn elide_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut inside = false;
    for c in message.chars() {
        if c == '"' {
            if inside {
                out.push('…');
            }
            inside = !inside;
            out.push(c);
        } else if !inside {
            out.push(c);
        }
    }
    out
}

/// An HTTP status Moodle's scripts do not send (they answer 200, or 404 for a missing file).
pub(crate) fn status_error(
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
    token: Option<&Secret>,
) -> Error {
    if status == 429 {
        Error::RateLimited { retry_after }
    } else {
        Error::Status {
            status,
            snippet: snippet(body, token),
            retry_after,
        }
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not used by Moodle or common proxies
/// in front of it; it is ignored).
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    parse_retry_after(headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?)
}

/// A `Retry-After` value in seconds (the form Moodle's and proxies' 429/503 use).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elides_quoted_values_in_serde_messages() {
        assert_eq!(
            elide_quoted("invalid type: string \"secret\", expected i64 at line 1 column 9"),
            "invalid type: string \"…\", expected i64 at line 1 column 9"
        );
    }

    #[test]
    fn debuginfo_appended_to_the_message_is_removed() {
        let m = clean_message(
            "Invalid parameter value detected (Missing key x)",
            Some("Missing key x"),
            None,
        );
        assert_eq!(m, "Invalid parameter value detected");
    }

    #[test]
    fn success_objects_with_a_message_key_are_not_errors() {
        #[derive(Deserialize, Debug)]
        struct R {
            message: String,
        }
        let r: R = rest(br#"{"message":"hello","exception":{"nested":1}}"#, None).expect("success");
        assert_eq!(r.message, "hello");
    }
}
