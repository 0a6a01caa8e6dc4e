//! `stored_files`: the metadata of every file the file manager stored. Every read takes the
//! caller's [`Scope`], so a launch never reaches another context's rows.

use sqlx::Row as _;

use super::{MoodleOrigin, Scope, StoredFile};
use crate::db::Db;

/// The columns every query reads.
macro_rules! columns {
    () => {
        "id, name, size, sha256, content_type, storage_key, platform, context_id, course_id, \
         moodle_source, moodle_ref, moodle_user_id, moodle_modified, moodle_location, \
         stored_by, created_at_ms"
    };
}

/// The scope as query parameters: (mode, platform, context); mode 1 sees every row, 0 one
/// platform's context, 2 one platform's rows in any context.
fn scope_params(scope: &Scope) -> (i64, &str, &str) {
    match scope {
        Scope::Everything => (1, "", ""),
        Scope::Context {
            platform,
            context_id,
        } => (0, platform, context_id),
        Scope::Platform { platform } => (2, platform, ""),
    }
}

/// Inserts a row; `Ok(false)` when a copy of the same Moodle file (same time modified) is
/// already stored in this context (the unique index decided, so racing copies store once).
pub(super) async fn insert(db: &Db, f: &StoredFile) -> Result<bool, sqlx::Error> {
    let m = f.moodle.as_ref();
    let result = sqlx::query(
        "INSERT INTO stored_files (id, name, size, sha256, content_type, storage_key, platform, \
         context_id, course_id, moodle_source, moodle_ref, moodle_user_id, moodle_modified, \
         moodle_location, stored_by, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
         ON CONFLICT DO NOTHING",
    )
    .bind(&f.id)
    .bind(&f.name)
    .bind(f.size)
    .bind(&f.sha256)
    .bind(&f.content_type)
    .bind(&f.storage_key)
    .bind(&f.platform)
    .bind(&f.context_id)
    .bind(f.course_id)
    .bind(m.map(|m| m.source.as_str()))
    .bind(m.map(|m| m.moodle_ref.as_str()))
    .bind(m.map(|m| m.user_id))
    .bind(m.map(|m| m.modified))
    .bind(m.map(|m| m.location.as_str()))
    .bind(&f.stored_by)
    .bind(f.created_at_ms)
    .execute(db.pool())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// A stored copy of a Moodle file (as of `modified`) in a context.
pub(super) async fn find_copy(
    db: &Db,
    platform: &str,
    context_id: &str,
    moodle_ref: &str,
    modified: i64,
) -> Result<Option<StoredFile>, sqlx::Error> {
    sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM stored_files WHERE platform = $1 AND context_id = $2 AND moodle_ref = $3 \
         AND moodle_modified = $4"
    ))
    .bind(platform)
    .bind(context_id)
    .bind(moodle_ref)
    .bind(modified)
    .fetch_optional(db.pool())
    .await?
    .map(|r| row(&r))
    .transpose()
}

/// The file with this id, if the scope sees it.
pub(super) async fn get(
    db: &Db,
    scope: &Scope,
    id: &str,
) -> Result<Option<StoredFile>, sqlx::Error> {
    let (all, platform, context) = scope_params(scope);
    sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM stored_files WHERE id = $1 AND ($2 = 1 OR (platform = $3 AND ($2 = 2 OR context_id = $4)))"
    ))
    .bind(id)
    .bind(all)
    .bind(platform)
    .bind(context)
    .fetch_optional(db.pool())
    .await?
    .map(|r| row(&r))
    .transpose()
}

/// FileManager the scope sees, newest first, after `after` (created_at_ms, id), at most `limit`.
pub(super) async fn list(
    db: &Db,
    scope: &Scope,
    after: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<StoredFile>, sqlx::Error> {
    let (all, platform, context) = scope_params(scope);
    let (paged, at, id) = after.map_or((0, 0, ""), |(at, id)| (1, at, id));
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM stored_files WHERE ($1 = 1 OR (platform = $2 AND ($1 = 2 OR context_id = $3))) \
         AND ($4 = 0 OR created_at_ms < $5 OR (created_at_ms = $5 AND id < $6)) \
         ORDER BY created_at_ms DESC, id DESC LIMIT $7"
    ))
    .bind(all)
    .bind(platform)
    .bind(context)
    .bind(paged)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(row).collect()
}

/// The stored copies of one learner's Moodle files in a context: (ref, time modified, id).
pub(super) async fn copies_in(
    db: &Db,
    platform: &str,
    context_id: &str,
    user_id: i64,
) -> Result<Vec<(String, i64, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT moodle_ref, moodle_modified, id FROM stored_files \
         WHERE platform = $1 AND context_id = $2 AND moodle_user_id = $3 AND moodle_ref IS NOT NULL",
    )
    .bind(platform)
    .bind(context_id)
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("moodle_ref")?,
                r.try_get("moodle_modified")?,
                r.try_get("id")?,
            ))
        })
        .collect()
}

/// Deletes the row if the scope sees it; returns it.
pub(super) async fn delete(
    db: &Db,
    scope: &Scope,
    id: &str,
) -> Result<Option<StoredFile>, sqlx::Error> {
    let Some(found) = get(db, scope, id).await? else {
        return Ok(None);
    };
    let gone = sqlx::query("DELETE FROM stored_files WHERE id = $1")
        .bind(id)
        .execute(db.pool())
        .await?
        .rows_affected();
    Ok((gone == 1).then_some(found))
}

fn row(r: &sqlx::any::AnyRow) -> Result<StoredFile, sqlx::Error> {
    let source: Option<String> = r.try_get("moodle_source")?;
    let moodle = match source {
        Some(source) => Some(MoodleOrigin {
            source,
            moodle_ref: r
                .try_get::<Option<String>, _>("moodle_ref")?
                .unwrap_or_default(),
            user_id: r
                .try_get::<Option<i64>, _>("moodle_user_id")?
                .unwrap_or_default(),
            modified: r
                .try_get::<Option<i64>, _>("moodle_modified")?
                .unwrap_or_default(),
            location: r
                .try_get::<Option<String>, _>("moodle_location")?
                .unwrap_or_default(),
        }),
        None => None,
    };
    Ok(StoredFile {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        size: r.try_get("size")?,
        sha256: r.try_get("sha256")?,
        content_type: r.try_get("content_type")?,
        storage_key: r.try_get("storage_key")?,
        platform: r.try_get("platform")?,
        context_id: r.try_get("context_id")?,
        course_id: r.try_get("course_id")?,
        moodle,
        stored_by: r.try_get("stored_by")?,
        created_at_ms: r.try_get("created_at_ms")?,
    })
}
