//! PHP 8's comparisons that Moodle's code relies on: `is_numeric()` on strings and the
//! loose `==` between request strings and cleaned values.

use serde_json::Value;

use super::param::php_string;

/// PHP 8's `is_numeric()` on a string: optional surrounding whitespace, a sign, digits with
/// an optional fraction and exponent.
pub fn php_is_numeric_str(s: &str) -> bool {
    let t = s.trim_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let t = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(int) && digits(frac) && !(int.is_empty() && frac.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok && !t.is_empty()
}

/// PHP 8's loose `==` between a request string (or number) and a cleaned value: numeric
/// strings and numbers compare as numbers, anything else as strings.
pub fn php_loose_eq(a: &Value, b: &Value) -> bool {
    let numeric = |v: &Value| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if php_is_numeric_str(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match (a, b) {
        (Value::String(x), Value::String(y)) => match (numeric(a), numeric(b)) {
            (Some(p), Some(q)) => p == q,
            _ => x == y,
        },
        _ => match (numeric(a), numeric(b)) {
            (Some(p), Some(q)) => p == q,
            _ => php_string(a) == php_string(b),
        },
    }
}
