//! The HTTP side: every route in one function, grouped by who calls it and how it
//! authenticates, and the layers around them. Handlers live in the submodules and only
//! extract, call one service and answer.
//!
//! | group | routes | auth |
//! |---|---|---|
//! | gateway (`docs/contracts/gateway.md`) | `/api/moodle/*` | bearer JWT; reads `moodle:read`, writes `moodle:write` |
//! | publisher (`docs/contracts/publisher.md`, `publisher-sync.md`) | `/api/courses/*`, `/api/login-lms`, `/api/lms/*`, `/api/jobs/*`, `/api/sync/*` | bearer JWT as the gateway, plus `X-LMS-Token` where the contract has it; errors `{"detail": …}` |
//! | webhooks | `/api/webhooks`, `/api/webhooks/{id}`, `/api/webhooks/{id}/deliveries`, `/api/webhooks/{id}/replay`, `/api/events/stream` | bearer JWT with `webhooks:manage` (the stream: `events:read` or `webhooks:manage`); a caller sees only its own subscriptions |
//! | token login (`docs/contracts/token-login.md`) | `/api/auth/token-login`, `/api/auth/token-validate` | the Moodle token in the request; rate-limited per address |
//! | file manager (`docs/contracts/file-manager.md`) | `/get_learners`, `/get_user_files/{user_id}`, `/copy_moodle_files`, `/upload_files`, `/download_file/{file_id}`, `/delete_file/{file_id}`, `/list_uploaded_files`, `/files` | launch token (`X-Launch-Token`, its course only) or bearer JWT as the gateway; a download ticket on `/download_file`; errors `{"error", "code"}` |
//! | LTI services | `/lti/members`, `/lti/lineitems`, `/lti/scores` | launch token only (`X-Launch-Token`, staff, its course's services); errors `{"error", "code"}` |
//! | LTI (`docs/contracts/file-manager.md`) | `/lti/login`, `/login`, `/lti/launch`, `/launch`, `/lti/deeplink`, `/lti/register`, `/.well-known/jwks.json`, `/config.json`, `/ui/*` | none: public by protocol (the id_token and state are the credentials) |
//! | development | `/test_session`, `/test_moodle_api`, `/debug_routes`, `/launch_test` | only mounted with `BRIDGE_DEV` (the demo); 404 otherwise |
//! | operations | `/health`, `/ready`, `/metrics` | none (no data) |
//! | documentation | `/openapi.json`, `/docs` | none |

