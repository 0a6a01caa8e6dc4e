//! The SQL of `lms_removals`: what a push must still hide or delete in Moodle. Rows are
//! written from the mapping before the local row (and with it its mapping) goes; a row whose
//! asset or course is still there (its delete failed) is dropped, never carried out.

use sqlx::Row as _;

use crate::db::Db;

/// A removal to carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// The site.
    pub site: String,
    /// The Moodle course.
    pub moodle_course_id: i64,
    /// The course module; 0 for the Moodle course itself.
    pub cmid: i64,
    /// The local course it was made for.
    pub course_id: i64,
    /// The local asset, for an activity.
    pub asset_id: Option<i64>,
    /// The course's owner.
    pub owner: String,
    /// What the activity is.
    pub modname: Option<String>,
    /// The asset's or course's name.
    pub name: String,
    /// Failed attempts.
    pub attempts: i64,
}

const COLUMNS: &str =
    "site, moodle_course_id, cmid, course_id, asset_id, owner, modname, name, attempts";

/// Records the activities of an asset (one per site it was pushed to) for removal.
pub async fn record_asset(db: &Db, asset_id: i64, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO lms_removals (site, moodle_course_id, cmid, course_id, asset_id, owner, modname, name, \
         attempts, last_error, created_at_ms, updated_at_ms) \
         SELECT m.site, m.moodle_course_id, m.cmid, m.course_id, m.asset_id, c.owner, m.modname, a.name, 0, NULL, $2, $2 \
         FROM lms_assets m JOIN assets a ON a.id = m.asset_id JOIN courses c ON c.id = m.course_id \
         WHERE m.asset_id = $1 AND m.cmid IS NOT NULL AND m.moodle_course_id IS NOT NULL \
         ON CONFLICT (site, moodle_course_id, cmid) DO NOTHING",
    )
    .bind(asset_id)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}

/// Records a course's Moodle courses (one per site) for removal; answers the sites.
pub async fn record_course(db: &Db, course_id: i64, now: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query(
        "INSERT INTO lms_removals (site, moodle_course_id, cmid, course_id, asset_id, owner, modname, name, \
         attempts, last_error, created_at_ms, updated_at_ms) \
         SELECT m.site, m.moodle_course_id, 0, m.course_id, NULL, c.owner, NULL, c.name, 0, NULL, $2, $2 \
         FROM lms_courses m JOIN courses c ON c.id = m.course_id \
         WHERE m.course_id = $1 AND m.moodle_course_id IS NOT NULL \
         ON CONFLICT (site, moodle_course_id, cmid) DO NOTHING",
    )
    .bind(course_id)
    .bind(now)
    .execute(db.pool())
    .await?;
    let rows = sqlx::query(
        "SELECT DISTINCT site FROM lms_removals WHERE course_id = $1 AND cmid = 0 ORDER BY site",
    )
    .bind(course_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|r| r.try_get("site")).collect()
}

/// Drops removals that must not be carried out: of an asset or course that still exists
/// (its delete failed after the removal was written), or of an activity mapped again.
pub async fn drop_stale(db: &Db, course_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM lms_removals WHERE course_id = $1 AND ( \
         (asset_id IS NOT NULL AND EXISTS (SELECT 1 FROM assets a WHERE a.id = lms_removals.asset_id)) \
         OR (cmid = 0 AND EXISTS (SELECT 1 FROM courses c WHERE c.id = lms_removals.course_id)) \
         OR (cmid <> 0 AND EXISTS (SELECT 1 FROM lms_assets m WHERE m.site = lms_removals.site \
             AND m.cmid = lms_removals.cmid)))",
    )
    .bind(course_id)
    .execute(db.pool())
    .await
    .map(drop)
}

/// The activity removals of a course in a site's Moodle course, oldest first.
pub async fn pending_activities(
    db: &Db,
    course_id: i64,
    site: &str,
    moodle_course_id: i64,
) -> Result<Vec<Removal>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM lms_removals WHERE course_id = $1 AND site = $2 AND moodle_course_id = $3 \
         AND cmid <> 0 ORDER BY created_at_ms, cmid"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(course_id)
        .bind(site)
        .bind(moodle_course_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(removal).collect()
}

/// The course removals of a (deleted) course in a site.
pub async fn pending_courses(
    db: &Db,
    course_id: i64,
    site: &str,
) -> Result<Vec<Removal>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM lms_removals WHERE course_id = $1 AND site = $2 AND cmid = 0 \
         ORDER BY moodle_course_id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(course_id)
        .bind(site)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(removal).collect()
}

/// Forgets a removal once carried out (or found done already).
pub async fn done(db: &Db, r: &Removal) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM lms_removals WHERE site = $1 AND moodle_course_id = $2 AND cmid = $3")
        .bind(&r.site)
        .bind(r.moodle_course_id)
        .bind(r.cmid)
        .execute(db.pool())
        .await
        .map(drop)
}

/// Counts a failed attempt.
pub async fn failed(db: &Db, r: &Removal, error: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE lms_removals SET attempts = attempts + 1, last_error = $4, updated_at_ms = $5 \
         WHERE site = $1 AND moodle_course_id = $2 AND cmid = $3",
    )
    .bind(&r.site)
    .bind(r.moodle_course_id)
    .bind(r.cmid)
    .bind(error)
    .bind(now)
    .execute(db.pool())
    .await
    .map(drop)
}

/// Removals still to do, of one owner (all for `None`): for `GET /api/sync/status`.
pub async fn count(db: &Db, owner: Option<&str>) -> Result<i64, sqlx::Error> {
    let row =
        sqlx::query("SELECT COUNT(*) AS n FROM lms_removals WHERE ($1 IS NULL OR owner = $1)")
            .bind(owner)
            .fetch_one(db.pool())
            .await?;
    row.try_get("n")
}

fn removal(r: &sqlx::any::AnyRow) -> Result<Removal, sqlx::Error> {
    Ok(Removal {
        site: r.try_get("site")?,
        moodle_course_id: r.try_get("moodle_course_id")?,
        cmid: r.try_get("cmid")?,
        course_id: r.try_get("course_id")?,
        asset_id: r.try_get("asset_id")?,
        owner: r.try_get("owner")?,
        modname: r.try_get("modname")?,
        name: r.try_get("name")?,
        attempts: r.try_get("attempts")?,
    })
}
