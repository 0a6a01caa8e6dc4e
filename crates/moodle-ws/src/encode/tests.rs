//! Encoder tests: exact bracket names, refusals, a property test against the PHP
//! `$_POST` parser port (`moodle_sim::php`), and a cross-check with real `php` when present.

use std::process::{Command, Stdio};

use moodle_sim::php::{self, PhpArray, PhpValue};
use proptest::prelude::*;
use serde::Serialize;
use serde_json::{Value as Json, json};

use super::*;

fn pairs(p: &Params) -> Vec<(&str, &str)> {
    p.pairs()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[derive(Serialize)]
struct Course<'a> {
    fullname: &'a str,
    visible: bool,
    idnumber: Option<&'a str>,
    courseformatoptions: Vec<Opt<'a>>,
}

#[derive(Serialize)]
struct Opt<'a> {
    name: &'a str,
    value: i64,
}

#[test]
fn nested_lists_and_structs_use_bracket_names() {
    #[derive(Serialize)]
    struct P<'a> {
        courses: Vec<Course<'a>>,
    }
    let p = encode(&P {
        courses: vec![
            Course {
                fullname: "Physics",
                visible: true,
                idnumber: None,
                courseformatoptions: vec![Opt {
                    name: "numsections",
                    value: 5,
                }],
            },
            Course {
                fullname: "Chem & Bio",
                visible: false,
                idnumber: Some("C1"),
                courseformatoptions: vec![],
            },
        ],
    })
    .expect("encodes");
    assert_eq!(
        pairs(&p),
        vec![
            ("courses[0][fullname]", "Physics"),
            ("courses[0][visible]", "1"),
            ("courses[0][courseformatoptions][0][name]", "numsections"),
            ("courses[0][courseformatoptions][0][value]", "5"),
            ("courses[1][fullname]", "Chem & Bio"),
            ("courses[1][visible]", "0"),
            ("courses[1][idnumber]", "C1"),
        ]
    );
    assert_eq!(p.names(), vec!["courses"]);
    assert!(
        p.to_form()
            .starts_with("courses%5B0%5D%5Bfullname%5D=Physics&")
    );
}

#[test]
fn scalar_lists_maps_and_empty_lists() {
    let p = encode(
        &json!({"options": {"ids": [6, 7]}, "values": ["alice", "bob"], "empty": [], "none": null}),
    )
    .expect("encodes");
    assert_eq!(
        pairs(&p),
        vec![
            ("options[ids][0]", "6"),
            ("options[ids][1]", "7"),
            ("values[0]", "alice"),
            ("values[1]", "bob")
        ]
    );
    assert!(encode(&()).expect("unit").is_empty());
}

#[test]
fn gaps_from_none_inside_lists_keep_indices() {
    let p = encode(&json!({"v": [1, null, 3]})).expect("encodes");
    assert_eq!(pairs(&p), vec![("v[0]", "1"), ("v[2]", "3")]);
}

#[test]
fn flattened_settings_and_unit_enums_encode() {
    #[derive(Serialize)]
    #[serde(rename_all = "lowercase")]
    enum Field {
        Username,
    }
    #[derive(Serialize)]
    struct Inner {
        summary: Option<String>,
    }
    #[derive(Serialize)]
    struct P {
        field: Field,
        #[serde(flatten)]
        inner: Inner,
    }
    let p = encode(&P {
        field: Field::Username,
        inner: Inner {
            summary: Some("<p>x</p>".into()),
        },
    })
    .expect("encodes");
    assert_eq!(
        pairs(&p),
        vec![("field", "username"), ("summary", "<p>x</p>")]
    );
}

