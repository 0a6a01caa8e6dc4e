//! The control endpoint for black-box tests: inject and clear faults, read and reset the
//! call counts, switch developer debugging. Everything lives under `/__sim/`, a path no
//! Moodle script uses.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::endpoints::Shared;
use crate::faults::FaultRule;

/// `/__sim/faults` (GET list, POST add, DELETE clear), `/__sim/calls` (GET, DELETE),
/// `/__sim/config` (POST `{"debug": bool, "maintenance": bool}`).
pub fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/__sim/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/__sim/calls", get(calls).delete(reset_calls))
        .route("/__sim/config", post(configure))
}

async fn list_faults(State(shared): State<Arc<Shared>>) -> Json<Vec<FaultRule>> {
    Json(shared.faults.rules())
}

async fn add_fault(State(shared): State<Arc<Shared>>, Json(rule): Json<FaultRule>) -> StatusCode {
    shared.faults.inject(rule);
    StatusCode::NO_CONTENT
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.faults.clear();
    StatusCode::NO_CONTENT
}

async fn calls(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!(shared.faults.all_calls()))
}

async fn reset_calls(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.faults.reset_calls();
    StatusCode::NO_CONTENT
}

/// Switches of the simulated site.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    debug: Option<bool>,
    maintenance: Option<bool>,
}

async fn configure(State(shared): State<Arc<Shared>>, Json(config): Json<Config>) -> StatusCode {
    let mut db = shared.db();
    if let Some(debug) = config.debug {
        db.site.debug = debug;
    }
    if let Some(maintenance) = config.maintenance {
        db.site.maintenance = maintenance;
    }
    StatusCode::NO_CONTENT
}
