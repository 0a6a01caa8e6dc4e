//! What is in Moodle for the local courses and assets, as `GET /api/courses[/{id}]` and the
//! asset routes show it beside their own fields: per site, the Moodle ids, the page's URL,
//! the sync state, the last error and when it was last pushed.

use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::status::rfc3339;
use super::store::view::{self, AssetSide, CourseSide};
use super::{PublishError, Publisher};
use crate::courses::{Asset, Course, CourseId};

/// A course in one Moodle site.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MoodleCourse {
    /// The site.
    pub lms: String,
    /// The Moodle course, once made.
    pub moodle_course_id: Option<i64>,
    /// Its page in Moodle.
    pub url: Option<String>,
    /// `pending`, `syncing`, `synced`, `failed`, `pending_plugin` or `out_of_date`.
    pub sync_status: String,
    /// Why its last push failed.
    pub last_error: Option<String>,
    /// When it was last pushed (RFC 3339).
    pub last_pushed_at: Option<String>,
}

/// An asset's activity in one Moodle site.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MoodleActivity {
    /// The site.
    pub lms: String,
    /// The Moodle course it is in.
    pub moodle_course_id: Option<i64>,
    /// The course module, once made.
    pub cmid: Option<i64>,
    /// What it is in Moodle (`page`, `resource`, `url`, `forum`, `quiz`).
    pub moodle_module: Option<String>,
    /// Its page in Moodle.
    pub url: Option<String>,
    /// `pending`, `syncing`, `synced`, `failed`, `pending_plugin` or `out_of_date`.
    pub sync_status: String,
    /// Why its last push failed.
    pub last_error: Option<String>,
    /// When it was last pushed (RFC 3339).
    pub last_pushed_at: Option<String>,
}

impl Publisher {
    /// The caller's courses with their Moodle side.
    ///
    /// # Errors
    /// [`PublishError::Course`] (the database).
    pub async fn courses_view(
        &self,
        owner: &str,
    ) -> Result<Vec<(Course, Vec<MoodleCourse>)>, PublishError> {
        let courses = self.inner.courses.list(owner).await?;
        let mut sides = self.course_sides(owner, None).await?;
        Ok(courses
            .into_iter()
            .map(|c| {
                let side = sides.remove(&c.id).unwrap_or_default();
                (c, side)
            })
            .collect())
    }

    /// One of the caller's courses with its Moodle side.
    ///
    /// # Errors
    /// [`PublishError::Course`]: not the caller's.
    pub async fn course_view(
        &self,
        owner: &str,
        id: CourseId,
    ) -> Result<(Course, Vec<MoodleCourse>), PublishError> {
        let course = self.inner.courses.course(owner, id).await?;
        let side = self
            .course_sides(owner, Some(course.id))
            .await?
            .remove(&course.id)
            .unwrap_or_default();
        Ok((course, side))
    }

    /// A course's assets (one when `name` is given) with their Moodle side.
    ///
    /// # Errors
    /// [`PublishError::Course`]: the course or asset is not the caller's.
    pub async fn assets_view(
        &self,
        owner: &str,
        id: CourseId,
        name: Option<&str>,
    ) -> Result<Vec<(Asset, Vec<MoodleActivity>)>, PublishError> {
        let courses = &self.inner.courses;
        let course = courses.course(owner, id).await?;
        let assets = match name {
            Some(name) => vec![courses.asset_in(course.id, name).await?],
            None => courses.assets_of(&course).await?,
        };
        let only = match name {
            Some(_) => assets.first().map(|a| a.id),
            None => None,
        };
        let mut sides: HashMap<i64, Vec<MoodleActivity>> = HashMap::new();
        for side in view::assets(&self.inner.db, course.id, only).await? {
            let shown = self.activity(side.clone());
            sides.entry(side.asset_id).or_default().push(shown);
        }
        Ok(assets
            .into_iter()
            .map(|a| {
                let side = sides.remove(&a.id).unwrap_or_default();
                (a, side)
            })
            .collect())
    }

    async fn course_sides(
        &self,
        owner: &str,
        course_id: Option<i64>,
    ) -> Result<HashMap<i64, Vec<MoodleCourse>>, PublishError> {
        let mut sides: HashMap<i64, Vec<MoodleCourse>> = HashMap::new();
        for side in view::courses(&self.inner.db, owner, course_id).await? {
            let id = side.course_id;
            sides.entry(id).or_default().push(self.course_side(side));
        }
        Ok(sides)
    }

    /// A site's base URL (with its trailing `/`), if it is still configured.
    fn base_url(&self, site: &str) -> Option<String> {
        self.inner
            .lms
            .site(Some(site))
            .ok()
            .map(|s| s.client.base_url().to_string())
    }

    fn course_side(&self, s: CourseSide) -> MoodleCourse {
        MoodleCourse {
            url: s
                .moodle_course_id
                .zip(self.base_url(&s.site))
                .map(|(id, base)| format!("{base}course/view.php?id={id}")),
            lms: s.site,
            moodle_course_id: s.moodle_course_id,
            sync_status: s.status,
            last_error: s.last_error,
            last_pushed_at: s.synced_at_ms.map(rfc3339),
        }
    }

    fn activity(&self, s: AssetSide) -> MoodleActivity {
        let url = match (s.cmid, &s.modname, self.base_url(&s.site)) {
            (Some(cmid), Some(modname), Some(base)) => {
                Some(format!("{base}mod/{modname}/view.php?id={cmid}"))
            }
            _ => None,
        };
        MoodleActivity {
            url,
            lms: s.site,
            moodle_course_id: s.moodle_course_id,
            cmid: s.cmid,
            moodle_module: s.modname,
            sync_status: s.status,
            last_error: s.last_error,
            last_pushed_at: s.synced_at_ms.map(rfc3339),
        }
    }
}
