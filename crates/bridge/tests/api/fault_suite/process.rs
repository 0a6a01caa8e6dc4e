//! The real `moodle-bridge serve` as a child process: started with a given environment,
//! its JSON log kept in a file (debug level, so everything the bridge would ever log is
//! there to be scanned for secrets), stopped with `kill -9` when a case says so.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::{SECRET_KEY, SHARED_SECRET};

/// A running bridge process.
pub struct Process {
    /// `http://127.0.0.1:port`.
    pub url: String,
    /// Its log file.
    pub log: PathBuf,
    child: Child,
}

impl Process {
    /// Starts `moodle-bridge serve` with the suite's base settings and `env` on top;
    /// answers once it listens. The log goes to `log`.
    pub async fn start(
        moodle_url: &str,
        moodle_token: &str,
        env: &[(&str, String)],
        log: &Path,
    ) -> Process {
        let mut cmd = command(moodle_url, moodle_token, env);
        let mut child = cmd
            .args(["serve", "--bind", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("moodle-bridge starts");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .await
            .expect("log file");
        let port = loop {
            let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
                .await
                .expect("the bridge logs its port")
                .expect("read")
                .unwrap_or_else(|| panic!("the bridge stopped at start; see {}", log.display()));
            file.write_all(format!("{line}\n").as_bytes())
                .await
                .expect("log");
            if let Ok(v) = serde_json::from_str::<Value>(&line)
                && v["message"] == "moodle-bridge listening"
            {
                break v["port"].as_u64().expect("port");
            }
        };
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if file
                    .write_all(format!("{line}\n").as_bytes())
                    .await
                    .is_err()
                {
                    break;
                }
            }
            let _ = file.flush().await;
        });
        Process {
            url: format!("http://127.0.0.1:{port}"),
            log: log.to_owned(),
            child,
        }
    }

    /// `kill -9`: no shutdown, no cleanup.
    pub async fn kill9(&mut self) {
        self.child.kill().await.expect("kill -9");
    }

    /// The process id (for `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }
}

/// `moodle-bridge` with the suite's base settings and `env` on top, nothing else from the
/// test's environment.
pub fn command(moodle_url: &str, moodle_token: &str, env: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_moodle-bridge"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MOODLE_BASE_URL", moodle_url)
        .env("MOODLE_TOKEN", moodle_token)
        .env("MOODLE_SERVICE", "bridge")
        .env("SECRET_KEY", SECRET_KEY)
        .env("AUTH_HS256_SECRET", SHARED_SECRET)
        .env("RATE_LIMIT_PER_MINUTE", "0")
        .env("JOB_LEASE_SECONDS", "2")
        .env("LOG_LEVEL", "debug")
        .env("LOG_FORMAT", "json")
        .current_dir(std::env::temp_dir());
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd
}

/// The peak and current resident memory of a process, in KiB (`VmHWM`, `VmRSS`).
pub fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}
