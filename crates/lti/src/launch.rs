//! The launch: the id_token the platform form-posts to the redirect URI, checked step by
//! step (1EdTech Security Framework §5.1.3, LTI Core §5) into a [`Launch`] — the control flow
//! of packback's `LtiMessageLaunch` (state, format, nonce, registration, signature,
//! deployment, message), each refusal its own [`LaunchError`] variant.
//!
//! The registration and the platform's key set come from the login state, never from the
//! unverified token. Binding the state to the browser (a cookie, or LTI platform storage in
//! the page) is the bridge's part; it reports what it found as a [`StateBinding`].

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::claims::{IdTokenClaims, Launch, MessageType, Verified};
use crate::clock::Clock;
use crate::error::{JwksError, LaunchError};
use crate::jwt;
use crate::platform_jwks::PlatformKeys;
use crate::store::{StateLookup, Stores};

/// Settings of the launch checks.
#[derive(Clone, Debug)]
pub struct LaunchConfig {
    /// Tolerated clock difference for `exp` and `iat` (default 60 s; Moodle's tokens live 60 s).
    pub clock_skew: Duration,
    /// Accept launches without `sub` (Core §5.3.6.1 anonymous launches; default no).
    pub allow_anonymous: bool,
}

impl Default for LaunchConfig {
    fn default() -> Self {
        LaunchConfig {
            clock_skew: Duration::from_secs(60),
            allow_anonymous: false,
        }
    }
}

/// The fields the platform form-posts to the redirect URI (Moodle `auth.php`: `id_token`
/// and `state`, or `error`, `error_description` and `state`). `Debug` shows neither token nor
/// state.
#[derive(Clone, Default, Deserialize)]
pub struct LaunchForm {
    /// The signed id_token.
    #[serde(default)]
    pub id_token: Option<String>,
    /// The state sent at login.
    #[serde(default)]
    pub state: Option<String>,
    /// An OAuth error instead of a token.
    #[serde(default)]
    pub error: Option<String>,
    /// The error's description.
    #[serde(default)]
    pub error_description: Option<String>,
}

impl LaunchForm {
    /// A form with a token and a state.
    pub fn new(id_token: &str, state: &str) -> LaunchForm {
        LaunchForm {
            id_token: Some(id_token.to_owned()),
            state: Some(state.to_owned()),
            ..LaunchForm::default()
        }
    }

    /// The fields of an `application/x-www-form-urlencoded` body.
    pub fn from_form(body: &[u8]) -> LaunchForm {
        let mut form = LaunchForm::default();
        for (name, value) in form_urlencoded::parse(body) {
            let slot = match name.as_ref() {
                "id_token" => &mut form.id_token,
                "state" => &mut form.state,
                "error" => &mut form.error,
                "error_description" => &mut form.error_description,
                _ => continue,
            };
            *slot = Some(value.into_owned());
        }
        form
    }
}

impl std::fmt::Debug for LaunchForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LaunchForm")
            .field(
                "id_token",
                &self
                    .id_token
                    .as_ref()
                    .map(|t| format!("<{} bytes>", t.len())),
            )
            .field("state", &self.state.as_ref().map(|_| "***"))
            .field("error", &self.error)
            .field("error_description", &self.error_description)
            .finish()
    }
}

/// How the bridge bound the login state to this browser (Security Framework §7.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateBinding<'a> {
    /// The state cookie set at login, or `None` when the browser sent none (Safari and
    /// Chrome in iframes often drop third-party cookies).
    Cookie(Option<&'a str>),
    /// The page will check the state in LTI platform storage (`lti.get_data`); accepted only
    /// when the platform offered storage at login.
    PlatformStorage,
}

/// Validates launches; share one per process.
pub struct LaunchValidator {
    stores: Stores,
    keys: Arc<PlatformKeys>,
    clock: Clock,
    config: LaunchConfig,
}

