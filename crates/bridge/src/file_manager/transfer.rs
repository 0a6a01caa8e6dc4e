//! Uploads into storage, and the stored files' list (newest first, optionally paged),
//! download (whole or one byte range) and deletion — each limited to the caller's scope.

use std::ops::Range;
use std::pin::Pin;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use futures_util::Stream;
use serde_json::json;

use super::{Access, FileError, FileManager, StoredFile, names, store};
use crate::audit::{Actor, now_ms};
use crate::storage::{StorageError, StorageKey};

/// A stored file's bytes.
pub type FileStream = Pin<Box<dyn Stream<Item = Result<Bytes, StorageError>> + Send>>;

/// One file being uploaded.
pub struct Upload<S> {
    /// The name the client gave.
    pub filename: String,
    /// The content type the client gave.
    pub content_type: Option<String>,
    /// Its bytes, as they arrive.
    pub body: S,
    /// The most bytes this file may have: `MAX_UPLOAD_MB`, or less when the request it comes
    /// in is near its own total limit.
    pub max_bytes: u64,
}

/// A page of the list: at most `limit` files after `cursor`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// How many (1–1000).
    pub limit: u32,
    /// Where the previous page ended (opaque).
    pub cursor: Option<String>,
}

impl FileManager {
    /// Stores one uploaded file, filed under the launch's context (or the course an API
    /// caller names: one is required, so no file is stored without a course).
    ///
    /// # Errors
    /// [`Access::course`]'s errors, [`FileError::TooLarge`], [`FileError::Interrupted`]
    /// (nothing is kept), storage and database errors.
    pub async fn upload<S, E>(
        &self,
        access: &Access,
        actor: &Actor,
        course: Option<i64>,
        upload: Upload<S>,
    ) -> Result<StoredFile, FileError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        access.course(course)?;
        let name = names::sanitize(&upload.filename);
        let (platform, context_id, course_id) = access.filing(course);
        let key = StorageKey::new("files");
        let result = async {
            let stored = self
                .storage
                .put_stream(&key, upload.body, upload.max_bytes.min(self.max_file_bytes))
                .await?;
            let row = StoredFile {
                id: uuid::Uuid::new_v4().simple().to_string(),
                content_type: names::content_type(upload.content_type.as_deref(), &name),
                name,
                size: i64::try_from(stored.size).unwrap_or(i64::MAX),
                sha256: stored.sha256,
                storage_key: key.as_str().to_owned(),
                platform,
                context_id,
                course_id,
                moodle: None,
                stored_by: access.stored_by(actor),
                created_at_ms: now_ms(),
            };
            if let Err(e) = store::insert(&self.db, &row).await {
                self.forget(&key).await;
                return Err(e.into());
            }
            Ok(row)
        }
        .await;
        let ids = json!({"file_id": result.as_ref().ok().map(|f| &f.id), "course_id": course_id});
        self.audited(actor, None, ids, result.as_ref().err()).await;
        result
    }

    /// Deletes files stored by a request that then failed (all-or-nothing uploads).
    pub async fn discard(&self, access: &Access, actor: &Actor, ids: &[String]) {
        for id in ids {
            if let Err(e) = self.delete(access, actor, id).await {
                tracing::warn!(file = id, error = %e, "an upload's earlier file not removed");
            }
        }
    }

    /// The stored files the caller sees, newest first; with `page`, one page and the cursor
    /// of the next (`None` at the end).
    ///
    /// # Errors
    /// [`FileError::Invalid`] for a bad cursor; database errors.
    pub async fn list(
        &self,
        access: &Access,
        page: Option<&Page>,
    ) -> Result<(Vec<StoredFile>, Option<String>), FileError> {
        let scope = access.scope();
        let Some(page) = page else {
            return Ok((store::list(&self.db, &scope, None, i64::MAX).await?, None));
        };
        let after = page.cursor.as_deref().map(decode_cursor).transpose()?;
        let limit = i64::from(page.limit.clamp(1, 1000));
        let mut files = store::list(
            &self.db,
            &scope,
            after.as_ref().map(|(at, id)| (*at, id.as_str())),
            limit + 1,
        )
        .await?;
        let next = if files.len() > usize::try_from(limit).unwrap_or(usize::MAX) {
            files.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            files.last().map(|f| encode_cursor(f.created_at_ms, &f.id))
        } else {
            None
        };
        Ok((files, next))
    }

    /// A stored file the caller sees.
    ///
    /// # Errors
    /// [`FileError::NotFound`].
    pub async fn get(&self, access: &Access, id: &str) -> Result<StoredFile, FileError> {
        store::get(&self.db, &access.scope(), id)
            .await?
            .ok_or_else(|| FileError::NotFound { id: id.to_owned() })
    }

    /// A stored file's bytes (a byte range of them when given).
    ///
    /// # Errors
    /// [`FileError::Storage`] when the bytes are gone.
    pub async fn open(
        &self,
        file: &StoredFile,
        range: Option<Range<u64>>,
    ) -> Result<FileStream, FileError> {
        let key = StorageKey::parse(&file.storage_key)
            .ok_or(FileError::Storage(StorageError::NotFound))?;
        Ok(Box::pin(self.storage.get(&key, range).await?))
    }

    /// Deletes a stored file the caller sees: its row, then its bytes.
    ///
    /// # Errors
    /// [`FileError::NotFound`], database errors.
    pub async fn delete(
        &self,
        access: &Access,
        actor: &Actor,
        id: &str,
    ) -> Result<StoredFile, FileError> {
        let deleted = store::delete(&self.db, &access.scope(), id).await;
        let result = match deleted {
            Ok(Some(file)) => Ok(file),
            Ok(None) => Err(FileError::NotFound { id: id.to_owned() }),
            Err(e) => Err(e.into()),
        };
        self.audited(actor, None, json!({"file_id": id}), result.as_ref().err())
            .await;
        let file = result?;
        if let Some(key) = StorageKey::parse(&file.storage_key) {
            self.forget(&key).await;
        }
        Ok(file)
    }

    /// Deletes bytes no row points to (a failure is logged: an orphan costs space, not data).
    pub(super) async fn forget(&self, key: &StorageKey) {
        if let Err(e) = self.storage.delete(key).await {
            tracing::warn!(key = %key, error = %e, "stored bytes not deleted");
        }
    }
}

fn encode_cursor(at: i64, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{at}.{id}"))
}

fn decode_cursor(cursor: &str) -> Result<(i64, String), FileError> {
    let invalid = || FileError::Invalid {
        field: "cursor".to_owned(),
        reason: "is not a cursor this list gave".to_owned(),
    };
    let raw = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(raw).map_err(|_| invalid())?;
    let (at, id) = text.split_once('.').ok_or_else(invalid)?;
    Ok((at.parse().map_err(|_| invalid())?, id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let c = encode_cursor(1_795_000_000_123, "abc");
        assert_eq!(
            decode_cursor(&c).ok(),
            Some((1_795_000_000_123, "abc".to_owned()))
        );
        for bad in [
            "",
            "!!!",
            &URL_SAFE_NO_PAD.encode("nodot"),
            &URL_SAFE_NO_PAD.encode("x.id"),
        ] {
            assert!(
                matches!(decode_cursor(bad), Err(FileError::Invalid { .. })),
                "{bad}"
            );
        }
    }
}
