//! The file manager's JSON API at the seed's root paths, authenticated by a launch token
//! (`X-Launch-Token`, one course) or an API bearer token (every course of the bridge's
//! Moodle): `/get_learners`, `/get_user_files/{user_id}`, `/copy_moodle_files`,
//! `/upload_files`, `/download_file/{file_id}`, `/delete_file/{file_id}`,
//! `/list_uploaded_files`, and the HTML list `/files`. Handlers extract, call `file_manager::FileManager`
//! and answer; errors are `{"error", "code"}` (`http/error/file_manager.rs`).

mod caller;
mod copy;
mod download;

use axum::Json;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use caller::{FileActor, FileCaller, LAUNCH_TOKEN_HEADER, require_caller};
use copy::__path_copy_moodle_files;
pub use copy::{CopyOutcome, CopyReply, OutcomeError, StoredSummary, copy_moodle_files};

use super::error::{FileManagerFailure, FileProblem};
use super::extract::{AppQuery, TextFieldError, text_field};
use super::ui;
use crate::file_manager::{
    Access, FileError, MoodleOrigin, Page, Participant, StoredFile, Upload, UserFiles,
};
use crate::state::AppState;

/// The `launch` security scheme of the OpenAPI document: the `X-Launch-Token` header.
pub struct LaunchTokenScheme;

impl Modify for LaunchTokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "launch",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Launch-Token"))),
        );
    }
}

/// The routes, before their authentication layer.
pub fn routes(max_body_bytes: usize, max_upload_total_bytes: u64) -> OpenApiRouter<AppState> {
    let json = OpenApiRouter::new()
        .routes(routes!(get_learners))
        .routes(routes!(get_user_files))
        .routes(routes!(copy_moodle_files))
        .routes(routes!(list_uploaded_files))
        .routes(routes!(files_page))
        .routes(routes!(delete_file))
        .layer(DefaultBodyLimit::max(max_body_bytes));
    // Uploads stream for as long as they take, each file within its own size limit and the
    // whole body within the upload total (plus room for the parts' headers and small fields).
    let uploads = OpenApiRouter::new()
        .routes(routes!(upload_files))
        .layer(DefaultBodyLimit::max(
            usize::try_from(max_upload_total_bytes)
                .unwrap_or(usize::MAX)
                .saturating_add(1 << 20),
        ));
    let downloads = OpenApiRouter::new().routes(routes!(download_file));
    json.merge(uploads).merge(downloads)
}

/// `?course_id=`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CourseQuery {
    /// The course (a launch's own by default; required with an API token).
    #[serde(default)]
    course_id: Option<i64>,
}

/// A stored file, as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredFileReply {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256, hex.
    pub sha256: String,
    /// Content type.
    pub content_type: String,
    /// The Moodle course it was stored from.
    pub course_id: Option<i64>,
    /// `upload`, `submission` or `private`.
    pub source: String,
    /// For copies: the Moodle file.
    pub moodle: Option<MoodleOrigin>,
    /// Who stored it.
    pub stored_by: String,
    /// When (RFC 3339).
    pub created_at: String,
    /// Where to download it (for a launch: with a ticket valid five minutes).
    pub download_url: String,
}

fn reply(app: &AppState, caller: &FileCaller, f: StoredFile) -> StoredFileReply {
    let mut download_url = format!("{}download_file/{}", app.lti.tool().base_url, f.id);
    if let FileCaller::Launch(claims) = caller
        && let Ok(ticket) = app.lti.tokens().ticket(claims, &f.id, app.lti.now())
    {
        download_url.push_str("?ticket=");
        download_url.push_str(&ticket);
    }
    let at = std::time::UNIX_EPOCH
        + std::time::Duration::from_millis(u64::try_from(f.created_at_ms).unwrap_or(0));
    StoredFileReply {
        source: f
            .moodle
            .as_ref()
            .map_or_else(|| "upload".to_owned(), |m| m.source.clone()),
        created_at: humantime::format_rfc3339_millis(at).to_string(),
        download_url,
        id: f.id,
        name: f.name,
        size: f.size,
        sha256: f.sha256,
        content_type: f.content_type,
        course_id: f.course_id,
        moodle: f.moodle,
        stored_by: f.stored_by,
    }
}

