//! `moodle-bridge lti add|list|remove|approve` (the platforms that may launch the tool, each
//! with the Moodle site its launches read; dynamic registrations wait for `approve`) and `moodle-bridge keys rotate` (a new tool key; the
//! old one stays published for `--overlap`, then is dropped). Both work on the database the
//! service uses; a running service picks a rotated key up within a minute. Moodle tokens are
//! sealed with a key derived from `SECRET_KEY` before they are stored and never printed.

use std::process::ExitCode;
use std::time::{Duration, UNIX_EPOCH};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use lti::Registration;
use moodle_ws::Secret;
use serde_json::json;
use url::Url;

use super::operator;
use crate::audit::{Actor, AuditLog, Event};
use crate::config::Config;
use crate::db::Db;
use crate::lti_store::{ApproveError, LtiStore, MoodleAccess, NewRegistration};

/// `moodle-bridge lti …`.
#[derive(Debug, Clone, Subcommand)]
pub enum LtiCommand {
    /// Registers a platform (or updates the one with the same issuer and client id).
    Add(AddArgs),
    /// Lists the registered platforms.
    List {
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Removes a registration (its launches are refused from then on).
    Remove {
        /// The registration's id, as `lti list` shows it.
        id: String,
    },
    /// Approves a registration that a platform made through dynamic registration (pending
    /// until then), giving it Moodle access explicitly.
    Approve(ApproveArgs),
}

/// `moodle-bridge lti approve`.
#[derive(Debug, Clone, Args)]
#[command(group(
    clap::ArgGroup::new("access")
        .required(true)
        .args(["moodle_token", "moodle_token_from", "without_moodle"])
))]
pub struct ApproveArgs {
    /// The registration's id, as `lti list` shows it.
    pub id: String,
    /// The web-service token of the platform's Moodle (stored encrypted; prefer the variable
    /// to the flag, which other users of the machine can see).
    #[arg(long, env = "LTI_MOODLE_TOKEN", hide_env_values = true)]
    pub moodle_token: Option<String>,
    /// Use the same Moodle token as this registration (e.g. `default`, when the platform
    /// is the bridge's own Moodle).
    #[arg(long, value_name = "REGISTRATION")]
    pub moodle_token_from: Option<String>,
    /// Approve without Moodle access: launches work, file features say the platform has no
    /// token.
    #[arg(long)]
    pub without_moodle: bool,
}

/// `moodle-bridge lti add`.
#[derive(Debug, Clone, Args)]
pub struct AddArgs {
    /// The platform's issuer (Moodle's site address, e.g. https://moodle.example.org).
    #[arg(long)]
    pub issuer: String,
    /// The client id Moodle shows in the tool's details.
    #[arg(long)]
    pub client_id: String,
    /// A deployment id (repeat for several; at least one).
    #[arg(long = "deployment", value_name = "ID", required = true)]
    pub deployments: Vec<String>,
    /// The OIDC authentication URL (default: <issuer>/mod/lti/auth.php).
    #[arg(long)]
    pub auth_url: Option<String>,
    /// The access-token URL (default: <issuer>/mod/lti/token.php).
    #[arg(long)]
    pub token_url: Option<String>,
    /// The platform's public key set (default: <issuer>/mod/lti/certs.php).
    #[arg(long)]
    pub jwks_url: Option<String>,
    /// The web-service address of this platform's Moodle (default: the issuer).
    #[arg(long)]
    pub moodle_url: Option<String>,
    /// That Moodle's web-service token (stored encrypted; prefer the variable to the flag,
    /// which other users of the machine can see).
    #[arg(long, env = "LTI_MOODLE_TOKEN", hide_env_values = true)]
    pub moodle_token: Option<String>,
    /// The registration's id (default: made from the issuer's host and the client id).
    #[arg(long)]
    pub id: Option<String>,
}

