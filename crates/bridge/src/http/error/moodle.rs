//! Moodle's failures as every route group answers them: the one table from a
//! `moodle_ws::Error` (its kind and normalised code) to the HTTP status, `code` and `reason`
//! (the gateway contract's table, docs/contracts/gateway.md), the one wording of a failure for
//! people, and the wait a caller should observe. The route groups differ only in the body
//! they put these in.

use axum::http::StatusCode;
use moodle_ws::ErrorKind;

/// How a Moodle failure is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoodleAnswer {
    /// The HTTP status.
    pub status: StatusCode,
    /// Moodle's code (normalised across versions), or the bridge's `invalidparameter`,
    /// `ratelimited`, `unknown`.
    pub code: String,
    /// Why, when the code is `unknown` (`bad_response`, `unreachable`, `circuit_open`,
    /// `timeout`, `invalid_request`, `moodle_exception`).
    pub reason: Option<&'static str>,
}

/// The status, code and reason for a Moodle failure.
pub fn answer(e: &moodle_ws::Error) -> MoodleAnswer {
    let kind = e.kind();
    let status = match kind {
        ErrorKind::Auth => StatusCode::UNAUTHORIZED,
        ErrorKind::Permission => StatusCode::FORBIDDEN,
        ErrorKind::Invalid | ErrorKind::MissingRecord | ErrorKind::InvalidRequest => {
            StatusCode::BAD_REQUEST
        }
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::BadResponse => StatusCode::BAD_GATEWAY,
        ErrorKind::Unreachable | ErrorKind::CircuitOpen => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Timeout => StatusCode::GATEWAY_TIMEOUT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let (code, reason) = match kind {
        ErrorKind::RateLimited => ("ratelimited", None),
        ErrorKind::BadResponse
        | ErrorKind::Unreachable
        | ErrorKind::CircuitOpen
        | ErrorKind::Timeout => ("unknown", Some(kind.as_str())),
        ErrorKind::InvalidRequest => ("invalidparameter", Some(kind.as_str())),
        // An exception whose code is a sentence (or HTML) is never echoed as a code.
        _ => match e.code() {
            Some(code) => (code, None),
            None => ("unknown", Some(ErrorKind::Failed.as_str())),
        },
    };
    MoodleAnswer {
        status,
        code: code.to_owned(),
        reason,
    }
}

/// The message a caller sees: Moodle's own for Moodle's refusals (already scrubbed of tokens
/// and paths by `moodle_ws`), a curated one when there was no usable answer.
pub fn message(e: &moodle_ws::Error) -> String {
    use moodle_ws::Error as E;
    match e {
        E::Exception { message, .. }
        | E::Endpoint { message, .. }
        | E::FileRejected { message, .. } => message.clone(),
        E::Warnings(w) => w.first().map(|w| w.message.clone()).unwrap_or_default(),
        // The gateway contract's wording ("Request timeout after 15s").
        E::Timeout(d) => format!("Request timeout after {}s", d.as_secs_f64()),
        E::CircuitOpen { retry_in } => format!(
            "Moodle is treated as unreachable after repeated failures; next attempt in {} s",
            retry_in.as_secs().max(1)
        ),
        E::InvalidRequest { reason } => reason.clone(),
        E::AnswerTooLarge { limit } => format!(
            "Moodle's answer is larger than the bridge reads ({} MiB)",
            limit / (1024 * 1024)
        ),
        other => match other.kind() {
            ErrorKind::Unreachable => "Moodle cannot be reached".to_owned(),
            ErrorKind::RateLimited => "Moodle is rate limiting requests".to_owned(),
            ErrorKind::BadResponse => "Moodle sent an answer the bridge cannot read".to_owned(),
            _ => "Moodle call failed".to_owned(),
        },
    }
}

/// How long the caller should wait before trying again, when Moodle or the breaker says.
pub fn retry_after(e: &moodle_ws::Error) -> Option<u64> {
    match e {
        moodle_ws::Error::CircuitOpen { retry_in } => Some(retry_in.as_secs().max(1)),
        moodle_ws::Error::RateLimited {
            retry_after: Some(w),
        } => Some(w.as_secs().max(1)),
        _ => None,
    }
}

/// The full cause for the access log: the error with Moodle's `debuginfo` when it sent one.
pub fn cause(e: &moodle_ws::Error) -> String {
    match e.debuginfo() {
        Some(d) => format!("{e} (debuginfo: {})", d.as_str()),
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn exception(code: &str) -> moodle_ws::Error {
        moodle_ws::Error::Exception {
            exception: "moodle_exception".to_owned(),
            errorcode: code.to_owned(),
            message: "m".to_owned(),
            debuginfo: None,
        }
    }

    fn of(e: &moodle_ws::Error) -> (u16, String, Option<&'static str>) {
        let a = answer(e);
        (a.status.as_u16(), a.code, a.reason)
    }

    /// An error, and the status, code and reason expected for it.
    type Case = (moodle_ws::Error, (u16, &'static str, Option<&'static str>));

    #[test]
    fn the_gateway_table_holds_for_each_kind() {
        let cases: [Case; 10] = [
            (exception("invalidtoken"), (401, "invalidtoken", None)),
            (exception("nopermissions"), (403, "nopermissions", None)),
            (
                exception("invalidparameter"),
                (400, "invalidparameter", None),
            ),
            (
                exception("invalidrecordunknown"),
                (400, "invalidrecord", None),
            ),
            (exception("shortnametaken"), (409, "shortnametaken", None)),
            (exception("codingerror"), (500, "codingerror", None)),
            (
                exception("<b>a sentence</b>"),
                (500, "unknown", Some("moodle_exception")),
            ),
            (
                moodle_ws::Error::Timeout(Duration::from_secs(2)),
                (504, "unknown", Some("timeout")),
            ),
            (
                moodle_ws::Error::CircuitOpen {
                    retry_in: Duration::from_secs(3),
                },
                (503, "unknown", Some("circuit_open")),
            ),
            (
                moodle_ws::Error::AnswerTooLarge { limit: 1 << 28 },
                (502, "unknown", Some("bad_response")),
            ),
        ];
        for (e, (status, code, reason)) in cases {
            assert_eq!(of(&e), (status, code.to_owned(), reason), "{e}");
        }
    }

    #[test]
    fn an_answer_over_the_clients_limit_is_named_with_the_limit() {
        let e = moodle_ws::Error::AnswerTooLarge { limit: 1 << 28 };
        assert_eq!(
            message(&e),
            "Moodle's answer is larger than the bridge reads (256 MiB)"
        );
    }
}