/// The learners of the launch's course (or of `course_id`, with an API token).
#[utoipa::path(get, path = "/get_learners", tag = "file manager", params(("course_id" = Option<i64>, Query)),
    security(("launch" = []), ("bearer" = ["moodle:read"])),
    responses((status = 200, description = "The course's learners (active participants with a student role), by name", body = Vec<Participant>),
        (status = "4XX", description = "Refused (403 for another course)", body = FileProblem)))]
pub async fn get_learners(
    State(app): State<AppState>,
    caller: FileCaller,
    AppQuery(q): AppQuery<CourseQuery>,
) -> Result<Json<Vec<Participant>>, FileManagerFailure> {
    Ok(Json(
        app.file_manager
            .learners(&caller.access(), q.course_id)
            .await?,
    ))
}

/// A learner's Moodle files in the course.
#[utoipa::path(get, path = "/get_user_files/{user_id}", tag = "file manager",
    params(("user_id" = i64, Path), ("course_id" = Option<i64>, Query)),
    security(("launch" = []), ("bearer" = ["moodle:read"])),
    responses((status = 200, description = "Submission files (and private files with the local_bridge plugin)", body = UserFiles),
        (status = "4XX", description = "Refused (403 for another course or a user not enrolled there)", body = FileProblem)))]
pub async fn get_user_files(
    State(app): State<AppState>,
    caller: FileCaller,
    Path(user_id): Path<i64>,
    AppQuery(q): AppQuery<CourseQuery>,
) -> Result<Json<UserFiles>, FileManagerFailure> {
    Ok(Json(
        app.file_manager
            .user_files(&caller.access(), user_id, q.course_id)
            .await?,
    ))
}

/// The answer of an upload.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadReply {
    /// Always `true`.
    pub success: bool,
    /// The stored files.
    pub files: Vec<StoredFileReply>,
}

/// Uploads files (`multipart/form-data`, up to `UPLOAD_FILES_MAX_PARTS` parts and
/// `UPLOAD_FILES_MAX_TOTAL_MB` in all). An API token names the course, as `?course_id=` or as a
/// `course_id` field before the first file part (each file is stored as it arrives, so a later
/// field cannot apply to it: 400). All or nothing: a file over `MAX_UPLOAD_MB`, a body over the
/// total or with too many parts (413), or a broken upload keeps none.
#[utoipa::path(post, path = "/upload_files", tag = "file manager",
    params(("course_id" = Option<i64>, Query, description = "The course (required with an API token unless sent as a form field before the files)")),
    security(("launch" = []), ("bearer" = ["moodle:write"])),
    responses((status = 200, description = "Stored", body = UploadReply),
        (status = 413, description = "A file is larger than MAX_UPLOAD_MB, or the body has more than UPLOAD_FILES_MAX_PARTS parts or UPLOAD_FILES_MAX_TOTAL_MB bytes", body = FileProblem),
        (status = "4XX", description = "Refused", body = FileProblem)))]
