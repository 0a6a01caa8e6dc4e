//! URLs as PARAM_URL and PARAM_LOCALURL see them (lib/classes/param.php,
//! lib/validateurlsyntax.php), with the script check that differs between Moodle 4.5 and 5.0.

use crate::version::MoodleVersion;

/// `validateUrlSyntax()` as PARAM_URL uses it: an http(s) or ftp(s) URL, or a scheme-less one
/// whose authority has no port that is not digits.
pub(super) fn is_valid_url(s: &str) -> bool {
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    match s.split_once("://") {
        Some((scheme, rest)) => {
            matches!(
                scheme.to_ascii_lowercase().as_str(),
                "http" | "https" | "ftp" | "ftps"
            ) && !rest.is_empty()
        }
        // Without a scheme, validateUrlSyntax() reads `x:y` before the path as host and port,
        // and a port is digits: `javascript:…`, `mailto:…`, `data:…` are not URLs.
        None => {
            let authority = s.split(['/', '?', '#']).next().unwrap_or_default();
            authority.rsplit_once(':').is_none_or(|(_, port)| {
                !port.is_empty() && port.chars().all(|c| c.is_ascii_digit())
            })
        }
    }
}

/// PARAM_LOCALURL: the site itself, root-relative, under the wwwroot, or a relative URL that
/// names no script scheme (`has_script`).
pub(super) fn clean_local_url(moodle: MoodleVersion, s: &str, wwwroot: &str) -> String {
    if !is_valid_url(s) {
        return String::new();
    }
    if s == wwwroot || s.starts_with('/') || s.starts_with(&format!("{wwwroot}/")) {
        return s.to_owned();
    }
    if s.contains("://") || has_script(moodle, &rawurldecode(s)) {
        String::new()
    } else {
        s.to_owned()
    }
}

/// Whether a relative local URL smuggles a script. 4.5's lib/classes/param.php refuses
/// `/javascript(?:.*\/{2,})?:/i`: `javascript` followed by `:`, directly or after a run of two
/// or more slashes; 5.0's refuses `/\bjavascript\b[\s\S]*?(?:\:|\/)/i`: the word
/// `javascript` with a `:` or `/` anywhere after it.
fn has_script(moodle: MoodleVersion, s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    lower.match_indices("javascript").any(|(i, m)| {
        let rest = &lower[i + m.len()..];
        if moodle.at_least_5_0() {
            !word(lower[..i].chars().next_back())
                && !word(rest.chars().next())
                && rest.contains([':', '/'])
        } else {
            rest.starts_with(':')
                || rest
                    .split('\n')
                    .next()
                    .unwrap_or_default()
                    .match_indices("//")
                    .any(|(j, _)| rest[j..].trim_start_matches('/').starts_with(':'))
        }
    })
}

/// PHP's `rawurldecode()`: `%XX` decoded, `+` kept.
fn rawurldecode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| char::from(c).to_digit(16);
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(u8::try_from(h * 16 + l).unwrap_or_default());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn javascript_in_a_relative_url_is_refused_by_each_versions_rule() {
        for v in MoodleVersion::ALL {
            assert!(has_script(v, "javascript:alert(1)"));
            assert!(!has_script(v, "course/view.php?id=2"));
        }
        assert!(has_script(MoodleVersion::V4_5, "javascript//x//:y"));
        // Only 5.0 refuses the word followed by a slash, and only 4.5 a run inside a word.
        assert!(!has_script(MoodleVersion::V4_5, "javascript/alert"));
        assert!(has_script(MoodleVersion::V5_0, "javascript/alert"));
        assert!(has_script(MoodleVersion::V4_5, "myjavascript:x"));
        assert!(!has_script(MoodleVersion::V5_0, "myjavascript:x"));
        assert_eq!(rawurldecode("java%73cript%3A+x"), "javascript:+x");
    }
}
