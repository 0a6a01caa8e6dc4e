//! The platform's LTI Advantage services for the file manager's page: `GET /lti/members`
//! (Names and Role Provisioning), `GET|POST /lti/lineitems` and `POST /lti/scores`
//! (Assignment and Grade Services). Only a launch token (`X-Launch-Token`) of an
//! administrator or instructor opens them, and each call is about that launch's own context:
//! the service URLs are the ones its platform put in the launch, never the caller's. Errors
//! are the file manager's `{"error", "code"}`; handlers call `lti_tool` and answer.

use axum::Json;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lti::ServiceError;
use lti::ags::{ActivityProgress, GradingProgress, LineItem, LineItemFilter};
use lti::nrps::Member;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::client_addr::ClientAddr;
use super::error::{FileManagerFailure, FileProblem};
use super::extract::{AppJson, AppQuery, RequestId};
use super::file_manager::LAUNCH_TOKEN_HEADER;
use crate::audit::{Actor, Event};
use crate::lti_tool::{LaunchClaims, NewLineItem, NewScore, ServiceCallError};
use crate::state::AppState;

/// The routes, before their authentication layer.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_members))
        .routes(routes!(list_line_items, create_line_item))
        .routes(routes!(post_score))
}

/// A staff launch, as the layer checked it.
#[derive(Debug, Clone)]
pub struct StaffLaunch(pub LaunchClaims);

impl<S: Send + Sync> FromRequestParts<S> for StaffLaunch {
    type Rejection = FileManagerFailure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<StaffLaunch>()
            .cloned()
            .ok_or_else(FileManagerFailure::no_launch_token)
    }
}

/// The layer: a valid launch token of a still-registered deployment (401), of staff (403),
/// within the rate limit (429).
///
/// # Errors
/// As above.
pub async fn require_staff_launch(
    State(app): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, FileManagerFailure> {
    let claims = match launch_token(req.headers()) {
        Some(token) => app.lti.verify_launch_token(token).await?,
        None => return Err(FileManagerFailure::no_launch_token()),
    };
    if !claims.is_staff() {
        return Err(FileManagerFailure::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "course members and grades are for teachers and administrators",
        ));
    }
    let subject = format!("lti:{}:{}", claims.reg, claims.sub);
    app.limiter
        .check(&format!("lti:{subject}"))
        .map_err(|wait| FileManagerFailure::rate_limited(wait.as_secs()))?;
    tracing::Span::current().record("subject", subject.as_str());
    req.extensions_mut().insert(StaffLaunch(claims));
    Ok(next.run(req).await)
}

fn launch_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(LAUNCH_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The error answer of a service call.
fn problem(e: ServiceCallError) -> FileManagerFailure {
    let cause = e.to_string();
    let (status, code) = match &e {
        ServiceCallError::NotGranted(_) | ServiceCallError::NoLineItems => {
            (StatusCode::CONFLICT, "servicenotgranted")
        }
        ServiceCallError::NoLineItem => (StatusCode::CONFLICT, "nolineitem"),
        ServiceCallError::ForeignLineItem => (StatusCode::FORBIDDEN, "foreignlineitem"),
        ServiceCallError::Invalid { field, reason } => {
            return FileManagerFailure::invalid(field, reason);
        }
        // The launch's platform was removed since: as for the file routes.
        ServiceCallError::UnknownPlatform(_) => (StatusCode::FORBIDDEN, "unknownplatform"),
        ServiceCallError::Database(_) => {
            return FileManagerFailure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "databaseunavailable",
                "the launch's services cannot be read now; try again shortly",
            )
            .with_cause(cause);
        }
        ServiceCallError::Platform(p) => match p {
            ServiceError::NotOffered { .. } => (StatusCode::CONFLICT, "servicenotgranted"),
            ServiceError::ScoreNotNewer => (StatusCode::CONFLICT, "scorenotnewer"),
            ServiceError::ScoreRejected => (StatusCode::UNPROCESSABLE_ENTITY, "scorerejected"),
            ServiceError::Key(_) => {
                return FileManagerFailure::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "servererror",
                    "the bridge cannot sign its request for an access token",
                )
                .with_cause(cause);
            }
            ServiceError::TokenRejected { .. } => (StatusCode::BAD_GATEWAY, "platformtokenrefused"),
            _ => (StatusCode::BAD_GATEWAY, "platformerror"),
        },
    };
    let message = match &e {
        // The lti crate's messages hold no token, assertion or URL with credentials.
        ServiceCallError::Platform(p) if status == StatusCode::BAD_GATEWAY => {
            format!("the platform's services failed: {p}")
        }
        _ => cause.clone(),
    };
    FileManagerFailure::new(status, code, message).with_cause(cause)
}

