//! The seed's development routes, mounted only in development mode (the demo, or
//! `BRIDGE_DEV=1`; 404 otherwise): `/test_session` (what a launch token says),
//! `/test_moodle_api` (the bridge's Moodle answers), `/debug_routes` (every route) and
//! `/launch_test` (the file manager with a made-up launch, without Moodle's login).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::extract::AppQuery;
use super::super::ui;
use crate::lti_tool::{LaunchClaims, RoleFlags};
use crate::state::AppState;

/// Every route of the service, for `/debug_routes`.
const ROUTES: &[(&str, &str)] = &[
    ("GET|POST", "/lti/login, /login"),
    ("POST", "/lti/launch, /launch, /lti/deeplink"),
    ("GET", "/lti/register"),
    ("GET", "/.well-known/jwks.json"),
    ("GET", "/config.json"),
    ("GET", "/get_learners"),
    ("GET", "/get_user_files/{user_id}"),
    ("POST", "/copy_moodle_files"),
    ("POST", "/upload_files"),
    ("GET", "/download_file/{file_id}"),
    ("DELETE", "/delete_file/{file_id}"),
    ("GET", "/list_uploaded_files"),
    ("GET", "/files"),
    ("GET", "/ui/{asset}"),
    (
        "*",
        "/api/moodle/*, /api/courses/*, /api/login-lms, /api/lms/*, /api/jobs/*, /api/sync/*, /api/auth/*",
    ),
    ("GET", "/health, /ready, /metrics, /openapi.json, /docs"),
    (
        "GET",
        "/test_session, /test_moodle_api, /debug_routes, /launch_test (development only)",
    ),
];

/// The development routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/test_session", get(test_session))
        .route("/test_moodle_api", get(test_moodle_api))
        .route("/debug_routes", get(debug_routes))
        .route("/launch_test", get(launch_test))
}

async fn test_session(State(app): State<AppState>, headers: HeaderMap) -> Json<Value> {
    let token = headers.get("x-launch-token").and_then(|v| v.to_str().ok());
    Json(match token.map(|t| app.lti.tokens().verify(t)) {
        None => json!({"launch": null, "reason": "no X-Launch-Token header"}),
        Some(Ok(claims)) => json!({"launch": claims}),
        Some(Err(e)) => json!({"launch": null, "reason": e.to_string()}),
    })
}

async fn test_moodle_api(State(app): State<AppState>) -> Response {
    match app.gateway.moodle().get_site_info().await {
        Ok(info) => Json(json!({
            "ok": true, "sitename": info.sitename, "release": info.release,
            "username": info.username, "functions": info.functions.len(),
        }))
        .into_response(),
        Err(e) => (
            StatusCode::BAD_GATEWAY,
            Json(json!({"ok": false, "error": crate::http::error::moodle::answer(&e).code})),
        )
            .into_response(),
    }
}

async fn debug_routes() -> Json<Value> {
    Json(
        ROUTES
            .iter()
            .map(|(m, p)| json!({"methods": m, "paths": p}))
            .collect(),
    )
}

#[derive(Debug, Deserialize)]
struct LaunchTest {
    #[serde(default = "default_course")]
    course_id: i64,
    #[serde(default = "default_user")]
    user_id: i64,
    #[serde(default = "default_platform")]
    platform: String,
}

fn default_course() -> i64 {
    2
}

fn default_user() -> i64 {
    2
}

fn default_platform() -> String {
    "default".to_owned()
}

async fn launch_test(State(app): State<AppState>, AppQuery(q): AppQuery<LaunchTest>) -> Response {
    let claims = LaunchClaims {
        sub: q.user_id.to_string(),
        reg: q.platform,
        dep: "1".to_owned(),
        ctx: q.course_id.to_string(),
        course: Some(q.course_id),
        rlid: None,
        roles: RoleFlags {
            administrator: true,
            instructor: true,
            learner: false,
        },
        name: Some("Launch test".to_owned()),
        origin: "'self'".to_owned(),
        iat: 0,
        exp: 0,
        jti: String::new(),
    };
    let Ok((token, claims)) = app.lti.tokens().issue(claims, app.lti.now()) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let base = app.lti.tool().base_url.to_string();
    let config = json!({
        "token": token, "expires_at": claims.exp, "base": base, "course_id": claims.course,
        "user_name": claims.name, "storage_check": null, "max_file_bytes": app.file_manager.max_file_bytes(),
    });
    ui::file_manager(&base, &config, &claims.origin)
}
