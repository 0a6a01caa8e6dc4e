//! The LTI 1.3 tool (`docs/contracts/file-manager.md`): the `lti` crate's login, launch
//! validation, keys, deep
//! linking and dynamic registration wired to the bridge's database, and the rules of what a
//! launch leads to — administrators and instructors get the file manager and a launch
//! token ([`launch_token`]), everyone else a refusal; a deep-linking request gets the picker.
//!
//! Plain Rust, no HTTP: `http/lti.rs` reads the requests (form, state cookie) and writes the
//! pages. Platform registrations (`moodle-bridge lti …`) are in `registrations.rs`, the tool's
//! keys in `keys.rs`.

pub mod keys;
pub mod launch_token;
mod registrations;
mod services;

use std::sync::Arc;
use std::time::Duration;

use lti::deep_linking::{LineItemSpec, ResourceLinkItem};
use lti::{
    AuthRedirect, Clock, ContentItem, DeepLinkingResponse, KeySet, Launch, LaunchError, LaunchForm,
    LaunchValidator, Login, LoginError, LoginRequest, PlatformKeys, ServiceConnector, StateBinding,
    Stores, Tool,
};
use moodle_ws::Secret;

pub use launch_token::{LaunchClaims, LaunchTokenError, LaunchTokens, RoleFlags, TicketClaims};
pub use registrations::RegisterError;
pub use services::{NewLineItem, NewScore, PostedScore, Service, ServiceCallError};

use crate::config::{DynamicRegistrationPolicy, LtiConfig};
use crate::lti_store::{KeyStoreError, LtiStore};

/// The tool's name, as platforms list it.
pub const TITLE: &str = "Moodle Bridge";
/// What the tool does, for `config.json` and dynamic registration.
const DESCRIPTION: &str = "Browse a learner's Moodle files, copy them into the bridge's storage, \
                           upload files, and list, download and delete stored files.";

