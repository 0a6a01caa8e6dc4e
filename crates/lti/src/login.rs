//! OIDC third-party login initiation (Security Framework §5.1.1): the platform's first
//! request (GET query or POST form: `iss`, `login_hint`, `target_link_uri`,
//! `lti_message_hint`, `client_id`, `lti_deployment_id`, `lti_storage_target`) becomes a
//! saved [`LoginState`] (random `state` and `nonce`, bound together, single use, 5 minutes)
//! and the authentication request: a GET redirect URL to the platform's auth endpoint.
//!
//! A GET redirect, not an auto-posted form: Moodle's session cookie is `SameSite=Lax`
//! (MDL-83526), which a cross-site POST would not carry. Setting the state cookie and
//! answering the redirect is the bridge's job.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use serde::Deserialize;
use url::Url;

use crate::clock::Clock;
use crate::error::LoginError;
use crate::html::{escape, js_string};
use crate::jwt::B64;
use crate::registration::Registration;
use crate::store::{LoginState, Stores};
use crate::tool::Tool;

/// How long a login state is accepted by default.
pub const DEFAULT_STATE_TTL: Duration = Duration::from_secs(5 * 60);

/// The login initiation parameters; all optional here, checked by [`Login::initiate`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct LoginRequest {
    /// The platform's issuer.
    #[serde(default)]
    pub iss: Option<String>,
    /// Opaque user hint to pass back (Moodle: the user id).
    #[serde(default)]
    pub login_hint: Option<String>,
    /// Where the launch should end up.
    #[serde(default)]
    pub target_link_uri: Option<String>,
    /// Opaque message hint to pass back unaltered (Moodle: `{"cmid":8,"launchid":"…"}`).
    #[serde(default)]
    pub lti_message_hint: Option<String>,
    /// The tool's client id (optional in the specification; Moodle sends it).
    #[serde(default)]
    pub client_id: Option<String>,
    /// The deployment (optional; Moodle sends the tool type id).
    #[serde(default)]
    pub lti_deployment_id: Option<String>,
    /// The frame for LTI platform storage (`lti.put_data`), when the platform offers it.
    #[serde(default)]
    pub lti_storage_target: Option<String>,
}

impl LoginRequest {
    /// The parameters of a GET query string (without `?`).
    pub fn from_query(query: &str) -> LoginRequest {
        LoginRequest::from_pairs(form_urlencoded::parse(query.as_bytes()))
    }

    /// The parameters of a POSTed `application/x-www-form-urlencoded` body.
    pub fn from_form(body: &[u8]) -> LoginRequest {
        LoginRequest::from_pairs(form_urlencoded::parse(body))
    }

    /// Query and form together, the form winning (as ltijs merges them).
    pub fn merged(query: &str, body: &[u8]) -> LoginRequest {
        let query = LoginRequest::from_query(query);
        let form = LoginRequest::from_form(body);
        LoginRequest {
            iss: form.iss.or(query.iss),
            login_hint: form.login_hint.or(query.login_hint),
            target_link_uri: form.target_link_uri.or(query.target_link_uri),
            lti_message_hint: form.lti_message_hint.or(query.lti_message_hint),
            client_id: form.client_id.or(query.client_id),
            lti_deployment_id: form.lti_deployment_id.or(query.lti_deployment_id),
            lti_storage_target: form.lti_storage_target.or(query.lti_storage_target),
        }
    }

    fn from_pairs<'a>(
        pairs: impl Iterator<Item = (std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>)>,
    ) -> LoginRequest {
        let mut request = LoginRequest::default();
        for (name, value) in pairs {
            let slot = match name.as_ref() {
                "iss" => &mut request.iss,
                "login_hint" => &mut request.login_hint,
                "target_link_uri" => &mut request.target_link_uri,
                "lti_message_hint" => &mut request.lti_message_hint,
                "client_id" => &mut request.client_id,
                "lti_deployment_id" => &mut request.lti_deployment_id,
                "lti_storage_target" => &mut request.lti_storage_target,
                _ => continue,
            };
            *slot = Some(value.into_owned());
        }
        request
    }
}

/// The answer to a login initiation. `Debug` hides the state, the nonce and the URL's query.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthRedirect {
    /// The authentication request: redirect the browser here (HTTP 302 GET).
    pub url: Url,
    /// The state; bind it to the browser (cookie `SameSite=None; Secure`, lifetime
    /// [`AuthRedirect::expires_at`]), or use platform storage.
    pub state: String,
    /// The nonce bound to the state.
    pub nonce: String,
    /// When the state stops being accepted (Unix seconds).
    pub expires_at: i64,
    /// The registration the login is for.
    pub registration_id: String,
    /// Present when the platform offered LTI platform storage.
    pub platform_storage: Option<PlatformStorage>,
}

