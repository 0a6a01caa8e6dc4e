//! Moodle's LTI 1.3 platform side (`mod/lti`) as the stand-in plays it: the seeded tool type
//! and activity, the platform key and JWKS, login initiation (`launch.php`,
//! `contentitem.php`), the OIDC authentication endpoint (`auth.php`), the token endpoint,
//! the NRPS and AGS services (`services.php`), the deep-linking return, dynamic
//! registration, and the few browser pages a person or a headless browser needs to reach a
//! launch (`login/index.php`, `my/`, `course/view.php`, `mod/lti/view.php`).
//!
//! It owns the LTI tables ([`LtiData`], kept in the site's [`State`](crate::state::State))
//! and the browser sessions' LTI and page data; users, courses, enrolments, capabilities and
//! the session records themselves (`PluginData::sessions`, shared with `local_logintoken`)
//! stay where the rest of the stand-in keeps them. Each file names the Moodle script whose
//! behaviour it copies; the answers are checked against `real-moodle-4.5.6-lti.jsonl` by
//! the conformance test.

mod auth;
mod claims;
mod data;
mod deeplink;
mod http;
mod keys;
mod keyset;
mod launch;
mod params;
mod php_jwt;
mod registration;
mod seed;
mod services;
mod token;
mod web;

use std::sync::Arc;

use axum::Router;
use axum::routing::{any, get};

pub use data::{
    AccessToken, Gbs, GradeGrade, GradeItem, Instance, Launch, LtiData, ToolType, TypeConfig,
    WebSession,
};
pub use keys::{PLATFORM_KID, platform_jwks};
pub use seed::install;

use crate::endpoints::Shared;

/// The recorded tool's base URL (`lti_seed.php` registers the tool there).
pub const RECORDED_TOOL_URL: &str = "http://127.0.0.1:8090";
/// The recorded tool type's client id (`lti_types.clientid`, `random_string(15)` on the
/// recorded site; the seed keeps it so answers match the recording).
pub const RECORDED_CLIENT_ID: &str = "9jaP3Q6PNFuPzAg";

/// How the seeded LTI 1.3 tool type is registered and what the platform offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LtiConfig {
    /// The tool's base URL, e.g. `http://127.0.0.1:8090`.
    pub tool_url: String,
    /// "Initiate login URL": a path under `tool_url`, or an absolute URL.
    pub login_path: String,
    /// "Tool URL" (the launch and first redirect URI): a path or an absolute URL.
    pub launch_path: String,
    /// "Content Selection URL" (deep linking, the second redirect URI): a path or a URL.
    pub deeplink_path: String,
    /// "Public keyset" URL: a path or an absolute URL.
    pub jwks_path: String,
    /// The tool type's client id.
    pub client_id: String,
    /// Whether login initiation offers LTI platform storage (`lti_storage_target`) and the
    /// activity page answers the postMessage storage protocol. Moodle 4.5 does not.
    pub storage_target: bool,
    /// Whether the activity "Bridge tool activity" (cm 8) exists in PHYS101. The REST
    /// recordings were made before it was added, the LTI recording after.
    pub activity: bool,
}

impl Default for LtiConfig {
    fn default() -> Self {
        LtiConfig {
            tool_url: RECORDED_TOOL_URL.to_owned(),
            login_path: "/lti/login".to_owned(),
            launch_path: "/lti/launch".to_owned(),
            deeplink_path: "/lti/deeplink".to_owned(),
            jwks_path: "/.well-known/jwks.json".to_owned(),
            client_id: RECORDED_CLIENT_ID.to_owned(),
            storage_target: false,
            activity: true,
        }
    }
}

impl LtiConfig {
    /// A configured path as a URL: absolute ones stay, others go under `tool_url`.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.tool_url.trim_end_matches('/'))
        }
    }
}

/// Capabilities `mod/lti/db/access.php` defines that the stand-in checks: (capability,
/// display name, archetypes).
const CAPABILITIES: &[(&str, &str, &[&str])] = &[
    (
        "mod/lti:view",
        "View External Tool activities",
        &["student", "teacher", "editingteacher", "manager"],
    ),
    (
        "mod/lti:manage",
        "Be an Instructor when the tool is launched",
        &["teacher", "editingteacher", "manager"],
    ),
    (
        "mod/lti:addcoursetool",
        "Add course-specific tool configurations",
        &["editingteacher", "manager"],
    ),
    (
        "mod/lti:admin",
        "Be an administrator when the tool is launched",
        &[],
    ),
];

/// The display name and archetypes of an LTI capability.
pub fn capability(capability: &str) -> Option<(&'static str, &'static [&'static str])> {
    CAPABILITIES
        .iter()
        .find(|(c, _, _)| *c == capability)
        .map(|(_, name, archetypes)| (*name, *archetypes))
}

/// The LTI scripts and the browser pages.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/mod/lti/openid-configuration.php",
            get(registration::configuration),
        )
        .route("/mod/lti/certs.php", get(keys::certs))
        .route("/mod/lti/launch.php", get(launch::launch))
        .route("/mod/lti/contentitem.php", get(launch::contentitem))
        .route("/mod/lti/auth.php", any(auth::handle))
        .route("/mod/lti/token.php", any(token::handle))
        .route("/mod/lti/services.php/{*path}", any(services::handle))
        .route(
            "/mod/lti/contentitem_return.php",
            any(deeplink::contentitem_return),
        )
        .route(
            "/mod/lti/startltiadvregistration.php",
            any(registration::start),
        )
        .route(
            "/mod/lti/openid-registration.php",
            any(registration::register),
        )
        .merge(web::routes())
}
