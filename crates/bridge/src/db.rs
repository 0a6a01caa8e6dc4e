//! The database: opens the pool (SQLite by default, PostgreSQL for scale, through sqlx's
//! `Any` driver so one set of portable queries serves both) and applies the migrations of
//! `migrations/{sqlite,postgres}/`. Queries live beside their modules (`audit.rs`, …).
//! How a URL is opened and how its failures read: `db/open.rs`.

mod open;

use std::str::FromStr as _;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Connection as _, Executor as _};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file (WAL mode).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// A connection pool and what it is connected to.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

/// Why the database cannot be used. Each reads as one sentence (no source chain repeating
/// it), naming the database without its password.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Opening the database at start failed.
    #[error("{0}")]
    Open(String),
    /// A query of the start failed.
    #[error("the database cannot be used: {0}")]
    Connect(sqlx::Error),
    /// The SQLite file's folder cannot be created.
    #[error("cannot create the database folder {path}: {error}")]
    Folder {
        /// The folder.
        path: String,
        /// Why.
        error: std::io::Error,
    },
    /// A migration failed.
    #[error("the database migration failed: {0}")]
    Migrate(sqlx::migrate::MigrateError),
}

impl From<sqlx::migrate::MigrateError> for DbError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        DbError::Migrate(e)
    }
}

impl Db {
    /// Opens a pool for `url` (`sqlite:///path/bridge.db`, `sqlite://path?mode=rwc` or
    /// `postgres://…`); a SQLite file that does not exist yet is created (and logged), unless
    /// the URL chooses a `mode`.
    ///
    /// # Errors
    /// [`DbError`] when the server or file cannot be reached.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let given = url;
        let (url, creating) = open::creating_missing_sqlite(given);
        let backend = if url.starts_with("sqlite:") {
            create_sqlite_folder(&url)?;
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let failed = |e: sqlx::Error| DbError::Open(open::open_failure(given, &e));
        let options = AnyConnectOptions::from_str(&url).map_err(failed)?;
        // One connection first: the pool would retry a refused or broken database until its
        // timeout and report only that; a single attempt gives the real reason at once.
        let probe = async {
            let mut conn = sqlx::AnyConnection::connect_with(&options).await?;
            conn.execute(if backend == Backend::Sqlite {
                "PRAGMA schema_version"
            } else {
                "SELECT 1"
            })
            .await?;
            conn.close().await
        };
        match tokio::time::timeout(open::OPEN_TIMEOUT, probe).await {
            Ok(result) => result.map_err(failed)?,
            Err(_) => return Err(failed(sqlx::Error::PoolTimedOut)),
        }
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(5))
            // An in-process SQLite connection does not break as a network one can: a ping
            // before each use would only cost a round trip to its worker thread.
            .test_before_acquire(backend != Backend::Sqlite)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers work beside the one writer; busy_timeout makes a
                        // second writer wait instead of failing at once.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(failed)?;
        if let Some(path) = creating {
            tracing::info!(path = %path.display(), "created a new SQLite database");
        }
        Ok(Db { pool, backend })
    }

    /// Applies the migrations not applied yet.
    ///
    /// # Errors
    /// [`DbError::Migrate`], e.g. when an applied migration was changed.
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    /// Checks that a connection answers.
    ///
    /// # Errors
    /// The driver's error.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        self.pool.execute("SELECT 1").await.map(drop)
    }

    /// The pool, for the stores.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A transaction that will write. On SQLite it is `BEGIN IMMEDIATE`, which takes the write
    /// lock at the start (waiting up to the busy timeout for another writer) instead of at the
    /// first write: a deferred transaction that has read and then writes fails at once with
    /// "database is locked" (`SQLITE_BUSY_SNAPSHOT`, 517) when another connection wrote in
    /// between, and `busy_timeout` does not cover that upgrade. On PostgreSQL, `BEGIN`.
    ///
    /// # Errors
    /// The driver's error.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection (at shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Whether `e` means the database cannot be reached now (server stopped or restarting, a
/// broken connection, the pool out of connections) rather than a wrong query: requests
/// then answer 503 and the pool reconnects by itself when the server is back.
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        // PostgreSQL's SQLSTATE classes 08 (connection exception), 53 (insufficient
        // resources) and 57P (operator intervention: shutdown, cannot connect now).
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("53") || c.starts_with("57P")),
        _ => false,
    }
}

/// Creates the folder of a SQLite file, so the default works on a fresh machine.
fn create_sqlite_folder(url: &str) -> Result<(), DbError> {
    let Some(path) = open::sqlite_path(url) else {
        return Ok(());
    };
    match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => {
            std::fs::create_dir_all(folder).map_err(|error| DbError::Folder {
                path: folder.display().to_string(),
                error,
            })
        }
        _ => Ok(()),
    }
}

/// The database a URL names, as messages may show it: the SQLite file, or the PostgreSQL
/// server and database without the password.
pub fn describe(url: &str) -> String {
    open::describe_target(url)
}

/// The SQLite file a `sqlite:` URL names (`None`: PostgreSQL or in memory).
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    open::sqlite_path(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_write_transaction_that_read_first_still_writes_after_another_connection_wrote() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/t.db?mode=rwc", dir.path().display());
        let db = Db::connect(&url).await.expect("open");
        sqlx::query("CREATE TABLE t (x INTEGER)")
            .execute(db.pool())
            .await
            .expect("table");
        let mut tx = db.begin_write().await.expect("begin");
        sqlx::query("SELECT count(*) FROM t")
            .fetch_one(&mut *tx)
            .await
            .expect("read");
        // Another connection writes meanwhile: it waits for this transaction (with a
        // deferred BEGIN it would commit first and this transaction's write would fail).
        let other = tokio::spawn({
            let db = db.clone();
            async move {
                sqlx::query("INSERT INTO t VALUES (2)")
                    .execute(db.pool())
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&mut *tx)
            .await
            .expect("the write after the read is not refused");
        tx.commit().await.expect("commit");
        other
            .await
            .expect("task")
            .expect("the other write, after ours");
        let rows: Vec<i64> = sqlx::query_scalar("SELECT x FROM t ORDER BY rowid")
            .fetch_all(db.pool())
            .await
            .expect("rows");
        assert_eq!(rows, [1, 2]);
    }
}
