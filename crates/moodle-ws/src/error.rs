//! `Error`: every way a Moodle call can fail, one variant per event, and [`ErrorKind`], what
//! kind of failure each is ([`Error::kind`]) with Moodle's code normalised across versions
//! ([`Error::code`]). What to answer a caller is the service's decision, not this crate's.
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
    /// An answer longer than the client's limit (`ClientBuilder::max_answer_bytes`): reading
    /// stopped at the limit and nothing of it was used.
    #[error("moodle's answer is larger than the client's limit of {limit} bytes")]
    AnswerTooLarge {
        /// The limit, in bytes.
        limit: u64,
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

/// What kind of failure an [`Error`] is, in Moodle's terms and independent of any HTTP
/// policy: the library classifies, the service that uses it decides what to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The token or the login was refused (`invalidtoken`, `invalidlogin`).
    Auth,
    /// Moodle refused the token's user, service or capability (`accessexception`,
    /// `nopermissions`, `requireloginerror`, `wsaccessusersuspended`, …).
    Permission,
    /// A parameter was refused (`invalidparameter`, `missingparam`, local_bridge's input
    /// refusals).
    Invalid,
    /// A record the call depends on does not exist: `invalidrecord` raised as an exception
    /// (an unknown category in a create, an unknown function), whatever the version calls it.
    MissingRecord,
    /// The item asked for does not exist (`invaliduser`, `filenotfound`, a warning about it).
    NotFound,
    /// The write conflicts with what exists (`shortnametaken`, `duplicateidnumber`, no
    /// manual enrolment instance).
    Conflict,
    /// A file is larger than the site takes.
    TooLarge,
    /// Moodle (or a proxy before it) asked to slow down.
    RateLimited,
    /// Moodle raised an exception this client has no class for.
    Failed,
    /// Moodle answered something that is not its protocol (an HTTP error page, a PHP notice,
    /// a truncated body).
    BadResponse,
    /// Moodle could not be reached, or the connection broke.
    Unreachable,
    /// The circuit breaker is open after recent connection failures.
    CircuitOpen,
    /// Moodle did not answer in time.
    Timeout,
    /// The request could not be made as asked (this side's mistake: reserved or too many
    /// parameters, a file of another site).
    InvalidRequest,
}

impl ErrorKind {
    /// A short lowercase name (`permission`, `unreachable`, `circuit_open`, …) for logs and
    /// readiness reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Auth => "auth",
            ErrorKind::Permission => "permission",
            ErrorKind::Invalid => "invalid",
            ErrorKind::MissingRecord => "missing_record",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Failed => "moodle_exception",
            ErrorKind::BadResponse => "bad_response",
            ErrorKind::Unreachable => "unreachable",
            ErrorKind::CircuitOpen => "circuit_open",
            ErrorKind::Timeout => "timeout",
            ErrorKind::InvalidRequest => "invalid_request",
        }
    }
}

/// The kind of a Moodle error code (exceptions, endpoint errors and warnings alike).
fn code_kind(errorcode: &str) -> ErrorKind {
    match errorcode {
        "invalidtoken" | "invalidlogin" => ErrorKind::Auth,
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
        | "usernotconfirmed"
        // local_bridge: the site turned its file downloads off; the user asked about holds
        // no learner role in the course (only learners' files are listed).
        | "downloaddisabled"
        | "notalearner" => ErrorKind::Permission,
        "invalidparameter" | "missingparam"
        // local_bridge's refusals of the caller's input: a draft area without the caller's
        // files, a section the course does not have, a module type it does not make, a quiz
        // question it cannot save, an activity that is no quiz, too many items or questions in
        // one call, one ID number twice in one batch.
        | "invaliddraftitemid"
        | "sectionnotfound"
        | "unsupportedmodule"
        | "invalidquestion"
        | "noquestions"
        | "toomanyquestions"
        | "notaquiz"
        | "toomanymodules"
        | "duplicateidnumberincall" => ErrorKind::Invalid,
        // Moodle 5.0 names the same failure `invalidrecordunknown`.
        "invalidrecord" | "invalidrecordunknown" => ErrorKind::MissingRecord,
        "invaliduser" | "invalidcourse" | "coursenotexist" | "filenotfound"
        // local_bridge: the user asked about is not a participant of the course.
        | "usernotenrolled" => ErrorKind::NotFound,
        // Moodle's course code is `courseidnumbertaken` (course/lib.php); `idnumbertaken` is
        // Moodle's older general code (group/lib.php).
        "shortnametaken"
        | "categoryidnumbertaken"
        | "idnumbertaken"
        | "courseidnumbertaken"
        // local_bridge: an activity ID number already used in the course; a quiz learners
        // have attempted keeps its questions.
        | "duplicateidnumber"
        | "quizhasattempts"
        // local_bridge: another call held the course's lock for a minute (it is still making
        // or changing activities there); the course's state, for now.
        | "coursebusy"
        | "filenameexist"
        // enrol_manual_enrol_users on a course without an enabled manual enrolment
        // instance (enrol/manual/externallib.php), e.g. the front page: the course's
        // state, not the caller, stands in the way.
        | "wsnoinstance" => ErrorKind::Conflict,
        "fileoversized" => ErrorKind::TooLarge,
        _ => ErrorKind::Failed,
    }
}

fn is_identifier(code: &str) -> bool {
    !code.is_empty() && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl Error {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Exception {
                exception,
                errorcode,
                ..
            } => match code_kind(errorcode) {
                // A missing record, whatever code the version gives it (the transcripts
                // README says to branch on the class).
                ErrorKind::Failed if exception.ends_with("dml_missing_record_exception") => {
                    ErrorKind::MissingRecord
                }
                kind => kind,
            },
            Error::Endpoint { errorcode, .. } => code_kind(errorcode),
            Error::Warnings(warnings) => match warnings.first() {
                // A warning is about the item asked for: a missing record there is that
                // item not existing.
                Some(w) if code_kind(&w.warningcode) == ErrorKind::MissingRecord => {
                    ErrorKind::NotFound
                }
                Some(w) if w.warningcode == "unknowncourseidnumber" => ErrorKind::NotFound,
                Some(w) => code_kind(&w.warningcode),
                None => ErrorKind::Failed,
            },
            Error::FileRejected { errortype, .. } => code_kind(errortype),
            Error::RateLimited { .. } | Error::Status { status: 429, .. } => ErrorKind::RateLimited,
            Error::Status { .. } | Error::Decode { .. } | Error::AnswerTooLarge { .. } => {
                ErrorKind::BadResponse
            }
            Error::Connect { .. } | Error::Interrupted { .. } => ErrorKind::Unreachable,
            Error::CircuitOpen { .. } => ErrorKind::CircuitOpen,
            Error::Timeout(_) => ErrorKind::Timeout,
            Error::InvalidRequest { .. } => ErrorKind::InvalidRequest,
        }
    }

    /// Moodle's code for the failure, the same whatever the Moodle version calls it (a
    /// missing record is always `invalidrecord`); `None` for failures Moodle did not name
    /// (transport, decoding) and for the codes some exceptions fill with a sentence.
    pub fn code(&self) -> Option<&str> {
        let missing = match self.kind() {
            ErrorKind::MissingRecord => true,
            ErrorKind::NotFound => matches!(
                self.moodle_errorcode(),
                Some("invalidrecord" | "invalidrecordunknown")
            ),
            _ => false,
        };
        if missing {
            return Some("invalidrecord");
        }
        self.moodle_errorcode().filter(|c| is_identifier(c))
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
