//! Running a push job: what it works on is loaded once (or comes with it: the request's, or an
//! inline publish's), the token checked (site info, which also says what the companion plugin
//! can do), the course made or updated, the users enrolled, the activities pushed
//! (`items.rs`), and what local deletes left removed (`removals.rs`). The outcome goes to the
//! job and to the mapping: `synced`, `failed` with the reason, `pending_plugin`, or back to
//! `pending` when Moodle could not be reached (the job then waits and runs again). An
//! automatic sync that failed is tried again later, with backoff.

use std::time::Duration;

use serde_json::json;

use super::activities::{PLUGIN, PLUGIN_FUNCTIONS, QUIZ_FUNCTIONS};
use super::error::FailureClass;
use super::items::{Caps, Ctx, fallback_entry};
use super::plan::{Item, Plan, Target};
use super::steps::Steps;
use super::store::{self, Status};
use super::{PublishError, Publisher, PushArgs, PushReport, work_key};
use crate::audit::now_ms;
use crate::courses::{Asset, CourseError, CourseId};
use crate::jobs::Job;
use crate::lms::LmsError;

/// How long a push waits when Moodle could not be reached and no circuit says otherwise.
const UNREACHABLE_WAIT: Duration = Duration::from_secs(5);

/// The items of these assets (all of them for `None`), in the order named.
pub(super) fn chosen(assets: &[Asset], names: Option<&[String]>) -> Vec<Item> {
    match names {
        None => assets.iter().map(Item::of).collect(),
        Some(names) => names
            .iter()
            .filter_map(|n| assets.iter().find(|a| &a.name == n))
            .map(Item::of)
            .collect(),
    }
}

impl Publisher {
    /// Marks what a new push will work on as `pending` (what is `synced` stays so until the
    /// push finds it changed).
    pub(super) async fn mark_queued(
        &self,
        args: &PushArgs,
        plan: Option<&Plan>,
    ) -> Result<(), PublishError> {
        let db = &self.inner.db;
        let now = now_ms();
        store::mark_course(db, args.course_id, &args.site, Status::Pending, None, now).await?;
        let ids: Vec<i64> = match (plan, &args.inline) {
            (Some(plan), _) => plan.items.iter().map(|i| i.asset_id).collect(),
            (None, Some(inline)) => inline.items.iter().map(|i| i.asset_id).collect(),
            (None, None) => {
                let course = self
                    .inner
                    .courses
                    .course_of_anyone(CourseId(args.course_id))
                    .await?;
                let assets = self.inner.courses.assets_of(&course).await?;
                chosen(&assets, args.assets.as_deref())
                    .iter()
                    .map(|i| i.asset_id)
                    .collect()
            }
        };
        store::mark_assets(db, args.course_id, &args.site, &ids, Status::Pending, now).await?;
        Ok(())
    }