/// `?role=&limit=` of the members list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembersParams {
    /// Only members with this role (`Learner`, `Instructor`, or a full role URI).
    #[serde(default)]
    role: Option<String>,
    /// Members per page asked of the platform (every page is read either way).
    #[serde(default)]
    limit: Option<u32>,
}

/// A member of the launch's course.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberReply {
    /// The platform's user id (Moodle: the user id; a launch's `sub`, a score's `userId`).
    pub user_id: String,
    /// Full name, when the platform shares it.
    pub name: Option<String>,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Email, when the platform shares it.
    pub email: Option<String>,
    /// `Active` or `Inactive`.
    pub status: Option<String>,
    /// The roles as the platform names them (Moodle: `Learner`, `Instructor`).
    pub roles: Vec<String>,
    /// Whether a role is a learner's.
    pub learner: bool,
    /// Whether a role is an instructor's.
    pub instructor: bool,
}

impl From<Member> for MemberReply {
    fn from(m: Member) -> Self {
        MemberReply {
            learner: m.roles.is_learner(),
            instructor: m.roles.is_instructor(),
            roles: m.roles.iter().map(str::to_owned).collect(),
            user_id: m.user_id,
            name: m.name,
            given_name: m.given_name,
            family_name: m.family_name,
            email: m.email,
            status: m.status,
        }
    }
}

/// The members of the launch's course (Names and Role Provisioning), every page.
#[utoipa::path(get, path = "/lti/members", tag = "lti services",
    params(("role" = Option<String>, Query, description = "Only this role (`Learner`, `Instructor`, or a role URI)"),
        ("limit" = Option<u32>, Query, description = "Members per page asked of the platform")),
    security(("launch" = [])),
    responses((status = 200, description = "The course's members, in the platform's order", body = Vec<MemberReply>),
        (status = 403, description = "Not a teacher's or administrator's launch", body = FileProblem),
        (status = 409, description = "The platform did not grant Names and Role Provisioning to this launch", body = FileProblem),
        (status = 502, description = "The platform (its token endpoint or the service) failed, with the reason", body = FileProblem),
        (status = "4XX", description = "Refused", body = FileProblem)))]
pub async fn list_members(
    State(app): State<AppState>,
    StaffLaunch(claims): StaffLaunch,
    AppQuery(q): AppQuery<MembersParams>,
) -> Result<Json<Vec<MemberReply>>, FileManagerFailure> {
    let members = app
        .lti
        .members(&claims, q.role, q.limit)
        .await
        .map_err(problem)?;
    Ok(Json(members.into_iter().map(MemberReply::from).collect()))
}

/// A line item (a grade column) of the launch's course.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LineItemReply {
    /// Its URL: the `lineitem` of `POST /lti/scores`.
    pub id: Option<String>,
    /// The column title.
    pub label: String,
    /// The maximum score.
    pub score_maximum: f64,
    /// The tool's id for the graded thing.
    pub resource_id: Option<String>,
    /// The tool's tag.
    pub tag: Option<String>,
    /// The resource link (activity) it belongs to.
    pub resource_link_id: Option<String>,
}

impl From<LineItem> for LineItemReply {
    fn from(i: LineItem) -> Self {
        LineItemReply {
            id: i.id,
            label: i.label,
            score_maximum: i.score_maximum,
            resource_id: i.resource_id.filter(|s| !s.is_empty()),
            tag: i.tag.filter(|s| !s.is_empty()),
            resource_link_id: i.resource_link_id.filter(|s| !s.is_empty()),
        }
    }
}

/// `?resource_id=&tag=` of the line items list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineItemsParams {
    /// Only line items with this `resourceId`.
    #[serde(default)]
    resource_id: Option<String>,
    /// Only line items with this `tag`.
    #[serde(default)]
    tag: Option<String>,
}

