//! The publisher's settings (`docs/contracts/publisher.md`, `publisher-sync.md`): the Moodle
//! sites it publishes to, the
//! timeouts, retries and circuit breaker of its Moodle calls, LMS sessions and the job runner.
//!
//! The first site is the one `MOODLE_BASE_URL` names (called `default`, with `MOODLE_TOKEN` as
//! its service token and `MOODLE_SERVICE` for `login/token.php`); `LMS_SITES` adds others as
//! `name=https://…;name2=https://…`, each with optional `LMS_SITE_<NAME>_TOKEN` (the service
//! token that resolves an email address to a username) and `LMS_SITE_<NAME>_SERVICE`.

use std::time::Duration;

use moodle_ws::Secret;
use url::Url;

use super::{Env, MoodleConfig, Problems};

/// The name of the site `MOODLE_BASE_URL` names.
pub const DEFAULT_SITE: &str = "default";

/// The publisher's settings.
#[derive(Debug, Clone)]
pub struct LmsConfig {
    /// `LMS_TIMEOUT`: seconds per Moodle call made for a push (default 30).
    pub timeout: Duration,
    /// `LMS_RETRY_ATTEMPTS`: attempts of each Moodle call of a push after transport errors,
    /// with exponential backoff (default 3); a write is repeated only after looking up, by
    /// ID number, whether the earlier attempt took effect.
    pub retry_attempts: u32,
    /// `LMS_BREAKER_THRESHOLD`: consecutive connection failures after which pushes fail fast
    /// with 503 (default 5).
    pub breaker_threshold: u32,
    /// `LMS_BREAKER_COOLDOWN_SECONDS`: how long they fail fast before Moodle is tried again
    /// (default 30).
    pub breaker_cooldown: Duration,
    /// `LMS_SESSION_TTL`: how long an LMS token from `/api/login-lms` is valid (default 12h).
    pub session_ttl: Duration,
    /// `LMS_IDNUMBER_PREFIX`: what the ID numbers of everything the publisher makes in Moodle
    /// start with (default `bridge`; one per bridge installation sharing a Moodle site).
    pub idnumber_prefix: String,
    /// `JOB_LEASE_SECONDS`: how long a claimed job is held without a sign of life before
    /// another process takes it over (default 30; renewed every third of it while it runs).
    pub job_lease: Duration,
    /// `JOB_WORKERS`: jobs run at once by one process (default 2).
    pub job_workers: u32,
    /// The sites, the default first; empty for commands that do not call Moodle.
    pub sites: Vec<LmsSite>,
    /// `LMS_DELETE_MODE`: what a push does in Moodle with the activity of a deleted asset
    /// (or of one left out of a complete inline publish, or replaced because its type
    /// changed), and with the Moodle course of a deleted course (default `hide`).
    pub delete_mode: DeleteMode,
    /// `LMS_AUTO_SYNC`: push a course by itself after a local change (default off; each
    /// course may say otherwise with `auto_sync`).
    pub auto_sync: bool,
    /// `LMS_AUTO_SYNC_DELAY`: how long a course must stay unchanged before it is pushed by
    /// itself (default 30s): a burst of edits makes one push.
    pub auto_sync_delay: Duration,
    /// `LMS_BATCH_SIZE`: new activities per `local_bridge_create_modules` call (default 50,
    /// the plugin's most); `0` makes each with its own create function, as for plugins older
    /// than 1.1 (which lack the batch function).
    pub batch_size: usize,
    /// `LMS_ENROL_ROLES`: the Moodle role of each role name a push's `enrol` may give
    /// (default `student=5,teacher=3`).
    pub enrol_roles: Vec<(String, i64)>,
    /// `GATEWAY_ENROL_ROLE_IDS` (the gateway's): the Moodle roles anyone may be given through
    /// the bridge; a push's `enrol` naming another is refused (403) before Moodle is called.
    pub enrol_allowed: Vec<i64>,
}

/// What a push does in Moodle with what was removed locally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeleteMode {
    /// Hide it from students (and free its ID number): the default.
    Hide,
    /// Delete it (`core_course_delete_modules`, `core_course_delete_courses`).
    Delete,
    /// Leave it as it is.
    Keep,
}

impl DeleteMode {
    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeleteMode::Hide => "hide",
            DeleteMode::Delete => "delete",
            DeleteMode::Keep => "keep",
        }
    }
}

impl LmsConfig {
    /// How the publisher's clients call Moodle: `LMS_TIMEOUT`, `LMS_RETRY_ATTEMPTS`, and the
    /// breaker of `LMS_BREAKER_*`.
    pub fn policy(&self) -> crate::moodle::Policy {
        crate::moodle::Policy {
            timeout: self.timeout,
            max_retries: self.retry_attempts.saturating_sub(1),
            breaker: Some((self.breaker_threshold, self.breaker_cooldown)),
        }
    }
}