impl LaunchValidator {
    /// A validator using `stores` and the platform key cache `keys`.
    pub fn new(stores: Stores, keys: Arc<PlatformKeys>, clock: Clock) -> LaunchValidator {
        LaunchValidator {
            stores,
            keys,
            clock,
            config: LaunchConfig::default(),
        }
    }

    /// The same validator with other settings.
    pub fn with_config(mut self, config: LaunchConfig) -> LaunchValidator {
        self.config = config;
        self
    }

    /// Checks a posted launch and returns it; consumes its state whatever the outcome after
    /// the token's format was checked.
    ///
    /// # Errors
    /// One [`LaunchError`] variant per failed check.
    pub async fn validate(
        &self,
        form: &LaunchForm,
        binding: StateBinding<'_>,
    ) -> Result<Launch, LaunchError> {
        if let Some(error) = form.error.as_deref().filter(|e| !e.is_empty()) {
            return Err(LaunchError::PlatformError {
                error: error.to_owned(),
                description: form.error_description.clone(),
            });
        }
        let token = non_empty(&form.id_token).ok_or(LaunchError::MissingIdToken)?;
        let state = non_empty(&form.state).ok_or(LaunchError::MissingState)?;
        match binding {
            StateBinding::Cookie(None) => return Err(LaunchError::StateNotBound),
            StateBinding::Cookie(Some(bound)) if !same(bound, state) => {
                return Err(LaunchError::StateMismatch);
            }
            StateBinding::Cookie(Some(_)) | StateBinding::PlatformStorage => {}
        }

        // Security §5.1.3 step 6 and §5.4: RS256 only, refused before any key is used.
        let parts = jwt::split(token).ok_or(LaunchError::Malformed)?;
        match parts.header.alg.as_str() {
            "RS256" => {}
            alg if alg.eq_ignore_ascii_case("none") => return Err(LaunchError::AlgorithmNone),
            other => {
                return Err(LaunchError::AlgorithmNotAllowed {
                    alg: other.chars().take(16).collect(),
                });
            }
        }
        // Security §6.3: "a kid MUST be supplied".
        let kid = parts
            .header
            .kid
            .as_deref()
            .filter(|k| !k.is_empty())
            .ok_or(LaunchError::MissingKid)?;

        let login = match self.stores.states.take(state).await? {
            StateLookup::Found(login) => *login,
            StateLookup::Used => return Err(LaunchError::StateReused),
            StateLookup::Unknown => return Err(LaunchError::StateUnknown),
        };
        let now = self.clock.now();
        if now >= login.expires_at {
            return Err(LaunchError::StateExpired);
        }
        if binding == StateBinding::PlatformStorage && login.storage_target.is_none() {
            return Err(LaunchError::StateNotBound);
        }
        let registration = self
            .stores
            .registrations
            .find(&login.issuer, &login.client_id)
            .await?
            .ok_or(LaunchError::UnknownRegistration)?;

        // Step 1: the signature, with the key set of the login's registration.
        let key = self
            .keys
            .key(&registration.jwks_url, kid)
            .await
            .map_err(|e| match e {
                JwksError::UnknownKid { kid } => LaunchError::UnknownKid { kid },
                other => LaunchError::JwksUnavailable(other),
            })?;
        if !key.verify_rs256(parts.signing_input, &parts.signature) {
            return Err(LaunchError::BadSignature);
        }
        let claims = parse_claims(parts.payload_b64)?;

        // Steps 2–5: issuer, audience, authorized party.
        let iss = claims.iss.as_deref().ok_or(missing("iss"))?;
        if iss != registration.issuer {
            return Err(LaunchError::WrongIssuer);
        }
        let aud = claims.aud.as_deref().ok_or(missing("aud"))?;
        if !aud.contains(&registration.client_id) {
            return Err(LaunchError::WrongAudience);
        }
        match claims.azp.as_deref() {
            None if aud.len() > 1 => return Err(LaunchError::AzpMissing),
            Some(azp) if azp != registration.client_id => return Err(LaunchError::AzpMismatch),
            _ => {}
        }

        // Steps 7–8: expiry and issue time, with the configured skew.
        let skew = i64::try_from(self.config.clock_skew.as_secs()).unwrap_or(i64::MAX);
        let exp = claims.exp.ok_or(missing("exp"))?;
        if now > exp.saturating_add(skew) {
            return Err(LaunchError::Expired);
        }
        let iat = claims.iat.ok_or(missing("iat"))?;
        if iat > now.saturating_add(skew) {
            return Err(LaunchError::IssuedInFuture);
        }

        // Step 9: the nonce, never seen before and the one issued with this state.
        let nonce = claims
            .nonce
            .clone()
            .filter(|n| !n.is_empty())
            .ok_or(missing("nonce"))?;
        let keep_until = exp.max(now).saturating_add(skew);
        if !self
            .stores
            .nonces
            .record(&registration.issuer, &nonce, keep_until)
            .await?
        {
            return Err(LaunchError::NonceReplayed);
        }
        if !same(&nonce, &login.nonce) {
            return Err(LaunchError::NonceMismatch);
        }

        // Core §5.3: version, message type, deployment.
        let version = claims.version.as_deref().ok_or(missing("version"))?;
        if version != crate::LTI_VERSION {
            return Err(LaunchError::WrongVersion {
                version: version.chars().take(16).collect(),
            });
        }
        let message_type = claims
            .message_type
            .as_deref()
            .ok_or(missing("message_type"))?;
        let message_type = MessageType::parse(message_type).ok_or_else(|| {
            LaunchError::UnsupportedMessageType {
                message_type: message_type.chars().take(64).collect(),
            }
        })?;
        let deployment_id = claims
            .deployment_id
            .clone()
            .filter(|d| !d.is_empty())
            .ok_or(missing("deployment_id"))?;
        if !registration.has_deployment(&deployment_id) {
            return Err(LaunchError::UnknownDeployment { deployment_id });
        }

        let verified = Verified {
            registration_id: registration.id,
            issuer: registration.issuer,
            client_id: registration.client_id,
            deployment_id,
            message_type,
            nonce,
            issued_at: iat,
            expires_at: exp,
            storage_target: login.storage_target,
        };
        claims.into_launch(verified, self.config.allow_anonymous)
    }
}

