//! Deletes that reach Moodle (`LMS_DELETE_MODE=hide|delete|keep`, default `hide`). Deleting a
//! local asset records its activities (one per site) before its row and mapping go; the next
//! push of its course hides them (and frees their ID numbers), deletes them, or — with `keep`
//! — nothing is recorded. Deleting a local course records its Moodle courses and queues one
//! `remove` job per site, run with the token of the course's last push there, which hides
//! (`core_course_update_courses`, visible 0) or deletes (`core_course_delete_courses`) it.

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::activities::is_gone;
use super::steps::Steps;
use super::store::removals;
use super::{AUTO_PUSH, ActorArgs, PUSH, PublishError, Publisher, REMOVE, work_key};
use crate::audit::{Actor, now_ms};
use crate::config::DeleteMode;
use crate::courses::CourseId;
use crate::jobs::{Job, NewJob};

/// An activity a push took out of the way.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RemovedAsset {
    /// The asset it was made for.
    pub asset_name: String,
    /// Its course module id (as text).
    pub lms_content_id: String,
    /// What it is in Moodle.
    pub moodle_module: String,
    /// `hidden` or `deleted`.
    pub action: String,
    /// `success` or `failed`.
    pub status: String,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The arguments of a `remove` job.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RemoveArgs {
    course_id: i64,
    site: String,
    session_id: Option<String>,
    actor: ActorArgs,
}

impl Publisher {
    /// Deletes a local asset, first recording its activities for the next push to hide or
    /// delete (per `LMS_DELETE_MODE`).
    ///
    /// # Errors
    /// [`PublishError::Course`]: the course or asset is not the caller's.
    pub async fn delete_asset(
        &self,
        actor: &Actor,
        course_id: CourseId,
        name: &str,
    ) -> Result<(), PublishError> {
        let courses = &self.inner.courses;
        let course = courses.course(&actor.owner(), course_id).await?;
        let asset = courses.asset_in(course.id, name).await?;
        if self.inner.delete_mode != DeleteMode::Keep {
            removals::record_asset(&self.inner.db, asset.id, now_ms()).await?;
        }
        courses.delete_asset(actor, course_id, name).await?;
        Ok(())
    }

    /// Deletes a local course, first recording its Moodle courses; then queues their removal
    /// (per `LMS_DELETE_MODE`) with the token of the course's last push to each site.
    ///
    /// # Errors
    /// [`PublishError::Course`]: the course is not the caller's.
    pub async fn delete_course(&self, actor: &Actor, id: CourseId) -> Result<(), PublishError> {
        let course = self.inner.courses.course(&actor.owner(), id).await?;
        let sites = match self.inner.delete_mode {
            DeleteMode::Keep => Vec::new(),
            _ => removals::record_course(&self.inner.db, course.id, now_ms()).await?,
        };
        self.inner.courses.delete(actor, id).await?;
        for site in sites {
            self.queue_course_removal(actor, course.id, &course.owner, &site)
                .await?;
        }
        Ok(())
    }

    /// Queues the `remove` job of a deleted course in one site, with the token of its last
    /// push there; without one the removal waits (shown in `/api/sync/status`).
    pub(super) async fn queue_course_removal(
        &self,
        actor: &Actor,
        course_id: i64,
        owner: &str,
        site: &str,
    ) -> Result<Option<String>, PublishError> {
        let key = work_key(course_id, site);
        let Some(last) = self.inner.jobs.latest((PUSH, AUTO_PUSH), &key).await? else {
            return Ok(None);
        };
        let Some(credential) = last.credential.clone() else {
            return Ok(None);
        };
        let session_id = last
            .args
            .get("session_id")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
        let args = RemoveArgs {
            course_id,
            site: site.to_owned(),
            session_id,
            actor: ActorArgs::of(actor),
        };
        let new = NewJob {
            kind: REMOVE,
            owner: owner.to_owned(),
            work_key: key,
            args: serde_json::to_value(&args).map_err(|e| PublishError::Internal(e.to_string()))?,
            credential: Some(credential),
        };
        Ok(Some(self.inner.jobs.enqueue(new).await?))
    }

