//! Moodle's `PARAM_*` types: how `clean_param()` cleans a value and how `validate_param()`
//! decides that a value is invalid (`lib/classes/param.php`).
//!
//! A value is valid when cleaning does not change its string form. Values are carried as
//! JSON so that request strings and typed defaults/returns go through the same rules.

use serde_json::Value;

use super::url::{clean_local_url, is_valid_url};
use crate::version::MoodleVersion;

/// The `PARAM_*` types the stand-in's functions use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum ParamType {
    Int,
    Float,
    Bool,
    Raw,
    RawTrimmed,
    Text,
    NoTags,
    CleanHtml,
    Alpha,
    AlphaExt,
    AlphaNum,
    AlphaNumExt,
    Sequence,
    Plugin,
    Area,
    Component,
    SafeDir,
    SafePath,
    File,
    Path,
    Url,
    LocalUrl,
    Lang,
    Theme,
    Username,
    Email,
    Timezone,
    Tag,
    Auth,
}

impl ParamType {
    /// The name Moodle prints in "the server was expecting \"int\" type".
    pub fn name(self) -> &'static str {
        match self {
            ParamType::Int => "int",
            ParamType::Float => "float",
            ParamType::Bool => "bool",
            ParamType::Raw => "raw",
            ParamType::RawTrimmed => "raw_trimmed",
            ParamType::Text => "text",
            ParamType::NoTags => "notags",
            ParamType::CleanHtml => "cleanhtml",
            ParamType::Alpha => "alpha",
            ParamType::AlphaExt => "alphaext",
            ParamType::AlphaNum => "alphanum",
            ParamType::AlphaNumExt => "alphanumext",
            ParamType::Sequence => "sequence",
            ParamType::Plugin => "plugin",
            ParamType::Area => "area",
            ParamType::Component => "component",
            ParamType::SafeDir => "safedir",
            ParamType::SafePath => "safepath",
            ParamType::File => "file",
            ParamType::Path => "path",
            ParamType::Url => "url",
            ParamType::LocalUrl => "localurl",
            ParamType::Lang => "lang",
            ParamType::Theme => "theme",
            ParamType::Username => "username",
            ParamType::Email => "email",
            ParamType::Timezone => "timezone",
            ParamType::Tag => "tag",
            ParamType::Auth => "auth",
        }
    }

    /// `clean_param($value, PARAM_X)` as Moodle 4.5 cleans it ([`ParamType::clean_in`]).
    pub fn clean(self, value: &Value, wwwroot: &str) -> Value {
        self.clean_in(MoodleVersion::V4_5, value, wwwroot)
    }

    /// `clean_param($value, PARAM_X)` on a site of a Moodle version: the cleaned value, typed
    /// as PHP would type it.
    pub fn clean_in(self, moodle: MoodleVersion, value: &Value, wwwroot: &str) -> Value {
        let s = php_string(value);
        match self {
            ParamType::Int => Value::from(php_intval(&s)),
            ParamType::Float => {
                serde_json::Number::from_f64(php_floatval(&s)).map_or(Value::from(0), Value::Number)
            }
            ParamType::Bool => {
                let lower = s.to_lowercase();
                let truthy = match lower.as_str() {
                    "on" | "yes" | "true" => true,
                    "off" | "no" | "false" => false,
                    _ => !php_empty(value),
                };
                Value::from(i64::from(truthy))
            }
            ParamType::Raw => value.clone(),
            ParamType::RawTrimmed => Value::from(s.trim()),
            ParamType::Text | ParamType::NoTags => Value::from(strip_tags(&s)),
            ParamType::CleanHtml => Value::from(s.trim()),
            ParamType::Alpha => Value::from(keep(&s, |c| c.is_ascii_alphabetic())),
            ParamType::AlphaExt => Value::from(keep(&s, |c| {
                c.is_ascii_alphabetic() || c == '_' || c == '-'
            })),
            ParamType::AlphaNum => Value::from(keep(&s, |c| c.is_ascii_alphanumeric())),
            ParamType::AlphaNumExt | ParamType::SafeDir => Value::from(keep(&s, |c| {
                c.is_ascii_alphanumeric() || c == '_' || c == '-'
            })),
            ParamType::Sequence => Value::from(keep(&s, |c| c.is_ascii_digit() || c == ',')),
            ParamType::SafePath => Value::from(keep(&s, |c| {
                c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '/'
            })),
            ParamType::Plugin | ParamType::Area => Value::from(if is_valid_plugin_name(&s) {
                s
            } else {
                String::new()
            }),
            ParamType::Auth => Value::from(
                if matches!(s.as_str(), "manual" | "nologin" | "webservice" | "email") {
                    s
                } else {
                    String::new()
                },
            ),
            ParamType::Component => Value::from(if is_valid_component(&s) {
                s
            } else {
                String::new()
            }),
            ParamType::File => Value::from(clean_file(&s)),
            ParamType::Path => Value::from(clean_path(&s)),
            ParamType::Url => Value::from(if is_valid_url(&s) { s } else { String::new() }),
            ParamType::LocalUrl => Value::from(clean_local_url(moodle, &s, wwwroot)),
            ParamType::Lang => {
                // Only English is installed on the stand-in, as on the recorded site.
                Value::from(if s == "en" { s } else { String::new() })
            }
            ParamType::Theme => Value::from(if matches!(s.as_str(), "boost" | "classic") {
                s
            } else {
                String::new()
            }),
            ParamType::Username => Value::from(clean_username(&s)),
            ParamType::Email => Value::from(if is_valid_email(&s) { s } else { String::new() }),
            ParamType::Timezone => Value::from(if is_valid_timezone(&s) {
                s
            } else {
                String::new()
            }),
            ParamType::Tag => Value::from(
                strip_control(&s)
                    .replace(['<', '>', '`'], "")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        }
    }

    /// `validate_param()`: the cleaned value, or `None` when cleaning changed the value.
    pub fn validate(self, value: &Value, wwwroot: &str) -> Option<Value> {
        self.validate_in(MoodleVersion::V4_5, value, wwwroot)
    }

    /// `validate_param()` on a site of a Moodle version: the cleaned value, or `None` when
    /// cleaning changed the value. 5.0's lib/classes/param.php compares a PARAM_BOOL loosely
    /// (`$param != $cleaned`), so `"1.0"` and `" 1"` pass there.
    pub fn validate_in(self, moodle: MoodleVersion, value: &Value, wwwroot: &str) -> Option<Value> {
        if value.is_array() || value.is_object() {
            return None;
        }
        let cleaned = self.clean_in(moodle, value, wwwroot);
        if self == ParamType::Bool && moodle.at_least_5_0() {
            let n = cleaned.as_i64().unwrap_or_default();
            return php_loosely_equals_int(value, n).then_some(cleaned);
        }
        if self == ParamType::Float {
            let ok = value.is_number() || {
                let s = php_string(value);
                is_php_numeric(&s) && is_float_syntax(&s)
            };
            return ok.then_some(cleaned);
        }
        (php_string(value) == php_string(&cleaned)).then_some(cleaned)
    }
}

