//! The SQL of the publisher's mapping and sync state: `lms_categories`, `lms_courses`,
//! `lms_assets` (here), what is still to be removed in Moodle (`removals.rs`), the users a
//! push enrolled (`enrolments.rs`), and the Moodle side of courses and assets for the local
//! routes (`view.rs`). Upserts use `INSERT … ON CONFLICT … DO UPDATE`, which SQLite and
//! PostgreSQL both have. `out_of_date` is read off the versions, never stored.

pub mod enrolments;
pub mod removals;
pub mod view;

use std::collections::HashMap;

use sqlx::Row as _;

use crate::db::Db;

/// A sync state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Waiting for a push (or for Moodle to answer again).
    Pending,
    /// Being pushed now.
    Syncing,
    /// In Moodle as it is here.
    Synced,
    /// The last push of it failed (`last_error`).
    Failed,
    /// Waiting for the companion plugin.
    PendingPlugin,
}

impl Status {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Syncing => "syncing",
            Status::Synced => "synced",
            Status::Failed => "failed",
            Status::PendingPlugin => "pending_plugin",
        }
    }
}

/// Every status name, `out_of_date` included.
pub const STATUS_NAMES: [&str; 6] = [
    "pending",
    "syncing",
    "synced",
    "failed",
    "pending_plugin",
    "out_of_date",
];

/// A course's mapping in a site.
#[derive(Debug, Clone, Default)]
pub struct CourseMapping {
    /// The Moodle course.
    pub moodle_course_id: Option<i64>,
    /// The short name Moodle accepted, when the bridge made (or found by ID number) the course.
    pub shortname: Option<String>,
    /// The hash last pushed.
    pub content_hash: Option<String>,
    /// The stored status.
    pub status: String,
}

/// An asset's mapping in a site.
#[derive(Debug, Clone, Default)]
pub struct AssetMapping {
    /// The Moodle course its activity is in.
    pub moodle_course_id: Option<i64>,
    /// The course module.
    pub cmid: Option<i64>,
    /// What the activity is (`page`, `quiz`, …).
    pub modname: Option<String>,
    /// The hash last pushed.
    pub content_hash: Option<String>,
    /// A quiz's questions' hash last pushed.
    pub questions_hash: Option<String>,
    /// The stored status.
    pub status: String,
}

pub(super) async fn category(db: &Db, site: &str, path: &str) -> Result<Option<i64>, sqlx::Error> {
    let row =
        sqlx::query("SELECT moodle_category_id FROM lms_categories WHERE site = $1 AND path = $2")
            .bind(site)
            .bind(path)
            .fetch_optional(db.pool())
            .await?;
    row.map(|r| r.try_get("moodle_category_id")).transpose()
}

pub(super) async fn save_category(
    db: &Db,
    site: &str,
    path: &str,
    id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO lms_categories (site, path, moodle_category_id, created_at_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (site, path) DO UPDATE SET moodle_category_id = excluded.moodle_category_id",
    )
    .bind(site)
    .bind(path)
    .bind(id)
    .bind(now)
    .execute(db.pool())
    .await
    .map(drop)
}

pub(super) async fn course_mapping(
    db: &Db,
    course_id: i64,
    site: &str,
) -> Result<CourseMapping, sqlx::Error> {
    let row = sqlx::query(
        "SELECT moodle_course_id, shortname, content_hash, sync_status FROM lms_courses \
         WHERE course_id = $1 AND site = $2",
    )
    .bind(course_id)
    .bind(site)
    .fetch_optional(db.pool())
    .await?;
    Ok(match row {
        None => CourseMapping::default(),
        Some(r) => CourseMapping {
            moodle_course_id: r.try_get("moodle_course_id")?,
            shortname: r.try_get("shortname")?,
            content_hash: r.try_get("content_hash")?,
            status: r.try_get("sync_status")?,
        },
    })
}

