//! Operations routes, unauthenticated by design and free of data: `/health` (the process
//! answers), `/ready` (it can work: database, Moodle, circuit) and `/metrics` (Prometheus).

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::health::Readiness;
use crate::state::AppState;

/// `/health`'s answer.
#[derive(Serialize, ToSchema)]
pub struct Alive {
    /// Always `ok`.
    pub status: &'static str,
}

/// Liveness.
#[utoipa::path(get, path = "/health", tag = "operations", description = "The process is alive.",
    responses((status = 200, description = "Success", body = Alive)))]
pub async fn health() -> Json<Alive> {
    Json(Alive { status: "ok" })
}

/// Readiness.
#[utoipa::path(get, path = "/ready", tag = "operations",
    description = "Whether the service can work now: the database answers, Moodle is reachable and accepts the token, the circuit breaker is closed.",
    responses((status = 200, description = "Success", body = Readiness), (status = 503, description = "Not ready", body = Readiness)))]
pub async fn ready(State(app): State<AppState>) -> Response {
    let readiness = app.health.readiness().await;
    let status = if readiness.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(readiness)).into_response()
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    description = "Prometheus text exposition: requests by route and status, request and Moodle call latency, retries, circuit breaker state.",
    responses((status = 200, description = "Success", content_type = "text/plain", body = String)))]
pub async fn metrics(State(app): State<AppState>) -> Response {
    let text = app.metrics.render(app.gateway.moodle().breaker_state());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
