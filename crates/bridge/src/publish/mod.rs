//! The publisher (`docs/contracts/publisher.md`, `publisher-sync.md`): pushes a local course
//! and its assets into Moodle as a
//! course and activities, with the user's own Moodle token, so Moodle's permissions apply.
//!
//! A push is a persisted job ([`crate::jobs`]) of idempotent steps (`steps.rs`,
//! `activities.rs`): the category path, the course, one activity per asset, each found by
//! its ID number before anything is made. The request that asks for a push claims the job
//! and runs it in a task of its own (a client that goes away does not stop it) and answers
//! when it ends; `?async=1` leaves it to the worker. A push that meets an unreachable Moodle
//! (or an open circuit) answers 503, leaves its items `pending` and is tried again by the
//! worker once Moodle may answer. The mapping and sync state live in `store.rs`; the manual
//! re-sync in `sync.rs`.

mod activities;
mod ensure;
pub mod error;
mod ids;
mod render;
mod request;
mod run;
pub mod status;
pub mod steps;
pub mod store;
mod sync;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use activities::PLUGIN;
pub use error::{FailureClass, PublishError};
pub use render::{escape, questions_html};
pub use request::PushRequest;
pub use status::{Failure, SyncStatus};
pub use sync::{GivenToken, RetryReply, Skipped};

use crate::audit::{Actor, AuditLog};
use crate::courses::{AssetType, Courses};
use crate::jobs::{Job, Jobs, NewJob, Sealed};
use crate::lms::Lms;
use ids::Idnumbers;
use steps::Retry;

/// The job kind of a push.
pub const PUSH: &str = "push";

/// What a push did: the publisher contract's `data`, plus the site and per-asset detail.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PushReport {
    /// The Moodle course id (as text, as the seed has it).
    pub lms_course_id: String,
    /// The course module ids of the pushed assets (as text).
    pub lms_content_ids: Vec<String>,
    /// One entry per asset.
    pub exported_assets: Vec<ExportedAsset>,
    /// The site pushed to.
    pub lms: String,
    /// The course's page in Moodle.
    pub course_url: String,
    /// Present when the assets wait for the companion plugin: its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin_required: Option<String>,
}

/// One asset of a push.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExportedAsset {
    /// Its name.
    pub asset_name: String,
    /// Its type.
    pub asset_type: AssetType,
    /// The course module id (as text), once it exists.
    pub lms_content_id: Option<String>,
    /// `success`, `pending_plugin` or `failed`.
    pub status: String,
    /// `created`, `updated`, `unchanged`, or `skipped` (not attempted).
    pub action: String,
    /// What it became in Moodle: `page`, `resource` (File), `url` or `forum`.
    pub moodle_module: String,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How to run a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Run it now and wait for it (in a task of its own).
    Wait,
    /// Leave it to the worker.
    Queue,
    /// Hand the claimed job to the caller, who runs it ([`Publisher::run_claimed`]).
    Claim,
}

/// How a push was started.
#[derive(Debug)]
pub enum Pushed {
    /// It ran; its report.
    Done(Box<PushReport>),
    /// It is queued for the worker; its job id.
    Queued(String),
    /// It is claimed by this process, for the caller to run.
    Claimed(Box<Job>),
}

/// The arguments of a push job (stored as JSON; the token is the job's sealed credential).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PushArgs {
    pub course_id: i64,
    pub site: String,
    /// The assets to push; `None`: all of the course's.
    pub assets: Option<Vec<String>>,
    pub publish: bool,
    pub lms_course_id: Option<i64>,
    /// The LMS session the token came from, checked before each run.
    pub session_id: Option<String>,
    pub actor: ActorArgs,
}

/// Who asked for a push, for the audit rows the job writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ActorArgs {
    pub subject: String,
    pub source: String,
    pub route: String,
    pub request_id: Option<String>,
    /// The client's address (absent in jobs stored before it was kept).
    #[serde(default)]
    pub client: Option<String>,
}

impl ActorArgs {
    fn of(actor: &Actor) -> ActorArgs {
        ActorArgs {
            subject: actor.subject.clone(),
            source: actor.source.to_owned(),
            route: actor.route.clone(),
            request_id: actor.request_id.clone(),
            client: actor.client.clone(),
        }
    }

    fn actor(&self) -> Actor {
        Actor {
            subject: self.subject.clone(),
            source: match self.source.as_str() {
                "bridge" => "bridge",
                "shared-secret" => "shared-secret",
                "identity-provider" => "identity-provider",
                "cli" => "cli",
                _ => "worker",
            },
            route: self.route.clone(),
            request_id: self.request_id.clone(),
            client: self.client.clone(),
        }
    }
}

