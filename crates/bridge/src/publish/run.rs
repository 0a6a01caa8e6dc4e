//! Running a push job: the token is checked (site info, which also says whether the
//! companion plugin is there), the course is made or updated, then each asset becomes an
//! activity, in order, one at a time (Moodle adds a module to a section by rewriting the
//! section's sequence, so two at once in one course can lose one). The outcome goes to the
//! job and to the mapping: `synced`, `failed` with the reason, `pending_plugin`, or back to
//! `pending` when Moodle could not be reached (the job then waits and runs again).

use std::collections::HashMap;
use std::time::Duration;

use moodle_ws::functions::local_bridge::CreatedModule;
use serde_json::json;

use super::activities::{PLUGIN, PLUGIN_FUNCTIONS};
use super::ensure::exported;
use super::error::FailureClass;
use super::steps::Steps;
use super::store::{self, Status};
use super::{PublishError, Publisher, PushArgs, PushReport};
use crate::audit::now_ms;
use crate::courses::{Asset, Course, CourseError};
use crate::jobs::Job;
use crate::lms::LmsError;

/// How long a push waits when Moodle could not be reached and no circuit says otherwise.
const UNREACHABLE_WAIT: Duration = Duration::from_secs(5);

impl Publisher {
    /// Marks what a new push will work on as `pending` (what is `synced` stays so until the
    /// push finds it changed).
    pub(super) async fn mark_queued(&self, args: &PushArgs) -> Result<(), PublishError> {
        let inner = &self.inner;
        let now = now_ms();
        store::mark_course(
            &inner.db,
            args.course_id,
            &args.site,
            Status::Pending,
            None,
            now,
        )
        .await?;
        let course = inner
            .courses
            .course_of_anyone(&args.course_id.to_string())
            .await?;
        let ids: Vec<i64> = inner
            .courses
            .assets_of(&course)
            .await?
            .iter()
            .filter(|a| args.assets.as_ref().is_none_or(|n| n.contains(&a.name)))
            .map(|a| a.id)
            .collect();
        store::mark_assets(&inner.db, course.id, &args.site, &ids, Status::Pending, now).await?;
        Ok(())
    }

    /// Runs a claimed push job and records its outcome.
    pub(super) async fn execute(&self, job: Job) -> Result<PushReport, PublishError> {
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
        jobs.event(
            &job.id,
            "started",
            &json!({"attempt": job.attempts, "course_id": args.course_id, "lms": args.site}),
        )
        .await;
        let result = self.push_job(&job, &args).await;
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

    async fn push_job(&self, job: &Job, args: &PushArgs) -> Result<PushReport, PublishError> {
        let inner = &self.inner;
        let course = inner
            .courses
            .course_of_anyone(&args.course_id.to_string())
            .await?;
        if course.owner != job.owner {
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
        };
        let all = inner.courses.assets_of(&course).await?;
        let assets: Vec<&Asset> = match &args.assets {
            None => all.iter().collect(),
            Some(names) => names
                .iter()
                .filter_map(|n| all.iter().find(|a| &a.name == n))
                .collect(),
        };
        let result = self.push_course(&steps, job, args, &course, &assets).await;
        if let Err(e) = &result
            && !e.is_unreachable()
            && !matches!(e, PublishError::AssetsFailed { .. })
        {
            store::mark_course(
                &inner.db,
                course.id,
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
        course: &Course,
        assets: &[&Asset],
    ) -> Result<PushReport, PublishError> {
        let inner = &self.inner;
        let info = steps
            .client
            .get_site_info()
            .await
            .map_err(|e| PublishError::moodle("checking the LMS token", e))?;
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
        let plugin = PLUGIN_FUNCTIONS.iter().all(|f| info.has_function(*f));
        let mappings = store::asset_mappings(&inner.db, course.id, steps.site).await?;
        let mapped = |a: &Asset| {
            mappings
                .get(&a.id)
                .filter(|m| m.moodle_course_id == Some(moodle_id))
                .and_then(|m| m.cmid)
        };
        // One look-up for everything without a known activity: what an earlier, cut-off run
        // made is found here (a course made just now has none).
        let mut found: HashMap<String, CreatedModule> = HashMap::new();
        let wanted: Vec<String> = assets
            .iter()
            .filter(|a| mapped(a).is_none())
            .map(|a| inner.ids.asset(course.id, &a.name))
            .collect();
        if plugin && !created_now && !wanted.is_empty() {
            found = steps
                .find_modules(moodle_id, &wanted)
                .await
                .map_err(|e| PublishError::moodle("looking up the course's activities", e))?;
        }
        let mut report = PushReport {
            lms_course_id: moodle_id.to_string(),
            lms_content_ids: Vec::new(),
            exported_assets: Vec::with_capacity(assets.len()),
            lms: steps.site.to_owned(),
            course_url: format!("{}course/view.php?id={moodle_id}", steps.client.base_url()),
            plugin_required: (!plugin && !assets.is_empty()).then(|| PLUGIN.to_owned()),
        };
        if plugin {
            let ids: Vec<i64> = assets.iter().map(|a| a.id).collect();
            store::mark_assets(
                &inner.db,
                course.id,
                steps.site,
                &ids,
                Status::Syncing,
                now_ms(),
            )
            .await?;
        }
        let mut first_failure: Option<(String, String, FailureClass)> = None;
        let mut progress = inner.jobs.progress(&job.id);
        for (i, asset) in assets.iter().enumerate() {
            let entry = if plugin {
                let idnumber = inner.ids.asset(course.id, &asset.name);
                let prior = found.remove(&idnumber);
                let pushed = self
                    .push_asset(
                        steps,
                        course,
                        moodle_id,
                        asset,
                        mappings.get(&asset.id),
                        prior,
                    )
                    .await;
                let (entry, failure) = match pushed {
                    Ok(done) => done,
                    Err(e) => {
                        progress.flush().await;
                        return Err(e);
                    }
                };
                if let (Some(error), Some(class), None) = (&entry.error, failure, &first_failure) {
                    first_failure = Some((asset.name.clone(), error.clone(), class));
                }
                entry
            } else {
                store::mark_asset(
                    &inner.db,
                    asset.id,
                    course.id,
                    steps.site,
                    Status::PendingPlugin,
                    None,
                    now_ms(),
                )
                .await?;
                exported(asset, None, "pending_plugin", "skipped", None)
            };
            if let Some(cmid) = &entry.lms_content_id {
                report.lms_content_ids.push(cmid.clone());
            }
            progress
                .event(
                    "progress",
                    json!({"asset": asset.name, "status": entry.status, "action": entry.action, "done": i + 1, "total": assets.len()}),
                )
                .await;
            report.exported_assets.push(entry);
        }
        progress.flush().await;
        match first_failure {
            None => Ok(report),
            Some((first_asset, first_reason, class)) => Err(PublishError::AssetsFailed {
                failed: report
                    .exported_assets
                    .iter()
                    .filter(|e| e.status == "failed")
                    .count(),
                total: assets.len(),
                first_asset,
                first_reason,
                class,
                report: Box::new(serde_json::to_value(&report).unwrap_or_default()),
            }),
        }
    }
}
