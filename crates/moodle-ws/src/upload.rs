//! `webservice/upload.php`: files into the token user's draft area as one multipart
//! request, each file streamed from an `AsyncRead` (never held whole in memory).
//!
//! Moodle: the answer is a JSON array, one element per file: the stored draft-file record,
//! or `{filename, errortype, error}` for a file it refused (too big, name taken); a refusal
//! of the whole request uses the `{error, errorcode, …}` shape. Files always go to the
//! `user/draft` area; `filearea` is not read. Uploads are never retried.

use std::pin::Pin;
use std::time::Instant;

use serde::Deserialize;
use tokio::io::AsyncRead;
use tokio_util::io::ReaderStream;

use crate::client::Client;
use crate::decode;
use crate::error::{Endpoint, Error};
use crate::functions::lenient;
use crate::secret::Secret;

/// One file to upload.
pub struct UploadFile {
    filename: String,
    content_type: Option<String>,
    length: Option<u64>,
    reader: Pin<Box<dyn AsyncRead + Send>>,
}

impl std::fmt::Debug for UploadFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadFile")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("length", &self.length)
            .finish_non_exhaustive()
    }
}

impl UploadFile {
    /// A file read from `reader` as it is sent.
    pub fn from_reader(
        filename: impl Into<String>,
        reader: impl AsyncRead + Send + 'static,
    ) -> Self {
        UploadFile {
            filename: filename.into(),
            content_type: None,
            length: None,
            reader: Box::pin(reader),
        }
    }

    /// Declares the file's size, so the request carries a `Content-Length` (proxies and
    /// PHP handle that better than chunked uploads).
    pub fn with_length(mut self, length: u64) -> Self {
        self.length = Some(length);
        self
    }

    /// Sets the part's content type (default: guessed from the name by Moodle).
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }
}

/// Where in the draft area to put the files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadOptions {
    /// An existing draft item id to add to (default: Moodle picks a new one).
    pub itemid: Option<i64>,
    /// The directory inside the draft area (default `/`).
    pub filepath: Option<String>,
}

/// A file stored in the draft area.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct DraftFile {
    /// Always `user`.
    pub component: String,
    /// The user's context id.
    #[serde(deserialize_with = "lenient::int")]
    pub contextid: i64,
    /// The owner (Moodle sends it as a string).
    #[serde(deserialize_with = "lenient::int")]
    pub userid: i64,
    /// Always `draft`.
    pub filearea: String,
    /// The stored name (after `PARAM_FILE` cleaning).
    pub filename: String,
    /// The directory.
    pub filepath: String,
    /// The draft item id.
    #[serde(deserialize_with = "lenient::int")]
    pub itemid: i64,
    /// The licence short name.
    #[serde(deserialize_with = "lenient::string")]
    pub license: String,
    /// The author's name.
    #[serde(deserialize_with = "lenient::string")]
    pub author: String,
    /// Size in bytes.
    #[serde(deserialize_with = "lenient::int")]
    pub filesize: i64,
}

/// A file Moodle refused (`{filename, errortype, error}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RejectedFile {
    /// The file's name.
    pub filename: String,
    /// `fileoversized`, `filenameexist`, ….
    pub errortype: String,
    /// Moodle's message.
    #[serde(rename = "error")]
    pub message: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Item {
    Rejected(RejectedFile),
    Stored(DraftFile),
}

/// What an upload did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DraftUpload {
    /// The draft item id (the one given, or the one Moodle picked if any file was stored).
    pub itemid: Option<i64>,
    /// The stored files.
    pub files: Vec<DraftFile>,
    /// The refused files.
    pub rejected: Vec<RejectedFile>,
}

impl DraftUpload {
    /// Itself when no file was refused, else the first refusal as an error.
    ///
    /// # Errors
    /// [`Error::FileRejected`].
    pub fn fail_on_rejected(self) -> Result<Self, Error> {
        match self.rejected.first() {
            None => Ok(self),
            Some(r) => Err(Error::FileRejected {
                filename: r.filename.clone(),
                errortype: r.errortype.clone(),
                message: r.message.clone(),
            }),
        }
    }
}

/// Reads upload.php's answer: stored records and refusals, in order.
fn parse_answer(
    body: &[u8],
    given_itemid: Option<i64>,
    token: Option<&Secret>,
) -> Result<DraftUpload, Error> {
    let items: Vec<Item> = decode::endpoint(Endpoint::Upload, body, token)?;
    let mut upload = DraftUpload {
        itemid: given_itemid.filter(|i| *i > 0),
        ..DraftUpload::default()
    };
    for item in items {
        match item {
            Item::Stored(f) => {
                upload.itemid.get_or_insert(f.itemid);
                upload.files.push(f);
            }
            Item::Rejected(r) => upload.rejected.push(r),
        }
    }
    Ok(upload)
}