/// The publisher service; cheap to clone.
#[derive(Clone)]
pub struct Publisher {
    inner: Arc<Inner>,
}

struct Inner {
    db: crate::db::Db,
    courses: Arc<Courses>,
    lms: Arc<Lms>,
    jobs: Jobs,
    audit: AuditLog,
    ids: Idnumbers,
    retry: Retry,
}

impl Publisher {
    /// A publisher over the course store, the LMS sites and the jobs table.
    pub fn new(
        db: crate::db::Db,
        courses: Arc<Courses>,
        lms: Arc<Lms>,
        jobs: Jobs,
        config: &crate::config::LmsConfig,
    ) -> Publisher {
        Publisher {
            inner: Arc::new(Inner {
                audit: AuditLog::new(db.clone()),
                db,
                courses,
                lms,
                jobs,
                ids: Idnumbers::new(&config.idnumber_prefix),
                retry: Retry {
                    attempts: config.retry_attempts,
                    base: Duration::from_millis(250),
                },
            }),
        }
    }

    /// The jobs table.
    pub fn jobs(&self) -> &Jobs {
        &self.inner.jobs
    }

    /// The local course store.
    pub fn courses(&self) -> &Courses {
        &self.inner.courses
    }

    /// The LMS sites and sessions.
    pub fn lms(&self) -> &Lms {
        &self.inner.lms
    }

    /// Starts a push of a course of `owner` with the LMS token given (a session handle must
    /// be `owner`'s too).
    ///
    /// # Errors
    /// [`PublishError`]: the token (400/401), the course (404), the request (422), and when
    /// waiting, what the push met (401, 403, 404, 500, 503).
    pub async fn push(
        &self,
        actor: &Actor,
        owner: &str,
        token: GivenToken<'_>,
        course_id: &str,
        request: PushRequest,
        mode: Mode,
    ) -> Result<Pushed, PublishError> {
        let credential = self
            .inner
            .lms
            .resolve(owner, token.token, token.site)
            .await?;
        let course = self.inner.courses.course(owner, course_id).await?;
        let names = self.check_request(&course, &request).await?;
        let args = PushArgs {
            course_id: course.id,
            site: credential.site.name.clone(),
            assets: Some(names),
            publish: request.publish,
            lms_course_id: request.lms_course_id,
            session_id: credential.session_id.clone(),
            actor: ActorArgs::of(actor),
        };
        let sealed = Sealed(self.inner.lms.seal(&credential.token));
        self.start(&course.owner, args, sealed, mode).await
    }

    /// Adds the job and runs it now (in a task of its own) or leaves it to the worker.
    async fn start(
        &self,
        owner: &str,
        args: PushArgs,
        credential: Sealed,
        mode: Mode,
    ) -> Result<Pushed, PublishError> {
        let new = NewJob {
            kind: PUSH,
            owner: owner.to_owned(),
            work_key: work_key(args.course_id, &args.site),
            args: serde_json::to_value(&args).map_err(|e| PublishError::Internal(e.to_string()))?,
            credential: Some(credential),
        };
        self.mark_queued(&args).await?;
        if mode == Mode::Queue {
            return Ok(Pushed::Queued(self.inner.jobs.enqueue(new).await?));
        }
        let job = self.inner.jobs.enqueue_claimed(new).await?;
        if mode == Mode::Claim {
            return Ok(Pushed::Claimed(Box::new(job)));
        }
        let this = self.clone();
        let task = tokio::spawn(async move {
            let id = job.id.clone();
            this.inner.jobs.with_heartbeat(&id, this.execute(job)).await
        });
        match task.await {
            Ok(result) => result.map(|r| Pushed::Done(Box::new(r))),
            Err(e) => Err(PublishError::Internal(format!("the push stopped: {e}"))),
        }
    }

    /// Runs a job already claimed by this process (the command line's pushes).
    ///
    /// # Errors
    /// What the push met.
    pub async fn run_claimed(&self, job: Job) -> Result<PushReport, PublishError> {
        let id = job.id.clone();
        self.inner.jobs.with_heartbeat(&id, self.execute(job)).await
    }
}

impl crate::jobs::Handler for Publisher {
    fn run(&self, job: Job) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            if job.kind == PUSH {
                let _ = self.execute(job).await;
            } else {
                let error = serde_json::json!({"status": 500, "detail": format!("unknown job kind {:?}", job.kind)});
                if let Err(e) = self.inner.jobs.fail(&job.id, &error).await {
                    tracing::error!(job = %job.id, error = %e, "job not failed");
                }
            }
        })
    }
}

/// The work key of a course's pushes to a site.
pub(crate) fn work_key(course_id: i64, site: &str) -> String {
    format!("course:{course_id}@{site}")
}
