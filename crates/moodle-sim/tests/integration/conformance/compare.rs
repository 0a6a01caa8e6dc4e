//! The conformance comparator: whether an answer matches the recorded one — status, content
//! type, the headers that carry protocol data, and the body: bytes exactly, JSON and Moodle's
//! REST XML structurally (`walk.rs`, by the allowances of `rules.rs`), LTI forms, theme pages
//! and JWTs as `lti.rs` says, other text exactly — and where it does not. It carries the ids
//! the site generated from case to case. Requests are sent by `transcript.rs`.

use serde_json::Value;

use super::lti;
use super::normalise::{normalise_url, normalise_urls};
use super::rules::{GENERATED_IDS, SeedTimes};
use super::walk::{Walk, clip, made_day, short, text_difference};
use super::xml;
use crate::transcript::{Answer, IdMap, Record};

/// Compares the answers of one site with the recordings, carrying generated ids along.
pub struct Comparator {
    seed_times: SeedTimes,
    site_url: String,
    recorded_url: &'static str,
    /// Recorded generated ids and the site's counterparts.
    pub ids: IdMap,
    /// The key set the site published in `certs.php`, once seen.
    pub platform_jwks: Option<Value>,
    /// How many days after the recording the site made the replay's objects (`walk.rs`).
    day_shift: std::cell::Cell<Option<i64>>,
}

impl Comparator {
    /// A comparator for a site whose wwwroot is `site_url`, against recordings made on a site
    /// whose wwwroot was `recorded_url`.
    pub fn new(site_url: &str, recorded_url: &'static str, seed_times: SeedTimes) -> Comparator {
        Comparator {
            seed_times,
            site_url: site_url.trim_end_matches('/').to_owned(),
            recorded_url,
            ids: IdMap::default(),
            platform_jwks: None,
            day_shift: std::cell::Cell::new(None),
        }
    }

    /// Starts the day shift of [`DAY_RELATIVE_KEYS`](super::rules::DAY_RELATIVE_KEYS) at
    /// today (`now`, Unix seconds) less the day the recording made its courses on, for the
    /// cases before any answer shows both days (a student's view of a course has no times).
    pub fn expect_replay_day(&mut self, records: &[Record], now: i64) {
        let recorded = records
            .iter()
            .filter(|r| r.body_encoding == "utf-8")
            .filter_map(|r| serde_json::from_str::<Value>(&r.body).ok())
            .find_map(|body| made_day(&body));
        if let Some(day) = recorded {
            self.day_shift.set(Some(now - now.rem_euclid(86_400) - day));
        }
    }

    /// The site's wwwroot.
    pub fn site_url(&self) -> &str {
        &self.site_url
    }

