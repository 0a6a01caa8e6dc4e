//! Platform registrations made by the tool itself: the `LTI_*` platform at start (registration
//! `default`, its Moodle = `MOODLE_BASE_URL`/`MOODLE_TOKEN`) and LTI Dynamic Registration
//! (`/lti/register`), limited to the platforms `LTI_DYNAMIC_REGISTRATION_ISSUERS` allows — the
//! configuration URL is checked before it is fetched, so the route cannot be used to make the
//! bridge request arbitrary addresses.

use lti::{DynamicRegistration, Registration, RegistrationError};
use moodle_ws::Secret;

use super::LtiTool;
use crate::config::EnvRegistration;
use crate::lti_store::{LtiStore, NewRegistration};

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
    let outcome = DynamicRegistration::new(tool.http.clone(), (*tool.tool).clone())
        .register(openid_configuration, registration_token, &id)
        .await?;
    // The issuer is a prefix of the configuration URL (checked by the lti crate), but check
    // it against the policy too: it decides which Moodle a launch reads.
    if !tool.policy.allows(&outcome.registration.issuer) {
        return Err(RegisterError::NotAllowed);
    }
    let moodle_url = outcome.registration.issuer.clone();
    let saved = tool
        .store
        .save_registration(&NewRegistration {
            registration: outcome.registration,
            moodle_url,
            moodle_token: None,
            created_by: "dynamic",
            replace_deployments: false,
        })
        .await?;
    tracing::info!(
        registration = saved,
        platform = outcome.platform.product_family_code,
        "platform registered dynamically"
    );
    Ok(saved)
}
