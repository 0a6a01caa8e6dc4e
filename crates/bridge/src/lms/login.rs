//! `POST /api/login-lms`, `GET /api/lms/validate`, `GET /api/lms/me`, `POST /api/lms/logout`
//! as plain Rust: the login through `login/token.php` (an email address resolved to its
//! username with the site's service token first), the user through
//! `core_webservice_get_site_info` and `core_user_get_users_by_field`.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use moodle_ws::functions::user::UserField;
use moodle_ws::{Client, Endpoint, Secret};
use serde_json::json;

use super::store::{self, SessionRow};
use super::{Credential, HANDLE_PREFIX, Lms, LmsError, Site, is_unreachable, session_id};
use crate::audit::{Actor, Event, now_ms};

/// A login.
#[derive(Debug, Clone)]
pub struct LoginInput {
    /// A username or an email address.
    pub email: String,
    /// The password.
    pub password: Secret,
    /// The site (default: the first).
    pub lms: Option<String>,
}

/// A Moodle user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LmsUser {
    /// Moodle's user id.
    pub id: i64,
    /// Username.
    pub username: String,
    /// Email address (empty when Moodle does not tell).
    pub email: String,
    /// Full name.
    pub name: String,
}

/// A successful login.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    /// The session handle for `X-LMS-Token`.
    pub token: Secret,
    /// The Moodle user.
    pub user: LmsUser,
    /// The site.
    pub site: String,
    /// When the handle stops working (Unix ms).
    pub expires_at_ms: i64,
}

