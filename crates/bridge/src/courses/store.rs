//! The SQL of `courses` and `assets`. Every query names the owner, so one subject never
//! reads or changes another's rows.

use serde_json::Value;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::assets::AssetType;
use super::{Asset, Course};
use crate::db::Db;

const COURSE_COLUMNS: &str = "id, owner, name, shortname, description, category_path, version, \
     created_at_ms, updated_at_ms, auto_sync, external_id";
const ASSET_COLUMNS: &str =
    "id, course_id, name, asset_type, content, storage_key, version, updated_at_ms, updated_by";

/// A course's stored fields.
pub(super) struct CourseRow<'a> {
    pub owner: &'a str,
    pub name: &'a str,
    pub shortname: &'a str,
    pub description: &'a str,
    pub category_path: &'a str,
}

pub(super) async fn insert_course(
    db: &Db,
    c: &CourseRow<'_>,
    auto_sync: Option<bool>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(
        "INSERT INTO courses (owner, name, shortname, description, category_path, version, created_at_ms, \
         updated_at_ms, auto_sync) VALUES ($1, $2, $3, $4, $5, 1, $6, $6, $7) RETURNING id",
    )
    .bind(c.owner)
    .bind(c.name)
    .bind(c.shortname)
    .bind(c.description)
    .bind(c.category_path)
    .bind(now)
    .bind(auto_sync.map(i64::from))
    .fetch_one(db.pool())
    .await?;
    row.try_get("id")
}

/// A course by id (of `owner` when given); `local_only` leaves out courses published inline.
pub(super) async fn course(
    db: &Db,
    owner: Option<&str>,
    id: i64,
    local_only: bool,
) -> Result<Option<Course>, sqlx::Error> {
    let sql = format!(
        "SELECT {COURSE_COLUMNS} FROM courses WHERE id = $1 AND ($2 IS NULL OR owner = $2) \
         AND ($3 = 0 OR external_id IS NULL)"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(owner)
        .bind(i64::from(local_only))
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| course_of(&r)).transpose()
}

pub(super) async fn courses(db: &Db, owner: &str) -> Result<Vec<Course>, sqlx::Error> {
    let sql = format!(
        "SELECT {COURSE_COLUMNS} FROM courses WHERE owner = $1 AND external_id IS NULL ORDER BY id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(owner)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(course_of).collect()
}

pub(super) async fn update_course(
    db: &Db,
    id: i64,
    c: &CourseRow<'_>,
    auto_sync: Option<bool>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE courses SET name = $1, shortname = $2, description = $3, category_path = $4, \
         version = version + 1, updated_at_ms = $5, auto_sync = $8 WHERE id = $6 AND owner = $7",
    )
    .bind(c.name)
    .bind(c.shortname)
    .bind(c.description)
    .bind(c.category_path)
    .bind(now)
    .bind(id)
    .bind(c.owner)
    .bind(auto_sync.map(i64::from))
    .execute(db.pool())
    .await
    .map(drop)
}

pub(super) async fn delete_course(db: &Db, owner: &str, id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM courses WHERE id = $1 AND owner = $2")
        .bind(id)
        .bind(owner)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// An asset's stored fields.
pub(super) struct AssetRow<'a> {
    pub course_id: i64,
    pub name: &'a str,
    pub kind: AssetType,
    pub content: &'a Value,
    pub storage_key: Option<&'a str>,
    pub updated_by: &'a str,
}

pub(super) async fn insert_asset(db: &Db, a: &AssetRow<'_>, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO assets (course_id, name, asset_type, content, storage_key, version, updated_at_ms, updated_by) \
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7)",
    )
    .bind(a.course_id)
    .bind(a.name)
    .bind(a.kind.as_str())
    .bind(a.content.to_string())
    .bind(a.storage_key)
    .bind(now)
    .bind(a.updated_by)
    .execute(db.pool())
    .await
    .map(drop)
}

pub(super) async fn update_asset(db: &Db, a: &AssetRow<'_>, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE assets SET content = $1, storage_key = $2, version = version + 1, updated_at_ms = $3, \
         updated_by = $4, asset_type = $7 WHERE course_id = $5 AND name = $6",
    )
    .bind(a.content.to_string())
    .bind(a.storage_key)
    .bind(now)
    .bind(a.updated_by)
    .bind(a.course_id)
    .bind(a.name)
    .bind(a.kind.as_str())
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn delete_asset(db: &Db, course_id: i64, name: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM assets WHERE course_id = $1 AND name = $2")
        .bind(course_id)
        .bind(name)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn assets(db: &Db, course_id: i64) -> Result<Vec<Asset>, sqlx::Error> {
    let sql = format!("SELECT {ASSET_COLUMNS} FROM assets WHERE course_id = $1 ORDER BY id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(course_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(asset_of).collect()
}

pub(super) async fn asset(
    db: &Db,
    course_id: i64,
    name: &str,
) -> Result<Option<Asset>, sqlx::Error> {
    let sql = format!("SELECT {ASSET_COLUMNS} FROM assets WHERE course_id = $1 AND name = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(course_id)
        .bind(name)
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| asset_of(&r)).transpose()
}

/// The storage keys of a course's file assets (to delete the bytes with the course).
pub(super) async fn storage_keys(db: &Db, course_id: i64) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT storage_key FROM assets WHERE course_id = $1 AND storage_key IS NOT NULL",
    )
    .bind(course_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|r| r.try_get("storage_key")).collect()
}

fn course_of(r: &AnyRow) -> Result<Course, sqlx::Error> {
    Ok(Course {
        id: r.try_get("id")?,
        owner: r.try_get("owner")?,
        name: r.try_get("name")?,
        shortname: r.try_get("shortname")?,
        description: r.try_get("description")?,
        category_path: r.try_get("category_path")?,
        version: r.try_get("version")?,
        created_at_ms: r.try_get("created_at_ms")?,
        updated_at_ms: r.try_get("updated_at_ms")?,
        auto_sync: r.try_get::<Option<i64>, _>("auto_sync")?.map(|v| v != 0),
        external_id: r.try_get("external_id")?,
    })
}

fn asset_of(r: &AnyRow) -> Result<Asset, sqlx::Error> {
    let kind: String = r.try_get("asset_type")?;
    let content: String = r.try_get("content")?;
    Ok(Asset {
        id: r.try_get("id")?,
        course_id: r.try_get("course_id")?,
        name: r.try_get("name")?,
        kind: AssetType::parse(&kind)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown asset type {kind:?}").into()))?,
        content: serde_json::from_str(&content).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        storage_key: r.try_get("storage_key")?,
        version: r.try_get("version")?,
        updated_at_ms: r.try_get("updated_at_ms")?,
        updated_by: r.try_get("updated_by")?,
    })
}
