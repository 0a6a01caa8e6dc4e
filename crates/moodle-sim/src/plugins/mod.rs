//! The project's two Moodle plugins as the stand-in runs them: `local_logintoken` (token
//! login, `moodle-plugin/local_logintoken/`) and `local_bridge` (content and file functions,
//! `moodle-plugin/local_bridge/`). Each answers with the same parameters, results, errors and
//! statuses as the PHP plugin on a real Moodle (checked by `scripts/real-moodle-plugins`).
//!
//! Either plugin can be "not installed" ([`Plugins`]): its functions are then unknown to the
//! site (`invalidrecord`, as for any function Moodle does not have) and its scripts answer 404.
//! This module owns the install step, the plugins' settings and run-time data
//! ([`PluginData`], `local_bridge`'s event outbox included) and their routes; Moodle's core
//! behaviour stays in the rest of the crate, which reports the changes `local_bridge` records as
//! events through [`Change`] (`State::emit`).

mod bridge;
mod control;
mod data;
mod logintoken;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::routing::any;

pub use bridge::events::{AdminChange, Change, EventRow, GradeItemRef, Outbox, RequestOrigin};
pub use data::{FailedAttempts, LoginFailedEvent, PluginData, Session};

use crate::endpoints::Shared;
use crate::errors::WsError;
use crate::functions::FunctionCatalog;
use crate::state::{Service, State};
use crate::ws::FunctionDef;

/// Which of the project's plugins the site has installed (both by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plugins {
    /// `local_logintoken`: `auth/logintoken.php` and the `local_logintoken_*` functions.
    pub logintoken: bool,
    /// `local_bridge`: the `local_bridge_*` functions and `download.php`.
    pub bridge: bool,
}

impl Default for Plugins {
    fn default() -> Self {
        Plugins::all()
    }
}

impl Plugins {
    /// Both plugins installed.
    pub fn all() -> Self {
        Plugins {
            logintoken: true,
            bridge: true,
        }
    }

    /// Neither plugin installed: the site as the recordings were made.
    pub fn none() -> Self {
        Plugins {
            logintoken: false,
            bridge: false,
        }
    }
}

/// `local_logintoken`'s version (`$plugin->version`), as `core_webservice_get_site_info`
/// reports it for its functions.
pub const LOGINTOKEN_VERSION: &str = "2026120700";

/// `local_bridge`'s version (`$plugin->version`).
pub const BRIDGE_VERSION: &str = "2026122000";

/// Capabilities the plugins define in `db/access.php`: (capability, display name, archetypes).
pub const CAPABILITIES: &[(&str, &str, &[&str])] = &[
    (
        "local/logintoken:usetoken",
        "Log in with a web service token",
        &["user"],
    ),
    (
        "local/bridge:viewuserfiles",
        "List and download learners' private and submission files",
        &["editingteacher", "manager"],
    ),
];

/// Installs the plugins into a seeded site, as Moodle's upgrade does (functions registered,
/// the "Login Token" service made, settings given their defaults), then adds their functions
/// to the `bridge` service, as `scripts/real-moodle-plugins` does on a real site.
pub fn install(
    plugins: Plugins,
    catalog: &mut FunctionCatalog,
    registry: &mut HashMap<&'static str, FunctionDef>,
    state: &mut State,
) {
    state.plugins.installed = plugins;
    let mut added = Vec::new();
    if plugins.logintoken {
        for def in logintoken::functions() {
            catalog.add(def.name, "local_logintoken", LOGINTOKEN_VERSION);
            registry.insert(def.name, def);
            added.push(def.name.to_owned());
        }
        let id = state.seq.next("external_services");
        state.services.insert(
            id,
            Service {
                id,
                name: "Login Token".to_owned(),
                shortname: "local_logintoken".to_owned(),
                enabled: true,
                restrictedusers: false,
                downloadfiles: false,
                uploadfiles: false,
                functions: added.clone(),
            },
        );
        logintoken::default_settings(&mut state.plugins);
    }
    if plugins.bridge {
        for def in bridge::functions() {
            catalog.add(def.name, "local_bridge", BRIDGE_VERSION);
            registry.insert(def.name, def);
            added.push(def.name.to_owned());
        }
        bridge::default_settings(&mut state.plugins);
    }
    if let Some(service) = state
        .services
        .values_mut()
        .find(|s| s.shortname == "bridge")
    {
        service.functions.extend(added);
    }
}

/// The plugins' scripts (only those of installed plugins; the others are 404 like any
/// missing file).
pub fn routes(plugins: Plugins) -> Router<Arc<Shared>> {
    let mut router = Router::new();
    if plugins.logintoken {
        router = router.route(logintoken::ENTRY_PATH, any(logintoken::handle_entry));
    }
    if plugins.bridge {
        router = router.route(bridge::DOWNLOAD_PATH, any(bridge::handle_download));
    }
    router
}

/// The control endpoints for the plugins' fixtures (`/__sim/plugins/*`).
pub fn control_routes() -> Router<Arc<Shared>> {
    control::router()
}

/// A web-service call by a token's user starts: the events its changes cause have origin
/// `ws` and carry the token's service (`local\events\origin`).
pub(crate) fn begin_ws_request(state: &mut State, token: &crate::state::Token) {
    let service = state
        .services
        .get(&token.serviceid)
        .map(|s| s.shortname.clone())
        .unwrap_or_default();
    state
        .plugins
        .outbox
        .begin_ws(&token.token, &service, token.userid);
}

/// The first `$version` of Moodle 5.0.
const MOODLE_50: i64 = 2025041400;

/// `new dml_missing_record_exception($table, $sql)` as the site raises it when the plugins look a
/// record up with `MUST_EXIST`: the table's own code (`invalidrecord` naming the table,
/// `invaliduser`, `invalidcoursemodule`), or, from Moodle 5.0 on without debugging,
/// `invalidrecordunknown` naming no table (lib/dmllib.php).
pub(crate) fn missing_record(state: &State, table: &str, debuginfo: String) -> WsError {
    let (code, message) = if moodle_5(state) && !state.site.debug {
        (
            "invalidrecordunknown",
            "Can't find data record in database.".to_owned(),
        )
    } else {
        match table {
            "user" => ("invaliduser", "Invalid user".to_owned()),
            "course_modules" => ("invalidcoursemodule", "Invalid course module ID".to_owned()),
            _ => (
                "invalidrecord",
                format!("Can't find data record in database table {table}."),
            ),
        }
    };
    WsError::new("dml_missing_record_exception", code, message).with_debuginfo(debuginfo)
}

/// Whether the site runs Moodle 5.0 or later (`$CFG->version`).
pub(crate) fn moodle_5(state: &State) -> bool {
    let version = state
        .site
        .version
        .split('.')
        .next()
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    version >= MOODLE_50
}

/// The display name and archetypes of a plugin capability.
pub fn capability(capability: &str) -> Option<(&'static str, &'static [&'static str])> {
    CAPABILITIES
        .iter()
        .find(|(c, _, _)| *c == capability)
        .map(|(_, name, archetypes)| (*name, *archetypes))
}
