//! The SQL of `jobs` and `job_events`: portable statements with `$n` binds for SQLite and
//! PostgreSQL alike.

use serde_json::Value;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::{Job, JobEvent, JobState, NewJob, Sealed};
use crate::db::Db;

const COLUMNS: &str = "id, kind, owner, work_key, args, credential, state, attempts, result, error, \
                       created_at_ms, updated_at_ms, finished_at_ms, run_after_ms";

/// Inserts a job: queued (to run from `run_after`), or running under `lease` (owner, until).
pub(super) async fn insert(
    db: &Db,
    job: &NewJob,
    lease: Option<(&str, i64)>,
    run_after: i64,
    now: i64,
) -> Result<String, sqlx::Error> {
    let id = uuid::Uuid::new_v4().to_string();
    let (state, attempts) = match lease {
        Some(_) => (JobState::Running, 1),
        None => (JobState::Queued, 0),
    };
    sqlx::query(
        "INSERT INTO jobs (id, kind, owner, work_key, args, credential, state, attempts, run_after_ms, \
         lease_owner, lease_until_ms, created_at_ms, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $12, $10, $11, $9, $9)",
    )
    .bind(&id)
    .bind(job.kind)
    .bind(&job.owner)
    .bind(&job.work_key)
    .bind(job.args.to_string())
    .bind(job.credential.as_ref().map(|c| c.0.clone()))
    .bind(state.as_str())
    .bind(attempts)
    .bind(now)
    .bind(lease.map(|(owner, _)| owner.to_owned()))
    .bind(lease.map(|(_, until)| until))
    .bind(run_after)
    .execute(db.pool())
    .await?;
    Ok(id)
}

/// Claims the next runnable job for `worker` until `until`.
pub(super) async fn claim(
    db: &Db,
    worker: &str,
    until: i64,
    now: i64,
) -> Result<Option<Job>, sqlx::Error> {
    // The condition is repeated outside the subquery: of two processes that picked the same
    // row, the second one's UPDATE re-reads it, finds it claimed, and changes nothing. A job
    // waits while another of its work key (a course in a site) runs under a live lease: one
    // push per course at a time.
    let runnable = "((state = 'queued' AND run_after_ms <= $3) OR (state = 'running' AND lease_until_ms < $3)) \
         AND NOT EXISTS (SELECT 1 FROM jobs busy WHERE busy.work_key = jobs.work_key AND busy.id <> jobs.id \
         AND busy.state = 'running' AND busy.lease_until_ms >= $3)";
    let sql = format!(
        "UPDATE jobs SET state = 'running', lease_owner = $1, lease_until_ms = $2, \
         attempts = attempts + 1, updated_at_ms = $3 \
         WHERE id = (SELECT id FROM jobs WHERE {runnable} ORDER BY run_after_ms, created_at_ms LIMIT 1) \
         AND {runnable} RETURNING {COLUMNS}"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(worker)
        .bind(until)
        .bind(now)
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| job(&r)).transpose()
}

/// Extends `worker`'s lease on a running job; `false` when it no longer holds it.
pub(super) async fn renew(
    db: &Db,
    id: &str,
    worker: &str,
    until: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE jobs SET lease_until_ms = $1, updated_at_ms = $2 \
         WHERE id = $3 AND lease_owner = $4 AND state = 'running'",
    )
    .bind(until)
    .bind(now)
    .bind(id)
    .bind(worker)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends a job `worker` holds; `false` when another process took it over meanwhile (its
/// lease lapsed), whose outcome then stands.
pub(super) async fn finish(
    db: &Db,
    id: &str,
    worker: &str,
    state: JobState,
    result: Option<&Value>,
    error: Option<&Value>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE jobs SET state = $1, result = $2, error = $3, finished_at_ms = $4, updated_at_ms = $4, \
         lease_owner = NULL, lease_until_ms = NULL WHERE id = $5 AND lease_owner = $6",
    )
    .bind(state.as_str())
    .bind(result.map(Value::to_string))
    .bind(error.map(Value::to_string))
    .bind(now)
    .bind(id)
    .bind(worker)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Puts a job `worker` holds back in the queue until `at`, without counting the attempt;
/// `false` when another process took it over meanwhile.
pub(super) async fn requeue(
    db: &Db,
    id: &str,
    worker: &str,
    at: i64,
    error: &Value,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE jobs SET state = 'queued', run_after_ms = $1, error = $2, updated_at_ms = $3, \
         attempts = attempts - 1, lease_owner = NULL, lease_until_ms = NULL \
         WHERE id = $4 AND lease_owner = $5",
    )
    .bind(at)
    .bind(error.to_string())
    .bind(now)
    .bind(id)
    .bind(worker)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Puts a job `worker` holds back in the queue until `at` after a failure, its attempt
/// counted; `false` when another process took it over meanwhile.
pub(super) async fn requeue_failed(
    db: &Db,
    id: &str,
    worker: &str,
    at: i64,
    error: &Value,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE jobs SET state = 'queued', run_after_ms = $1, error = $2, updated_at_ms = $3, \
         lease_owner = NULL, lease_until_ms = NULL WHERE id = $4 AND lease_owner = $5",
    )
    .bind(at)
    .bind(error.to_string())
    .bind(now)
    .bind(id)
    .bind(worker)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves the queued jobs of a kind and work key to run at `at`; answers how many there were.
pub(super) async fn reschedule(
    db: &Db,
    kind: &str,
    work_key: &str,
    at: i64,
    now: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE jobs SET run_after_ms = $1, updated_at_ms = $2 \
         WHERE kind = $3 AND work_key = $4 AND state = 'queued'",
    )
    .bind(at)
    .bind(now)
    .bind(kind)
    .bind(work_key)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}