    /// Carries out what a push must still remove in its Moodle course; answers what it did.
    /// A failure is reported with its reason (and counted; the next push tries again), and
    /// the first one's class returned.
    pub(super) async fn remove_activities(
        &self,
        steps: &Steps<'_>,
        moodle_id: i64,
    ) -> Result<(Vec<RemovedAsset>, Option<(String, super::FailureClass)>), PublishError> {
        let db = &self.inner.db;
        removals::drop_stale(db, steps.course_id).await?;
        let pending =
            removals::pending_activities(db, steps.course_id, steps.site, moodle_id).await?;
        let mode = self.inner.delete_mode;
        let mut out = Vec::with_capacity(pending.len());
        let mut first = None;
        for r in pending {
            let action = match mode {
                DeleteMode::Delete => "deleted",
                DeleteMode::Hide => "hidden",
                DeleteMode::Keep => "kept",
            };
            let mut entry = RemovedAsset {
                asset_name: r.name.clone(),
                lms_content_id: r.cmid.to_string(),
                moodle_module: r.modname.clone().unwrap_or_default(),
                action: action.to_owned(),
                status: "success".to_owned(),
                error: None,
            };
            // `keep` (set after the delete was recorded) leaves the activity as it is.
            match steps.retire(r.cmid, mode, false).await {
                Ok(()) => removals::done(db, &r).await?,
                Err(e) => {
                    let error = PublishError::moodle(format!("removing {:?}", r.name), e);
                    if error.is_unreachable() || matches!(error, PublishError::Lms(_)) {
                        return Err(error);
                    }
                    let reason = error
                        .detail()
                        .trim_start_matches("LMS export failed: ")
                        .to_owned();
                    removals::failed(db, &r, &reason, now_ms()).await?;
                    first.get_or_insert((reason.clone(), error.class()));
                    entry.status = "failed".to_owned();
                    entry.error = Some(reason);
                }
            }
            out.push(entry);
        }
        Ok((out, first))
    }

    /// Runs a `remove` job: hides or deletes the Moodle courses of a deleted course in a site.
    pub(super) async fn execute_removal(&self, job: Job) {
        let jobs = &self.inner.jobs;
        let outcome = self.remove_course(&job).await;
        let recorded = match &outcome {
            Ok(done) => jobs.succeed(&job.id, &json!({"removed": done})).await,
            Err(e) if e.is_unreachable() => {
                let wait = e.retry_after().map_or(
                    std::time::Duration::from_secs(5),
                    std::time::Duration::from_secs,
                );
                jobs.retry_later(&job.id, wait, &e.to_json()).await
            }
            Err(e) => jobs.fail(&job.id, &e.to_json()).await,
        };
        if let Err(e) = recorded {
            tracing::error!(job = %job.id, error = %e, "removal outcome not recorded");
        }
    }

    async fn remove_course(&self, job: &Job) -> Result<Vec<i64>, PublishError> {
        let inner = &self.inner;
        let args: RemoveArgs = serde_json::from_value(job.args.clone())
            .map_err(|e| PublishError::Internal(format!("unreadable removal job: {e}")))?;
        if let Some(session) = &args.session_id {
            inner.lms.check_session(session).await?;
        }
        let site = inner.lms.site(Some(&args.site))?;
        let sealed = job
            .credential
            .as_ref()
            .ok_or(crate::lms::LmsError::TokenRejected)?;
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
            course_id: args.course_id,
            courses: &inner.courses,
        };
        removals::drop_stale(&inner.db, args.course_id).await?;
        let mut done = Vec::new();
        for r in removals::pending_courses(&inner.db, args.course_id, &args.site).await? {
            let outcome = match inner.delete_mode {
                DeleteMode::Keep => Ok(()),
                DeleteMode::Hide => steps.hide_course(r.moodle_course_id).await,
                DeleteMode::Delete => steps.delete_course(r.moodle_course_id).await,
            };
            match outcome {
                Ok(()) => {}
                Err(e) if is_gone(&e) => {}
                Err(e) => {
                    let error = PublishError::moodle("removing the Moodle course", e);
                    removals::failed(&inner.db, &r, &error.detail(), now_ms()).await?;
                    return Err(error);
                }
            }
            removals::done(&inner.db, &r).await?;
            done.push(r.moodle_course_id);
        }
        Ok(done)
    }
}

impl Steps<'_> {
    /// Hides a Moodle course from students.
    async fn hide_course(&self, id: i64) -> Result<(), moodle_ws::Error> {
        use moodle_ws::ItemWarnings as _;
        use moodle_ws::functions::course::{CourseSettings, CourseUpdate, UPDATE_COURSES};
        let update = [CourseUpdate {
            settings: CourseSettings {
                visible: Some(false),
                ..CourseSettings::default()
            },
            ..CourseUpdate::new(id)
        }];
        let ids = json!({"course_id": self.course_id, "moodle_course_id": id, "visible": false});
        self.write(
            UPDATE_COURSES.name(),
            &ids,
            || async {
                self.client
                    .update_courses(&update)
                    .await?
                    .fail_on_warnings()
                    .map(drop)
                    .map(Some)
            },
            || async { Ok(None) },
        )
        .await
        .map(drop)
    }

    /// Deletes a Moodle course.
    async fn delete_course(&self, id: i64) -> Result<(), moodle_ws::Error> {
        use moodle_ws::ItemWarnings as _;
        use moodle_ws::functions::course::DELETE_COURSES;
        let ids = json!({"course_id": self.course_id, "moodle_course_id": id});
        self.write(
            DELETE_COURSES.name(),
            &ids,
            || async {
                self.client
                    .delete_courses(&[id])
                    .await?
                    .fail_on_warnings()
                    .map(drop)
                    .map(Some)
            },
            || async { Ok(None) },
        )
        .await
        .map(drop)
    }
}
