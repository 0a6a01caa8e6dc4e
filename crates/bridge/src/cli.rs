//! The command line: `serve`, `demo` (with the `demo` feature), `token create|list|revoke`
//! (in `cli/token.rs`), `check`, `config check` (in `cli/config_check.rs`), `backup` (in
//! `cli/backup.rs`), `migrate`, `audit`, the
//! publisher's `push` and `sync status|retry` (in `cli/publish.rs`), and the LTI tool's
//! `lti add|list|remove` and `keys rotate` (in `cli/lti.rs`). Each
//! command reads the configuration it needs (a problem stops it with exit code 2 and one
//! message naming every variable at fault) and calls the same services the HTTP side uses.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::app::{App, StartError};
use crate::audit::AuditLog;
use crate::config::{Config, Env, Needs, Problems};
use crate::db::Db;
use crate::telemetry;

mod backup;
pub mod check;
mod config_check;
#[cfg(feature = "demo")]
pub mod demo;
mod lti;
mod publish;
mod signal;
mod token;

/// The version `--version` prints: the crate's, and the git commit it was built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("BRIDGE_GIT_COMMIT"),
    ")"
);

/// Moodle Bridge: the integration layer between Moodle and other applications.
#[derive(Debug, Parser)]
#[command(name = "moodle-bridge", version = VERSION)]
pub struct Cli {
    /// A `.env` file to read under the environment (default: `./.env` when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the service configured by the environment (MOODLE_BASE_URL, MOODLE_TOKEN, SECRET_KEY, …).
    Serve {
        /// Where to listen (overrides BIND).
        #[arg(long)]
        bind: Option<SocketAddr>,
    },
    /// Starts the built-in Moodle stand-in with demo data and the bridge against it.
    Demo {
        /// The bridge's port.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// The stand-in's port.
        #[arg(long, default_value_t = 8081)]
        moodle_port: u16,
        /// Where the demo keeps its database, files and key.
        #[arg(long, default_value = "data/demo")]
        data_dir: PathBuf,
    },
    /// API tokens signed with the bridge's own key (SECRET_KEY).
    Token {
        /// What to do with tokens.
        #[command(subcommand)]
        command: token::TokenCommand,
    },
    /// Connects to the configured Moodle and reports what the bridge can and cannot do there.
    Check,
    /// The configuration itself.
    Config {
        /// What to do.
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Copies the SQLite database (online) and the stored files into a new folder, with a
    /// manifest; on PostgreSQL, says to use pg_dump.
    Backup {
        /// The folder to write (made when missing; must be empty).
        dir: PathBuf,
    },
    /// Applies the database migrations (also done at start).
    Migrate,
    /// Prints the audit log: who changed what through the bridge.
    Audit {
        /// How far back: a duration (`24h`, `7d`) or a time (`2026-11-01T00:00:00Z`).
        #[arg(long, default_value = "24h")]
        since: String,
        /// At most this many entries.
        #[arg(long, default_value_t = 200)]
        limit: i64,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Pushes a local course and its assets into Moodle, with a progress bar.
    Push(publish::PushArgs),
    /// The publisher's sync state, and retrying what failed.
    Sync {
        /// What to do.
        #[command(subcommand)]
        command: publish::SyncCommand,
    },
    /// The LTI platforms (Moodle sites) that may launch the tool.
    Lti {
        /// What to do.
        #[command(subcommand)]
        command: lti::LtiCommand,
    },
    /// The LTI tool's signing keys.
    Keys {
        /// What to do.
        #[command(subcommand)]
        command: lti::KeysCommand,
    },
}

/// `moodle-bridge config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Reads the configuration as `serve` would, tries the TLS files, database and storage,
    /// prints what would run and every problem; exit code 1 on a problem (2: invalid settings).
    Check,
}

/// Runs a parsed command line.
///
/// # Errors
/// What stopped the command, for `main` to print.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut env = match Env::from_process(cli.env_file.as_deref()) {
        Ok(env) => env,
        Err(problems) => return Ok(config_problems(&problems)),
    };
    let command = match cli.command {
        Command::Demo {
            port,
            moodle_port,
            data_dir,
        } => return demo(env, port, moodle_port, &data_dir).await,
        command => command,
    };
    match &command {
        Command::Serve { bind: Some(bind) } => env.set("BIND", bind.to_string()),
        // The progress bar owns standard error; logs only when something is wrong.
        Command::Push(_) if env.get("LOG_LEVEL").is_none() => env.set("LOG_LEVEL", "warn"),
        _ => {}
    }
    let Some(config) = load(&env, needs(&command)) else {
        return Ok(ExitCode::from(2));
    };
    match command {
        Command::Demo { .. } => unreachable!("handled above"),
        Command::Serve { .. } => serve(&config).await,
        Command::Token { command } => token::run(&config, command).await,
        Command::Check => check::run(&config).await,
        Command::Config {
            command: ConfigCommand::Check,
        } => config_check::run(&config).await,
        Command::Backup { dir } => backup::run(&config, &dir).await,
        Command::Migrate => {
            let db = Db::connect(&config.database_url).await?;
            db.migrate().await?;
            println!("migrations applied ({:?})", db.backend());
            Ok(ExitCode::SUCCESS)
        }
        Command::Push(args) => publish::push(&config, args).await,
        Command::Sync { command } => publish::sync(&config, command).await,
        Command::Lti { command } => lti::lti(&config, command).await,
        Command::Keys { command } => lti::keys(&config, command).await,
        Command::Audit { since, limit, json } => print_audit(&config, &since, limit, json).await,
    }
}

