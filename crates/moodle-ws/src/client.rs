//! `Client` and `ClientBuilder`: one Moodle site (base URL, optionally with a path such as
//! `http://host/moodle`), one token, one keep-alive connection pool, one retry policy and
//! one circuit breaker. Cloning is cheap; [`Client::with_token`] makes a client for another
//! user that shares the pool and the breaker.
//!
//! The REST call itself lives here; the attempt/retry/breaker loop is in `transport.rs`,
//! the typed functions in `functions/`, the other endpoints in `login.rs`, `upload.rs`
//! and `download.rs`.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::answer::JsonAnswer;
use crate::breaker::{Breaker, BreakerConfig, BreakerState};
use crate::decode;
use crate::encode::{self, Params};
use crate::error::{Endpoint, Error};
use crate::functions::Function;
use crate::observe::{CallObserver, CallRecord};
use crate::rest_http::{self, RestHttp};
use crate::retry::RetryPolicy;
use crate::secret::Secret;
use crate::tls;

/// The default of [`ClientBuilder::max_answer_bytes`]: 256 MiB.
pub const DEFAULT_MAX_ANSWER_BYTES: u64 = 256 * 1024 * 1024;

/// The names `webservice/rest/server.php` reserves; a parameter with one of them would
/// override the call's own.
const RESERVED: [&str; 3] = ["wstoken", "wsfunction", "moodlewsrestformat"];

/// A Moodle web-services client for one site and one token.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
    pub(crate) token: Option<Secret>,
}

/// What every clone of a client shares.
pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    /// REST calls' client; `None` when a proxy in the environment sends them through reqwest.
    pub(crate) rest_http: Option<RestHttp>,
    pub(crate) urls: SiteUrls,
    pub(crate) timeout: Duration,
    pub(crate) upload_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) breaker: Breaker,
    pub(crate) max_input_vars: usize,
    /// The longest answer read whole (REST, token login, upload); longer ones are refused.
    pub(crate) max_answer_bytes: u64,
    pub(crate) observer: Option<Arc<dyn CallObserver>>,
}

/// The site's URLs.
#[derive(Debug, Clone)]
pub(crate) struct SiteUrls {
    /// The base URL with a trailing `/`.
    pub(crate) base: Url,
    /// Other roots the site's answers may name it by (its `wwwroot` seen from outside).
    pub(crate) aliases: Vec<Url>,
    pub(crate) rest: Url,
    pub(crate) token: Url,
    pub(crate) upload: Url,
    pub(crate) pluginfile: Url,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.urls.base.as_str())
            .field("token", &self.token)
            .field("timeout", &self.inner.timeout)
            .field("breaker", &self.inner.breaker.state())
            .finish()
    }
}

/// Builds a [`Client`].
#[derive(Clone)]
pub struct ClientBuilder {
    base_url: String,
    aliases: Vec<String>,
    token: Option<Secret>,
    timeout: Duration,
    upload_timeout: Duration,
    retry: RetryPolicy,
    breaker: BreakerConfig,
    user_agent: String,
    extra_roots: Vec<Vec<u8>>,
    max_input_vars: usize,
    max_answer_bytes: u64,
    observer: Option<Arc<dyn CallObserver>>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("token", &self.token)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("breaker", &self.breaker)
            .field("observer", &self.observer.is_some())
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// Starts a builder for the site at `base_url` (e.g. `https://moodle.example.org/moodle`).
    pub fn new(base_url: impl Into<String>) -> Self {
        ClientBuilder {
            base_url: base_url.into(),
            aliases: Vec::new(),
            token: None,
            timeout: Duration::from_secs(15),
            upload_timeout: Duration::from_secs(300),
            retry: RetryPolicy::default(),
            breaker: BreakerConfig::default(),
            user_agent: concat!("moodle-bridge/", env!("CARGO_PKG_VERSION"), " (moodle-ws)")
                .to_owned(),
            extra_roots: Vec::new(),
            // Moodle requires at least this `max_input_vars` on PHP 8 (admin/environment.xml);
            // PHP silently drops fields beyond it.
            max_input_vars: 5000,
            max_answer_bytes: DEFAULT_MAX_ANSWER_BYTES,
            observer: None,
        }
    }

    /// The web-service token (without one, Moodle answers `invalidtoken`).
    pub fn token(mut self, token: impl Into<Secret>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Another root URL under which Moodle's answers name this site (its `wwwroot`, when
    /// the client reaches it by another address); file URLs under it are accepted.
    pub fn site_alias(mut self, url: impl Into<String>) -> Self {
        self.aliases.push(url.into());
        self
    }

    /// Time allowed for one attempt of a call, and per read of a download (default 15 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time allowed for one `webservice/upload.php` request (default 300 s).
    pub fn upload_timeout(mut self, timeout: Duration) -> Self {
        self.upload_timeout = timeout;
        self
    }

    /// Repeats of a read-only call after the first attempt (default 3; 0 turns retries off).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.retry.max_retries = retries;
        self
    }

