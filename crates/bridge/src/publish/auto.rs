//! Automatic sync (`LMS_AUTO_SYNC`, off by default; a course's own `auto_sync` says
//! otherwise): when a local course changes (its fields, or an asset made, changed or
//! deleted), a push of the whole course is queued for each site it was pushed to, to run once
//! the course has stayed unchanged for `LMS_AUTO_SYNC_DELAY`, with the LMS token of its last
//! push there. A burst of changes moves the one queued push later instead of adding pushes;
//! the job queue runs one push per course at a time. A failed automatic push is tried again
//! with backoff (doubling from the delay, at most an hour, ten attempts in all) when trying
//! again can help — not when the token or a permission was refused.

use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;
use utoipa::ToSchema;

use super::{
    AUTO_PUSH, ActorArgs, FailureClass, PUSH, PublishError, Publisher, PushArgs, store, work_key,
};
use crate::audit::Actor;
use crate::courses::CourseId;
use crate::jobs::{NewJob, Sealed};

/// The longest wait between attempts of a failed automatic push.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// Whether a failed automatic push is worth trying again.
pub(super) fn worth_retrying(e: &PublishError) -> bool {
    matches!(
        e.class(),
        FailureClass::Failed | FailureClass::BadUpstream | FailureClass::Unavailable
    )
}

/// The wait before attempt `attempts + 1`: the delay doubled per attempt, at most an hour.
pub(super) fn backoff(delay: Duration, attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.clamp(0, 16)).unwrap_or(16);
    delay
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(MAX_BACKOFF)
}

/// The automatic sync state, for `GET /api/sync/status`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AutoSync {
    /// `LMS_AUTO_SYNC`: the default of courses that do not say.
    pub enabled: bool,
    /// `LMS_AUTO_SYNC_DELAY` in seconds: how long a course stays unchanged before it is
    /// pushed.
    pub delay_seconds: f64,
    /// The automatic pushes queued or running.
    pub scheduled: Vec<Scheduled>,
}

/// One automatic push queued or running.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Scheduled {
    /// The job (`GET /api/jobs/{id}`).
    pub job_id: String,
    /// The local course.
    pub course_id: i64,
    /// The site.
    pub lms: String,
    /// `queued` or `running`.
    pub state: String,
    /// When it runs (RFC 3339), for a queued one.
    pub run_at: String,
    /// Failed attempts so far.
    pub attempts: i64,
    /// Why the last attempt failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

impl Publisher {
    /// Listens for local changes and queues automatic pushes, while the service runs.
    pub fn start_auto_sync(&self) {
        let Some(changes) = self.inner.courses.take_changes() else {
            return;
        };
        let this = self.clone();
        tokio::spawn(async move { this.listen(changes).await });
    }

    async fn listen(&self, mut changes: mpsc::UnboundedReceiver<i64>) {
        while let Some(course_id) = changes.recv().await {
            if let Err(e) = self.schedule(course_id).await {
                tracing::warn!(course = course_id, error = %e, "automatic sync not scheduled");
            }
        }
    }

    /// Queues (or moves later) the automatic push of a changed course to each site it was
    /// pushed to; answers the jobs queued anew.
    pub(super) async fn schedule(&self, course_id: i64) -> Result<Vec<String>, PublishError> {
        let inner = &self.inner;
        let course = match inner.courses.course_of_anyone(CourseId(course_id)).await {
            Ok(c) => c,
            // Deleted meanwhile: its removal is queued by the delete.
            Err(crate::courses::CourseError::CourseNotFound(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        if course.external_id.is_some() || !course.auto_sync.unwrap_or(inner.auto_sync) {
            return Ok(Vec::new());
        }
        let mut queued = Vec::new();
        for site in store::sites_of(&inner.db, course.id).await? {
            let key = work_key(course.id, &site);
            if inner
                .jobs
                .postpone(AUTO_PUSH, &key, inner.auto_sync_delay)
                .await?
            {
                continue;
            }
            let Some(last) = inner.jobs.latest((PUSH, AUTO_PUSH), &key).await? else {
                continue;
            };
            let Some(sealed) = last.credential.clone() else {
                continue;
            };
            let last_args = serde_json::from_value::<PushArgs>(last.args.clone()).ok();
            let actor = Actor {
                subject: course.owner.clone(),
                source: "worker",
                route: "auto-sync".to_owned(),
                request_id: None,
                client: None,
            };
            let args = PushArgs {
                course_id: course.id,
                site: site.clone(),
                assets: None,
                publish: last_args.as_ref().is_none_or(|a| a.publish),
                lms_course_id: last_args.as_ref().and_then(|a| a.lms_course_id),
                session_id: last_args.as_ref().and_then(|a| a.session_id.clone()),
                actor: ActorArgs::of(&actor),
                enrol: Vec::new(),
                inline: None,
                auto: true,
            };
            let new = NewJob {
                kind: AUTO_PUSH,
                owner: course.owner.clone(),
                work_key: key,
                args: serde_json::to_value(&args)
                    .map_err(|e| PublishError::Internal(e.to_string()))?,
                credential: Some(Sealed(sealed.0)),
            };
            queued.push(inner.jobs.enqueue_after(new, inner.auto_sync_delay).await?);
        }
        Ok(queued)
    }

    /// The automatic sync state of one owner's courses (everyone's for `None`).
    pub(super) async fn auto_sync_state(
        &self,
        owner: Option<&str>,
    ) -> Result<AutoSync, PublishError> {
        let inner = &self.inner;
        let jobs = inner.jobs.unfinished(AUTO_PUSH, owner).await?;
        let scheduled = jobs
            .into_iter()
            .map(|j| Scheduled {
                course_id: j
                    .args
                    .get("course_id")
                    .and_then(serde_json::Value::as_i64)
                    .unwrap_or_default(),
                lms: j
                    .args
                    .get("site")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                state: j.state.as_str().to_owned(),
                run_at: super::status::rfc3339(j.run_after_ms),
                attempts: j.attempts,
                last_error: j
                    .error
                    .as_ref()
                    .and_then(|e| e.get("detail"))
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned),
                job_id: j.id,
            })
            .collect();
        Ok(AutoSync {
            enabled: inner.auto_sync,
            delay_seconds: inner.auto_sync_delay.as_secs_f64(),
            scheduled,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_delay_up_to_an_hour() {
        let d = Duration::from_secs(30);
        assert_eq!(backoff(d, 0), Duration::from_secs(30));
        assert_eq!(backoff(d, 1), Duration::from_secs(60));
        assert_eq!(backoff(d, 3), Duration::from_secs(240));
        assert_eq!(backoff(d, 9), MAX_BACKOFF);
    }
}
