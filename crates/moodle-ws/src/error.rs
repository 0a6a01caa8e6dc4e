//! `Error`: every way a Moodle call can fail, one variant per event, and
//! [`Error::status_hint`], the single mapping from an error to the HTTP status and
//! `(code, reason)` the gateway answers with.
//!
//! Messages are short and safe to show: Moodle's `debuginfo` is kept apart in
//! [`DebugInfo`] (redacted in `Debug`, never in `Display`), stack traces are dropped, and
//! every text taken from a response went through `secret::scrub` (no token, no server path).
//! Turning HTTP responses into these errors is `decode.rs`'s job.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use crate::functions::lenient;
use crate::secret::{SNIPPET_CHARS, scrub};

/// A Moodle endpoint, as named in errors and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `webservice/rest/server.php`.
    Rest,
    /// `login/token.php`.
    Token,
    /// `webservice/upload.php`.
    Upload,
    /// `webservice/pluginfile.php`.
    Pluginfile,
    /// `local/bridge/download.php` (the companion plugin `local_bridge`).
    BridgeDownload,
}

impl Endpoint {
    /// The path below the site root.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Rest => "webservice/rest/server.php",
            Endpoint::Token => "login/token.php",
            Endpoint::Upload => "webservice/upload.php",
            Endpoint::Pluginfile => "webservice/pluginfile.php",
            Endpoint::BridgeDownload => "local/bridge/download.php",
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path())
    }
}

/// Moodle's developer `debuginfo` (SQL, parameter details): for logs only, redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct DebugInfo(pub(crate) String);

impl DebugInfo {
    /// The text, scrubbed of the token and server paths.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DebugInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DebugInfo({} chars)", self.0.chars().count())
    }
}

/// One entry of a `warnings[]` array (`core_external\external_warnings`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Warning {
    /// What kind of item (`course`, `assignment`, …).
    #[serde(default)]
    pub item: Option<String>,
    /// The item's id.
    #[serde(default, deserialize_with = "lenient::opt_int")]
    pub itemid: Option<i64>,
    /// Moodle's code (`invalidrecord`, `nopermissions`, or a number such as `"2"`).
    #[serde(default, deserialize_with = "lenient::string")]
    pub warningcode: String,
    /// Moodle's message.
    #[serde(default, deserialize_with = "lenient::string")]
    pub message: String,
}

/// Why a body was not what Moodle sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeReason {
    /// HTML (a maintenance page, a proxy page, or a PHP notice before the JSON).
    Html,
    /// Something else that is not JSON.
    NotJson,
    /// JSON that stops early.
    Truncated,
    /// Valid JSON of a different shape than the function returns.
    UnexpectedShape,
}

impl fmt::Display for DecodeReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DecodeReason::Html => "html instead of json",
            DecodeReason::NotJson => "not json",
            DecodeReason::Truncated => "truncated json",
            DecodeReason::UnexpectedShape => "unexpected json shape",
        })
    }
}

/// Every way a call can fail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A REST call answered `{exception, errorcode, message, debuginfo?}` (HTTP 200).
    #[error("moodle refused the call: {errorcode}: {message}")]
    Exception {
        /// The PHP exception class (`dml_missing_record_exception`, …).
        exception: String,
        /// Moodle's error code (`invalidtoken`, `nopermissions`, …).
        errorcode: String,
        /// Moodle's (translated) message.
        message: String,
        /// Present only when the site has developer debugging on.
        debuginfo: Option<DebugInfo>,
    },
    /// `login/token.php`, `webservice/upload.php`, `webservice/pluginfile.php` or
    /// `local/bridge/download.php` answered `{error, errorcode, stacktrace, debuginfo,
    /// reproductionlink}`.
    #[error("{endpoint} refused the request: {errorcode}: {message}")]
    Endpoint {
        /// Which script.
        endpoint: Endpoint,
        /// The HTTP status it came with (200, or 404 for a missing file).
        http_status: u16,
        /// Moodle's error code.
        errorcode: String,
        /// Moodle's message (the `error` field).
        message: String,
        /// Present only when the site has developer debugging on.
        debuginfo: Option<DebugInfo>,
    },
    /// A call succeeded but reported per-item failures in `warnings[]`.
    #[error("moodle reported {} item warning(s): {}", .0.len(), first_warning(.0))]
    Warnings(Vec<Warning>),
    /// `webservice/upload.php` refused one file (`{filename, errortype, error}`).
    #[error("upload of {filename:?} refused: {errortype}: {message}")]
    FileRejected {
        /// The file's name.
        filename: String,
        /// `fileoversized`, `filenameexist`, ….
        errortype: String,
        /// Moodle's message.
        message: String,
    },
    /// No connection could be made.
    #[error("cannot connect to moodle: {reason}")]
    Connect {
        /// What went wrong (`connection refused`, `dns error`, …).
        reason: String,
    },
    /// The connection broke while the request or response was in flight.
    #[error("connection to moodle lost: {reason}")]
    Interrupted {
        /// What went wrong (`connection reset`, …).
        reason: String,
    },
    /// No complete answer within the client's timeout.
    #[error("moodle did not answer within {0:?}")]
    Timeout(Duration),
    /// Moodle (or a proxy before it) answered 429.
    #[error("moodle is rate limiting requests")]
    RateLimited {
        /// The `Retry-After` the answer asked for.
        retry_after: Option<Duration>,
    },
    /// An HTTP status Moodle's scripts do not send (4xx/5xx from a proxy, a maintenance page).
    #[error("moodle answered http {status}: {snippet}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The start of the body, scrubbed.
        snippet: String,
        /// The `Retry-After` the answer asked for (a maintenance page sends one).
        retry_after: Option<Duration>,
    },
    /// A body that is not the JSON Moodle sends (HTML, PHP notice before the JSON, truncated).
    #[error("moodle sent a body that is not the expected json ({reason}): {snippet}")]
    Decode {
        /// What kind of wrong.
        reason: DecodeReason,
        /// The start of the body (or the JSON error), scrubbed.
        snippet: String,
    },
    /// The circuit breaker is open: recent calls could not reach Moodle.
    #[error("moodle is treated as unreachable for another {retry_in:?} (circuit open)")]
    CircuitOpen {
        /// Time until the next probe is allowed.
        retry_in: Duration,
    },
    /// The request cannot be made as asked (parameters without a form encoding, a file URL
    /// of another site, a bad base URL, TLS setup).
    #[error("invalid request: {reason}")]
    InvalidRequest {
        /// What is wrong.
        reason: String,
    },
}

