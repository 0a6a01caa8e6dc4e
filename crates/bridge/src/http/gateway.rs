//! `/api/moodle/*`: the routes of the gateway contract (`docs/contracts/gateway.md`). Each
//! handler extracts, calls one gateway
//! operation and wraps the answer; the upload handler also pipes the multipart file part
//! into the operation as it arrives.

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use futures_util::StreamExt as _;
use serde::Serialize;
use tokio_util::io::StreamReader;
use utoipa::ToSchema;

use super::error::{ErrorEnvelope, GatewayFailure, ok};
use super::extract::{AppJson, AppQuery, MAX_TEXT_FIELD_BYTES, TextFieldError, text_field};
use crate::audit::Actor;
use crate::gateway::replies::{
    AttachedFile, CreatedCourse, DraftUpload, Enrolled, Notifications, UnreadCount,
};
use crate::gateway::requests::{
    CourseFilter, CourseInput, Enrol, NotificationsQuery, UnreadCountQuery, UsersByField,
};
use crate::gateway::{AttachFile, DraftUploadInput, GatewayError, UploadTarget};
use crate::state::AppState;

/// `{"ok": true, "data": T}`.
#[derive(Serialize, ToSchema)]
pub struct Envelope<T> {
    /// Always `true`.
    pub ok: bool,
    /// The answer.
    pub data: T,
    /// Present when Moodle warned about items the request did not name.
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

/// Moodle's own object, passed through as Moodle sent it.
#[derive(Serialize, ToSchema)]
#[schema(value_type = Object)]
pub struct MoodleObject(serde_json::Value);

/// The site, its version and the functions the bridge may call.
#[utoipa::path(get, path = "/api/moodle/siteinfo", tag = "gateway",
    description = "core_webservice_get_site_info: the site, its version and the functions the bridge's token may call (without the user's private access key). Cached briefly.",
    security(("bearer" = ["moodle:read"])),
    responses((status = 200, description = "Success", body = Envelope<MoodleObject>), (status = "4XX", description = "The request was refused; `error.code` says why", body = ErrorEnvelope), (status = "5XX", description = "Moodle or the bridge failed; `error.details.reason` says how", body = ErrorEnvelope)))]
pub async fn site_info(State(app): State<AppState>) -> Result<Response, GatewayFailure> {
    Ok(ok(app.gateway.site_info().await?))
}

/// Courses, all or by search or category.
#[utoipa::path(get, path = "/api/moodle/courses", tag = "gateway", params(CourseFilter),
    description = "Courses the token may see: all (core_course_get_courses, or core_course_get_courses_by_field for tokens without the right), by free text (core_course_search_courses) or by category. Always a list of Moodle course objects. Cached briefly.",
    security(("bearer" = ["moodle:read"])),
    responses((status = 200, description = "Success", body = Envelope<Vec<MoodleObject>>), (status = "4XX", description = "The request was refused; `error.code` says why", body = ErrorEnvelope), (status = "5XX", description = "Moodle or the bridge failed; `error.details.reason` says how", body = ErrorEnvelope)))]
pub async fn list_courses(
    State(app): State<AppState>,
    AppQuery(filter): AppQuery<CourseFilter>,
) -> Result<Response, GatewayFailure> {
    Ok(ok(app.gateway.list_courses(filter).await?))
}

/// Creates a course.
#[utoipa::path(post, path = "/api/moodle/courses", tag = "gateway", request_body = CourseInput,
    description = "core_course_create_courses. Never retried: a failure after sending may still have created the course (its short name is then taken: 409).",
    security(("bearer" = ["moodle:write"])),
    responses((status = 200, description = "Success", body = Envelope<CreatedCourse>), (status = 409, description = "Already taken", body = ErrorEnvelope), (status = "4XX", description = "The request was refused; `error.code` says why", body = ErrorEnvelope), (status = "5XX", description = "Moodle or the bridge failed; `error.details.reason` says how", body = ErrorEnvelope)))]
pub async fn create_course(
    State(app): State<AppState>,
    actor: Actor,
    AppJson(input): AppJson<CourseInput>,
) -> Result<Response, GatewayFailure> {
    Ok(ok(app.gateway.create_course(&actor, input).await?))
}

