//! The local store of the publisher (`docs/contracts/publisher.md`): the application's courses
//! and their
//! assets, owned by the API token's subject that made them. Content is checked against its
//! type's schema on every write ([`assets`]); a file asset's bytes stream into the bridge's
//! storage and only its name, type, size and SHA-256 are kept in the database. Every write
//! is audited. Nothing here talks to Moodle (that is `publish`).

pub mod assets;
mod content;
mod error;
mod file_assets;
mod inline;
mod input;
mod invalid;
mod questions;
mod store;

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::sync::mpsc;

pub use assets::{AssetType, TextFormat, UrlDisplay};
pub use content::{Content, FileMeta, check};
pub use error::CourseError;
pub use file_assets::{FileStream, FileUpload};
pub use input::{AssetChanges, CourseChanges, NewAsset, NewCourse};
pub use invalid::Invalid;
pub use questions::{PaperMode, Question, QuestionType, Questions, questions};

use input::{MAX_NAME, asset_name, category_path, is_unique_violation, text};

use crate::audit::{Actor, AuditLog, Event, now_ms};
use crate::db::Db;
use crate::storage::Storage;

/// A course's id: the bridge's integer, as the routes carry it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct CourseId(pub i64);

impl CourseId {
    /// The id a route gave; anything but a number is a course that is not there (404).
    ///
    /// # Errors
    /// [`CourseError::CourseNotFound`].
    pub fn from_route(raw: &str) -> Result<CourseId, CourseError> {
        raw.trim()
            .parse::<i64>()
            .map(CourseId)
            .map_err(|_| CourseError::CourseNotFound(raw.chars().take(40).collect()))
    }
}

impl std::fmt::Display for CourseId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A course of the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Course {
    /// Its id.
    pub id: i64,
    /// The subject it belongs to.
    pub owner: String,
    /// Full name.
    pub name: String,
    /// Short name for Moodle.
    pub shortname: String,
    /// Description (HTML).
    pub description: String,
    /// Category names from the top, joined by `/`.
    pub category_path: String,
    /// Bumped by every change.
    pub version: i64,
    /// Made (Unix ms).
    pub created_at_ms: i64,
    /// Changed (Unix ms).
    pub updated_at_ms: i64,
    /// Automatic sync after a change: on, off, or `None` as `LMS_AUTO_SYNC` says.
    pub auto_sync: Option<bool>,
    /// The application's id, for a course published inline (`POST /api/lms/publish`): such a
    /// course is not one of the local routes'.
    pub external_id: Option<String>,
}

impl Course {
    /// Its id, typed.
    pub fn key(&self) -> CourseId {
        CourseId(self.id)
    }
}

/// An asset of a course.
#[derive(Debug, Clone, PartialEq)]
pub struct Asset {
    /// Its row id.
    pub id: i64,
    /// Its course.
    pub course_id: i64,
    /// `asset_name`.
    pub name: String,
    /// `asset_type`.
    pub kind: AssetType,
    /// `asset_content`.
    pub content: Value,
    /// Where a file's bytes are.
    pub storage_key: Option<String>,
    /// Bumped by every change.
    pub version: i64,
    /// `asset_last_updated_at` (Unix ms).
    pub updated_at_ms: i64,
    /// `asset_last_updated_by`.
    pub updated_by: String,
}

/// The local course store.
#[derive(Debug, Clone)]
pub struct Courses {
    db: Db,
    storage: Storage,
    audit: AuditLog,
    max_file_bytes: u64,
    changes: Changes,
}

/// Where the store says which course changed (for automatic sync): the sending side, and
/// the receiving side until someone takes it.
#[derive(Debug, Clone)]
struct Changes {
    tx: mpsc::UnboundedSender<i64>,
    rx: Arc<Mutex<Option<mpsc::UnboundedReceiver<i64>>>>,
}

impl Courses {
    /// The store in `db`, file bytes in `storage` (at most `max_file_bytes` each).
    pub fn new(db: Db, storage: Storage, max_file_bytes: u64) -> Courses {
        let (tx, rx) = mpsc::unbounded_channel();
        Courses {
            audit: AuditLog::new(db.clone()),
            db,
            storage,
            max_file_bytes,
            changes: Changes {
                tx,
                rx: Arc::new(Mutex::new(Some(rx))),
            },
        }
    }

    /// The ids of courses as they change (a course's fields, or an asset made, changed or
    /// deleted), for whoever takes them first (the publisher's automatic sync); `None` after.
    pub fn take_changes(&self) -> Option<mpsc::UnboundedReceiver<i64>> {
        self.changes.rx.lock().ok().and_then(|mut rx| rx.take())
    }

    /// Says that a course changed.
    pub(crate) fn changed(&self, course_id: i64) {
        // Nobody listening (the command line) is fine.
        let _ = self.changes.tx.send(course_id);
    }

