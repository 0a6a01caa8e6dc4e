//! Files through REST (`files/externallib.php`): list an area (`core_files_get_files`)
//! and upload one small base64 file into the draft area (`core_files_upload`). Large
//! files go through `upload.rs` (streamed) and come back through `download.rs`.

use crate::functions::Function;
use serde::{Deserialize, Serialize};

use super::lenient;
use crate::client::Client;
use crate::error::Error;

/// `core_files_get_files`.
pub const GET_FILES: Function = Function::read("core_files_get_files");
/// `core_files_upload`.
pub const UPLOAD: Function = Function::write("core_files_upload");

/// A file area to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileQuery {
    /// Context id, or -1 to use `contextlevel` and `instanceid`.
    pub contextid: i64,
    /// Component (`user`, `mod_resource`, …).
    pub component: String,
    /// File area (`private`, `content`, …).
    pub filearea: String,
    /// Item id.
    pub itemid: i64,
    /// Directory (`/`).
    pub filepath: String,
    /// One file's name, or empty for the whole directory.
    pub filename: String,
    /// Only files changed since.
    pub modified: Option<i64>,
    /// Context level (`user`, `course`, `module`, …) when `contextid` is -1.
    pub contextlevel: Option<String>,
    /// Instance id for `contextlevel`.
    pub instanceid: Option<i64>,
}

impl FileQuery {
    /// A user's private files directory (only the user's own token sees them).
    pub fn user_private(userid: i64, filepath: impl Into<String>) -> Self {
        FileQuery {
            contextid: -1,
            component: "user".to_owned(),
            filearea: "private".to_owned(),
            itemid: 0,
            filepath: filepath.into(),
            filename: String::new(),
            modified: None,
            contextlevel: Some("user".to_owned()),
            instanceid: Some(userid),
        }
    }
}

/// `core_files_get_files` answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct FileListing {
    /// The path from the system context down.
    #[serde(deserialize_with = "lenient::list")]
    pub parents: Vec<FileParent>,
    /// Files and directories.
    #[serde(deserialize_with = "lenient::list")]
    pub files: Vec<FileEntry>,
}

/// A level above the listed directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct FileParent {
    /// Context id.
    #[serde(deserialize_with = "lenient::int")]
    pub contextid: i64,
    /// Component.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub component: Option<String>,
    /// File area.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub filearea: Option<String>,
    /// Item id.
    #[serde(deserialize_with = "lenient::opt_int")]
    pub itemid: Option<i64>,
    /// Directory.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub filepath: Option<String>,
    /// Display name.
    #[serde(deserialize_with = "lenient::string")]
    pub filename: String,
}

/// A file or directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct FileEntry {
    /// Context id.
    #[serde(deserialize_with = "lenient::int")]
    pub contextid: i64,
    /// Component.
    #[serde(deserialize_with = "lenient::string")]
    pub component: String,
    /// File area.
    #[serde(deserialize_with = "lenient::string")]
    pub filearea: String,
    /// Item id.
    #[serde(deserialize_with = "lenient::int")]
    pub itemid: i64,
    /// Directory.
    #[serde(deserialize_with = "lenient::string")]
    pub filepath: String,
    /// Name.
    #[serde(deserialize_with = "lenient::string")]
    pub filename: String,
    /// A directory.
    #[serde(deserialize_with = "lenient::boolean")]
    pub isdir: bool,
    /// Browser URL (`…/pluginfile.php/…`; pass it to `Client::download`), `None` for directories.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub url: Option<String>,
    /// Last change.
    #[serde(deserialize_with = "lenient::int")]
    pub timemodified: i64,
    /// Size in bytes.
    #[serde(deserialize_with = "lenient::opt_int")]
    pub filesize: Option<i64>,
}

/// A file descriptor inside other answers (course overview files, submission files).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct FileRef {
    /// Name.
    #[serde(deserialize_with = "lenient::string")]
    pub filename: String,
    /// Directory.
    #[serde(deserialize_with = "lenient::string")]
    pub filepath: String,
    /// Size in bytes.
    #[serde(deserialize_with = "lenient::int")]
    pub filesize: i64,
    /// Download URL (`…/webservice/pluginfile.php/…`).
    #[serde(deserialize_with = "lenient::string")]
    pub fileurl: String,
    /// Last change.
    #[serde(deserialize_with = "lenient::int")]
    pub timemodified: i64,
    /// MIME type.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub mimetype: Option<String>,
    /// Stored in an external repository.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub isexternalfile: Option<bool>,
}

/// A small file for `core_files_upload` (base64 in a form field; Moodle only accepts the
/// token user's `draft` area).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileUpload {
    /// Context id (`None` to use `contextlevel`/`instanceid`).
    pub contextid: Option<i64>,
    /// Component (`user`).
    pub component: String,
    /// File area (`draft`).
    pub filearea: String,
    /// Draft item id (0 = a new one).
    pub itemid: i64,
    /// Directory.
    pub filepath: String,
    /// Name.
    pub filename: String,
    /// The content, base64.
    pub filecontent: String,
    /// Context level (`user`).
    pub contextlevel: Option<String>,
    /// Instance id (the user id).
    pub instanceid: Option<i64>,
}

impl FileUpload {
    /// A file for the token user's (`userid`) draft area; `base64` is the content, encoded.
    pub fn draft(userid: i64, filename: impl Into<String>, base64: impl Into<String>) -> Self {
        FileUpload {
            contextid: None,
            component: "user".to_owned(),
            filearea: "draft".to_owned(),
            itemid: 0,
            filepath: "/".to_owned(),
            filename: filename.into(),
            filecontent: base64.into(),
            contextlevel: Some("user".to_owned()),
            instanceid: Some(userid),
        }
    }
}

/// The stored file of `core_files_upload`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct UploadedFile {
    /// Context id.
    #[serde(deserialize_with = "lenient::int")]
    pub contextid: i64,
    /// Component.
    #[serde(deserialize_with = "lenient::string")]
    pub component: String,
    /// File area.
    #[serde(deserialize_with = "lenient::string")]
    pub filearea: String,
    /// Draft item id.
    #[serde(deserialize_with = "lenient::int")]
    pub itemid: i64,
    /// Directory.
    #[serde(deserialize_with = "lenient::string")]
    pub filepath: String,
    /// Name.
    #[serde(deserialize_with = "lenient::string")]
    pub filename: String,
    /// `draftfile.php` URL (works only in the uploader's browser session).
    #[serde(deserialize_with = "lenient::string")]
    pub url: String,
}

impl Client {
    /// Lists a file area directory (through Moodle's file browser: a user's private files
    /// only for that user; others get an empty list).
    ///
    /// # Errors
    /// `invalidparameter` and other [`Error`]s.
    pub async fn get_files(&self, query: &FileQuery) -> Result<FileListing, Error> {
        self.call(GET_FILES, query).await
    }

    /// Uploads one small file (base64) into the token user's draft area. Never retried.
    ///
    /// # Errors
    /// `codingerror` for any area but `user/draft`, and other [`Error`]s.
    pub async fn upload(&self, file: &FileUpload) -> Result<UploadedFile, Error> {
        self.call(UPLOAD, file).await
    }
}
