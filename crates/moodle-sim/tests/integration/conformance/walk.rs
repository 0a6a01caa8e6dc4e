//! The structural comparison of two decoded bodies (JSON, or XML read into the same shape):
//! same keys at every depth, same value types, same values, except where `rules.rs` allows,
//! with lists compared in order unless listed as unordered; and the one-line descriptions of
//! the differences, each with its JSON path.

use std::cell::Cell;

use serde_json::{Map, Value};

use super::generated::{embedded_match, format_difference};
use super::normalise::mask_seed_times;
use super::rules::{
    DAY_ANCHOR_KEYS, DAY_RELATIVE_KEYS, FORMAT_RULES, PLACEHOLDERS, SEED_TIME_KEYS, SeedTimes,
    TIMESTAMP_KEYS, TIMESTAMP_PREFERENCES, UNORDERED_LISTS,
};

/// One step of a path into a body.
#[derive(Clone)]
enum Seg {
    Key(String),
    Index(usize),
    Id(String),
    /// Into the JSON held by a string.
    Json,
}

fn display(path: &[Seg]) -> String {
    let mut s = String::from("$");
    for seg in path {
        match seg {
            Seg::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
            Seg::Id(id) => s.push_str(&format!("[id={id}]")),
            Seg::Json => s.push_str("<json>"),
        }
    }
    s
}

fn path_matches(pattern: &[&str], path: &[Seg]) -> bool {
    pattern.len() == path.len()
        && pattern.iter().zip(path).all(|(p, seg)| match seg {
            Seg::Key(k) => p == k,
            Seg::Index(_) | Seg::Id(_) => *p == "[]",
            Seg::Json => false,
        })
}

/// A comparison of two bodies of one function's answer.
pub struct Walk<'a> {
    /// The function (or endpoint path) that answered; unordered lists are keyed by it.
    pub endpoint: &'a str,
    /// How times fixed at seeding are compared.
    pub seed_times: SeedTimes,
    /// How many days after the recording the replay made its objects, once learned from an
    /// object with an anchor time (see [`DAY_RELATIVE_KEYS`]); carried from case to case.
    pub day_shift: &'a Cell<Option<i64>>,
}