/// The line items of the launch's course (Assignment and Grade Services).
#[utoipa::path(get, path = "/lti/lineitems", tag = "lti services",
    params(("resource_id" = Option<String>, Query), ("tag" = Option<String>, Query)),
    security(("launch" = [])),
    responses((status = 200, description = "The course's line items the tool may see", body = Vec<LineItemReply>),
        (status = 403, description = "Not a teacher's or administrator's launch", body = FileProblem),
        (status = 409, description = "The platform did not grant Assignment and Grade Services (or no line items container) to this launch", body = FileProblem),
        (status = 502, description = "The platform (its token endpoint or the service) failed, with the reason", body = FileProblem),
        (status = "4XX", description = "Refused", body = FileProblem)))]
pub async fn list_line_items(
    State(app): State<AppState>,
    StaffLaunch(claims): StaffLaunch,
    AppQuery(q): AppQuery<LineItemsParams>,
) -> Result<Json<Vec<LineItemReply>>, FileManagerFailure> {
    let filter = LineItemFilter {
        resource_id: q.resource_id,
        tag: q.tag,
        resource_link_id: None,
    };
    let items = app
        .lti
        .line_items(&claims, &filter)
        .await
        .map_err(problem)?;
    Ok(Json(items.into_iter().map(LineItemReply::from).collect()))
}

/// A line item to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateLineItem {
    /// The column title.
    pub label: String,
    /// The maximum score (above 0).
    pub score_maximum: f64,
    /// The tool's id for the graded thing.
    #[serde(default)]
    pub resource_id: Option<String>,
    /// The tool's tag.
    #[serde(default)]
    pub tag: Option<String>,
}

/// Creates a line item in the launch's course (Moodle: a grade item of the course).
#[utoipa::path(post, path = "/lti/lineitems", tag = "lti services", request_body = CreateLineItem,
    security(("launch" = [])),
    responses((status = 201, description = "Created, as the platform stored it", body = LineItemReply),
        (status = 400, description = "A field is wrong", body = FileProblem),
        (status = 403, description = "Not a teacher's or administrator's launch", body = FileProblem),
        (status = 409, description = "The platform did not grant Assignment and Grade Services (or no line items container) to this launch", body = FileProblem),
        (status = 502, description = "The platform (its token endpoint or the service) failed, with the reason", body = FileProblem),
        (status = "4XX", description = "Refused", body = FileProblem)))]
pub async fn create_line_item(
    State(app): State<AppState>,
    StaffLaunch(claims): StaffLaunch,
    request_id: Option<axum::Extension<RequestId>>,
    client: ClientAddr,
    AppJson(body): AppJson<CreateLineItem>,
) -> Result<Response, FileManagerFailure> {
    let label = body.label.clone();
    let created = app
        .lti
        .create_line_item(
            &claims,
            NewLineItem {
                label: body.label,
                score_maximum: body.score_maximum,
                resource_id: body.resource_id,
                tag: body.tag,
            },
        )
        .await
        .map_err(problem);
    let ids = serde_json::json!({
        "context": claims.ctx, "label": label,
        "lineitem": created.as_ref().ok().map(|c| c.id.clone()),
    });
    audit(
        &app,
        &claims,
        "POST /lti/lineitems",
        request_id,
        client,
        ids,
        created.as_ref().err(),
    )
    .await;
    Ok((StatusCode::CREATED, Json(LineItemReply::from(created?))).into_response())
}

/// Records a grade-book write in the audit log: who (the launch's user on its platform),
/// which course and line item, and how it ended.
async fn audit(
    app: &AppState,
    claims: &LaunchClaims,
    route: &str,
    request_id: Option<axum::Extension<RequestId>>,
    ClientAddr(client): ClientAddr,
    ids: serde_json::Value,
    error: Option<&FileManagerFailure>,
) {
    let actor = Actor {
        subject: format!("lti:{}:{}", claims.reg, claims.sub),
        source: "launch",
        route: route.to_owned(),
        request_id: request_id.map(|axum::Extension(id)| id.0),
        client: Some(client.to_string()),
    };
    let outcome = error.map_or("ok", |e| e.outcome().1);
    app.audit
        .record(
            &actor,
            Event {
                function: None,
                object_ids: ids,
                outcome,
            },
        )
        .await;
}

/// A learner's progress with the activity (AGS `activityProgress`).
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[allow(missing_docs)]
pub enum ActivityProgressIn {
    Initialized,
    Started,
    InProgress,
    Submitted,
    Completed,
}

impl From<ActivityProgressIn> for ActivityProgress {
    fn from(p: ActivityProgressIn) -> Self {
        match p {
            ActivityProgressIn::Initialized => ActivityProgress::Initialized,
            ActivityProgressIn::Started => ActivityProgress::Started,
            ActivityProgressIn::InProgress => ActivityProgress::InProgress,
            ActivityProgressIn::Submitted => ActivityProgress::Submitted,
            ActivityProgressIn::Completed => ActivityProgress::Completed,
        }
    }
}

