//! `moodle-bridge token create|list|revoke`: the bridge's own API tokens. `create` prints a
//! new token (and records its id, never the token); `list` shows the recorded ones; `revoke`
//! takes back one token by its id (of any source) or every token of a subject issued until
//! now. Revocations reach every running instance within a few seconds.

use std::process::ExitCode;
use std::time::{Duration, UNIX_EPOCH};

use anyhow::Context as _;
use clap::Subcommand;
use serde_json::json;

use super::operator;
use crate::audit::{Actor, AuditLog, Event, now_ms};
use crate::auth::revocations;
use crate::auth::{OwnKey, Scopes, TokenSource};
use crate::config::Config;
use crate::db::Db;

/// Token commands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Prints a new API token.
    Create {
        /// Who the token is for (its `sub`).
        #[arg(long)]
        sub: String,
        /// A scope to grant (moodle:read, moodle:write, files:admin, webhooks:manage,
        /// events:read); repeat for several.
        /// Default: moodle:read and moodle:write.
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Vec<String>,
        /// How long it is valid (`30d`, `12h`; at most 365d).
        #[arg(long, default_value = "30d")]
        ttl: String,
    },
    /// Lists the tokens the bridge issued (ids, subjects, scopes, times; never the tokens).
    List {
        /// Only this subject's.
        #[arg(long)]
        sub: Option<String>,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Revokes one token by its id (`jti`), or every token of a subject issued until now.
    Revoke {
        /// The token's id, as `token list` shows it.
        #[arg(required_unless_present = "sub", conflicts_with = "sub")]
        jti: Option<String>,
        /// Revoke every token of this subject instead.
        #[arg(long)]
        sub: Option<String>,
        /// Whose subject: bridge (default), shared-secret or identity-provider.
        #[arg(long, default_value = "bridge", requires = "sub")]
        source: String,
    },
}

/// Runs a token command.
///
/// # Errors
/// Bad arguments, or the database failing.
pub async fn run(config: &Config, command: TokenCommand) -> anyhow::Result<ExitCode> {
    match command {
        TokenCommand::Create { sub, scopes, ttl } => create(config, &sub, &scopes, &ttl).await,
        TokenCommand::List { sub, json } => list(config, sub.as_deref(), json).await,
        TokenCommand::Revoke { jti, sub, source } => {
            revoke(config, jti.as_deref(), sub.as_deref(), &source).await
        }
    }
}

async fn open(config: &Config) -> anyhow::Result<Db> {
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    Ok(db)
}

async fn create(
    config: &Config,
    sub: &str,
    scopes: &[String],
    ttl: &str,
) -> anyhow::Result<ExitCode> {
    let sub = sub.trim();
    anyhow::ensure!(
        !sub.is_empty() && sub.len() <= 255,
        "--sub must be 1 to 255 characters"
    );
    let scopes = if scopes.is_empty() {
        Scopes::READ_WRITE
    } else {
        Scopes::parse_list(&scopes.join(" "))
            .map_err(|s| anyhow::anyhow!("unknown scope {s:?}; known: {}", Scopes::KNOWN))?
    };
    let ttl = humantime::parse_duration(ttl)
        .with_context(|| format!("--ttl {ttl:?} is not a duration like 30d or 12h"))?;
    anyhow::ensure!(
        ttl >= Duration::from_secs(60) && ttl <= Duration::from_secs(365 * 86_400),
        "--ttl must be from 1m to 365d"
    );
    let secret = config
        .secret_key
        .as_ref()
        .context("SECRET_KEY is required")?;
    let issued = OwnKey::derive(secret).issue(sub, scopes, ttl)?;
    let db = open(config).await?;
    let recorded = revocations::record_issued(&db, &issued, "cli").await;
    if let Err(e) = recorded {
        db.close().await;
        return Err(e.into());
    }
    audit(
        &db,
        "token create",
        json!({"sub": sub, "jti": issued.id, "scope": scopes.to_string(), "exp": issued.expires_at}),
    )
    .await;
    db.close().await;
    println!("{}", issued.token.expose());
    Ok(ExitCode::SUCCESS)
}

async fn list(config: &Config, sub: Option<&str>, json: bool) -> anyhow::Result<ExitCode> {
    let db = open(config).await?;
    let tokens = revocations::list(&db, sub, 10_000).await;
    db.close().await;
    let tokens = tokens?;
    let now = now_ms();
    let state = |t: &revocations::TokenRecord| {
        if t.revoked_at_ms.is_some() {
            "revoked"
        } else if t.expires_at_ms <= now {
            "expired"
        } else {
            "active"
        }
    };
    if json {
        for t in &tokens {
            let mut row = serde_json::to_value(t)?;
            row["state"] = json!(state(t));
            println!("{row}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<32} {:<24} {:<34} {:<12} {:<8} {:<20} expires",
        "jti", "subject", "scopes", "issued by", "state", "issued"
    );
    let time = |ms: i64| {
        humantime::format_rfc3339_seconds(
            UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0)),
        )
        .to_string()
    };
    for t in &tokens {
        println!(
            "{:<32} {:<24} {:<34} {:<12} {:<8} {:<20} {}",
            t.jti,
            t.subject,
            t.scopes,
            t.issued_by,
            state(t),
            time(t.issued_at_ms),
            time(t.expires_at_ms)
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn revoke(
    config: &Config,
    jti: Option<&str>,
    sub: Option<&str>,
    source: &str,
) -> anyhow::Result<ExitCode> {
    let source = match source {
        "bridge" => TokenSource::Bridge,
        "shared-secret" => TokenSource::SharedSecret,
        "identity-provider" => TokenSource::IdentityProvider,
        other => {
            anyhow::bail!("--source {other:?}: must be bridge, shared-secret or identity-provider")
        }
    };
    let db = open(config).await?;
    let outcome = match (jti, sub) {
        (Some(jti), _) => revocations::revoke_token(&db, jti.trim())
            .await
            .map(|known| {
                if known {
                    println!("revoked token {jti}");
                } else {
                    println!("revoked token id {jti} (not one the bridge issued; refused wherever it appears)");
                }
                json!({"jti": jti})
            }),
        (None, Some(sub)) => revocations::revoke_subject(&db, source, sub.trim())
            .await
            .map(|taken| {
                println!(
                    "revoked every {} token of {sub} issued until now ({taken} recorded)",
                    source.name()
                );
                json!({"sub": sub, "source": source.name()})
            }),
        (None, None) => Ok(json!(null)),
    };
    match outcome {
        Ok(ids) => {
            audit(&db, "token revoke", ids).await;
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            db.close().await;
            Err(e.into())
        }
    }
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
