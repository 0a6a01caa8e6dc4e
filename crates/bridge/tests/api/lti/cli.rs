//! `moodle-bridge lti add|list|remove` and `moodle-bridge keys rotate`, run as the binary
//! against the database of a running bridge: a platform added from the command line can
//! launch (its Moodle token sealed), a removed one cannot; a rotated key is published beside
//! the old one for the overlap, and the old one goes when the overlap is over.

use std::process::Output;

use sqlx::Row as _;
use tokio::process::Command;

use super::browser::Browser;
use super::{TEACHER, begin_launch, launch_as, launch_config, log_in, with_token};
use crate::helpers::{Options, SECRET_KEY, TestApp, body_json, spawn_app, spawn_app_with};

/// The binary with an empty environment but for the database and the key.
pub(super) async fn run(database_url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().expect("dir");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_moodle-bridge"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATA_DIR", dir.path())
        .env("DATABASE_URL", database_url)
        .env("SECRET_KEY", SECRET_KEY)
        .env("LOG_LEVEL", "warn")
        .current_dir(dir.path())
        .args(args)
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().await.expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The key ids `/.well-known/jwks.json` publishes, current first.
async fn published_kids(app: &TestApp) -> Vec<String> {
    let jwks = body_json(
        app.http
            .get(format!("{}/.well-known/jwks.json", app.url))
            .send()
            .await
            .expect("request"),
    )
    .await;
    jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_owned())
        .collect()
}

/// The status of the bridge's login step of a teacher's launch.
async fn login_status(app: &TestApp) -> u16 {
    let browser = Browser::new();
    log_in(&browser, app.sim.url(), TEACHER).await;
    let step = begin_launch(&browser, app.sim.url(), 8).await;
    assert!(step.url.contains("/lti/login"), "{}", step.url);
    step.status.as_u16()
}

#[tokio::test]
async fn a_platform_added_from_the_command_line_launches_and_a_removed_one_does_not() {
    // A bridge without LTI_* variables, registered as the stand-in's tool.
    let app = spawn_app().await;
    bridge::cli::demo::point_stand_in_at(&app.sim, &app.url);
    assert_eq!(login_status(&app).await, 400, "no platform yet");

    let moodle_token = app.sim.token("admin_bridge").expect("token");
    let added = run(
        &app.database_url,
        &[
            "lti",
            "add",
            "--issuer",
            app.sim.url(),
            "--client-id",
            moodle_sim::lti::RECORDED_CLIENT_ID,
            "--deployment",
            "1",
            "--id",
            "physics-moodle",
        ],
        &[("LTI_MOODLE_TOKEN", &moodle_token)],
    )
    .await;
    assert_eq!(added.status.code(), Some(0), "{}", stderr(&added));
    assert!(stdout(&added).starts_with("registered physics-moodle"));

    let listed = run(&app.database_url, &["lti", "list", "--json"], &[]).await;
    assert_eq!(listed.status.code(), Some(0), "{}", stderr(&listed));
    let text = stdout(&listed);
    assert!(!text.contains(&moodle_token), "the token is never printed");
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(rows.len(), 1, "{text}");
    assert_eq!(rows[0]["id"], "physics-moodle");
    assert_eq!(rows[0]["deployments"], serde_json::json!(["1"]));
    assert_eq!(
        rows[0]["auth_login_url"],
        format!("{}/mod/lti/auth.php", app.sim.url())
    );
    assert_eq!(rows[0]["moodle_token"], true);
    assert_eq!(rows[0]["created_by"], "cli");

    let db = bridge::db::Db::connect(&app.database_url)
        .await
        .expect("db");
    let sealed: String =
        sqlx::query("SELECT moodle_token FROM lti_registrations WHERE id = 'physics-moodle'")
            .fetch_one(db.pool())
            .await
            .expect("row")
            .try_get("moodle_token")
            .expect("column");
    assert!(!sealed.contains(&moodle_token), "stored encrypted");
    db.close().await;

    let (_, page) = launch_as(&app, TEACHER).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let token = launch_config(&page)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let learners = with_token(&app, reqwest::Method::GET, "/get_learners", &token)
        .send()
        .await
        .expect("request");
    assert_eq!(learners.status(), 200, "read with the sealed token");
    assert_eq!(body_json(learners).await.as_array().map(Vec::len), Some(5));

    let removed = run(&app.database_url, &["lti", "remove", "physics-moodle"], &[]).await;
    assert_eq!(removed.status.code(), Some(0), "{}", stderr(&removed));
    let again = run(&app.database_url, &["lti", "remove", "physics-moodle"], &[]).await;
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("no registration \"physics-moodle\""));
    assert_eq!(login_status(&app).await, 400, "removed");
}

#[tokio::test]
async fn bad_lti_add_arguments_are_refused_naming_the_flag() {
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}/bridge.db?mode=rwc", dir.path().display());
    let out = run(
        &db,
        &[
            "lti",
            "add",
            "--issuer",
            "moodle.example.org",
            "--client-id",
            "x",
            "--deployment",
            "1",
        ],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("--issuer must be an http(s) URL"),
        "{}",
        stderr(&out)
    );
    let listed = run(&db, &["lti", "list"], &[]).await;
    assert_eq!(stdout(&listed).lines().count(), 1, "only the header");
}

#[tokio::test]
async fn a_rotated_key_is_published_beside_the_old_one_for_the_overlap_then_dropped() {
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}/bridge.db?mode=rwc", dir.path().display());
    let first = spawn_app_with(Options::default().env("DATABASE_URL", &db)).await;
    let kids = published_kids(&first).await;
    assert_eq!(kids.len(), 1, "{kids:?}");
    let k1 = kids[0].clone();
    first.stop().await;

    // Kept, sealed, and never regenerated at start.
    let again = spawn_app_with(Options::default().env("DATABASE_URL", &db)).await;
    assert_eq!(published_kids(&again).await, std::slice::from_ref(&k1));
    again.stop().await;
    let pool = bridge::db::Db::connect(&db).await.expect("db");
    for row in sqlx::query("SELECT private_pem FROM lti_tool_keys")
        .fetch_all(pool.pool())
        .await
        .expect("rows")
    {
        let stored: String = row.try_get("private_pem").expect("column");
        assert!(!stored.contains("PRIVATE KEY"), "sealed");
    }
    pool.close().await;

    let out = run(&db, &["keys", "rotate", "--overlap", "1h"], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let k2 = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("new key: "))
        .expect("the new key id")
        .to_owned();
    assert!(text.contains(&format!("previous key {k1} stays published for 1h")));
    let second = spawn_app_with(Options::default().env("DATABASE_URL", &db)).await;
    assert_eq!(published_kids(&second).await, [k2.clone(), k1.clone()]);
    second.stop().await;

    let out = run(&db, &["keys", "rotate", "--overlap", "0s"], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let k3 = stdout(&out)
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("new key: "))
        .expect("the new key id")
        .to_owned();
    let third = spawn_app_with(Options::default().env("DATABASE_URL", &db)).await;
    assert_eq!(
        published_kids(&third).await,
        [k3, k1],
        "k2's overlap is over, k1's is not"
    );
}

#[tokio::test]
async fn keys_rotate_refuses_while_the_key_comes_from_the_environment() {
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}/bridge.db?mode=rwc", dir.path().display());
    let key = lti::ToolKey::generate().expect("key");
    let pem = key.private_pem().expect("pem");
    let out = run(
        &db,
        &["keys", "rotate"],
        &[("PRIVATE_KEY_PEM", pem.expose())],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("PRIVATE_KEY_PEM"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("BEGIN"), "the key is never printed");
}