/// Why the tool cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ToolStartError {
    /// A tool key cannot be parsed or made.
    #[error("LTI tool key: {0}")]
    Key(#[from] lti::KeyError),
    /// The stored keys cannot be read or opened.
    #[error("LTI tool keys: {0}")]
    KeyStore(#[from] KeyStoreError),
    /// The database failed.
    #[error("LTI tables: {0}")]
    Database(#[from] sqlx::Error),
    /// The database holds no current key after making one.
    #[error("LTI tool keys: no current key")]
    NoCurrentKey,
    /// The public URL cannot carry the tool's routes.
    #[error("PUBLIC_URL: {0}")]
    PublicUrl(#[from] lti::ToolError),
}

/// What a verified launch leads to.
#[derive(Debug)]
pub enum Arrival {
    /// An administrator or instructor: the file manager, with its launch token.
    FileManager {
        /// The launch token for the page.
        token: String,
        /// What it says.
        claims: LaunchClaims,
    },
    /// A deep-linking request from staff: the picker, with the answers pre-signed.
    DeepLinking(DeepLinkChoices),
    /// Anyone else: the file manager is not for their role.
    NotForRole {
        /// The platform's origin (it may frame the refusal page).
        origin: String,
        /// Where the platform wants the user sent back, if it said.
        return_url: Option<String>,
    },
}

/// The deep-linking picker's possible answers, each a signed `LtiDeepLinkingResponse`.
#[derive(Debug, Clone)]
pub struct DeepLinkChoices {
    /// The platform's `deep_link_return_url`.
    pub return_url: String,
    /// The platform's origin.
    pub origin: String,
    /// "File manager" as a resource link.
    pub file_manager: String,
    /// The same with a grade column (when the platform accepts line items).
    pub file_manager_graded: Option<String>,
    /// Nothing picked.
    pub cancel: String,
}

/// What a login page needs when the platform offered LTI platform storage.
pub use lti::PlatformStorage;

/// The LTI tool.
pub struct LtiTool {
    tool: Arc<Tool>,
    keys: Arc<KeySet>,
    store: LtiStore,
    login: Login,
    validator: LaunchValidator,
    connector: ServiceConnector,
    http: reqwest::Client,
    tokens: LaunchTokens,
    policy: DynamicRegistrationPolicy,
    clock: Clock,
    secure_cookies: bool,
}

impl std::fmt::Debug for LtiTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LtiTool")
            .field("base_url", &self.tool.base_url.as_str())
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl LtiTool {
    /// The tool at `public_url`: keys loaded (or made once), the `LTI_*` platform saved as
    /// registration `default` (its Moodle = `moodle`).
    ///
    /// # Errors
    /// [`ToolStartError`].
    pub async fn start(
        config: &LtiConfig,
        public_url: &str,
        store: LtiStore,
        secret_key: &Secret,
        http: reqwest::Client,
        moodle: Option<(&str, &Secret)>,
    ) -> Result<LtiTool, ToolStartError> {
        let clock = Clock::system();
        let tool = Arc::new(Tool::new(TITLE, public_url)?.with_description(DESCRIPTION));
        let keys = Arc::new(keys::load(&store, config.private_key.as_ref()).await?);
        if let Some(registration) = &config.registration {
            registrations::save_env(&store, registration, moodle).await?;
        }
        let stores = Stores::from_one(Arc::new(store.clone()));
        let platform_keys = Arc::new(PlatformKeys::new(http.clone(), clock.clone()));
        let secure_cookies = tool.base_url.scheme() == "https" || is_loopback(&tool.base_url);
        Ok(LtiTool {
            login: Login::new(tool.clone(), stores.clone(), clock.clone()),
            validator: LaunchValidator::new(stores, platform_keys, clock.clone()),
            connector: ServiceConnector::new(http.clone(), keys.clone(), clock.clone()),
            tokens: LaunchTokens::derive(secret_key, config.launch_token_ttl),
            policy: config.dynamic_registration.clone(),
            http,
            tool,
            keys,
            store,
            clock,
            secure_cookies,
        })
    }

    /// The tool's URLs and description.
    pub fn tool(&self) -> &Tool {
        &self.tool
    }

    /// The launch tokens.
    pub fn tokens(&self) -> &LaunchTokens {
        &self.tokens
    }

    /// Checks a launch token: its signature and time, then that its platform still has its
    /// deployment (a token from a deployment removed since is refused).
    ///
    /// # Errors
    /// [`LaunchTokenError`]; `Unavailable` when the database cannot say.
    pub async fn verify_launch_token(&self, token: &str) -> Result<LaunchClaims, LaunchTokenError> {
        let claims = self.tokens.verify(token)?;
        match self.store.has_deployment(&claims.reg, &claims.dep).await {
            Ok(true) => Ok(claims),
            Ok(false) => Err(LaunchTokenError::DeploymentRemoved),
            Err(e) => {
                tracing::warn!(error = %e, "launch token's deployment not checked");
                Err(LaunchTokenError::Unavailable)
            }
        }
    }

    /// The LTI tables.
    pub fn store(&self) -> &LtiStore {
        &self.store
    }

    /// The access-token client for AGS and NRPS.
    pub fn connector(&self) -> &ServiceConnector {
        &self.connector
    }

    /// Whether state cookies can be `Secure; SameSite=None`: the public URL is https or a
    /// loopback address (which browsers treat as secure).
    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies
    }

    /// The current Unix time.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The JWKS document.
    pub fn jwks(&self) -> lti::keys::Jwks {
        self.keys.jwks()
    }

    /// `config.json`.
    pub fn config_json(&self) -> serde_json::Value {
        self.tool.config_json()
    }

    /// A login initiation: saves state and nonce, returns the authentication request.
    ///
    /// # Errors
    /// [`LoginError`].
    pub async fn login(&self, request: &LoginRequest) -> Result<AuthRedirect, LoginError> {
        self.login.initiate(request).await
    }

    /// Whether a registration waiting for approval matches this issuer (and client id).
    /// A database failure counts as not pending (the login is refused either way).
    pub async fn is_pending(&self, issuer: &str, client_id: Option<&str>) -> bool {
        self.store
            .is_pending(issuer, client_id)
            .await
            .inspect_err(|e| tracing::warn!(error = %e, "pending registrations not checked"))
            .unwrap_or(false)
    }

    /// Validates a launch. With the state cookie the browser sent, the cookie binds the state;
    /// without it, only a login that offered platform storage can go on (the page then checks
    /// the state there).
    ///
    /// # Errors
    /// [`LaunchError`], one variant per check.
    pub async fn launch(
        &self,
        form: &LaunchForm,
        cookie: Option<&str>,
    ) -> Result<Launch, LaunchError> {
        let binding = match cookie {
            Some(value) => StateBinding::Cookie(Some(value)),
            None => StateBinding::PlatformStorage,
        };
        self.validator.validate(form, binding).await
    }

    /// What a verified launch leads to.
    ///
    /// # Errors
    /// Only if signing fails.
    pub fn arrive(&self, launch: &Launch) -> Result<Arrival, lti::DeepLinkingError> {
        let roles = RoleFlags {
            administrator: launch.roles.is_administrator(),
            instructor: launch.roles.is_instructor(),
            learner: launch.roles.is_learner(),
        };
        let origin = platform_origin(launch);
        if !(roles.administrator || roles.instructor) {
            return Ok(Arrival::NotForRole {
                origin,
                return_url: launch
                    .launch_presentation
                    .as_ref()
                    .and_then(|p| p.return_url.clone()),
            });
        }
        if launch.message_type == lti::MessageType::DeepLinking {
            return self
                .deep_link_choices(launch, origin)
                .map(Arrival::DeepLinking);
        }
        let context = launch
            .context
            .as_ref()
            .map(|c| c.id.clone())
            .unwrap_or_default();
        let claims = LaunchClaims {
            sub: launch.user.sub.clone().unwrap_or_default(),
            reg: launch.registration_id.clone(),
            dep: launch.deployment_id.clone(),
            course: context.parse().ok().filter(|id: &i64| *id > 0),
            ctx: context,
            rlid: launch.resource_link.as_ref().map(|r| r.id.clone()),
            roles,
            name: launch.user.name.clone(),
            origin,
            iat: 0,
            exp: 0,
            jti: String::new(),
        };
        let (token, claims) = self
            .tokens
            .issue(claims, self.clock.now())
            .map_err(|_| lti::KeyError::Signing)?;
        Ok(Arrival::FileManager { token, claims })
    }

    fn deep_link_choices(
        &self,
        launch: &Launch,
        origin: String,
    ) -> Result<DeepLinkChoices, lti::DeepLinkingError> {
        let now = self.clock.now();
        let item = |graded: bool| {
            ContentItem::LtiResourceLink(ResourceLinkItem {
                title: Some("File manager".to_owned()),
                text: Some("Learners' Moodle files, copied into Moodle Bridge".to_owned()),
                url: Some(self.tool.launch_url.to_string()),
                line_item: graded.then(|| LineItemSpec {
                    score_maximum: 100.0,
                    label: Some("File manager".to_owned()),
                    resource_id: Some("file-manager".to_owned()),
                    tag: None,
                }),
                ..ResourceLinkItem::default()
            })
        };
        let settings = launch
            .deep_linking
            .as_ref()
            .ok_or(lti::DeepLinkingError::NotDeepLinking)?;
        let graded = (settings.accept_lineitem != Some(false))
            .then(|| DeepLinkingResponse::new(vec![item(true)]).jwt(&self.keys, launch, now))
            .transpose()?;
        Ok(DeepLinkChoices {
            return_url: settings.deep_link_return_url.clone(),
            origin,
            file_manager: DeepLinkingResponse::new(vec![item(false)])
                .jwt(&self.keys, launch, now)?,
            file_manager_graded: graded,
            cancel: DeepLinkingResponse::new(Vec::new()).jwt(&self.keys, launch, now)?,
        })
    }

    /// Dynamic registration, as Moodle (3.10+) runs it.
    ///
    /// # Errors
    /// [`RegisterError`].
    pub async fn register(
        &self,
        openid_configuration: &str,
        registration_token: Option<&str>,
    ) -> Result<String, RegisterError> {
        registrations::register(self, openid_configuration, registration_token).await
    }

    /// Runs the tool's upkeep while it lives: key changes picked up every minute, old states
    /// and nonces deleted every ten.
    pub fn spawn_upkeep(self: &Arc<Self>) {
        let tool = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            let mut round: u64 = 0;
            loop {
                tick.tick().await;
                let Some(tool) = tool.upgrade() else { return };
                if let Err(e) = keys::refresh(&tool.keys, &tool.store).await {
                    tracing::warn!(error = %e, "LTI tool keys not refreshed");
                }
                if round.is_multiple_of(10)
                    && let Err(e) = tool.store.purge().await
                {
                    tracing::warn!(error = %e, "old LTI states and nonces not deleted");
                }
                round += 1;
            }
        });
    }
}

/// The platform's origin (its issuer's, else its authentication endpoint's): the site that
/// frames the tool.
fn platform_origin(launch: &Launch) -> String {
    url::Url::parse(&launch.issuer)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}
