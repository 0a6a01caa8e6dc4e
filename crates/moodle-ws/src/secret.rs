//! `Secret`: a token or password that never shows in `Debug`/`Display` output, and the
//! redaction helpers that keep secrets and server internals out of error text.
//!
//! It does not encrypt or zero memory; it only keeps secrets out of logs and messages.

use std::fmt;
use std::sync::Arc;

/// A secret string (web-service token, password) with a redacted `Debug` and no `Display`.
///
/// Cloning is cheap (the text is shared).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Arc::from(value.into()))
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(\"***\")")
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret::new)
    }
}

/// Serializes a secret's value, for the few request fields that must carry one
/// (`#[serde(serialize_with = "crate::secret::expose_secret")]`). `Secret` itself is not
/// `Serialize`, so it cannot end up in JSON logs by accident.
pub(crate) fn expose_secret<S: serde::Serializer>(
    secret: &Option<Secret>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match secret {
        Some(secret) => s.serialize_some(secret.expose()),
        None => s.serialize_none(),
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

/// Longest text kept from a foreign body or a Moodle message.
pub(crate) const SNIPPET_CHARS: usize = 160;

/// Makes text from a response safe for an error message: removes HTML tags, collapses
/// whitespace, replaces the token and anything that looks like a server file path, and
/// shortens it to `max` characters.
pub(crate) fn scrub(text: &str, token: Option<&Secret>, max: usize) -> String {
    let text = match token {
        Some(t) if t.0.len() >= 4 => text.replace(&*t.0, "[token]"),
        _ => text.to_owned(),
    };
    let plain = strip_tags(&text);
    let mut out = String::with_capacity(plain.len().min(max + 8));
    for (i, word) in plain.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if looks_like_server_path(word) {
            out.push_str("[path]");
        } else {
            out.push_str(&redact_token_param(word));
        }
    }
    truncate_chars(out, max)
}

/// Removes `<…>` tags (a PHP notice or an HTML page) and decodes the few entities PHP
/// messages use.
fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&quot;", "\"")
        .replace("&#039;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A server file path: starts with `/` (not a URL's `//`) and has another `/` in it, or
/// is an absolute `.php` file or a Windows path. A script named relative to the site
/// (`webservice/upload.php`) tells nothing about the server and is kept.
fn looks_like_server_path(word: &str) -> bool {
    let w = word.trim_matches(|c: char| matches!(c, '(' | ')' | '"' | '\'' | ',' | ':' | ';'));
    let unix = w.starts_with('/') && !w.starts_with("//") && w[1..].contains('/');
    let php = w.contains(".php") && !w.contains("://") && (w.starts_with('/') || w.contains('\\'));
    let windows = w.len() > 2 && w.as_bytes()[1] == b':' && matches!(w.as_bytes()[2], b'\\' | b'/');
    unix || php || windows
}

/// Replaces the value of a `token=`/`wstoken=` query parameter inside a word.
fn redact_token_param(word: &str) -> String {
    let mut out = word.to_owned();
    for key in ["wstoken=", "token="] {
        let mut from = 0;
        while let Some(pos) = out[from..].find(key) {
            let start = from + pos + key.len();
            let end = out[start..]
                .find(['&', '#', '"', '\''])
                .map_or(out.len(), |e| start + e);
            out.replace_range(start..end, "[token]");
            from = start + "[token]".len();
        }
    }
    out
}

fn truncate_chars(mut text: String, max: usize) -> String {
    if let Some((idx, _)) = text.char_indices().nth(max) {
        text.truncate(idx);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let s = Secret::new("abcdef0123456789");
        assert_eq!(format!("{s:?}"), "Secret(\"***\")");
        assert!(!format!("{:?}", Some(s.clone())).contains("abcdef"));
        assert_eq!(s.expose(), "abcdef0123456789");
    }

    #[test]
    fn scrub_removes_tags_paths_and_the_token() {
        let token = Secret::new("0123456789abcdef");
        let body = "<br />\n<b>Warning</b>:  Undefined array key \"lang\" in <b>/var/www/moodle/lib/moodlelib.php</b> on line <b>8163</b><br />\n{\"x\":\"0123456789abcdef\"}";
        let s = scrub(body, Some(&token), 500);
        assert!(!s.contains("/var/www"), "{s}");
        assert!(!s.contains("moodlelib.php"), "{s}");
        assert!(!s.contains("0123456789abcdef"), "{s}");
        assert!(
            s.starts_with("Warning : Undefined array key \"lang\" in [path] on line 8163"),
            "{s}"
        );
    }

    #[test]
    fn scrub_keeps_scripts_named_relative_to_the_site() {
        let s = scrub(
            "Upload the files with webservice/upload.php first.",
            None,
            500,
        );
        assert_eq!(s, "Upload the files with webservice/upload.php first.");
        assert_eq!(scrub("in /index.php now", None, 500), "in [path] now");
    }

    #[test]
    fn scrub_redacts_token_query_parameters_and_truncates() {
        let s = scrub(
            "see http://h/webservice/pluginfile.php/1/a.txt?token=zzz&x=1 now",
            None,
            500,
        );
        assert_eq!(
            s,
            "see http://h/webservice/pluginfile.php/1/a.txt?token=[token]&x=1 now"
        );
        let long = "x".repeat(50);
        assert_eq!(scrub(&long, None, 10).chars().count(), 11);
    }

    #[test]
    fn urls_are_not_mistaken_for_paths() {
        assert!(!looks_like_server_path(
            "http://127.0.0.1/course/view.php?id=1"
        ));
        assert!(looks_like_server_path("/login/token.php:"));
        assert!(looks_like_server_path("C:\\moodle\\lib"));
        assert!(!looks_like_server_path("and/or"));
    }
}