    /// The file storage (the publisher reads file assets from it).
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Makes a course for the actor.
    ///
    /// # Errors
    /// [`CourseError::Invalid`], [`CourseError::Database`].
    pub async fn create(&self, actor: &Actor, input: NewCourse) -> Result<Course, CourseError> {
        let name = text("name", &input.name, MAX_NAME)?;
        let shortname = match &input.shortname {
            Some(s) => text("shortname", s, MAX_NAME)?,
            None => name.chars().take(100).collect(),
        };
        let category_path = category_path(&input.category_path)?;
        let row = store::CourseRow {
            owner: &actor.owner(),
            name: &name,
            shortname: &shortname,
            description: &input.description,
            category_path: &category_path,
        };
        let id = store::insert_course(&self.db, &row, input.auto_sync, now_ms()).await?;
        self.audited(actor, json!({"course_id": id})).await;
        self.course(&actor.owner(), CourseId(id)).await
    }

    /// The caller's courses.
    ///
    /// # Errors
    /// [`CourseError::Database`].
    pub async fn list(&self, owner: &str) -> Result<Vec<Course>, CourseError> {
        Ok(store::courses(&self.db, owner).await?)
    }

    /// One of the caller's own courses (not one published inline).
    ///
    /// # Errors
    /// [`CourseError::CourseNotFound`] for a course that is not the caller's.
    pub async fn course(&self, owner: &str, id: CourseId) -> Result<Course, CourseError> {
        store::course(&self.db, Some(owner), id.0, true)
            .await?
            .ok_or_else(|| CourseError::CourseNotFound(id.to_string()))
    }

    /// Any course, whoever owns it, inline ones included (the command line acts as the
    /// operator; jobs and re-syncs act for the owner they carry).
    ///
    /// # Errors
    /// [`CourseError::CourseNotFound`].
    pub async fn course_of_anyone(&self, id: CourseId) -> Result<Course, CourseError> {
        store::course(&self.db, None, id.0, false)
            .await?
            .ok_or_else(|| CourseError::CourseNotFound(id.to_string()))
    }

    /// Changes the given fields of a course.
    ///
    /// # Errors
    /// [`CourseError::CourseNotFound`], [`CourseError::Invalid`].
    pub async fn update(
        &self,
        actor: &Actor,
        id: CourseId,
        changes: CourseChanges,
    ) -> Result<Course, CourseError> {
        let course = self.course(&actor.owner(), id).await?;
        let name = match &changes.name {
            Some(n) => text("name", n, MAX_NAME)?,
            None => course.name.clone(),
        };
        let shortname = match &changes.shortname {
            Some(s) => text("shortname", s, MAX_NAME)?,
            None => course.shortname.clone(),
        };
        let category_path = match &changes.category_path {
            Some(p) => category_path(p)?,
            None => course.category_path.clone(),
        };
        let description = changes.description.unwrap_or(course.description);
        let row = store::CourseRow {
            owner: &actor.owner(),
            name: &name,
            shortname: &shortname,
            description: &description,
            category_path: &category_path,
        };
        let auto_sync = match changes.auto_sync {
            Some(setting) => setting,
            None => course.auto_sync,
        };
        store::update_course(&self.db, course.id, &row, auto_sync, now_ms()).await?;
        self.audited(actor, json!({"course_id": course.id})).await;
        self.changed(course.id);
        self.course(&actor.owner(), id).await
    }

    /// Deletes a course, its assets and their files (what was made in Moodle is the
    /// publisher's: `Publisher::delete_course` records it first).
    ///
    /// # Errors
    /// [`CourseError::CourseNotFound`].
    pub async fn delete(&self, actor: &Actor, id: CourseId) -> Result<(), CourseError> {
        let course = self.course_of_anyone(id).await?;
        if course.owner != actor.owner() {
            return Err(CourseError::CourseNotFound(id.to_string()));
        }
        let keys = store::storage_keys(&self.db, course.id).await?;
        if !store::delete_course(&self.db, &actor.owner(), course.id).await? {
            return Err(CourseError::CourseNotFound(id.to_string()));
        }
        self.audited(actor, json!({"course_id": course.id})).await;
        self.forget_files(keys).await;
        Ok(())
    }

    /// Adds a JSON asset (any type but `file`).
    ///
    /// # Errors
    /// [`CourseError::CourseNotFound`], [`CourseError::Invalid`], [`CourseError::AssetExists`].
    pub async fn create_asset(
        &self,
        actor: &Actor,
        course_id: CourseId,
        input: NewAsset,
    ) -> Result<Asset, CourseError> {
        let course = self.course(&actor.owner(), course_id).await?;
        let name = asset_name(&input.asset_name)?;
        check(input.asset_type, &input.asset_content)?;
        let row = store::AssetRow {
            course_id: course.id,
            name: &name,
            kind: input.asset_type,
            content: &input.asset_content,
            storage_key: None,
            updated_by: &actor.subject,
        };
        self.insert_asset(actor, &row).await
    }

