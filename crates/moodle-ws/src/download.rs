//! Downloads through `webservice/pluginfile.php` as byte streams (never the whole file in
//! memory), with the token sent as a POST field so it never sits in a URL (Moodle reads it
//! with `required_param`, GET or POST; recording seq 147).
//!
//! Accepts `fileurl`s as Moodle returns them: `…/webservice/pluginfile.php/…` (possibly
//! with `?forcedownload=1`), `…/pluginfile.php/…` (rewritten to the web-service script),
//! or a path below the script (`/17/user/private/notes.txt`). URLs of other sites are
//! refused, so the token is only ever sent to the configured site.
//!
//! Files the companion plugin lists (`local_bridge_list_user_files`) come through its
//! `local/bridge/download.php` the same way ([`Client::download_user_file`]), as the same
//! [`Download`].

use std::pin::Pin;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt as _, TryStreamExt as _};
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use tokio::io::AsyncRead;
use url::Url;

use crate::client::Client;
use crate::decode;
use crate::error::{Endpoint, Error};

/// Largest body read whole to tell Moodle's JSON error from a file.
const PEEK_LIMIT: usize = 64 * 1024;

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// A file being downloaded.
pub struct Download {
    content_length: Option<u64>,
    content_type: Option<String>,
    filename: Option<String>,
    prefix: Option<Bytes>,
    stream: Option<ByteStream>,
    idle_timeout: Duration,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("content_length", &self.content_length)
            .field("content_type", &self.content_type)
            .field("filename", &self.filename)
            .finish_non_exhaustive()
    }
}

impl Download {
    /// The size announced by Moodle (`Content-Length`), if any.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// The content type announced by Moodle.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The file name from `Content-Disposition`.
    pub fn filename(&self) -> Option<&str> {
        self.filename.as_deref()
    }

    /// The next piece of the file, or `None` at the end.
    ///
    /// # Errors
    /// [`Error::Interrupted`] when the connection breaks (also when fewer bytes arrive than
    /// announced), [`Error::Timeout`] when no data arrives within the client's timeout.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        if let Some(prefix) = self.prefix.take().filter(|p| !p.is_empty()) {
            return Ok(Some(prefix));
        }
        let Some(stream) = self.stream.as_mut() else {
            return Ok(None);
        };
        match tokio::time::timeout(self.idle_timeout, stream.next()).await {
            Err(_) => {
                self.stream = None;
                Err(Error::Timeout(self.idle_timeout))
            }
            Ok(None) => {
                self.stream = None;
                Ok(None)
            }
            Ok(Some(Ok(bytes))) => Ok(Some(bytes)),
            Ok(Some(Err(e))) => {
                self.stream = None;
                Err(crate::transport::map_reqwest_error(e, self.idle_timeout))
            }
        }
    }

    /// The file as a stream of byte chunks; it ends after the first error.
    pub fn into_stream(self) -> impl Stream<Item = Result<Bytes, Error>> + Send {
        futures_util::stream::unfold(Some(self), |state| async move {
            let mut download = state?;
            match download.chunk().await {
                Ok(Some(bytes)) => Some((Ok(bytes), Some(download))),
                Ok(None) => None,
                Err(e) => Some((Err(e), None)),
            }
        })
    }

    /// The file as an `AsyncRead` (errors become `std::io::Error`s wrapping [`Error`]).
    pub fn into_reader(self) -> impl AsyncRead + Send + Unpin {
        tokio_util::io::StreamReader::new(Box::pin(
            self.into_stream().map_err(std::io::Error::other),
        ))
    }
}

impl Client {
    /// Opens a file for download with this client's token.
    ///
    /// Retried like a read (connect failures, 5xx, 429) until the first byte of the file;
    /// a broken transfer is reported, not resumed.
    ///
    /// # Errors
    /// [`Error::Endpoint`] with `filenotfound` (HTTP 404: missing, or not the token user's
    /// to see), `invalidtoken`, `accessexception` (service without download right);
    /// [`Error::InvalidRequest`] for a URL of another site or another script; transport errors.
    pub async fn download(&self, fileurl: &str) -> Result<Download, Error> {
        let url = self.file_url(fileurl)?;
        self.fetch_file(Endpoint::Pluginfile, url, &[]).await
    }

    /// Opens a file that [`Client::list_user_files`] listed, through the companion plugin's
    /// `local/bridge/download.php`: token, course and file id are POSTed, never put in a URL.
    /// Retried like [`Client::download`].
    ///
    /// # Errors
    /// [`Error::Endpoint`] with `filenotfound` (404: not a file the listing shows in this
    /// course), `nopermissions`, `accessexception` (service without file downloads or without
    /// `local_bridge_list_user_files`), `downloaddisabled`, `invalidtoken`, `invalidrecord`;
    /// [`Error::Status`] 404 when the plugin is not installed; transport errors.
    pub async fn download_user_file(&self, courseid: i64, fileid: i64) -> Result<Download, Error> {
        let url = self
            .inner
            .urls
            .base
            .join(Endpoint::BridgeDownload.path())
            .map_err(|_| Error::InvalidRequest {
                reason: "cannot build the download.php URL".to_owned(),
            })?;
        let (courseid, fileid) = (courseid.to_string(), fileid.to_string());
        self.fetch_file(
            Endpoint::BridgeDownload,
            url,
            &[("courseid", &courseid), ("fileid", &fileid)],
        )
        .await
    }

