//! Persisted jobs: work (a push) kept as a row, claimed with a lease, run by the worker loop
//! ([`Worker`]) or at once by the request that made it, and taken over by any process once
//! the lease runs out (its process died: `kill -9`, a lost machine). Each kind of job is
//! run by a [`Handler`] that records its own outcome; this module knows nothing of pushes.
//!
//! Claims are portable SQL (SQLite has no `FOR UPDATE SKIP LOCKED`): one `UPDATE … WHERE id =
//! (SELECT … LIMIT 1) AND <still claimable> RETURNING …`, so of two processes racing for a
//! row one gets it and the other's update matches nothing.

mod store;
mod worker;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Notify;

pub use worker::{Handler, Worker};

use crate::audit::now_ms;
use crate::db::Db;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting to be claimed (new, or waiting for Moodle to answer again).
    Queued,
    /// Claimed by a process.
    Running,
    /// Done; `result` holds the answer.
    Succeeded,
    /// Given up; `error` says why.
    Failed,
}

impl JobState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
        }
    }

    fn parse(raw: &str) -> JobState {
        match raw {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "succeeded" => JobState::Succeeded,
            _ => JobState::Failed,
        }
    }

    /// Whether the job has ended.
    pub fn is_finished(self) -> bool {
        matches!(self, JobState::Succeeded | JobState::Failed)
    }
}

/// A sealed secret a job acts with; never shown.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed(pub String);

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealed(…)")
    }
}

/// A job to add.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// What runs it (`push`).
    pub kind: &'static str,
    /// The subject it works for.
    pub owner: String,
    /// What it works on (`course:12@default`).
    pub work_key: String,
    /// Its arguments (no secrets).
    pub args: Value,
    /// The secret it acts with, sealed.
    pub credential: Option<Sealed>,
}

/// A stored job.
#[derive(Debug, Clone)]
pub struct Job {
    /// Its id (a UUID).
    pub id: String,
    /// What runs it.
    pub kind: String,
    /// The subject it works for.
    pub owner: String,
    /// What it works on.
    pub work_key: String,
    /// Its arguments.
    pub args: Value,
    /// The secret it acts with.
    pub credential: Option<Sealed>,
    /// Where it is.
    pub state: JobState,
    /// Claims that ended or were lost.
    pub attempts: i64,
    /// The answer, once succeeded.
    pub result: Option<Value>,
    /// `{status, detail}` once failed, or while waiting for Moodle.
    pub error: Option<Value>,
    /// Made (Unix ms).
    pub created_at_ms: i64,
    /// Last change (Unix ms).
    pub updated_at_ms: i64,
    /// Ended (Unix ms).
    pub finished_at_ms: Option<i64>,
    /// Not run before (Unix ms): when a queued job is due.
    pub run_after_ms: i64,
}

/// One progress event of a job.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct JobEvent {
    /// Increasing id (the SSE event id).
    pub id: i64,
    /// When (Unix ms).
    pub at_ms: i64,
    /// `started`, `progress`, `waiting`, `succeeded` or `failed`.
    pub kind: String,
    /// Its data.
    pub data: Value,
}

/// The job table and this process's identity as a worker.
#[derive(Clone)]
pub struct Jobs {
    db: Db,
    worker_id: String,
    lease: Duration,
    wake: Arc<Notify>,
}

impl fmt::Debug for Jobs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jobs")
            .field("worker_id", &self.worker_id)
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