/// Sets a course's status (and error), counting failed attempts.
pub(super) async fn mark_course(
    db: &Db,
    course_id: i64,
    site: &str,
    status: Status,
    error: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let failed = i64::from(status == Status::Failed);
    sqlx::query(
        "INSERT INTO lms_courses (course_id, site, pushed_version, sync_status, last_error, attempts, updated_at_ms) \
         VALUES ($1, $2, 0, $3, $4, $5, $6) ON CONFLICT (course_id, site) DO UPDATE SET \
         sync_status = excluded.sync_status, last_error = excluded.last_error, \
         attempts = lms_courses.attempts + excluded.attempts, updated_at_ms = excluded.updated_at_ms",
    )
    .bind(course_id)
    .bind(site)
    .bind(status.as_str())
    .bind(error)
    .bind(failed)
    .bind(now)
    .execute(db.pool())
    .await
    .map(drop)
}

/// What was pushed of a course.
pub(super) struct PushedCourse<'a> {
    pub moodle_course_id: i64,
    pub shortname: Option<&'a str>,
    pub hash: &'a str,
    pub version: i64,
}

pub(super) async fn save_course(
    db: &Db,
    course_id: i64,
    site: &str,
    p: &PushedCourse<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO lms_courses (course_id, site, moodle_course_id, shortname, content_hash, pushed_version, \
         sync_status, last_error, attempts, synced_at_ms, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, 'synced', NULL, 0, $7, $7) ON CONFLICT (course_id, site) DO UPDATE SET \
         moodle_course_id = excluded.moodle_course_id, shortname = excluded.shortname, \
         content_hash = excluded.content_hash, pushed_version = excluded.pushed_version, sync_status = 'synced', \
         last_error = NULL, attempts = 0, synced_at_ms = excluded.synced_at_ms, updated_at_ms = excluded.updated_at_ms",
    )
    .bind(course_id)
    .bind(site)
    .bind(p.moodle_course_id)
    .bind(p.shortname)
    .bind(p.hash)
    .bind(p.version)
    .bind(now)
    .execute(db.pool())
    .await
    .map(drop)
}

/// The mappings of a course's assets in a site, by asset id.
pub(super) async fn asset_mappings(
    db: &Db,
    course_id: i64,
    site: &str,
) -> Result<HashMap<i64, AssetMapping>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT asset_id, moodle_course_id, cmid, modname, content_hash, questions_hash, sync_status \
         FROM lms_assets WHERE course_id = $1 AND site = $2",
    )
    .bind(course_id)
    .bind(site)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("asset_id")?,
                AssetMapping {
                    moodle_course_id: r.try_get("moodle_course_id")?,
                    cmid: r.try_get("cmid")?,
                    modname: r.try_get("modname")?,
                    content_hash: r.try_get("content_hash")?,
                    questions_hash: r.try_get("questions_hash")?,
                    status: r.try_get("sync_status")?,
                },
            ))
        })
        .collect()
}

/// Sets an asset's status (and error), counting failed attempts.
pub(super) async fn mark_asset(
    db: &Db,
    asset_id: i64,
    course_id: i64,
    site: &str,
    status: Status,
    error: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let failed = i64::from(status == Status::Failed);
    sqlx::query(
        "INSERT INTO lms_assets (asset_id, site, course_id, pushed_version, sync_status, last_error, attempts, updated_at_ms) \
         VALUES ($1, $2, $3, 0, $4, $5, $6, $7) ON CONFLICT (asset_id, site) DO UPDATE SET \
         sync_status = excluded.sync_status, last_error = excluded.last_error, \
         attempts = lms_assets.attempts + excluded.attempts, updated_at_ms = excluded.updated_at_ms",
    )
    .bind(asset_id)
    .bind(site)
    .bind(course_id)
    .bind(status.as_str())
    .bind(error)
    .bind(failed)
    .bind(now)
    .execute(db.pool())
    .await
    .map(drop)
}

/// Sets the status of many assets of a course at once (one statement per 500), leaving those
/// that are `synced` as they are: an unchanged asset stays synced through a push.
pub(super) async fn mark_assets(
    db: &Db,
    course_id: i64,
    site: &str,
    asset_ids: &[i64],
    status: Status,
    now: i64,
) -> Result<(), sqlx::Error> {
    for chunk in asset_ids.chunks(500) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 5)).collect();
        let sql = format!(
            "INSERT INTO lms_assets (asset_id, site, course_id, pushed_version, sync_status, last_error, attempts, updated_at_ms) \
             SELECT id, $1, course_id, 0, $2, NULL, 0, $3 FROM assets WHERE course_id = $4 AND id IN ({}) \
             ON CONFLICT (asset_id, site) DO UPDATE SET sync_status = excluded.sync_status, last_error = NULL, \
             updated_at_ms = excluded.updated_at_ms WHERE lms_assets.sync_status <> 'synced'",
            list.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(site)
            .bind(status.as_str())
            .bind(now)
            .bind(course_id);
        for id in chunk {
            query = query.bind(*id);
        }
        query.execute(db.pool()).await?;
    }
    Ok(())
}