/// The unfinished jobs of a kind, of one owner or of all, oldest first (at most 500).
pub(super) async fn unfinished(
    db: &Db,
    kind: &str,
    owner: Option<&str>,
) -> Result<Vec<Job>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM jobs WHERE kind = $1 AND ($2 IS NULL OR owner = $2) \
         AND state IN ('queued', 'running') ORDER BY created_at_ms LIMIT 500"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(kind)
        .bind(owner)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(job).collect()
}

/// Lets every job `worker` holds be claimed at once (graceful stop).
pub(super) async fn release(db: &Db, worker: &str, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE jobs SET lease_until_ms = 0, attempts = attempts - 1, updated_at_ms = $1 \
         WHERE lease_owner = $2 AND state = 'running'",
    )
    .bind(now)
    .bind(worker)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}

/// A job by id.
pub(super) async fn get(db: &Db, id: &str) -> Result<Option<Job>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM jobs WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| job(&r)).transpose()
}

/// The newest job of some kinds for a work key.
pub(super) async fn latest(
    db: &Db,
    kinds: (&str, &str),
    work_key: &str,
) -> Result<Option<Job>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM jobs WHERE work_key = $1 AND kind IN ($2, $3) \
         ORDER BY created_at_ms DESC, id DESC LIMIT 1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(work_key)
        .bind(kinds.0)
        .bind(kinds.1)
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| job(&r)).transpose()
}

/// Jobs by state, of one owner or of all.
pub(super) async fn counts(
    db: &Db,
    owner: Option<&str>,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT state, COUNT(*) AS n FROM jobs WHERE ($1 IS NULL OR owner = $1) \
         GROUP BY state ORDER BY state",
    )
    .bind(owner)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("state")?, r.try_get("n")?)))
        .collect()
}

/// Adds an event.
pub(super) async fn add_event(
    db: &Db,
    id: &str,
    kind: &str,
    data: &Value,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO job_events (job_id, at_ms, kind, data) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(now)
        .bind(kind)
        .bind(data.to_string())
        .execute(db.pool())
        .await
        .map(drop)
}

/// Adds several events in one statement.
pub(super) async fn add_events(
    db: &Db,
    id: &str,
    events: &[(String, Value)],
    now: i64,
) -> Result<(), sqlx::Error> {
    for chunk in events.chunks(200) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("($1, $2, ${}, ${})", 2 * i + 3, 2 * i + 4))
            .collect();
        let sql = format!(
            "INSERT INTO job_events (job_id, at_ms, kind, data) VALUES {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(now);
        for (kind, data) in chunk {
            query = query.bind(kind.as_str()).bind(data.to_string());
        }
        query.execute(db.pool()).await?;
    }
    Ok(())
}

/// Events after an id, oldest first (at most 500 at a time).
pub(super) async fn events_after(
    db: &Db,
    id: &str,
    after: i64,
) -> Result<Vec<JobEvent>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, at_ms, kind, data FROM job_events WHERE job_id = $1 AND id > $2 \
         ORDER BY id LIMIT 500",
    )
    .bind(id)
    .bind(after)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(JobEvent {
                id: r.try_get("id")?,
                at_ms: r.try_get("at_ms")?,
                kind: r.try_get("kind")?,
                data: json_column(r.try_get("data")?)?,
            })
        })
        .collect()
}

fn job(r: &AnyRow) -> Result<Job, sqlx::Error> {
    let state: String = r.try_get("state")?;
    let opt_json = |name: &str| -> Result<Option<Value>, sqlx::Error> {
        r.try_get::<Option<String>, _>(name)?
            .map(json_column)
            .transpose()
    };
    Ok(Job {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        owner: r.try_get("owner")?,
        work_key: r.try_get("work_key")?,
        args: json_column(r.try_get("args")?)?,
        credential: r.try_get::<Option<String>, _>("credential")?.map(Sealed),
        state: JobState::parse(&state),
        attempts: r.try_get("attempts")?,
        result: opt_json("result")?,
        error: opt_json("error")?,
        created_at_ms: r.try_get("created_at_ms")?,
        updated_at_ms: r.try_get("updated_at_ms")?,
        finished_at_ms: r.try_get("finished_at_ms")?,
        run_after_ms: r.try_get("run_after_ms")?,
    })
}

/// A JSON text column; a corrupt one is a decode error, not a panic.
fn json_column(text: String) -> Result<Value, sqlx::Error> {
    serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}
