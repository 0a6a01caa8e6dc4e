//! The HTTP client of REST calls (`webservice/rest/server.php`): hyper-util's pooled client
//! over rustls (hyper-rustls), HTTP/1.1 or HTTP/2 as ALPN decides, with the TLS
//! configuration of the crate's reqwest client (same roots, same verifier). REST calls are
//! the gateway's hot path, and reqwest's per-request machinery (the URL parsed again after
//! every answer, its redirect layer, its request and response wrappers) cost about a tenth
//! of a gateway request's time: `scripts/bench-gateway`'s `floor` and `floor-hyper` paths
//! measure exactly that difference. Everything else (login, uploads, downloads) stays on
//! reqwest.
//!
//! A proxy in the environment (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, any case) keeps REST
//! calls on reqwest too, which honours those variables: this client connects directly only.

use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER, USER_AGENT};
use http::{Request, Uri};
use http_body_util::Full;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::decode;
use crate::error::Error;
use crate::transport::{Answer, read_bounded, transport_reason};

/// The environment variables through which reqwest finds a proxy.
const PROXY_VARIABLES: [&str; 6] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// Whether the environment names a proxy (then REST calls go through reqwest, which uses it).
pub(crate) fn proxy_in_environment() -> bool {
    PROXY_VARIABLES
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

/// The REST endpoint's client: one pool, one URI.
pub(crate) struct RestHttp {
    client: HyperClient<HttpsConnector<HttpConnector>, Full<Bytes>>,
    uri: Uri,
    user_agent: HeaderValue,
}

/// What came back: the status, `Retry-After` as Moodle or a proxy sent it, the whole body.
pub(crate) struct RestAnswer {
    pub(crate) status: u16,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) body: Bytes,
}

impl RestHttp {
    /// A client for `rest` (the site's `server.php` URL) with `tls` for https sites.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when the URL is not a valid request target or the user
    /// agent not a valid header value.
    pub(crate) fn new(
        mut tls: rustls::ClientConfig,
        rest: &url::Url,
        user_agent: &str,
        connect_timeout: Duration,
    ) -> Result<RestHttp, Error> {
        let invalid = |what: &str| Error::InvalidRequest {
            reason: format!("http client setup failed: {what}"),
        };
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(connect_timeout));
        // hyper-rustls sets the ALPN list itself (h2, http/1.1: the same offer).
        tls.alpn_protocols.clear();
        let https = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let client = HyperClient::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(https);
        Ok(RestHttp {
            client,
            uri: rest
                .as_str()
                .parse()
                .map_err(|_| invalid("the REST URL is not a request target"))?,
            user_agent: HeaderValue::from_str(user_agent)
                .map_err(|_| invalid("the user agent is not a header value"))?,
        })
    }

    /// POSTs a form `body` and reads the whole answer, at most `max_answer_bytes` of it,
    /// within `timeout` (connecting, sending and reading together, as reqwest's request
    /// timeout counts).
    ///
    /// # Errors
    /// [`Error::Timeout`], [`Error::Connect`] when no connection could be made,
    /// [`Error::Interrupted`] when one broke; none of them carries the URL.
    /// [`Error::AnswerTooLarge`] past `max_answer_bytes`.
    pub(crate) async fn post(
        &self,
        body: Bytes,
        timeout: Duration,
        max_answer_bytes: u64,
    ) -> Result<RestAnswer, Error> {
        let mut request = Request::post(self.uri.clone())
            .body(Full::new(body))
            .map_err(|_| Error::InvalidRequest {
                reason: "request could not be built".to_owned(),
            })?;
        let headers = request.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        headers.insert(USER_AGENT, self.user_agent.clone());
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| {
                let reason = transport_reason(&e);
                if e.is_connect() {
                    Error::Connect { reason }
                } else {
                    Error::Interrupted { reason }
                }
            })?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(decode::parse_retry_after);
            let body = read_bounded(response.into_body(), max_answer_bytes, |e| {
                Error::Interrupted {
                    reason: transport_reason(&*e),
                }
            })
            .await?;
            Ok(RestAnswer {
                status,
                retry_after,
                body,
            })
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| Error::Timeout(timeout))?
    }
}

impl RestAnswer {
    /// The answer as the transport's other paths give it: 2xx, or the status's error.
    pub(crate) fn into_answer(
        self,
        token: Option<&crate::secret::Secret>,
    ) -> Result<Answer, Error> {
        crate::transport::classify(
            self.status,
            self.retry_after,
            self.body,
            crate::error::Endpoint::Rest,
            token,
        )
    }
}