/// PHP's `(string)$value` for scalars.
pub fn php_string(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(true) => "1".to_owned(),
        Value::Bool(false) => String::new(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => {
                let f = n.as_f64().unwrap_or_default();
                if f.fract() == 0.0 && f.abs() < 1e15 {
                    format!("{f:.0}")
                } else {
                    f.to_string()
                }
            }
        },
        Value::String(s) => s.clone(),
        Value::Array(_) | Value::Object(_) => "Array".to_owned(),
    }
}

/// PHP's `empty()` for scalars.
pub fn php_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty() || s == "0",
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// PHP's `(int)"…"`: leading whitespace, optional sign, digits; saturating.
pub fn php_intval(s: &str) -> i64 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = digits
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    let digits = &digits[..end];
    if digits.is_empty() {
        // PHP 8 also reads numeric strings like "1e3" as floats; "abc" is 0.
        return 0;
    }
    match digits.parse::<i128>() {
        Ok(v) => {
            let v = if neg { -v } else { v };
            v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
        }
        Err(_) => {
            if neg {
                i64::MIN
            } else {
                i64::MAX
            }
        }
    }
}

fn php_floatval(s: &str) -> f64 {
    let t = s.trim_start();
    let mut end = 0;
    for i in (1..=t.len()).rev() {
        if t.is_char_boundary(i) && t[..i].parse::<f64>().is_ok() {
            end = i;
            break;
        }
    }
    t[..end].parse().unwrap_or(0.0)
}