impl Walk<'_> {
    /// Appends one line per difference between a recorded body and an actual one.
    pub fn compare(&self, expected: &Value, actual: &Value, out: &mut Vec<String>) {
        self.value(&mut Vec::new(), expected, actual, None, out);
    }

    /// How a value under `key` is compared: by type only for times.
    fn type_only(&self, key: Option<&str>, parent: Option<&Map<String, Value>>) -> bool {
        let Some(key) = key else { return false };
        let is = |list: &[(&str, &str)], k: &str| list.iter().any(|(name, _)| *name == k);
        if is(TIMESTAMP_KEYS, key) || (self.seed_times == SeedTimes::Own && is(SEED_TIME_KEYS, key))
        {
            return true;
        }
        key == "value"
            && parent
                .and_then(|p| p.get("name"))
                .and_then(Value::as_str)
                .is_some_and(|name| is(TIMESTAMP_PREFERENCES, name))
    }

    fn value(
        &self,
        path: &mut Vec<Seg>,
        e: &Value,
        a: &Value,
        parent: Option<&Map<String, Value>>,
        out: &mut Vec<String>,
    ) {
        let key = match path.last() {
            Some(Seg::Key(k)) => Some(k.clone()),
            _ => None,
        };
        if let Some(rule) = key.as_deref().and_then(|k| {
            FORMAT_RULES
                .iter()
                .find(|r| r.key == k && self.endpoint.starts_with(r.at))
        }) {
            if let Some(problem) = format_difference(rule.format, e, a) {
                out.push(format!("{}: {problem}", display(path)));
            }
            return;
        }
        if self.type_only(key.as_deref(), parent) {
            if type_name(e) != type_name(a) {
                out.push(format!(
                    "{}: expected {}, actual {}",
                    display(path),
                    typed(e),
                    typed(a)
                ));
            }
            return;
        }
        match (e, a) {
            (Value::Object(e), Value::Object(a)) => self.object(path, e, a, out),
            (Value::Array(e), Value::Array(a)) => match UNORDERED_LISTS
                .iter()
                .find(|u| u.function == self.endpoint && path_matches(u.path, path))
            {
                Some(u) => self.by_id(path, u.id, e, a, out),
                None => self.in_order(path, e, a, out),
            },
            (Value::String(e), Value::String(a)) => self.string(path, e, a, out),
            (Value::Number(_), Value::Number(_))
            | (Value::Bool(_), Value::Bool(_))
            | (Value::Null, Value::Null) => {
                if e != a {
                    out.push(format!(
                        "{}: expected {}, actual {}",
                        display(path),
                        short(e),
                        short(a)
                    ));
                }
            }
            _ => out.push(format!(
                "{}: expected {}, actual {}",
                display(path),
                typed(e),
                typed(a)
            )),
        }
    }

    /// Whether a [`DAY_RELATIVE_KEYS`] value differs from the recorded one only by the day its
    /// object was made: the same offset from midnight (UTC, the sites' timezone) of each
    /// object's own anchor time — which teaches the replay's day shift — or, in an object
    /// without one (a student's course view), by the day shift learned earlier.
    fn same_day_offset(
        &self,
        key: &str,
        e_object: &Map<String, Value>,
        a_object: &Map<String, Value>,
        e: &Value,
        a: &Value,
    ) -> bool {
        if !DAY_RELATIVE_KEYS.iter().any(|(k, _)| *k == key) {
            return false;
        }
        let anchor = |object: &Map<String, Value>| {
            DAY_ANCHOR_KEYS
                .iter()
                .find_map(|k| object.get(*k).and_then(Value::as_i64))
                .map(|t| t - t.rem_euclid(86_400))
        };
        let (Some(e), Some(a)) = (e.as_i64(), a.as_i64()) else {
            return false;
        };
        if e == 0 {
            return false;
        }
        match (anchor(e_object), anchor(a_object)) {
            (Some(e_day), Some(a_day)) if e - e_day == a - a_day => {
                self.day_shift.set(Some(a_day - e_day));
                true
            }
            (Some(_), Some(_)) => false,
            _ => self.day_shift.get().is_some_and(|shift| a == e + shift),
        }
    }

    fn object(
        &self,
        path: &mut Vec<Seg>,
        e: &Map<String, Value>,
        a: &Map<String, Value>,
        out: &mut Vec<String>,
    ) {
        for (k, ev) in e {
            path.push(Seg::Key(k.clone()));
            match a.get(k) {
                Some(av) if self.same_day_offset(k, e, a, ev, av) => {}
                Some(av) => self.value(path, ev, av, Some(e), out),
                None => out.push(format!(
                    "{}: missing (expected {})",
                    display(path),
                    short(ev)
                )),
            }
            path.pop();
        }
        for (k, av) in a.iter().filter(|(k, _)| !e.contains_key(*k)) {
            path.push(Seg::Key(k.clone()));
            out.push(format!(
                "{}: unexpected key (actual {})",
                display(path),
                short(av)
            ));
            path.pop();
        }
    }

    fn in_order(&self, path: &mut Vec<Seg>, e: &[Value], a: &[Value], out: &mut Vec<String>) {
        if e.len() != a.len() {
            out.push(format!(
                "{}: expected {} items, actual {}",
                display(path),
                e.len(),
                a.len()
            ));
        }
        for (i, (ev, av)) in e.iter().zip(a).enumerate() {
            path.push(Seg::Index(i));
            self.value(path, ev, av, None, out);
            path.pop();
        }
    }

    fn by_id(
        &self,
        path: &mut Vec<Seg>,
        id: &str,
        e: &[Value],
        a: &[Value],
        out: &mut Vec<String>,
    ) {
        let at = display(path);
        let expected = keyed(e, id, &format!("{at}: expected"), out);
        let actual = keyed(a, id, &format!("{at}: actual"), out);
        for (k, ev) in &expected {
            path.push(Seg::Id(k.clone()));
            match actual.iter().find(|(ak, _)| ak == k) {
                Some((_, av)) => self.value(path, ev, av, None, out),
                None => out.push(format!("{}: missing", display(path))),
            }
            path.pop();
        }
        for (k, _) in actual
            .iter()
            .filter(|(k, _)| !expected.iter().any(|(ek, _)| ek == k))
        {
            path.push(Seg::Id(k.clone()));
            out.push(format!("{}: unexpected item", display(path)));
            path.pop();
        }
    }

    fn string(&self, path: &mut Vec<Seg>, e: &str, a: &str, out: &mut Vec<String>) {
        if e == a || PLACEHOLDERS.contains(&e) || embedded_match(e, a) {
            return;
        }
        // Strings holding JSON (core_courseformat_* results, customdata) are compared as JSON.
        if let (Some(ej), Some(aj)) = (json_container(e), json_container(a)) {
            path.push(Seg::Json);
            self.value(path, &ej, &aj, None, out);
            path.pop();
            return;
        }
        if self.seed_times == SeedTimes::Own && mask_seed_times(e) == mask_seed_times(a) {
            return;
        }
        out.push(format!("{}: {}", display(path), string_difference(e, a)));
    }
}

