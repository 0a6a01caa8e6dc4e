//! The service's configuration: one typed [`Config`] built once at start from the seeds'
//! environment names (unchanged, with their aliases), a `.env` file and command-line flags.
//! Validation happens before any port is bound and reports every problem at once, each
//! naming its variable.

mod auth;
mod env;
mod http;
mod lms;
mod lti;
mod tls;
mod webhooks;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use moodle_ws::Secret;
use url::Url;

pub use auth::{AuthConfig, IdentityProvider, TokenLoginConfig};
pub use env::{Env, Problems};
pub use http::HttpConfig;
pub(crate) use http::http_config;
pub use lms::{DEFAULT_SITE, DeleteMode, LmsConfig, LmsSite};
pub use lti::{DynamicRegistrationPolicy, EnvRegistration, LtiConfig};
pub use tls::TlsConfig;
pub use webhooks::WebhookConfig;

/// What a command needs: `serve` and `check` talk to Moodle, `token create` signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// The Moodle site and token.
    pub moodle: bool,
    /// `SECRET_KEY`.
    pub secret_key: bool,
}

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `BIND`: where the HTTP server listens (default `127.0.0.1:8080`; port 0 picks one).
    pub bind: SocketAddr,
    /// `DATA_DIR`: where the SQLite file and local files live by default (default `data`).
    pub data_dir: PathBuf,
    /// `DATABASE_URL`: `sqlite://…` (default: `<DATA_DIR>/bridge.db`) or `postgres://…`.
    pub database_url: String,
    /// `STORAGE_URL`: `file://…` or a path (default `<DATA_DIR>/files`), or `s3://bucket/prefix`.
    pub storage_url: String,
    /// `LOG_LEVEL`: a tracing filter (default `info`).
    pub log_level: String,
    /// `LOG_FORMAT`: `json` (default) or `text`.
    pub log_json: bool,
    /// The Moodle site (absent only for commands that do not call it).
    pub moodle: Option<MoodleConfig>,
    /// The publisher: its Moodle sites, calls, sessions and jobs (`LMS_*`, `JOB_*`).
    pub lms: LmsConfig,
    /// `SECRET_KEY`: the bridge's own key (signs its API tokens); absent only for commands
    /// that do not sign or verify.
    pub secret_key: Option<Secret>,
    /// Who may call the API.
    pub auth: AuthConfig,
    /// `CORS_ORIGINS`: browser origins allowed to call the API (none by default).
    pub cors_origins: Vec<String>,
    /// Limits and caching of the HTTP side.
    pub http: HttpConfig,
    /// The LTI tool and its file manager (`LTI_*`, keys, `PUBLIC_URL`, `MAX_UPLOAD_MB`, …).
    pub lti: LtiConfig,
    /// Moodle events to applications (`EVENTS_*`, `WEBHOOK_*`).
    pub webhooks: WebhookConfig,
    /// `TLS_CERT_FILE`, `TLS_KEY_FILE`: serve HTTPS directly (default: plain HTTP, for use
    /// behind a TLS proxy).
    pub tls: Option<TlsConfig>,
}

/// The Moodle site the gateway talks to.
#[derive(Debug, Clone)]
pub struct MoodleConfig {
    /// `MOODLE_BASE_URL` (or `MOODLE_URL`, `LMS_BASE_URL`): the site root, may carry a path.
    pub base_url: Url,
    /// `MOODLE_TOKEN` (or `MOODLE_API_TOKEN`): the bridge's web-service token.
    pub token: Secret,
    /// `MOODLE_SERVICE`: the external service's short name, for token logins (default
    /// `moodle_mobile_app`).
    pub service: String,
    /// `MOODLE_TIMEOUT_MS`: per attempt (default 15000).
    pub timeout: Duration,
    /// `MOODLE_MAX_RETRIES`: repeats of a read-only call (default 2, the seed's).
    pub max_retries: u32,
    /// `MOODLE_DEBUG`: log each call's function, parameter names, duration and retries.
    pub debug: bool,
    /// `MOODLE_CACHE_TTL_SECONDS`: how long site info and course lists are reused (default
    /// 30; 0 turns the cache off).
    pub cache_ttl: Duration,
    /// `GATEWAY_ENROL_ROLE_IDS`: the Moodle roles `POST /api/moodle/enrol` may assign (default
    /// `5`, Moodle's student role); others are refused before Moodle is called.
    pub enrol_role_ids: Vec<i64>,
}

