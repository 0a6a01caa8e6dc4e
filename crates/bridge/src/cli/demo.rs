//! `moodle-bridge demo`: the built-in Moodle stand-in seeded with the demo data, and the
//! bridge against it on the embedded defaults (SQLite and local files under the demo's
//! data directory). The bridge is registered in the stand-in as its LTI tool (and the
//! stand-in in the bridge as its platform), development routes on. Prints where both are,
//! the course page to launch the file manager from, an API token and the docs; Ctrl-C
//! stops both.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use moodle_sim::lti::{LtiConfig, RECORDED_CLIENT_ID};
use moodle_sim::{Sim, SimConfig};

use super::check;
use super::signal;
use crate::app::App;
use crate::auth::{OwnKey, Scopes};
use crate::config::{Config, Env, Needs};
use crate::telemetry;

/// The stand-in's user the bridge calls Moodle as: the site administrator's token for the
/// `bridge` service.
const DEMO_ROLE: &str = "admin_bridge";

/// Runs the demo until Ctrl-C.
///
/// # Errors
/// When a port is taken, the data directory cannot be written, or the bridge cannot start.
pub async fn run(
    mut env: Env,
    port: u16,
    moodle_port: u16,
    data_dir: &Path,
) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let sim = Sim::start(SimConfig {
        bind: ([127, 0, 0, 1], moodle_port).into(),
        lti: LtiConfig {
            tool_url: format!("http://127.0.0.1:{port}"),
            ..LtiConfig::default()
        },
        ..SimConfig::default()
    })
    .await
    .with_context(|| format!("the Moodle stand-in cannot listen on port {moodle_port}"))?;
    let token = sim
        .token(DEMO_ROLE)
        .context("the stand-in has no bridge token")?;
    add_gateway_functions(&sim);
    let secret = secret_key(data_dir)?;
    env.set("MOODLE_BASE_URL", sim.url());
    env.set("MOODLE_TOKEN", token);
    // The publisher's logins: the stand-in's `bridge` service has the functions a push calls
    // (the mobile service cannot make courses).
    if env.get("MOODLE_SERVICE").is_none() {
        env.set("MOODLE_SERVICE", "bridge");
    }
    env.set("SECRET_KEY", secret.as_str());
    // The stand-in is the platform the file manager is launched from.
    env.set("LTI_ISSUER", sim.url());
    env.set("LTI_CLIENT_ID", RECORDED_CLIENT_ID);
    env.set("LTI_DEPLOYMENT_ID", tool_type_id(&sim).to_string());
    if env.get("BRIDGE_DEV").is_none() {
        env.set("BRIDGE_DEV", "1");
    }
    env.set("DATA_DIR", data_dir.display().to_string());
    env.set("BIND", format!("127.0.0.1:{port}"));
    if env.get("LOG_FORMAT").is_none() {
        env.set("LOG_FORMAT", "text");
    }
    if env.get("LOG_LEVEL").is_none() {
        env.set("LOG_LEVEL", "warn");
    }
    let config = match Config::from_env(
        &env,
        Needs {
            moodle: true,
            secret_key: true,
        },
    ) {
        Ok(c) => c,
        Err(problems) => {
            eprint!("{problems}");
            return Ok(ExitCode::from(2));
        }
    };
    telemetry::init(&config.log_level, config.log_json, false);
    let app = App::build(&config).await?;
    let bridge = format!("http://127.0.0.1:{}", app.port());
    point_stand_in_at(&sim, &bridge);
    let key = config.secret_key.as_ref().context("SECRET_KEY")?;
    let api_token =
        OwnKey::derive(key).issue("demo", Scopes::READ_WRITE, Duration::from_secs(7 * 86_400))?;
    println!("Moodle (stand-in): {}", sim.url());
    println!("Bridge: {bridge}");
    println!(
        "Launch: {}/course/view.php?id=2 (log in as teacher1 / Teacher123!x, open \"Bridge tool activity\")",
        sim.url()
    );
    println!("API token: {}", api_token.token.expose());
    println!("Docs: {bridge}/docs");
    app.run_until(signal::shutdown()).await?;
    sim.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// The id of the stand-in's LTI tool type: the deployment id its launches carry.
fn tool_type_id(sim: &Sim) -> i64 {
    sim.with_state(|s| s.lti.types.keys().next().copied().unwrap_or(1))
}

/// Registers the bridge at `tool_url` as the stand-in's LTI tool, as a Moodle administrator
/// does in "Manage tools": tool URL, initiate login URL, redirection URIs (launch and deep
/// linking), content selection URL and public keyset.
pub fn point_stand_in_at(sim: &Sim, tool_url: &str) {
    let base = tool_url.trim_end_matches('/').to_owned();
    sim.with_state(|s| {
        for tool in s.lti.types.values_mut() {
            let launch = format!("{base}/lti/launch");
            let deeplink = format!("{base}/lti/deeplink");
            tool.baseurl = launch.clone();
            tool.tooldomain = url::Url::parse(&base)
                .ok()
                .and_then(|u| {
                    u.host_str().map(|h| {
                        u.port()
                            .map_or_else(|| h.to_owned(), |p| format!("{h}:{p}"))
                    })
                })
                .unwrap_or_default();
            tool.config.initiatelogin = format!("{base}/lti/login");
            tool.config.redirectionuris = vec![launch, deeplink.clone()];
            tool.config.publickeyset = format!("{base}/.well-known/jwks.json");
            tool.config.contentitem_url = deeplink;
        }
        s.lti.keysets.clear();
    });
}

/// Adds the functions the gateway calls to the stand-in's `bridge` service, as a Moodle
/// administrator does after `moodle-bridge check` lists what is missing (the recorded
/// site's service lacks `core_course_search_courses`).
fn add_gateway_functions(sim: &Sim) {
    sim.with_state(|state| {
        if let Some(service) = state
            .services
            .values_mut()
            .find(|s| s.shortname == "bridge")
        {
            for function in check::gateway_functions() {
                if !service.functions.iter().any(|f| f == function.name()) {
                    service.functions.push(function.name().to_owned());
                }
            }
        }
    });
}

/// The demo's `SECRET_KEY`: read from `secret.key` in the data directory, made on first run
/// (readable by the owner only), so tokens printed by one run keep working in the next.
fn secret_key(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join("secret.key");
    if let Ok(existing) = std::fs::read_to_string(&path)
        && existing.trim().len() >= 32
    {
        return Ok(existing.trim().to_owned());
    }
    let key: String = {
        use rand::Rng as _;
        let bytes: [u8; 32] = rand::rng().random();
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    std::io::Write::write_all(&mut file, key.as_bytes())?;
    Ok(key)
}