impl Client {
    /// Uploads files into the token user's draft area (for `core_user_add_user_private_files`,
    /// assignment submissions, or a plugin that takes a draft item id).
    ///
    /// # Errors
    /// [`Error::Endpoint`] when Moodle refuses the request (`invalidtoken`, `accessexception`
    /// when the service has no upload right, `userquotalimit`, …), transport errors.
    /// Refused single files are in [`DraftUpload::rejected`], not errors.
    pub async fn upload_to_draft(
        &self,
        files: Vec<UploadFile>,
        options: UploadOptions,
    ) -> Result<DraftUpload, Error> {
        let started = Instant::now();
        let count = files.len();
        let mut form = reqwest::multipart::Form::new()
            .text(
                "token",
                self.token
                    .as_ref()
                    .map(|t| t.expose().to_owned())
                    .unwrap_or_default(),
            )
            .text(
                "filepath",
                options.filepath.clone().unwrap_or_else(|| "/".to_owned()),
            )
            .text("itemid", options.itemid.unwrap_or(0).to_string());
        for (i, file) in files.into_iter().enumerate() {
            let body = reqwest::Body::wrap_stream(ReaderStream::new(file.reader));
            let part = match file.length {
                Some(len) => reqwest::multipart::Part::stream_with_length(body, len),
                None => reqwest::multipart::Part::stream(body),
            }
            .file_name(file.filename);
            let part = match file.content_type {
                Some(ct) => part.mime_str(&ct).map_err(|_| Error::InvalidRequest {
                    reason: format!("{ct:?} is not a content type"),
                })?,
                None => part,
            };
            form = form.part(format!("file_{}", i + 1), part);
        }
        let request = self
            .inner
            .http
            .post(self.inner.urls.upload.clone())
            .timeout(self.inner.upload_timeout)
            .multipart(form);
        // A streamed body can be sent once: the attempt closure runs once (no retries).
        let mut request = Some(request);
        let (outcome, retries) = self
            .with_retries(false, || {
                let request = request.take();
                async move {
                    match request {
                        Some(r) => self.fetch(r, Endpoint::Upload).await,
                        None => Err(Error::InvalidRequest {
                            reason: "upload body already sent".to_owned(),
                        }),
                    }
                }
            })
            .await;
        let result =
            outcome.and_then(|answer| parse_answer(&answer.body, options.itemid, self.secret()));
        self.observe(
            Endpoint::Upload.path(),
            started,
            retries,
            result.as_ref().err(),
        );
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match &result {
            Ok(u) => {
                tracing::debug!(endpoint = %Endpoint::Upload, files = count, stored = u.files.len(), rejected = u.rejected.len(), elapsed_ms, "moodle upload")
            }
            Err(e) => {
                tracing::debug!(endpoint = %Endpoint::Upload, files = count, elapsed_ms, error = %e, "moodle upload failed")
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::testdata;

    #[test]
    fn recorded_uploads_decode_with_their_draft_item_id() {
        for seq in [133, 135, 136, 139] {
            let r = testdata::seq(seq);
            let raw: serde_json::Value = serde_json::from_str(&r.body).expect("json");
            let u = parse_answer(r.body.as_bytes(), None, None).expect("decodes");
            assert_eq!(
                u.files.len(),
                raw.as_array().map_or(0, Vec::len),
                "seq {seq}"
            );
            assert_eq!(u.itemid, raw[0]["itemid"].as_i64(), "seq {seq}");
            assert_eq!(u.files[0].userid, 4, "userid comes as a string");
        }
        let empty = parse_answer(testdata::seq(138).body.as_bytes(), None, None).expect("[]");
        assert_eq!(empty, DraftUpload::default());
    }

    #[test]
    fn per_file_refusals_are_kept_and_can_become_errors() {
        // Moodle 5.0 adds avscantime to refusal items.
        let body = br#"[{"filename":"big.bin","errortype":"fileoversized","error":"[[maxbytes]]","avscantime":0.01},
            {"component":"user","contextid":17,"userid":"4","filearea":"draft","filename":"a.txt","filepath":"/","itemid":5,"license":"unknown","author":"A","source":"x","filesize":1}]"#;
        let u = parse_answer(body, None, None).expect("decodes");
        assert_eq!((u.itemid, u.files.len(), u.rejected.len()), (Some(5), 1, 1));
        let err = u.fail_on_rejected().expect_err("refused");
        assert!(
            matches!(&err, Error::FileRejected { errortype, .. } if errortype == "fileoversized")
        );
        assert_eq!(err.kind(), ErrorKind::TooLarge);
    }

    #[test]
    fn whole_request_errors_use_the_endpoint_shape() {
        let err = parse_answer(testdata::seq(137).body.as_bytes(), None, None)
            .expect_err("invalid token");
        assert!(
            matches!(err, Error::Endpoint { endpoint: Endpoint::Upload, ref errorcode, .. } if errorcode == "invalidtoken")
        );
    }
}