/// `moodle-bridge keys …`.
#[derive(Debug, Clone, Subcommand)]
pub enum KeysCommand {
    /// Makes a new signing key; the current one stays in /.well-known/jwks.json for the overlap.
    Rotate {
        /// How long the old key stays published (default LTI_KEY_OVERLAP, 7d; 0s drops it now).
        #[arg(long)]
        overlap: Option<String>,
    },
}

/// Runs an `lti` command.
///
/// # Errors
/// Bad arguments, or the database failing.
pub async fn lti(config: &Config, command: LtiCommand) -> anyhow::Result<ExitCode> {
    let (db, store) = open(config).await?;
    let outcome = match command {
        LtiCommand::Add(args) => add(&db, &store, args).await,
        LtiCommand::List { json } => list(&store, json).await,
        LtiCommand::Remove { id } => remove(&db, &store, &id).await,
        LtiCommand::Approve(args) => approve(&db, &store, args).await,
    };
    db.close().await;
    outcome
}

/// Runs a `keys` command.
///
/// # Errors
/// Bad arguments, a configured key, or the database failing.
pub async fn keys(config: &Config, command: KeysCommand) -> anyhow::Result<ExitCode> {
    let KeysCommand::Rotate { overlap } = command;
    anyhow::ensure!(
        config.lti.private_key.is_none(),
        "PRIVATE_KEY_PEM (or PRIVATE_KEY_B64) is set: the tool signs with that key only; \
         rotate it by changing the variable"
    );
    let overlap = match overlap {
        None => config.lti.key_overlap,
        Some(raw) => humantime::parse_duration(&raw)
            .ok()
            .filter(|d| *d <= Duration::from_secs(365 * 86_400))
            .with_context(|| format!("--overlap {raw:?} is not a duration from 0s to 365d"))?,
    };
    let (db, store) = open(config).await?;
    let rotated = crate::lti_tool::keys::rotate(&store, overlap).await;
    let (old, new) = match rotated {
        Ok(kids) => kids,
        Err(e) => {
            db.close().await;
            return Err(e.into());
        }
    };
    audit(
        &db,
        "keys rotate",
        json!({"kid": new, "previous": old, "overlap_s": overlap.as_secs()}),
    )
    .await;
    db.close().await;
    println!("new key: {new}");
    match old {
        Some(old) => println!(
            "previous key {old} stays published for {}",
            humantime::format_duration(overlap)
        ),
        None => println!("there was no key before"),
    }
    Ok(ExitCode::SUCCESS)
}

async fn open(config: &Config) -> anyhow::Result<(Db, LtiStore)> {
    let secret = config
        .secret_key
        .as_ref()
        .context("SECRET_KEY is required")?;
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    let store = LtiStore::new(db.clone(), secret, lti::Clock::system());
    Ok((db, store))
}

/// An http(s) URL given on the command line, or Moodle's endpoint below the issuer.
fn endpoint(
    flag: &str,
    given: Option<&str>,
    issuer: &str,
    moodle_path: &str,
) -> anyhow::Result<Url> {
    let raw = given.map_or_else(|| format!("{issuer}/mod/lti/{moodle_path}"), str::to_owned);
    Url::parse(&raw)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .with_context(|| format!("--{flag} must be an http(s) URL (got {raw:?})"))
}