/// PHP 8's `$value == $n` for an integer `$n`: a numeric string (surrounding whitespace allowed)
/// compared as a number, any other string with `$n` written out.
fn php_loosely_equals_int(value: &Value, n: i64) -> bool {
    #[allow(clippy::cast_precision_loss)]
    let nf = n as f64;
    match value {
        Value::Null => n == 0,
        Value::Bool(b) => *b == (n != 0),
        Value::Number(x) => x.as_f64() == Some(nf),
        Value::String(s) if is_php_numeric(s) => php_floatval(s.trim()) == nf,
        Value::String(s) => *s == n.to_string(),
        Value::Array(_) | Value::Object(_) => false,
    }
}

fn is_php_numeric(s: &str) -> bool {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let t = t.trim_end_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    !t.is_empty() && t.parse::<f64>().is_ok() && !t.contains(['i', 'I', 'n', 'N'])
}

/// `/^[\+-]?[0-9]*\.?[0-9]*(e[-+]?[0-9]+)?$/i`
fn is_float_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
    }
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

fn keep(s: &str, allowed: impl Fn(char) -> bool) -> String {
    s.chars().filter(|&c| allowed(c)).collect()
}

fn strip_control(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

/// PHP's `strip_tags()`: a `<` followed by a non-space starts a tag that runs to the next `>`.
pub fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '<' {
            match chars.peek() {
                Some(n) if !n.is_whitespace() => {
                    for t in chars.by_ref() {
                        if t == '>' {
                            break;
                        }
                    }
                    continue;
                }
                _ => out.push(c),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `is_valid_plugin_name()`: `/^[a-z](?:[a-z0-9_](?!__))*[a-z0-9]+$/`.
pub fn is_valid_plugin_name(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 2 || !b[0].is_ascii_lowercase() || s.contains("__") {
        return false;
    }
    let last = b[b.len() - 1];
    if !(last.is_ascii_lowercase() || last.is_ascii_digit()) {
        return false;
    }
    b.iter()
        .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

fn is_valid_component(s: &str) -> bool {
    // /^[a-z][a-z0-9]*(_[a-z][a-z0-9_]*)?[a-z0-9]+$/, no "__", mod_ has one underscore.
    if s.contains("__") || s.len() < 2 {
        return false;
    }
    let b = s.as_bytes();
    if !b[0].is_ascii_lowercase() {
        return false;
    }
    let last = b[b.len() - 1];
    if !(last.is_ascii_lowercase() || last.is_ascii_digit()) {
        return false;
    }
    if !b
        .iter()
        .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
    {
        return false;
    }
    if let Some(pos) = s.find('_') {
        // The part after the first underscore starts with a letter.
        if !s[pos + 1..].starts_with(|c: char| c.is_ascii_lowercase()) {
            return false;
        }
    }
    !(s.starts_with("mod_") && s.matches('_').count() != 1)
}

fn clean_file(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .filter(|&c| {
            !c.is_control()
                && !matches!(
                    c,
                    '&' | '<' | '>' | '"' | '`' | '|' | '\'' | ':' | '\\' | '/'
                )
        })
        .collect();
    if cleaned == "." || cleaned == ".." {
        String::new()
    } else {
        cleaned
    }
}

fn clean_path(s: &str) -> String {
    let s = s.replace('\\', "/");
    let parts: Vec<String> = s
        .split('/')
        .enumerate()
        .map(|(i, crumb)| {
            if i == 0 && crumb == "." {
                crumb.to_owned()
            } else {
                clean_file(crumb)
            }
        })
        .collect();
    let mut joined = parts.join("/");
    while joined.contains("//") {
        joined = joined.replace("//", "/");
    }
    while joined.contains("/./") {
        joined = joined.replace("/./", "/");
    }
    joined
}

fn clean_username(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .chars()
        .filter(|&c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.' | '@' | '_')
        })
        .collect()
}

/// An approximation of PHP's `filter_var($x, FILTER_VALIDATE_EMAIL)` plus Moodle's `<>` rule.
pub fn is_valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    if local.is_empty() || local.len() > 64 || domain.is_empty() || s.contains(['<', '>']) {
        return false;
    }
    let local_ok = local.split('.').all(|part| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c))
    });
    let domain_ok = domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

