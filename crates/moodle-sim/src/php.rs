//! PHP's request-variable parsing (`$_GET`/`$_POST`, `parse_str`), so the stand-in reads
//! `courses[0][fullname]=…` exactly as Moodle does.
//!
//! Moodle never sees the raw form body: PHP turns it into nested arrays first
//! (`main/php_variables.c`, `php_register_variable_ex`). This module reproduces that:
//! bracketed names build nested arrays, `[]` appends, decimal integer keys become
//! integer keys, `.` and ` ` in the top-level name become `_`, later values overwrite
//! earlier ones, and input beyond `max_input_vars` is dropped.

use indexmap::IndexMap;

/// The `max_input_vars` Moodle requires on PHP 8 (admin/environment.xml).
pub const MAX_INPUT_VARS: usize = 5000;
/// PHP's default `max_input_nesting_level`.
const MAX_NESTING: usize = 64;

/// A key of a PHP array: integer or string, as PHP normalises it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PhpKey {
    /// A decimal integer key (`"12"` becomes `12`).
    Int(i64),
    /// Any other key.
    Str(String),
}

impl PhpKey {
    /// Normalises a key the way PHP's `ZEND_HANDLE_NUMERIC_STR` does.
    pub fn normalise(s: &str) -> Self {
        match parse_php_int(s) {
            Some(i) => PhpKey::Int(i),
            None => PhpKey::Str(s.to_owned()),
        }
    }

    /// The key as PHP prints it.
    pub fn as_string(&self) -> String {
        match self {
            PhpKey::Int(i) => i.to_string(),
            PhpKey::Str(s) => s.clone(),
        }
    }
}

/// A canonical decimal integer string: optional `-`, no leading zeros, fits in i64.
fn parse_php_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return None;
    }
    if s == "-0" {
        return None;
    }
    s.parse::<i64>().ok()
}

/// A PHP array with insertion order, as PHP keeps it.
pub type PhpArray = IndexMap<PhpKey, PhpValue>;

/// A request variable: a string or a nested array.
#[derive(Debug, Clone, PartialEq)]
pub enum PhpValue {
    /// A scalar value (always a string in a request).
    Str(String),
    /// A nested array.
    Array(PhpArray),
}

impl PhpValue {
    /// The string value, if this is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            PhpValue::Str(s) => Some(s),
            PhpValue::Array(_) => None,
        }
    }

    /// PHP's `print_r` rendering, used in Moodle's "Only arrays accepted" message.
    pub fn print_r(&self) -> String {
        match self {
            PhpValue::Str(s) => s.clone(),
            PhpValue::Array(_) => "Array".to_owned(),
        }
    }
}

/// Parses an `application/x-www-form-urlencoded` body or a query string into `vars`,
/// overwriting variables already present (so parse `$_GET` first, then `$_POST`).
pub fn parse_into(vars: &mut PhpArray, input: &[u8]) {
    for (name, value) in form_urlencoded::parse(input) {
        if vars_count(vars) >= MAX_INPUT_VARS {
            break;
        }
        register(vars, &name, PhpValue::Str(value.into_owned()));
    }
}

/// Parses a query string or form body into a fresh array.
pub fn parse(input: &[u8]) -> PhpArray {
    let mut vars = PhpArray::new();
    parse_into(&mut vars, input);
    vars
}

fn vars_count(vars: &PhpArray) -> usize {
    vars.values()
        .map(|v| match v {
            PhpValue::Str(_) => 1,
            PhpValue::Array(a) => vars_count(a).max(1),
        })
        .sum()
}

/// Registers one variable under a possibly bracketed name (`php_register_variable_ex`).
pub fn register(vars: &mut PhpArray, raw_name: &str, value: PhpValue) {
    // PHP ignores leading spaces in variable names.
    let name = raw_name.trim_start_matches(' ');
    // PHP stops at a NUL byte.
    let name = name.split('\0').next().unwrap_or_default();
    if name.is_empty() {
        return;
    }
    let (top, indices) = split_name(name);
    if top.is_empty() {
        return;
    }
    let top_key = PhpKey::Str(top);
    match indices {
        None => {
            vars.insert(top_key, value);
        }
        Some(indices) => {
            if indices.len() > MAX_NESTING {
                return;
            }
            insert_path(vars, top_key, &indices, value);
        }
    }
}

/// Splits `a.b[x][]` into (`a_b`, `[Some("x"), None]`). A `[` without a closing `]` in the
/// top-level part is kept literally (as `_`), and everything after it too.
fn split_name(name: &str) -> (String, Option<Vec<Option<String>>>) {
    let mut top = String::new();
    let bytes: Vec<char> = name.chars().collect();
    let mut i = 0;
    let mut first_bracket = None;
    while i < bytes.len() {
        let c = bytes[i];
        if c == '[' {
            if bytes[i + 1..].contains(&']') {
                first_bracket = Some(i);
                break;
            }
            // Unmatched '[': PHP turns it into '_' and stops converting.
            top.push('_');
            top.extend(&bytes[i + 1..]);
            return (top, None);
        }
        top.push(if c == ' ' || c == '.' { '_' } else { c });
        i += 1;
    }
    let Some(start) = first_bracket else {
        return (top, None);
    };
    let mut indices = Vec::new();
    let mut i = start;
    while i < bytes.len() && bytes[i] == '[' {
        let Some(close) = bytes[i + 1..].iter().position(|&c| c == ']') else {
            break;
        };
        let inner: String = bytes[i + 1..i + 1 + close].iter().collect();
        // PHP skips one blank after `[` before looking for `]`: `[ ]` appends too.
        let append = inner.is_empty() || matches!(inner.as_str(), " " | "\t" | "\r" | "\n");
        indices.push(if append { None } else { Some(inner) });
        i = i + 1 + close + 1;
        // PHP ignores anything between `]` and the next `[`.
        if i < bytes.len() && bytes[i] != '[' {
            break;
        }
    }
    (top, Some(indices))
}

