//! File storage through `object_store`: a local directory by default (`STORAGE_URL` a path
//! or `file://…`), S3-compatible storage with `STORAGE_URL=s3://bucket[/prefix]` (credentials,
//! region and endpoint from the usual `AWS_*` variables; `AWS_ENDPOINT_URL` for MinIO-style
//! servers).
//!
//! Keys are made by the bridge ([`StorageKey::new`]), never from a caller's file name, so no
//! name can escape storage. Writes stream in constant memory, count bytes and compute the
//! SHA-256 on the way (on a thread of its own, `storage/hashing.rs`, so hashing overlaps the
//! receiving and writing), and are all-or-nothing: a multipart upload that fails, is too big
//! or is dropped half-way is aborted, and on local disk the file appears only when complete.

mod hashing;
mod inventory;

pub use inventory::StoredObject;

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt as _, WriteMultipart};

/// A key in storage, made by the bridge: `<area>/<random id>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StorageKey(String);

impl StorageKey {
    /// A fresh key in `area` (`files`, `assets`, …; letters only).
    pub fn new(area: &'static str) -> StorageKey {
        StorageKey(format!("{area}/{}", uuid::Uuid::new_v4().simple()))
    }

    /// A key read back from the database; `None` unless it has the shape [`StorageKey::new`] makes.
    pub fn parse(raw: &str) -> Option<StorageKey> {
        let (area, id) = raw.split_once('/')?;
        let ok = !area.is_empty()
            && area.bytes().all(|b| b.is_ascii_lowercase())
            && id.len() == 32
            && id.bytes().all(|b| b.is_ascii_hexdigit());
        ok.then(|| StorageKey(raw.to_owned()))
    }

    /// The key as stored in the database.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn path(&self) -> ObjectPath {
        ObjectPath::from(self.0.as_str())
    }
}

impl fmt::Display for StorageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a completed write stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Bytes written.
    pub size: u64,
    /// Their SHA-256, lower-case hex.
    pub sha256: String,
}

/// Why storage failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// `STORAGE_URL` cannot be used.
    #[error("storage is not usable: {0}")]
    Setup(String),
    /// The object is larger than allowed (nothing was kept).
    #[error("the file is larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// The source stream failed (nothing was kept).
    #[error("the upload broke off: {0}")]
    Source(String),
    /// No such object.
    #[error("the stored file is missing")]
    NotFound,
    /// The backend failed.
    #[error("storage failed: {0}")]
    Backend(#[from] object_store::Error),
    /// The bridge is shutting down and stopped the write (nothing was kept).
    #[error("the write was stopped: the bridge is shutting down")]
    ShuttingDown,
}

impl StorageError {
    /// Whether the storage itself failed (unreachable, refusing, out of space) rather than
    /// the request: callers answer 503 and may try again; nothing was kept either way.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StorageError::Backend(e) => !matches!(
                e,
                object_store::Error::NotFound { .. }
                    | object_store::Error::AlreadyExists { .. }
                    | object_store::Error::Precondition { .. }
                    | object_store::Error::NotModified { .. }
                    | object_store::Error::InvalidPath { .. }
                    | object_store::Error::NotImplemented { .. }
                    | object_store::Error::UnknownConfigurationKey { .. }
            ),
            StorageError::ShuttingDown => true,
            _ => false,
        }
    }
}

/// The bridge's file storage.
#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    description: String,
}

impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Storage")
            .field("at", &self.description)
            .finish()
    }
}

/// Part size of multipart writes: bounded memory per write.
const PART_SIZE: usize = 8 * 1024 * 1024;

