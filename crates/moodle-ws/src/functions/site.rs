//! `core_webservice_get_site_info`: who the token belongs to, what the site is, and which
//! functions the token's service allows (check `functions` rather than assuming).

use crate::functions::Function;
use serde::Deserialize;

use super::lenient;
use crate::client::Client;
use crate::error::Error;
use crate::secret::Secret;

/// `core_webservice_get_site_info`.
pub const GET_SITE_INFO: Function = Function::read("core_webservice_get_site_info");

/// The site and the token's user.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SiteInfo {
    /// The site's full name.
    #[serde(deserialize_with = "lenient::string")]
    pub sitename: String,
    /// The token user's username.
    #[serde(deserialize_with = "lenient::string")]
    pub username: String,
    /// First name.
    #[serde(deserialize_with = "lenient::string")]
    pub firstname: String,
    /// Last name.
    #[serde(deserialize_with = "lenient::string")]
    pub lastname: String,
    /// Full name.
    #[serde(deserialize_with = "lenient::string")]
    pub fullname: String,
    /// Language.
    #[serde(deserialize_with = "lenient::string")]
    pub lang: String,
    /// The token user's id.
    #[serde(deserialize_with = "lenient::int")]
    pub userid: i64,
    /// The site's `wwwroot`.
    #[serde(deserialize_with = "lenient::string")]
    pub siteurl: String,
    /// The user's picture.
    #[serde(deserialize_with = "lenient::string")]
    pub userpictureurl: String,
    /// The functions the token's service allows.
    #[serde(deserialize_with = "lenient::list")]
    pub functions: Vec<SiteFunction>,
    /// Whether the service may download files.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub downloadfiles: Option<bool>,
    /// Whether the service may upload files.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub uploadfiles: Option<bool>,
    /// Moodle release text, e.g. `4.5.6 (Build: 20250811)`.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub release: Option<String>,
    /// Moodle version; may be `2024100706` or, on weekly builds, `2025041406.11`.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub version: Option<String>,
    /// Whether the user may manage their private files.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub usercanmanageownfiles: Option<bool>,
    /// Private-files quota in bytes (0 = unlimited).
    #[serde(deserialize_with = "lenient::opt_int")]
    pub userquota: Option<i64>,
    /// Largest upload in bytes (-1 = unlimited).
    #[serde(deserialize_with = "lenient::opt_int")]
    pub usermaxuploadfilesize: Option<i64>,
    /// The key for `tokenpluginfile.php` URLs (a secret).
    pub userprivateaccesskey: Option<Secret>,
    /// The front page course id.
    #[serde(deserialize_with = "lenient::opt_int")]
    pub siteid: Option<i64>,
    /// Whether the user is a site administrator.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub userissiteadmin: Option<bool>,
    /// The site theme.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub theme: Option<String>,
    /// Site features switched on or off.
    #[serde(deserialize_with = "lenient::list")]
    pub advancedfeatures: Vec<AdvancedFeature>,
}

impl SiteInfo {
    /// Whether the token's service allows a function.
    pub fn has_function(&self, function: Function) -> bool {
        self.functions.iter().any(|f| f.name == function.name())
    }
}

/// A function of the token's service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SiteFunction {
    /// The function name.
    pub name: String,
    /// The version of the component that provides it.
    #[serde(deserialize_with = "lenient::string")]
    pub version: String,
}

/// An advanced feature flag (`enablecompletion`, `messaging`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct AdvancedFeature {
    /// The setting name.
    pub name: String,
    /// Its value (usually 0 or 1).
    #[serde(deserialize_with = "lenient::int")]
    pub value: i64,
}

impl Client {
    /// Who the token belongs to, the site, and the functions the token may call.
    ///
    /// # Errors
    /// `invalidtoken` and other [`Error`]s.
    pub async fn get_site_info(&self) -> Result<SiteInfo, Error> {
        self.call(GET_SITE_INFO, &()).await
    }
}
