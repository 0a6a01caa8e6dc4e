//! `GET /api/jobs/{job_id}` (a push's state and answer) and `GET /api/jobs/{job_id}/events`
//! (its progress as server-sent events: `started`, one `progress` per asset, `waiting` while
//! Moodle is unreachable, then `succeeded` or `failed`; `Last-Event-ID` resumes).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::error::{Detail, PublisherFailure, job_error_json};
use crate::audit::Actor;
use crate::jobs::{Job, JobEvent, JobState};
use crate::publish::status::rfc3339;
use crate::state::AppState;

/// How often the event stream looks for new events (they may come from another process).
const POLL: Duration = Duration::from_millis(250);

/// A job.
#[derive(Serialize, ToSchema)]
pub struct JobReply {
    /// Its id.
    pub job_id: String,
    /// `push`.
    pub kind: String,
    /// `queued` (also while waiting for Moodle), `running`, `succeeded` or `failed`.
    #[schema(value_type = String)]
    pub state: JobState,
    /// Runs that ended or were lost to a stopped process.
    pub attempts: i64,
    /// The local course.
    pub course_id: Option<i64>,
    /// The site.
    pub lms: Option<String>,
    /// Made (RFC 3339).
    pub created_at: String,
    /// Changed (RFC 3339).
    pub updated_at: String,
    /// Ended (RFC 3339).
    pub finished_at: Option<String>,
    /// The push's `data` once succeeded.
    #[schema(value_type = Option<Object>)]
    pub result: Option<Value>,
    /// `{status, detail}` once failed, or while waiting for Moodle.
    #[schema(value_type = Option<Object>)]
    pub error: Option<Value>,
}

impl From<Job> for JobReply {
    fn from(j: Job) -> Self {
        JobReply {
            course_id: j.args.get("course_id").and_then(Value::as_i64),
            lms: j
                .args
                .get("site")
                .and_then(Value::as_str)
                .map(str::to_owned),
            job_id: j.id,
            kind: j.kind,
            state: j.state,
            attempts: j.attempts,
            created_at: rfc3339(j.created_at_ms),
            updated_at: rfc3339(j.updated_at_ms),
            finished_at: j.finished_at_ms.map(rfc3339),
            result: j.result,
            error: j.error.as_ref().map(job_error_json),
        }
    }
}

/// A job's state.
#[utoipa::path(get, path = "/api/jobs/{job_id}", tag = "publisher", params(("job_id" = String, Path)),
    security(("bearer" = ["moodle:read"])),
    responses((status = 200, description = "The job", body = JobReply), (status = 404, description = "Not the caller's", body = Detail)))]
pub async fn get_job(
    State(app): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<JobReply>, PublisherFailure> {
    Ok(Json(
        app.publisher.job(Some(&actor.owner()), &id).await?.into(),
    ))
}

/// A job's progress as server-sent events.
#[utoipa::path(get, path = "/api/jobs/{job_id}/events", tag = "publisher", params(("job_id" = String, Path)),
    security(("bearer" = ["moodle:read"])),
    responses((status = 200, description = "text/event-stream: started, progress {asset, status, action, done, total}, waiting, succeeded or failed", content_type = "text/event-stream", body = String),
        (status = 404, description = "Not the caller's", body = Detail)))]
pub async fn job_events(
    State(app): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, PublisherFailure> {
    app.publisher.job(Some(&actor.owner()), &id).await?;
    let slot = app.streams.take(&actor.owner()).ok_or_else(|| {
        PublisherFailure::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too many event streams are open for this caller (EVENT_STREAMS_PER_SUBJECT)",
        )
    })?;
    let deadline = tokio::time::Instant::now() + app.streams.max_duration();
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or(0);
    let publisher = app.publisher.clone();
    let owner = actor.owner();
    let start = (after, VecDeque::<JobEvent>::new(), false, slot);
    let stream =
        futures_util::stream::unfold(start, move |(mut after, mut pending, mut done, slot)| {
            let publisher = publisher.clone();
            let owner = owner.clone();
            let id = id.clone();
            async move {
                loop {
                    if let Some(event) = pending.pop_front() {
                        return Some((Ok(sse_event(&event)), (after, pending, done, slot)));
                    }
                    // The job ended, or the stream's time is up (the client resumes with
                    // Last-Event-ID); either way the slot goes back with the stream.
                    if done || tokio::time::Instant::now() >= deadline {
                        return None;
                    }
                    let (events, finished) =
                        publisher.job_events(Some(&owner), &id, after).await.ok()?;
                    if let Some(last) = events.last() {
                        after = last.id;
                    }
                    done = finished && events.is_empty();
                    if events.is_empty() && !finished {
                        tokio::time::sleep(POLL).await;
                    }
                    pending.extend(events);
                }
            }
        });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

fn sse_event(e: &JobEvent) -> Event {
    // A `failed` event carries the stored error: shown with its status, as the job is.
    let data = if e.kind == "failed" {
        job_error_json(&e.data)
    } else {
        e.data.clone()
    };
    Event::default()
        .id(e.id.to_string())
        .event(e.kind.clone())
        .data(data.to_string())
}
