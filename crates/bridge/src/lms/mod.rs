//! LMS sites and sessions (`login-lms` and `X-LMS-Token` of `docs/contracts/publisher.md`):
//! the configured Moodle
//! sites, logins through `login/token.php`, and the session handles given back for them.
//!
//! A handle (`lms_…`) is opaque, expiring and revocable, and works only for the API subject
//! that logged in; the Moodle token behind it stays in the bridge, sealed with a key derived
//! from `SECRET_KEY`. A raw Moodle token is accepted as `X-LMS-Token` too (for the default
//! site, or the one `X-LMS-Site` names). Each site has its own client, so its own circuit
//! breaker. Pushing is `publish`'s job; this module only says which site and token.

mod login;
mod store;

use std::sync::Arc;
use std::time::Duration;

use moodle_ws::{Client, Secret};
use sha2::{Digest as _, Sha256};

pub use login::{LmsUser, LoggedIn, LoginInput};

use crate::audit::{AuditLog, now_ms};
use crate::config::LmsConfig;
use crate::crypto::SecretBox;
use crate::db::Db;
use crate::moodle::Clients;
use crate::storage::hex;

/// What every session handle starts with (a Moodle token has no `_`).
const HANDLE_PREFIX: &str = "lms_";
/// The key purpose of sealed Moodle tokens.
const SEAL_PURPOSE: &[u8] = b"moodle-bridge lms-token v1";

/// One configured Moodle site.
#[derive(Debug)]
pub struct Site {
    /// Its name.
    pub name: String,
    /// A client for it: with the site's service token, when configured; users' clients are
    /// made from it with [`Client::with_token`] and share its connections and breaker.
    pub client: Client,
    /// The external service users log in to.
    pub service: String,
    /// Whether `client` holds a service token.
    pub has_service_token: bool,
}

/// What an `X-LMS-Token` stands for.
#[derive(Debug, Clone)]
pub struct Credential {
    /// The site.
    pub site: Arc<Site>,
    /// The user's Moodle token.
    pub token: Secret,
    /// The session, when the token came from a handle.
    pub session_id: Option<String>,
}

impl Credential {
    /// A client acting as the user.
    pub fn client(&self) -> Client {
        self.site.client.with_token(self.token.clone())
    }
}

/// Why an LMS login or token was refused.
#[derive(Debug, thiserror::Error)]
pub enum LmsError {
    /// No `X-LMS-Token`.
    #[error("no LMS token was given")]
    MissingToken,
    /// A `mock_` token of the seed's development mode.
    #[error("mock LMS tokens are not accepted")]
    MockToken,
    /// The handle is unknown, expired, revoked or someone else's, or Moodle refused the token.
    #[error("the LMS token is expired or invalid")]
    TokenRejected,
    /// Moodle refused the user name and password.
    #[error("moodle refused the user name or password")]
    InvalidCredentials,
    /// Moodle knows the user but gives no token (`cannotcreatetoken`, `usernotconfirmed`, …).
    #[error("moodle refused the login: {code}: {message}")]
    LoginRefused {
        /// Moodle's code.
        code: String,
        /// Moodle's message.
        message: String,
    },
    /// No site has this name.
    #[error("unknown LMS {name:?}")]
    UnknownSite {
        /// The name asked for.
        name: String,
        /// The names configured.
        known: Vec<String>,
    },
    /// `X-LMS-Site` names another site than the session's.
    #[error("the LMS token belongs to the site {0:?}")]
    SiteMismatch(String),
    /// Only handles can be revoked.
    #[error("only LMS session tokens can be revoked")]
    NotRevocable,
    /// Moodle cannot be reached (or the circuit is open, or it is in maintenance).
    #[error("moodle is unreachable: {0}")]
    Unreachable(moodle_ws::Error),
    /// Moodle answered something else.
    #[error("moodle: {0}")]
    Moodle(moodle_ws::Error),
    /// The bridge failed.
    #[error("{0}")]
    Internal(String),
    /// The bridge's database cannot be reached now.
    #[error("database unavailable: {0}")]
    DatabaseUnavailable(String),
}

impl From<sqlx::Error> for LmsError {
    fn from(e: sqlx::Error) -> Self {
        if crate::db::is_unavailable(&e) {
            return LmsError::DatabaseUnavailable(e.to_string());
        }
        LmsError::Internal(format!("database: {e}"))
    }
}

impl LmsError {
    /// A Moodle error about a user's token: refused, unreachable, or something else.
    pub fn from_moodle(e: moodle_ws::Error) -> LmsError {
        if is_unreachable(&e) {
            LmsError::Unreachable(e)
        } else if e.moodle_errorcode() == Some("invalidtoken") {
            LmsError::TokenRejected
        } else {
            LmsError::Moodle(e)
        }
    }
}

/// Whether an error means Moodle could not be used at all: no connection, no answer in time,
/// the circuit open, a proxy's 5xx or 429, or the site in maintenance.
pub fn is_unreachable(e: &moodle_ws::Error) -> bool {
    use moodle_ws::Error as E;
    match e {
        E::CircuitOpen { .. } | E::RateLimited { .. } => true,
        E::Status { status, .. } => *status >= 500 || *status == 429,
        other => other.is_transport() || other.moodle_errorcode() == Some("sitemaintenance"),
    }
}

