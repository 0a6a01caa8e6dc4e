//! [`AppState`]: what every handler can reach — the services, the limiters and the settings
//! the HTTP side needs — behind one `Arc`, so the per-request clones axum makes of the state
//! (every middleware and handler takes one) are one reference count, not one per service.
//! `app.rs` builds it; `http/` only reads it.

use std::sync::Arc;

use crate::audit::AuditLog;
use crate::auth::{Authenticator, RateLimiter};
use crate::config::HttpConfig;
use crate::gateway::Gateway;
use crate::health::Health;
use crate::lti_tool::LtiTool;
use crate::metrics::Metrics;
use crate::streams::StreamSlots;
use crate::token_login::TokenLogin;
use crate::webhooks::Webhooks;
use crate::{courses, file_manager, lms, publish};

/// What every handler can reach: [`Services`], shared.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    /// Shares `services` with every request.
    pub fn new(services: Services) -> AppState {
        AppState(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// The services, limiters and settings of the HTTP side.
pub struct Services {
    /// The Moodle gateway.
    pub gateway: Arc<Gateway>,
    /// Bearer-token checks.
    pub auth: Arc<Authenticator>,
    /// The per-caller rate limit.
    pub limiter: Arc<RateLimiter>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Readiness checks.
    pub health: Arc<Health>,
    /// Token login.
    pub token_login: Arc<TokenLogin>,
    /// The publisher's local course store.
    pub courses: Arc<courses::Courses>,
    /// LMS sites and sessions.
    pub lms: Arc<lms::Lms>,
    /// The publisher.
    pub publisher: publish::Publisher,
    /// The LTI tool.
    pub lti: Arc<LtiTool>,
    /// The file manager.
    pub file_manager: Arc<file_manager::FileManager>,
    /// The audit log, for writes made outside Moodle's web services (grades).
    pub audit: AuditLog,
    /// HTTP limits and the trusted proxies.
    pub http: Arc<HttpConfig>,
    /// The per-address rate limit of the public LTI routes.
    pub lti_limiter: Arc<RateLimiter>,
    /// Open server-sent event streams per caller.
    pub streams: Arc<StreamSlots>,
    /// Webhook subscriptions and Moodle's stored events.
    pub webhooks: Arc<Webhooks>,
}
