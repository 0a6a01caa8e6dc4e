//! Moodle's file store (`files` table plus content): areas, directory entries, hashes.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha1::{Digest, Sha1};

use super::{State, now};

/// A row of `files` with its content.
#[derive(Debug, Clone)]
pub struct StoredFile {
    /// Id.
    pub id: i64,
    /// Context id.
    pub contextid: i64,
    /// Component (`user`, `mod_resource`, …).
    pub component: String,
    /// File area (`private`, `draft`, `content`, …).
    pub filearea: String,
    /// Item id.
    pub itemid: i64,
    /// Directory path, `/`-delimited, starting and ending with `/`.
    pub filepath: String,
    /// File name, `.` for a directory entry.
    pub filename: String,
    /// Content (empty for directories and for files kept on disk).
    pub content: Arc<[u8]>,
    /// Content kept in a file instead of memory (large files for benchmarks, see
    /// [`State::create_file_on_disk`]).
    pub on_disk: Option<Arc<OnDisk>>,
    /// SHA-1 of the content (Moodle's `contenthash`).
    pub contenthash: String,
    /// MIME type (`None` for directories).
    pub mimetype: Option<String>,
    /// Owner, when recorded.
    pub userid: Option<i64>,
    /// Author.
    pub author: Option<String>,
    /// Licence short name.
    pub license: Option<String>,
    /// Serialised source information.
    pub source: Option<String>,
    /// Sort order (1 = main file).
    pub sortorder: i64,
    /// Creation time.
    pub timecreated: i64,
    /// Last change.
    pub timemodified: i64,
}

impl StoredFile {
    /// Whether this row is a directory entry.
    pub fn is_dir(&self) -> bool {
        self.filename == "."
    }

    /// Size in bytes.
    pub fn filesize(&self) -> i64 {
        match &self.on_disk {
            Some(d) => i64::try_from(d.size).unwrap_or(i64::MAX),
            None => i64::try_from(self.content.len()).unwrap_or(i64::MAX),
        }
    }
}

/// A file's content in a file on this machine: served by streaming, never read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnDisk {
    /// Where the content is.
    pub path: PathBuf,
    /// Its size when it was added.
    pub size: u64,
}

/// The MIME type Moodle assigns by extension (`lib/classes/filetypes.php`).
pub fn mimetype_for(filename: &str) -> &'static str {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "xml" => "application/xml",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" | "jpe" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "zip" => "application/zip",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt" => "application/vnd.oasis.opendocument.text",
        "mp3" => "audio/mp3",
        "mp4" => "video/mp4",
        "md" => "text/plain",
        _ => "document/unknown",
    }
}

/// `file_storage::mimetype()`: by extension, else (`document/unknown`) by content as
/// libmagic's `finfo` reads it: text, PDF, PNG, JPEG, GIF, ZIP or unknown binary.
pub fn mimetype_of(filename: &str, content: &[u8]) -> &'static str {
    let by_name = mimetype_for(filename);
    if by_name != "document/unknown" {
        return by_name;
    }
    if content.is_empty() {
        // finfo's application/x-empty is not one of Moodle's types.
        return "document/unknown";
    }
    if content.starts_with(b"%PDF-") {
        "application/pdf"
    } else if content.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if content.starts_with(&[0xff, 0xd8, 0xff]) {
        "image/jpeg"
    } else if content.starts_with(b"GIF8") {
        "image/gif"
    } else if content.starts_with(b"PK\x03\x04") {
        "application/zip"
    } else if !content.contains(&0) && std::str::from_utf8(content).is_ok() {
        "text/plain"
    } else {
        "application/octet-stream"
    }
}

/// The icon Moodle shows for a MIME type (`file_mimetype_icon`), e.g. `f/pdf`.
pub fn mimetype_icon(mimetype: &str) -> &'static str {
    match mimetype {
        "application/pdf" => "f/pdf",
        "text/csv" | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => {
            "f/spreadsheet"
        }
        "text/plain" => "f/text",
        "text/html" => "f/html",
        m if m.starts_with("image/") => "f/image",
        m if m.starts_with("audio/") => "f/audio",
        m if m.starts_with("video/") => "f/video",
        "application/zip" => "f/archive",
        "application/msword"
        | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        | "application/vnd.oasis.opendocument.text" => "f/document",
        _ => "f/unknown",
    }
}

/// Moodle's `contenthash`.
pub fn sha1_hex(content: &[u8]) -> String {
    let digest = Sha1::digest(content);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where a new file goes and who made it.
#[derive(Debug, Clone)]
pub struct NewFile<'a> {
    /// Context id.
    pub contextid: i64,
    /// Component.
    pub component: &'a str,
    /// File area.
    pub filearea: &'a str,
    /// Item id.
    pub itemid: i64,
    /// Directory path.
    pub filepath: &'a str,
    /// File name.
    pub filename: &'a str,
    /// Owner.
    pub userid: Option<i64>,
    /// Author.
    pub author: Option<String>,
    /// Licence.
    pub license: Option<String>,
    /// Source.
    pub source: Option<String>,
}