/// Changes some fields of a course.
#[utoipa::path(patch, path = "/api/moodle/courses/{id}", tag = "gateway", request_body = CourseInput,
    params(("id" = i64, Path, description = "Moodle course id")),
    description = "core_course_update_courses with only the fields given; answers the updated course. 404 for an unknown course.",
    security(("bearer" = ["moodle:write"])),
    responses((status = 200, description = "Success", body = Envelope<MoodleObject>), (status = 404, description = "Not found", body = ErrorEnvelope), (status = "4XX", description = "The request was refused; `error.code` says why", body = ErrorEnvelope), (status = "5XX", description = "Moodle or the bridge failed; `error.details.reason` says how", body = ErrorEnvelope)))]
pub async fn update_course(
    State(app): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(input): AppJson<CourseInput>,
) -> Result<Response, GatewayFailure> {
    let id = id
        .parse::<i64>()
        .map_err(|_| GatewayError::invalid("id", "must be a whole number"))?;
    Ok(ok(app.gateway.update_course(&actor, id, input).await?))
}

/// Users by id, idnumber, username or email.
#[utoipa::path(get, path = "/api/moodle/users/by-field", tag = "gateway", params(UsersByField),
    description = "core_user_get_users_by_field; values not found are left out.",
    security(("bearer" = ["moodle:read"])),
    responses((status = 200, description = "Success", body = Envelope<Vec<MoodleObject>>), (status = "4XX", description = "The request was refused; `error.code` says why", body = ErrorEnvelope), (status = "5XX", description = "Moodle or the bridge failed; `error.details.reason` says how", body = ErrorEnvelope)))]
pub async fn users_by_field(
    State(app): State<AppState>,
    AppQuery(query): AppQuery<UsersByField>,
) -> Result<Response, GatewayFailure> {
    Ok(ok(app.gateway.users_by_field(query).await?))
}

/// Enrols users in courses (manual enrolments).
#[utoipa::path(post, path = "/api/moodle/enrol", tag = "gateway", request_body = Enrol,
    description = "enrol_manual_enrol_users, all or none. Never retried.",
    security(("bearer" = ["moodle:write"])),
    responses((status = 200, description = "Success", body = Envelope<Enrolled>), (status = "4XX", description = "The request was refused; `error.code` says why", body = ErrorEnvelope), (status = "5XX", description = "Moodle or the bridge failed; `error.details.reason` says how", body = ErrorEnvelope)))]
pub async fn enrol(
    State(app): State<AppState>,
    actor: Actor,
    AppJson(request): AppJson<Enrol>,
) -> Result<Response, GatewayFailure> {
    Ok(ok(app.gateway.enrol(&actor, request).await?))
}

/// A user's popup notifications.
#[utoipa::path(get, path = "/api/moodle/notifications", tag = "gateway", params(NotificationsQuery),
    description = "message_popup_get_popup_notifications, newest first.",
    security(("bearer" = ["moodle:read"])),
    responses((status = 200, description = "Success", body = Envelope<Notifications>), (status = "4XX", description = "The request was refused; `error.code` says why", body = ErrorEnvelope), (status = "5XX", description = "Moodle or the bridge failed; `error.details.reason` says how", body = ErrorEnvelope)))]
pub async fn notifications(
    State(app): State<AppState>,
    AppQuery(query): AppQuery<NotificationsQuery>,
) -> Result<Response, GatewayFailure> {
    Ok(ok(app.gateway.notifications(query).await?))
}

/// A user's unread popup notification count.
#[utoipa::path(get, path = "/api/moodle/notifications/unread-count", tag = "gateway", params(UnreadCountQuery),
    description = "message_popup_get_unread_popup_notification_count.",
    security(("bearer" = ["moodle:read"])),
    responses((status = 200, description = "Success", body = Envelope<UnreadCount>), (status = "4XX", description = "The request was refused; `error.code` says why", body = ErrorEnvelope), (status = "5XX", description = "Moodle or the bridge failed; `error.details.reason` says how", body = ErrorEnvelope)))]
pub async fn unread_count(
    State(app): State<AppState>,
    AppQuery(query): AppQuery<UnreadCountQuery>,
) -> Result<Response, GatewayFailure> {
    Ok(ok(app.gateway.unread_count(query).await?))
}