impl Lms {
    /// Logs in to a site and opens a session for the actor's subject.
    ///
    /// # Errors
    /// [`LmsError::InvalidCredentials`] (401), [`LmsError::LoginRefused`] (403),
    /// [`LmsError::UnknownSite`], [`LmsError::Unreachable`] (503), [`LmsError::Moodle`].
    pub async fn login(&self, actor: &Actor, input: LoginInput) -> Result<LoggedIn, LmsError> {
        let site = self.site(input.lms.as_deref())?;
        let given = input.email.trim();
        if given.is_empty() || input.password.expose().is_empty() {
            return Err(LmsError::InvalidCredentials);
        }
        let username = self.username_of(&site, given).await?;
        let result = site
            .client
            .login(&username, &input.password, &site.service)
            .await;
        let outcome = match &result {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.moodle_errorcode().unwrap_or("unreachable").to_owned(),
        };
        let grant = result.map_err(login_error)?;
        let client = site.client.with_token(grant.token.clone());
        let mut user = whoami(&client)
            .await
            .map_err(|e| match LmsError::from_moodle(e) {
                LmsError::TokenRejected => LmsError::InvalidCredentials,
                other => other,
            })?;
        if user.email.is_empty() && given.contains('@') {
            user.email = given.to_owned();
        }
        let handle = new_handle();
        let now = now_ms();
        let ttl_ms = i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX / 4);
        let row = SessionRow {
            id: session_id(handle.expose()),
            owner: actor.owner(),
            site: site.name.clone(),
            moodle_token: self.seal(&grant.token),
            moodle_user_id: user.id,
            username: user.username.clone(),
            email: user.email.clone(),
            fullname: user.name.clone(),
            expires_at_ms: now + ttl_ms,
            revoked_at_ms: None,
        };
        store::insert(&self.db, &row, now).await?;
        self.audit
            .record(
                actor,
                Event {
                    function: Some(Endpoint::Token.path()),
                    object_ids: json!({"lms": site.name, "moodle_user_id": user.id}),
                    outcome: &outcome,
                },
            )
            .await;
        Ok(LoggedIn {
            token: handle,
            user,
            site: site.name.clone(),
            expires_at_ms: row.expires_at_ms,
        })
    }

    /// Checks a token with Moodle; answers its site and user id.
    ///
    /// # Errors
    /// As [`Lms::resolve`]; [`LmsError::TokenRejected`] when Moodle refuses it,
    /// [`LmsError::Unreachable`].
    pub async fn validate(
        &self,
        owner: &str,
        token: &str,
        site: Option<&str>,
    ) -> Result<(Credential, i64), LmsError> {
        let credential = self.resolve(owner, token, site).await?;
        let info = credential
            .client()
            .get_site_info()
            .await
            .map_err(LmsError::from_moodle)?;
        Ok((credential, info.userid))
    }

    /// The Moodle user of a token, as Moodle tells it now.
    ///
    /// # Errors
    /// As [`Lms::validate`].
    pub async fn me(
        &self,
        owner: &str,
        token: &str,
        site: Option<&str>,
    ) -> Result<(Arc<Site>, LmsUser), LmsError> {
        let credential = self.resolve(owner, token, site).await?;
        let user = whoami(&credential.client())
            .await
            .map_err(LmsError::from_moodle)?;
        Ok((credential.site, user))
    }

    /// Revokes a session handle.
    ///
    /// # Errors
    /// [`LmsError::NotRevocable`] for a raw Moodle token, [`LmsError::TokenRejected`] for an
    /// unknown or ended handle.
    pub async fn logout(&self, actor: &Actor, token: &str) -> Result<(), LmsError> {
        let credential = self.resolve(&actor.owner(), token, None).await?;
        let Some(id) = credential.session_id else {
            return Err(LmsError::NotRevocable);
        };
        if !store::revoke(&self.db, &id, now_ms()).await? {
            return Err(LmsError::TokenRejected);
        }
        self.audit
            .record(
                actor,
                Event {
                    function: None,
                    object_ids: json!({"lms": credential.site.name, "session": &id[..12]}),
                    outcome: "ok",
                },
            )
            .await;
        Ok(())
    }

    /// The username to log in with: an email address is looked up with the site's service
    /// token (when it has one and finds exactly one user); anything else is used as given.
    async fn username_of(&self, site: &Site, given: &str) -> Result<String, LmsError> {
        if !given.contains('@') || !site.has_service_token {
            return Ok(given.to_owned());
        }
        match site
            .client
            .get_users_by_field(UserField::Email, &[given])
            .await
        {
            Ok(users) => match users.as_slice() {
                [one] => Ok(one.username.clone().unwrap_or_else(|| given.to_owned())),
                _ => Ok(given.to_owned()),
            },
            Err(e) if is_unreachable(&e) => Err(LmsError::Unreachable(e)),
            Err(e) => {
                tracing::warn!(site = %site.name, error = %e, "email not resolved to a username; trying it as one");
                Ok(given.to_owned())
            }
        }
    }
}

/// The token's user: site info, and the email address where Moodle lets the user see it.
async fn whoami(client: &Client) -> Result<LmsUser, moodle_ws::Error> {
    let info = client.get_site_info().await?;
    let id = info.userid.to_string();
    let email = match client
        .get_users_by_field(UserField::Id, &[id.as_str()])
        .await
    {
        Ok(users) => users.into_iter().find_map(|u| u.email).unwrap_or_default(),
        Err(e) if is_unreachable(&e) => return Err(e),
        Err(_) => String::new(),
    };
    Ok(LmsUser {
        id: info.userid,
        username: info.username,
        email,
        name: info.fullname,
    })
}

/// `login/token.php`'s refusals in the seed's terms.
fn login_error(e: moodle_ws::Error) -> LmsError {
    if is_unreachable(&e) {
        return LmsError::Unreachable(e);
    }
    match e {
        moodle_ws::Error::Endpoint { errorcode, .. } if errorcode == "invalidlogin" => {
            LmsError::InvalidCredentials
        }
        moodle_ws::Error::Endpoint {
            errorcode, message, ..
        } => LmsError::LoginRefused {
            code: errorcode,
            message,
        },
        other => LmsError::Moodle(other),
    }
}

/// A fresh handle: the prefix and 32 random bytes.
fn new_handle() -> Secret {
    use rand::Rng as _;
    let bytes: [u8; 32] = rand::rng().random();
    Secret::new(format!("{HANDLE_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}