impl Jobs {
    /// The jobs in `db`, claimed by this process for `lease` at a time.
    pub fn new(db: Db, lease: Duration) -> Jobs {
        Jobs {
            db,
            worker_id: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
            lease,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Adds a job for the worker loop and wakes it.
    ///
    /// # Errors
    /// The database's error.
    pub async fn enqueue(&self, job: NewJob) -> Result<String, sqlx::Error> {
        let now = now_ms();
        let id = store::insert(&self.db, &job, None, now, now).await?;
        self.wake.notify_one();
        Ok(id)
    }

    /// Adds a job for the worker loop, to run once `after` has passed.
    ///
    /// # Errors
    /// The database's error.
    pub async fn enqueue_after(&self, job: NewJob, after: Duration) -> Result<String, sqlx::Error> {
        let now = now_ms();
        let at = now + i64::try_from(after.as_millis()).unwrap_or(i64::MAX / 2);
        store::insert(&self.db, &job, None, at, now).await
    }

    /// Moves the queued jobs of `kind` for `work_key` to run once `after` has passed (a
    /// burst of changes makes one job); answers whether there was one.
    ///
    /// # Errors
    /// The database's error.
    pub async fn postpone(
        &self,
        kind: &str,
        work_key: &str,
        after: Duration,
    ) -> Result<bool, sqlx::Error> {
        let now = now_ms();
        let at = now + i64::try_from(after.as_millis()).unwrap_or(i64::MAX / 2);
        Ok(store::reschedule(&self.db, kind, work_key, at, now).await? > 0)
    }

    /// The queued and running jobs of `kind`, of one owner (all owners for `None`).
    ///
    /// # Errors
    /// The database's error.
    pub async fn unfinished(
        &self,
        kind: &str,
        owner: Option<&str>,
    ) -> Result<Vec<Job>, sqlx::Error> {
        store::unfinished(&self.db, kind, owner).await
    }

    /// Adds a job already claimed by this process, to be run by the caller now.
    ///
    /// # Errors
    /// The database's error.
    pub async fn enqueue_claimed(&self, job: NewJob) -> Result<Job, sqlx::Error> {
        let now = now_ms();
        let lease = Some((self.worker_id.as_str(), now + self.lease_ms()));
        let id = store::insert(&self.db, &job, lease, now, now).await?;
        store::get(&self.db, &id)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    /// Claims the next runnable job (queued and due, or running with a lapsed lease).
    ///
    /// # Errors
    /// The database's error.
    pub async fn claim(&self) -> Result<Option<Job>, sqlx::Error> {
        let now = now_ms();
        store::claim(&self.db, &self.worker_id, now + self.lease_ms(), now).await
    }

    /// Runs `work` while renewing the job's lease every third of it.
    pub async fn with_heartbeat<T>(&self, id: &str, work: impl Future<Output = T>) -> T {
        tokio::pin!(work);
        loop {
            tokio::select! {
                out = &mut work => return out,
                () = tokio::time::sleep(self.lease / 3) => {
                    let now = now_ms();
                    match store::renew(&self.db, id, &self.worker_id, now + self.lease_ms(), now).await {
                        Ok(true) => {}
                        Ok(false) => tracing::warn!(job = id, "job lease lost to another process"),
                        Err(e) => tracing::warn!(job = id, error = %e, "job lease not renewed"),
                    }
                }
            }
        }
    }

    /// Marks a job succeeded with its answer.
    ///
    /// # Errors
    /// The database's error.
    pub async fn succeed(&self, id: &str, result: &Value) -> Result<(), sqlx::Error> {
        let held = store::finish(
            &self.db,
            id,
            &self.worker_id,
            JobState::Succeeded,
            Some(result),
            None,
            now_ms(),
        )
        .await?;
        self.warn_if_taken_over(id, held);
        Ok(())
    }

    /// Marks a job failed.
    ///
    /// # Errors
    /// The database's error.
    pub async fn fail(&self, id: &str, error: &Value) -> Result<(), sqlx::Error> {
        let held = store::finish(
            &self.db,
            id,
            &self.worker_id,
            JobState::Failed,
            None,
            Some(error),
            now_ms(),
        )
        .await?;
        self.warn_if_taken_over(id, held);
        Ok(())
    }

    /// A job's outcome is only written by the process holding its lease: one whose lease
    /// lapsed (paused, cut off from the database) leaves the job to the one that took it.
    fn warn_if_taken_over(&self, id: &str, held: bool) {
        if !held {
            tracing::warn!(job = id, worker = %self.worker_id, "job taken over by another process; this outcome is dropped");
        }
    }

    /// Puts a job back in the queue until `after` has passed (its attempt is not counted).
    ///
    /// # Errors
    /// The database's error.
    pub async fn retry_later(
        &self,
        id: &str,
        after: Duration,
        error: &Value,
    ) -> Result<(), sqlx::Error> {
        let now = now_ms();
        let at = now + i64::try_from(after.as_millis()).unwrap_or(i64::MAX / 2);
        let held = store::requeue(&self.db, id, &self.worker_id, at, error, now).await?;
        self.warn_if_taken_over(id, held);
        Ok(())
    }

    /// Puts a job back in the queue after a failure, to run again once `after` has passed
    /// (its attempt counted: the worker gives a job up after ten).
    ///
    /// # Errors
    /// The database's error.
    pub async fn retry_after_failure(
        &self,
        id: &str,
        after: Duration,
        error: &Value,
    ) -> Result<(), sqlx::Error> {
        let now = now_ms();
        let at = now + i64::try_from(after.as_millis()).unwrap_or(i64::MAX / 2);
        let held = store::requeue_failed(&self.db, id, &self.worker_id, at, error, now).await?;
        self.warn_if_taken_over(id, held);
        Ok(())
    }

    /// Hands back every job this process holds (at shutdown), for another to take at once.
    ///
    /// # Errors
    /// The database's error.
    pub async fn release_mine(&self) -> Result<u64, sqlx::Error> {
        store::release(&self.db, &self.worker_id, now_ms()).await
    }

    /// A job by id.
    ///
    /// # Errors
    /// The database's error.
    pub async fn get(&self, id: &str) -> Result<Option<Job>, sqlx::Error> {
        store::get(&self.db, id).await
    }

    /// The newest job of either kind for `work_key`.
    ///
    /// # Errors
    /// The database's error.
    pub async fn latest(
        &self,
        kinds: (&str, &str),
        work_key: &str,
    ) -> Result<Option<Job>, sqlx::Error> {
        store::latest(&self.db, kinds, work_key).await
    }

    /// Jobs by state, of one owner (all owners for `None`).
    ///
    /// # Errors
    /// The database's error.
    pub async fn counts(&self, owner: Option<&str>) -> Result<Vec<(String, i64)>, sqlx::Error> {
        store::counts(&self.db, owner).await
    }

    /// Records a progress event (a failure is logged: progress is not worth failing a job).
    pub async fn event(&self, id: &str, kind: &str, data: &Value) {
        if let Err(e) = store::add_event(&self.db, id, kind, data, now_ms()).await {
            tracing::warn!(job = id, error = %e, "job event not recorded");
        }
    }

    /// A log of a job's progress events, written in batches.
    pub fn progress<'a>(&'a self, id: &'a str) -> Progress<'a> {
        Progress {
            jobs: self,
            id,
            pending: Vec::new(),
            flushed: Instant::now(),
        }
    }

    /// A job's events after event `after` (0: from the start), oldest first.
    ///
    /// # Errors
    /// The database's error.
    pub async fn events_after(&self, id: &str, after: i64) -> Result<Vec<JobEvent>, sqlx::Error> {
        store::events_after(&self.db, id, after).await
    }

    fn lease_ms(&self) -> i64 {
        i64::try_from(self.lease.as_millis()).unwrap_or(60_000)
    }

    /// Wakes the worker loop (a job was added).
    fn woken(&self) -> Arc<Notify> {
        self.wake.clone()
    }
}

/// A job's progress events, written at most every [`PROGRESS_EVERY`] in one statement, so a
/// push of many small assets does not pay a database write per asset for its progress (the
/// events stay one per asset). Call [`Progress::flush`] at the end.
pub struct Progress<'a> {
    jobs: &'a Jobs,
    id: &'a str,
    pending: Vec<(String, Value)>,
    flushed: Instant,
}

/// How often progress is written.
pub const PROGRESS_EVERY: Duration = Duration::from_millis(200);

impl Progress<'_> {
    /// Adds an event; writes the batch when the last write is long enough ago.
    pub async fn event(&mut self, kind: &str, data: Value) {
        self.pending.push((kind.to_owned(), data));
        if self.flushed.elapsed() >= PROGRESS_EVERY {
            self.flush().await;
        }
    }

    /// Writes what is pending (a failure is logged: progress is not worth failing a job).
    pub async fn flush(&mut self) {
        self.flushed = Instant::now();
        if self.pending.is_empty() {
            return;
        }
        let events = std::mem::take(&mut self.pending);
        if let Err(e) = store::add_events(&self.jobs.db, self.id, &events, now_ms()).await {
            tracing::warn!(job = self.id, error = %e, "job progress not recorded");
        }
    }
}
