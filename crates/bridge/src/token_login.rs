//! Token login, the bridge's side (the token-login contract, `docs/contracts/token-login.md`):
//! a Moodle web-service token is checked with
//! the companion plugin `local_logintoken` (`local_logintoken_validate_token`, made with that
//! token) or, where the plugin or the function is not there, with
//! `core_webservice_get_site_info`; a login then returns the Moodle user and a bridge API
//! token for them. Attempts are rate-limited per client address.
//!
//! The API token names the user (`sub` = `moodle:<id>`) and carries
//! `AUTH_TOKEN_LOGIN_SCOPES` (none by default): the gateway acts with the bridge's own Moodle
//! token, so letting every Moodle user through it would hand them that token's rights.

use std::net::IpAddr;
use std::time::Duration;

use moodle_ws::functions::logintoken::{TokenInfo, TokenUser};
use moodle_ws::{Client, Secret};

use crate::auth::{IssuedToken, OwnKey, RateLimiter, Scopes};

/// Which check vouched for a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validator {
    /// `local_logintoken_validate_token`.
    Plugin,
    /// `core_webservice_get_site_info` (plugin or function not available).
    SiteInfo,
}

impl Validator {
    /// The function's name.
    pub fn name(self) -> &'static str {
        match self {
            Validator::Plugin => moodle_ws::functions::logintoken::VALIDATE_TOKEN.name(),
            Validator::SiteInfo => moodle_ws::functions::site::GET_SITE_INFO.name(),
        }
    }
}

/// A token Moodle accepted.
#[derive(Debug, Clone)]
pub struct ValidToken {
    /// Its user.
    pub user: TokenUser,
    /// Its times, when the plugin told them.
    pub token_info: Option<TokenInfo>,
    /// Who checked it.
    pub validated_by: Validator,
}

/// Why a token login or validation failed.
#[derive(Debug, thiserror::Error)]
pub enum TokenLoginError {
    /// No token was sent.
    #[error("no wstoken was given")]
    Missing,
    /// The token is not one Moodle knows (or not shaped like one).
    #[error("moodle does not know the token")]
    InvalidToken,
    /// Moodle knows the token but will not serve it (expired, IP-restricted, suspended user,
    /// service not allowed).
    #[error("moodle refused the token: {code}")]
    NotAccepted {
        /// Moodle's code (`accessexception`, `wsaccessusersuspended`, …).
        code: String,
        /// Moodle's message.
        message: String,
    },
    /// Too many attempts from this address.
    #[error("too many token login attempts; retry in {0} s")]
    RateLimited(u64),
    /// Moodle could not answer (unreachable, timeout, foreign body).
    #[error(transparent)]
    Moodle(moodle_ws::Error),
    /// The bridge cannot sign API tokens (no `SECRET_KEY`).
    #[error("the bridge has no SECRET_KEY to sign API tokens with")]
    NoSigningKey,
    /// Signing failed.
    #[error("the API token could not be signed")]
    Signing,
}

/// Codes meaning "this function cannot be called here", after which site info is asked.
const NOT_AVAILABLE: [&str; 3] = ["accessexception", "invalidrecord", "invalidrecordunknown"];

/// The token-login service.
pub struct TokenLogin {
    moodle: Client,
    own: Option<OwnKey>,
    scopes: Scopes,
    ttl: Duration,
    limiter: RateLimiter,
    db: Option<crate::db::Db>,
}

impl TokenLogin {
    /// Logins against `moodle`'s site, issuing tokens with `own`.
    pub fn new(
        moodle: Client,
        own: Option<OwnKey>,
        scopes: Scopes,
        ttl: Duration,
        per_minute: u32,
    ) -> TokenLogin {
        TokenLogin {
            moodle,
            own,
            scopes,
            ttl,
            limiter: RateLimiter::new(per_minute, per_minute.clamp(1, 10)),
            db: None,
        }
    }