#[test]
fn values_without_a_faithful_encoding_are_refused() {
    #[derive(Serialize)]
    enum E {
        Data(i32),
    }
    let refused = [
        encode(&5).err(),
        encode(&vec![1, 2]).err(),
        encode(&json!({"a[b]": 1})).err(),
        encode(&json!({"x": {"k]": 1}})).err(),
        encode(&json!({"a.b": 1})).err(),
        encode(&json!({"a b": 1})).err(),
        encode(&json!({"": 1})).err(),
        encode(&json!({"x": {"": 1}})).err(),
        encode(&json!({"nul\u{0}": 1})).err(),
        encode(&json!({"x": {" ": 1}})).err(),
        encode(&json!({"x": {"\t": 1}})).err(),
        encode(&std::collections::BTreeMap::from([("f", f64::NAN)])).err(),
        encode(&std::collections::BTreeMap::from([("e", E::Data(1))])).err(),
        encode(&std::collections::BTreeMap::from([(
            "b",
            serde_bytes_like(),
        )]))
        .err(),
    ];
    for (i, r) in refused.iter().enumerate() {
        assert!(
            matches!(r, Some(Error::InvalidRequest { .. })),
            "case {i}: {r:?}"
        );
    }
    // Dots and spaces are fine below the top level (PHP only renames top-level names).
    assert!(encode(&json!({"x": {"a.b c": 1}})).is_ok());
}

/// A value that serializes as bytes.
fn serde_bytes_like() -> impl Serialize {
    struct B;
    impl Serialize for B {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(b"raw")
        }
    }
    B
}

/// A normalized request structure: what PHP should see.
#[derive(Debug, Clone, PartialEq)]
enum Norm {
    Str(String),
    Map(Vec<(String, Norm)>),
}

/// What the encoder promises PHP will see for a JSON value (`None` = nothing sent).
fn expected(v: &Json) -> Option<Norm> {
    match v {
        Json::Null => None,
        Json::Bool(b) => Some(Norm::Str(if *b { "1" } else { "0" }.to_owned())),
        Json::Number(n) => Some(Norm::Str(match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) => f.to_string(),
            _ => n.to_string(),
        })),
        Json::String(s) => Some(Norm::Str(s.clone())),
        Json::Array(items) => {
            let m: Vec<_> = items
                .iter()
                .enumerate()
                .filter_map(|(i, x)| Some((i.to_string(), expected(x)?)))
                .collect();
            (!m.is_empty()).then_some(Norm::Map(m))
        }
        Json::Object(obj) => {
            let m: Vec<_> = obj
                .iter()
                .filter_map(|(k, x)| Some((k.clone(), expected(x)?)))
                .collect();
            (!m.is_empty()).then_some(Norm::Map(m))
        }
    }
}

fn from_php(a: &PhpArray) -> Norm {
    Norm::Map(
        a.iter()
            .map(|(k, v)| {
                let v = match v {
                    PhpValue::Str(s) => Norm::Str(s.clone()),
                    PhpValue::Array(inner) => from_php(inner),
                };
                (k.as_string(), v)
            })
            .collect(),
    )
}

/// PHP's `json_encode` of `parse_str` output, normalized (lists become index maps).
fn from_php_json(v: &Json) -> Norm {
    match v {
        Json::String(s) => Norm::Str(s.clone()),
        Json::Array(items) => Norm::Map(
            items
                .iter()
                .enumerate()
                .map(|(i, x)| (i.to_string(), from_php_json(x)))
                .collect(),
        ),
        Json::Object(obj) => Norm::Map(
            obj.iter()
                .map(|(k, x)| (k.clone(), from_php_json(x)))
                .collect(),
        ),
        other => Norm::Str(other.to_string()),
    }
}

fn round_trip(value: &Json) -> (Norm, Norm) {
    let params = encode(value).expect("encodes");
    let parsed = php::parse(params.to_form().as_bytes());
    (
        expected(value).unwrap_or(Norm::Map(Vec::new())),
        from_php(&parsed),
    )
}

fn leaf() -> impl Strategy<Value = Json> {
    prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(Json::from),
        (-1.0e9f64..1.0e9).prop_map(Json::from),
        any::<String>().prop_map(Json::String),
        "[&=+%#?/;:,é€😀 \\[\\]\"'<>\\\\]{0,6}".prop_map(Json::String),
    ]
}

