//! Assembly: [`App::build`] opens the database (and migrates it), builds the Moodle client,
//! the services and the router, and binds the listener (port 0 allowed; [`App::port`] says
//! which). [`App::run_until`] serves until a shutdown signal, finishing requests in flight,
//! with the job worker (the publisher's pushes) running beside the server.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::audit::AuditLog;
use crate::auth::{Authenticator, OwnKey, RateLimiter, Revocations};
use crate::config::Config;
use crate::db::{Db, DbError};
use crate::gateway::Gateway;
use crate::health::Health;
use crate::http;
use crate::lti_tool::LtiTool;
use crate::metrics::Metrics;
use crate::moodle::Clients;
pub use crate::state::AppState;
use crate::state::Services;
use crate::token_login::TokenLogin;
use crate::{courses, file_manager, jobs, lms, publish, storage, webhooks};

/// Why the service cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database cannot be opened or migrated.
    #[error(transparent)]
    Database(#[from] DbError),
    /// The Moodle client cannot be built (bad URL, TLS setup).
    #[error("moodle client: {0}")]
    Moodle(#[from] moodle_ws::Error),
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A setting the service needs is missing.
    #[error(transparent)]
    Config(#[from] crate::config::Problems),
    /// File storage cannot be used.
    #[error(transparent)]
    Storage(#[from] storage::StorageError),
    /// The LTI tool cannot start (keys, registrations).
    #[error(transparent)]
    Lti(#[from] crate::lti_tool::ToolStartError),
    /// The certificate or key of `TLS_CERT_FILE` / `TLS_KEY_FILE` cannot be used.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
}

/// A built service, bound and ready to serve.
pub struct App {
    listener: TcpListener,
    router: axum::Router,
    db: Db,
    worker: jobs::Worker,
    events: Option<(webhooks::poller::Poller, webhooks::delivery::Deliverer)>,
    tls: Option<(Arc<crate::tls::Certificates>, rustls::ServerConfig)>,
}

impl App {
    /// Builds the service from a validated configuration.
    ///
    /// # Errors
    /// [`StartError`].
    pub async fn build(config: &Config) -> Result<App, StartError> {
        let moodle_config = config.require_moodle()?;
        let tls = config
            .tls
            .as_ref()
            .map(|files| {
                let certificates = crate::tls::Certificates::load(files)?;
                let server = certificates.server_config()?;
                Ok::<_, crate::tls::TlsError>((certificates, server))
            })
            .transpose()?;
        let db = Db::connect(&config.database_url).await?;
        db.migrate().await?;
        let metrics = Arc::new(Metrics::default());
        let clients = Clients::new(Some(metrics.clone()));
        let moodle = clients.build(
            moodle_config.base_url.as_str(),
            Some(moodle_config.token.clone()),
            moodle_config.policy(),
        )?;
        let gateway = Arc::new(
            Gateway::new(
                moodle.clone(),
                AuditLog::new(db.clone()),
                moodle_config.cache_ttl,
            )
            .with_enrol_roles(moodle_config.enrol_role_ids.clone()),
        );
        let http_client = reqwest::Client::builder()
            .tls_backend_preconfigured(moodle_ws::tls::config(&[], false)?)
            .user_agent(concat!("moodle-bridge/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| moodle_ws::Error::InvalidRequest {
                reason: format!("http client setup failed: {}", e.without_url()),
            })?;
        let own_key = config.secret_key.as_ref().map(OwnKey::derive);
        let revocations = Arc::new(
            Revocations::load(db.clone())
                .await
                .map_err(DbError::Connect)?,
        );
        revocations.spawn_refresh();
        let auth = Arc::new(
            Authenticator::new(&config.auth, own_key.clone(), http_client.clone())
                .with_revocations(revocations),
        );
        let login = &config.auth.token_login;
        let token_login = Arc::new(
            TokenLogin::new(
                moodle.clone(),
                own_key,
                login.scopes,
                login.ttl,
                login.per_minute,
            )
            .recording_in(db.clone()),
        );
        let limiter = Arc::new(RateLimiter::new(
            config.auth.rate_per_minute,
            config.auth.rate_burst,
        ));
        let (courses, lms, publisher) = publisher_parts(config, &db, &clients)?;
        // Automatic sync listens for local changes while the service runs.
        publisher.start_auto_sync();
        let worker = jobs::Worker::new(
            publisher.jobs().clone(),
            Arc::new(publisher.clone()),
            usize::try_from(config.lms.job_workers).unwrap_or(1),
        );
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.bind,
                source,
            })?;
        let (lti, files) = lti_parts(
            config,
            &db,
            http_client,
            (moodle.clone(), &clients),
            listener.local_addr().ok(),
        )
        .await?;
        let (hooks, events) = webhook_parts(config, &db, &clients)?;
        let state = AppState::new(Services {
            gateway,
            auth,
            limiter,
            metrics,
            health: Arc::new(Health::new(db.clone(), moodle)),
            token_login,
            courses,
            lms,
            publisher,
            lti,
            file_manager: files,
            audit: AuditLog::new(db.clone()),
            http: Arc::new(config.http.clone()),
            lti_limiter: Arc::new(RateLimiter::new(
                config.http.lti_per_minute,
                config.http.lti_per_minute.clamp(1, 30),
            )),
            streams: Arc::new(crate::streams::StreamSlots::new(
                config.http.streams_per_subject,
                config.http.stream_max_duration,
            )),
            webhooks: hooks,
        });
        let (router, _) = http::router(state, config);
        Ok(App {
            listener,
            router,
            db,
            worker,
            events,
            tls,
        })
    }

    /// The port the service listens on.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map_or(0, |a| a.port())
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish, stops the job
    /// worker (handing back the jobs it runs, for the next start to resume) and closes the
    /// database.
    ///
    /// # Errors
    /// The server's I/O error.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop, stopped) = watch::channel(false);
        let worker = tokio::spawn(self.worker.run(stopped.clone()));
        let events = self.events.map(|(poller, deliverer)| {
            (
                tokio::spawn(poller.run(stopped.clone())),
                tokio::spawn(deliverer.run(stopped.clone())),
            )
        });
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let served = match self.tls {
            None => {
                axum::serve(self.listener, service)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
            Some((certificates, config)) => {
                tokio::spawn(certificates.watch(stopped.clone()));
                match crate::tls::listener::TlsListener::start(self.listener, config) {
                    Ok(listener) => {
                        axum::serve(listener, service)
                            .with_graceful_shutdown(shutdown)
                            .await
                    }
                    Err(e) => Err(e),
                }
            }
        };
        let _ = stop.send(true);
        if let Err(e) = worker.await {
            tracing::error!(error = %e, "the job worker stopped abnormally");
        }
        if let Some((poller, deliverer)) = events
            && let (Err(e), _) | (_, Err(e)) = (poller.await, deliverer.await)
        {
            tracing::error!(error = %e, "the event poller or webhook deliverer stopped abnormally");
        }
        self.db.close().await;
        served
    }
}

/// The publisher's services: the course store (files in `STORAGE_URL`), the LMS sites and
/// sessions (tokens sealed with `SECRET_KEY`), and the publisher over the jobs table.
pub(crate) fn publisher_parts(
    config: &Config,
    db: &Db,
    clients: &Clients,
) -> Result<(Arc<courses::Courses>, Arc<lms::Lms>, publish::Publisher), StartError> {
    let secret = config.secret_key.as_ref().ok_or_else(|| {
        let mut p = crate::config::Problems::default();
        p.push(
            "SECRET_KEY",
            "required: LMS tokens are kept encrypted with a key derived from it",
        );
        p
    })?;
    let storage = storage::Storage::open(&config.storage_url)?;
    let max_file = u64::try_from(config.http.max_upload_bytes).unwrap_or(u64::MAX);
    let courses = Arc::new(courses::Courses::new(db.clone(), storage, max_file));
    let lms = Arc::new(lms::Lms::new(&config.lms, db.clone(), secret, clients)?);
    let jobs = jobs::Jobs::new(db.clone(), config.lms.job_lease);
    let publisher =
        publish::Publisher::new(db.clone(), courses.clone(), lms.clone(), jobs, &config.lms);
    spawn_forget_sessions(Arc::downgrade(&lms));
    Ok((courses, lms, publisher))
}

/// Moodle's events to applications: the subscriptions service, and — unless `EVENTS_ENABLED`
/// is off — the poller of the bridge's own site (`default`) and of each `LMS_SITES` site with
/// a token, and the webhook deliverer, both started by [`App::run_until`].
#[allow(clippy::type_complexity)]
fn webhook_parts(
    config: &Config,
    db: &Db,
    clients: &Clients,
) -> Result<
    (
        Arc<webhooks::Webhooks>,
        Option<(webhooks::poller::Poller, webhooks::delivery::Deliverer)>,
    ),
    StartError,
> {
    let secret = config.secret_key.as_ref().ok_or_else(|| {
        let mut p = crate::config::Problems::default();
        p.push(
            "SECRET_KEY",
            "required: webhook signing secrets are kept encrypted with a key derived from it",
        );
        p
    })?;
    let hooks = Arc::new(webhooks::Webhooks::new(
        db.clone(),
        secret,
        config.webhooks.clone(),
    ));
    spawn_purge_events(Arc::downgrade(&hooks));
    if !config.webhooks.enabled {
        return Ok((hooks, None));
    }
    // Each poller has its own client: its failures must not open the gateway's breaker.
    let own = config.require_moodle()?;
    let client = clients.build(own.base_url.as_str(), Some(own.token.clone()), own.policy())?;
    let mut outboxes: Vec<Arc<dyn webhooks::poller::Outbox>> = vec![Arc::new(
        webhooks::poller::MoodleOutbox::new(crate::config::DEFAULT_SITE, client),
    )];
    for site in config
        .lms
        .sites
        .iter()
        .filter(|s| s.name != crate::config::DEFAULT_SITE)
    {
        if let Some(token) = &site.token {
            let client = clients.build(
                site.base_url.as_str(),
                Some(token.clone()),
                config.lms.policy(),
            )?;
            outboxes.push(Arc::new(webhooks::poller::MoodleOutbox::new(
                site.name.clone(),
                client,
            )));
        }
    }
    let me = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
    let poller = webhooks::poller::Poller::new(hooks.clone(), outboxes, me.clone());
    let deliverer = webhooks::delivery::Deliverer::new(hooks.clone(), me)?;
    Ok((hooks, Some((poller, deliverer))))
}

/// Forgets events past `EVENTS_RETENTION_DAYS` every hour while the service lives.
fn spawn_purge_events(hooks: std::sync::Weak<webhooks::Webhooks>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let Some(hooks) = hooks.upgrade() else { return };
            match hooks.purge().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, "old Moodle events forgotten"),
                Err(e) => tracing::warn!(error = %e, "old Moodle events not forgotten"),
            }
        }
    });
}