    /// Runs a claimed push job and records its outcome; `plan` is what the request loaded,
    /// when the push runs right after it.
    pub(super) async fn execute(
        &self,
        job: Job,
        plan: Option<Plan>,
    ) -> Result<PushReport, PublishError> {
        let jobs = &self.inner.jobs;
        let args: PushArgs = match serde_json::from_value(job.args.clone()) {
            Ok(a) => a,
            Err(e) => {
                let error =
                    PublishError::Internal(format!("job {} has unreadable arguments: {e}", job.id));
                let _ = jobs.fail(&job.id, &error.to_json()).await;
                return Err(error);
            }
        };
        let lock = self.course_lock(&work_key(args.course_id, &args.site));
        let _running = lock.lock().await;
        jobs.event(
            &job.id,
            "started",
            &json!({"attempt": job.attempts, "course_id": args.course_id, "lms": args.site}),
        )
        .await;
        let result = self.push_job(&job, &args, plan).await;
        let now = now_ms();
        if let Err(e) = store::reset_syncing(&self.inner.db, args.course_id, &args.site, now).await
        {
            tracing::warn!(job = %job.id, error = %e, "sync state not reset");
        }
        let recorded = match &result {
            Ok(report) => {
                let value = serde_json::to_value(report).unwrap_or_default();
                jobs.event(
                    &job.id,
                    "succeeded",
                    &json!({"lms_course_id": report.lms_course_id}),
                )
                .await;
                jobs.succeed(&job.id, &value).await
            }
            Err(e) if e.is_unreachable() => {
                let wait = e
                    .retry_after()
                    .map_or(UNREACHABLE_WAIT, Duration::from_secs);
                jobs.event(
                    &job.id,
                    "waiting",
                    &json!({"detail": e.detail(), "retry_in_ms": wait.as_millis()}),
                )
                .await;
                jobs.retry_later(&job.id, wait, &e.to_json()).await
            }
            Err(e) if args.auto && super::auto::worth_retrying(e) => {
                let wait = super::auto::backoff(self.inner.auto_sync_delay, job.attempts);
                jobs.event(
                    &job.id,
                    "waiting",
                    &json!({"detail": e.detail(), "retry_in_ms": wait.as_millis()}),
                )
                .await;
                jobs.retry_after_failure(&job.id, wait, &e.to_json()).await
            }
            Err(e) => {
                jobs.event(&job.id, "failed", &e.to_json()).await;
                jobs.fail(&job.id, &e.to_json()).await
            }
        };
        if let Err(e) = recorded {
            tracing::error!(job = %job.id, error = %e, "push outcome not recorded");
        }
        match &result {
            Ok(_) => {
                tracing::info!(job = %job.id, course = args.course_id, lms = %args.site, "push done")
            }
            Err(e) => {
                tracing::info!(job = %job.id, course = args.course_id, lms = %args.site, class = ?e.class(), error = %e, "push not done")
            }
        }
        result
    }

    /// What a job works on: from its inline arguments, or loaded from the course store (one
    /// query for the course, one for its assets).
    async fn load(&self, job: &Job, args: &PushArgs) -> Result<Plan, PublishError> {
        if let Some(inline) = &args.inline {
            return Ok(inline.plan());
        }
        let course = self
            .inner
            .courses
            .course_of_anyone(CourseId(args.course_id))
            .await?;
        if course.owner != job.owner {
            return Err(CourseError::CourseNotFound(args.course_id.to_string()).into());
        }
        let assets = self.inner.courses.assets_of(&course).await?;
        Ok(Plan {
            course: Target::of(&course),
            items: chosen(&assets, args.assets.as_deref()),
            complete: false,
        })
    }

    async fn push_job(
        &self,
        job: &Job,
        args: &PushArgs,
        plan: Option<Plan>,
    ) -> Result<PushReport, PublishError> {
        let inner = &self.inner;
        let plan = match plan {
            Some(plan) => plan,
            None => self.load(job, args).await?,
        };
        if plan.course.owner != job.owner {
            return Err(CourseError::CourseNotFound(args.course_id.to_string()).into());
        }
        let site = inner.lms.site(Some(&args.site))?;
        if let Some(session) = &args.session_id {
            inner.lms.check_session(session).await?;
        }
        let sealed = job.credential.as_ref().ok_or(LmsError::TokenRejected)?;
        let client = site.client.with_token(inner.lms.open(&sealed.0)?);
        let actor = args.actor.actor();
        let steps = Steps {
            client: &client,
            actor: &actor,
            audit: &inner.audit,
            retry: inner.retry,
            ids: &inner.ids,
            db: &inner.db,
            site: &site.name,
            course_id: plan.course.id,
            courses: &inner.courses,
        };
        let result = self.push_course(&steps, job, args, &plan).await;
        if let Err(e) = &result
            && !e.is_unreachable()
            && !matches!(e, PublishError::AssetsFailed { .. })
        {
            store::mark_course(
                &inner.db,
                plan.course.id,
                &site.name,
                Status::Failed,
                Some(&e.detail()),
                now_ms(),
            )
            .await?;
        }
        result
    }