fn nested_key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9_]{1,6}",
        "[a-zA-Z0-9_&=+%#?/é€. -]{1,6}",
        "-?[0-9]{1,3}"
    ]
    // One blank character is `[]` to PHP; the encoder refuses it (tested above).
    .prop_filter("not a lone blank", |k| k != " ")
}

fn tree() -> impl Strategy<Value = Json> {
    leaf().prop_recursive(4, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Json::Array),
            prop::collection::vec((nested_key(), inner), 0..5)
                .prop_map(|kv| Json::Object(kv.into_iter().collect())),
        ]
    })
}

fn params() -> impl Strategy<Value = Json> {
    prop::collection::vec(("[a-zA-Z0-9_&=+%#?/é€-]{1,8}", tree()), 0..6)
        .prop_map(|kv| Json::Object(kv.into_iter().collect()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Encoding then parsing with PHP's rules gives back the structure, minus what a form
    /// body cannot carry: nulls and empty arrays/objects are absent, scalars are strings,
    /// lists are integer-keyed arrays.
    #[test]
    fn php_parses_back_what_was_encoded(value in params()) {
        let (want, got) = round_trip(&value);
        prop_assert_eq!(want, got);
    }
}

#[test]
fn empty_lists_are_absent_for_php_and_so_take_moodles_default() {
    let (want, got) = round_trip(&json!({"ids": [], "options": {"ids": []}, "keep": [[], "x"]}));
    assert_eq!(got, want);
    assert_eq!(
        got,
        Norm::Map(vec![(
            "keep".into(),
            Norm::Map(vec![("1".into(), Norm::Str("x".into()))])
        )])
    );
}

#[test]
fn real_php_parse_str_agrees() {
    let available = Command::new("php")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        moodle_sim::testing::skip(
            "real parse_str cross-check",
            "php not on PATH; scripts/install-test-deps installs php-cli",
            moodle_sim::testing::Dependency::InstalledByCi,
        );
        return;
    }
    let cases = [
        json!({"courses": [{"fullname": "Physics 101", "shortname": "PHYS101", "categoryid": 2, "visible": true,
                "courseformatoptions": [{"name": "numsections", "value": 5}]}]}),
        json!({"options": {"ids": [6, 7]}, "values": ["ä & b=c", "x+y%z", "😀 #?/"]}),
        json!({"field": "username", "values": ["student1"], "empty": [], "flag": false, "n": -12}),
        json!({"criteria": [{"key": "ids", "value": "2,3"}], "x": {"a.b c": {"05": "zero-five", "5": "five", "  ": "two blanks", " y": "z"}}}),
    ];
    for case in cases {
        let form = encode(&case).expect("encodes").to_form();
        let want = expected(&case).unwrap_or(Norm::Map(Vec::new()));
        assert_eq!(
            from_php_json(&php_parse_str(&form)),
            want,
            "php disagrees for {case}"
        );
        assert_eq!(
            from_php(&php::parse(form.as_bytes())),
            want,
            "the port disagrees for {case}"
        );
    }
    // Why the encoder refuses keys of one blank: PHP reads `x[ ]` as `x[]` (an append).
    assert_eq!(php_parse_str("x%5B+%5D=1"), json!({"x": ["1"]}));
    assert_eq!(php_parse_str("x%5B++%5D=1"), json!({"x": {"  ": "1"}}));
}

/// Real PHP's `parse_str` of a form body, as JSON.
fn php_parse_str(form: &str) -> Json {
    let mut child = Command::new("php")
        .args([
            "-d",
            "max_input_vars=5000",
            "-r",
            "parse_str(stream_get_contents(STDIN), $a); echo json_encode($a);",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("php starts");
    std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), form.as_bytes())
        .expect("writes");
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("php runs");
    serde_json::from_slice(&out.stdout).expect("php printed json")
}
