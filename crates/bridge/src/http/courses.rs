//! `/api/courses` and `/api/courses/{course_id}/assets[/{asset_name}]`: the publisher's
//! local store (`docs/contracts/publisher.md`). JSON, and `multipart/form-data` for file
//! assets; errors
//! `{"detail": …}`. Each handler extracts, calls the course store and answers.

use axum::Json;
use axum::extract::{FromRequest as _, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::error::{Detail, PublisherFailure};
use super::extract::{DetailJson, MAX_TEXT_FIELD_BYTES, TextFieldError, text_field};
use crate::audit::Actor;
use crate::courses::{
    Asset, AssetChanges, AssetType, Course, CourseChanges, CourseId, FileUpload, NewAsset,
    NewCourse,
};
use crate::publish::status::rfc3339;
use crate::publish::view::{MoodleActivity, MoodleCourse};
use crate::state::AppState;

/// A course.
#[derive(Debug, Serialize, ToSchema)]
pub struct CourseReply {
    /// Its id (the `course_id` of the routes).
    pub id: i64,
    /// Full name.
    pub name: String,
    /// Short name for Moodle.
    pub shortname: String,
    /// Description (HTML).
    pub description: String,
    /// Category names joined by `/`.
    pub category_path: String,
    /// Made (RFC 3339).
    pub created_at: String,
    /// Changed (RFC 3339).
    pub updated_at: String,
    /// Automatic sync after a change: `true`, `false`, or `null` as `LMS_AUTO_SYNC` says.
    pub auto_sync: Option<bool>,
    /// What is in Moodle, per site it was pushed to (`GET` routes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moodle: Option<Vec<MoodleCourse>>,
}

impl From<Course> for CourseReply {
    fn from(c: Course) -> Self {
        CourseReply {
            id: c.id,
            name: c.name,
            shortname: c.shortname,
            description: c.description,
            category_path: c.category_path,
            created_at: rfc3339(c.created_at_ms),
            updated_at: rfc3339(c.updated_at_ms),
            auto_sync: c.auto_sync,
            moodle: None,
        }
    }
}

impl From<(Course, Vec<MoodleCourse>)> for CourseReply {
    fn from((c, moodle): (Course, Vec<MoodleCourse>)) -> Self {
        CourseReply {
            moodle: Some(moodle),
            ..CourseReply::from(c)
        }
    }
}

/// An asset.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssetReply {
    /// Its name.
    pub asset_name: String,
    /// Its type.
    pub asset_type: AssetType,
    /// Its content (for a file: `{filename, content_type, size, sha256}`).
    #[schema(value_type = Object)]
    pub asset_content: Value,
    /// Changed (RFC 3339).
    pub asset_last_updated_at: String,
    /// Changed by (the API token's subject).
    pub asset_last_updated_by: String,
    /// Its activity in Moodle, per site it was pushed to (`GET` routes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moodle: Option<Vec<MoodleActivity>>,
}

impl From<Asset> for AssetReply {
    fn from(a: Asset) -> Self {
        AssetReply {
            asset_name: a.name,
            asset_type: a.kind,
            asset_content: a.content,
            asset_last_updated_at: rfc3339(a.updated_at_ms),
            asset_last_updated_by: a.updated_by,
            moodle: None,
        }
    }
}

impl From<(Asset, Vec<MoodleActivity>)> for AssetReply {
    fn from((a, moodle): (Asset, Vec<MoodleActivity>)) -> Self {
        AssetReply {
            moodle: Some(moodle),
            ..AssetReply::from(a)
        }
    }
}

/// The largest JSON body of the asset routes (which take uploads too).
#[derive(Debug, Clone, Copy)]
pub struct JsonLimit(pub usize);

/// Makes a course.
#[utoipa::path(post, path = "/api/courses", tag = "publisher", request_body = NewCourse,
    security(("bearer" = ["moodle:write"])),
    responses((status = 201, description = "Made", body = CourseReply), (status = "4XX", description = "Refused", body = Detail)))]
pub async fn create_course(
    State(app): State<AppState>,
    actor: Actor,
    DetailJson(input): DetailJson<NewCourse>,
) -> Result<Response, PublisherFailure> {
    let course = app.courses.create(&actor, input).await?;
    Ok((StatusCode::CREATED, Json(CourseReply::from(course))).into_response())
}

/// The caller's courses, with what is in Moodle.
#[utoipa::path(get, path = "/api/courses", tag = "publisher", security(("bearer" = ["moodle:read"])),
    responses((status = 200, description = "The courses", body = Vec<CourseReply>), (status = "4XX", description = "Refused", body = Detail)))]
pub async fn list_courses(
    State(app): State<AppState>,
    actor: Actor,
) -> Result<Json<Vec<CourseReply>>, PublisherFailure> {
    let courses = app.publisher.courses_view(&actor.owner()).await?;
    Ok(Json(courses.into_iter().map(CourseReply::from).collect()))
}