    /// A course's assets.
    ///
    /// # Errors
    /// [`CourseError::CourseNotFound`].
    pub async fn assets(
        &self,
        owner: &str,
        course_id: CourseId,
    ) -> Result<Vec<Asset>, CourseError> {
        let course = self.course(owner, course_id).await?;
        Ok(store::assets(&self.db, course.id).await?)
    }

    /// The assets of a course the caller already holds (the publisher).
    ///
    /// # Errors
    /// [`CourseError::Database`].
    pub async fn assets_of(&self, course: &Course) -> Result<Vec<Asset>, CourseError> {
        Ok(store::assets(&self.db, course.id).await?)
    }

    /// One asset.
    ///
    /// # Errors
    /// [`CourseError::CourseNotFound`], [`CourseError::AssetNotFound`].
    pub async fn asset(
        &self,
        owner: &str,
        course_id: CourseId,
        name: &str,
    ) -> Result<Asset, CourseError> {
        let course = self.course(owner, course_id).await?;
        self.asset_in(course.id, name).await
    }

    /// An asset of a course the caller already holds.
    ///
    /// # Errors
    /// [`CourseError::AssetNotFound`].
    pub async fn asset_in(&self, course_id: i64, name: &str) -> Result<Asset, CourseError> {
        store::asset(&self.db, course_id, name)
            .await?
            .ok_or_else(|| CourseError::AssetNotFound {
                course: course_id,
                name: name.to_owned(),
            })
    }

    /// Replaces a JSON asset's content (its type stays).
    ///
    /// # Errors
    /// [`CourseError::AssetNotFound`], [`CourseError::Invalid`] (also for a file asset: its
    /// content is replaced by uploading a file).
    pub async fn update_asset(
        &self,
        actor: &Actor,
        course_id: CourseId,
        name: &str,
        changes: AssetChanges,
    ) -> Result<Asset, CourseError> {
        let course = self.course(&actor.owner(), course_id).await?;
        let asset = self.asset_in(course.id, name).await?;
        let kind = changes.asset_type.unwrap_or(asset.kind);
        if kind != asset.kind && (kind == AssetType::File || asset.kind == AssetType::File) {
            return Err(CourseError::invalid(
                "asset_type",
                "a file asset cannot change type, nor another become one (delete it and add it again)",
            ));
        }
        check(kind, &changes.asset_content)?;
        let row = store::AssetRow {
            course_id: course.id,
            name,
            kind,
            content: &changes.asset_content,
            storage_key: None,
            updated_by: &actor.subject,
        };
        store::update_asset(&self.db, &row, now_ms()).await?;
        self.audited(actor, json!({"course_id": course.id, "asset": name}))
            .await;
        self.changed(course.id);
        self.asset_in(course.id, name).await
    }

    /// Deletes an asset (and its file); what was made in Moodle is the publisher's
    /// (`Publisher::delete_asset` records it first).
    ///
    /// # Errors
    /// [`CourseError::AssetNotFound`].
    pub async fn delete_asset(
        &self,
        actor: &Actor,
        course_id: CourseId,
        name: &str,
    ) -> Result<(), CourseError> {
        let course = self.course(&actor.owner(), course_id).await?;
        let asset = self.asset_in(course.id, name).await?;
        if !store::delete_asset(&self.db, course.id, name).await? {
            return Err(CourseError::AssetNotFound {
                course: course.id,
                name: name.to_owned(),
            });
        }
        self.audited(actor, json!({"course_id": course.id, "asset": name}))
            .await;
        self.forget_files(asset.storage_key.into_iter().collect())
            .await;
        self.changed(course.id);
        Ok(())
    }

    async fn insert_asset(
        &self,
        actor: &Actor,
        row: &store::AssetRow<'_>,
    ) -> Result<Asset, CourseError> {
        if let Err(e) = store::insert_asset(&self.db, row, now_ms()).await {
            return Err(if is_unique_violation(&e) {
                CourseError::AssetExists {
                    course: row.course_id,
                    name: row.name.to_owned(),
                }
            } else {
                e.into()
            });
        }
        self.audited(
            actor,
            json!({"course_id": row.course_id, "asset": row.name}),
        )
        .await;
        self.changed(row.course_id);
        self.asset_in(row.course_id, row.name).await
    }

    async fn forget_files(&self, keys: Vec<String>) {
        for key in keys
            .iter()
            .filter_map(|k| crate::storage::StorageKey::parse(k))
        {
            if let Err(e) = self.storage.delete(&key).await {
                tracing::warn!(key = %key, error = %e, "asset file not deleted");
            }
        }
    }

    async fn audited(&self, actor: &Actor, object_ids: Value) {
        self.audit
            .record(
                actor,
                Event {
                    function: None,
                    object_ids,
                    outcome: "ok",
                },
            )
            .await;
    }
}
