//! Which Moodle a caller's files come from: an API token reads the bridge's own Moodle
//! (`MOODLE_BASE_URL` with `MOODLE_TOKEN`); a launch reads the Moodle of the platform that
//! launched it (the registration's site and sealed token), never another. Clients are built
//! once per registration (by the bridge's one client builder, `moodle::Clients`, with the
//! metrics and breaker every client has) and reused for a minute.

use std::time::Duration;

use moodle_ws::Client;

use super::FileError;
use crate::lti_store::LtiStore;
use crate::moodle::{Clients, Policy};

/// The Moodle clients of the file manager.
#[derive(Clone)]
pub struct Sites {
    default: Client,
    store: LtiStore,
    builder: Clients,
    policy: Policy,
    clients: moka::sync::Cache<String, Client>,
}

impl std::fmt::Debug for Sites {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sites")
            .field("default", &self.default.base_url())
            .finish_non_exhaustive()
    }
}

impl Sites {
    /// The bridge's own Moodle (`default`) and the registrations in `store`, whose clients
    /// `builder` makes with `policy`.
    pub fn new(default: Client, store: LtiStore, builder: Clients, policy: Policy) -> Sites {
        Sites {
            default,
            store,
            builder,
            policy,
            clients: moka::sync::Cache::builder()
                .max_capacity(256)
                .time_to_live(Duration::from_secs(60))
                .build(),
        }
    }

    /// The bridge's own Moodle.
    pub fn default_client(&self) -> &Client {
        &self.default
    }

    /// The Moodle of a registration, with the token stored for it. A registration without
    /// one has no Moodle access: the bridge's own `MOODLE_TOKEN` is never lent to it (a
    /// platform that registered itself must not inherit the bridge's rights; the operator
    /// shares a token explicitly with `lti approve --moodle-token-from`).
    ///
    /// # Errors
    /// [`FileError::UnknownPlatform`], [`FileError::NoMoodleToken`] (also when the sealed
    /// token cannot be opened), [`FileError::Database`].
    pub async fn client(&self, platform: &str) -> Result<Client, FileError> {
        if let Some(client) = self.clients.get(platform) {
            return Ok(client);
        }
        let (url, token) =
            self.store
                .moodle_site(platform)
                .await?
                .ok_or_else(|| FileError::UnknownPlatform {
                    platform: platform.to_owned(),
                })?;
        let no_token = || FileError::NoMoodleToken {
            platform: platform.to_owned(),
        };
        let client = match token {
            Ok(Some(token)) => self.builder.build(url.as_str(), Some(token), self.policy)?,
            Ok(None) => return Err(no_token()),
            Err(e) => {
                tracing::error!(platform, error = %e, "a platform's Moodle token cannot be opened");
                return Err(no_token());
            }
        };
        self.clients.insert(platform.to_owned(), client.clone());
        Ok(client)
    }
}
