//! The binary's operator commands: `--version` names the commit, `config check` reports what
//! `serve` would run and every problem, a new SQLite file is created and a broken one is one
//! sentence, `backup` copies the database and the stored files with a manifest.

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use tokio::process::Command;

use crate::helpers::{SECRET_KEY, spawn_app};
use crate::tls::TestCa;

fn bridge(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_moodle-bridge"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LOG_FORMAT", "text")
        .current_dir(dir)
        .kill_on_drop(true);
    cmd
}

fn configured(dir: &Path) -> Command {
    let mut cmd = bridge(dir);
    cmd.env("MOODLE_BASE_URL", "https://moodle.example.org")
        .env("MOODLE_TOKEN", "0123456789abcdef0123456789abcdef")
        .env("SECRET_KEY", SECRET_KEY)
        .env("DATA_DIR", dir.join("data"));
    cmd
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn version_names_the_crate_version_and_a_commit() {
    let dir = tempfile::tempdir().expect("dir");
    let out = bridge(dir.path())
        .arg("--version")
        .output()
        .await
        .expect("runs");
    let (stdout, _) = text(&out);
    let expected = format!("moodle-bridge {} (commit ", env!("CARGO_PKG_VERSION"));
    assert!(stdout.starts_with(&expected), "{stdout}");
    let commit = stdout[expected.len()..].trim_end().trim_end_matches(')');
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{stdout}"
    );
}

#[tokio::test]
async fn config_check_summarises_a_good_configuration_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let (chain, key) = TestCa::new("CA").server_certificate();
    std::fs::write(dir.path().join("cert.pem"), chain).expect("cert");
    std::fs::write(dir.path().join("key.pem"), key).expect("key");
    let out = configured(dir.path())
        .args(["config", "check"])
        .env("TLS_CERT_FILE", dir.path().join("cert.pem"))
        .env("TLS_KEY_FILE", dir.path().join("key.pem"))
        .env("LMS_SITES", "east=https://east.example.org")
        .output()
        .await
        .expect("runs");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    for expected in [
        "listen:        https://127.0.0.1:8080 (certificate ",
        "chain of 2",
        "database:      the SQLite database ",
        "does not exist yet, will be created",
        "storage:       local folder ",
        "Moodle sites:  default https://moodle.example.org/ (moodle_mobile_app, token); east https://east.example.org/ (moodle_mobile_app)",
        "LTI platforms: ",
        "no problems",
    ] {
        assert!(stdout.contains(expected), "{expected:?} in\n{stdout}");
    }
    assert!(
        !dir.path().join("data").exists(),
        "config check created files"
    );
    assert!(
        !stdout.contains("0123456789abcdef"),
        "the token is never printed"
    );
}

#[tokio::test]
async fn config_check_lists_every_problem_and_exits_non_zero() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("not-a-cert.pem"), "hello").expect("file");
    std::fs::write(dir.path().join("storage-is-a-file"), "x").expect("file");
    let out = configured(dir.path())
        .args(["config", "check"])
        .env("TLS_CERT_FILE", dir.path().join("not-a-cert.pem"))
        .env("TLS_KEY_FILE", dir.path().join("missing.pem"))
        .env("STORAGE_URL", dir.path().join("storage-is-a-file"))
        .output()
        .await
        .expect("runs");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("2 problems:"), "{stdout}");
    assert!(stdout.contains("  - TLS_CERT_FILE "), "{stdout}");
    assert!(stdout.contains("is not a folder"), "{stdout}");

    // Settings `serve` refuses stop `config check` the same way: exit 2, every variable.
    let out = bridge(dir.path())
        .args(["config", "check"])
        .env("TLS_CERT_FILE", "/x.pem")
        .output()
        .await
        .expect("runs");
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for name in [
        "MOODLE_BASE_URL",
        "MOODLE_TOKEN",
        "SECRET_KEY",
        "TLS_KEY_FILE",
    ] {
        assert!(
            stderr.contains(&format!("  {name}: ")),
            "{name} in {stderr}"
        );
    }
}

#[tokio::test]
async fn a_new_sqlite_file_is_created_and_a_broken_one_is_one_sentence() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("new/bridge.db");
    let out = configured(dir.path())
        .arg("migrate")
        .env("DATABASE_URL", format!("sqlite://{}", file.display()))
        .output()
        .await
        .expect("runs");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(file.exists());
    assert!(stderr.contains("created a new SQLite database"), "{stderr}");

    std::fs::write(dir.path().join("garbage.db"), vec![7u8; 4096]).expect("file");
    let out = configured(dir.path())
        .arg("migrate")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/garbage.db", dir.path().display()),
        )
        .output()
        .await
        .expect("runs");
    let (_, stderr) = text(&out);
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains("cannot open the SQLite database") && stderr.contains("not a database"),
        "{stderr}"
    );
}

#[tokio::test]
async fn backup_copies_the_database_and_the_stored_files_with_a_manifest() {
    let app = spawn_app().await;
    let uploaded = app
        .http
        .post(format!("{}/upload_files?course_id=2", app.url))
        .bearer_auth(&app.token)
        .multipart(
            reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(b"backed up".to_vec())
                    .file_name("a.txt")
                    .mime_str("text/plain")
                    .expect("mime"),
            ),
        )
        .send()
        .await
        .expect("uploads");
    assert_eq!(uploaded.status(), 200, "{:?}", uploaded.text().await);
    let data_dir = Path::new(app.database_url.trim_start_matches("sqlite://"))
        .parent()
        .expect("data dir")
        .to_owned();
    let target = tempfile::tempdir().expect("dir");
    let out = bridge(target.path())
        .args(["backup", "copy"])
        .env("DATA_DIR", &data_dir)
        .output()
        .await
        .expect("runs");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let copy = target.path().join("copy");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(copy.join("manifest.json")).expect("manifest"))
            .expect("json");
    assert_eq!(manifest["database"]["kind"], "sqlite");
    assert_eq!(manifest["storage"]["objects"], 1, "{manifest:#}");
    let key = manifest["storage"]["list"][0]["key"].as_str().expect("key");
    assert_eq!(
        std::fs::read(copy.join("files").join(key)).expect("copied"),
        b"backed up"
    );
    // The copy is a database the bridge opens, with what the running one held.
    let db = bridge::db::Db::connect(&format!("sqlite://{}", copy.join("bridge.db").display()))
        .await
        .expect("the copy opens");
    db.close().await;

    let again = bridge(target.path())
        .args(["backup", "copy"])
        .env("DATA_DIR", &data_dir)
        .output()
        .await
        .expect("runs");
    assert_ne!(
        again.status.code(),
        Some(0),
        "a backup never mixes with an older one"
    );
}