    /// The recorded site's wwwroot.
    pub fn recorded_url(&self) -> &'static str {
        self.recorded_url
    }

    /// The differences between an answer and its record, one line each; empty when it matches.
    pub fn compare(&mut self, record: &Record, answer: &Answer) -> Vec<String> {
        let mut out = Vec::new();
        if record.status != answer.status {
            out.push(format!(
                "status: expected {}, actual {}",
                record.status, answer.status
            ));
        }
        if record.content_type != answer.content_type {
            out.push(format!(
                "content type: expected {:?}, actual {:?}",
                record.content_type, answer.content_type
            ));
        }
        if record.path == "/mod/lti/certs.php" && answer.status == 200 {
            self.platform_jwks = serde_json::from_slice(&answer.body).ok();
        }
        lti::compare_headers(self, record, answer, &mut out);
        match record.body_encoding.as_str() {
            "base64" => compare_bytes(record, &answer.body, &mut out),
            "utf-8" => match std::str::from_utf8(&answer.body) {
                Ok(text) => self.compare_text(record, text, &mut out),
                Err(e) => out.push(format!("body: not UTF-8 ({e})")),
            },
            other => out.push(format!("recording: unknown body_encoding {other:?}")),
        }
        out
    }

    fn compare_text(&mut self, record: &Record, text: &str, out: &mut Vec<String>) {
        let endpoint = record.endpoint();
        if record.form.is_some() {
            return lti::compare_form(self, record, text, out);
        }
        if record.body.starts_with("<!DOCTYPE html") {
            return lti::compare_page(self, record, text, out);
        }
        if let Ok(expected) = serde_json::from_str::<Value>(&record.body) {
            match serde_json::from_str::<Value>(text) {
                Ok(actual) => self.compare_values(endpoint, expected, actual, out),
                Err(e) => out.push(format!(
                    "body: expected JSON, actual is not ({e}): {}",
                    clip(text)
                )),
            }
        } else if record.body.starts_with("<?xml") {
            let expected = match xml::parse(&record.body) {
                Ok(v) => v,
                Err(e) => return out.push(format!("recording: body is not Moodle REST XML: {e}")),
            };
            match xml::parse(text) {
                Ok(actual) if actual.root != expected.root => out.push(format!(
                    "xml: expected <{}>, actual <{}> {}",
                    expected.root,
                    actual.root,
                    clip(&actual.value.to_string())
                )),
                Ok(actual) => self.compare_values(endpoint, expected.value, actual.value, out),
                Err(e) => out.push(format!(
                    "body: expected Moodle REST XML, actual is not ({e}): {}",
                    clip(text)
                )),
            }
        } else {
            let actual = normalise_url(text, &self.site_url, self.recorded_url);
            let expected = self.ids.apply(&record.body);
            if actual != expected {
                out.push(text_difference(&expected, &actual));
            }
        }
    }

    /// Compares two decoded bodies (JSON, or XML read into the same shape).
    pub fn compare_values(
        &mut self,
        endpoint: &str,
        expected: Value,
        mut actual: Value,
        out: &mut Vec<String>,
    ) {
        normalise_urls(&mut actual, &self.site_url, self.recorded_url);
        self.harvest_ids(endpoint, &expected, &actual);
        let expected = map_ids(&expected, &self.ids);
        match (error_summary(&expected), error_summary(&actual)) {
            (None, Some(actual_error)) => {
                return out.push(format!(
                    "body: expected a result, actual error {actual_error}"
                ));
            }
            (Some(expected_error), None) => {
                return out.push(format!(
                    "body: expected error {expected_error}, actual {}",
                    short(&actual)
                ));
            }
            _ => {}
        }
        let walk = Walk {
            endpoint,
            seed_times: self.seed_times,
            day_shift: &self.day_shift,
        };
        walk.compare(&expected, &actual, out);
    }

    /// Learns the site's draft item ids from a body where the recording has generated ones.
    fn harvest_ids(&mut self, endpoint: &str, expected: &Value, actual: &Value) {
        for generated in GENERATED_IDS.iter().filter(|g| g.at == endpoint) {
            let mut pairs = Vec::new();
            pairs_at(generated.path, expected, actual, &mut pairs);
            for (e, a) in pairs {
                let (Some(e), Some(a)) = (as_id(e), as_id(a)) else {
                    continue;
                };
                let (e, a) = (e.to_string(), a.to_string());
                // A new id must be positive and not yet stand for another recorded id.
                if self.ids.get(&e).is_none()
                    && a.parse::<i64>().is_ok_and(|n| n > 0)
                    && !self.ids.is_target(&a)
                {
                    self.ids.insert(e, a);
                }
            }
        }
    }
}

/// An id as JSON gives it (a number) or XML does (a string of digits).
fn as_id(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) if s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        _ => None,
    }
}

/// The values at a path in both bodies, walking `[]` through indices present in both.
fn pairs_at<'a>(path: &[&str], e: &'a Value, a: &'a Value, out: &mut Vec<(&'a Value, &'a Value)>) {
    let Some((first, rest)) = path.split_first() else {
        return out.push((e, a));
    };
    match (*first, e, a) {
        ("[]", Value::Array(e), Value::Array(a)) => {
            for (e, a) in e.iter().zip(a) {
                pairs_at(rest, e, a, out);
            }
        }
        (key, Value::Object(e), Value::Object(a)) => {
            if let (Some(e), Some(a)) = (e.get(key), a.get(key)) {
                pairs_at(rest, e, a, out);
            }
        }
        _ => {}
    }
}

/// The recorded body with recorded draft item ids replaced by the site's.
fn map_ids(v: &Value, ids: &IdMap) -> Value {
    match v {
        Value::Number(n) => match n
            .as_i64()
            .and_then(|n| ids.get(&n.to_string())?.parse::<i64>().ok())
        {
            Some(mapped) => Value::from(mapped),
            None => v.clone(),
        },
        Value::String(s) => Value::String(ids.apply(s)),
        Value::Array(items) => Value::Array(items.iter().map(|i| map_ids(i, ids)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, i)| (k.clone(), map_ids(i, ids)))
                .collect(),
        ),
        _ => v.clone(),
    }
}

/// `errorcode: message` of a REST exception or an endpoint error body.
fn error_summary(v: &Value) -> Option<String> {
    let o = v.as_object()?;
    let code = o.get("errorcode")?;
    let message = o.get("message").or_else(|| o.get("error"))?;
    (o.contains_key("exception") || o.contains_key("error")).then(|| format!("{code}: {message}"))
}

