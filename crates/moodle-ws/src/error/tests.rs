//! Error decoding from every recorded error body, and the status table.

use super::*;
use crate::decode;
use crate::functions::{ItemWarnings, Warnings, assign};
use crate::secret::Secret;
use crate::testdata::{self, Record};

fn endpoint_of(path: &str) -> Option<Endpoint> {
    match path {
        "/webservice/rest/server.php" => Some(Endpoint::Rest),
        "/login/token.php" => Some(Endpoint::Token),
        "/webservice/upload.php" => Some(Endpoint::Upload),
        p if p.starts_with("/webservice/pluginfile.php") => Some(Endpoint::Pluginfile),
        _ => None,
    }
}

/// Decodes a recorded error body the way the client does for its endpoint.
fn decode_error(r: &Record) -> Error {
    match endpoint_of(&r.path).expect("known endpoint") {
        Endpoint::Rest => {
            decode::rest::<serde_json::Value>(r.body.as_bytes(), None).expect_err("an error body")
        }
        endpoint => decode::endpoint_error(endpoint, r.status, r.body.as_bytes(), None)
            .expect("an error body"),
    }
}

fn assert_safe(text: &str, what: &str) {
    for leak in [
        "stacktrace",
        "line 81 of",
        "/webservice/lib.php",
        "/login/token.php",
        "/lib/filelib.php",
        "SELECT",
        "{course}",
        "Error code:",
    ] {
        assert!(!text.contains(leak), "{what} leaks {leak:?}: {text}");
    }
}

#[test]
fn every_recorded_json_error_body_becomes_its_variant() {
    let mut rest = 0;
    let mut endpoint = 0;
    for r in testdata::records().iter().filter(|r| r.is_error()) {
        let json = r.json().expect("json");
        let err = decode_error(r);
        let want_code = json["errorcode"].as_str().expect("errorcode");
        match &err {
            Error::Exception {
                exception,
                errorcode,
                message,
                debuginfo,
            } => {
                rest += 1;
                assert_eq!(
                    exception,
                    json["exception"].as_str().expect("exception"),
                    "{} {}",
                    r.file,
                    r.seq
                );
                if !want_code.contains('<') {
                    assert_eq!(errorcode, want_code);
                }
                assert!(!message.is_empty());
                assert_eq!(
                    debuginfo.is_some(),
                    json.get("debuginfo").is_some(),
                    "{} {}",
                    r.file,
                    r.seq
                );
            }
            Error::Endpoint {
                endpoint: e,
                http_status,
                errorcode,
                debuginfo,
                ..
            } => {
                endpoint += 1;
                assert_eq!(Some(*e), endpoint_of(&r.path));
                assert_eq!(*http_status, r.status);
                assert_eq!(errorcode, want_code);
                assert_eq!(
                    debuginfo.is_some(),
                    !json["debuginfo"].is_null(),
                    "{} {}",
                    r.file,
                    r.seq
                );
            }
            other => panic!("{} {}: unexpected {other:?}", r.file, r.seq),
        }
        assert_safe(&err.to_string(), "Display");
        assert_safe(&format!("{err:?}"), "Debug");
    }
    // Both 4.5.6 recordings hold 67 REST exception bodies and 16 of the AJAX shape.
    assert_eq!((rest, endpoint), (67, 16));
}

#[test]
fn debuginfo_is_kept_apart_and_redacted_in_debug_output() {
    let r = testdata::records()
        .into_iter()
        .find(|r| r.file.contains("debug") && r.seq == 9)
        .expect("dbg_error_nonexistent_course_get_contents");
    let err = decode_error(&r);
    let info = err.debuginfo().expect("debuginfo");
    assert!(info.as_str().contains("SELECT * FROM {course}"));
    assert!(!format!("{err:?}").contains("SELECT"));
    assert_eq!(
        err.to_string(),
        "moodle refused the call: invalidrecord: Can't find data record in database table course."
    );
}

fn hint(seq: u64) -> (u16, String, Option<&'static str>) {
    let h = decode_error(&testdata::seq(seq)).status_hint();
    (h.status, h.code, h.reason)
}

#[test]
fn recorded_errors_map_to_the_gateway_status_table() {
    let table: &[(u64, u16, &str)] = &[
        (14, 401, "invalidtoken"),
        (137, 401, "invalidtoken"),
        (152, 401, "invalidtoken"),
        (3, 401, "invalidlogin"),
        (18, 403, "accessexception"),
        (35, 403, "nopermissions"),
        (74, 403, "errorcoursecontextnotvalid"),
        (92, 403, "wsusercannotassign"),
        (95, 403, "requireloginerror"),
        (105, 403, "accessdenied"),
        (21, 400, "invalidparameter"),
        (5, 400, "missingparam"),
        (153, 400, "missingparam"),
        (19, 400, "invalidrecord"),
        (24, 400, "invalidrecord"),
        (93, 404, "invaliduser"),
        (143, 404, "filenotfound"),
        (50, 409, "shortnametaken"),
        (32, 409, "categoryidnumbertaken"),
        (33, 500, "unknowcategory"),
        (128, 500, "codingerror"),
        (6, 500, "servicenotavailable"),
    ];
    for &(seq, status, code) in table {
        assert_eq!(hint(seq), (status, code.to_owned(), None), "seq {seq}");
    }
    // Codes that are sentences (or HTML) are never echoed as a code.
    assert_eq!(
        hint(63),
        (500, "unknown".to_owned(), Some("moodle_exception"))
    );
    assert_eq!(
        hint(85),
        (500, "unknown".to_owned(), Some("moodle_exception"))
    );
}

