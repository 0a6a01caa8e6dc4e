//! `moodle-bridge config check`: reads the configuration exactly as `serve` does (a problem
//! there stops it with exit code 2 and every variable at fault, as `serve` would), then tries
//! what `serve` would use before it listens — the TLS certificate and key, the database (the
//! SQLite file or its folder, the PostgreSQL server), the file storage — and prints a summary
//! of what would run: listener, database, storage, Moodle sites, LTI platforms, API tokens,
//! events. Every problem is listed at the end; exit code 1 when there is one. It leaves
//! nothing behind: no database or folder is created (a folder's writability is tried with a
//! probe file, removed at once), no migration applied, Moodle not called (`moodle-bridge
//! check` does that).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use crate::config::{Config, DynamicRegistrationPolicy};
use crate::db::{Backend, Db};
use crate::lti_store::LtiStore;
use crate::storage::Storage;
use crate::tls::Certificates;

/// What was found: lines of the summary, and problems.
#[derive(Default)]
struct Findings {
    problems: Vec<String>,
}

impl Findings {
    fn line(&self, what: &str, text: impl AsRef<str>) {
        println!("  {:<15}{}", format!("{what}:"), text.as_ref());
    }

    fn problem(&mut self, what: &str, text: impl Into<String>) {
        let text = text.into();
        self.line(what, format!("PROBLEM: {text}"));
        self.problems.push(text);
    }
}

/// Prints the summary and the problems.
///
/// # Errors
/// None of its own: every failure is a problem in the report.
pub async fn run(config: &Config) -> anyhow::Result<ExitCode> {
    let mut f = Findings::default();
    println!(
        "moodle-bridge {}: configuration read as `serve` reads it",
        crate::cli::VERSION
    );
    listener(config, &mut f);
    let db = database(config, &mut f).await;
    storage(config, &mut f).await;
    sites(config, &f);
    lti_platforms(config, db.as_ref(), &mut f).await;
    tokens(config, &f);
    f.line(
        "events",
        if config.webhooks.enabled {
            format!(
                "Moodle's events read every {} ms from each site with a token; webhooks delivered",
                config.webhooks.poll_interval.as_millis()
            )
        } else {
            "off (EVENTS_ENABLED=false)".to_owned()
        },
    );
    if let Some(db) = db {
        db.close().await;
    }
    println!();
    if f.problems.is_empty() {
        println!("no problems: `moodle-bridge serve` would start with this configuration");
        return Ok(ExitCode::SUCCESS);
    }
    let n = f.problems.len();
    println!("{n} problem{}:", if n == 1 { "" } else { "s" });
    for p in &f.problems {
        println!("  - {p}");
    }
    Ok(ExitCode::FAILURE)
}

fn listener(config: &Config, f: &mut Findings) {
    match &config.tls {
        None => f.line(
            "listen",
            format!(
                "http://{} (plain HTTP: put a TLS proxy in front, or set TLS_CERT_FILE and TLS_KEY_FILE)",
                config.bind
            ),
        ),
        Some(files) => match Certificates::load(files) {
            Ok(certs) => f.line(
                "listen",
                format!(
                    "https://{} (certificate {}, chain of {}; reloaded when the files change or on SIGHUP)",
                    config.bind,
                    certs.cert_file().display(),
                    certs.chain_len()
                ),
            ),
            Err(e) => f.problem("listen", e.to_string()),
        },
    }
    f.line(
        "public URL",
        config.lti.public_url.as_ref().map_or_else(
            || "not set: the listening address is used (set PUBLIC_URL to the address platforms reach)".to_owned(),
            ToString::to_string,
        ),
    );
}

/// The database: opened when it exists (nothing is created), `None` otherwise.
async fn database(config: &Config, f: &mut Findings) -> Option<Db> {
    let url = &config.database_url;
    let target = crate::db::describe(url);
    if let Some(file) = crate::db::sqlite_file(url)
        && !file.exists()
    {
        match writable_folder(file.parent().unwrap_or(Path::new("."))) {
            Ok(folder) => f.line(
                "database",
                format!(
                    "{target}: does not exist yet, will be created (in {})",
                    folder.display()
                ),
            ),
            Err(why) => f.problem("database", format!("{target} cannot be created: {why}")),
        }
        return None;
    }
    match tokio::time::timeout(Duration::from_secs(10), Db::connect(url)).await {
        Err(_) => {
            f.problem("database", format!("{target}: no answer within 10 seconds"));
            None
        }
        Ok(Err(e)) => {
            f.problem("database", e.to_string());
            None
        }
        Ok(Ok(db)) => match db.ping().await {
            Ok(()) => {
                let kind = match db.backend() {
                    Backend::Sqlite => "exists",
                    Backend::Postgres => "reachable",
                };
                f.line("database", format!("{target}: {kind}"));
                Some(db)
            }
            Err(e) => {
                f.problem("database", format!("{target}: {e}"));
                None
            }
        },
    }
}