mod auth;
pub mod client_addr;
pub mod courses;
pub mod docs;
pub mod error;
pub mod extract;
pub mod file_manager;
pub mod gateway;
pub mod jobs;
pub mod lms;
pub mod lti;
pub mod lti_services;
pub mod observe;
pub mod ops;
pub mod publish;
pub mod token_login;
pub mod ui;
pub mod webhooks;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::Config;
use crate::state::AppState;
use error::GatewayFailure;
use file_manager::LaunchTokenScheme;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Moodle Bridge",
        description = "The integration layer between Moodle and other applications. Every `/api/moodle/` route takes `Authorization: Bearer <JWT>` and answers `{\"ok\": true, \"data\": …}` or `{\"ok\": false, \"error\": {\"code\", \"message\", \"details\"}}`."
    ),
    modifiers(&BearerScheme, &LaunchTokenScheme),
    tags(
        (name = "gateway", description = "Moodle web services as JSON (contract: docs/contracts/gateway.md)."),
        (name = "publisher", description = "Courses and assets kept here and pushed into Moodle (contracts: docs/contracts/publisher.md, publisher-sync.md); errors are `{\"detail\": …}`."),
        (name = "token login", description = "A Moodle web-service token to a bridge API token (contract: docs/contracts/token-login.md)."),
        (name = "file manager", description = "A course's learners and their Moodle files, copies into the bridge's storage, uploads, downloads (contract: docs/contracts/file-manager.md). A launch token (`X-Launch-Token`) sees its course only; errors are `{\"error\", \"code\"}`."),
        (name = "lti services", description = "The platform's grade book and course members, on behalf of a launch: Assignment and Grade Services and Names and Role Provisioning through the endpoints the launch brought. Only a teacher's or administrator's launch token (`X-Launch-Token`); errors are `{\"error\", \"code\"}`."),
        (name = "operations", description = "Health, readiness and metrics.")
    )
)]
struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The whole router, and the OpenAPI document it serves.
pub fn router(state: AppState, config: &Config) -> (Router, serde_json::Value) {
    let json_api = OpenApiRouter::new()
        .routes(routes!(gateway::site_info))
        .routes(routes!(gateway::list_courses, gateway::create_course))
        .routes(routes!(gateway::update_course))
        .routes(routes!(gateway::users_by_field))
        .routes(routes!(gateway::enrol))
        .routes(routes!(gateway::notifications))
        .routes(routes!(gateway::unread_count))
        .routes(routes!(gateway::attach_file))
        .bounded(config, gateway_timeout);
    // Uploads stream for as long as they take, up to their own size limit.
    let uploads = OpenApiRouter::new()
        .routes(routes!(gateway::upload_file))
        .layer(DefaultBodyLimit::max(config.http.max_upload_bytes));
    let api = json_api
        .merge(uploads)
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_bearer,
        ));
    // The publisher: bearer as above, `{"detail": …}` errors. Pushes and event streams run
    // for as long as they take (a push goes on when its client leaves); asset routes take
    // file uploads.
    let publisher_json = OpenApiRouter::new()
        .routes(routes!(courses::list_courses, courses::create_course))
        .routes(routes!(
            courses::get_course,
            courses::update_course,
            courses::delete_course
        ))
        .routes(routes!(lms::login_lms))
        .routes(routes!(lms::validate))
        .routes(routes!(lms::me))
        .routes(routes!(lms::logout))
        .routes(routes!(jobs::get_job))
        .routes(routes!(publish::sync_course))
        .routes(routes!(publish::sync_status))
        .routes(routes!(publish::retry_failed))
        .bounded(config, publisher_timeout);
    let publisher_assets = OpenApiRouter::new()
        .routes(routes!(courses::list_assets, courses::create_asset))
        .routes(routes!(
            courses::get_asset,
            courses::update_asset,
            courses::delete_asset
        ))
        .layer(axum::Extension(courses::JsonLimit(
            config.http.max_body_bytes,
        )))
        .layer(DefaultBodyLimit::max(config.http.max_upload_bytes));
    let publisher_long = OpenApiRouter::new()
        .routes(routes!(publish::push_course))
        .routes(routes!(publish::publish_inline))
        .routes(routes!(jobs::job_events))
        .layer(DefaultBodyLimit::max(config.http.max_body_bytes));
    let publisher = publisher_json
        .merge(publisher_assets)
        .merge(publisher_long)
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_bearer_detail,
        ));
    // The Moodle token in the request is the credential: no bearer layer.
    let token_login = OpenApiRouter::new()
        .routes(routes!(token_login::token_login))
        .routes(routes!(token_login::token_validate))
        .bounded(config, gateway_timeout);
    // Webhook subscriptions (`webhooks:manage`) and the event stream (`events:read`), which
    // lives as long as EVENT_STREAM_MAX_SECONDS allows.
    let webhook_routes = OpenApiRouter::new()
        .routes(routes!(webhooks::create_webhook, webhooks::list_webhooks))
        .routes(routes!(
            webhooks::get_webhook,
            webhooks::update_webhook,
            webhooks::delete_webhook
        ))
        .routes(routes!(webhooks::list_deliveries))
        .routes(routes!(webhooks::replay))
        .bounded(config, gateway_timeout)
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_webhooks,
        ));
    let event_stream = OpenApiRouter::new()
        .routes(routes!(webhooks::event_stream))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_events,
        ));
    let operations = OpenApiRouter::new()
        .routes(routes!(ops::health))
        .routes(routes!(ops::ready))
        .routes(routes!(ops::metrics));
    // The file manager at the seed's root paths: a launch token or a bearer token.
    let file_manager = file_manager::routes(
        config.http.max_body_bytes,
        config.http.upload_max_total_bytes,
    )
    .route_layer(middleware::from_fn_with_state(
        state.clone(),
        file_manager::require_caller,
    ));
    // The platform's services for a launch: a staff launch token only.
    let lti_services = lti_services::routes()
        .bounded(config, gateway_timeout)
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            lti_services::require_staff_launch,
        ));
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(api)
        .merge(publisher)
        .merge(token_login)
        .merge(file_manager)
        .merge(lti_services)
        .merge(webhook_routes)
        .merge(event_stream)
        .merge(operations)
        .split_for_parts();
    // LTI: public by protocol (the platform's signed id_token and the state are the credentials).
    let lti = Router::new()
        .route("/lti/login", get(lti::login).post(lti::login))
        .route("/login", get(lti::login).post(lti::login))
        .route("/lti/launch", post(lti::launch))
        .route("/launch", post(lti::launch))
        .route("/lti/deeplink", post(lti::launch))
        .route("/lti/register", get(lti::register))
        .route("/.well-known/jwks.json", get(lti::jwks))
        .route("/config.json", get(lti::config_json))
        .route("/ui/{name}", get(ui::asset))
        .layer(DefaultBodyLimit::max(lti::MAX_LTI_BODY_BYTES));
    let router = if config.lti.dev {
        router.merge(lti).merge(lti::dev_routes())
    } else {
        router.merge(lti)
    };
    let spec = serde_json::to_value(&openapi).unwrap_or_default();
    let page = docs::render(&spec);
    let spec_for_route = spec.clone();
    let router = router
        .route(
            "/openapi.json",
            get(move || async move { axum::Json(spec_for_route) }),
        )
        .route("/docs", get(move || async move { Html(page) }))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            observe::observe,
        ));
    let router = match cors(&config.cors_origins) {
        Some(layer) => router.layer(layer),
        None => router,
    };
    (router.with_state(state), spec)
}