/// One course.
#[utoipa::path(get, path = "/api/courses/{course_id}", tag = "publisher", params(("course_id" = i64, Path)),
    security(("bearer" = ["moodle:read"])),
    responses((status = 200, description = "The course", body = CourseReply), (status = 404, description = "Not the caller's", body = Detail)))]
pub async fn get_course(
    State(app): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<CourseReply>, PublisherFailure> {
    let id = CourseId::from_route(&id)?;
    Ok(Json(
        app.publisher.course_view(&actor.owner(), id).await?.into(),
    ))
}

/// Changes the fields given.
#[utoipa::path(patch, path = "/api/courses/{course_id}", tag = "publisher", params(("course_id" = i64, Path)), request_body = CourseChanges,
    security(("bearer" = ["moodle:write"])),
    responses((status = 200, description = "The course", body = CourseReply), (status = "4XX", description = "Refused", body = Detail)))]
pub async fn update_course(
    State(app): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    DetailJson(changes): DetailJson<CourseChanges>,
) -> Result<Json<CourseReply>, PublisherFailure> {
    let id = CourseId::from_route(&id)?;
    Ok(Json(app.courses.update(&actor, id, changes).await?.into()))
}

/// Deletes a course, its assets and files; its Moodle course is hidden, deleted or left
/// (`LMS_DELETE_MODE`) by a job queued now, with the token of the course's last push.
#[utoipa::path(delete, path = "/api/courses/{course_id}", tag = "publisher", params(("course_id" = i64, Path)),
    security(("bearer" = ["moodle:write"])),
    responses((status = 204, description = "Deleted"), (status = 404, description = "Not the caller's", body = Detail)))]
pub async fn delete_course(
    State(app): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<StatusCode, PublisherFailure> {
    let id = CourseId::from_route(&id)?;
    app.publisher.delete_course(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A course's assets, with their activities in Moodle.
#[utoipa::path(get, path = "/api/courses/{course_id}/assets", tag = "publisher", params(("course_id" = i64, Path)),
    security(("bearer" = ["moodle:read"])),
    responses((status = 200, description = "The assets", body = Vec<AssetReply>), (status = 404, description = "Not the caller's", body = Detail)))]
pub async fn list_assets(
    State(app): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Vec<AssetReply>>, PublisherFailure> {
    let id = CourseId::from_route(&id)?;
    let assets = app.publisher.assets_view(&actor.owner(), id, None).await?;
    Ok(Json(assets.into_iter().map(AssetReply::from).collect()))
}

/// Adds an asset: JSON `{asset_name, asset_type, asset_content}`, or for a file
/// `multipart/form-data` with `asset_name`, `asset_type=file`, then `file`.
#[utoipa::path(post, path = "/api/courses/{course_id}/assets", tag = "publisher", params(("course_id" = i64, Path)), request_body = NewAsset,
    description = "`asset_content` is checked against the type's schema (422 naming the field). File assets: multipart/form-data with `asset_name`, `asset_type=file` and then `file`.",
    security(("bearer" = ["moodle:write"])),
    responses((status = 201, description = "Made", body = AssetReply), (status = 409, description = "The name is taken", body = Detail), (status = 422, description = "Invalid content", body = Detail)))]
pub async fn create_asset(
    State(app): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, PublisherFailure> {
    let id = CourseId::from_route(&id)?;
    let asset = if is_multipart(&req) {
        let mut form = Multipart::from_request(req, &())
            .await
            .map_err(|e| unprocessable(e.body_text()))?;
        let mut name = None;
        let mut kind = None;
        let mut created = None;
        while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
            match field.name().unwrap_or_default() {
                "asset_name" => name = Some(text(&mut field, "asset_name").await?),
                "asset_type" => kind = Some(text(&mut field, "asset_type").await?),
                "file" if created.is_none() => {
                    if kind.as_deref().map(str::trim) != Some("file") {
                        return Err(unprocessable(
                            "asset_type: send asset_type=file before the file",
                        ));
                    }
                    let name = name
                        .clone()
                        .ok_or_else(|| unprocessable("asset_name: send it before the file"))?;
                    let upload = upload_of(field);
                    created = Some(
                        app.courses
                            .create_file_asset(&actor, id, &name, upload)
                            .await?,
                    );
                }
                other => {
                    return Err(unprocessable(format!(
                        "{other}: not a field of this form (asset_name, asset_type, file)"
                    )));
                }
            }
        }
        created.ok_or_else(|| unprocessable("file: required (multipart field file)"))?
    } else {
        let limit = req.extensions().get::<JsonLimit>().map_or(1 << 20, |l| l.0);
        let DetailJson(input) =
            DetailJson::<NewAsset>::from_request(limited(req, limit).await?, &()).await?;
        app.courses.create_asset(&actor, id, input).await?
    };
    Ok((StatusCode::CREATED, Json(AssetReply::from(asset))).into_response())
}

/// One asset, with its activity in Moodle.
#[utoipa::path(get, path = "/api/courses/{course_id}/assets/{asset_name}", tag = "publisher",
    params(("course_id" = i64, Path), ("asset_name" = String, Path)),
    security(("bearer" = ["moodle:read"])),
    responses((status = 200, description = "The asset", body = AssetReply), (status = 404, description = "No such asset", body = Detail)))]