/// What a command needs configured: Moodle for the ones that call it, `SECRET_KEY` for the
/// ones that sign or open sealed data.
fn needs(command: &Command) -> Needs {
    let (moodle, secret_key) = match command {
        Command::Demo { .. }
        | Command::Migrate
        | Command::Audit { .. }
        | Command::Backup { .. } => (false, false),
        // Exactly what `serve` reads.
        Command::Serve { .. } | Command::Push(_) | Command::Config { .. } => (true, true),
        Command::Check => (true, false),
        Command::Token { .. } | Command::Lti { .. } | Command::Keys { .. } => (false, true),
        Command::Sync { command } => (matches!(command, publish::SyncCommand::Retry { .. }), true),
    };
    Needs { moodle, secret_key }
}

/// `moodle-bridge demo`: the built-in stand-in and the bridge against it.
#[cfg(feature = "demo")]
async fn demo(env: Env, port: u16, moodle_port: u16, data_dir: &Path) -> anyhow::Result<ExitCode> {
    demo::run(env, port, moodle_port, data_dir).await
}

/// Without the `demo` feature (the package, the container image): says how to get it.
#[cfg(not(feature = "demo"))]
async fn demo(_: Env, _: u16, _: u16, _: &Path) -> anyhow::Result<ExitCode> {
    eprintln!(
        "moodle-bridge: this build has no demo: the Moodle stand-in is left out of the package \
         and the container image. Run it from the source: git clone the project, then \
         `cargo run -p bridge -- demo` (the default build has it)."
    );
    Ok(ExitCode::from(2))
}

/// The configuration, or `None` after printing every problem.
fn load(env: &Env, needs: Needs) -> Option<Config> {
    match Config::from_env(env, needs) {
        Ok(c) => {
            let debug = c.moodle.as_ref().is_some_and(|m| m.debug);
            telemetry::init(&c.log_level, c.log_json, debug);
            Some(c)
        }
        Err(problems) => {
            config_problems(&problems);
            None
        }
    }
}

fn config_problems(problems: &Problems) -> ExitCode {
    eprint!("{problems}");
    ExitCode::from(2)
}

/// Serves until Ctrl-C or SIGTERM.
async fn serve(config: &Config) -> anyhow::Result<ExitCode> {
    let app = match App::build(config).await {
        Ok(app) => app,
        Err(StartError::Config(problems)) => return Ok(config_problems(&problems)),
        Err(e) => return Err(e.into()),
    };
    tracing::info!(port = app.port(), "moodle-bridge listening");
    app.run_until(signal::shutdown()).await?;
    tracing::info!("moodle-bridge stopped");
    Ok(ExitCode::SUCCESS)
}

/// Who runs a command, for the audit log.
fn operator() -> String {
    std::env::var("USER").unwrap_or_else(|_| "operator".to_owned())
}

async fn print_audit(
    config: &Config,
    since: &str,
    limit: i64,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let since_ms = parse_since(since)?;
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    let entries = AuditLog::new(db.clone())
        .since(since_ms, limit.clamp(1, 100_000))
        .await?;
    db.close().await;
    if json {
        for e in &entries {
            println!("{}", serde_json::to_string(e)?);
        }
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<24} {:<20} {:<34} {:<36} {:<16} ids",
        "time", "who", "route", "moodle function", "outcome"
    );
    for e in &entries {
        let at = UNIX_EPOCH + Duration::from_millis(u64::try_from(e.at_ms).unwrap_or(0));
        println!(
            "{:<24} {:<20} {:<34} {:<36} {:<16} {}",
            humantime::format_rfc3339_millis(at).to_string(),
            format!("{} ({})", e.subject, e.source),
            e.route,
            e.moodle_function.as_deref().unwrap_or("-"),
            if e.outcome == "ok" {
                "ok".to_owned()
            } else {
                format!("{} {}", e.status, e.outcome)
            },
            e.object_ids
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `--since`: a duration back from now or an RFC 3339 time, as Unix milliseconds.
fn parse_since(since: &str) -> anyhow::Result<i64> {
    let at = match humantime::parse_duration(since) {
        Ok(back) => SystemTime::now().checked_sub(back).unwrap_or(UNIX_EPOCH),
        Err(_) => humantime::parse_rfc3339_weak(since).with_context(|| {
            format!(
                "--since {since:?} is neither a duration (24h) nor a time (2026-11-01T00:00:00Z)"
            )
        })?,
    };
    Ok(at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)))
}