    /// The same, recording the tokens it issues in `db`.
    pub fn recording_in(mut self, db: crate::db::Db) -> TokenLogin {
        self.db = Some(db);
        self
    }

    /// Checks `wstoken` for a client at `from`.
    ///
    /// # Errors
    /// [`TokenLoginError`].
    pub async fn validate(
        &self,
        wstoken: &str,
        from: IpAddr,
    ) -> Result<ValidToken, TokenLoginError> {
        self.limiter
            .check(&from.to_string())
            .map_err(|wait| TokenLoginError::RateLimited(wait.as_secs()))?;
        let wstoken = wstoken.trim();
        if wstoken.is_empty() {
            return Err(TokenLoginError::Missing);
        }
        // Moodle's tokens are PARAM_ALPHANUM; anything else is refused without asking Moodle.
        if wstoken.len() > 128 || !wstoken.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(invalid_token());
        }
        let client = self.moodle.with_token(Secret::new(wstoken));
        match client.validate_token().await {
            Ok(v) => Ok(ValidToken {
                user: v.user,
                token_info: Some(v.token_info),
                validated_by: Validator::Plugin,
            }),
            Err(e)
                if e.moodle_errorcode()
                    .is_some_and(|c| NOT_AVAILABLE.contains(&c)) =>
            {
                let info = client.get_site_info().await.map_err(refusal)?;
                Ok(ValidToken {
                    user: TokenUser {
                        id: info.userid,
                        username: info.username,
                        firstname: info.firstname,
                        lastname: info.lastname,
                        email: String::new(),
                        fullname: info.fullname,
                    },
                    token_info: None,
                    validated_by: Validator::SiteInfo,
                })
            }
            Err(e) => Err(refusal(e)),
        }
    }

    /// Checks `wstoken` and issues a bridge API token for its user.
    ///
    /// # Errors
    /// [`TokenLoginError`].
    pub async fn login(
        &self,
        wstoken: &str,
        from: IpAddr,
    ) -> Result<(ValidToken, IssuedToken), TokenLoginError> {
        let own = self.own.as_ref().ok_or(TokenLoginError::NoSigningKey)?;
        let valid = self.validate(wstoken, from).await?;
        let issued = own
            .issue(&format!("moodle:{}", valid.user.id), self.scopes, self.ttl)
            .map_err(|_| TokenLoginError::Signing)?;
        // Recorded so `token list` shows it and `token revoke` can take it back; a token that
        // cannot be recorded is not handed out.
        if let Some(db) = &self.db {
            crate::auth::revocations::record_issued(db, &issued, "token-login")
                .await
                .map_err(|e| {
                    tracing::warn!(error = %e, "issued token not recorded");
                    TokenLoginError::Signing
                })?;
        }
        Ok((valid, issued))
    }

    /// The Moodle site's address, where a browser login lands.
    pub fn site_url(&self) -> &str {
        self.moodle.base_url()
    }
}

fn invalid_token() -> TokenLoginError {
    TokenLoginError::InvalidToken
}

/// A Moodle error about the token as a refusal; transport and body errors stay errors.
fn refusal(e: moodle_ws::Error) -> TokenLoginError {
    let Some(code) = e.moodle_errorcode().map(str::to_owned) else {
        return TokenLoginError::Moodle(e);
    };
    match code.as_str() {
        "invalidtoken" => invalid_token(),
        // Moodle named why it will not serve the token; anything else (an exception it had no
        // class for, no usable answer) is not a token problem.
        _ if e.kind() != moodle_ws::ErrorKind::Failed => {
            let message = match &e {
                moodle_ws::Error::Exception { message, .. } => message.clone(),
                other => other.to_string(),
            };
            TokenLoginError::NotAccepted {
                code: e.code().unwrap_or(&code).to_owned(),
                message,
            }
        }
        _ => TokenLoginError::Moodle(e),
    }
}