/// Deletes long-ended LMS sessions every hour while the service lives.
fn spawn_forget_sessions(lms: std::sync::Weak<lms::Lms>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let Some(lms) = lms.upgrade() else { return };
            if let Err(e) = lms.forget_ended().await {
                tracing::warn!(error = %e, "ended LMS sessions not deleted");
            }
        }
    });
}

/// The LTI tool (keys, registrations, launches) at `PUBLIC_URL` — or at the bound address —
/// and the file manager over `STORAGE_URL`, reading Moodle through the platforms'
/// registrations (the bridge's own Moodle for API tokens).
async fn lti_parts(
    config: &Config,
    db: &Db,
    http: reqwest::Client,
    (moodle, clients): (moodle_ws::Client, &Clients),
    bound: Option<SocketAddr>,
) -> Result<(Arc<LtiTool>, Arc<file_manager::FileManager>), StartError> {
    let secret = config.secret_key.as_ref().ok_or_else(|| {
        let mut p = crate::config::Problems::default();
        p.push(
            "SECRET_KEY",
            "required: the LTI tool's keys and launch tokens derive from it",
        );
        p
    })?;
    let moodle_config = config.require_moodle()?;
    let public_url = match &config.lti.public_url {
        Some(url) => url.to_string(),
        None => {
            let addr = bound.unwrap_or(config.bind);
            let ip = if addr.ip().is_unspecified() {
                std::net::IpAddr::from([127, 0, 0, 1])
            } else {
                addr.ip()
            };
            let scheme = if config.tls.is_some() {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{}/", SocketAddr::new(ip, addr.port()))
        }
    };
    let store = crate::lti_store::LtiStore::new(db.clone(), secret, lti::Clock::system());
    let tool = Arc::new(
        LtiTool::start(
            &config.lti,
            &public_url,
            store.clone(),
            secret,
            http,
            Some((moodle_config.base_url.as_str(), &moodle_config.token)),
        )
        .await?,
    );
    tool.spawn_upkeep();
    let sites = file_manager::Sites::new(moodle, store, clients.clone(), moodle_config.policy());
    let storage = storage::Storage::open(&config.storage_url)?;
    let files = Arc::new(file_manager::FileManager::new(
        db.clone(),
        storage,
        sites,
        config.lti.max_file_bytes,
    ));
    Ok((tool, files))
}