/// Uploads a file into a draft area.
#[utoipa::path(post, path = "/api/moodle/files/upload", tag = "gateway",
    request_body(content_type = "multipart/form-data", description = "`file` (one file), and optionally `contextid`, `component` (user), `filearea` (draft), `itemid` (a draft area to add to), `filepath`."),
    description = "Streams one file into the draft area of the bridge's Moodle user (webservice/upload.php). Never retried.",
    security(("bearer" = ["moodle:write"])),
    responses((status = 200, description = "Success", body = Envelope<DraftUpload>), (status = 413, description = "Too large", body = ErrorEnvelope), (status = "4XX", description = "The request was refused; `error.code` says why", body = ErrorEnvelope), (status = "5XX", description = "Moodle or the bridge failed; `error.details.reason` says how", body = ErrorEnvelope)))]
pub async fn upload_file(
    State(app): State<AppState>,
    actor: Actor,
    mut form: Multipart,
) -> Result<Response, GatewayFailure> {
    let mut target = UploadTarget::default();
    let mut uploaded = None;
    while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name != "file" {
            let value = text_field(&mut field).await.map_err(|e| match e {
                TextFieldError::Body(e) => multipart_error(e),
                TextFieldError::TooLong => GatewayError::invalid(
                    name.clone(),
                    format!("must be at most {MAX_TEXT_FIELD_BYTES} bytes"),
                )
                .into(),
                TextFieldError::NotUtf8 => {
                    GatewayError::invalid(name.clone(), "must be UTF-8 text").into()
                }
            })?;
            target.set(&name, &value)?;
            continue;
        }
        if uploaded.is_some() {
            return Err(GatewayError::invalid("file", "send one file per request").into());
        }
        let filename = field.file_name().unwrap_or_default().to_owned();
        let content_type = field.content_type().map(str::to_owned);
        // The part streams through a small channel: the upload reads as the client sends.
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
        let pump = async move {
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        if tx.send(Ok(chunk)).await.is_err() {
                            return Ok(());
                        }
                    }
                    Ok(None) => return Ok(()),
                    Err(e) => {
                        let status = e.status();
                        let _ = tx
                            .send(Err(std::io::Error::other("client upload broke off")))
                            .await;
                        return Err(multipart_status(status, &e.body_text()));
                    }
                }
            }
        };
        let body = StreamReader::new(tokio_stream_of(rx));
        let upload = app.gateway.upload_draft(
            &actor,
            &target,
            DraftUploadInput {
                filename,
                content_type,
                body: Box::pin(body),
            },
        );
        let (pumped, result) = tokio::join!(pump, upload);
        pumped?;
        uploaded = Some(result?);
    }
    uploaded
        .map(ok)
        .ok_or_else(|| GatewayError::invalid("file", "is required (multipart field `file`)").into())
}

/// The receiving end of the pump as a stream.
fn tokio_stream_of(
    rx: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
    .boxed()
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> GatewayFailure {
    multipart_status(e.status(), &e.body_text())
}

fn multipart_status(status: StatusCode, text: &str) -> GatewayFailure {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        GatewayFailure::new(
            status,
            "invalidparameter",
            "the upload is larger than the limit",
        )
    } else {
        GatewayFailure::new(
            StatusCode::BAD_REQUEST,
            "invalidparameter",
            format!("the multipart body is malformed: {text}"),
        )
    }
}

/// Makes a File activity from a draft area.
#[utoipa::path(post, path = "/api/moodle/files/attach", tag = "gateway", request_body = AttachFile,
    description = "Creates a File activity in a course from a draft area (local_bridge_create_resource). Needs the companion plugin local_bridge: without it, 501 pluginrequired.",
    security(("bearer" = ["moodle:write"])),
    responses((status = 200, description = "Success", body = Envelope<AttachedFile>), (status = 501, description = "The companion plugin is not installed", body = ErrorEnvelope), (status = "4XX", description = "The request was refused; `error.code` says why", body = ErrorEnvelope), (status = "5XX", description = "Moodle or the bridge failed; `error.details.reason` says how", body = ErrorEnvelope)))]
pub async fn attach_file(
    State(app): State<AppState>,
    actor: Actor,
    AppJson(request): AppJson<AttachFile>,
) -> Result<Response, GatewayFailure> {
    Ok(ok(app.gateway.attach_file(&actor, request).await?))
}
