//! The rows that stand for an application's own course and assets published inline
//! (`POST /api/lms/publish`): a course row keyed by the owner and the application's id, and
//! one asset row per application asset id (its `name`), holding no content (`null`): they
//! anchor the mapping to Moodle and the sync state, nothing else. The local routes never show
//! them.

use sqlx::Row as _;

use super::assets::AssetType;
use super::{Course, CourseError, Courses, store};
use crate::audit::now_ms;

impl Courses {
    /// The row of an inline course (made on its first publish), with its name kept current.
    ///
    /// # Errors
    /// [`CourseError::Database`].
    pub async fn inline_course(
        &self,
        owner: &str,
        external_id: &str,
        name: &str,
        shortname: &str,
    ) -> Result<Course, CourseError> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO courses (owner, name, shortname, description, category_path, version, created_at_ms, \
             updated_at_ms, external_id) VALUES ($1, $2, $3, '', '', 1, $4, $4, $5) \
             ON CONFLICT (owner, external_id) DO UPDATE SET name = excluded.name, shortname = excluded.shortname, \
             updated_at_ms = excluded.updated_at_ms",
        )
        .bind(owner)
        .bind(name)
        .bind(shortname)
        .bind(now)
        .bind(external_id)
        .execute(self.db.pool())
        .await?;
        let row = sqlx::query("SELECT id FROM courses WHERE owner = $1 AND external_id = $2")
            .bind(owner)
            .bind(external_id)
            .fetch_one(self.db.pool())
            .await?;
        let id: i64 = row.try_get("id")?;
        store::course(&self.db, Some(owner), id, false)
            .await?
            .ok_or_else(|| CourseError::CourseNotFound(external_id.to_owned()))
    }

    /// The rows of an inline course's assets, made where missing, their type kept current;
    /// answers each one's row id, in the order given.
    ///
    /// # Errors
    /// [`CourseError::Database`].
    pub async fn inline_assets(
        &self,
        course_id: i64,
        updated_by: &str,
        assets: &[(&str, AssetType)],
    ) -> Result<Vec<i64>, CourseError> {
        let now = now_ms();
        let mut ids = Vec::with_capacity(assets.len());
        for (external_id, kind) in assets {
            let row = sqlx::query(
                "INSERT INTO assets (course_id, name, asset_type, content, storage_key, version, updated_at_ms, \
                 updated_by) VALUES ($1, $2, $3, 'null', NULL, 1, $4, $5) \
                 ON CONFLICT (course_id, name) DO UPDATE SET asset_type = excluded.asset_type \
                 RETURNING id",
            )
            .bind(course_id)
            .bind(*external_id)
            .bind(kind.as_str())
            .bind(now)
            .bind(updated_by)
            .fetch_one(self.db.pool())
            .await?;
            ids.push(row.try_get("id")?);
        }
        Ok(ids)
    }

    /// The inline course's asset rows not among `keep`: (row id, application id).
    ///
    /// # Errors
    /// [`CourseError::Database`].
    pub async fn inline_assets_besides(
        &self,
        course_id: i64,
        keep: &[&str],
    ) -> Result<Vec<(i64, String)>, CourseError> {
        let rows = sqlx::query("SELECT id, name FROM assets WHERE course_id = $1 ORDER BY id")
            .bind(course_id)
            .fetch_all(self.db.pool())
            .await?;
        let mut out = Vec::new();
        for r in &rows {
            let name: String = r.try_get("name")?;
            if !keep.contains(&name.as_str()) {
                out.push((r.try_get("id")?, name));
            }
        }
        Ok(out)
    }

    /// Deletes an inline course's asset row (its mapping goes with it).
    ///
    /// # Errors
    /// [`CourseError::Database`].
    pub async fn drop_inline_asset(&self, course_id: i64, name: &str) -> Result<(), CourseError> {
        store::delete_asset(&self.db, course_id, name).await?;
        Ok(())
    }
}
