//! What the plugins keep on the site: their settings (`config_plugins`), the browser
//! sessions token logins open, the failed-attempt counters of the rate limit (a Moodle cache
//! on a real site), the `login_failed` events (the standard log) and `local_bridge`'s event
//! outbox.

use std::collections::BTreeMap;

use super::{Outbox, Plugins};

/// The plugins' rows and caches.
#[derive(Debug, Clone)]
pub struct PluginData {
    /// Which plugins are installed.
    pub installed: Plugins,
    /// `config_plugins`: (plugin, name) → value.
    pub config: BTreeMap<(String, String), String>,
    /// Browser sessions opened by token logins, by session id.
    pub sessions: BTreeMap<String, Session>,
    /// Failed token logins per client address.
    pub failed_attempts: BTreeMap<String, FailedAttempts>,
    /// `\local_logintoken\event\login_failed` events, oldest first.
    pub events: Vec<LoginFailedEvent>,
    /// `local_bridge`'s event outbox (`local_bridge_events`) and the current request's origin.
    pub outbox: Outbox,
}

/// A logged-in browser session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The user.
    pub userid: i64,
    /// When it was opened.
    pub timecreated: i64,
}

/// Failed attempts of one address in the current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailedAttempts {
    /// How many.
    pub count: i64,
    /// When the first of them happened.
    pub first: i64,
}

/// One refused token login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginFailedEvent {
    /// The reason code (`invalidtoken`, `tokenexpired`, …).
    pub reason: String,
    /// What was attempted: `token`, `validate` or `key`.
    pub method: String,
    /// The user the token or key belongs to, when known.
    pub relateduserid: Option<i64>,
    /// When.
    pub time: i64,
}

impl Default for PluginData {
    /// A site without the plugins (`install()` records what is installed).
    fn default() -> Self {
        PluginData {
            installed: Plugins::none(),
            config: BTreeMap::new(),
            sessions: BTreeMap::new(),
            failed_attempts: BTreeMap::new(),
            events: Vec::new(),
            outbox: Outbox::default(),
        }
    }
}

impl PluginData {
    /// `get_config($plugin, $name)`, `""` when unset.
    pub fn get_config(&self, plugin: &str, name: &str) -> &str {
        self.config
            .get(&(plugin.to_owned(), name.to_owned()))
            .map_or("", String::as_str)
    }

    /// A setting as PHP's `(int)` reads it.
    pub fn get_config_int(&self, plugin: &str, name: &str) -> i64 {
        crate::external::param::php_intval(self.get_config(plugin, name))
    }

    /// `set_config($name, $value, $plugin)`.
    pub fn set_config(&mut self, plugin: &str, name: &str, value: &str) {
        self.config
            .insert((plugin.to_owned(), name.to_owned()), value.to_owned());
    }
}
