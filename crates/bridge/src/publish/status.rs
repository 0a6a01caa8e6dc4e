//! The read side of the sync state (`GET /api/sync/status`, `moodle-bridge sync status`):
//! counts by status, with `out_of_date` read off the versions, and the failed items with
//! their errors. `None` as owner is the operator's view of everyone's courses.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::Row as _;
use utoipa::ToSchema;

use super::store::STATUS_NAMES;
use crate::db::Db;

/// The sync state.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SyncStatus {
    /// Courses (per site) by status.
    pub courses: BTreeMap<String, i64>,
    /// Assets (per site) by status.
    pub assets: BTreeMap<String, i64>,
    /// What failed, and why.
    pub failed: Vec<Failure>,
    /// Push jobs by state (`queued` includes those waiting for Moodle).
    pub jobs: BTreeMap<String, i64>,
    /// Automatic sync: the setting and the automatic pushes queued or running (with their
    /// failed attempts and last error while they are retried).
    pub auto_sync: super::AutoSync,
    /// Activities and courses deleted locally that are still to be hidden or deleted in
    /// Moodle (by the course's next push, or a removal job).
    pub removals_pending: i64,
}

/// A failed course or asset.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Failure {
    /// The local course.
    pub course_id: i64,
    /// Its name.
    pub course_name: String,
    /// The site.
    pub lms: String,
    /// The asset; absent when the course itself failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset_name: Option<String>,
    /// Why.
    pub error: String,
    /// Failed attempts since the last success.
    pub attempts: i64,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}

/// Counts by status of `lms_courses` or `lms_assets` joined to their local rows.
pub(super) async fn counts(
    db: &Db,
    assets: bool,
    owner: Option<&str>,
    course_id: Option<i64>,
) -> Result<BTreeMap<String, i64>, sqlx::Error> {
    let (table, local, key) = if assets {
        ("lms_assets", "assets", "asset_id")
    } else {
        ("lms_courses", "courses", "course_id")
    };
    let sql = format!(
        "SELECT CASE WHEN m.sync_status = 'synced' AND l.version > m.pushed_version THEN 'out_of_date' \
         ELSE m.sync_status END AS status, COUNT(*) AS n \
         FROM {table} m JOIN {local} l ON l.id = m.{key} JOIN courses c ON c.id = m.course_id \
         WHERE ($1 IS NULL OR c.owner = $1) AND ($2 IS NULL OR m.course_id = $2) GROUP BY 1"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(owner)
        .bind(course_id)
        .fetch_all(db.pool())
        .await?;
    let mut counts: BTreeMap<String, i64> =
        STATUS_NAMES.iter().map(|s| ((*s).to_owned(), 0)).collect();
    for r in &rows {
        counts.insert(r.try_get("status")?, r.try_get("n")?);
    }
    Ok(counts)
}

/// Failed courses and assets, newest first (at most 500).
pub(super) async fn failures(
    db: &Db,
    owner: Option<&str>,
    course_id: Option<i64>,
) -> Result<Vec<Failure>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT c.id AS course_id, c.name AS course_name, m.site, a.name AS asset_name, m.last_error, \
         m.attempts, m.updated_at_ms FROM lms_assets m JOIN assets a ON a.id = m.asset_id \
         JOIN courses c ON c.id = m.course_id \
         WHERE m.sync_status = 'failed' AND ($1 IS NULL OR c.owner = $1) AND ($2 IS NULL OR m.course_id = $2) \
         UNION ALL \
         SELECT c.id AS course_id, c.name AS course_name, m.site, CAST(NULL AS TEXT) AS asset_name, m.last_error, \
         m.attempts, m.updated_at_ms FROM lms_courses m JOIN courses c ON c.id = m.course_id \
         WHERE m.sync_status = 'failed' AND ($1 IS NULL OR c.owner = $1) AND ($2 IS NULL OR m.course_id = $2) \
         ORDER BY 7 DESC LIMIT 500",
    )
    .bind(owner)
    .bind(course_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let at: i64 = r.try_get("updated_at_ms")?;
            Ok(Failure {
                course_id: r.try_get("course_id")?,
                course_name: r.try_get("course_name")?,
                lms: r.try_get("site")?,
                asset_name: r.try_get("asset_name")?,
                error: r
                    .try_get::<Option<String>, _>("last_error")?
                    .unwrap_or_default(),
                attempts: r.try_get("attempts")?,
                updated_at: rfc3339(at),
            })
        })
        .collect()
}

/// The (course, site) pairs with something failed.
pub(super) async fn failed_pairs(
    db: &Db,
    owner: Option<&str>,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT m.course_id, m.site FROM lms_assets m JOIN courses c ON c.id = m.course_id \
         WHERE m.sync_status = 'failed' AND ($1 IS NULL OR c.owner = $1) \
         UNION SELECT m.course_id, m.site FROM lms_courses m JOIN courses c ON c.id = m.course_id \
         WHERE m.sync_status = 'failed' AND ($1 IS NULL OR c.owner = $1) ORDER BY 1, 2",
    )
    .bind(owner)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("course_id")?, r.try_get("site")?)))
        .collect()
}

/// Unix milliseconds as RFC 3339.
pub fn rfc3339(ms: i64) -> String {
    let at =
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    humantime::format_rfc3339_millis(at).to_string()
}