    /// POSTs the token (and `fields`) to a file script and opens the answer.
    async fn fetch_file(
        &self,
        endpoint: Endpoint,
        url: Url,
        fields: &[(&str, &str)],
    ) -> Result<Download, Error> {
        let started = Instant::now();
        let body = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair(
                "token",
                self.token.as_ref().map(|t| t.expose()).unwrap_or_default(),
            );
            for (name, value) in fields {
                form.append_pair(name, value);
            }
            Bytes::from(form.finish())
        };
        let (outcome, retries) = self
            .with_retries(true, || {
                let request = self
                    .inner
                    .http
                    .post(url.clone())
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(body.clone());
                async move {
                    let response = tokio::time::timeout(self.inner.timeout, request.send())
                        .await
                        .map_err(|_| Error::Timeout(self.inner.timeout))?
                        .map_err(|e| self.transport_error(e))?;
                    self.open(response, endpoint).await
                }
            })
            .await;
        self.observe(endpoint.path(), started, retries, outcome.as_ref().err());
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match &outcome {
            Ok(d) => {
                tracing::debug!(endpoint = %endpoint, elapsed_ms, retries, length = ?d.content_length, "moodle download opened")
            }
            Err(e) => {
                tracing::debug!(endpoint = %endpoint, elapsed_ms, retries, error = %e, "moodle download failed")
            }
        }
        outcome
    }

    /// Checks the answer's head; reads small JSON bodies whole to catch Moodle's errors.
    async fn open(
        &self,
        response: reqwest::Response,
        endpoint: Endpoint,
    ) -> Result<Download, Error> {
        let status = response.status().as_u16();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(CONTENT_TYPE);
        let filename = header(CONTENT_DISPOSITION)
            .as_deref()
            .and_then(disposition_filename);
        let content_length = response.content_length();
        let retry_after = decode::retry_after(response.headers());
        let mut download = Download {
            content_length,
            content_type,
            filename,
            prefix: None,
            stream: Some(Box::pin(response.bytes_stream())),
            idle_timeout: self.inner.timeout,
        };
        if !(200..300).contains(&status) {
            let body = download.peek().await?;
            return Err(
                // pluginfile.php refuses with JSON only for a missing file (404);
                // local_bridge's download.php refuses every request with JSON and a 4xx.
                match decode::endpoint_error(endpoint, status, &body, self.secret()) {
                    Some(err)
                        if status == 404
                            || (endpoint == Endpoint::BridgeDownload && status < 500) =>
                    {
                        err
                    }
                    _ => decode::status_error(status, retry_after, &body, self.secret()),
                },
            );
        }
        // A file is served with Content-Disposition; Moodle's errors (invalidtoken,
        // missingparam, accessexception) come as 200 JSON without it.
        let json = download
            .content_type
            .as_deref()
            .is_some_and(|ct| ct.starts_with("application/json"));
        if download.filename.is_none()
            && json
            && content_length.is_none_or(|n| n <= PEEK_LIMIT as u64)
        {
            let body = download.peek().await?;
            if let Some(err) = decode::endpoint_error(endpoint, status, &body, self.secret()) {
                return Err(err);
            }
            download.prefix = Some(body);
        }
        Ok(download)
    }

    /// The web-service download URL for a `fileurl` of this site, without any token in it.
    pub(crate) fn file_url(&self, fileurl: &str) -> Result<Url, Error> {
        let urls = &self.inner.urls;
        let refuse = |why: &str| Error::InvalidRequest {
            reason: format!("file URL {why}"),
        };
        if fileurl.starts_with('/') {
            return Url::parse(&format!("{}{fileurl}", urls.pluginfile))
                .map_err(|_| refuse("is not a valid path"));
        }
        let given = Url::parse(fileurl).map_err(|_| refuse("is not a URL"))?;
        let root = std::iter::once(&urls.base)
            .chain(&urls.aliases)
            .find(|root| root.origin() == given.origin() && given.path().starts_with(root.path()))
            .ok_or_else(|| refuse("is not on this Moodle site"))?;
        let rest = &given.path()[root.path().len()..];
        let script = Endpoint::Pluginfile.path();
        let rest = if rest.starts_with(script) {
            rest.to_owned()
        } else if rest.starts_with("pluginfile.php") {
            format!("webservice/{rest}")
        } else {
            return Err(refuse("is not a pluginfile.php URL"));
        };
        let mut url = urls
            .base
            .join(&rest)
            .map_err(|_| refuse("cannot be rewritten"))?;
        let kept: Vec<(String, String)> = given
            .query_pairs()
            .filter(|(k, _)| k != "token" && k != "wstoken")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
        Ok(url)
    }
}

impl Download {
    /// Reads up to [`PEEK_LIMIT`] bytes; when the body is longer the rest stays streamable
    /// (callers that keep the download put the returned bytes back as its prefix).
    async fn peek(&mut self) -> Result<Bytes, Error> {
        let mut buf = BytesMut::new();
        while buf.len() < PEEK_LIMIT {
            match self.chunk().await? {
                Some(bytes) => buf.extend_from_slice(&bytes),
                None => break,
            }
        }
        Ok(buf.freeze())
    }
}

/// `filename="x"` or `filename*=UTF-8''x` from a `Content-Disposition` value.
fn disposition_filename(value: &str) -> Option<String> {
    if let Some(pos) = value.find("filename*=") {
        let raw = value[pos + "filename*=".len()..].split(';').next()?.trim();
        let encoded = raw.split("''").nth(1)?;
        let decoded =
            form_urlencoded::parse(format!("x={}", encoded.replace('+', "%2B")).as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())?;
        return Some(decoded);
    }
    let pos = value.find("filename=")?;
    let raw = value[pos + "filename=".len()..].trim_start();
    let name = match raw.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next()?,
        None => raw.split(';').next()?.trim(),
    };
    Some(name.to_owned())
}

#[cfg(test)]
mod tests;