impl Storage {
    /// Storage at `url`: a path, `file://…`, or `s3://bucket[/prefix]`.
    ///
    /// # Errors
    /// [`StorageError::Setup`] when the folder cannot be made or the S3 settings are incomplete.
    pub fn open(url: &str) -> Result<Storage, StorageError> {
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            // object_store's S3 client needs a process-wide rustls provider; `main` installs
            // one, but the library may run inside another program (tests, an embedding).
            let _ = rustls::crypto::ring::default_provider().install_default();
            let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
            if let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") {
                builder = builder
                    .with_allow_http(endpoint.starts_with("http://"))
                    .with_endpoint(endpoint);
            }
            let s3 = builder
                .build()
                .map_err(|e| StorageError::Setup(e.to_string()))?;
            let store: Arc<dyn ObjectStore> = if prefix.trim_matches('/').is_empty() {
                Arc::new(s3)
            } else {
                Arc::new(PrefixStore::new(s3, prefix.trim_matches('/')))
            };
            return Ok(Storage {
                store,
                description: format!("s3://{bucket}/{prefix}"),
            });
        }
        let folder = url.strip_prefix("file://").unwrap_or(url);
        std::fs::create_dir_all(folder)
            .map_err(|e| StorageError::Setup(format!("cannot create {folder}: {e}")))?;
        remove_staged_writes(std::path::Path::new(folder));
        let local = LocalFileSystem::new_with_prefix(folder)
            .map_err(|e| StorageError::Setup(e.to_string()))?;
        Ok(Storage {
            store: Arc::new(local),
            description: folder.to_owned(),
        })
    }

    /// Writes a stream to `key`, at most `limit` bytes; all or nothing.
    ///
    /// # Errors
    /// [`StorageError::TooLarge`], [`StorageError::Source`], [`StorageError::Backend`],
    /// [`StorageError::ShuttingDown`]; in each case nothing is left at `key`.
    pub async fn put_stream<S, E>(
        &self,
        key: &StorageKey,
        mut source: S,
        limit: u64,
    ) -> Result<Stored, StorageError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: fmt::Display,
    {
        let upload = self.store.put_multipart(&key.path()).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut hasher = hashing::BackgroundSha256::start();
        let mut size: u64 = 0;
        let failure = loop {
            match source.next().await {
                None => break None,
                Some(Err(e)) => break Some(StorageError::Source(e.to_string())),
                Some(Ok(chunk)) => {
                    size += chunk.len() as u64;
                    if size > limit {
                        break Some(StorageError::TooLarge { limit });
                    }
                    hasher.update(chunk.clone()).await;
                    if let Err(e) = writer.wait_for_capacity(2).await {
                        break Some(e.into());
                    }
                    writer.put(chunk);
                }
            }
        };
        let digest = match failure {
            Some(e) => Err(e),
            None => hasher.finish().await.ok_or(StorageError::ShuttingDown),
        };
        let digest = match digest {
            Ok(digest) => digest,
            Err(e) => {
                let _ = writer.abort().await;
                return Err(e);
            }
        };
        writer.finish().await?;
        Ok(Stored {
            size,
            sha256: hex(&digest),
        })
    }

    /// Reads `key` (a byte range of it when given) as a stream.
    ///
    /// # Errors
    /// [`StorageError::NotFound`], [`StorageError::Backend`].
    pub async fn get(
        &self,
        key: &StorageKey,
        range: Option<Range<u64>>,
    ) -> Result<impl Stream<Item = Result<Bytes, StorageError>> + Send + 'static, StorageError>
    {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let result = self
            .store
            .get_opts(&key.path(), options)
            .await
            .map_err(not_found)?;
        Ok(result.into_stream().map(|r| r.map_err(StorageError::from)))
    }

    /// Deletes `key` (missing is fine).
    ///
    /// # Errors
    /// [`StorageError::Backend`].
    pub async fn delete(&self, key: &StorageKey) -> Result<(), StorageError> {
        match self.store.delete(&key.path()).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether the storage answers (readiness).
    ///
    /// # Errors
    /// [`StorageError::Backend`].
    pub async fn ping(&self) -> Result<(), StorageError> {
        match self.store.head(&ObjectPath::from("readiness-probe")).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// Removes what writes interrupted by a killed process left in a local storage folder: the
/// staging files `<key>#<n>` that `object_store` renames into place only when complete. A
/// local folder belongs to one bridge process (several instances share S3 storage instead,
/// where an interrupted multipart upload is never visible and a bucket lifecycle rule
/// `AbortIncompleteMultipartUpload` reclaims its parts).
fn remove_staged_writes(folder: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            remove_staged_writes(&path);
            continue;
        }
        let staged = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.rsplit_once('#'))
            .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if staged {
            match std::fs::remove_file(&path) {
                Ok(()) => tracing::warn!(path = %path.display(), "removed an interrupted write"),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "cannot remove an interrupted write")
                }
            }
        }
    }
}

