//! Manual re-sync (`docs/contracts/publisher-sync.md`: "admin can retry failed operations"):
//! retry everything that
//! failed, or re-push one course, as queued push jobs; and reading jobs and their progress.
//!
//! A re-push acts with the LMS token given, or else with the token of the course's last
//! push to that site (kept sealed with that job), so an operator can retry without the
//! user's password; a session that has ended since stops it with 401 like any push.

use serde::Serialize;
use utoipa::ToSchema;

use super::status::{self, SyncStatus};
use super::{
    AUTO_PUSH, ActorArgs, Mode, PUSH, PublishError, Publisher, PushArgs, Pushed, store, work_key,
};
use crate::audit::Actor;
use crate::courses::{Course, CourseId};
use crate::jobs::{Job, JobEvent, Sealed};
use crate::lms::Credential;

/// What a retry or re-sync queued.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RetryReply {
    /// The jobs queued (`GET /api/jobs/{id}`).
    pub job_ids: Vec<String>,
    /// What could not be queued, and why.
    pub skipped: Vec<Skipped>,
}

/// A course and site not queued.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Skipped {
    /// The local course.
    pub course_id: i64,
    /// The site.
    pub lms: String,
    /// Why.
    pub reason: String,
}

/// An LMS token given with a retry, and the site header.
#[derive(Debug, Clone, Copy)]
pub struct GivenToken<'a> {
    /// `X-LMS-Token`.
    pub token: &'a str,
    /// `X-LMS-Site`.
    pub site: Option<&'a str>,
}

impl Publisher {
    /// Counts by status and the failures, of one owner's courses (all for `None`), of one
    /// course when given.
    ///
    /// # Errors
    /// [`PublishError::Course`] for a course that is not the owner's.
    pub async fn status(
        &self,
        owner: Option<&str>,
        course_id: Option<&str>,
    ) -> Result<SyncStatus, PublishError> {
        let db = &self.inner.db;
        let course = match (course_id.map(CourseId::from_route).transpose()?, owner) {
            (None, _) => None,
            (Some(id), Some(owner)) => Some(self.inner.courses.course(owner, id).await?.id),
            (Some(id), None) => Some(self.inner.courses.course_of_anyone(id).await?.id),
        };
        Ok(SyncStatus {
            courses: status::counts(db, false, owner, course).await?,
            assets: status::counts(db, true, owner, course).await?,
            failed: status::failures(db, owner, course).await?,
            jobs: self.inner.jobs.counts(owner).await?.into_iter().collect(),
            auto_sync: self.auto_sync_state(owner).await?,
            removals_pending: store::removals::count(db, owner).await?,
        })
    }

    /// Queues a re-push of everything failed, per course and site.
    ///
    /// # Errors
    /// [`PublishError::Lms`] for a token given but refused.
    pub async fn retry_failed(
        &self,
        actor: &Actor,
        owner: Option<&str>,
        token: Option<GivenToken<'_>>,
    ) -> Result<RetryReply, PublishError> {
        let credential = self.credential(&actor.owner(), token).await?;
        let mut reply = RetryReply {
            job_ids: Vec::new(),
            skipped: Vec::new(),
        };
        for (course_id, site) in status::failed_pairs(&self.inner.db, owner).await? {
            if credential.as_ref().is_some_and(|c| c.site.name != site) {
                continue;
            }
            let course = self
                .inner
                .courses
                .course_of_anyone(CourseId(course_id))
                .await?;
            let names = store::pushed_asset_names(&self.inner.db, course_id, &site, true).await?;
            self.requeue(
                actor,
                &course,
                &site,
                names,
                credential.as_ref(),
                &mut reply,
            )
            .await?;
        }
        Ok(reply)
    }

