//! `POST /api/courses/{course_id}/push-to-lms` (`docs/contracts/publisher.md`), the bridge's
//! `POST /api/lms/publish` (a push of an application's own course and assets, inline), and the
//! manual re-sync (`docs/contracts/publisher-sync.md`): `GET /api/sync/status`,
//! `POST /api/sync/retry`, `POST /api/courses/{course_id}/sync`. Errors `{"detail": …}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{Detail, PublisherFailure};
use super::extract::{DetailJson, DetailQuery, LmsToken};
use crate::audit::Actor;
use crate::courses::CourseId;
use crate::publish::{
    GivenToken, InlinePublish, Mode, PushReport, PushRequest, Pushed, RetryReply, SyncStatus,
};
use crate::state::AppState;
use query::{PushQuery, StatusQuery};

/// A finished push.
#[derive(Serialize, ToSchema)]
pub struct PushReply {
    /// Always `true` (a failed push is an error answer).
    pub success: bool,
    /// `Successfully exported to LMS`, or what the push waits for.
    pub message: String,
    /// What was made.
    pub data: PushReport,
}

/// A queued push.
#[derive(Serialize, ToSchema)]
pub struct QueuedReply {
    /// The job (`GET /api/jobs/{job_id}`, `…/events`).
    pub job_id: String,
}

/// Pushes a course and the assets named into Moodle.
#[utoipa::path(post, path = "/api/courses/{course_id}/push-to-lms", tag = "publisher",
    params(("course_id" = i64, Path), ("X-LMS-Token" = String, Header), ("X-LMS-Site" = Option<String>, Header), PushQuery),
    request_body = PushRequest,
    description = "Makes the category path and the course (or updates it), then one activity per asset through the companion plugin local_bridge, each found by its ID number first. Synchronous unless ?async=1 (202 with a job id). Unchanged assets are not written again.",
    security(("bearer" = ["moodle:write"])),
    responses((status = 200, description = "Pushed", body = PushReply), (status = 202, description = "Queued", body = QueuedReply),
        (status = 400, description = "No or mock LMS token", body = Detail), (status = 401, description = "LMS token refused", body = Detail),
        (status = 403, description = "Moodle refuses the user", body = Detail), (status = 404, description = "Unknown course", body = Detail),
        (status = 422, description = "Unknown assets or invalid data", body = Detail), (status = 503, description = "Moodle unreachable or circuit open", body = Detail),
        (status = 500, description = "LMS export failed: <reason>", body = Detail)))]
pub async fn push_course(
    State(app): State<AppState>,
    actor: Actor,
    lms: LmsToken,
    Path(id): Path<String>,
    DetailQuery(query): DetailQuery<PushQuery>,
    DetailJson(request): DetailJson<PushRequest>,
) -> Result<Response, PublisherFailure> {
    let mode = mode(&query).ok_or_else(bad_async)?;
    let id = CourseId::from_route(&id)?;
    let pushed = app
        .publisher
        .push(&actor, &actor.owner(), given(&lms), id, request, mode)
        .await?;
    Ok(answer(pushed))
}

/// Publishes an application's own course and assets, given inline.
#[utoipa::path(post, path = "/api/lms/publish", tag = "publisher",
    params(("X-LMS-Token" = String, Header), ("X-LMS-Site" = Option<String>, Header), PushQuery),
    request_body = InlinePublish,
    description = "One course and its assets, keyed by the application's own ids (text, e.g. UUIDs), with the asset schemas of /api/courses/{course_id}/assets (not file). Pushed like push-to-lms (same job, events, report); the bridge keeps only the mapping to Moodle, so a repeated publish writes only what changed. `complete: true`: assets published before and missing now are hidden or deleted in Moodle (LMS_DELETE_MODE).",
    security(("bearer" = ["moodle:write"])),
    responses((status = 200, description = "Pushed", body = PushReply), (status = 202, description = "Queued", body = QueuedReply),
        (status = 400, description = "No or mock LMS token", body = Detail), (status = 401, description = "LMS token refused", body = Detail),
        (status = 403, description = "Moodle refuses the user, or a role the bridge may not give", body = Detail),
        (status = 422, description = "Invalid data, naming the field", body = Detail), (status = 503, description = "Moodle unreachable or circuit open", body = Detail),
        (status = 500, description = "LMS export failed: <reason>", body = Detail)))]
pub async fn publish_inline(
    State(app): State<AppState>,
    actor: Actor,
    lms: LmsToken,
    DetailQuery(query): DetailQuery<PushQuery>,
    DetailJson(request): DetailJson<InlinePublish>,
) -> Result<Response, PublisherFailure> {
    let mode = mode(&query).ok_or_else(bad_async)?;
    let pushed = app
        .publisher
        .publish_inline(&actor, given(&lms), request, mode)
        .await?;
    Ok(answer(pushed))
}