    async fn push_course(
        &self,
        steps: &Steps<'_>,
        job: &Job,
        args: &PushArgs,
        plan: &Plan,
    ) -> Result<PushReport, PublishError> {
        let inner = &self.inner;
        let course = &plan.course;
        let info = steps
            .client
            .get_site_info()
            .await
            .map_err(|e| PublishError::moodle("checking the LMS token", e))?;
        let plugin = PLUGIN_FUNCTIONS.iter().all(|f| info.has_function(*f));
        let caps = Caps {
            quizzes: plugin && QUIZ_FUNCTIONS.iter().all(|f| info.has_function(*f)),
            batch: plugin
                && inner.batch_size > 0
                && info.has_function(moodle_ws::functions::local_bridge::CREATE_MODULES),
        };
        store::mark_course(
            &inner.db,
            course.id,
            steps.site,
            Status::Syncing,
            None,
            now_ms(),
        )
        .await?;
        let (moodle_id, created_now) = self.ensure_course(steps, course, args).await?;
        let mut report = PushReport {
            lms_course_id: moodle_id.to_string(),
            lms_content_ids: Vec::new(),
            exported_assets: Vec::with_capacity(plan.items.len()),
            lms: steps.site.to_owned(),
            course_url: format!("{}course/view.php?id={moodle_id}", steps.client.base_url()),
            plugin_required: (!plugin && !plan.items.is_empty()).then(|| PLUGIN.to_owned()),
            removed_assets: Vec::new(),
            enrolments: Vec::new(),
        };
        let mut failures: Vec<(String, String, FailureClass)> = Vec::new();
        if !args.enrol.is_empty() {
            let (enrolled, failed) = self.enrol(steps, moodle_id, &args.enrol).await?;
            report.enrolments = enrolled;
            if let Some((reason, class)) = failed {
                failures.push(("enrol".to_owned(), reason, class));
            }
        }
        let mut progress = inner.jobs.progress(&job.id);
        let ids: Vec<i64> = plan.items.iter().map(|i| i.asset_id).collect();
        if plugin {
            store::mark_assets(
                &inner.db,
                course.id,
                steps.site,
                &ids,
                Status::Syncing,
                now_ms(),
            )
            .await?;
            let mappings = store::asset_mappings(&inner.db, course.id, steps.site).await?;
            // One look-up for the whole course: what an earlier, cut-off run made, what was
            // deleted in Moodle, and what changed type (a course made just now has nothing).
            let wanted: Vec<String> = plan
                .items
                .iter()
                .map(|i| inner.ids.asset(course.id, &i.key))
                .collect();
            let found = if created_now || wanted.is_empty() {
                Default::default()
            } else {
                steps
                    .find_modules(moodle_id, &wanted)
                    .await
                    .map_err(|e| PublishError::moodle("looking up the course's activities", e))?
            };
            let ctx = Ctx {
                steps,
                plan,
                moodle_id,
                caps,
                mappings: &mappings,
                found,
            };
            let pushed = self.push_items(ctx, &mut progress).await;
            progress.flush().await;
            for (entry, class) in pushed? {
                if let (Some(error), Some(class)) = (&entry.error, class) {
                    failures.push((entry.asset_name.clone(), error.clone(), class));
                }
                if let Some(cmid) = &entry.lms_content_id {
                    report.lms_content_ids.push(cmid.clone());
                }
                report.exported_assets.push(entry);
            }
            let (removed, failed) = self.remove_activities(steps, moodle_id).await?;
            report.removed_assets = removed;
            if let Some((reason, class)) = failed {
                failures.push(("removal".to_owned(), reason, class));
            }
        } else {
            store::mark_assets(
                &inner.db,
                course.id,
                steps.site,
                &ids,
                Status::PendingPlugin,
                now_ms(),
            )
            .await?;
            for (i, item) in plan.items.iter().enumerate() {
                let entry = fallback_entry(item, "pending_plugin");
                progress
                    .event(
                        "progress",
                        json!({"asset": entry.asset_name, "status": entry.status, "action": entry.action, "done": i + 1, "total": plan.items.len()}),
                    )
                    .await;
                report.exported_assets.push(entry);
            }
            progress.flush().await;
        }
        match failures.into_iter().next() {
            None => Ok(report),
            Some((first_asset, first_reason, class)) => Err(PublishError::AssetsFailed {
                failed: report
                    .exported_assets
                    .iter()
                    .filter(|e| e.status == "failed")
                    .count(),
                total: plan.items.len(),
                first_asset,
                first_reason,
                class,
                report: Box::new(serde_json::to_value(&report).unwrap_or_default()),
            }),
        }
    }
}
