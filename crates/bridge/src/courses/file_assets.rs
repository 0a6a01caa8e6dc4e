//! File assets: the upload streams into storage under a key the bridge makes (never the
//! client's file name), all or nothing, with its size and SHA-256 counted on the way; the
//! asset's content is then `{filename, content_type, size, sha256}`.

use std::pin::Pin;

use bytes::Bytes;
use futures_util::Stream;
use serde_json::json;

use super::assets::AssetType;
use super::{Asset, CourseError, CourseId, Courses, asset_name, store};
use crate::audit::{Actor, now_ms};
use crate::storage::{StorageError, StorageKey};

/// A file asset's bytes.
pub type FileStream = Pin<Box<dyn Stream<Item = Result<Bytes, StorageError>> + Send>>;

/// One uploaded file.
pub struct FileUpload<S> {
    /// The name the client gave it.
    pub filename: String,
    /// Its content type, when given.
    pub content_type: Option<String>,
    /// Its bytes, as they arrive.
    pub body: S,
}

impl Courses {
    /// Adds a file asset.
    ///
    /// # Errors
    /// [`CourseError::CourseNotFound`], [`CourseError::Invalid`], [`CourseError::AssetExists`],
    /// [`CourseError::Storage`] (too large, broken off); nothing is kept on failure.
    pub async fn create_file_asset<S, E>(
        &self,
        actor: &Actor,
        course_id: CourseId,
        name: &str,
        upload: FileUpload<S>,
    ) -> Result<Asset, CourseError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let course = self.course(&actor.owner(), course_id).await?;
        let name = asset_name(name)?;
        if store::asset(&self.db, course.id, &name).await?.is_some() {
            return Err(CourseError::AssetExists {
                course: course.id,
                name,
            });
        }
        let (key, content) = self.store_file(upload).await?;
        let row = store::AssetRow {
            course_id: course.id,
            name: &name,
            kind: AssetType::File,
            content: &content,
            storage_key: Some(key.as_str()),
            updated_by: &actor.subject,
        };
        let created = self.insert_asset(actor, &row).await;
        if created.is_err() {
            self.forget_files(vec![key.as_str().to_owned()]).await;
        }
        created
    }

    /// Replaces a file asset's file.
    ///
    /// # Errors
    /// [`CourseError::AssetNotFound`], [`CourseError::Invalid`] for an asset of another type,
    /// [`CourseError::Storage`].
    pub async fn replace_file<S, E>(
        &self,
        actor: &Actor,
        course_id: CourseId,
        name: &str,
        upload: FileUpload<S>,
    ) -> Result<Asset, CourseError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let course = self.course(&actor.owner(), course_id).await?;
        let asset = self.asset_in(course.id, name).await?;
        if asset.kind != AssetType::File {
            return Err(CourseError::invalid(
                "file",
                format!(
                    "asset {name:?} is a {}; send its content as JSON",
                    asset.kind.as_str()
                ),
            ));
        }
        let (key, content) = self.store_file(upload).await?;
        let row = store::AssetRow {
            course_id: course.id,
            name,
            kind: AssetType::File,
            content: &content,
            storage_key: Some(key.as_str()),
            updated_by: &actor.subject,
        };
        match store::update_asset(&self.db, &row, now_ms()).await {
            Ok(true) => {}
            Ok(false) => {
                self.forget_files(vec![key.as_str().to_owned()]).await;
                return Err(CourseError::AssetNotFound {
                    course: course.id,
                    name: name.to_owned(),
                });
            }
            Err(e) => {
                self.forget_files(vec![key.as_str().to_owned()]).await;
                return Err(e.into());
            }
        }
        self.audited(actor, json!({"course_id": course.id, "asset": name}))
            .await;
        self.forget_files(asset.storage_key.into_iter().collect())
            .await;
        self.changed(course.id);
        self.asset_in(course.id, name).await
    }

    /// The bytes of a file asset (its `storage_key`), as a stream.
    ///
    /// # Errors
    /// [`CourseError::Storage`] ([`StorageError::NotFound`] when the asset has no file).
    pub async fn open_file(&self, storage_key: Option<&str>) -> Result<FileStream, CourseError> {
        let key = storage_key
            .and_then(StorageKey::parse)
            .ok_or(StorageError::NotFound)?;
        let stream = self.storage.get(&key, None).await?;
        Ok(Box::pin(stream))
    }

    async fn store_file<S, E>(
        &self,
        upload: FileUpload<S>,
    ) -> Result<(StorageKey, serde_json::Value), CourseError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let filename = upload.filename.trim().to_owned();
        if filename.is_empty()
            || filename.chars().count() > 255
            || filename.contains(['/', '\\'])
            || filename.chars().any(char::is_control)
        {
            return Err(CourseError::invalid(
                "file",
                "must have a file name of 1 to 255 characters without / or \\",
            ));
        }
        let key = StorageKey::new("assets");
        let stored = self
            .storage
            .put_stream(&key, upload.body, self.max_file_bytes)
            .await?;
        if stored.size == 0 {
            self.forget_files(vec![key.as_str().to_owned()]).await;
            return Err(CourseError::invalid("file", "is empty"));
        }
        let content = json!({
            "filename": filename,
            "content_type": upload.content_type.unwrap_or_else(|| "application/octet-stream".to_owned()),
            "size": stored.size,
            "sha256": stored.sha256,
        });
        Ok((key, content))
    }
}