impl std::fmt::Debug for AuthRedirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut endpoint = self.url.clone();
        endpoint.set_query(None);
        f.debug_struct("AuthRedirect")
            .field("url", &format_args!("{endpoint}?…"))
            .field("state", &"***")
            .field("nonce", &"***")
            .field("expires_at", &self.expires_at)
            .field("registration_id", &self.registration_id)
            .field(
                "platform_storage",
                &self.platform_storage.as_ref().map(|p| &p.target),
            )
            .finish()
    }
}

/// What a tool page needs for LTI client-side platform storage (postMessage `lti.put_data`
/// to the platform frame instead of a cookie); Moodle 4.5 does not offer it. `Debug` hides the
/// keys (they contain the state and nonce).
#[derive(Clone, PartialEq, Eq)]
pub struct PlatformStorage {
    /// The frame to post to (`lti_storage_target`; `_parent` means the parent window).
    pub target: String,
    /// The platform origin messages are addressed to (the auth endpoint's origin).
    pub origin: String,
    /// The storage key holding the state (`lti_state_<state>`).
    pub state_key: String,
    /// The storage key holding the nonce (`lti_nonce_<nonce>`).
    pub nonce_key: String,
}

impl std::fmt::Debug for PlatformStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformStorage")
            .field("target", &self.target)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl PlatformStorage {
    /// A page that stores state and nonce in the platform frame, then continues to
    /// `redirect.url`; when storage does not answer within 2 s it continues anyway (the
    /// launch then needs the cookie).
    pub fn login_page(&self, redirect: &AuthRedirect) -> String {
        format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Launching…</title></head><body>\n\
             <noscript><a href=\"{href}\">Continue</a></noscript>\n<script>\n\
             (function () {{\n\
             var target = {target}, origin = {origin}, next = {next};\n\
             var frame = target === '_parent' ? window.parent : window.parent.frames[target];\n\
             function put(key, value) {{ return new Promise(function (resolve, reject) {{\n\
               var id = Math.random().toString(36).slice(2);\n\
               function answer(event) {{ if (event.origin !== origin || !event.data || event.data.message_id !== id) return;\n\
                 window.removeEventListener('message', answer); event.data.error ? reject(event.data.error) : resolve(); }}\n\
               window.addEventListener('message', answer);\n\
               frame.postMessage({{subject: 'lti.put_data', message_id: id, key: key, value: value}}, origin); }}); }}\n\
             var stored = Promise.all([put({state_key}, {state}), put({nonce_key}, {nonce})]);\n\
             var late = new Promise(function (resolve) {{ setTimeout(resolve, 2000); }});\n\
             Promise.race([stored, late]).then(function () {{ window.location.replace(next); }},\n\
               function () {{ window.location.replace(next); }});\n\
             }})();\n</script></body></html>\n",
            href = escape(redirect.url.as_str()),
            target = js_string(&self.target),
            origin = js_string(&self.origin),
            next = js_string(redirect.url.as_str()),
            state_key = js_string(&self.state_key),
            state = js_string(&redirect.state),
            nonce_key = js_string(&self.nonce_key),
            nonce = js_string(&redirect.nonce),
        )
    }
}

/// Handles login initiations for one [`Tool`].
pub struct Login {
    tool: Arc<Tool>,
    stores: Stores,
    clock: Clock,
    ttl: Duration,
    random: SystemRandom,
}

impl Login {
    /// Login initiation for `tool`, saving states in `stores`.
    pub fn new(tool: Arc<Tool>, stores: Stores, clock: Clock) -> Login {
        Login {
            tool,
            stores,
            clock,
            ttl: DEFAULT_STATE_TTL,
            random: SystemRandom::new(),
        }
    }

    /// The same, with states accepted for `ttl` instead of 5 minutes.
    pub fn with_state_ttl(mut self, ttl: Duration) -> Login {
        self.ttl = ttl;
        self
    }

