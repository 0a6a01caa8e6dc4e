//! The publisher (`docs/contracts/publisher.md`, `publisher-sync.md`): pushes a local course
//! and its assets into Moodle as a
//! course and activities, with the user's own Moodle token, so Moodle's permissions apply.
//!
//! A push is a persisted job ([`crate::jobs`]) of idempotent steps: the category path and
//! the course (`steps.rs`, `ensure.rs`), the users to enrol (`enrol.rs`), the activities
//! (`items.rs`: one look-up by ID number for the whole course, then updates one call each
//! and new activities in batches, `batch.rs`, or one call each, `activities.rs`), and what
//! local deletes left to hide or delete in Moodle (`removals.rs`). What it works on is
//! loaded once and typed (`plan.rs`) and rendered from the types (`render.rs`, `quiz.rs`).
//! The request that asks for a push claims the job and runs it in a task of its own (a
//! client that goes away does not stop it) and answers when it ends; `?async=1` leaves it
//! to the worker. A push that meets an unreachable Moodle (or an open circuit) answers 503,
//! leaves its items `pending` and is tried again by the worker once Moodle may answer. The
//! mapping and sync state live in `store/`; the manual re-sync in `sync.rs`, automatic sync
//! in `auto.rs`, pushes of an application's own data in `inline.rs`.

mod activities;
mod auto;
mod batch;
mod enrol;
mod ensure;
pub mod error;
mod ids;
pub mod inline;
mod items;
pub mod plan;
mod quiz;
mod removals;
mod render;
mod request;
mod run;
pub mod status;
pub mod steps;
pub mod store;
mod sync;
pub mod view;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use activities::PLUGIN;
pub use auto::{AutoSync, Scheduled};
pub use enrol::{EnrolResult, Enrolee};
pub use error::{FailureClass, PublishError};
pub use inline::InlinePublish;
pub use removals::RemovedAsset;
pub use render::questions_html;
pub use request::PushRequest;
pub use status::{Failure, SyncStatus};
pub use sync::{GivenToken, RetryReply, Skipped};

use crate::audit::{Actor, AuditLog};
use crate::config::DeleteMode;
use crate::courses::{AssetType, Courses};
use crate::jobs::{Job, Jobs, NewJob, Sealed};
use crate::lms::Lms;
use ids::Idnumbers;
use steps::Retry;

/// The job kind of a push.
pub const PUSH: &str = "push";
/// The job kind of a push queued by automatic sync.
pub const AUTO_PUSH: &str = "auto-push";
/// The job kind that hides or deletes the Moodle course of a deleted local course.
pub const REMOVE: &str = "remove";

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
    /// Activities of deleted (or replaced) assets this push took out of the way, per
    /// `LMS_DELETE_MODE` (absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed_assets: Vec<RemovedAsset>,
    /// One entry per user of the push's `enrol` (absent when it had none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enrolments: Vec<EnrolResult>,
}

/// One asset of a push.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExportedAsset {
    /// Its name.
    pub asset_name: String,
    /// The application's id of an asset published inline (`POST /api/lms/publish`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset_id: Option<String>,
    /// Its type.
    pub asset_type: AssetType,
    /// The course module id (as text), once it exists.
    pub lms_content_id: Option<String>,
    /// `success`, `pending_plugin` or `failed`.
    pub status: String,
    /// `created`, `updated`, `unchanged`, or `skipped` (not attempted).
    pub action: String,
    /// What it became in Moodle: `page`, `resource` (File), `url`, `forum` or `quiz`.
    pub moodle_module: String,
    /// When the asset's type changed: the course module of the activity it replaced (hidden,
    /// deleted or left per `LMS_DELETE_MODE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced: Option<String>,
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
    /// Users to enrol in the Moodle course.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enrol: Vec<Enrolee>,
    /// An inline publish: the course and its items as the request brought them, typed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline: Option<inline::InlineCourse>,
    /// Queued by automatic sync (retried with backoff when it fails).
    #[serde(default)]
    pub auto: bool,
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
    delete_mode: DeleteMode,
    batch_size: usize,
    auto_sync: bool,
    auto_sync_delay: Duration,
    enrol_roles: Vec<(String, i64)>,
    enrol_allowed: Vec<i64>,
    /// One push per course and site at a time in this process (Moodle rewrites a section's
    /// list of activities as it adds one: two pushes of a course at once could lose one).
    running: std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
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
                delete_mode: config.delete_mode,
                batch_size: config.batch_size,
                auto_sync: config.auto_sync,
                auto_sync_delay: config.auto_sync_delay,
                enrol_roles: config.enrol_roles.clone(),
                enrol_allowed: config.enrol_allowed.clone(),
                running: std::sync::Mutex::default(),
            }),
        }
    }

    /// The lock of a course's pushes to a site in this process.
    fn course_lock(&self, work_key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut running = self
            .inner
            .running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        running.retain(|_, lock| Arc::strong_count(lock) > 1);
        running.entry(work_key.to_owned()).or_default().clone()
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
    /// [`PublishError`]: the token (400/401), the course (404), the request (422, 403 for a
    /// role the bridge may not give), and when waiting, what the push met (401, 403, 404, 500,
    /// 503).
    pub async fn push(
        &self,
        actor: &Actor,
        owner: &str,
        token: GivenToken<'_>,
        course_id: crate::courses::CourseId,
        request: PushRequest,
        mode: Mode,
    ) -> Result<Pushed, PublishError> {
        let credential = self
            .inner
            .lms
            .resolve(owner, token.token, token.site)
            .await?;
        let course = self.inner.courses.course(owner, course_id).await?;
        let enrol = self.check_enrol(&request.enrol)?;
        let assets = self.inner.courses.assets_of(&course).await?;
        let names = self.check_request(&assets, &request)?;
        let args = PushArgs {
            course_id: course.id,
            site: credential.site.name.clone(),
            assets: Some(names),
            publish: request.publish,
            lms_course_id: request.lms_course_id,
            session_id: credential.session_id.clone(),
            actor: ActorArgs::of(actor),
            enrol,
            inline: None,
            auto: false,
        };
        // The course and assets just read are what a push run now works on: loaded once.
        let plan = plan::Plan {
            course: plan::Target::of(&course),
            items: run::chosen(&assets, args.assets.as_deref()),
            complete: false,
        };
        let sealed = Sealed(self.inner.lms.seal(&credential.token));
        self.start(&course.owner, args, sealed, mode, Some(plan))
            .await
    }

    /// Adds the job and runs it now (in a task of its own) or leaves it to the worker; a
    /// plan already loaded is used by a push run now.
    async fn start(
        &self,
        owner: &str,
        args: PushArgs,
        credential: Sealed,
        mode: Mode,
        plan: Option<plan::Plan>,
    ) -> Result<Pushed, PublishError> {
        let new = NewJob {
            kind: PUSH,
            owner: owner.to_owned(),
            work_key: work_key(args.course_id, &args.site),
            args: serde_json::to_value(&args).map_err(|e| PublishError::Internal(e.to_string()))?,
            credential: Some(credential),
        };
        self.mark_queued(&args, plan.as_ref()).await?;
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
            this.inner
                .jobs
                .with_heartbeat(&id, this.execute(job, plan))
                .await
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
        self.inner
            .jobs
            .with_heartbeat(&id, self.execute(job, None))
            .await
    }
}

impl crate::jobs::Handler for Publisher {
    fn run(&self, job: Job) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            if job.kind == PUSH || job.kind == AUTO_PUSH {
                let _ = self.execute(job, None).await;
            } else if job.kind == REMOVE {
                self.execute_removal(job).await;
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