fn first_warning(warnings: &[Warning]) -> String {
    warnings
        .first()
        .map(|w| {
            scrub(
                &format!("{}: {}", w.warningcode, w.message),
                None,
                SNIPPET_CHARS * 2,
            )
        })
        .unwrap_or_default()
}

/// What the gateway should answer for an error: HTTP status, code and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusHint {
    /// The HTTP status.
    pub status: u16,
    /// Moodle's error code, or `invalidrecord`/`ratelimited`/`unknown`.
    pub code: String,
    /// Why, when the code is `unknown` (`bad_response`, `unreachable`, `circuit_open`,
    /// `timeout`, `invalid_request`, `moodle_exception`).
    pub reason: Option<&'static str>,
}

impl StatusHint {
    fn new(status: u16, code: impl Into<String>, reason: Option<&'static str>) -> Self {
        StatusHint {
            status,
            code: code.into(),
            reason,
        }
    }
}

/// The status for a Moodle error code (exceptions, endpoint errors and warnings alike).
fn moodle_status(errorcode: &str) -> StatusHint {
    let status = match errorcode {
        "invalidtoken" | "invalidlogin" => 401,
        "accessexception"
        | "nopermissions"
        | "notloggedin"
        | "requireloginerror"
        | "errorcoursecontextnotvalid"
        // The category twin: create_courses/create_categories validate the category's
        // context first, so an unknown category id answers this as well.
        | "errorcatcontextnotvalid"
        | "accessdenied"
        | "wsusercannotassign"
        // webservice/lib.php refusing the token's user (deleted, unconfirmed, suspended,
        // password expired, nologin authentication).
        | "wsaccessuserdeleted"
        | "wsaccessuserunconfirmed"
        | "wsaccessusersuspended"
        | "wsaccessuserexpired"
        | "wsaccessusernologin"
        // local_bridge: the site turned its file downloads off; the user asked about holds
        // no learner role in the course (only learners' files are listed).
        | "downloaddisabled"
        | "notalearner" => 403,
        "invalidparameter" | "missingparam" => 400,
        // local_bridge's refusals of the caller's input: a draft area without the caller's
        // files, a section the course does not have, a module type it does not make, a quiz
        // question it cannot save, an activity that is no quiz, too many items or questions in
        // one call, one ID number twice in one batch.
        "invaliddraftitemid"
        | "sectionnotfound"
        | "unsupportedmodule"
        | "invalidquestion"
        | "noquestions"
        | "toomanyquestions"
        | "notaquiz"
        | "toomanymodules"
        | "duplicateidnumberincall" => 400,
        // Moodle 5.0 names the same failure `invalidrecordunknown`.
        "invalidrecord" | "invalidrecordunknown" => {
            return StatusHint::new(400, "invalidrecord", None);
        }
        "invaliduser" | "invalidcourse" | "coursenotexist" | "filenotfound"
        // local_bridge: the user asked about is not a participant of the course.
        | "usernotenrolled" => 404,
        // Moodle's course code is `courseidnumbertaken` (course/lib.php); seed 001 calls it
        // `idnumbertaken`.
        "shortnametaken"
        | "categoryidnumbertaken"
        | "idnumbertaken"
        | "courseidnumbertaken"
        // local_bridge: an activity ID number already used in the course; a quiz learners
        // have attempted keeps its questions.
        | "duplicateidnumber"
        | "quizhasattempts"
        | "filenameexist"
        // enrol_manual_enrol_users on a course without an enabled manual enrolment
        // instance (enrol/manual/externallib.php), e.g. the front page: the course's
        // state, not the bridge, stands in the way.
        | "wsnoinstance" => 409,
        "fileoversized" => 413,
        _ => 500,
    };
    if is_identifier(errorcode) {
        StatusHint::new(status, errorcode, None)
    } else {
        // Some exceptions carry a sentence (or HTML) as their code: never echo it as a code.
        StatusHint::new(status, "unknown", Some("moodle_exception"))
    }
}