    /// Queues a re-push of a course: of what was pushed before to each site it was pushed to
    /// (or to the token's site; everything when nothing was pushed there yet).
    ///
    /// # Errors
    /// [`PublishError::Course`] (404), [`PublishError::Lms`].
    pub async fn sync_course(
        &self,
        actor: &Actor,
        course_id: CourseId,
        token: Option<GivenToken<'_>>,
    ) -> Result<RetryReply, PublishError> {
        let course = self.inner.courses.course(&actor.owner(), course_id).await?;
        let credential = self.credential(&actor.owner(), token).await?;
        let sites = match &credential {
            Some(c) => vec![c.site.name.clone()],
            None => store::sites_of(&self.inner.db, course.id).await?,
        };
        let mut reply = RetryReply {
            job_ids: Vec::new(),
            skipped: Vec::new(),
        };
        for site in sites {
            let names = store::pushed_asset_names(&self.inner.db, course.id, &site, false).await?;
            let all = self.inner.courses.assets_of(&course).await?;
            let names = if names.is_empty() {
                all.iter().map(|a| a.name.clone()).collect()
            } else {
                names
            };
            self.requeue(
                actor,
                &course,
                &site,
                names,
                credential.as_ref(),
                &mut reply,
            )
            .await?;
        }
        Ok(reply)
    }

    async fn credential(
        &self,
        owner: &str,
        token: Option<GivenToken<'_>>,
    ) -> Result<Option<Credential>, PublishError> {
        match token {
            None => Ok(None),
            Some(t) => Ok(Some(self.inner.lms.resolve(owner, t.token, t.site).await?)),
        }
    }

    async fn requeue(
        &self,
        actor: &Actor,
        course: &Course,
        site: &str,
        names: Vec<String>,
        credential: Option<&Credential>,
        reply: &mut RetryReply,
    ) -> Result<(), PublishError> {
        let last = self
            .inner
            .jobs
            .latest((PUSH, AUTO_PUSH), &work_key(course.id, site))
            .await?;
        let last_args = last
            .as_ref()
            .and_then(|j| serde_json::from_value::<PushArgs>(j.args.clone()).ok());
        let (sealed, session_id) = match (credential, &last) {
            (Some(c), _) => (Sealed(self.inner.lms.seal(&c.token)), c.session_id.clone()),
            (
                None,
                Some(Job {
                    credential: Some(sealed),
                    ..
                }),
            ) => (
                sealed.clone(),
                last_args.as_ref().and_then(|a| a.session_id.clone()),
            ),
            (None, _) => {
                reply.skipped.push(Skipped {
                    course_id: course.id,
                    lms: site.to_owned(),
                    reason: "no LMS token to act with: push it with X-LMS-Token".to_owned(),
                });
                return Ok(());
            }
        };
        // An inline course's content is only in its last publish: pushed again whole.
        let inline = last_args.as_ref().and_then(|a| a.inline.clone());
        if course.external_id.is_some() && inline.is_none() {
            reply.skipped.push(Skipped {
                course_id: course.id,
                lms: site.to_owned(),
                reason: "published inline: publish it again with POST /api/lms/publish".to_owned(),
            });
            return Ok(());
        }
        let args = PushArgs {
            course_id: course.id,
            site: site.to_owned(),
            assets: if inline.is_some() { None } else { Some(names) },
            publish: last_args.as_ref().is_none_or(|a| a.publish),
            lms_course_id: last_args.as_ref().and_then(|a| a.lms_course_id),
            session_id,
            actor: ActorArgs::of(actor),
            enrol: last_args
                .as_ref()
                .map(|a| a.enrol.clone())
                .unwrap_or_default(),
            inline,
            auto: false,
        };
        if let Pushed::Queued(id) = self
            .start(&course.owner, args, sealed, Mode::Queue, None)
            .await?
        {
            reply.job_ids.push(id);
        }
        Ok(())
    }

    /// A job of `owner` (any job for `None`).
    ///
    /// # Errors
    /// [`PublishError::JobNotFound`].
    pub async fn job(&self, owner: Option<&str>, id: &str) -> Result<Job, PublishError> {
        match self.inner.jobs.get(id).await? {
            Some(job) if owner.is_none_or(|o| o == job.owner) => Ok(job),
            _ => Err(PublishError::JobNotFound(id.chars().take(40).collect())),
        }
    }

    /// A job's events after event `after`, and whether the job has ended.
    ///
    /// # Errors
    /// [`PublishError::JobNotFound`].
    pub async fn job_events(
        &self,
        owner: Option<&str>,
        id: &str,
        after: i64,
    ) -> Result<(Vec<JobEvent>, bool), PublishError> {
        let job = self.job(owner, id).await?;
        let events = self.inner.jobs.events_after(id, after).await?;
        Ok((events, job.state.is_finished()))
    }
}