/// The grading status (AGS `gradingProgress`; Moodle stores a grade only when `FullyGraded`).
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[allow(missing_docs)]
pub enum GradingProgressIn {
    FullyGraded,
    Pending,
    PendingManual,
    Failed,
    NotReady,
}

impl From<GradingProgressIn> for GradingProgress {
    fn from(p: GradingProgressIn) -> Self {
        match p {
            GradingProgressIn::FullyGraded => GradingProgress::FullyGraded,
            GradingProgressIn::Pending => GradingProgress::Pending,
            GradingProgressIn::PendingManual => GradingProgress::PendingManual,
            GradingProgressIn::Failed => GradingProgress::Failed,
            GradingProgressIn::NotReady => GradingProgress::NotReady,
        }
    }
}

/// A score to publish; the bridge stamps it with the current time.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScoreRequest {
    /// The learner: the platform's user id (a member's `user_id`).
    pub user_id: String,
    /// The points given (at least 0).
    #[serde(default)]
    pub score_given: Option<f64>,
    /// The points possible (above 0; required with `scoreGiven`).
    #[serde(default)]
    pub score_maximum: Option<f64>,
    /// A comment for the learner.
    #[serde(default)]
    pub comment: Option<String>,
    /// `Completed` when not given.
    #[serde(default)]
    pub activity_progress: Option<ActivityProgressIn>,
    /// `FullyGraded` when not given.
    #[serde(default)]
    pub grading_progress: Option<GradingProgressIn>,
    /// The line item (an `id` of `GET /lti/lineitems`); the launched activity's own when not
    /// given.
    #[serde(default)]
    pub lineitem: Option<String>,
}

/// The answer of a published score.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreReply {
    /// Always `true`.
    pub posted: bool,
    /// The line item it went to.
    pub lineitem: String,
    /// The score's timestamp (RFC 3339).
    pub timestamp: String,
}

/// Publishes a score to the launched activity's line item, or to another line item of the
/// launch's course.
#[utoipa::path(post, path = "/lti/scores", tag = "lti services", request_body = ScoreRequest,
    security(("launch" = [])),
    responses((status = 200, description = "The platform accepted the score", body = ScoreReply),
        (status = 400, description = "A field is wrong", body = FileProblem),
        (status = 403, description = "Not a teacher's or administrator's launch, or `lineitem` is not one of the course's", body = FileProblem),
        (status = 409, description = "The platform did not grant Assignment and Grade Services, the launch has no line item of its own and none was named, or the platform has a score at least as new", body = FileProblem),
        (status = 422, description = "The platform refused the score (unknown or not gradable user)", body = FileProblem),
        (status = 502, description = "The platform (its token endpoint or the service) failed, with the reason", body = FileProblem),
        (status = "4XX", description = "Refused", body = FileProblem)))]
pub async fn post_score(
    State(app): State<AppState>,
    StaffLaunch(claims): StaffLaunch,
    request_id: Option<axum::Extension<RequestId>>,
    client: ClientAddr,
    AppJson(body): AppJson<ScoreRequest>,
) -> Result<Json<ScoreReply>, FileManagerFailure> {
    let (user, given, named) = (
        body.user_id.clone(),
        body.score_given,
        body.lineitem.clone(),
    );
    let posted = app
        .lti
        .post_score(
            &claims,
            NewScore {
                user_id: body.user_id,
                score_given: body.score_given,
                score_maximum: body.score_maximum,
                comment: body.comment,
                activity_progress: body.activity_progress.map(Into::into),
                grading_progress: body.grading_progress.map(Into::into),
                lineitem: body.lineitem,
            },
        )
        .await
        .map_err(problem);
    let ids = serde_json::json!({
        "context": claims.ctx, "user_id": user, "score_given": given,
        "lineitem": posted.as_ref().ok().map_or(named, |p| Some(p.lineitem.clone())),
    });
    audit(
        &app,
        &claims,
        "POST /lti/scores",
        request_id,
        client,
        ids,
        posted.as_ref().err(),
    )
    .await;
    let posted = posted?;
    Ok(Json(ScoreReply {
        posted: true,
        lineitem: posted.lineitem,
        timestamp: posted.timestamp,
    }))
}