fn is_valid_timezone(s: &str) -> bool {
    if s == "99" {
        return true;
    }
    if let Ok(f) = s.trim_start_matches(['+', '-']).parse::<f64>() {
        return f <= 13.0 && (f.fract() == 0.0 || f.fract() == 0.5);
    }
    s.contains('/')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ROOT: &str = "http://moodle.test";

    #[test]
    fn int_accepts_only_canonical_decimal_strings() {
        assert_eq!(ParamType::Int.validate(&json!("42"), ROOT), Some(json!(42)));
        assert_eq!(ParamType::Int.validate(&json!("-7"), ROOT), Some(json!(-7)));
        for bad in [
            "abc",
            "05",
            " 5",
            "5 ",
            "",
            "1.0",
            "99999999999999999999",
            "+1",
        ] {
            assert_eq!(ParamType::Int.validate(&json!(bad), ROOT), None, "{bad:?}");
        }
    }

    #[test]
    fn bool_words_are_rejected_by_validation() {
        assert_eq!(ParamType::Bool.validate(&json!("true"), ROOT), None);
        assert_eq!(ParamType::Bool.validate(&json!(""), ROOT), None);
    }

    #[test]
    fn text_with_tags_is_invalid_but_a_lone_less_than_is_fine() {
        assert_eq!(ParamType::Text.validate(&json!("<b>x</b>"), ROOT), None);
        assert_eq!(
            ParamType::Text.validate(&json!("a < b"), ROOT),
            Some(json!("a < b"))
        );
    }

    #[test]
    fn username_must_be_lowercase() {
        assert_eq!(
            ParamType::Username.validate(&json!("UpperCase"), ROOT),
            None
        );
        assert_eq!(
            ParamType::Username.validate(&json!("student6"), ROOT),
            Some(json!("student6"))
        );
    }

    #[test]
    fn email_needs_a_dotted_domain() {
        assert!(is_valid_email("student6@example.com"));
        assert!(!is_valid_email("not-an-email"));
        assert!(!is_valid_email("a@b"));
        assert!(!is_valid_email("<a>@example.com"));
    }

    #[test]
    fn float_accepts_numeric_strings_only() {
        assert_eq!(
            ParamType::Float.validate(&json!("87.5"), ROOT),
            Some(json!(87.5))
        );
        assert_eq!(
            ParamType::Float.validate(&json!("1e3"), ROOT),
            Some(json!(1000.0))
        );
        assert_eq!(ParamType::Float.validate(&json!("abc"), ROOT), None);
    }

    #[test]
    fn plugin_names_follow_moodle_rules() {
        assert!(is_valid_plugin_name("draft"));
        assert!(is_valid_plugin_name("submission_files"));
        assert!(!is_valid_plugin_name("Draft"));
        assert!(!is_valid_plugin_name("a__b"));
        assert!(!is_valid_plugin_name("x_"));
    }
}