impl std::fmt::Debug for LaunchValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LaunchValidator")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn missing(claim: &'static str) -> LaunchError {
    LaunchError::MissingClaim { claim }
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

/// Constant-time equality, for values an attacker may probe.
fn same(a: &str, b: &str) -> bool {
    jwt::constant_time_eq(a.as_bytes(), b.as_bytes())
}

/// The payload as typed claims; a claim of the wrong shape is named. JSON is UTF-8 (RFC 8259
/// §8.1): the bytes are checked once, then parsed as text, which spares the parser
/// re-validating every string.
fn parse_claims(payload_b64: &str) -> Result<IdTokenClaims, LaunchError> {
    let payload = jwt::decode_b64url(payload_b64).ok_or(LaunchError::Malformed)?;
    let payload = String::from_utf8(payload).map_err(|_| invalid_payload())?;
    serde_json::from_str(&payload).map_err(|_| {
        let mut de = serde_json::Deserializer::from_str(&payload);
        let claim = match serde_path_to_error::deserialize::<_, IdTokenClaims>(&mut de) {
            Err(e) if !e.path().to_string().is_empty() && e.path().to_string() != "." => {
                e.path().to_string()
            }
            _ => "payload".to_owned(),
        };
        LaunchError::InvalidClaim { claim }
    })
}

fn invalid_payload() -> LaunchError {
    LaunchError::InvalidClaim {
        claim: "payload".to_owned(),
    }
}
