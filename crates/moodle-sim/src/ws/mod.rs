//! The web-service functions the stand-in implements, one module per Moodle area (the same
//! file names as `moodle-ws/src/functions/`). Each function declares its parameter and
//! return descriptions like its Moodle `external_api` class does, and runs against the
//! state as the token's user. The registry is built for one Moodle version: a description
//! that differs between 4.5 and 5.0 is chosen there (`for_version!`); a rule that differs
//! asks `Site::moodle` when it runs.

/// The `fn()` of a description that differs between Moodle versions, for a `FunctionDef` of
/// `$version`: `returns: for_version!(version, |v| Some(structure(v)))`.
macro_rules! for_version {
    ($version:expr, |$v:ident| $body:expr) => {
        match $version {
            $crate::version::MoodleVersion::V4_5 => || {
                let $v = $crate::version::MoodleVersion::V4_5;
                $body
            },
            $crate::version::MoodleVersion::V5_0 => || {
                let $v = $crate::version::MoodleVersion::V5_0;
                $body
            },
        }
    };
}

mod assign;
mod category;
mod course;
mod course_state;
mod courseformat;
mod enrol;
mod files;
mod message;
mod mobile;
pub(crate) mod quiz;
mod site;
mod user;

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::errors::WsError;
use crate::external::desc::Desc;
use crate::functions::FunctionCatalog;
use crate::state::{State, Token};
use crate::version::MoodleVersion;

/// What a function knows about the request it runs in.
#[derive(Debug, Clone, Default)]
pub struct RequestInfo {
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Whether the request came over HTTPS.
    pub https: bool,
    /// The client's address.
    pub remote_addr: String,
    /// Names of the variables sent in the query string (`$_GET`).
    pub query_names: Vec<String>,
}

impl RequestInfo {
    /// Whether a variable came in the query string (`isset($_GET[$name])`).
    pub fn in_query(&self, name: &str) -> bool {
        self.query_names.iter().any(|n| n == name)
    }
}

/// A function call in progress: the state (one transaction), the token's user and token.
pub struct Call<'a> {
    /// The database.
    pub state: &'a mut State,
    /// `$USER->id`.
    pub userid: i64,
    /// The token the call was made with.
    pub token: Token,
    /// The time of the call.
    pub now: i64,
    /// Request details.
    pub request: &'a RequestInfo,
    /// The functions the site has.
    pub catalog: &'a FunctionCatalog,
}

impl Call<'_> {
    /// `has_capability()` for the calling user.
    pub fn has_capability(&self, capability: &str, contextid: i64) -> bool {
        self.state
            .has_capability(self.userid, capability, contextid)
    }

    /// `require_capability()` for the calling user.
    ///
    /// # Errors
    /// `nopermissions`.
    pub fn require_capability(&self, capability: &str, contextid: i64) -> Result<(), WsError> {
        self.state
            .require_capability(self.userid, capability, contextid)
    }

    /// Whether the calling user is a site administrator.
    pub fn is_siteadmin(&self) -> bool {
        self.state
            .users
            .get(&self.userid)
            .is_some_and(|u| u.siteadmin)
    }
}

/// An implemented web-service function.
#[derive(Clone, Copy)]
pub struct FunctionDef {
    /// Function name, e.g. `core_course_get_courses`.
    pub name: &'static str,
    /// `execute_parameters()`.
    pub params: fn() -> Desc,
    /// `execute_returns()`; `None` for functions answering `null`.
    pub returns: fn() -> Option<Desc>,
    /// `execute()`, with parameters already validated.
    pub run: fn(&mut Call<'_>, Value) -> Result<Value, WsError>,
    /// The function runs its writes in a delegated transaction
    /// (`$DB->start_delegated_transaction()`), so an exception rolls them all back; without
    /// one every write made before an exception stays (Moodle commits each statement). Either
    /// way the ids a failed call took are used up (sequences are not transactional).
    pub write: bool,
}

impl std::fmt::Debug for FunctionDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FunctionDef")
            .field("name", &self.name)
            .finish()
    }
}

/// Every implemented function, by name, as a Moodle version describes it.
pub fn registry(version: MoodleVersion) -> HashMap<&'static str, FunctionDef> {
    [
        site::functions(),
        course::functions(version),
        category::functions(),
        courseformat::functions(),
        user::functions(),
        enrol::functions(),
        message::functions(),
        files::functions(),
        assign::functions(version),
        mobile::functions(),
        quiz::functions(version),
    ]
    .into_iter()
    .flatten()
    .map(|f| (f.name, f))
    .collect()
}

/// Reads validated parameters into a typed struct.
///
/// # Errors
/// A coding error when the struct does not match the declared description (a sim bug).
pub fn params<T: DeserializeOwned>(value: Value) -> Result<T, WsError> {
    serde_json::from_value(value)
        .map_err(|e| WsError::coding(&format!("moodle-sim parameter mapping: {e}")))
}