/// One Moodle site the publisher can push to.
#[derive(Debug, Clone)]
pub struct LmsSite {
    /// Its name (`default`, or the name in `LMS_SITES`), as `login-lms` takes it in `lms`.
    pub name: String,
    /// Its root URL.
    pub base_url: Url,
    /// The external service users log in to (`login/token.php?service=`).
    pub service: String,
    /// A service token, to resolve an email address to a username.
    pub token: Option<Secret>,
}

/// Reads the publisher's settings; `moodle` is the default site, when configured.
pub(super) fn lms_config(env: &Env, p: &mut Problems, moodle: Option<&MoodleConfig>) -> LmsConfig {
    let prefix = p.parse(env, "LMS_IDNUMBER_PREFIX", "bridge".to_owned(), |raw| {
        if (1..=20).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            Ok(raw.to_owned())
        } else {
            Err("must be 1 to 20 letters, digits, - or _".to_owned())
        }
    });
    let session_ttl = p.parse(
        env,
        "LMS_SESSION_TTL",
        Duration::from_secs(12 * 3600),
        |raw| {
            humantime::parse_duration(raw)
                .ok()
                .filter(|d| *d >= Duration::from_secs(60) && *d <= Duration::from_secs(90 * 86_400))
                .ok_or_else(|| "must be a duration from 1m to 90d, e.g. 12h".to_owned())
        },
    );
    let mut sites = Vec::new();
    if let Some(m) = moodle {
        sites.push(LmsSite {
            name: DEFAULT_SITE.to_owned(),
            base_url: m.base_url.clone(),
            service: m.service.clone(),
            token: Some(m.token.clone()),
        });
        sites.extend(extra_sites(env, p, &m.service));
    }
    let delete_mode = p.parse(env, "LMS_DELETE_MODE", DeleteMode::Hide, |raw| {
        match raw.trim().to_ascii_lowercase().as_str() {
            "hide" => Ok(DeleteMode::Hide),
            "delete" => Ok(DeleteMode::Delete),
            "keep" => Ok(DeleteMode::Keep),
            _ => Err("must be hide, delete or keep".to_owned()),
        }
    });
    let auto_sync_delay = p.parse(env, "LMS_AUTO_SYNC_DELAY", Duration::from_secs(30), |raw| {
        humantime::parse_duration(raw)
            .ok()
            .filter(|d| *d >= Duration::from_millis(100) && *d <= Duration::from_secs(86_400))
            .ok_or_else(|| "must be a duration from 100ms to 1d, e.g. 30s".to_owned())
    });
    let enrol_roles = p.parse(
        env,
        "LMS_ENROL_ROLES",
        vec![("student".to_owned(), 5), ("teacher".to_owned(), 3)],
        enrol_roles,
    );
    LmsConfig {
        delete_mode,
        auto_sync: p.flag(env, "LMS_AUTO_SYNC", false),
        auto_sync_delay,
        batch_size: p.number(env, "LMS_BATCH_SIZE", 50usize, 0..=50),
        enrol_roles,
        enrol_allowed: moodle.map(|m| m.enrol_role_ids.clone()).unwrap_or_default(),
        timeout: Duration::from_secs(p.number(env, "LMS_TIMEOUT", 30u64, 1..=3600)),
        retry_attempts: p.number(env, "LMS_RETRY_ATTEMPTS", 3u32, 1..=20),
        breaker_threshold: p.number(env, "LMS_BREAKER_THRESHOLD", 5u32, 1..=1000),
        breaker_cooldown: Duration::from_secs(p.number(
            env,
            "LMS_BREAKER_COOLDOWN_SECONDS",
            30u64,
            1..=3600,
        )),
        session_ttl,
        idnumber_prefix: prefix,
        job_lease: Duration::from_secs(p.number(env, "JOB_LEASE_SECONDS", 30u64, 2..=3600)),
        job_workers: p.number(env, "JOB_WORKERS", 2u32, 1..=64),
        sites,
    }
}

/// `student=5,teacher=3`: role names (lowercase letters) and Moodle role ids.
fn enrol_roles(raw: &str) -> Result<Vec<(String, i64)>, String> {
    let mut roles: Vec<(String, i64)> = Vec::new();
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let parsed = entry.split_once('=').and_then(|(name, id)| {
            let name = name.trim();
            let id = id.trim().parse::<i64>().ok().filter(|id| *id > 0)?;
            (!name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase()))
                .then(|| (name.to_owned(), id))
        });
        match parsed {
            Some((name, _)) if roles.iter().any(|(n, _)| *n == name) => {
                return Err(format!("the role {name:?} is named twice"));
            }
            Some(role) => roles.push(role),
            None => {
                return Err(format!(
                    "{entry:?} is not name=<Moodle role id>, e.g. student=5"
                ));
            }
        }
    }
    if roles.is_empty() {
        return Err("name at least one role, e.g. student=5,teacher=3".to_owned());
    }
    Ok(roles)
}

