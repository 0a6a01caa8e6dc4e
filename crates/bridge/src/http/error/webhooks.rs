//! The webhook routes' failures as HTTP: a wrong field 400 `invalidparameter` (naming it),
//! another caller's or a missing subscription 404 `notfound`, one too many 409
//! `toomanywebhooks`, the database 500.

use axum::http::StatusCode;
use serde_json::json;

use super::super::error::GatewayFailure;
use crate::webhooks::WebhookError;

impl From<WebhookError> for GatewayFailure {
    fn from(e: WebhookError) -> Self {
        match &e {
            WebhookError::Invalid { field, reason } => GatewayFailure::invalid(field, reason),
            WebhookError::NotFound(_) => {
                GatewayFailure::new(StatusCode::NOT_FOUND, "notfound", e.to_string())
            }
            WebhookError::TooMany(max) => {
                GatewayFailure::new(StatusCode::CONFLICT, "toomanywebhooks", e.to_string())
                    .with_details(json!({ "max": max }))
            }
            WebhookError::Db(_) => GatewayFailure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "unknown",
                "the bridge's database failed; try again",
            )
            .with_details(json!({ "reason": "database" }))
            .with_cause(e.to_string()),
        }
    }
}
