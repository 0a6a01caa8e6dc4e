//! What storage holds, for backups: every object with its size and time, and — on local
//! disk — where its file is, so `moodle-bridge backup` can copy it.

use std::path::PathBuf;

use futures_util::TryStreamExt as _;

use super::{Storage, StorageError};

/// One stored object.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoredObject {
    /// Its key (`files/<id>`, `assets/<id>`, …).
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it was last written (RFC 3339).
    pub last_modified: String,
    /// The store's entity tag, when it has one.
    pub e_tag: Option<String>,
}

impl Storage {
    /// Every stored object, sorted by key.
    ///
    /// # Errors
    /// [`StorageError::Backend`] when the store cannot be listed.
    pub async fn inventory(&self) -> Result<Vec<StoredObject>, StorageError> {
        let mut objects: Vec<StoredObject> = self
            .store
            .list(None)
            .map_ok(|meta| StoredObject {
                key: meta.location.to_string(),
                size: meta.size,
                last_modified: meta.last_modified.to_rfc3339(),
                e_tag: meta.e_tag,
            })
            .try_collect()
            .await?;
        objects.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(objects)
    }

    /// The local folder behind this storage (`None` on S3).
    pub fn local_folder(&self) -> Option<PathBuf> {
        (!self.description.starts_with("s3://")).then(|| PathBuf::from(&self.description))
    }
}