/// A list's items by the JSON text of their id; duplicate or missing ids are reported.
fn keyed<'v>(
    list: &'v [Value],
    id: &str,
    what: &str,
    out: &mut Vec<String>,
) -> Vec<(String, &'v Value)> {
    let mut map: Vec<(String, &Value)> = Vec::new();
    for item in list {
        match item.get(id) {
            Some(v) if !map.iter().any(|(_, item)| item.get(id) == Some(v)) => {
                map.push((v.to_string(), item))
            }
            Some(v) => out.push(format!("{what} has {id} {v} twice")),
            None => out.push(format!("{what} item without {id}: {}", short(item))),
        }
    }
    map
}

fn json_container(s: &str) -> Option<Value> {
    let s = s.trim_start();
    if !(s.starts_with('{') || s.starts_with('[')) {
        return None;
    }
    serde_json::from_str::<Value>(s)
        .ok()
        .filter(|v| v.is_object() || v.is_array())
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

const CLIP: usize = 70;

/// A text cut to a readable length.
pub fn clip(s: &str) -> String {
    match s.char_indices().nth(CLIP) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// A value as JSON, cut to a readable length.
pub fn short(v: &Value) -> String {
    clip(&v.to_string())
}

/// A value with its type, for type mismatches.
pub fn typed(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Array(items) => format!("array of {} {}", items.len(), short(v)),
        other => format!("{} {}", type_name(other), short(other)),
    }
}

/// Two different strings: whole when short, else around their first difference.
fn string_difference(e: &str, a: &str) -> String {
    let (ec, ac): (Vec<char>, Vec<char>) = (e.chars().collect(), a.chars().collect());
    // Whole up to the length of most messages.
    if ec.len() <= 2 * CLIP && ac.len() <= 2 * CLIP {
        return format!(
            "expected {}, actual {}",
            Value::String(e.to_owned()),
            Value::String(a.to_owned())
        );
    }
    let at = ec
        .iter()
        .zip(&ac)
        .position(|(x, y)| x != y)
        .unwrap_or(ec.len().min(ac.len()));
    let from = at.saturating_sub(30);
    let window = |c: &[char]| {
        let end = (from + CLIP).min(c.len());
        let text: String = c[from.min(end)..end].iter().collect();
        let before = if from > 0 { "…" } else { "" };
        let after = if end < c.len() { "…" } else { "" };
        format!("{before}{}{after}", Value::String(text))
    };
    format!(
        "differs at char {at} (length {} vs {}): expected {}, actual {}",
        ec.len(),
        ac.len(),
        window(&ec),
        window(&ac)
    )
}

/// The day a recording made a course on, if `value` holds one made then: a course whose start
/// is midnight of its own anchor time (a course made without a start date). Courses from the
/// seed start on fixed dates, never on their creation day.
pub fn made_day(value: &Value) -> Option<i64> {
    match value {
        Value::Object(object) => {
            let start = object.get("startdate").and_then(Value::as_i64);
            let anchor = DAY_ANCHOR_KEYS
                .iter()
                .find_map(|k| object.get(*k).and_then(Value::as_i64));
            match (start, anchor) {
                (Some(start), Some(t)) if start != 0 && start == t - t.rem_euclid(86_400) => {
                    Some(start)
                }
                _ => object.values().find_map(made_day),
            }
        }
        Value::Array(items) => items.iter().find_map(made_day),
        _ => None,
    }
}

/// Two different body texts, around their first difference.
pub fn text_difference(e: &str, a: &str) -> String {
    format!("body: text {}", string_difference(e, a))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn diffs(endpoint: &str, expected: Value, actual: Value) -> Vec<String> {
        diffs_shifted(&Cell::new(None), endpoint, expected, actual)
    }

    fn diffs_shifted(
        day_shift: &Cell<Option<i64>>,
        endpoint: &str,
        expected: Value,
        actual: Value,
    ) -> Vec<String> {
        let mut out = Vec::new();
        Walk {
            endpoint,
            seed_times: SeedTimes::Recorded,
            day_shift,
        }
        .compare(&expected, &actual, &mut out);
        out
    }

    #[test]
    fn a_changed_value_is_reported_with_its_path() {
        let d = diffs(
            "f",
            json!({"courses": [{"id": 2, "fullname": "Physics 101"}]}),
            json!({"courses": [{"id": 2, "fullname": "Physics"}]}),
        );
        assert_eq!(
            d,
            vec![r#"$.courses[0].fullname: expected "Physics 101", actual "Physics""#]
        );
    }

    #[test]
    fn missing_and_extra_keys_and_an_int_for_a_float_are_reported() {
        let d = diffs("f", json!({"a": 1, "g": 87.5}), json!({"b": 1, "g": 87}));
        assert_eq!(d.len(), 3, "{d:?}");
        assert!(d[0].starts_with("$.a: missing"), "{d:?}");
        assert!(d[1].starts_with("$.g: expected 87.5, actual 87"), "{d:?}");
        assert!(d[2].starts_with("$.b: unexpected key"), "{d:?}");
    }

    #[test]
    fn a_course_made_by_the_replay_starts_on_the_replays_day_not_the_recordings() {
        // Recorded: made Mon 7 Dec 2026 16:41 UTC, starting that midnight, ending a year on.
        let recorded = json!({"id": 6, "startdate": 1_796_601_600_i64,
            "enddate": 1_828_137_600_i64, "timecreated": 1_796_661_724_i64});
        let replayed = |made: i64, start: i64| {
            json!({"id": 6, "startdate": start, "enddate": start + 31_536_000,
                "timecreated": made})
        };
        // Replayed two days later, shortly after midnight: that day's midnight is right.
        let day = 1_796_601_600_i64 + 2 * 86_400;
        assert!(diffs("f", recorded.clone(), replayed(day + 300, day)).is_empty());
        // The next day's midnight (a stand-in counting from tomorrow) is still wrong.
        let d = diffs("f", recorded.clone(), replayed(day + 300, day + 86_400));
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(
            d[0].starts_with("$.startdate: expected 1796601600"),
            "{d:?}"
        );
        // A course from the seed keeps its fixed start exactly, whenever it was changed.
        let seeded = json!({"startdate": 1_788_220_800_i64, "timemodified": 1_795_303_156_i64});
        assert!(
            diffs(
                "f",
                seeded.clone(),
                json!({"startdate": 1_788_220_800_i64,
            "timemodified": day + 300})
            )
            .is_empty()
        );
        assert_eq!(
            diffs(
                "f",
                seeded,
                json!({"startdate": 1_788_220_800_i64 + 86_400,
                "timemodified": 1_795_303_156_i64})
            )
            .len(),
            1
        );
    }

    #[test]
    fn the_recordings_day_is_that_of_a_course_starting_at_midnight_of_its_making() {
        let seeded =
            json!({"id": 2, "startdate": 1_788_220_800_i64, "timecreated": 1_795_303_156_i64});
        let made =
            json!({"id": 6, "startdate": 1_796_601_600_i64, "timemodified": 1_796_661_724_i64});
        assert_eq!(made_day(&json!([seeded.clone()])), None);
        assert_eq!(
            made_day(&json!({"courses": [seeded, made]})),
            Some(1_796_601_600)
        );
        assert_eq!(made_day(&json!({"startdate": 0, "timecreated": 0})), None);
    }

    #[test]
    fn a_course_view_without_times_is_shifted_by_the_day_learned_from_one_with_them() {
        let shift = Cell::new(None);
        let (start, two_days) = (1_796_601_600_i64, 2 * 86_400);
        let bare = |s: i64| json!({"courses": [{"id": 5, "startdate": s}]});
        // Nothing learned yet: the replay's day is not the recording's.
        assert_eq!(
            diffs_shifted(&shift, "f", bare(start), bare(start + two_days)).len(),
            1
        );
        let with_time = |s: i64, t: i64| json!({"id": 5, "startdate": s, "timecreated": t});
        assert!(
            diffs_shifted(
                &shift,
                "f",
                with_time(start, start + 60_000),
                with_time(start + two_days, start + two_days + 300)
            )
            .is_empty()
        );
        assert_eq!(shift.get(), Some(two_days));
        assert!(diffs_shifted(&shift, "f", bare(start), bare(start + two_days)).is_empty());
        assert_eq!(
            diffs_shifted(&shift, "f", bare(start), bare(start + 3 * 86_400)).len(),
            1
        );
    }

    #[test]
    fn a_timestamp_key_is_compared_by_type_only() {
        assert!(
            diffs(
                "f",
                json!({"timemodified": 1795303177}),
                json!({"timemodified": 1800000000})
            )
            .is_empty()
        );
        let d = diffs(
            "f",
            json!({"timemodified": 1795303177}),
            json!({"timemodified": "1795303177"}),
        );
        assert_eq!(
            d,
            vec![r#"$.timemodified: expected number 1795303177, actual string "1795303177""#]
        );
        assert_eq!(
            diffs(
                "f",
                json!({"timeread": null}),
                json!({"timeread": 1795303177})
            )
            .len(),
            1
        );
    }

    #[test]
    fn a_timestamp_preference_is_compared_by_type_but_other_preferences_exactly() {
        let e = json!([{"name": "_lastloaded", "value": 1}, {"name": "login_failed_count_since_success", "value": "2"}]);
        let a = json!([{"name": "_lastloaded", "value": 5}, {"name": "login_failed_count_since_success", "value": "1"}]);
        assert_eq!(
            diffs("f", e, a),
            vec![r#"$[1].value: expected "2", actual "1""#]
        );
    }

    #[test]
    fn an_unordered_list_compares_by_id_only_where_listed() {
        let e = json!([{"id": 1, "n": "a"}, {"id": 2, "n": "b"}]);
        let a = json!([{"id": 2, "n": "b"}, {"id": 1, "n": "a"}]);
        assert!(diffs("core_course_get_courses", e.clone(), a.clone()).is_empty());
        assert_eq!(diffs("core_course_get_courses_by_field", e, a).len(), 4);
        let e = json!({"assignments": [{"submissions": [{"id": 1}, {"id": 2}]}]});
        let a = json!({"assignments": [{"submissions": [{"id": 2}, {"id": 3}]}]});
        assert_eq!(
            diffs("mod_assign_get_submissions", e, a),
            vec![
                "$.assignments[0].submissions[id=1]: missing",
                "$.assignments[0].submissions[id=3]: unexpected item"
            ]
        );
    }

    #[test]
    fn a_placeholder_matches_any_string_but_not_another_type() {
        assert!(diffs("f", json!({"token": "<TOKEN>"}), json!({"token": "abc123"})).is_empty());
        assert_eq!(
            diffs("f", json!({"token": "<TOKEN>"}), json!({"token": null})).len(),
            1
        );
        assert_eq!(
            diffs("f", json!({"token": "x<TOKEN>"}), json!({"token": "xabc"})).len(),
            1
        );
    }

    #[test]
    fn json_in_a_string_is_compared_structurally() {
        let e = json!(r#"{"course":{"id":"5","statekey":"1_2"},"cm":[]}"#);
        let same = json!(r#"{"cm":[],"course":{"statekey":"3_4","id":"5"}}"#);
        assert!(diffs("f", e.clone(), same).is_empty());
        let d = diffs(
            "f",
            e,
            json!(r#"{"course":{"id":5,"statekey":"1_2"},"cm":[]}"#),
        );
        assert_eq!(
            d,
            vec![r#"$<json>.course.id: expected string "5", actual number 5"#]
        );
    }

    #[test]
    fn a_long_string_is_shown_around_its_first_difference() {
        let e = format!(
            "{}activity-wrapperX forum{}",
            "x".repeat(100),
            "y".repeat(100)
        );
        let a = format!(
            "{}activity-wrapper forum{}",
            "x".repeat(100),
            "y".repeat(100)
        );
        assert_eq!(
            diffs("f", json!("short"), json!("shirt")),
            vec![r#"$: expected "short", actual "shirt""#]
        );
        let d = diffs("f", json!(e), json!(a));
        assert_eq!(d.len(), 1);
        assert!(
            d[0].starts_with("$: differs at char 116 (length 223 vs 222)"),
            "{d:?}"
        );
        assert!(
            d[0].contains(r#"…"xxxxxxxxxxxxxxactivity-wrapperX forumyyyyy"#),
            "{d:?}"
        );
    }
}