#[test]
fn moodle_5_missing_record_code_maps_like_invalidrecord() {
    let body = br#"{"exception":"dml_missing_record_exception","errorcode":"invalidrecordunknown","message":"Can't find data record in database."}"#;
    let err = decode::rest::<serde_json::Value>(body, None).expect_err("error");
    assert_eq!(
        err.status_hint(),
        StatusHint {
            status: 400,
            code: "invalidrecord".into(),
            reason: None
        }
    );
    let body = br#"{"exception":"dml_missing_record_exception","errorcode":"somethingnew","message":"Missing."}"#;
    let err = decode::rest::<serde_json::Value>(body, None).expect_err("error");
    assert_eq!(err.status_hint().code, "invalidrecord");
}

fn warnings_of(seq: u64) -> Error {
    let w: Warnings = decode::rest(testdata::seq(seq).body.as_bytes(), None).expect("success body");
    w.fail_on_warnings().expect_err("has warnings")
}

#[test]
fn warnings_become_errors_on_request_with_their_status() {
    assert_eq!(
        warnings_of(55).status_hint(),
        StatusHint {
            status: 404,
            code: "invalidrecord".into(),
            reason: None
        }
    );
    assert_eq!(
        warnings_of(160).status_hint().status,
        404,
        "unknowncourseidnumber"
    );
    assert_eq!(warnings_of(56).status_hint().status, 409, "shortnametaken");
    assert_eq!(warnings_of(57).status_hint().status, 403, "nopermissions");
    let Error::Warnings(w) = warnings_of(55) else {
        panic!("not Warnings")
    };
    assert_eq!(
        (w[0].item.as_deref(), w[0].itemid),
        (Some("course"), Some(99999))
    );
    let ok: Warnings = decode::rest(testdata::seq(54).body.as_bytes(), None).expect("success");
    assert!(ok.fail_on_warnings().is_ok());
    let a: assign::AssignmentsByCourse =
        decode::rest(testdata::seq(111).body.as_bytes(), None).expect("success");
    assert_eq!(
        a.fail_on_warnings()
            .expect_err("warning")
            .status_hint()
            .status,
        500
    );
}

#[test]
fn foreign_bodies_are_decode_errors_with_safe_snippets() {
    let token = Secret::new("3f1c0ffee0ddba11deadbeef00112233");
    let warning = format!(
        "<br />\n<b>Warning</b>:  Undefined array key \"lang\" in <b>/var/www/moodle/lib/moodlelib.php</b> on line <b>8163</b><br />\n{}",
        testdata::seq(9).body
    );
    let err =
        decode::rest::<serde_json::Value>(warning.as_bytes(), Some(&token)).expect_err("notice");
    assert!(
        matches!(
            err,
            Error::Decode {
                reason: DecodeReason::Html,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.to_string().contains("/var/www"));
    let body = testdata::seq(9).body;
    let truncated = &body.as_bytes()[..body.len() / 2];
    let err = decode::rest::<serde_json::Value>(truncated, Some(&token)).expect_err("truncated");
    assert!(
        matches!(
            err,
            Error::Decode {
                reason: DecodeReason::Truncated,
                ..
            }
        ),
        "{err:?}"
    );
    let echoed = format!("<html>token {} rejected</html>", token.expose());
    let err = decode::rest::<serde_json::Value>(echoed.as_bytes(), Some(&token)).expect_err("html");
    assert!(!err.to_string().contains(token.expose()));
    assert_eq!(
        err.status_hint(),
        StatusHint {
            status: 502,
            code: "unknown".into(),
            reason: Some("bad_response")
        }
    );
    let shape = decode::rest::<Vec<i64>>(br#"{"a":"secret value"}"#, None).expect_err("shape");
    assert!(matches!(
        shape,
        Error::Decode {
            reason: DecodeReason::UnexpectedShape,
            ..
        }
    ));
}

#[test]
fn transport_errors_map_to_503_and_504() {
    let cases = [
        (
            Error::Connect {
                reason: "connection refused".into(),
            },
            503,
            Some("unreachable"),
        ),
        (
            Error::Interrupted {
                reason: "connection reset".into(),
            },
            503,
            Some("unreachable"),
        ),
        (
            Error::CircuitOpen {
                retry_in: Duration::from_secs(3),
            },
            503,
            Some("circuit_open"),
        ),
        (
            Error::Timeout(Duration::from_secs(15)),
            504,
            Some("timeout"),
        ),
        (Error::RateLimited { retry_after: None }, 429, None),
        (
            Error::Status {
                status: 503,
                snippet: String::new(),
                retry_after: None,
            },
            502,
            Some("bad_response"),
        ),
    ];
    for (err, status, reason) in cases {
        let h = err.status_hint();
        assert_eq!((h.status, h.reason), (status, reason), "{err}");
    }
}

#[test]
fn moodles_own_names_for_the_seed_codes_map_like_them() {
    let exception = |code: &str| Error::Exception {
        exception: "moodle_exception".to_owned(),
        errorcode: code.to_owned(),
        message: "m".to_owned(),
        debuginfo: None,
    };
    assert_eq!(exception("courseidnumbertaken").status_hint().status, 409);
    assert_eq!(exception("idnumbertaken").status_hint().status, 409);
    assert_eq!(
        exception("errorcatcontextnotvalid").status_hint().status,
        403
    );
    assert_eq!(
        exception("errorcoursecontextnotvalid").status_hint().status,
        403
    );
}

#[test]
fn local_bridge_refusing_a_non_learner_is_403() {
    let err = Error::Exception {
        exception: "core\\exception\\moodle_exception".to_owned(),
        errorcode: "notalearner".to_owned(),
        message: "The user with id 3 holds no learner (student) role in this course".to_owned(),
        debuginfo: None,
    };
    let hint = err.status_hint();
    assert_eq!((hint.status, hint.code.as_str()), (403, "notalearner"));
}