fn compare_bytes(record: &Record, actual: &[u8], out: &mut Vec<String>) {
    use base64::Engine as _;
    let expected = match base64::engine::general_purpose::STANDARD.decode(record.body.trim()) {
        Ok(b) => b,
        Err(e) => return out.push(format!("recording: body is not base64: {e}")),
    };
    if expected != actual {
        let at = expected.iter().zip(actual).position(|(e, a)| e != a);
        let at = at.unwrap_or(expected.len().min(actual.len()));
        out.push(format!(
            "body: {} bytes expected, {} actual, first difference at byte {at}",
            expected.len(),
            actual.len()
        ));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SITE: &str = "http://127.0.0.1:41234";
    const RECORDED: &str = "http://127.0.0.1:8081";

    fn diffs(endpoint: &str, expected: Value, actual: Value) -> Vec<String> {
        let mut c = Comparator::new(SITE, RECORDED, SeedTimes::Recorded);
        let mut out = Vec::new();
        c.compare_values(endpoint, expected, actual, &mut out);
        out
    }

    #[test]
    fn a_seed_time_is_exact_against_the_stand_in_and_by_type_against_a_real_site() {
        let (e, a) = (
            json!({"duedate": 1796512756}),
            json!({"duedate": 1796512757}),
        );
        assert_eq!(diffs("f", e.clone(), a.clone()).len(), 1);
        let mut real = Comparator::new(SITE, RECORDED, SeedTimes::Own);
        let mut out = Vec::new();
        real.compare_values("f", e, a, &mut out);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn the_site_url_is_normalised_in_plain_escaped_and_encoded_forms() {
        let e = json!({"u": "http://127.0.0.1:8081/x", "s": r#"{"baseurl":"http:\/\/127.0.0.1:8081\/course"}"#, "w": "a?u=http%3A%2F%2F127.0.0.1%3A8081"});
        let a = json!({"u": "http://127.0.0.1:41234/x", "s": r#"{"baseurl":"http:\/\/127.0.0.1:41234\/course"}"#, "w": "a?u=http%3A%2F%2F127.0.0.1%3A41234"});
        assert!(diffs("f", e, a).is_empty());
        assert_eq!(
            diffs(
                "f",
                json!("http://127.0.0.1:8081/x"),
                json!("http://127.0.0.1:41235/x")
            )
            .len(),
            1
        );
    }

    #[test]
    fn a_generated_draft_id_is_carried_into_later_bodies() {
        let mut c = Comparator::new(SITE, RECORDED, SeedTimes::Recorded);
        let mut out = Vec::new();
        let e = json!({"itemid": 493234851, "url": "http://127.0.0.1:8081/draftfile.php/17/user/draft/493234851/a.txt"});
        let a = json!({"itemid": 777, "url": "http://127.0.0.1:41234/draftfile.php/17/user/draft/777/a.txt"});
        c.compare_values("core_files_upload", e.clone(), a, &mut out);
        assert!(out.is_empty(), "{out:?}");
        assert_eq!(c.ids.get("493234851"), Some("777"));
        // A later answer must reuse the site's id, not the recorded one or a new one.
        let b = json!({"itemid": 778, "url": "http://127.0.0.1:41234/draftfile.php/17/user/draft/777/a.txt"});
        c.compare_values("core_files_upload", e, b, &mut out);
        assert_eq!(out, vec!["$.itemid: expected 777, actual 778"]);
    }

    #[test]
    fn an_id_is_not_carried_from_a_field_not_listed_as_generated() {
        let d = diffs(
            "core_files_get_files",
            json!({"itemid": 493234851}),
            json!({"itemid": 777}),
        );
        assert_eq!(d, vec!["$.itemid: expected 493234851, actual 777"]);
    }

    #[test]
    fn an_error_instead_of_a_result_is_one_line() {
        let d = diffs(
            "f",
            json!({"courses": [], "warnings": []}),
            json!({"exception": "x", "errorcode": "invalidrecord", "message": "m"}),
        );
        assert_eq!(
            d,
            vec![r#"body: expected a result, actual error "invalidrecord": "m""#]
        );
    }

    #[test]
    fn a_written_out_seeding_date_is_masked_only_for_a_site_seeded_at_its_own_time() {
        let (e, a) = (
            json!("at Sat, 21 Nov 2026, 11:19 PM."),
            json!("at Sun, 22 Nov 2026, 1:00 AM."),
        );
        assert_eq!(diffs("f", e.clone(), a.clone()).len(), 1);
        let mut real = Comparator::new(SITE, RECORDED, SeedTimes::Own);
        let mut out = Vec::new();
        real.compare_values("f", e, json!("at Sun, 22 Nov 2026, 1:00 AM!"), &mut out);
        assert_eq!(out.len(), 1, "the text around the date still counts");
        out.clear();
        real.compare_values("f", json!("at Sat, 21 Nov 2026, 11:19 PM."), a, &mut out);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn the_theme_revision_is_masked_only_for_a_site_seeded_at_its_own_time() {
        let (e, a) = (
            json!("http://127.0.0.1:8081/theme/image.php/boost/core/1795303425/u/f1"),
            json!("http://127.0.0.1:41234/theme/image.php/boost/core/1795309999/u/f1"),
        );
        assert_eq!(diffs("f", e.clone(), a.clone()).len(), 1);
        let mut real = Comparator::new(SITE, RECORDED, SeedTimes::Own);
        let mut out = Vec::new();
        real.compare_values("f", e, a, &mut out);
        assert!(out.is_empty(), "{out:?}");
    }
}
