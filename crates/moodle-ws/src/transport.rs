//! One request's way through the network: the circuit breaker, the attempt with its
//! timeout, the retry loop for read-only calls, and the mapping of transport failures to
//! [`Error`] without URLs (reqwest's errors carry the request URL; a pluginfile URL can
//! carry a token, so only the cause chain is kept).

use std::future::Future;

use bytes::Bytes;

use crate::client::Client;
use crate::decode;
use crate::error::{Endpoint, Error};
use crate::secret::{SNIPPET_CHARS, scrub};

/// A complete 2xx answer: the whole body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) body: Bytes,
}

impl Client {
    /// Runs `attempt` through the breaker, repeating it (when `retry`) after retryable
    /// errors. Returns the outcome and the number of repeats made.
    pub(crate) async fn with_retries<T, F, Fut>(
        &self,
        retry: bool,
        mut attempt: F,
    ) -> (Result<T, Error>, u32)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let mut retries = 0;
        loop {
            let permit = match self.inner.breaker.acquire() {
                Ok(p) => p,
                Err(e) => return (Err(e), retries),
            };
            let outcome = attempt().await;
            self.inner.breaker.record(permit, &outcome);
            let err = match outcome {
                Ok(v) => return (Ok(v), retries),
                Err(e) if retry && e.is_retryable() => e,
                Err(e) => return (Err(e), retries),
            };
            match self.inner.retry.delay(retries, err.retry_after()) {
                Some(wait) => {
                    tracing::debug!(retry = retries + 1, wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), error = %err, "retrying moodle call");
                    tokio::time::sleep(wait).await;
                    retries += 1;
                }
                None => return (Err(err), retries),
            }
        }
    }

    /// A form POST to one of the site's scripts through reqwest, with the call timeout.
    pub(crate) fn form_post(&self, url: &url::Url, body: Bytes) -> reqwest::RequestBuilder {
        self.inner
            .http
            .post(url.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .timeout(self.inner.timeout)
            .body(body)
    }

    /// Sends a request and reads the whole answer; statuses other than 2xx become errors.
    pub(crate) async fn fetch(
        &self,
        request: reqwest::RequestBuilder,
        endpoint: Endpoint,
    ) -> Result<Answer, Error> {
        let response = request.send().await.map_err(|e| self.transport_error(e))?;
        let status = response.status().as_u16();
        let retry_after = decode::retry_after(response.headers());
        let timeout = self.inner.timeout;
        let body = read_bounded(
            http::Response::from(response).into_body(),
            self.inner.max_answer_bytes,
            |e| match e.downcast::<reqwest::Error>() {
                Ok(e) => map_reqwest_error(*e, timeout),
                Err(e) => Error::Interrupted {
                    reason: transport_reason(&*e),
                },
            },
        )
        .await?;
        classify(status, retry_after, body, endpoint, self.secret())
    }

    /// A reqwest failure as a URL-free [`Error`].
    pub(crate) fn transport_error(&self, e: reqwest::Error) -> Error {
        map_reqwest_error(e, self.inner.timeout)
    }
}

/// Reads a whole body, refusing it with [`Error::AnswerTooLarge`] as soon as it passes
/// `limit` bytes (nothing past the limit is buffered); other failures of the body go through
/// `fail`.
pub(crate) async fn read_bounded<B>(
    body: B,
    limit: u64,
    fail: impl FnOnce(Box<dyn std::error::Error + Send + Sync>) -> Error,
) -> Result<Bytes, Error>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    use http_body_util::{BodyExt, LengthLimitError, Limited};
    let cap = usize::try_from(limit).unwrap_or(usize::MAX);
    match Limited::new(body, cap).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(Error::AnswerTooLarge { limit }),
        Err(e) => Err(fail(e)),
    }
}

/// A whole answer by its status: 2xx is the answer, anything else its error.
pub(crate) fn classify(
    status: u16,
    retry_after: Option<std::time::Duration>,
    body: Bytes,
    endpoint: Endpoint,
    token: Option<&crate::secret::Secret>,
) -> Result<Answer, Error> {
    if (200..300).contains(&status) {
        return Ok(Answer { body });
    }
    // Moodle's own scripts answer 404 only with their JSON error (a missing file).
    if status == 404
        && let Some(err) = decode::endpoint_error(endpoint, status, &body, token)
    {
        return Err(err);
    }
    Err(decode::status_error(status, retry_after, &body, token))
}

/// A reqwest failure as a URL-free [`Error`]; `timeout` is the limit that applied.
pub(crate) fn map_reqwest_error(e: reqwest::Error, timeout: std::time::Duration) -> Error {
    let e = e.without_url();
    if e.is_timeout() {
        return Error::Timeout(timeout);
    }
    if e.is_builder() {
        return Error::InvalidRequest {
            reason: "request could not be built".to_owned(),
        };
    }
    let reason = cause(&e);
    if e.is_connect() {
        Error::Connect { reason }
    } else {
        Error::Interrupted { reason }
    }
}

/// The innermost cause of a reqwest failure (see [`chain_reason`]).
fn cause(e: &reqwest::Error) -> String {
    chain_reason(e).unwrap_or_else(|| {
        if e.is_body() || e.is_decode() {
            "the answer broke off".to_owned()
        } else {
            "transport error".to_owned()
        }
    })
}

/// The innermost cause of a hyper failure (see [`chain_reason`]), else its own text; hyper's
/// texts name no URL.
pub(crate) fn transport_reason(e: &(dyn std::error::Error + 'static)) -> String {
    chain_reason(e).unwrap_or_else(|| scrub(&e.to_string(), None, SNIPPET_CHARS))
}

/// An I/O error kind in the error's cause chain when there is one, else the innermost
/// cause's text; `None` without causes.
fn chain_reason(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut source = e.source();
    let mut last = None;
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(io_reason(io));
        }
        last = Some(s);
        source = s.source();
    }
    last.map(|s| scrub(&s.to_string(), None, SNIPPET_CHARS))
}

fn io_reason(io: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match io.kind() {
        ErrorKind::ConnectionRefused => "connection refused".to_owned(),
        ErrorKind::ConnectionReset => "connection reset".to_owned(),
        ErrorKind::ConnectionAborted => "connection aborted".to_owned(),
        ErrorKind::UnexpectedEof => "connection closed early".to_owned(),
        ErrorKind::TimedOut => "timed out".to_owned(),
        ErrorKind::BrokenPipe => "broken pipe".to_owned(),
        ErrorKind::NotFound => "host not found".to_owned(),
        _ => scrub(&io.to_string(), None, SNIPPET_CHARS),
    }
}
