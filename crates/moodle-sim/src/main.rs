//! `moodle-sim`: runs the Moodle stand-in and prints its URL and seeded tokens.

use std::net::{IpAddr, SocketAddr};

use clap::Parser;
use moodle_sim::lti::LtiConfig;
use moodle_sim::{MoodleVersion, Plugins, Sim, SimConfig, TokenMode};

/// A stand-in for a Moodle 4.5 or 5.0 site (web services, file upload and download, token login).
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
    /// Which Moodle to answer as: 4.5 (the LTS line) or 5.0.
    #[arg(long, env = "MOODLE_SIM_MOODLE_VERSION", default_value = "4.5")]
    moodle_version: MoodleVersion,
    /// Run without one of the project's Moodle plugins installed (repeatable).
    #[arg(long, value_name = "PLUGIN", value_parser = ["logintoken", "bridge"])]
    without_plugin: Vec<String>,
    /// Base URL of the LTI 1.3 tool the seeded tool type points at (login `/lti/login`,
    /// launch `/lti/launch`, deep linking `/lti/deeplink`, keys `/.well-known/jwks.json`).
    #[arg(long, env = "MOODLE_SIM_LTI_TOOL_URL", default_value = moodle_sim::lti::RECORDED_TOOL_URL)]
    lti_tool_url: String,
    /// Offer LTI platform storage (`lti_storage_target`) at login initiation.
    #[arg(long)]
    lti_storage_target: bool,
    /// Add this file to student1's submission in "Lab report 1" (PHYS101), its content
    /// served from the file, never held in memory: for the file-copy benchmark (repeatable).
    #[arg(long, value_name = "PATH")]
    submission_file: Vec<std::path::PathBuf>,
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
        moodle_version: args.moodle_version,
        plugins: Plugins {
            logintoken: !args.without_plugin.iter().any(|p| p == "logintoken"),
            bridge: !args.without_plugin.iter().any(|p| p == "bridge"),
        },
        lti: LtiConfig {
            tool_url: args.lti_tool_url,
            storage_target: args.lti_storage_target,
            ..LtiConfig::default()
        },
        ..SimConfig::default()
    })
    .await?;
    for path in &args.submission_file {
        sim.with_state(|s| add_submission_file(s, path))?;
    }
    // Scripts read the URL from this exact line (`Moodle (stand-in): …`).
    println!("Moodle (stand-in): {}", sim.url());
    println!("Moodle release: {}", args.moodle_version.release());
    for (role, token) in sim.tokens() {
        println!("{role}: {token}");
    }
    println!(
        "LTI platform: issuer {0}, client id {1}, deployment 1, keys {0}/mod/lti/certs.php; log in at {0}/login/index.php",
        sim.url(),
        moodle_sim::lti::RECORDED_CLIENT_ID
    );
    tokio::signal::ctrl_c().await?;
    sim.stop().await;
    Ok(())
}

/// Adds a file kept on disk to student1's submission in "Lab report 1" (course module 6).
fn add_submission_file(
    s: &mut moodle_sim::state::State,
    path: &std::path::Path,
) -> std::io::Result<()> {
    use moodle_sim::state::{ContextLevel, NewFile};
    let not_seeded = || std::io::Error::other("the seeded submission of student1 is missing");
    let student1 = s
        .users
        .values()
        .find(|u| u.username == "student1")
        .map(|u| u.id)
        .ok_or_else(not_seeded)?;
    let submission = s
        .submissions
        .values()
        .find(|x| x.assignment == 1 && x.userid == student1)
        .map(|x| x.id)
        .ok_or_else(not_seeded)?;
    let contextid = s
        .context_id(ContextLevel::Module, 6)
        .ok_or_else(not_seeded)?;
    let filename = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| std::io::Error::other(format!("not a file name: {}", path.display())))?;
    s.create_file_on_disk(
        NewFile {
            contextid,
            component: "assignsubmission_file",
            filearea: "submission_files",
            itemid: submission,
            filepath: "/",
            filename,
            userid: Some(student1),
            author: None,
            license: None,
            source: None,
        },
        path,
    )?;
    Ok(())
}
