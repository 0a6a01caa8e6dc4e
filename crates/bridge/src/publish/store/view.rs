//! The SQL of the Moodle side of courses and assets, as the local routes show it: per site,
//! the Moodle ids, the sync state (`out_of_date` read off the versions) and when it was last
//! pushed.

use sqlx::Row as _;

use crate::db::Db;

/// A course in one site.
#[derive(Debug, Clone)]
pub struct CourseSide {
    /// The local course.
    pub course_id: i64,
    /// The site.
    pub site: String,
    /// The Moodle course, once made.
    pub moodle_course_id: Option<i64>,
    /// The sync state.
    pub status: String,
    /// Why the last push of it failed.
    pub last_error: Option<String>,
    /// When it was last pushed (Unix ms).
    pub synced_at_ms: Option<i64>,
}

/// An asset in one site.
#[derive(Debug, Clone)]
pub struct AssetSide {
    /// The local asset.
    pub asset_id: i64,
    /// The site.
    pub site: String,
    /// The Moodle course its activity is in.
    pub moodle_course_id: Option<i64>,
    /// The course module.
    pub cmid: Option<i64>,
    /// What the activity is.
    pub modname: Option<String>,
    /// The sync state.
    pub status: String,
    /// Why the last push of it failed.
    pub last_error: Option<String>,
    /// When it was last pushed (Unix ms).
    pub synced_at_ms: Option<i64>,
}

const STATUS: &str = "CASE WHEN m.sync_status = 'synced' AND l.version > m.pushed_version \
                      THEN 'out_of_date' ELSE m.sync_status END AS status";

/// The Moodle side of an owner's courses (of one course when given).
pub async fn courses(
    db: &Db,
    owner: &str,
    course_id: Option<i64>,
) -> Result<Vec<CourseSide>, sqlx::Error> {
    let sql = format!(
        "SELECT m.course_id, m.site, m.moodle_course_id, {STATUS}, m.last_error, m.synced_at_ms \
         FROM lms_courses m JOIN courses l ON l.id = m.course_id \
         WHERE l.owner = $1 AND ($2 IS NULL OR m.course_id = $2) ORDER BY m.course_id, m.site"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(owner)
        .bind(course_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(CourseSide {
                course_id: r.try_get("course_id")?,
                site: r.try_get("site")?,
                moodle_course_id: r.try_get("moodle_course_id")?,
                status: r.try_get("status")?,
                last_error: r.try_get("last_error")?,
                synced_at_ms: r.try_get("synced_at_ms")?,
            })
        })
        .collect()
}

/// The Moodle side of a course's assets (of one asset when given).
pub async fn assets(
    db: &Db,
    course_id: i64,
    asset_id: Option<i64>,
) -> Result<Vec<AssetSide>, sqlx::Error> {
    let sql = format!(
        "SELECT m.asset_id, m.site, m.moodle_course_id, m.cmid, m.modname, {STATUS}, m.last_error, \
         m.synced_at_ms FROM lms_assets m JOIN assets l ON l.id = m.asset_id \
         WHERE m.course_id = $1 AND ($2 IS NULL OR m.asset_id = $2) ORDER BY m.asset_id, m.site"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(course_id)
        .bind(asset_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(AssetSide {
                asset_id: r.try_get("asset_id")?,
                site: r.try_get("site")?,
                moodle_course_id: r.try_get("moodle_course_id")?,
                cmid: r.try_get("cmid")?,
                modname: r.try_get("modname")?,
                status: r.try_get("status")?,
                last_error: r.try_get("last_error")?,
                synced_at_ms: r.try_get("synced_at_ms")?,
            })
        })
        .collect()
}