impl State {
    /// Files of an area, directory entries included, in id order.
    pub fn area_files(
        &self,
        contextid: i64,
        component: &str,
        filearea: &str,
        itemid: i64,
    ) -> Vec<&StoredFile> {
        self.files
            .values()
            .filter(|f| {
                f.contextid == contextid
                    && f.component == component
                    && f.filearea == filearea
                    && f.itemid == itemid
            })
            .collect()
    }

    /// One file by its full path.
    pub fn find_file(
        &self,
        contextid: i64,
        component: &str,
        filearea: &str,
        itemid: i64,
        filepath: &str,
        filename: &str,
    ) -> Option<&StoredFile> {
        self.area_files(contextid, component, filearea, itemid)
            .into_iter()
            .find(|f| f.filepath == filepath && f.filename == filename)
    }

    /// Creates a file (`create_file_from_string`), adding the directory entries of its path
    /// like Moodle does. Returns the new file id.
    pub fn create_file(&mut self, new: NewFile<'_>, content: Arc<[u8]>) -> i64 {
        self.ensure_directories(&new);
        let time = now();
        let id = self.seq.next("files");
        let mimetype = mimetype_of(new.filename, &content).to_owned();
        self.files.insert(
            id,
            StoredFile {
                id,
                contextid: new.contextid,
                component: new.component.to_owned(),
                filearea: new.filearea.to_owned(),
                itemid: new.itemid,
                filepath: new.filepath.to_owned(),
                filename: new.filename.to_owned(),
                contenthash: sha1_hex(&content),
                content,
                on_disk: None,
                mimetype: Some(mimetype),
                userid: new.userid,
                author: new.author,
                license: new.license,
                source: new.source,
                sortorder: 0,
                timecreated: time,
                timemodified: time,
            },
        );
        id
    }

    /// Creates a file whose content stays in `path` (hashed once, in chunks): a stand-in
    /// for Moodle's file store with files larger than memory should hold, for benchmarks.
    /// Only `webservice/pluginfile.php` serves such a file's content.
    ///
    /// # Errors
    /// When `path` cannot be read.
    pub fn create_file_on_disk(&mut self, new: NewFile<'_>, path: &Path) -> std::io::Result<i64> {
        let mut file = std::fs::File::open(path)?;
        let (mut hash, mut size, mut chunk) = (Sha1::new(), 0u64, vec![0u8; 1 << 20]);
        loop {
            let n = file.read(&mut chunk)?;
            if n == 0 {
                break;
            }
            hash.update(&chunk[..n]);
            size += n as u64;
        }
        let id = self.create_file(new, Arc::from(Vec::new()));
        if let Some(f) = self.files.get_mut(&id) {
            f.contenthash = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
            f.on_disk = Some(Arc::new(OnDisk {
                path: path.to_owned(),
                size,
            }));
        }
        Ok(id)
    }

    fn ensure_directories(&mut self, new: &NewFile<'_>) {
        // "/", then "/a/", "/a/b/" …
        let mut dirs = vec!["/".to_owned()];
        let mut acc = String::from("/");
        for part in new.filepath.split('/').filter(|p| !p.is_empty()) {
            acc.push_str(part);
            acc.push('/');
            dirs.push(acc.clone());
        }
        for dir in dirs {
            let exists = self
                .find_file(
                    new.contextid,
                    new.component,
                    new.filearea,
                    new.itemid,
                    &dir,
                    ".",
                )
                .is_some();
            if !exists {
                let id = self.seq.next("files");
                let time = now();
                self.files.insert(
                    id,
                    StoredFile {
                        id,
                        contextid: new.contextid,
                        component: new.component.to_owned(),
                        filearea: new.filearea.to_owned(),
                        itemid: new.itemid,
                        filepath: dir,
                        filename: ".".to_owned(),
                        content: Arc::from(Vec::new()),
                        on_disk: None,
                        contenthash: sha1_hex(b""),
                        mimetype: None,
                        userid: new.userid,
                        author: None,
                        license: None,
                        source: None,
                        sortorder: 0,
                        timecreated: time,
                        timemodified: time,
                    },
                );
            }
        }
    }

    /// Deletes every file of an area.
    pub fn delete_area_files(
        &mut self,
        contextid: i64,
        component: &str,
        filearea: &str,
        itemid: Option<i64>,
    ) {
        self.files.retain(|_, f| {
            !(f.contextid == contextid
                && f.component == component
                && f.filearea == filearea
                && itemid.is_none_or(|i| f.itemid == i))
        });
    }
}

impl State {
    /// `file_get_unused_draft_itemid()`: a random item id not used in a user's draft area.
    pub fn unused_draft_itemid(&self, user_context: i64) -> i64 {
        use rand::Rng as _;
        let mut rng = rand::rng();
        loop {
            let itemid = rng.random_range(1..=999_999_999);
            if self
                .area_files(user_context, "user", "draft", itemid)
                .is_empty()
            {
                return itemid;
            }
        }
    }
}