fn insert_path(array: &mut PhpArray, key: PhpKey, rest: &[Option<String>], value: PhpValue) {
    let Some((next, tail)) = rest.split_first() else {
        array.insert(key, value);
        return;
    };
    let slot = array
        .entry(key)
        .or_insert_with(|| PhpValue::Array(PhpArray::new()));
    if !matches!(slot, PhpValue::Array(_)) {
        *slot = PhpValue::Array(PhpArray::new());
    }
    let PhpValue::Array(inner) = slot else {
        return;
    };
    let next_key = match next {
        Some(k) => PhpKey::normalise(k),
        None => PhpKey::Int(next_index(inner)),
    };
    insert_path(inner, next_key, tail, value);
}

/// PHP's next free integer index: one past the largest integer key, at least 0.
pub fn next_index(array: &PhpArray) -> i64 {
    array
        .keys()
        .filter_map(|k| match k {
            PhpKey::Int(i) => Some(*i),
            PhpKey::Str(_) => None,
        })
        .max()
        .map_or(0, |m| m.saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> PhpValue {
        PhpValue::Str(v.to_owned())
    }

    #[test]
    fn bracket_names_build_nested_arrays_with_integer_keys() {
        let vars = parse(b"courses[0][fullname]=A&courses[0][shortname]=B&courses[1][fullname]=C");
        let PhpValue::Array(courses) = &vars[&PhpKey::Str("courses".into())] else {
            panic!("courses is not an array")
        };
        assert_eq!(courses.len(), 2);
        let PhpValue::Array(first) = &courses[&PhpKey::Int(0)] else {
            panic!("courses[0] is not an array")
        };
        assert_eq!(first[&PhpKey::Str("fullname".into())], s("A"));
        assert_eq!(first[&PhpKey::Str("shortname".into())], s("B"));
    }

    #[test]
    fn empty_brackets_append_after_the_largest_integer_key() {
        let vars = parse(b"v[5]=a&v[]=b&v[x]=c&v[]=d");
        let PhpValue::Array(v) = &vars[&PhpKey::Str("v".into())] else {
            panic!()
        };
        let keys: Vec<_> = v.keys().cloned().collect();
        assert_eq!(
            keys,
            vec![
                PhpKey::Int(5),
                PhpKey::Int(6),
                PhpKey::Str("x".into()),
                PhpKey::Int(7)
            ]
        );
    }

    #[test]
    fn a_single_blank_index_appends_but_longer_blank_keys_stay() {
        let vars = parse(b"x[%20]=a&x[%20%20]=b&y[%20k]=c");
        let PhpValue::Array(x) = &vars[&PhpKey::Str("x".into())] else {
            panic!()
        };
        let keys: Vec<_> = x.keys().cloned().collect();
        assert_eq!(keys, vec![PhpKey::Int(0), PhpKey::Str("  ".into())]);
        let PhpValue::Array(y) = &vars[&PhpKey::Str("y".into())] else {
            panic!()
        };
        assert!(y.contains_key(&PhpKey::Str(" k".into())));
    }

    #[test]
    fn non_canonical_numbers_stay_string_keys() {
        for (raw, key) in [
            ("05", PhpKey::Str("05".into())),
            ("-3", PhpKey::Int(-3)),
            ("-0", PhpKey::Str("-0".into())),
            ("+1", PhpKey::Str("+1".into())),
            (
                "99999999999999999999",
                PhpKey::Str("99999999999999999999".into()),
            ),
        ] {
            assert_eq!(PhpKey::normalise(raw), key, "{raw}");
        }
    }

    #[test]
    fn dots_and_spaces_in_top_level_names_become_underscores() {
        let vars = parse(b"a.b=1&c%20d=2&e[f.g]=3");
        assert!(vars.contains_key(&PhpKey::Str("a_b".into())));
        assert!(vars.contains_key(&PhpKey::Str("c_d".into())));
        let PhpValue::Array(e) = &vars[&PhpKey::Str("e".into())] else {
            panic!()
        };
        assert!(e.contains_key(&PhpKey::Str("f.g".into())));
    }

    #[test]
    fn unmatched_bracket_is_kept_literally() {
        let vars = parse(b"a[b=1");
        assert_eq!(vars[&PhpKey::Str("a_b".into())], s("1"));
    }

    #[test]
    fn later_values_overwrite_and_arrays_replace_scalars() {
        let vars = parse(b"a=1&a=2&b=1&b[x]=2");
        assert_eq!(vars[&PhpKey::Str("a".into())], s("2"));
        assert!(matches!(vars[&PhpKey::Str("b".into())], PhpValue::Array(_)));
    }

    #[test]
    fn plus_and_percent_escapes_are_decoded() {
        let vars = parse(b"q=a+b%26c%C3%A9");
        assert_eq!(vars[&PhpKey::Str("q".into())], s("a b&cé"));
    }
}
