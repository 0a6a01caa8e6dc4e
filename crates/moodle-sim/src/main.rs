//! `moodle-sim`: runs the Moodle stand-in and prints its URL and seeded tokens.

use std::net::{IpAddr, SocketAddr};

use clap::Parser;
use moodle_sim::{Plugins, Sim, SimConfig, TokenMode};

/// A stand-in for a Moodle 4.5 site (web services, file upload and download, token login).
#[derive(Debug, Parser)]
#[command(name = "moodle-sim", version)]
struct Args {
    /// Port to listen on (0 = any free port).
    #[arg(long, env = "MOODLE_SIM_PORT", default_value_t = 8081)]
    port: u16,
    /// Address to listen on.
    #[arg(long, env = "MOODLE_SIM_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Use tokens derived from the role names, the same at every start (for scripts).
    #[arg(long)]
    fixed_tokens: bool,
    /// Start with Moodle's developer debugging on.
    #[arg(long)]
    debug: bool,
    /// Run without one of the project's Moodle plugins installed (repeatable).
    #[arg(long, value_name = "PLUGIN", value_parser = ["logintoken", "bridge"])]
    without_plugin: Vec<String>,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let args = Args::parse();
    let sim = Sim::start(SimConfig {
        bind: SocketAddr::new(args.host, args.port),
        tokens: if args.fixed_tokens {
            TokenMode::Fixed
        } else {
            TokenMode::Random
        },
        debug: args.debug,
        plugins: Plugins {
            logintoken: !args.without_plugin.iter().any(|p| p == "logintoken"),
            bridge: !args.without_plugin.iter().any(|p| p == "bridge"),
        },
    })
    .await?;
    println!("Moodle (stand-in): {}", sim.url());
    for (role, token) in sim.tokens() {
        println!("{role}: {token}");
    }
    tokio::signal::ctrl_c().await?;
    sim.stop().await;
    Ok(())
}
