//! The worker loop `App` runs beside the server: claims runnable jobs (new ones at once, when
//! woken; lapsed leases and delayed ones on the next poll), runs up to `JOB_WORKERS` of them
//! at a time with their lease renewed, and at shutdown hands back what it holds.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use super::{Job, Jobs};

/// Claims that a job may use up (each lost to a dying process counts) before it is failed.
const MAX_ATTEMPTS: i64 = 10;

/// Runs the jobs of one or more kinds.
pub trait Handler: Send + Sync + 'static {
    /// Runs a claimed job to its end and records the outcome (succeeded, failed, or queued
    /// again for later) through [`Jobs`].
    fn run(&self, job: Job) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The worker loop.
pub struct Worker {
    jobs: Jobs,
    handler: Arc<dyn Handler>,
    concurrency: usize,
    poll: Duration,
}

impl Worker {
    /// A loop claiming from `jobs` and running up to `concurrency` jobs with `handler`.
    pub fn new(jobs: Jobs, handler: Arc<dyn Handler>, concurrency: usize) -> Worker {
        Worker {
            jobs,
            handler,
            concurrency: concurrency.max(1),
            poll: Duration::from_secs(1),
        }
    }

    /// Runs until `stop` turns true, then stops the jobs in flight and releases their leases
    /// (another process, or the next start, resumes them).
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let slots = Arc::new(Semaphore::new(self.concurrency));
        let wake = self.jobs.woken();
        let mut running = JoinSet::new();
        loop {
            while running.try_join_next().is_some() {}
            if *stop.borrow() {
                break;
            }
            let slot = tokio::select! {
                slot = slots.clone().acquire_owned() => match slot {
                    Ok(s) => s,
                    Err(_) => break,
                },
                _ = stop.changed() => break,
            };
            match self.jobs.claim().await {
                Ok(Some(job)) if job.attempts > MAX_ATTEMPTS => {
                    tracing::error!(job = %job.id, attempts = job.attempts, "job given up");
                    let error = serde_json::json!({
                        "status": 500,
                        "detail": format!("gave up after {} attempts: the process running it stopped each time", job.attempts - 1),
                    });
                    if let Err(e) = self.jobs.fail(&job.id, &error).await {
                        tracing::error!(job = %job.id, error = %e, "job not failed");
                    }
                }
                Ok(Some(job)) => {
                    let jobs = self.jobs.clone();
                    let handler = self.handler.clone();
                    running.spawn(async move {
                        let id = job.id.clone();
                        tracing::info!(job = %id, kind = %job.kind, attempt = job.attempts, "job claimed");
                        jobs.with_heartbeat(&id, handler.run(job)).await;
                        drop(slot);
                    });
                }
                Ok(None) => {
                    drop(slot);
                    tokio::select! {
                        () = wake.notified() => {},
                        () = tokio::time::sleep(self.poll) => {},
                        _ = stop.changed() => break,
                    }
                }
                Err(e) => {
                    drop(slot);
                    tracing::warn!(error = %e, "job claim failed");
                    tokio::time::sleep(self.poll).await;
                }
            }
        }
        running.abort_all();
        while running.join_next().await.is_some() {}
        match self.jobs.release_mine().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "jobs handed back at shutdown"),
            Err(e) => tracing::warn!(error = %e, "jobs not handed back at shutdown"),
        }
    }
}