    /// Checks the parameters, finds the registration, saves a new state and nonce, and
    /// returns the authentication request.
    ///
    /// # Errors
    /// [`LoginError::MissingParam`], [`LoginError::ForeignTargetLinkUri`],
    /// [`LoginError::UnknownRegistration`], [`LoginError::AmbiguousIssuer`],
    /// [`LoginError::UnknownDeployment`], [`LoginError::Store`].
    pub async fn initiate(&self, request: &LoginRequest) -> Result<AuthRedirect, LoginError> {
        let required = |value: &Option<String>, name: &'static str| {
            value
                .clone()
                .filter(|v| !v.is_empty())
                .ok_or(LoginError::MissingParam(name))
        };
        let issuer = required(&request.iss, "iss")?;
        let login_hint = required(&request.login_hint, "login_hint")?;
        let target_link_uri = required(&request.target_link_uri, "target_link_uri")?;
        let target = Url::parse(&target_link_uri).map_err(|_| LoginError::ForeignTargetLinkUri)?;
        if !self.tool.owns(&target) {
            return Err(LoginError::ForeignTargetLinkUri);
        }
        let client_id = request.client_id.clone().filter(|c| !c.is_empty());
        let registration = self.registration(&issuer, client_id).await?;
        let deployment_id = request.lti_deployment_id.clone().filter(|d| !d.is_empty());
        if let Some(deployment_id) = &deployment_id
            && !registration.has_deployment(deployment_id)
        {
            return Err(LoginError::UnknownDeployment {
                deployment_id: clip(deployment_id),
            });
        }

        let state = self.random_token()?;
        let nonce = self.random_token()?;
        let now = self.clock.now();
        let expires_at = now.saturating_add(i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX));
        // Moodle matches redirect_uri exactly against "Redirection URI(s)": a deep-linked
        // target such as /lti/launch?unit=1 is not listed, so it goes via the launch URL.
        let redirect_uri = if self.tool.is_redirect_uri(&target_link_uri) {
            target_link_uri.clone()
        } else {
            self.tool.launch_url.to_string()
        };
        let mut url = registration.auth_login_url.clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("scope", "openid")
                .append_pair("response_type", "id_token")
                .append_pair("response_mode", "form_post")
                .append_pair("prompt", "none")
                .append_pair("client_id", &registration.client_id)
                .append_pair("redirect_uri", &redirect_uri)
                .append_pair("login_hint", &login_hint);
            if let Some(hint) = &request.lti_message_hint {
                query.append_pair("lti_message_hint", hint);
            }
            query
                .append_pair("state", &state)
                .append_pair("nonce", &nonce);
        }
        let storage_target = request.lti_storage_target.clone().filter(|t| !t.is_empty());
        let platform_storage = storage_target.as_ref().map(|target| PlatformStorage {
            target: target.clone(),
            origin: registration.auth_login_url.origin().ascii_serialization(),
            state_key: format!("lti_state_{state}"),
            nonce_key: format!("lti_nonce_{nonce}"),
        });
        self.stores
            .states
            .save(LoginState {
                state: state.clone(),
                nonce: nonce.clone(),
                registration_id: registration.id.clone(),
                issuer: registration.issuer.clone(),
                client_id: registration.client_id.clone(),
                deployment_id,
                target_link_uri,
                storage_target,
                created_at: now,
                expires_at,
            })
            .await?;
        Ok(AuthRedirect {
            url,
            state,
            nonce,
            expires_at,
            registration_id: registration.id,
            platform_storage,
        })
    }

    /// packback's `findRegistrationByIssuer($iss, $clientId)`: by issuer and client id, or
    /// by issuer alone when it has exactly one registration.
    async fn registration(
        &self,
        issuer: &str,
        client_id: Option<String>,
    ) -> Result<Registration, LoginError> {
        let registrations = &self.stores.registrations;
        let found = match &client_id {
            Some(client_id) => registrations.find(issuer, client_id).await?,
            None => {
                let mut all = registrations.find_by_issuer(issuer).await?;
                if all.len() > 1 {
                    return Err(LoginError::AmbiguousIssuer {
                        issuer: clip(issuer),
                    });
                }
                all.pop()
            }
        };
        found.ok_or_else(|| LoginError::UnknownRegistration {
            issuer: clip(issuer),
            client_id: client_id.as_deref().map(clip),
        })
    }

    /// 256 random bits, base64url (43 characters).
    fn random_token(&self) -> Result<String, LoginError> {
        let mut bytes = [0u8; 32];
        self.random
            .fill(&mut bytes)
            .map_err(|_| LoginError::Random)?;
        Ok(B64.encode(bytes))
    }
}

/// A request value as it may appear in an error: at most 200 characters.
fn clip(value: &str) -> String {
    value.chars().take(200).collect()
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("tool", &self.tool.title)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