    /// The whole retry policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Consecutive transport failures that open the circuit, and how long it stays open.
    pub fn breaker(mut self, failure_threshold: u32, cool_down: Duration) -> Self {
        self.breaker = BreakerConfig {
            failure_threshold: failure_threshold.max(1),
            cool_down,
        };
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Trusts one more root certificate (DER), e.g. a school's private CA.
    pub fn add_root_certificate_der(mut self, der: Vec<u8>) -> Self {
        self.extra_roots.push(der);
        self
    }

    /// The site's PHP `max_input_vars`; calls with more form fields are refused instead of
    /// being silently cut by PHP (default 5000).
    pub fn max_input_vars(mut self, max: usize) -> Self {
        self.max_input_vars = max;
        self
    }

    /// Reports every finished call to `observer` (for metrics).
    pub fn observer(mut self, observer: Arc<dyn CallObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The longest answer of a REST call, token login or upload that is read (default 256
    /// MiB, far above what Moodle sends for a large course or enrolment list); a longer
    /// answer fails with [`Error::AnswerTooLarge`] as soon as the limit is passed, so a
    /// broken or hostile site cannot make the client hold unbounded memory. Downloads are
    /// streamed and bounded by their own limit.
    pub fn max_answer_bytes(mut self, max: u64) -> Self {
        self.max_answer_bytes = max.max(1);
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a base URL that is not `http(s)://host[/path]` or holds
    /// credentials, and when TLS cannot be set up for an `https` site.
    pub fn build(self) -> Result<Client, Error> {
        let base = site_root(&self.base_url)?;
        let aliases = self
            .aliases
            .iter()
            .map(|a| site_root(a))
            .collect::<Result<Vec<_>, _>>()?;
        let join = |path: &str| {
            base.join(path).map_err(|_| Error::InvalidRequest {
                reason: format!("cannot build the {path} URL"),
            })
        };
        let urls = SiteUrls {
            rest: join(Endpoint::Rest.path())?,
            token: join(Endpoint::Token.path())?,
            upload: join(Endpoint::Upload.path())?,
            pluginfile: join(Endpoint::Pluginfile.path())?,
            base: base.clone(),
            aliases,
        };
        let tls = tls::config(&self.extra_roots, base.scheme() == "https")?;
        let rest_http = if rest_http::proxy_in_environment() {
            None
        } else {
            Some(RestHttp::new(
                tls.clone(),
                &urls.rest,
                &self.user_agent,
                self.timeout,
            )?)
        };
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .user_agent(self.user_agent)
            .connect_timeout(self.timeout)
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(60))
            // Redirects could carry the POSTed token to another place; Moodle's scripts do
            // not redirect, so a redirect is reported as an HTTP status instead.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::InvalidRequest {
                reason: format!("http client setup failed: {}", e.without_url()),
            })?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                rest_http,
                urls,
                timeout: self.timeout,
                upload_timeout: self.upload_timeout,
                retry: self.retry,
                breaker: Breaker::new(self.breaker),
                max_input_vars: self.max_input_vars,
                max_answer_bytes: self.max_answer_bytes,
                observer: self.observer,
            }),
            token: self.token,
        })
    }
}

