//! `moodle-bridge backup DIR`: an online copy of the SQLite database (`VACUUM INTO`, a
//! consistent snapshot while the service keeps running) as `DIR/bridge.db`, the stored files
//! (local storage: copied under `DIR/files/`; S3: listed, not copied) and `DIR/manifest.json`
//! naming every stored object with its size. On PostgreSQL the database is not copied: the
//! command says to use `pg_dump` and still writes the file manifest. `SECRET_KEY` is never
//! written: it must be kept with the backup by other means (sealed values need it). Restoring
//! is described in the README ("Backups").

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::json;

use crate::config::Config;
use crate::db::{Backend, Db};
use crate::storage::Storage;

/// Writes the backup into `dir` (made when missing; it must be empty).
///
/// # Errors
/// When `dir` is not empty or cannot be written, or the database or storage cannot be read.
pub async fn run(config: &Config, dir: &Path) -> anyhow::Result<ExitCode> {
    prepare(dir)?;
    let url = &config.database_url;
    let database = match crate::db::sqlite_file(url) {
        Some(file) if !file.exists() => {
            anyhow::bail!("no database to back up: {} does not exist", file.display())
        }
        _ => {
            let db = Db::connect(url).await?;
            let copied = copy_database(&db, dir).await;
            db.close().await;
            copied?
        }
    };
    let storage = Storage::open(&config.storage_url)?;
    let objects = storage
        .inventory()
        .await
        .with_context(|| format!("cannot list the stored files of {}", config.storage_url))?;
    let copied_to = match storage.local_folder() {
        Some(folder) => {
            copy_files(&folder, &dir.join("files"), &objects)?;
            Some("files")
        }
        None => None,
    };
    let bytes: u64 = objects.iter().map(|o| o.size).sum();
    let manifest = json!({
        "moodle_bridge": crate::cli::VERSION,
        "created_at": humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        "database": database,
        "storage": {
            "url": config.storage_url,
            "copied_to": copied_to,
            "objects": objects.len(),
            "bytes": bytes,
            "list": objects,
        },
        "not_included": "SECRET_KEY (keep it with this backup by other means: sealed tokens and keys need it)",
    });
    let manifest_path = dir.join("manifest.json");
    std::fs::write(&manifest_path, serde_json::to_vec_pretty(&manifest)?)
        .with_context(|| format!("cannot write {}", manifest_path.display()))?;
    match copied_to {
        Some(_) => println!(
            "files: {} objects ({bytes} bytes) copied to {}",
            objects.len(),
            dir.join("files").display()
        ),
        None => println!(
            "files: {} objects ({bytes} bytes) in {} listed in the manifest, not copied (back up the bucket with its own tools, e.g. versioning or replication)",
            objects.len(),
            config.storage_url
        ),
    }
    println!("manifest: {}", manifest_path.display());
    println!("not included: SECRET_KEY — keep it with this backup");
    Ok(ExitCode::SUCCESS)
}

/// Makes `dir`, or checks that it is empty: a backup never mixes with an older one.
fn prepare(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        let mut entries =
            std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        if entries.next().is_some() {
            anyhow::bail!("{} is not empty: back up into a new folder", dir.display());
        }
    } else {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    Ok(())
}

/// SQLite: `VACUUM INTO` a new file; PostgreSQL: nothing, and says what to use.
async fn copy_database(db: &Db, dir: &Path) -> anyhow::Result<serde_json::Value> {
    match db.backend() {
        Backend::Sqlite => {
            let target = dir.join("bridge.db");
            let absolute = std::path::absolute(&target).unwrap_or(target.clone());
            sqlx::query("VACUUM INTO $1")
                .bind(absolute.display().to_string())
                .execute(db.pool())
                .await
                .context("the SQLite copy (VACUUM INTO) failed")?;
            let size = std::fs::metadata(&target).map(|m| m.len()).unwrap_or(0);
            println!(
                "database: SQLite copied to {} ({size} bytes)",
                target.display()
            );
            Ok(json!({ "kind": "sqlite", "file": "bridge.db", "bytes": size }))
        }
        Backend::Postgres => {
            println!(
                "database: PostgreSQL is not copied by this command; back it up with pg_dump, e.g. \
                 pg_dump --format=custom --file={}/bridge.pgdump \"$DATABASE_URL\"",
                dir.display()
            );
            Ok(json!({ "kind": "postgres", "copied": false, "use": "pg_dump --format=custom" }))
        }
    }
}

/// Copies each listed object's file from the storage folder to `to`, keeping its key as path.
fn copy_files(
    from: &Path,
    to: &Path,
    objects: &[crate::storage::StoredObject],
) -> anyhow::Result<()> {
    for object in objects {
        let source: PathBuf = from.join(&object.key);
        let target = to.join(&object.key);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        match std::fs::copy(&source, &target) {
            Ok(_) => {}
            // Deleted between the listing and the copy: the database copy no longer needs it.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                eprintln!("note: {} was deleted during the backup", object.key);
            }
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("cannot copy {} to {}", source.display(), target.display())
                });
            }
        }
    }
    Ok(())
}
