//! Spelling differences that are no differences: the replayed site's URL written as the
//! recorded site's, and (against a site seeded at its own time) the times fixed at seeding
//! blanked inside texts.

use serde_json::Value;

/// The site's wwwroot in the spellings a body may hold it: plain, JSON-escaped (inside
/// strings that hold JSON) and URL-encoded; each paired with the recorded site's spelling.
fn url_spellings(site_url: &str, recorded: &str) -> Vec<(String, String)> {
    let escaped = |u: &str| u.replace('/', "\\/");
    let encoded = |u: &str| form_urlencoded::byte_serialize(u.as_bytes()).collect::<String>();
    vec![
        (site_url.to_owned(), recorded.to_owned()),
        (escaped(site_url), escaped(recorded)),
        (encoded(site_url), encoded(recorded)),
    ]
}

/// A text with the site's wwwroot written as the recorded site's (`recorded`), wherever it is
/// not followed by another digit (port 4123 must not match 41234).
pub fn normalise_url(text: &str, site_url: &str, recorded: &str) -> String {
    let mut text = text.to_owned();
    for (from, to) in url_spellings(site_url, recorded) {
        if from == to || !text.contains(&from) {
            continue;
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(i) = rest.find(&from) {
            let after = &rest[i + from.len()..];
            out.push_str(&rest[..i]);
            out.push_str(if after.starts_with(|c: char| c.is_ascii_digit()) {
                &from
            } else {
                &to
            });
            rest = after;
        }
        out.push_str(rest);
        text = out;
    }
    text
}

/// Every string of a body with the site's wwwroot written as the recorded site's.
pub fn normalise_urls(v: &mut Value, site_url: &str, recorded: &str) {
    match v {
        Value::String(s) => *s = normalise_url(s, site_url, recorded),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|i| normalise_urls(i, site_url, recorded)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|i| normalise_urls(i, site_url, recorded)),
        _ => {}
    }
}

/// A text with the times fixed at seeding blanked: theme revisions and written-out dates.
pub fn mask_seed_times(s: &str) -> String {
    mask_written_dates(&mask_theme_revision(s))
}

/// A text with dates in Moodle's `strftimerecentfull` form ("Sat, 21 Nov 2026, 11:19 PM") blanked.
fn mask_written_dates(s: &str) -> String {
    const DAYS: [&str; 7] = [
        "Mon, ", "Tue, ", "Wed, ", "Thu, ", "Fri, ", "Sat, ", "Sun, ",
    ];
    let mut out = String::new();
    let mut rest = s;
    loop {
        let next = DAYS.iter().filter_map(|d| rest.find(d)).min();
        let Some(i) = next else { break };
        out.push_str(&rest[..i]);
        let date = &rest[i..];
        match written_date_len(date) {
            Some(len) => {
                out.push_str("DATE");
                rest = &date[len..];
            }
            None => {
                out.push_str(&date[..5]);
                rest = &date[5..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The length of a `D, d Mon YYYY, h:mm AM` date at the start of a text.
fn written_date_len(s: &str) -> Option<usize> {
    fn digits(s: &str, min: usize, max: usize) -> Option<&str> {
        let n = s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        (min..=max).contains(&n).then(|| &s[n..])
    }
    fn letters(s: &str, n: usize) -> Option<&str> {
        s.get(..n)?
            .chars()
            .all(|c| c.is_ascii_alphabetic())
            .then(|| &s[n..])
    }
    let rest = s.get(5..)?;
    let rest = digits(rest, 1, 2)?.strip_prefix(' ')?;
    let rest = letters(rest, 3)?.strip_prefix(' ')?;
    let rest = digits(rest, 4, 4)?.strip_prefix(", ")?;
    let rest = digits(rest, 1, 2)?.strip_prefix(':')?;
    let rest = digits(rest, 2, 2)?.strip_prefix(' ')?;
    let rest = rest
        .strip_prefix("AM")
        .or_else(|| rest.strip_prefix("PM"))?;
    Some(s.len() - rest.len())
}

/// A text with the revision of theme image URLs (`/theme/image.php/boost/core/<rev>/u/f1`,
/// `$CFG->themerev`, the time caches were last purged) blanked.
fn mask_theme_revision(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("image.php") {
        let (head, tail) = rest.split_at(i + "image.php".len());
        out.push_str(head);
        rest = tail;
        // Three separators (plain or JSON-escaped) then the revision: /theme/component/REV/.
        let mut cursor = rest;
        let mut ok = true;
        for n in 0..3 {
            let Some(after) = cursor
                .strip_prefix("\\/")
                .or_else(|| cursor.strip_prefix('/'))
            else {
                ok = false;
                break;
            };
            cursor = if n < 2 {
                after.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_')
            } else {
                after
            };
        }
        let digits = cursor.len()
            - cursor
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .len();
        if ok && digits > 0 {
            out.push_str(&rest[..rest.len() - cursor.len()]);
            out.push_str("REV");
            rest = &cursor[digits..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: &str = "http://127.0.0.1:41234";
    const RECORDED: &str = "http://127.0.0.1:8081";

    #[test]
    fn the_site_url_is_replaced_only_when_no_digit_follows() {
        assert_eq!(
            normalise_url("a http://127.0.0.1:41234/x", SITE, RECORDED),
            "a http://127.0.0.1:8081/x"
        );
        assert_eq!(
            normalise_url(r"http:\/\/127.0.0.1:41234\/x", SITE, RECORDED),
            r"http:\/\/127.0.0.1:8081\/x"
        );
        assert_eq!(
            normalise_url("http://127.0.0.1:412345/", SITE, RECORDED),
            "http://127.0.0.1:412345/"
        );
    }

    #[test]
    fn a_written_out_date_and_a_theme_revision_are_blanked() {
        assert_eq!(
            mask_seed_times("submitted at Sat, 21 Nov 2026, 11:19 PM\n\nIt is, Sun, 1 x"),
            "submitted at DATE\n\nIt is, Sun, 1 x"
        );
        assert_eq!(
            mask_seed_times(
                r"http:\/\/h\/theme\/image.php\/boost\/core\/1795303425\/u\/f1 /theme/image.php/boost/mod_assign/17/monologo"
            ),
            r"http:\/\/h\/theme\/image.php\/boost\/core\/REV\/u\/f1 /theme/image.php/boost/mod_assign/REV/monologo"
        );
        assert_eq!(
            mask_seed_times("/theme/image.php/boost/core/u/f1"),
            "/theme/image.php/boost/core/u/f1"
        );
    }
}