pub async fn get_asset(
    State(app): State<AppState>,
    actor: Actor,
    Path((id, name)): Path<(String, String)>,
) -> Result<Json<AssetReply>, PublisherFailure> {
    let id = CourseId::from_route(&id)?;
    let mut found = app
        .publisher
        .assets_view(&actor.owner(), id, Some(&name))
        .await?;
    let one = found.pop().ok_or_else(|| {
        PublisherFailure::from(crate::courses::CourseError::AssetNotFound {
            course: id.0,
            name: name.clone(),
        })
    })?;
    Ok(Json(one.into()))
}

/// Replaces an asset's content: JSON `{asset_content}`, or a new `file` (multipart).
#[utoipa::path(patch, path = "/api/courses/{course_id}/assets/{asset_name}", tag = "publisher",
    params(("course_id" = i64, Path), ("asset_name" = String, Path)), request_body = AssetChanges,
    security(("bearer" = ["moodle:write"])),
    responses((status = 200, description = "The asset", body = AssetReply), (status = "4XX", description = "Refused", body = Detail)))]
pub async fn update_asset(
    State(app): State<AppState>,
    actor: Actor,
    Path((id, name)): Path<(String, String)>,
    req: Request,
) -> Result<Json<AssetReply>, PublisherFailure> {
    let id = CourseId::from_route(&id)?;
    let asset = if is_multipart(&req) {
        let mut form = Multipart::from_request(req, &())
            .await
            .map_err(|e| unprocessable(e.body_text()))?;
        let mut replaced = None;
        while let Some(field) = form.next_field().await.map_err(multipart_error)? {
            match field.name().unwrap_or_default() {
                "file" if replaced.is_none() => {
                    replaced = Some(
                        app.courses
                            .replace_file(&actor, id, &name, upload_of(field))
                            .await?,
                    );
                }
                other => {
                    return Err(unprocessable(format!(
                        "{other}: not a field of this form (file)"
                    )));
                }
            }
        }
        replaced.ok_or_else(|| unprocessable("file: required (multipart field file)"))?
    } else {
        let limit = req.extensions().get::<JsonLimit>().map_or(1 << 20, |l| l.0);
        let DetailJson(changes) =
            DetailJson::<AssetChanges>::from_request(limited(req, limit).await?, &()).await?;
        app.courses.update_asset(&actor, id, &name, changes).await?
    };
    Ok(Json(asset.into()))
}

/// Deletes an asset; its activity in Moodle is hidden, deleted or left
/// (`LMS_DELETE_MODE`) by the course's next push.
#[utoipa::path(delete, path = "/api/courses/{course_id}/assets/{asset_name}", tag = "publisher",
    params(("course_id" = i64, Path), ("asset_name" = String, Path)),
    security(("bearer" = ["moodle:write"])),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such asset", body = Detail)))]
pub async fn delete_asset(
    State(app): State<AppState>,
    actor: Actor,
    Path((id, name)): Path<(String, String)>,
) -> Result<StatusCode, PublisherFailure> {
    let id = CourseId::from_route(&id)?;
    app.publisher.delete_asset(&actor, id, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn is_multipart(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// The request with its body read whole, at most `limit` bytes (413 beyond).
async fn limited(req: Request, limit: usize) -> Result<Request, PublisherFailure> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        PublisherFailure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the body is larger than the limit (or broke off)",
        )
    })?;
    Ok(Request::from_parts(parts, axum::body::Body::from(bytes)))
}

/// A multipart file part as an upload.
fn upload_of(
    field: axum::extract::multipart::Field<'_>,
) -> FileUpload<impl futures_util::Stream<Item = Result<bytes::Bytes, String>> + Unpin + '_> {
    FileUpload {
        filename: field.file_name().unwrap_or_default().to_owned(),
        content_type: field.content_type().map(str::to_owned),
        body: field.map(|r| r.map_err(|e| e.body_text())),
    }
}

fn unprocessable(detail: impl Into<String>) -> PublisherFailure {
    PublisherFailure::new(StatusCode::UNPROCESSABLE_ENTITY, detail)
}

/// A text field of the asset form, at most a few KiB.
async fn text(
    field: &mut axum::extract::multipart::Field<'_>,
    name: &str,
) -> Result<String, PublisherFailure> {
    text_field(field).await.map_err(|e| match e {
        TextFieldError::Body(e) => multipart_error(e),
        TextFieldError::TooLong => unprocessable(format!(
            "{name}: must be at most {MAX_TEXT_FIELD_BYTES} bytes"
        )),
        TextFieldError::NotUtf8 => unprocessable(format!("{name}: must be UTF-8 text")),
    })
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> PublisherFailure {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        PublisherFailure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the upload is larger than the limit",
        )
    } else {
        unprocessable(format!(
            "the multipart body is malformed: {}",
            e.body_text()
        ))
    }
}