/// The sites and sessions.
pub struct Lms {
    sites: Vec<Arc<Site>>,
    db: Db,
    sealer: SecretBox,
    ttl: Duration,
    audit: AuditLog,
}

impl Lms {
    /// The configured sites, sessions in `db`, tokens sealed with a key from `secret_key`.
    ///
    /// # Errors
    /// [`moodle_ws::Error::InvalidRequest`] when a site's client cannot be built.
    pub fn new(
        config: &LmsConfig,
        db: Db,
        secret_key: &Secret,
        clients: &Clients,
    ) -> Result<Lms, moodle_ws::Error> {
        let mut sites = Vec::new();
        for s in &config.sites {
            sites.push(Arc::new(Site {
                name: s.name.clone(),
                client: clients.build(s.base_url.as_str(), s.token.clone(), config.policy())?,
                service: s.service.clone(),
                has_service_token: s.token.is_some(),
            }));
        }
        Ok(Lms {
            sites,
            audit: AuditLog::new(db.clone()),
            db,
            sealer: SecretBox::derive(secret_key, SEAL_PURPOSE),
            ttl: config.session_ttl,
        })
    }

    /// A site by name; `None` asks for the default (the first).
    ///
    /// # Errors
    /// [`LmsError::UnknownSite`].
    pub fn site(&self, name: Option<&str>) -> Result<Arc<Site>, LmsError> {
        let found = match name {
            None => self.sites.first(),
            Some(n) => self.sites.iter().find(|s| s.name == n),
        };
        found.cloned().ok_or_else(|| LmsError::UnknownSite {
            name: name.unwrap_or("default").to_owned(),
            known: self.sites.iter().map(|s| s.name.clone()).collect(),
        })
    }

    /// Seals a Moodle token for storage (jobs keep the token they act with).
    pub fn seal(&self, token: &Secret) -> String {
        self.sealer.seal(token.expose())
    }

    /// Opens what [`Lms::seal`] made.
    ///
    /// # Errors
    /// [`LmsError::TokenRejected`] when it cannot be opened (another `SECRET_KEY`).
    pub fn open(&self, sealed: &str) -> Result<Secret, LmsError> {
        self.sealer.open(sealed).map_err(|e| {
            tracing::warn!(error = %e, "a stored LMS token cannot be opened");
            LmsError::TokenRejected
        })
    }

    /// What `X-LMS-Token` (and `X-LMS-Site`) stand for, for the API subject `owner`.
    ///
    /// # Errors
    /// [`LmsError::MissingToken`], [`LmsError::MockToken`] (400); [`LmsError::TokenRejected`]
    /// for an unknown, expired, revoked or foreign handle, or a token of the wrong shape;
    /// [`LmsError::UnknownSite`], [`LmsError::SiteMismatch`].
    pub async fn resolve(
        &self,
        owner: &str,
        token: &str,
        site: Option<&str>,
    ) -> Result<Credential, LmsError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(LmsError::MissingToken);
        }
        if token.starts_with("mock_") {
            return Err(LmsError::MockToken);
        }
        if token.starts_with(HANDLE_PREFIX) {
            let session = self.session(owner, token).await?;
            if site.is_some_and(|s| s != session.site) {
                return Err(LmsError::SiteMismatch(session.site));
            }
            let site = self
                .site(Some(&session.site))
                .map_err(|_| LmsError::TokenRejected)?;
            return Ok(Credential {
                site,
                token: self.open(&session.moodle_token)?,
                session_id: Some(session.id),
            });
        }
        // Moodle's tokens are PARAM_ALPHANUM.
        if token.len() > 128 || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(LmsError::TokenRejected);
        }
        Ok(Credential {
            site: self.site(site)?,
            token: Secret::new(token),
            session_id: None,
        })
    }

    /// Whether a session still holds (jobs check before acting with its token).
    ///
    /// # Errors
    /// [`LmsError::TokenRejected`] when it expired or was revoked.
    pub async fn check_session(&self, id: &str) -> Result<(), LmsError> {
        match store::get(&self.db, id).await? {
            Some(s) if s.revoked_at_ms.is_none() && s.expires_at_ms > now_ms() => Ok(()),
            _ => Err(LmsError::TokenRejected),
        }
    }

    async fn session(&self, owner: &str, handle: &str) -> Result<store::SessionRow, LmsError> {
        let id = session_id(handle);
        match store::get(&self.db, &id).await? {
            Some(s)
                if s.owner == owner && s.revoked_at_ms.is_none() && s.expires_at_ms > now_ms() =>
            {
                Ok(s)
            }
            _ => Err(LmsError::TokenRejected),
        }
    }

    /// Deletes sessions that ended more than a day ago.
    ///
    /// # Errors
    /// The database's error.
    pub async fn forget_ended(&self) -> Result<u64, sqlx::Error> {
        store::forget_ended(&self.db, now_ms()).await
    }
}

/// The stored id of a handle: its SHA-256.
fn session_id(handle: &str) -> String {
    hex(&Sha256::digest(handle.as_bytes()))
}