fn not_found(e: object_store::Error) -> StorageError {
    match e {
        object_store::Error::NotFound { .. } => StorageError::NotFound,
        other => other.into(),
    }
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(
        parts: Vec<Result<&'static [u8], &'static str>>,
    ) -> impl Stream<Item = Result<Bytes, &'static str>> + Unpin {
        futures_util::stream::iter(parts.into_iter().map(|p| p.map(Bytes::from_static)))
    }

    async fn read_all(storage: &Storage, key: &StorageKey, range: Option<Range<u64>>) -> Vec<u8> {
        let mut out = Vec::new();
        let mut stream = Box::pin(storage.get(key, range).await.expect("get"));
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk.expect("chunk"));
        }
        out
    }

    #[tokio::test]
    async fn a_stream_is_stored_with_its_size_and_hash_and_read_back_in_ranges() {
        let dir = tempfile::tempdir().expect("dir");
        let storage = Storage::open(&dir.path().display().to_string()).expect("open");
        let key = StorageKey::new("files");
        let stored = storage
            .put_stream(&key, chunks(vec![Ok(b"hello "), Ok(b"world")]), 100)
            .await
            .expect("put");
        assert_eq!(stored.size, 11);
        assert_eq!(
            stored.sha256,
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        assert_eq!(read_all(&storage, &key, None).await, b"hello world");
        assert_eq!(read_all(&storage, &key, Some(6..11)).await, b"world");
        storage.delete(&key).await.expect("delete");
        assert!(matches!(
            storage.get(&key, None).await.err(),
            Some(StorageError::NotFound)
        ));
    }

    #[tokio::test]
    async fn a_failed_or_oversized_write_leaves_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        let storage = Storage::open(&dir.path().display().to_string()).expect("open");
        let broken = StorageKey::new("files");
        let err = storage
            .put_stream(&broken, chunks(vec![Ok(b"part"), Err("reset")]), 100)
            .await
            .expect_err("broken");
        assert!(matches!(err, StorageError::Source(_)), "{err:?}");
        assert!(matches!(
            storage.get(&broken, None).await.err(),
            Some(StorageError::NotFound)
        ));
        let big = StorageKey::new("files");
        let err = storage
            .put_stream(&big, chunks(vec![Ok(b"0123456789"), Ok(b"0123456789")]), 15)
            .await
            .expect_err("too big");
        assert!(
            matches!(err, StorageError::TooLarge { limit: 15 }),
            "{err:?}"
        );
        assert!(matches!(
            storage.get(&big, None).await.err(),
            Some(StorageError::NotFound)
        ));
        let leftovers: Vec<_> = walk(dir.path());
        assert!(leftovers.is_empty(), "no partial files: {leftovers:?}");
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else {
                files.push(path);
            }
        }
        files
    }

    #[test]
    fn only_keys_the_bridge_makes_are_accepted_back() {
        let key = StorageKey::new("files");
        assert_eq!(StorageKey::parse(key.as_str()), Some(key));
        for bad in [
            "../etc/passwd",
            "files/../../x",
            "files/abc",
            "Files/0123456789abcdef0123456789abcdef",
            "/files/0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(StorageKey::parse(bad), None, "{bad}");
        }
    }
}
