//! Error decoding from every recorded error body, and each error's kind and code.

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

fn kind(seq: u64) -> (ErrorKind, Option<String>) {
    let e = decode_error(&testdata::seq(seq));
    (e.kind(), e.code().map(str::to_owned))
}

#[test]
fn recorded_errors_are_classified_with_their_codes() {
    use ErrorKind::*;
    let table: &[(u64, ErrorKind, &str)] = &[
        (14, Auth, "invalidtoken"),
        (137, Auth, "invalidtoken"),
        (152, Auth, "invalidtoken"),
        (3, Auth, "invalidlogin"),
        (18, Permission, "accessexception"),
        (35, Permission, "nopermissions"),
        (74, Permission, "errorcoursecontextnotvalid"),
        (92, Permission, "wsusercannotassign"),
        (95, Permission, "requireloginerror"),
        (105, Permission, "accessdenied"),
        (21, Invalid, "invalidparameter"),
        (5, Invalid, "missingparam"),
        (153, Invalid, "missingparam"),
        (19, MissingRecord, "invalidrecord"),
        (24, MissingRecord, "invalidrecord"),
        (93, NotFound, "invaliduser"),
        (143, NotFound, "filenotfound"),
        (50, Conflict, "shortnametaken"),
        (32, Conflict, "categoryidnumbertaken"),
        (33, Failed, "unknowcategory"),
        (128, Failed, "codingerror"),
        (6, Failed, "servicenotavailable"),
    ];
    for &(seq, expected, code) in table {
        assert_eq!(kind(seq), (expected, Some(code.to_owned())), "seq {seq}");
    }
    // Codes that are sentences (or HTML) are never given out as a code.
    assert_eq!(kind(63), (Failed, None));
    assert_eq!(kind(85), (Failed, None));
}

#[test]
fn moodle_5_missing_record_code_is_classified_like_invalidrecord() {
    let body = br#"{"exception":"dml_missing_record_exception","errorcode":"invalidrecordunknown","message":"Can't find data record in database."}"#;
    let err = decode::rest::<serde_json::Value>(body, None).expect_err("error");
    assert_eq!(
        (err.kind(), err.code()),
        (ErrorKind::MissingRecord, Some("invalidrecord"))
    );
    let body = br#"{"exception":"dml_missing_record_exception","errorcode":"somethingnew","message":"Missing."}"#;
    let err = decode::rest::<serde_json::Value>(body, None).expect_err("error");
    assert_eq!(err.code(), Some("invalidrecord"));
}

fn warnings_of(seq: u64) -> Error {
    let w: Warnings = decode::rest(testdata::seq(seq).body.as_bytes(), None).expect("success body");
    w.fail_on_warnings().expect_err("has warnings")
}

#[test]
fn warnings_become_errors_on_request_with_their_kind() {
    assert_eq!(
        (warnings_of(55).kind(), warnings_of(55).code()),
        (ErrorKind::NotFound, Some("invalidrecord"))
    );
    assert_eq!(
        warnings_of(160).kind(),
        ErrorKind::NotFound,
        "unknowncourseidnumber"
    );
    assert_eq!(
        warnings_of(56).kind(),
        ErrorKind::Conflict,
        "shortnametaken"
    );
    assert_eq!(
        warnings_of(57).kind(),
        ErrorKind::Permission,
        "nopermissions"
    );
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
        a.fail_on_warnings().expect_err("warning").kind(),
        ErrorKind::Failed
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
    assert_eq!((err.kind(), err.code()), (ErrorKind::BadResponse, None));
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
fn transport_errors_are_classified_by_what_happened() {
    let cases = [
        (
            Error::Connect {
                reason: "connection refused".into(),
            },
            ErrorKind::Unreachable,
        ),
        (
            Error::Interrupted {
                reason: "connection reset".into(),
            },
            ErrorKind::Unreachable,
        ),
        (
            Error::CircuitOpen {
                retry_in: Duration::from_secs(3),
            },
            ErrorKind::CircuitOpen,
        ),
        (Error::Timeout(Duration::from_secs(15)), ErrorKind::Timeout),
        (
            Error::RateLimited { retry_after: None },
            ErrorKind::RateLimited,
        ),
        (
            Error::Status {
                status: 503,
                snippet: String::new(),
                retry_after: None,
            },
            ErrorKind::BadResponse,
        ),
        (
            Error::Status {
                status: 429,
                snippet: String::new(),
                retry_after: None,
            },
            ErrorKind::RateLimited,
        ),
    ];
    for (err, kind) in cases {
        assert_eq!((err.kind(), err.code()), (kind, None), "{err}");
    }
}

#[test]
fn moodles_own_names_for_the_seed_codes_are_classified_like_them() {
    let exception = |code: &str| Error::Exception {
        exception: "moodle_exception".to_owned(),
        errorcode: code.to_owned(),
        message: "m".to_owned(),
        debuginfo: None,
    };
    assert_eq!(exception("courseidnumbertaken").kind(), ErrorKind::Conflict);
    assert_eq!(exception("idnumbertaken").kind(), ErrorKind::Conflict);
    // local_bridge: the course's lock held by another call for a minute.
    assert_eq!(exception("coursebusy").kind(), ErrorKind::Conflict);
    assert_eq!(
        exception("errorcatcontextnotvalid").kind(),
        ErrorKind::Permission
    );
    assert_eq!(
        exception("errorcoursecontextnotvalid").kind(),
        ErrorKind::Permission
    );
    assert_eq!(
        (
            exception("notalearner").kind(),
            exception("notalearner").code()
        ),
        (ErrorKind::Permission, Some("notalearner")),
        "local_bridge refusing a user who is not a learner"
    );
}
