#![doc = include_str!("../README.md")]

pub mod access;
pub mod control;
pub mod endpoints;
pub mod errors;
pub mod external;
pub mod faults;
pub mod fixture;
pub mod functions;
pub mod lti;
pub mod php;
pub mod php_json;
pub mod plugins;
pub mod state;
pub mod testing;
pub mod version;
pub mod ws;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use faults::{Fault, FaultRule, Target};
pub use fixture::TokenMode;
pub use plugins::Plugins;
pub use version::{MoodleVersion, VERSION_ENV};

use endpoints::Shared;
use functions::FunctionCatalog;

/// How to start a stand-in.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Address to bind; port 0 picks a free port.
    pub bind: SocketAddr,
    /// How seeded tokens are made.
    pub tokens: TokenMode,
    /// Start with Moodle's developer debugging on.
    pub debug: bool,
    /// Which of the project's Moodle plugins are installed (both by default).
    pub plugins: Plugins,
    /// The LTI 1.3 platform side: the seeded tool's URLs and client id, platform storage,
    /// the seeded activity.
    pub lti: lti::LtiConfig,
    /// Which Moodle the stand-in answers as (4.5 by default).
    pub moodle_version: MoodleVersion,
    /// The site URL when it is not the bound address (`$CFG->wwwroot` of a Moodle behind a
    /// reverse proxy): the URLs the stand-in hands out (file URLs, LTI endpoints) use it.
    pub public_url: Option<String>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            tokens: TokenMode::Random,
            debug: false,
            plugins: Plugins::default(),
            lti: lti::LtiConfig::default(),
            moodle_version: MoodleVersion::default(),
            public_url: None,
        }
    }
}

/// A running stand-in. Dropping it stops the server.
pub struct Sim {
    addr: SocketAddr,
    url: String,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Sim {
    /// Binds, seeds the site and starts serving.
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub async fn start(config: SimConfig) -> std::io::Result<Sim> {
        let listener = TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        let url = config.public_url.clone().map_or_else(
            || format!("http://{addr}"),
            |u| u.trim_end_matches('/').to_owned(),
        );
        let mut catalog = FunctionCatalog::of(config.moodle_version);
        let mut state = fixture::seeded_state(&url, config.moodle_version, &catalog, config.tokens);
        state.site.debug = config.debug;
        let mut registry = ws::registry(config.moodle_version);
        plugins::install(config.plugins, &mut catalog, &mut registry, &mut state);
        lti::install(&config.lti, &mut state);
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            catalog,
            registry,
            faults: faults::Faults::default(),
            plugins: config.plugins,
        });
        let app = endpoints::router(shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = server.await {
                tracing::error!(error = %e, "moodle-sim server stopped");
            }
        });
        Ok(Sim {
            addr,
            url,
            shared,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The site URL (`$CFG->wwwroot`), e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A seeded token by its role name (`admin_bridge`, `student1_mobile`, …).
    pub fn token(&self, role: &str) -> Option<String> {
        let (_, username, service) = fixture::SEEDED_TOKENS.iter().find(|(r, _, _)| *r == role)?;
        let db = self.shared.db();
        let userid = db.users.values().find(|u| u.username == *username)?.id;
        let serviceid = db.services.values().find(|s| s.shortname == *service)?.id;
        let name = format!("moodle-real {role}");
        db.tokens
            .values()
            .find(|t| t.userid == userid && t.serviceid == serviceid && t.name == name)
            .map(|t| t.token.clone())
    }

    /// Every seeded token, by role name, in the seed's order.
    pub fn tokens(&self) -> Vec<(&'static str, String)> {
        fixture::SEEDED_TOKENS
            .iter()
            .filter_map(|(role, _, _)| self.token(role).map(|t| (*role, t)))
            .collect()
    }

    /// The fault rules and call counts.
    pub fn faults(&self) -> &faults::Faults {
        &self.shared.faults
    }

    /// Requests received for a web-service function or an endpoint path.
    pub fn calls(&self, key: &str) -> u64 {
        self.shared.faults.calls(key)
    }

    /// Switches Moodle's developer debugging (errors carry debuginfo and stack traces).
    pub fn set_debug(&self, debug: bool) {
        self.shared.db().site.debug = debug;
    }

    /// Switches the site's maintenance mode.
    pub fn set_maintenance(&self, on: bool) {
        self.shared.db().site.maintenance = on;
    }

    /// Runs a closure on the site's data (for tests that set up or inspect state).
    pub fn with_state<R>(&self, f: impl FnOnce(&mut state::State) -> R) -> R {
        f(&mut self.shared.db())
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