/// The registration `add` saves, checked.
fn new_registration(args: AddArgs) -> anyhow::Result<NewRegistration> {
    let issuer = args.issuer.trim().trim_end_matches('/').to_owned();
    let issuer_url = endpoint("issuer", Some(&issuer), &issuer, "")?;
    let client_id = args.client_id.trim().to_owned();
    anyhow::ensure!(
        !client_id.is_empty() && client_id.len() <= 255,
        "--client-id must be 1 to 255 characters"
    );
    let deployments: Vec<String> = args
        .deployments
        .iter()
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty())
        .collect();
    anyhow::ensure!(
        !deployments.is_empty() && deployments.iter().all(|d| d.len() <= 255),
        "--deployment must be given, each 1 to 255 characters"
    );
    let moodle_url = endpoint(
        "moodle-url",
        Some(args.moodle_url.as_deref().unwrap_or(&issuer)),
        &issuer,
        "",
    )?;
    let id = match args.id {
        Some(id) => id.trim().to_owned(),
        None => default_id(&issuer_url, &client_id),
    };
    anyhow::ensure!(
        !id.is_empty()
            && id.len() <= 64
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')),
        "--id must be 1 to 64 letters, digits, '-', '_' or '.'"
    );
    let token = args
        .moodle_token
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    Ok(NewRegistration {
        registration: Registration {
            auth_login_url: endpoint("auth-url", args.auth_url.as_deref(), &issuer, "auth.php")?,
            access_token_url: endpoint(
                "token-url",
                args.token_url.as_deref(),
                &issuer,
                "token.php",
            )?,
            jwks_url: endpoint("jwks-url", args.jwks_url.as_deref(), &issuer, "certs.php")?,
            id,
            issuer,
            client_id,
            token_audience: None,
            deployments,
        },
        moodle_url: moodle_url.as_str().trim_end_matches('/').to_owned(),
        moodle_token: token.map(Secret::new),
        created_by: "cli",
        replace_deployments: true,
    })
}

/// `moodle.example.org-9jaP3Q6PNFuPzAg`: readable, and the same for the same platform.
fn default_id(issuer: &Url, client_id: &str) -> String {
    let raw = format!("{}-{client_id}", issuer.host_str().unwrap_or("platform"));
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect()
}

