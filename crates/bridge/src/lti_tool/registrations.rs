//! Platform registrations made by the tool itself: the `LTI_*` platform at start (registration
//! `default`, its Moodle = `MOODLE_BASE_URL`/`MOODLE_TOKEN`) and LTI Dynamic Registration
//! (`/lti/register`), limited to the platforms `LTI_DYNAMIC_REGISTRATION_ISSUERS` allows.
//!
//! `/lti/register` is reachable by anyone, so what it fetches and what it saves is bounded:
//! the configuration URL is checked before it is fetched (the route cannot make the bridge
//! request arbitrary addresses); the issuer and every endpoint of the fetched configuration
//! must lie under an allowed prefix (and, checked by the `lti` crate, on the issuer's origin)
//! before anything is sent to the platform; an existing registration is never replaced (409);
//! and what is saved is *pending*, without a Moodle token, until an administrator approves it.

use lti::{DynamicRegistration, Registration, RegistrationError};
use moodle_ws::Secret;

use super::LtiTool;
use crate::config::EnvRegistration;
use crate::lti_store::{LtiStore, NewRegistration, PendingSaveError};

/// The id of the registration the `LTI_*` variables make.
pub const ENV_REGISTRATION: &str = "default";

/// Why a dynamic registration failed.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// `openid_configuration` is missing.
    #[error("openid_configuration is required")]
    MissingConfiguration,
    /// The platform is not one that may register itself here.
    #[error("this bridge does not accept registrations from that platform")]
    NotAllowed,
    /// An endpoint of the platform's configuration is outside the allowed platforms.
    #[error("the platform configuration's {endpoint} is not on an allowed platform")]
    EndpointNotAllowed {
        /// The endpoint's name in the configuration.
        endpoint: &'static str,
    },
    /// The platform (issuer and client id) is registered already; it is never replaced
    /// from here.
    #[error("this platform is registered already; an administrator must remove it first")]
    AlreadyRegistered,
    /// The platform's configuration or its answer was refused or unusable.
    #[error(transparent)]
    Registration(#[from] RegistrationError),
    /// Saving failed.
    #[error("the registration cannot be saved: {0}")]
    Database(#[from] sqlx::Error),
}

/// Saves the `LTI_*` platform as registration `default` (its deployments as configured).
pub(super) async fn save_env(
    store: &LtiStore,
    env: &EnvRegistration,
    moodle: Option<(&str, &Secret)>,
) -> Result<(), sqlx::Error> {
    let (moodle_url, moodle_token) = match moodle {
        Some((url, token)) => (url.to_owned(), Some(token.clone())),
        None => (env.issuer.clone(), None),
    };
    store
        .save_registration(&NewRegistration {
            registration: Registration {
                id: ENV_REGISTRATION.to_owned(),
                issuer: env.issuer.clone(),
                client_id: env.client_id.clone(),
                auth_login_url: env.auth_login_url.clone(),
                access_token_url: env.token_url.clone(),
                jwks_url: env.jwks_url.clone(),
                token_audience: None,
                deployments: env.deployments.clone(),
            },
            moodle_url,
            moodle_token,
            created_by: "env",
            replace_deployments: true,
        })
        .await
        .map(drop)
}

pub(super) async fn register(
    tool: &LtiTool,
    openid_configuration: &str,
    registration_token: Option<&str>,
) -> Result<String, RegisterError> {
    if openid_configuration.is_empty() {
        return Err(RegisterError::MissingConfiguration);
    }
    if !tool.policy.allows(openid_configuration) {
        return Err(RegisterError::NotAllowed);
    }
    let id = format!("dyn-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let dynamic = DynamicRegistration::new(tool.http.clone(), (*tool.tool).clone());
    let platform = dynamic.fetch_configuration(openid_configuration).await?;
    // The issuer decides which Moodle a launch reads, the endpoints where the tool's trust
    // goes: each must be under an allowed prefix before anything is sent to the platform.
    if !tool.policy.allows(&platform.issuer) {
        return Err(RegisterError::NotAllowed);
    }
    if let Some((endpoint, _)) = platform
        .endpoints()
        .into_iter()
        .find(|(_, url)| !tool.policy.allows(url.as_str()))
    {
        return Err(RegisterError::EndpointNotAllowed { endpoint });
    }
    let outcome = dynamic
        .register_with(platform, registration_token, &id)
        .await?;
    let moodle_url = outcome.registration.issuer.clone();
    let saved = tool
        .store
        .save_pending(&NewRegistration {
            registration: outcome.registration,
            moodle_url,
            moodle_token: None,
            created_by: "dynamic",
            replace_deployments: false,
        })
        .await
        .map_err(|e| match e {
            PendingSaveError::Exists { .. } => RegisterError::AlreadyRegistered,
            PendingSaveError::Database(e) => RegisterError::Database(e),
        })?;
    tracing::info!(
        registration = saved,
        platform = outcome.platform.product_family_code,
        "platform registered dynamically; pending until approved"
    );
    Ok(saved)
}