/// What was pushed of an asset.
#[derive(Debug, Clone)]
pub(super) struct PushedAsset {
    pub asset_id: i64,
    pub moodle_course_id: i64,
    pub cmid: i64,
    pub modname: &'static str,
    pub hash: String,
    /// A quiz's questions as pushed; `None` keeps what is stored (a quiz whose questions
    /// Moodle refused to replace).
    pub questions_hash: Option<String>,
    pub version: i64,
}

/// Saves what was pushed of many assets, in statements of 100 rows.
pub(super) async fn save_assets(
    db: &Db,
    course_id: i64,
    site: &str,
    pushed: &[PushedAsset],
    now: i64,
) -> Result<(), sqlx::Error> {
    const COLUMNS: usize = 7;
    for chunk in pushed.chunks(100) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                let n = 3 + i * COLUMNS;
                format!(
                    "(${}, $1, $2, ${}, ${}, ${}, ${}, ${}, ${}, 'synced', NULL, 0, $3, $3)",
                    n + 1,
                    n + 2,
                    n + 3,
                    n + 4,
                    n + 5,
                    n + 6,
                    n + 7
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO lms_assets (asset_id, site, course_id, moodle_course_id, cmid, modname, content_hash, \
             questions_hash, pushed_version, sync_status, last_error, attempts, synced_at_ms, updated_at_ms) \
             VALUES {} ON CONFLICT (asset_id, site) DO UPDATE SET \
             moodle_course_id = excluded.moodle_course_id, cmid = excluded.cmid, modname = excluded.modname, \
             content_hash = excluded.content_hash, \
             questions_hash = COALESCE(excluded.questions_hash, lms_assets.questions_hash), \
             pushed_version = excluded.pushed_version, sync_status = 'synced', \
             last_error = NULL, attempts = 0, synced_at_ms = excluded.synced_at_ms, updated_at_ms = excluded.updated_at_ms",
            rows.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(site)
            .bind(course_id)
            .bind(now);
        for p in chunk {
            query = query
                .bind(p.asset_id)
                .bind(p.moodle_course_id)
                .bind(p.cmid)
                .bind(p.modname)
                .bind(p.hash.as_str())
                .bind(p.questions_hash.as_deref())
                .bind(p.version);
        }
        query.execute(db.pool()).await?;
    }
    Ok(())
}

/// Puts what a stopped push left `syncing` back to `pending`.
pub(super) async fn reset_syncing(
    db: &Db,
    course_id: i64,
    site: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    for table in ["lms_courses", "lms_assets"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET sync_status = 'pending', updated_at_ms = $1 \
             WHERE course_id = $2 AND site = $3 AND sync_status = 'syncing'"
        )))
        .bind(now)
        .bind(course_id)
        .bind(site)
        .execute(db.pool())
        .await?;
    }
    Ok(())
}

/// The sites a course was pushed to.
pub(super) async fn sites_of(db: &Db, course_id: i64) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query("SELECT site FROM lms_courses WHERE course_id = $1 ORDER BY site")
        .bind(course_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(|r| r.try_get("site")).collect()
}

/// Names of a course's assets pushed to a site, all of them or only those not synced.
pub(super) async fn pushed_asset_names(
    db: &Db,
    course_id: i64,
    site: &str,
    unsynced_only: bool,
) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT a.name FROM lms_assets m JOIN assets a ON a.id = m.asset_id \
         WHERE m.course_id = $1 AND m.site = $2 AND ($3 = 0 OR m.sync_status <> 'synced') ORDER BY a.id",
    )
    .bind(course_id)
    .bind(site)
    .bind(i64::from(unsynced_only))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|r| r.try_get("name")).collect()
}