async fn add(db: &Db, store: &LtiStore, args: AddArgs) -> anyhow::Result<ExitCode> {
    let new = new_registration(args)?;
    let id = store.save_registration(&new).await?;
    let r = &new.registration;
    audit(
        db,
        "lti add",
        json!({"registration": id, "issuer": r.issuer, "client_id": r.client_id, "deployments": r.deployments}),
    )
    .await;
    println!("registered {id}: {} (client id {})", r.issuer, r.client_id);
    if new.moodle_token.is_none() {
        println!(
            "no Moodle token given: launches from it cannot read Moodle files unless a token was \
             stored before (give one with LTI_MOODLE_TOKEN, or `lti approve {id} --moodle-token-from default`)"
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn approve(db: &Db, store: &LtiStore, args: ApproveArgs) -> anyhow::Result<ExitCode> {
    let token = args
        .moodle_token
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    let access = match (token, args.moodle_token_from, args.without_moodle) {
        (Some(token), None, false) => MoodleAccess::Token(Secret::new(token)),
        (None, Some(from), false) => MoodleAccess::SameAs(from),
        (None, None, true) => MoodleAccess::Without,
        _ => anyhow::bail!(
            "give exactly one of --moodle-token (or LTI_MOODLE_TOKEN), --moodle-token-from or --without-moodle"
        ),
    };
    match store.approve(&args.id, &access).await {
        Ok(()) => {}
        Err(ApproveError::Database(e)) => return Err(e.into()),
        Err(e) => {
            eprintln!("{e} (see `moodle-bridge lti list`)");
            return Ok(ExitCode::from(1));
        }
    }
    let shared = match &access {
        MoodleAccess::Token(_) => json!("token"),
        MoodleAccess::SameAs(from) => json!({"same_as": from}),
        MoodleAccess::Without => json!(null),
    };
    audit(
        db,
        "lti approve",
        json!({"registration": args.id, "moodle_access": shared}),
    )
    .await;
    println!(
        "approved {}: its launches are accepted{}",
        args.id,
        if matches!(access, MoodleAccess::Without) {
            " (without Moodle access)"
        } else {
            ""
        }
    );
    Ok(ExitCode::SUCCESS)
}

async fn list(store: &LtiStore, json: bool) -> anyhow::Result<ExitCode> {
    let records = store.registrations().await?;
    if json {
        for p in &records {
            let r = &p.registration;
            println!(
                "{}",
                json!({
                    "id": r.id, "issuer": r.issuer, "client_id": r.client_id,
                    "deployments": r.deployments, "auth_login_url": r.auth_login_url.as_str(),
                    "access_token_url": r.access_token_url.as_str(), "jwks_url": r.jwks_url.as_str(),
                    "moodle_url": p.moodle_url, "moodle_token": p.has_moodle_token,
                    "created_by": p.created_by, "created_at_ms": p.created_at_ms,
                    "status": p.status.as_str(),
                })
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<32} {:<8} {:<36} {:<20} {:<12} {:<36} {:<6} {:<8} created",
        "id", "status", "issuer", "client id", "deployments", "moodle", "token", "by"
    );
    for p in &records {
        let r = &p.registration;
        let at = UNIX_EPOCH + Duration::from_millis(u64::try_from(p.created_at_ms).unwrap_or(0));
        println!(
            "{:<32} {:<8} {:<36} {:<20} {:<12} {:<36} {:<6} {:<8} {}",
            r.id,
            p.status.as_str(),
            r.issuer,
            r.client_id,
            r.deployments.join(","),
            p.moodle_url,
            if p.has_moodle_token { "yes" } else { "no" },
            p.created_by,
            humantime::format_rfc3339_seconds(at)
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn remove(db: &Db, store: &LtiStore, id: &str) -> anyhow::Result<ExitCode> {
    if !store.remove_registration(id).await? {
        eprintln!("no registration {id:?} (see `moodle-bridge lti list`)");
        return Ok(ExitCode::from(1));
    }
    audit(db, "lti remove", json!({"registration": id})).await;
    println!("removed {id}");
    Ok(ExitCode::SUCCESS)
}

async fn audit(db: &Db, command: &str, ids: serde_json::Value) {
    AuditLog::new(db.clone())
        .record(
            &Actor {
                subject: operator(),
                source: "cli",
                route: command.to_owned(),
                request_id: None,
                client: None,
            },
            Event {
                function: None,
                object_ids: ids,
                outcome: "ok",
            },
        )
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(issuer: &str) -> AddArgs {
        AddArgs {
            issuer: issuer.to_owned(),
            client_id: "9jaP3Q6PNFuPzAg".to_owned(),
            deployments: vec!["1".to_owned(), " 7 ".to_owned()],
            auth_url: None,
            token_url: None,
            jwks_url: None,
            moodle_url: None,
            moodle_token: Some("abc".to_owned()),
            id: None,
        }
    }

    #[test]
    fn endpoints_default_to_moodles_below_the_issuer() {
        let new = new_registration(args("https://moodle.example.org/sub/")).expect("valid");
        let r = &new.registration;
        assert_eq!(r.issuer, "https://moodle.example.org/sub");
        assert_eq!(
            r.auth_login_url.as_str(),
            "https://moodle.example.org/sub/mod/lti/auth.php"
        );
        assert_eq!(r.access_token_url.path(), "/sub/mod/lti/token.php");
        assert_eq!(r.jwks_url.path(), "/sub/mod/lti/certs.php");
        assert_eq!(r.deployments, ["1", "7"]);
        assert_eq!(r.id, "moodle.example.org-9jaP3Q6PNFuPzAg");
        assert_eq!(new.moodle_url, "https://moodle.example.org/sub");
        assert_eq!(new.moodle_token.as_ref().map(Secret::expose), Some("abc"));
    }

    #[test]
    fn bad_arguments_name_their_flag() {
        let e = new_registration(args("moodle.example.org")).expect_err("not a URL");
        assert!(e.to_string().starts_with("--issuer"), "{e}");
        let mut a = args("https://m.example");
        a.jwks_url = Some("ftp://m.example/keys".to_owned());
        let e = new_registration(a).expect_err("not http");
        assert!(e.to_string().starts_with("--jwks-url"), "{e}");
        let mut a = args("https://m.example");
        a.id = Some("../x".to_owned());
        let e = new_registration(a).expect_err("bad id");
        assert!(e.to_string().starts_with("--id"), "{e}");
        let mut a = args("https://m.example");
        a.deployments = vec![" ".to_owned()];
        assert!(new_registration(a).is_err());
    }
}