fn is_identifier(code: &str) -> bool {
    !code.is_empty() && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl Error {
    /// The HTTP status, code and reason the gateway should answer with.
    pub fn status_hint(&self) -> StatusHint {
        match self {
            Error::Exception {
                exception,
                errorcode,
                ..
            } => {
                let hint = moodle_status(errorcode);
                // A missing record, whatever code the version gives it (5.0:
                // `invalidrecordunknown`; the transcripts README says to branch on the class).
                if exception.ends_with("dml_missing_record_exception") && hint.status == 500 {
                    StatusHint::new(400, "invalidrecord", None)
                } else {
                    hint
                }
            }
            Error::Endpoint { errorcode, .. } => moodle_status(errorcode),
            Error::Warnings(warnings) => match warnings.first() {
                // The item asked for does not exist; one code whatever the Moodle version
                // calls it (4.5 `invalidrecord`, 5.0 `invalidrecordunknown`).
                Some(w)
                    if matches!(
                        w.warningcode.as_str(),
                        "invalidrecord" | "invalidrecordunknown"
                    ) =>
                {
                    StatusHint::new(404, "invalidrecord", None)
                }
                Some(w) if w.warningcode == "unknowncourseidnumber" => {
                    StatusHint::new(404, w.warningcode.clone(), None)
                }
                Some(w) => moodle_status(&w.warningcode),
                None => StatusHint::new(500, "unknown", Some("moodle_exception")),
            },
            Error::FileRejected { errortype, .. } => moodle_status(errortype),
            Error::RateLimited { .. } => StatusHint::new(429, "ratelimited", None),
            Error::Status { status: 429, .. } => StatusHint::new(429, "ratelimited", None),
            Error::Status { .. } | Error::Decode { .. } => {
                StatusHint::new(502, "unknown", Some("bad_response"))
            }
            Error::Connect { .. } | Error::Interrupted { .. } => {
                StatusHint::new(503, "unknown", Some("unreachable"))
            }
            Error::CircuitOpen { .. } => StatusHint::new(503, "unknown", Some("circuit_open")),
            Error::Timeout(_) => StatusHint::new(504, "unknown", Some("timeout")),
            Error::InvalidRequest { .. } => {
                StatusHint::new(400, "invalidparameter", Some("invalid_request"))
            }
        }
    }

    /// Moodle's error code for Moodle-reported errors (`None` for transport and decode errors).
    pub fn moodle_errorcode(&self) -> Option<&str> {
        match self {
            Error::Exception { errorcode, .. } | Error::Endpoint { errorcode, .. } => {
                Some(errorcode)
            }
            Error::Warnings(w) => w.first().map(|w| w.warningcode.as_str()),
            Error::FileRejected { errortype, .. } => Some(errortype),
            _ => None,
        }
    }

    /// Moodle's `debuginfo`, when the site has debugging on (for logs, never for users).
    pub fn debuginfo(&self) -> Option<&DebugInfo> {
        match self {
            Error::Exception { debuginfo, .. } | Error::Endpoint { debuginfo, .. } => {
                debuginfo.as_ref()
            }
            _ => None,
        }
    }

    /// Whether this is a transport failure (no usable answer): what the breaker counts.
    pub fn is_transport(&self) -> bool {
        matches!(
            self,
            Error::Connect { .. } | Error::Interrupted { .. } | Error::Timeout(_)
        )
    }

    /// Whether a read-only call may be repeated after this error.
    pub(crate) fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } => true,
            Error::Status { status, .. } => *status >= 500,
            other => other.is_transport(),
        }
    }

    /// The wait the server asked for, if any.
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after } | Error::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Turns a non-empty warnings list into [`Error::Warnings`].
///
/// # Errors
/// [`Error::Warnings`] when there is at least one warning.
pub fn warnings_to_error(warnings: &[Warning]) -> Result<(), Error> {
    if warnings.is_empty() {
        Ok(())
    } else {
        Err(Error::Warnings(warnings.to_vec()))
    }
}

#[cfg(test)]
mod tests;
