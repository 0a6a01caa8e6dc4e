//! The companion plugin `local_logintoken` (`moodle-plugin/local_logintoken`; the token-login
//! contract, `docs/contracts/token-login.md`):
//! describe the token a call is made with. Call it on a client made with
//! [`Client::with_token`] for the token to check. Sites without the plugin, or services
//! without the function, answer `invalidrecord` or `accessexception`.

use crate::functions::Function;
use serde::{Deserialize, Serialize};

use super::lenient;
use crate::client::Client;
use crate::error::Error;

/// `local_logintoken_validate_token`.
pub const VALIDATE_TOKEN: Function = Function::read("local_logintoken_validate_token");

/// A user as the plugin describes one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct TokenUser {
    /// User id.
    #[serde(deserialize_with = "lenient::int")]
    pub id: i64,
    /// Username.
    #[serde(deserialize_with = "lenient::string")]
    pub username: String,
    /// First name.
    #[serde(deserialize_with = "lenient::string")]
    pub firstname: String,
    /// Last name.
    #[serde(deserialize_with = "lenient::string")]
    pub lastname: String,
    /// Email address (may be empty when hidden).
    #[serde(deserialize_with = "lenient::string")]
    pub email: String,
    /// Full name.
    #[serde(deserialize_with = "lenient::string")]
    pub fullname: String,
}

/// When a token was made, last used and valid until (Unix seconds; 0 = never).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct TokenInfo {
    /// Creation time.
    #[serde(deserialize_with = "lenient::int")]
    pub created: i64,
    /// Last use (0 = never).
    #[serde(deserialize_with = "lenient::int")]
    pub last_access: i64,
    /// Expiry (0 = none).
    #[serde(deserialize_with = "lenient::int")]
    pub valid_until: i64,
}

/// `local_logintoken_validate_token`'s answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct TokenValidation {
    /// Always `true` (a refused token is an error).
    #[serde(deserialize_with = "lenient::boolean")]
    pub valid: bool,
    /// The plugin's message.
    #[serde(deserialize_with = "lenient::string")]
    pub message: String,
    /// The token's user.
    pub user: TokenUser,
    /// The token's times.
    pub token_info: TokenInfo,
}

#[derive(Serialize)]
struct NoParams {}

impl Client {
    /// Describes this client's token (the plugin checks it as its login endpoint does).
    ///
    /// # Errors
    /// `invalidtoken`; `accessexception`/`invalidrecord` without the plugin or the function
    /// in the token's service; `nopermissions`, `logindisabled`.
    pub async fn validate_token(&self) -> Result<TokenValidation, Error> {
        self.call(VALIDATE_TOKEN, &NoParams {}).await
    }
}