pub async fn upload_files(
    State(app): State<AppState>,
    caller: FileCaller,
    FileActor(actor): FileActor,
    AppQuery(q): AppQuery<CourseQuery>,
    mut multipart: Multipart,
) -> Result<Json<UploadReply>, FileManagerFailure> {
    let access = caller.access();
    let mut course = q.course_id;
    let mut stored: Vec<StoredFile> = Vec::new();
    let (max_parts, max_total) = (app.http.upload_max_parts, app.http.upload_max_total_bytes);
    let mut parts = 0usize;
    let outcome: Result<(), FileManagerFailure> = async {
        while let Some(mut field) = multipart.next_field().await.map_err(body_error)? {
            parts += 1;
            if parts > max_parts {
                return Err(FileManagerFailure::too_large(
                    "toomanyparts",
                    &format!("an upload has at most {max_parts} parts (UPLOAD_FILES_MAX_PARTS)"),
                ));
            }
            let Some(filename) = field.file_name().map(str::to_owned) else {
                if field.name() == Some("course_id") {
                    let text = text_field(&mut field).await.map_err(|e| match e {
                        TextFieldError::Body(e) => body_error(e),
                        _ => FileManagerFailure::invalid("course_id", "must be a course id"),
                    })?;
                    let parsed = text.trim().parse::<i64>().map_err(|_| {
                        FileManagerFailure::invalid("course_id", "must be a course id")
                    })?;
                    if !stored.is_empty() {
                        return Err(FileManagerFailure::invalid(
                            "course_id",
                            "must come before the file parts (or be sent as ?course_id=)",
                        ));
                    }
                    if course.is_some_and(|c| c != parsed) {
                        return Err(FileManagerFailure::invalid(
                            "course_id",
                            "the form field and ?course_id= differ",
                        ));
                    }
                    course = Some(parsed);
                }
                continue;
            };
            if matches!(access, Access::Api { .. }) && course.is_none() {
                return Err(FileManagerFailure::invalid(
                    "course_id",
                    "must come before the file parts (or be sent as ?course_id=)",
                ));
            }
            let used: u64 = stored.iter().map(|f| f.size.unsigned_abs()).sum();
            let left = max_total.saturating_sub(used);
            let upload = Upload {
                filename,
                content_type: field.content_type().map(str::to_owned),
                body: field,
                max_bytes: left,
            };
            match app
                .file_manager
                .upload(&access, &actor, course, upload)
                .await
            {
                Ok(file) => stored.push(file),
                // The file fits MAX_UPLOAD_MB but not what is left of the request's total.
                Err(FileError::TooLarge { limit }) if limit == left => {
                    return Err(FileManagerFailure::too_large(
                        "uploadtoolarge",
                        &format!(
                            "an upload carries at most {} MiB in all (UPLOAD_FILES_MAX_TOTAL_MB)",
                            max_total >> 20
                        ),
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = outcome {
        let ids: Vec<String> = stored.iter().map(|f| f.id.clone()).collect();
        app.file_manager.discard(&access, &actor, &ids).await;
        return Err(e);
    }
    if stored.is_empty() {
        return Err(FileManagerFailure::invalid("files", "no file was sent"));
    }
    let files = stored
        .into_iter()
        .map(|f| reply(&app, &caller, f))
        .collect();
    Ok(Json(UploadReply {
        success: true,
        files,
    }))
}

/// A broken or over-long multipart body.
fn body_error(e: axum::extract::multipart::MultipartError) -> FileManagerFailure {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        FileManagerFailure::too_large(
            "uploadtoolarge",
            "the upload is larger than this bridge accepts",
        )
    } else {
        FileManagerFailure::invalid("body", &e.body_text())
    }
}

/// Downloads a stored file (streamed; `Range` requests answered with 206 or 416).
#[utoipa::path(get, path = "/download_file/{file_id}", tag = "file manager", params(("file_id" = String, Path)),
    security(("launch" = []), ("bearer" = ["moodle:read"])),
    responses((status = 200, description = "The file, as an attachment", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 206, description = "The byte range asked for", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 416, description = "The range is past the end"),
        (status = "4XX", description = "Refused or not found", body = FileProblem)))]
pub async fn download_file(
    State(app): State<AppState>,
    caller: FileCaller,
    Path(file_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, FileManagerFailure> {
    if let FileCaller::Ticket(ticket) = &caller
        && ticket.file != file_id
    {
        return Err(FileError::NotFound { id: file_id }.into());
    }
    let file = app.file_manager.get(&caller.access(), &file_id).await?;
    let size = u64::try_from(file.size).unwrap_or(0);
    Ok(match download::range(&headers, size) {
        download::RangeAsk::Unsatisfiable => download::unsatisfiable(&file),
        download::RangeAsk::Part(part) => {
            let body = app.file_manager.open(&file, Some(part.clone())).await?;
            download::answer(&file, Some(part), body)
        }
        download::RangeAsk::Whole => {
            let body = app.file_manager.open(&file, None).await?;
            download::answer(&file, None, body)
        }
    })
}

/// The answer of a deletion.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeleteReply {
    /// Always `true`.
    pub deleted: bool,
    /// The file.
    pub id: String,
}

/// Deletes a stored file.
#[utoipa::path(delete, path = "/delete_file/{file_id}", tag = "file manager", params(("file_id" = String, Path)),
    security(("launch" = []), ("bearer" = ["moodle:write"])),
    responses((status = 200, description = "Deleted", body = DeleteReply),
        (status = "4XX", description = "Refused or not found", body = FileProblem)))]
pub async fn delete_file(
    State(app): State<AppState>,
    caller: FileCaller,
    FileActor(actor): FileActor,
    Path(file_id): Path<String>,
) -> Result<Json<DeleteReply>, FileManagerFailure> {
    let file = app
        .file_manager
        .delete(&caller.access(), &actor, &file_id)
        .await?;
    Ok(Json(DeleteReply {
        deleted: true,
        id: file.id,
    }))
}

/// `?limit=&cursor=`: paging, only when asked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Files per page (1–1000).
    #[serde(default)]
    limit: Option<u32>,
    /// Where the previous page ended (from its `Link` header).
    #[serde(default)]
    cursor: Option<String>,
}

/// The stored files, newest first: a bare JSON list (as the seed's clients expect); with
/// `?limit=` one page, and a `Link: <…>; rel="next"` header while more remain.
#[utoipa::path(get, path = "/list_uploaded_files", tag = "file manager",
    params(("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    security(("launch" = []), ("bearer" = ["moodle:read"])),
    responses((status = 200, description = "The stored files the caller sees", body = Vec<StoredFileReply>),
        (status = "4XX", description = "Refused", body = FileProblem)))]
pub async fn list_uploaded_files(
    State(app): State<AppState>,
    caller: FileCaller,
    AppQuery(q): AppQuery<ListQuery>,
) -> Result<Response, FileManagerFailure> {
    let page = (q.limit.is_some() || q.cursor.is_some()).then(|| Page {
        limit: q.limit.unwrap_or(100),
        cursor: q.cursor,
    });
    let (files, next) = app
        .file_manager
        .list(&caller.access(), page.as_ref())
        .await?;
    let list: Vec<StoredFileReply> = files.into_iter().map(|f| reply(&app, &caller, f)).collect();
    let mut response = Json(list).into_response();
    if let (Some(next), Some(page)) = (next, page) {
        let link = format!(
            "<{}list_uploaded_files?limit={}&cursor={next}>; rel=\"next\"",
            app.lti.tool().base_url,
            page.limit.clamp(1, 1000)
        );
        if let Ok(v) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, v);
        }
    }
    Ok(response)
}

/// The stored files as an HTML table.
#[utoipa::path(get, path = "/files", tag = "file manager",
    security(("launch" = []), ("bearer" = ["moodle:read"])),
    responses((status = 200, description = "An HTML page", content_type = "text/html", body = String),
        (status = "4XX", description = "Refused", body = FileProblem)))]
pub async fn files_page(
    State(app): State<AppState>,
    caller: FileCaller,
) -> Result<Response, FileManagerFailure> {
    let (files, _) = app.file_manager.list(&caller.access(), None).await?;
    Ok(ui::files_page(app.lti.tool().base_url.as_str(), &files))
}
