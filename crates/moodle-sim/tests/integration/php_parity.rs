//! The stand-in reads request variables as PHP does: random query strings parsed by
//! `moodle_sim::php` and by PHP's own `parse_str()` give the same arrays. Needs `php`
//! (`scripts/install-test-deps`); without it the test prints one skip line.

use std::io::Write as _;
use std::process::{Command, Stdio};

use moodle_sim::php::{self, PhpArray, PhpValue};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::{Map, Value};

/// PHP's array as JSON, with every key as a string (as `json_encode` of an object).
fn to_json(array: &PhpArray) -> Value {
    Value::Object(
        array
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    PhpValue::Str(s) => Value::String(s.clone()),
                    PhpValue::Array(a) => to_json(a),
                };
                (k.as_string(), v)
            })
            .collect::<Map<_, _>>(),
    )
}

/// Runs `parse_str()` on each input in one PHP process.
fn php_parse_all(inputs: &[String]) -> Option<Vec<Value>> {
    let script = r#"$in = json_decode(stream_get_contents(STDIN), true); $out = [];
        foreach ($in as $q) { parse_str($q, $r); $out[] = (object) array_map(fn($v) => $v, $r); }
        echo json_encode($out, JSON_FORCE_OBJECT);"#;
    let mut child = Command::new("php")
        .args(["-r", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    child
        .stdin
        .take()?
        .write_all(serde_json::to_string(inputs).ok()?.as_bytes())
        .ok()?;
    let out = child.wait_with_output().ok()?;
    let parsed: Value = serde_json::from_slice(&out.stdout).ok()?;
    Some(parsed.as_object()?.values().cloned().collect())
}

fn query() -> impl Strategy<Value = String> {
    let name = "[a-c]{1,2}(\\[[ 0-9a-c\\]\\[]{0,3}\\]){0,3}";
    prop::collection::vec((name, "[a-z0-9 ]{0,3}"), 1..6).prop_map(|pairs| {
        pairs
            .iter()
            .map(|(k, v)| format!("{}={}", k.replace(' ', "%20"), v.replace(' ', "+")))
            .collect::<Vec<_>>()
            .join("&")
    })
}

#[test]
fn request_variables_parse_as_php_parses_them() {
    if Command::new("php").arg("-v").output().is_err() {
        moodle_sim::testing::skip(
            "php_parity",
            "php-cli not installed; scripts/install-test-deps installs it",
            moodle_sim::testing::Dependency::InstalledByCi,
        );
        return;
    }
    let mut runner = TestRunner::default();
    let batch = prop::collection::vec(query(), 50);
    runner
        .run(&batch, |inputs| {
            let expected =
                php_parse_all(&inputs).ok_or_else(|| TestCaseError::fail("php did not answer"))?;
            for (input, want) in inputs.iter().zip(expected) {
                let got = to_json(&php::parse(input.as_bytes()));
                prop_assert_eq!(&got, &want, "parse_str({:?})", input);
            }
            Ok(())
        })
        .expect("PHP and the stand-in agree");
}