/// CORS for the configured browser origins; `None` (no CORS headers at all) without any.
fn cors(origins: &[String]) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PATCH,
                Method::PUT,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                HeaderName::from_static("x-lms-token"),
                HeaderName::from_static("x-lms-site"),
                observe::X_REQUEST_ID.clone(),
            ])
            .expose_headers([
                observe::X_REQUEST_ID.clone(),
                header::RETRY_AFTER,
                header::LOCATION,
            ])
            .max_age(Duration::from_secs(600)),
    )
}

/// The bounds of a route group that answers within `HTTP_REQUEST_TIMEOUT`: a body of at most
/// `max_body_bytes`, and a request that takes longer ended with the group's 504 `answer`.
trait Bounded {
    fn bounded(self, config: &Config, answer: fn() -> Response) -> Self;
}

impl Bounded for OpenApiRouter<AppState> {
    fn bounded(self, config: &Config, answer: fn() -> Response) -> Self {
        self.layer(DefaultBodyLimit::max(config.http.max_body_bytes))
            .layer(middleware::from_fn_with_state(
                TimeLimit {
                    limit: config.http.request_timeout,
                    answer,
                },
                time_limit,
            ))
    }
}

/// Ends a request that takes longer than its route group's limit with that group's 504
/// answer (`answer`): one middleware for every group that has a time limit.
#[derive(Clone, Copy)]
struct TimeLimit {
    limit: Duration,
    answer: fn() -> Response,
}

async fn time_limit(State(t): State<TimeLimit>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(t.limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => (t.answer)(),
    }
}

/// The gateway's (and token login's and the LTI services') answer to a request that took
/// too long.
fn gateway_timeout() -> Response {
    GatewayFailure::new(
        StatusCode::GATEWAY_TIMEOUT,
        "unknown",
        "the request took too long",
    )
    .with_details(json!({ "reason": "request_timeout" }))
    .into_response()
}

/// The publisher's answer to a request that took too long (`{"detail": …}`).
fn publisher_timeout() -> Response {
    error::PublisherFailure::new(StatusCode::GATEWAY_TIMEOUT, "the request took too long")
        .into_response()
}

async fn not_found() -> GatewayFailure {
    GatewayFailure::new(StatusCode::NOT_FOUND, "notfound", "no such route")
}