/// `LMS_SITES` and each site's `LMS_SITE_<NAME>_TOKEN` / `_SERVICE`.
fn extra_sites(env: &Env, p: &mut Problems, default_service: &str) -> Vec<LmsSite> {
    let Some(raw) = env.get("LMS_SITES") else {
        return Vec::new();
    };
    let mut sites: Vec<LmsSite> = Vec::new();
    for entry in raw
        .split([';', '\n'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let Some((name, url)) = entry.split_once('=') else {
            p.push("LMS_SITES", format!("{entry:?} is not name=https://…"));
            continue;
        };
        let (name, url) = (name.trim(), url.trim());
        let name_ok = (1..=32).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !name_ok {
            p.push(
                "LMS_SITES",
                format!("site name {name:?} must be 1 to 32 of a-z, 0-9, - and _"),
            );
            continue;
        }
        if name == DEFAULT_SITE || sites.iter().any(|s| s.name == name) {
            p.push(
                "LMS_SITES",
                format!("site name {name:?} is used twice (\"default\" is MOODLE_BASE_URL's)"),
            );
            continue;
        }
        let base_url = match Url::parse(url) {
            Ok(u)
                if matches!(u.scheme(), "http" | "https")
                    && u.host().is_some()
                    && u.username().is_empty()
                    && u.password().is_none() =>
            {
                u
            }
            _ => {
                p.push(
                    "LMS_SITES",
                    format!("{name}: must be an http(s) URL without credentials (got {url:?})"),
                );
                continue;
            }
        };
        let var = |what: &str| {
            format!(
                "LMS_SITE_{}_{what}",
                name.to_ascii_uppercase().replace('-', "_")
            )
        };
        let token_var = var("TOKEN");
        let token = match env.get(&token_var) {
            Some(t) if t.len() < 8 || t.chars().any(|c| !c.is_ascii_graphic()) => {
                p.push(
                    token_var,
                    "must be a web-service token (letters and digits)",
                );
                None
            }
            t => t.map(Secret::new),
        };
        sites.push(LmsSite {
            name: name.to_owned(),
            base_url,
            service: env
                .get(&var("SERVICE"))
                .unwrap_or(default_service)
                .to_owned(),
            token,
        });
    }
    sites
}

#[cfg(test)]
mod tests {
    use super::super::{Config, Needs};
    use super::*;

    fn with(extra: &[(&'static str, &'static str)]) -> Result<Config, Problems> {
        let mut pairs = vec![
            ("MOODLE_BASE_URL", "https://moodle.example.org"),
            ("MOODLE_TOKEN", "0123456789abcdef0123456789abcdef"),
            ("MOODLE_SERVICE", "bridge"),
            ("SECRET_KEY", "k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y"),
        ];
        pairs.extend_from_slice(extra);
        Config::from_env(
            &Env::from_pairs(pairs),
            Needs {
                moodle: true,
                secret_key: true,
            },
        )
    }

    #[test]
    fn the_default_site_comes_first_and_others_follow_with_their_own_settings() {
        let c = with(&[
            (
                "LMS_SITES",
                "east=https://east.example.org/moodle; west-2=http://west.example.org",
            ),
            ("LMS_SITE_WEST_2_TOKEN", "abcdefabcdefabcdef"),
            ("LMS_SITE_EAST_SERVICE", "publisher"),
        ])
        .expect("valid");
        let names: Vec<_> = c.lms.sites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["default", "east", "west-2"]);
        assert_eq!(c.lms.sites[0].service, "bridge");
        assert!(c.lms.sites[0].token.is_some());
        assert_eq!(c.lms.sites[1].service, "publisher");
        assert!(c.lms.sites[1].token.is_none());
        assert_eq!(c.lms.sites[2].service, "bridge");
        assert!(c.lms.sites[2].token.is_some());
        assert_eq!(c.lms.retry_attempts, 3);
        assert_eq!(c.lms.breaker_threshold, 5);
        assert_eq!(c.lms.session_ttl, Duration::from_secs(12 * 3600));
        assert_eq!(c.lms.idnumber_prefix, "bridge");
    }

    #[test]
    fn bad_sites_and_settings_are_each_reported() {
        let err = with(&[
            (
                "LMS_SITES",
                "default=https://x.example.org;Bad Name=https://y;ok=ftp://z;ok2",
            ),
            ("LMS_SESSION_TTL", "forever"),
            ("LMS_IDNUMBER_PREFIX", "has space"),
            ("JOB_LEASE_SECONDS", "1"),
        ])
        .expect_err("invalid");
        assert_eq!(
            err.names(),
            [
                "LMS_IDNUMBER_PREFIX",
                "LMS_SESSION_TTL",
                "LMS_SITES",
                "LMS_SITES",
                "LMS_SITES",
                "LMS_SITES",
                "JOB_LEASE_SECONDS"
            ]
        );
    }
}
