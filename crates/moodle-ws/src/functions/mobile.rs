//! `tool_mobile_get_public_config`: the site's public settings (login type, maintenance,
//! web-service switches), as the mobile app reads them before logging in.

use crate::functions::Function;
use serde::Deserialize;

use super::lenient;
use crate::client::Client;
use crate::error::{Error, Warning};
use crate::functions::ItemWarnings;

/// `tool_mobile_get_public_config`.
pub const GET_PUBLIC_CONFIG: Function = Function::read("tool_mobile_get_public_config");

/// The site's public configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PublicConfig {
    /// `$CFG->wwwroot`.
    #[serde(deserialize_with = "lenient::string")]
    pub wwwroot: String,
    /// The https root.
    #[serde(deserialize_with = "lenient::string")]
    pub httpswwwroot: String,
    /// The site name.
    #[serde(deserialize_with = "lenient::string")]
    pub sitename: String,
    /// Web services on.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub enablewebservices: Option<bool>,
    /// Mobile web services on.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub enablemobilewebservice: Option<bool>,
    /// Maintenance mode on.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub maintenanceenabled: Option<bool>,
    /// The maintenance message.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub maintenancemessage: Option<String>,
    /// 1 = in app, 2 = browser, 3 = embedded browser.
    #[serde(deserialize_with = "lenient::opt_int")]
    pub typeoflogin: Option<i64>,
    /// The SSO launch URL.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub launchurl: Option<String>,
    /// The default language.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub lang: Option<String>,
    /// Per-item warnings.
    #[serde(deserialize_with = "lenient::list")]
    pub warnings: Vec<Warning>,
}

impl ItemWarnings for PublicConfig {
    fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
}

impl Client {
    /// The site's public configuration.
    ///
    /// # Errors
    /// Any [`Error`].
    pub async fn get_public_config(&self) -> Result<PublicConfig, Error> {
        self.call(GET_PUBLIC_CONFIG, &()).await
    }
}