impl MoodleConfig {
    /// How the clients of this site call it: `MOODLE_TIMEOUT_MS`, `MOODLE_MAX_RETRIES`, and the
    /// same breaker as a publisher site's (five failures, thirty seconds).
    pub fn policy(&self) -> crate::moodle::Policy {
        crate::moodle::Policy {
            timeout: self.timeout,
            max_retries: self.max_retries,
            breaker: Some((5, Duration::from_secs(30))),
        }
    }
}

/// The environment names of the Moodle base URL, in the order they are looked up.
pub const MOODLE_URL_NAMES: [&str; 3] = ["MOODLE_BASE_URL", "MOODLE_URL", "LMS_BASE_URL"];
/// The environment names of the Moodle token.
pub const MOODLE_TOKEN_NAMES: [&str; 2] = ["MOODLE_TOKEN", "MOODLE_API_TOKEN"];

impl Config {
    /// Builds and validates the configuration from `env`.
    ///
    /// # Errors
    /// Every problem found, each naming its variable.
    pub fn from_env(env: &Env, needs: Needs) -> Result<Config, Problems> {
        let mut p = Problems::default();
        let bind = p.parse(
            env,
            "BIND",
            SocketAddr::from(([127, 0, 0, 1], 8080)),
            |raw| {
                raw.parse()
                    .map_err(|_| "must be host:port, e.g. 0.0.0.0:8080".to_owned())
            },
        );
        let data_dir = PathBuf::from(env.get("DATA_DIR").unwrap_or("data"));
        let database_url = p.parse(env, "DATABASE_URL", sqlite_url(&data_dir), |raw| {
            if raw.starts_with("sqlite:")
                || raw.starts_with("postgres://")
                || raw.starts_with("postgresql://")
            {
                Ok(raw.to_owned())
            } else {
                Err("must start with sqlite: or postgres://".to_owned())
            }
        });
        let storage_url = p.parse(
            env,
            "STORAGE_URL",
            data_dir.join("files").display().to_string(),
            |raw| match raw.split_once("://") {
                None => Ok(raw.to_owned()),
                Some(("file" | "s3", rest)) if !rest.is_empty() => Ok(raw.to_owned()),
                Some(_) => Err("must be a path, file://… or s3://bucket[/prefix]".to_owned()),
            },
        );
        let log_level = p.parse(env, "LOG_LEVEL", "info".to_owned(), |raw| {
            tracing_subscriber::EnvFilter::try_new(raw)
                .map(|_| raw.to_owned())
                .map_err(|_| {
                    "must be a level (error, warn, info, debug, trace) or a tracing filter"
                        .to_owned()
                })
        });
        let log_json = p.parse(env, "LOG_FORMAT", true, |raw| match raw {
            "json" => Ok(true),
            "text" => Ok(false),
            _ => Err("must be json or text".to_owned()),
        });
        let moodle = needs.moodle.then(|| moodle_config(env, &mut p)).flatten();
        let lms = lms::lms_config(env, &mut p, moodle.as_ref());
        let lti = lti::lti_config(env, &mut p, moodle.as_ref());
        let secret_key = match env.get("SECRET_KEY") {
            Some(k) if k.len() >= 32 => Some(Secret::new(k)),
            Some(_) => {
                p.push(
                    "SECRET_KEY",
                    "must be at least 32 characters (try: openssl rand -hex 32)",
                );
                None
            }
            None if needs.secret_key => {
                p.push("SECRET_KEY", "required: the key that signs the bridge's API tokens (try: openssl rand -hex 32)");
                None
            }
            None => None,
        };
        let auth = auth::auth_config(env, &mut p);
        let cors_origins = cors_origins(env, &mut p);
        let http = http_config(env, &mut p);
        let webhooks = webhooks::webhook_config(env, &mut p);
        let tls = tls::tls_config(env, &mut p);
        if lti.dev && !bind.ip().is_loopback() {
            // The development routes show launch details and call Moodle with the bridge's
            // token for anyone who asks: never where other machines can reach them.
            p.push(
                "BRIDGE_DEV",
                format!(
                    "development routes are only served on a loopback address; BIND is {bind} \
                     (unset BRIDGE_DEV, or bind 127.0.0.1)"
                ),
            );
        }
        p.into_result(|| Config {
            bind,
            data_dir,
            database_url,
            storage_url,
            log_level,
            log_json,
            moodle,
            lms,
            secret_key,
            auth,
            cors_origins,
            http,
            lti,
            webhooks,
            tls,
        })
    }