async fn storage(config: &Config, f: &mut Findings) {
    let url = &config.storage_url;
    if !url.starts_with("s3://") {
        let folder = PathBuf::from(url.strip_prefix("file://").unwrap_or(url));
        match writable_folder(&folder) {
            Ok(at) if at == folder => f.line(
                "storage",
                format!("local folder {} (writable)", folder.display()),
            ),
            Ok(at) => f.line(
                "storage",
                format!(
                    "local folder {}: will be created (in {})",
                    folder.display(),
                    at.display()
                ),
            ),
            Err(why) => f.problem(
                "storage",
                format!("local folder {}: {why}", folder.display()),
            ),
        }
        return;
    }
    let storage = match Storage::open(url) {
        Ok(s) => s,
        Err(e) => return f.problem("storage", format!("{url}: {e}")),
    };
    match tokio::time::timeout(Duration::from_secs(10), storage.ping()).await {
        Ok(Ok(())) => f.line("storage", format!("{url} (reachable)")),
        Ok(Err(e)) => f.problem("storage", format!("{url}: {e}")),
        Err(_) => f.problem("storage", format!("{url}: no answer within 10 seconds")),
    }
}

fn sites(config: &Config, f: &Findings) {
    let Some(moodle) = &config.moodle else { return };
    f.line(
        "Moodle",
        format!(
            "{} as service {}, token set (not called here: `moodle-bridge check` calls it)",
            moodle.base_url, moodle.service
        ),
    );
    let sites: Vec<String> = config
        .lms
        .sites
        .iter()
        .map(|s| {
            format!(
                "{} {} ({}{})",
                s.name,
                s.base_url,
                s.service,
                if s.token.is_some() { ", token" } else { "" }
            )
        })
        .collect();
    f.line("Moodle sites", sites.join("; "));
}

async fn lti_platforms(config: &Config, db: Option<&Db>, f: &mut Findings) {
    let lti = &config.lti;
    let mut platforms = Vec::new();
    if let Some(r) = &lti.registration {
        platforms.push(format!(
            "{} (client {}, deployments {}; from LTI_*)",
            r.issuer,
            r.client_id,
            r.deployments.join(",")
        ));
    }
    match (db, &config.secret_key) {
        (Some(db), Some(key)) => {
            let store = LtiStore::new(db.clone(), key, lti::Clock::system());
            match store.registrations().await {
                Ok(records) => platforms.push(format!(
                    "{} registered in the database ({} pending approval)",
                    records.len(),
                    records
                        .iter()
                        .filter(|r| r.status == crate::lti_store::RegistrationStatus::Pending)
                        .count()
                )),
                // A database that was never migrated has no registrations yet.
                Err(_) => platforms.push("none in the database yet".to_owned()),
            }
        }
        _ => platforms.push("none in the database (it does not exist yet)".to_owned()),
    }
    f.line("LTI platforms", platforms.join("; "));
    f.line(
        "LTI tool key",
        if lti.private_key.is_some() {
            "PRIVATE_KEY_PEM"
        } else {
            "made once and kept, sealed, in the database"
        },
    );
    f.line(
        "registration",
        match &lti.dynamic_registration {
            DynamicRegistrationPolicy::Off => "dynamic registration off".to_owned(),
            DynamicRegistrationPolicy::Any => "dynamic registration from any platform".to_owned(),
            DynamicRegistrationPolicy::Issuers(list) => format!(
                "dynamic registration from {}",
                if list.is_empty() {
                    "no platform".to_owned()
                } else {
                    list.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        },
    );
}

fn tokens(config: &Config, f: &Findings) {
    let auth = &config.auth;
    let mut sources = vec!["the bridge's own (SECRET_KEY)".to_owned()];
    if auth.hs256_secret.is_some() {
        sources.push("shared-secret HS256 (AUTH_HS256_SECRET)".to_owned());
    }
    if let Some(idp) = &auth.identity_provider {
        sources.push(format!(
            "identity provider {} ({})",
            idp.issuer, idp.jwks_url
        ));
    }
    f.line("API tokens", sources.join(", "));
}

/// `folder` when it exists and this user may create files in it; otherwise its nearest
/// existing ancestor when that is writable (the folder would be created there).
fn writable_folder(folder: &Path) -> Result<PathBuf, String> {
    let mut at = folder.to_path_buf();
    while !at.exists() {
        match at.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => at = parent.to_path_buf(),
            _ => {
                at = PathBuf::from(".");
                break;
            }
        }
    }
    if !at.is_dir() {
        return Err(format!("{} is not a folder", at.display()));
    }
    let probe = at.join(format!(".moodle-bridge-check-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(at)
        }
        Err(e) => Err(format!("this user cannot write in {} ({e})", at.display())),
    }
}
