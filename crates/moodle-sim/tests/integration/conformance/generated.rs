//! Values a site generates for itself and placeholders inside strings: how the walk
//! (`walk.rs`) compares a value listed in `rules::FORMAT_RULES` (by its form) and a recorded
//! string holding one of `rules::EMBEDDED_PLACEHOLDERS` (the placeholder stands for a run of
//! the characters Moodle makes that value from).

use serde_json::Value;

use super::rules::{EMBEDDED_PLACEHOLDERS, Format};
use super::walk::{short, typed};

/// Whether `a` is `e` with each embedded placeholder standing for a non-empty run of its
/// characters.
pub fn embedded_match(e: &str, a: &str) -> bool {
    let next = EMBEDDED_PLACEHOLDERS
        .iter()
        .filter_map(|p| e.find(p.text).map(|i| (i, p)))
        .min_by_key(|(i, _)| *i);
    let Some((i, p)) = next else {
        return e == a;
    };
    let Some(rest) = a.strip_prefix(&e[..i]) else {
        return false;
    };
    let tail = &e[i + p.text.len()..];
    let run = rest
        .char_indices()
        .find(|(_, c)| !(p.chars)(*c))
        .map_or(rest.len(), |(j, _)| j);
    (1..=run)
        .rev()
        .any(|len| embedded_match(tail, &rest[len..]))
}

/// How a generated value differs from the form it must have, if it does.
pub fn format_difference(format: Format, e: &Value, a: &Value) -> Option<String> {
    let ok = match (format, e, a) {
        (Format::Hex(n), _, Value::String(a)) => {
            a.len() == n
                && a.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        }
        (Format::Alnum(n), _, Value::String(a)) => {
            a.len() == n && a.bytes().all(|b| b.is_ascii_alphanumeric())
        }
        (Format::Base64UrlSameLength, Value::String(e), Value::String(a)) => {
            e.len() == a.len()
                && a.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        }
        (Format::PhpUploadTmpName, Value::String(e), Value::String(a)) => {
            let tmp = |s: &str| {
                s.strip_prefix("/tmp/php")
                    .is_some_and(|t| t.len() == 6 && t.bytes().all(|b| b.is_ascii_alphanumeric()))
            };
            if tmp(e) { tmp(a) } else { e == a }
        }
        (Format::RandomDigits, Value::Number(_), Value::Number(_)) => true,
        (Format::RandomDigits, Value::String(e), Value::String(a)) => {
            // The last run of digits is the random part; the rest must match.
            let blank = |s: &str| {
                let end = s.rfind(|c: char| c.is_ascii_digit()).map_or(0, |i| i + 1);
                let start = s[..end]
                    .rfind(|c: char| !c.is_ascii_digit())
                    .map_or(0, |i| i + 1);
                format!("{}#{}", &s[..start], &s[end..])
            };
            blank(e) == blank(a)
        }
        _ => false,
    };
    (!ok).then(|| {
        format!(
            "expected a value of the form {format:?} (generated per site) like {}, actual {}",
            short(e),
            typed(a)
        )
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::conformance::rules::SeedTimes;
    use crate::conformance::walk::Walk;

    fn diffs(endpoint: &str, expected: Value, actual: Value) -> Vec<String> {
        let mut out = Vec::new();
        Walk {
            endpoint,
            seed_times: SeedTimes::Recorded,
            day_shift: &std::cell::Cell::new(None),
        }
        .compare(&expected, &actual, &mut out);
        out
    }

    #[test]
    fn an_embedded_session_key_matches_a_run_of_its_characters_only() {
        let e = json!({"return_url": "http://h/return.php?course=2&sesskey=<SESSKEY>"});
        assert!(
            diffs(
                "/mod/lti/auth.php",
                e.clone(),
                json!({"return_url": "http://h/return.php?course=2&sesskey=Ab3dEf9hIj"})
            )
            .is_empty()
        );
        assert_eq!(
            diffs(
                "/mod/lti/auth.php",
                e.clone(),
                json!({"return_url": "http://h/return.php?course=2&sesskey="})
            )
            .len(),
            1
        );
        assert_eq!(
            diffs(
                "/mod/lti/auth.php",
                e,
                json!({"return_url": "http://h/return.php?course=3&sesskey=x"})
            )
            .len(),
            1
        );
        assert!(embedded_match("a?t=<REGISTRATION_TOKEN>&b", "a?t=x.y-z_&b"));
    }

    #[test]
    fn a_generated_value_is_compared_by_its_form_where_listed() {
        let e = json!({"kid": "16a44423db2ba42d6f2b", "launchid": "ltilaunch1_663297880"});
        let a = json!({"kid": "22c3c7be410a87af85b8", "launchid": "ltilaunch1_12"});
        assert!(diffs("/mod/lti/auth.php", e.clone(), a.clone()).is_empty());
        assert_eq!(
            diffs("core_x", e.clone(), a).len(),
            2,
            "only on the LTI endpoints"
        );
        let bad = json!({"kid": "not-hex", "launchid": "ltilaunch2_1"});
        assert_eq!(diffs("/mod/lti/auth.php", e, bad).len(), 2);
    }

    #[test]
    fn an_upload_tmp_name_is_compared_by_form_and_a_stored_path_exactly() {
        let e = json!([{"filepath": "/tmp/phpyMSMiB"}, {"filepath": "/week1/"}]);
        let a = json!([{"filepath": "/tmp/phpAb12Cd"}, {"filepath": "/week1/"}]);
        assert!(diffs("/webservice/upload.php", e.clone(), a).is_empty());
        let bad = json!([{"filepath": "/tmp/x"}, {"filepath": "/week2/"}]);
        assert_eq!(diffs("/webservice/upload.php", e, bad).len(), 2);
    }
}