    /// The Moodle settings; only `None` for commands built without [`Needs::moodle`].
    ///
    /// # Errors
    /// [`Problems`] naming the base URL and token variables.
    pub fn require_moodle(&self) -> Result<&MoodleConfig, Problems> {
        self.moodle.as_ref().ok_or_else(|| {
            let mut p = Problems::default();
            p.push(MOODLE_URL_NAMES[0], "required");
            p
        })
    }
}

/// The default database: a SQLite file in the data directory, created when missing.
fn sqlite_url(data_dir: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("bridge.db").display())
}

fn moodle_config(env: &Env, p: &mut Problems) -> Option<MoodleConfig> {
    let base_url = match env.first(&MOODLE_URL_NAMES) {
        None => {
            p.push(MOODLE_URL_NAMES[0], "required: the Moodle site's address, e.g. https://moodle.example.org (also read as MOODLE_URL or LMS_BASE_URL)");
            None
        }
        Some((name, raw)) => match Url::parse(raw) {
            Ok(u)
                if matches!(u.scheme(), "http" | "https")
                    && u.host().is_some()
                    && u.username().is_empty()
                    && u.password().is_none() =>
            {
                for other in MOODLE_URL_NAMES.iter().filter(|n| **n != name) {
                    if let Some(v) = env.get(other)
                        && v.trim_end_matches('/') != raw.trim_end_matches('/')
                    {
                        p.push(*other, format!("disagrees with {name}; set one of them"));
                    }
                }
                Some(u)
            }
            _ => {
                p.push(
                    name,
                    format!("must be an http(s) URL without credentials (got {raw:?})"),
                );
                None
            }
        },
    };
    let token = match env.first(&MOODLE_TOKEN_NAMES) {
        None => {
            p.push(MOODLE_TOKEN_NAMES[0], "required: the web-service token the bridge calls Moodle with (also read as MOODLE_API_TOKEN)");
            None
        }
        Some((name, raw)) if raw.len() < 8 || raw.chars().any(|c| !c.is_ascii_graphic()) => {
            p.push(name, "must be a web-service token (letters and digits)");
            None
        }
        Some((_, raw)) => Some(Secret::new(raw)),
    };
    let service = env
        .get("MOODLE_SERVICE")
        .unwrap_or("moodle_mobile_app")
        .to_owned();
    let timeout =
        Duration::from_millis(p.number(env, "MOODLE_TIMEOUT_MS", 15_000u64, 100..=600_000));
    let max_retries = p.number(env, "MOODLE_MAX_RETRIES", 2u32, 0..=10);
    let debug = p.flag(env, "MOODLE_DEBUG", false);
    let cache_ttl =
        Duration::from_secs(p.number(env, "MOODLE_CACHE_TTL_SECONDS", 30u64, 0..=86_400));
    let enrol_role_ids = p.parse(env, "GATEWAY_ENROL_ROLE_IDS", vec![5], |raw| {
        let ids: Result<Vec<i64>, _> = raw
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| r.parse::<i64>().ok().filter(|id| *id > 0).ok_or(r))
            .collect();
        match ids {
            Ok(ids) if !ids.is_empty() => Ok(ids),
            Ok(_) => Err("must list at least one Moodle role id, e.g. 5".to_owned()),
            Err(bad) => Err(format!("{bad:?} is not a Moodle role id (e.g. 5,4)")),
        }
    });
    Some(MoodleConfig {
        base_url: base_url?,
        token: token?,
        service,
        timeout,
        max_retries,
        debug,
        cache_ttl,
        enrol_role_ids,
    })
}

fn cors_origins(env: &Env, p: &mut Problems) -> Vec<String> {
    let Some(raw) = env.get("CORS_ORIGINS") else {
        return Vec::new();
    };
    let mut origins = Vec::new();
    for origin in raw.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        match Url::parse(origin) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() && matches!(u.path(), "" | "/") && u.query().is_none() => {
                origins.push(u.origin().ascii_serialization());
            }
            _ => p.push("CORS_ORIGINS", format!("{origin:?} is not an origin like https://app.example.org (list origins explicitly; * is not accepted)")),
        }
    }
    origins
}

#[cfg(test)]
mod tests;
