//! The database going away: a PostgreSQL server of the case's own is stopped under a running
//! bridge and started again. Meanwhile routes that need the database answer 503 (not 500,
//! not a hang), routes that don't keep working, nothing is half-written, and the bridge
//! works again without a restart.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use moodle_sim::Sim;
use reqwest::Method;
use serde_json::json;

use super::process::Process;
use super::{call, report, scan_logs};
use crate::helpers::add_service_functions;

/// A PostgreSQL server of one case, in a temporary folder (trust authentication, loopback).
struct PrivatePostgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    run_as_postgres: bool,
}

impl PrivatePostgres {
    /// Makes and starts a cluster, or `None` after one skip line without PostgreSQL's
    /// server programs (scripts/install-test-deps installs them).
    fn start() -> Option<PrivatePostgres> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path().join("bin"))
            .filter(|b| b.join("initdb").exists())
            .max();
        let Some(bin) = bin else {
            moodle_sim::testing::skip(
                "database outage case",
                "no PostgreSQL server programs; scripts/install-test-deps installs them",
                moodle_sim::testing::Dependency::InstalledByCi,
            );
            return None;
        };
        let dir = tempfile::tempdir().expect("dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("port")
            .local_addr()
            .expect("addr")
            .port();
        // PostgreSQL refuses to run as root: then it runs as the package's postgres user.
        let run_as_postgres = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        if run_as_postgres {
            let chown = Command::new("chown")
                .args(["postgres"])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(chown.success());
        }
        let pg = PrivatePostgres {
            bin,
            dir,
            port,
            run_as_postgres,
        };
        let data = pg.dir.path().join("data");
        pg.run(
            "initdb",
            &[
                "-D",
                &data.display().to_string(),
                "-A",
                "trust",
                "-U",
                "bridge",
                "--no-sync",
            ],
        );
        pg.start_server();
        Some(pg)
    }

    fn run(&self, program: &str, args: &[&str]) {
        let exe = self.bin.join(program);
        let mut cmd = if self.run_as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        let out = cmd.args(args).output().expect("runs");
        assert!(
            out.status.success(),
            "{program}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn start_server(&self) {
        let data = self.dir.path().join("data").display().to_string();
        let log = self.dir.path().join("server.log").display().to_string();
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        self.run(
            "pg_ctl",
            &["-D", &data, "-l", &log, "-w", "-o", &options, "start"],
        );
    }

    fn stop_server(&self) {
        let data = self.dir.path().join("data").display().to_string();
        self.run("pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"]);
    }

    fn url(&self) -> String {
        format!("postgres://bridge@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data").display().to_string();
        let exe = self.bin.join("pg_ctl");
        let _ = if self.run_as_postgres {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(exe)
                .args(["-D", &data, "-m", "immediate", "stop"])
                .output()
        } else {
            Command::new(exe)
                .args(["-D", &data, "-m", "immediate", "stop"])
                .output()
        };
    }
}

#[tokio::test]
async fn a_stopped_database_is_503_and_the_bridge_recovers_without_a_restart() {
    let Some(pg) = tokio::task::spawn_blocking(PrivatePostgres::start)
        .await
        .expect("start")
    else {
        return;
    };
    let sim = Sim::start(crate::helpers::sim_config()).await.expect("sim");
    add_service_functions(&sim, &["core_course_search_courses"]);
    let dir = tempfile::tempdir().expect("dir");
    let token = sim.token("admin_bridge").expect("token");
    let env = [
        ("DATABASE_URL", pg.url()),
        ("DATA_DIR", dir.path().display().to_string()),
    ];
    let bridge = Process::start(sim.url(), &token, &env, &dir.path().join("bridge.log")).await;
    let (status, before) = call(
        &bridge.url,
        Method::POST,
        "/api/courses",
        &[],
        Some(&json!({"name": "Before"})),
    )
    .await;
    assert_eq!(status, 201, "{before}");

    let pg = tokio::task::spawn_blocking(move || {
        pg.stop_server();
        pg
    })
    .await
    .expect("stop");
    let started = Instant::now();
    let (list, list_body) = call(&bridge.url, Method::GET, "/api/courses", &[], None).await;
    let list_took = started.elapsed();
    let (create, create_body) = call(
        &bridge.url,
        Method::POST,
        "/api/courses",
        &[],
        Some(&json!({"name": "During"})),
    )
    .await;
    let (ready, _) = call(&bridge.url, Method::GET, "/ready", &[], None).await;
    let (gateway, _) = call(&bridge.url, Method::GET, "/api/moodle/siteinfo", &[], None).await;
    report(
        "database",
        "PostgreSQL stopped",
        "GET+POST /api/courses, /ready, siteinfo",
        &format!(
            "{list} ({} ms), {create}, {ready}, {gateway}",
            list_took.as_millis()
        ),
        "",
        "",
    );
    assert_eq!(list, 503, "{list_body}");
    assert_eq!(create, 503, "{create_body}");
    assert_eq!(ready, 503);
    assert_eq!(gateway, 200, "the gateway does not need the database");

    let _pg = tokio::task::spawn_blocking(move || {
        pg.start_server();
        pg
    })
    .await
    .expect("start again");
    let mut after = (0, serde_json::Value::Null);
    for _ in 0..100 {
        let (status, body) = call(&bridge.url, Method::GET, "/api/courses", &[], None).await;
        after = (status, body);
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let names: Vec<String> = after.1["courses"]
        .as_array()
        .or_else(|| after.1.as_array())
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str().map(str::to_owned))
        .collect();
    let (created, _) = call(
        &bridge.url,
        Method::POST,
        "/api/courses",
        &[],
        Some(&json!({"name": "After"})),
    )
    .await;
    report(
        "database",
        "PostgreSQL started again",
        "GET /api/courses, POST /api/courses",
        &format!("{}, {created}", after.0),
        "same process",
        &format!("courses {names:?}"),
    );
    assert_eq!(after.0, 200, "{}", after.1);
    assert_eq!(
        names,
        ["Before"],
        "the refused create wrote nothing: {}",
        after.1
    );
    assert_eq!(created, 201);
    scan_logs(std::slice::from_ref(&bridge.log), &[token.as_str()]);
}