/// `?async=`: wait for the push, or queue it; `None` for another value.
fn mode(query: &PushQuery) -> Option<Mode> {
    match query.queue.as_deref().map(str::trim) {
        None | Some("" | "0" | "false") => Some(Mode::Wait),
        Some("1" | "true") => Some(Mode::Queue),
        Some(_) => None,
    }
}

fn bad_async() -> PublisherFailure {
    PublisherFailure::new(StatusCode::UNPROCESSABLE_ENTITY, "async: must be 1 or 0")
}

fn answer(pushed: Pushed) -> Response {
    match pushed {
        Pushed::Done(report) => {
            let message = match &report.plugin_required {
                None => "Successfully exported to LMS".to_owned(),
                Some(plugin) => format!(
                    "Course exported to LMS; its assets wait for the Moodle plugin {plugin} (install it and add its functions to the service)"
                ),
            };
            Json(PushReply {
                success: true,
                message,
                data: *report,
            })
            .into_response()
        }
        Pushed::Queued(job_id) => (
            StatusCode::ACCEPTED,
            [(header::LOCATION, format!("/api/jobs/{job_id}"))],
            Json(QueuedReply { job_id }),
        )
            .into_response(),
        // Not asked for here.
        Pushed::Claimed(job) => {
            (StatusCode::ACCEPTED, Json(QueuedReply { job_id: job.id })).into_response()
        }
    }
}

/// Queues a re-push of a course.
#[utoipa::path(post, path = "/api/courses/{course_id}/sync", tag = "publisher",
    params(("course_id" = i64, Path), ("X-LMS-Token" = Option<String>, Header, description = "default: the token of the course's last push")),
    description = "Re-pushes what was pushed before (unchanged assets cost nothing), to each site the course was pushed to, or to the token's site.",
    security(("bearer" = ["moodle:write"])),
    responses((status = 202, description = "Queued", body = RetryReply), (status = 404, description = "Unknown course", body = Detail)))]
pub async fn sync_course(
    State(app): State<AppState>,
    actor: Actor,
    lms: Option<LmsToken>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<RetryReply>), PublisherFailure> {
    let token = lms.as_ref().map(given);
    let id = CourseId::from_route(&id)?;
    let reply = app.publisher.sync_course(&actor, id, token).await?;
    Ok((StatusCode::ACCEPTED, Json(reply)))
}

/// Counts by sync status and the failures.
#[utoipa::path(get, path = "/api/sync/status", tag = "publisher", params(StatusQuery),
    security(("bearer" = ["moodle:read"])),
    responses((status = 200, description = "The state", body = SyncStatus), (status = 404, description = "Unknown course", body = Detail)))]
pub async fn sync_status(
    State(app): State<AppState>,
    actor: Actor,
    DetailQuery(query): DetailQuery<StatusQuery>,
) -> Result<Json<SyncStatus>, PublisherFailure> {
    Ok(Json(
        app.publisher
            .status(Some(&actor.owner()), query.course_id.as_deref())
            .await?,
    ))
}

/// Queues a re-push of everything failed.
#[utoipa::path(post, path = "/api/sync/retry", tag = "publisher",
    params(("X-LMS-Token" = Option<String>, Header, description = "default: each course's last push token")),
    security(("bearer" = ["moodle:write"])),
    responses((status = 202, description = "Queued", body = RetryReply), (status = "4XX", description = "Refused", body = Detail)))]
pub async fn retry_failed(
    State(app): State<AppState>,
    actor: Actor,
    lms: Option<LmsToken>,
) -> Result<(StatusCode, Json<RetryReply>), PublisherFailure> {
    let token = lms.as_ref().map(given);
    let reply = app
        .publisher
        .retry_failed(&actor, Some(&actor.owner()), token)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(reply)))
}

/// The query strings of these routes.
mod query {
    use serde::Deserialize;
    use utoipa::IntoParams;

    /// `?async=1`.
    #[derive(Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    #[serde(deny_unknown_fields)]
    pub struct PushQuery {
        /// `1` or `true`: answer 202 with the job id at once.
        #[serde(rename = "async", default)]
        pub queue: Option<String>,
    }

    /// `?course_id=`.
    #[derive(Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    #[serde(deny_unknown_fields)]
    pub struct StatusQuery {
        /// Only this course.
        #[serde(default)]
        pub course_id: Option<String>,
    }
}

fn given(t: &LmsToken) -> GivenToken<'_> {
    GivenToken {
        token: t.token.expose(),
        site: t.site.as_deref(),
    }
}