/// Parses a site root: http(s), no credentials, no query or fragment, path ending in `/`.
fn site_root(raw: &str) -> Result<Url, Error> {
    let bad = |why: &str| Error::InvalidRequest {
        reason: format!("site URL {why}"),
    };
    let mut url = Url::parse(raw.trim()).map_err(|_| bad("is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(bad("must be http(s)://host[/path]"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not contain credentials"));
    }
    url.set_query(None);
    url.set_fragment(None);
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

impl Client {
    /// Starts a [`ClientBuilder`].
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(base_url)
    }

    /// A client with default settings.
    ///
    /// # Errors
    /// As [`ClientBuilder::build`].
    pub fn new(base_url: impl Into<String>, token: impl Into<Secret>) -> Result<Client, Error> {
        ClientBuilder::new(base_url).token(token).build()
    }

    /// A client for the same site with another token, sharing the connection pool and breaker.
    pub fn with_token(&self, token: impl Into<Secret>) -> Client {
        Client {
            inner: self.inner.clone(),
            token: Some(token.into()),
        }
    }

    /// The site's base URL (with a trailing `/`).
    pub fn base_url(&self) -> &str {
        self.inner.urls.base.as_str()
    }

    /// The circuit breaker's state.
    pub fn breaker_state(&self) -> BreakerState {
        self.inner.breaker.state()
    }

    /// The token, for scrubbing error text.
    pub(crate) fn secret(&self) -> Option<&Secret> {
        self.token.as_ref()
    }

    /// Calls any web-service function and decodes its answer into `R`: a
    /// `serde_json::Value`, a `Box<serde_json::value::RawValue>` to pass Moodle's JSON on
    /// untouched, or a type of the caller's (a `core_courseformat_*` answer stays a JSON
    /// string). Retried only when the function only reads.
    ///
    /// # Errors
    /// Any [`Error`]; Moodle's exceptions as [`Error::Exception`]; an answer that does not fit
    /// `R` as [`Error::Decode`].
    pub async fn call_raw<P, R>(&self, function: Function, params: &P) -> Result<R, Error>
    where
        P: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        self.call(function, params).await
    }

    /// Calls a function and decodes its answer.
    pub(crate) async fn call<P, R>(&self, function: Function, params: &P) -> Result<R, Error>
    where
        P: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        self.call_with(function, params, |body, token| {
            decode::rest::<R>(body, token)
        })
        .await
    }

    /// Calls any web-service function and keeps Moodle's answer as the JSON text it came
    /// as, once it is known not to be Moodle's exception: for callers that read it borrowed
    /// ([`JsonAnswer::parse`]) and pass parts of it on without copying them. Retried only
    /// when the function only reads.
    ///
    /// # Errors
    /// Any [`Error`]; Moodle's exceptions as [`Error::Exception`]. The answer's shape is
    /// checked by [`JsonAnswer::parse`].
    pub async fn call_json<P>(&self, function: Function, params: &P) -> Result<JsonAnswer, Error>
    where
        P: Serialize + ?Sized,
    {
        self.call_with(function, params, |body, token| {
            decode::exception(body, token)?;
            Ok(JsonAnswer::new(body.clone(), token.cloned()))
        })
        .await
    }

    /// Calls a function and reads its answer with `decode`.
    async fn call_with<P, T>(
        &self,
        function: Function,
        params: &P,
        decode: impl FnOnce(&Bytes, Option<&Secret>) -> Result<T, Error>,
    ) -> Result<T, Error>
    where
        P: Serialize + ?Sized,
    {
        let started = Instant::now();
        let params = encode::encode(params)?;
        let body = self.rest_body(function.name(), &params)?;
        let retry = function.is_read_only();
        let function = function.name();
        let (outcome, retries) = self
            .with_retries(retry, || self.post_rest(body.clone()))
            .await;
        let decoded = outcome.and_then(|answer| decode(&answer.body, self.secret()));
        self.observe(function, started, retries, decoded.as_ref().err());
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match &decoded {
            Ok(_) => {
                tracing::debug!(function, params = ?params.names(), elapsed_ms, retries, status = "ok", "moodle call")
            }
            Err(e) => tracing::debug!(
                function, params = ?params.names(), elapsed_ms, retries,
                kind = ?e.kind(), error = %e, "moodle call failed"
            ),
        }
        decoded
    }

    /// One attempt of a REST call: the form `body` POSTed to `server.php`, the whole answer
    /// read.
    async fn post_rest(&self, body: Bytes) -> Result<crate::transport::Answer, Error> {
        if let Some(rest) = &self.inner.rest_http {
            return rest
                .post(body, self.inner.timeout, self.inner.max_answer_bytes)
                .await?
                .into_answer(self.secret());
        }
        let request = self.form_post(&self.inner.urls.rest, body);
        self.fetch(request, Endpoint::Rest).await
    }

    /// Tells the observer, if any, that a call finished.
    pub(crate) fn observe(
        &self,
        function: &str,
        started: Instant,
        retries: u32,
        error: Option<&Error>,
    ) {
        if let Some(observer) = &self.inner.observer {
            observer.call_finished(&CallRecord {
                function,
                elapsed: started.elapsed(),
                retries,
                error,
            });
        }
    }

    /// The form body of a REST call: the reserved fields, then the parameters.
    fn rest_body(&self, function: &str, params: &Params) -> Result<Bytes, Error> {
        if let Some(name) = params.names().into_iter().find(|n| RESERVED.contains(n)) {
            return Err(Error::InvalidRequest {
                reason: format!("parameter name {name} is reserved"),
            });
        }
        if params.len() + RESERVED.len() > self.inner.max_input_vars {
            return Err(Error::InvalidRequest {
                reason: format!(
                    "{} form fields exceed the site's max_input_vars ({}); split the call",
                    params.len() + RESERVED.len(),
                    self.inner.max_input_vars
                ),
            });
        }
        let mut form = form_urlencoded::Serializer::new(String::with_capacity(128));
        form.append_pair(
            "wstoken",
            self.token.as_ref().map(Secret::expose).unwrap_or_default(),
        )
        .append_pair("wsfunction", function)
        .append_pair("moodlewsrestformat", "json");
        for (k, v) in params.pairs() {
            form.append_pair(k, v);
        }
        Ok(Bytes::from(form.finish()))
    }
}
