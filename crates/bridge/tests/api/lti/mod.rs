//! The LTI tool and the file manager (`docs/contracts/file-manager.md`) against the stand-in's
//! LTI platform: full
//! launches over HTTP (login form → course page → launch.php → /lti/login → auth.php →
//! /lti/launch), roles and cross-course refusals, the file API, dynamic registration, deep
//! linking, keys, the LTI tables on both databases, S3 storage and a real browser.

mod access;
pub mod browser;
mod chromium;
mod cli;
mod database;
mod files;
mod launch;
mod platform;
mod registration;
mod s3;
mod services;

use serde_json::Value;

use self::browser::{Browser, Page};
use crate::helpers::{Options, TestApp, spawn_app_with};

/// Teacher1's password on the stand-in.
pub const TEACHER: (&str, &str) = ("teacher1", "Teacher123!x");
/// Student1's password on the stand-in.
pub const STUDENT: (&str, &str) = ("student1", "Student123!x");
/// The administrator's password on the stand-in.
pub const ADMIN: (&str, &str) = ("admin", "Admin123!x");

/// A bridge registered as the stand-in's LTI tool (platform storage offered when asked).
pub async fn lti_app(platform_storage: bool) -> TestApp {
    spawn_app_with(Options {
        lti: Some(platform_storage),
        ..Options::default()
    })
    .await
}

/// The stand-in's login form, filled in.
pub async fn log_in(browser: &Browser, sim: &str, who: (&str, &str)) -> Page {
    let form_page = browser.get(&format!("{sim}/login/index.php")).await;
    let mut form = form_page.form("login").expect("the login form");
    for (name, value) in &mut form.fields {
        match name.as_str() {
            "username" => *value = who.0.to_owned(),
            "password" => *value = who.1.to_owned(),
            _ => {}
        }
    }
    if form.field("username").is_none() {
        form.fields.push(("username".to_owned(), who.0.to_owned()));
        form.fields.push(("password".to_owned(), who.1.to_owned()));
    }
    browser.submit(&form_page, &form).await
}

/// From the activity page to the bridge's login step: the iframe's `launch.php`, whose form
/// posts the login initiation to the bridge.
pub async fn begin_launch(browser: &Browser, sim: &str, cmid: i64) -> Page {
    let activity = browser
        .get(&format!("{sim}/mod/lti/view.php?id={cmid}"))
        .await;
    assert_eq!(activity.status, 200, "{}", activity.body);
    let src = activity
        .iframe_src("contentframe")
        .expect("the tool's iframe");
    let initiation = browser
        .get(
            url::Url::parse(sim)
                .expect("url")
                .join(&src)
                .expect("src")
                .as_str(),
        )
        .await;
    let form = initiation
        .form("ltiInitiateLoginForm")
        .expect("the login initiation form");
    browser.submit(&initiation, &form).await
}

/// From the bridge's login step to its launch answer: auth.php, whose form posts the
/// id_token to the bridge.
pub async fn finish_launch(browser: &Browser, login_step: &Page) -> Page {
    assert_eq!(login_step.status, 200, "{}", login_step.body);
    let config = login_step
        .json_block("login-config")
        .expect("the login step's configuration");
    let auth_url = config["auth_url"].as_str().expect("auth_url");
    let auth = browser.get(auth_url).await;
    let form = auth.form("ltiAuthForm").expect("auth.php's answer form");
    browser.submit(&auth, &form).await
}

/// A whole launch of the activity by `who`; the bridge's answer.
pub async fn launch_as(app: &TestApp, who: (&str, &str)) -> (Browser, Page) {
    let browser = Browser::new();
    log_in(&browser, app.sim.url(), who).await;
    let step = begin_launch(&browser, app.sim.url(), 8).await;
    let page = finish_launch(&browser, &step).await;
    (browser, page)
}

/// The file manager's configuration on a launch answer (token included).
pub fn launch_config(page: &Page) -> Value {
    page.json_block("launch-config")
        .unwrap_or_else(|| panic!("a file manager page: {} {}", page.status, page.body))
}

/// A teacher's launch token.
pub async fn teacher_token(app: &TestApp) -> String {
    let (_, page) = launch_as(app, TEACHER).await;
    launch_config(&page)["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

/// A launch token made with the bridge's key, as a launch from `platform`'s `course` by
/// user 3 with these roles would get.
pub fn mint(platform: &str, course: i64, staff: bool) -> String {
    let tokens = bridge::lti_tool::LaunchTokens::derive(
        &moodle_ws::Secret::new(crate::helpers::SECRET_KEY),
        std::time::Duration::from_secs(600),
    );
    let claims = bridge::lti_tool::LaunchClaims {
        sub: "3".to_owned(),
        reg: platform.to_owned(),
        dep: "1".to_owned(),
        ctx: course.to_string(),
        course: Some(course),
        rlid: None,
        roles: bridge::lti_tool::RoleFlags {
            administrator: false,
            instructor: staff,
            learner: !staff,
        },
        name: None,
        origin: "http://127.0.0.1".to_owned(),
        iat: 0,
        exp: 0,
        jti: String::new(),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs();
    tokens
        .issue(claims, i64::try_from(now).expect("fits"))
        .expect("issue")
        .0
}

/// The folder of the app's local storage.
pub fn storage_dir(app: &TestApp) -> std::path::PathBuf {
    let db = app
        .database_url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .expect("path")
        .to_owned();
    std::path::Path::new(&db)
        .parent()
        .expect("dir")
        .join("files")
}

/// Every stored object under a folder.
pub fn stored_objects(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(stored_objects(&path));
        } else {
            found.push(path);
        }
    }
    found
}

/// A multipart form with these files (name, bytes).
pub fn files_form(files: &[(&str, Vec<u8>)]) -> reqwest::multipart::Form {
    files
        .iter()
        .fold(reqwest::multipart::Form::new(), |form, (name, bytes)| {
            form.part(
                "files",
                reqwest::multipart::Part::bytes(bytes.clone()).file_name((*name).to_owned()),
            )
        })
}

/// SHA-256, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A request with a launch token.
pub fn with_token(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
) -> reqwest::RequestBuilder {
    app.http
        .request(method, format!("{}{path}", app.url))
        .header("x-launch-token", token)
}
