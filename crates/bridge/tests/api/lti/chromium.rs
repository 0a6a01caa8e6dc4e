//! The real-browser test: headless Chromium, driven through chromedriver, logs in to the
//! stand-in as a teacher, opens the course and the tool's activity, where Moodle launches
//! the bridge inside an iframe, with third-party cookies blocked. The stand-in is on
//! `127.0.0.1` and the bridge on `localhost`, two sites, so inside the iframe the bridge's
//! cookies are third-party and the browser refuses them. With platform storage offered the
//! launch completes in the iframe; without (Moodle 4.5's way) the bridge's login step offers
//! a new window, where it completes. Then, in the file manager, a learner's Moodle files
//! are listed, two are copied, one file is uploaded through the file input, downloaded and
//! compared by SHA-256, and deleted after the confirmation dialog; a screenshot of the file
//! manager is saved under `target/chromium/`.
//!
//! Without `chromium` and `chromedriver` (Debian's packages, `scripts/install-test-deps`)
//! the tests print one skip line and pass.

mod webdriver;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use self::webdriver::{Driver, Session};
use super::{TEACHER, sha256_hex};
use crate::helpers::{Options, TestApp, body_json, spawn_app_with};

/// The learner whose Moodle files the test copies (student1 in the fixture).
const LEARNER: &str = "Alice Anderson";
/// PHYS101 and its "Bridge tool activity".
const COURSE: i64 = 2;
const ACTIVITY: i64 = 8;

static SKIP_NOTICE: std::sync::Once = std::sync::Once::new();

#[tokio::test]
async fn chromium_launches_in_the_iframe_with_platform_storage_and_manages_files() {
    if let Some(tools) = tools() {
        run(&tools, Mode::PlatformStorage).await;
    }
}

#[tokio::test]
async fn chromium_continues_in_a_new_window_without_platform_storage_and_manages_files() {
    if let Some(tools) = tools() {
        run(&tools, Mode::NewWindow).await;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The stand-in offers LTI platform storage: the whole launch stays in the iframe.
    PlatformStorage,
    /// Moodle 4.5's login initiation (no platform storage): the bridge's new-window step.
    NewWindow,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::PlatformStorage => "platform-storage",
            Mode::NewWindow => "new-window",
        }
    }
}

/// The browser and its driver.
struct Tools {
    chromium: PathBuf,
    chromedriver: PathBuf,
}

/// Chromium and chromedriver from `PATH`, or `None` after one skip line for all the tests.
fn tools() -> Option<Tools> {
    let find = |names: &[&str]| {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .chain([PathBuf::from("/usr/bin")])
            .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
            .find(|p| p.is_file())
    };
    match (
        find(&["chromium", "chromium-browser"]),
        find(&["chromedriver"]),
    ) {
        (Some(chromium), Some(chromedriver)) => Some(Tools {
            chromium,
            chromedriver,
        }),
        _ => {
            SKIP_NOTICE.call_once(|| {
                moodle_sim::testing::skip(
                    "Chromium tests",
                    "chromium or chromedriver is not installed; scripts/install-test-deps installs them",
                    moodle_sim::testing::Dependency::InstalledByCi,
                );
            });
            None
        }
    }
}

/// A bridge whose public address is `http://localhost:<port>/` (another site than the
/// stand-in's `127.0.0.1`), registered as the stand-in's tool.
async fn app_on_localhost(platform_storage: bool) -> TestApp {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    spawn_app_with(
        Options {
            lti: Some(platform_storage),
            ..Options::default()
        }
        .env("BIND", &format!("127.0.0.1:{port}"))
        .env("PUBLIC_URL", &format!("http://localhost:{port}/")),
    )
    .await
}

/// Headless Chromium with a fresh profile, third-party cookies blocked, downloads to `downloads`.
async fn browser(driver: &Driver, tools: &Tools, profile: &Path, downloads: &Path) -> Session {
    let session = driver
        .session(json!({
            "binary": tools.chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--test-third-party-cookie-phaseout", "--window-size=1280,1000",
                format!("--user-data-dir={}", profile.display()),
            ],
            "prefs": {
                // Block third-party cookies (older and newer names of the setting).
                "profile.block_third_party_cookies": true,
                "profile.cookie_controls_mode": 1,
                "download.default_directory": downloads,
                "download.prompt_for_download": false,
            },
        }))
        .await;
    session
        .cdp(
            "Browser.setDownloadBehavior",
            json!({"behavior": "allow", "downloadPath": downloads}),
        )
        .await;
    session
}

async fn run(tools: &Tools, mode: Mode) {
    let app = app_on_localhost(mode == Mode::PlatformStorage).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let (profile, downloads) = (dir.path().join("profile"), dir.path().join("downloads"));
    std::fs::create_dir_all(&downloads).expect("downloads dir");
    let driver = Driver::start(&tools.chromedriver).await;
    let session = browser(&driver, tools, &profile, &downloads).await;

    launch(&session, &app, mode).await;
    let uploaded = manage_files(&session, &app, mode, dir.path(), &downloads).await;
    assert_eq!(uploaded.len(), 256 * 1024);

    session.quit().await;
    app.stop().await;
}

/// Logs in as the teacher, opens the course and the activity, and follows the launch to a
/// ready file manager (the session is left inside the frame or window that shows it).
async fn launch(session: &Session, app: &TestApp, mode: Mode) {
    let sim = app.sim.url();
    session.goto(&format!("{sim}/login/index.php")).await;
    session
        .send_keys(&session.find("#username").await, TEACHER.0)
        .await;
    session
        .send_keys(&session.find("#password").await, TEACHER.1)
        .await;
    session.click(&session.find("#loginbtn").await).await;
    session
        .wait(
            "the dashboard after logging in",
            "return location.pathname === '/my/'",
        )
        .await;

    session
        .goto(&format!("{sim}/course/view.php?id={COURSE}"))
        .await;
    let activity = session
        .find(&format!("a[href$=\"/mod/lti/view.php?id={ACTIVITY}\"]"))
        .await;
    session.click(&activity).await;
    let frame = session.find("iframe#contentframe").await;
    session.switch_to_frame(Some(&frame)).await;

    // Inside the iframe: the launch runs to the file manager, or stops at the new-window step.
    let reached = session
        .wait(
            "the launch in the iframe to reach the file manager or the new-window step",
            "var nw = document.getElementById('new-window');\
             if (nw && !nw.hidden) return 'new-window';\
             if (document.body && document.body.dataset.ready === 'true') return 'file-manager';\
             var m = document.getElementById('message'); return m ? 'message: ' + m.innerText : null;",
        )
        .await;
    match mode {
        Mode::PlatformStorage => {
            assert_eq!(reached, "file-manager", "with platform storage");
            // No cookie reached the launch (the browser refused it), so the state was
            // bound through the platform's storage and the page checked it there.
            let check = session
                .execute(
                    "return JSON.parse(document.getElementById('launch-config').textContent).storage_check",
                    Vec::new(),
                )
                .await;
            assert_eq!(
                check["target"], "_parent",
                "the launch was bound by platform storage: {check}"
            );
            assert_eq!(
                session
                    .execute("return window.top !== window", Vec::new())
                    .await,
                true
            );
        }
        Mode::NewWindow => {
            assert_eq!(
                reached, "new-window",
                "the bridge's cookie must be refused inside the iframe"
            );
            let before = session.windows().await;
            session.click(&session.find("#open").await).await;
            let started = Instant::now();
            let opened = loop {
                let now = session.windows().await;
                if let Some(new) = now.iter().find(|h| !before.contains(h)) {
                    break new.clone();
                }
                assert!(started.elapsed() < webdriver::WAIT, "no new window opened");
                tokio::time::sleep(Duration::from_millis(100)).await;
            };
            let note = session.text(&session.find("#opened").await).await;
            assert!(note.contains("new window"), "{note}");
            session.switch_to_window(&opened).await;
            session
                .wait(
                    "the file manager in the new window",
                    "return document.body && document.body.dataset.ready === 'true'",
                )
                .await;
            assert_eq!(
                session
                    .execute("return window.top === window", Vec::new())
                    .await,
                true
            );
            let url = session.current_url().await;
            assert!(url.starts_with("http://localhost:"), "{url}");
        }
    }
}

/// Lists the learner's files, copies two, uploads, downloads and deletes one; saves a
/// screenshot. Returns the uploaded bytes.
async fn manage_files(
    session: &Session,
    app: &TestApp,
    mode: Mode,
    work: &Path,
    downloads: &Path,
) -> Vec<u8> {
    // Pick the learner from the list.
    let learner = session
        .wait(
            "the course's learners",
            &format!(
                "var o = Array.prototype.find.call(document.querySelectorAll('#learner option'),\
                 function (o) {{ return o.textContent.indexOf({LEARNER:?}) === 0; }});\
                 return o ? o.value : null;"
            ),
        )
        .await;
    let learner = learner.as_str().expect("a user id").to_owned();
    session
        .click(
            &session
                .find(&format!("#learner option[value=\"{learner}\"]"))
                .await,
        )
        .await;
    let rows = session
        .wait(
            "the learner's Moodle files",
            "var rows = document.querySelectorAll('#moodle-files tbody tr');\
             return rows.length ? Array.prototype.map.call(rows, function (r) {\
               return Array.prototype.map.call(r.cells, function (c) { return c.textContent; }); }) : null;",
        )
        .await;
    let headers = session
        .execute(
            "return Array.prototype.map.call(document.querySelectorAll('#moodle-files thead th'),\
             function (c) { return c.textContent.trim(); })",
            Vec::new(),
        )
        .await;
    assert_eq!(
        headers,
        json!([
            "",
            "Name",
            "Size",
            "Type",
            "Modified",
            "Where in Moodle",
            "Stored"
        ])
    );
    // Every file the bridge lists for her is shown, with its details.
    let listing = moodle_files(app, &learner).await;
    let rows = rows.as_array().expect("rows").clone();
    assert_eq!(rows.len(), listing.len(), "{rows:?} {listing:?}");
    for file in &listing {
        let row = rows
            .iter()
            .find(|r| r[1] == file["name"])
            .unwrap_or_else(|| panic!("{} is listed: {rows:?}", file["name"]));
        assert!(row[2].as_str().is_some_and(|s| s.ends_with('B')), "{row}");
        assert_eq!(row[3], file["type"], "{row}");
        assert!(row[4].as_str().is_some_and(|s| !s.is_empty()), "{row}");
        assert_eq!(row[5], file["location"], "{row}");
        assert_eq!(row[6], "", "not stored yet: {row}");
    }
    let chosen: Vec<&Value> = listing.iter().take(2).collect();
    assert_eq!(
        chosen.len(),
        2,
        "the learner has two files to copy: {listing:?}"
    );

    // Copy two (several selected at once).
    for file in &chosen {
        let name = file["name"].as_str().expect("name");
        session
            .click(
                &session
                    .find(&format!(
                        "#moodle-files input[aria-label=\"Select {name}\"]"
                    ))
                    .await,
            )
            .await;
    }
    session.click(&session.find("#copy").await).await;
    let status = session
        .wait(
            "the copy's outcome",
            "var s = document.getElementById('copy-status').textContent;\
             return /copied|failed/.test(s) ? s : null;",
        )
        .await;
    assert_eq!(status, "2 copied.");
    let stored = stored_files(app).await;
    for file in &chosen {
        let name = file["name"].as_str().expect("name");
        stored_row(session, name).await;
        let copy = stored
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("{name} stored: {stored:?}"));
        let content = moodle_content(app, name, file["size"].as_u64().expect("size"));
        assert_eq!(
            copy["sha256"].as_str(),
            Some(sha256_hex(&content).as_str()),
            "{name} was copied byte for byte"
        );
    }
    session
        .wait(
            "the copied files marked as stored",
            "return Array.prototype.filter.call(document.querySelectorAll('#moodle-files tbody tr'),\
             function (r) { return r.cells[6].textContent === 'yes'; }).length === 2",
        )
        .await;

    // Upload one file through the file input (what the drop zone's "choose files" opens).
    let name = format!("chromium-{}.bin", mode.name());
    let bytes = pseudo_random(256 * 1024, mode as u64 + 7);
    let path = work.join(&name);
    std::fs::write(&path, &bytes).expect("write the upload");
    session
        .send_keys(
            &session.find("#upload-input").await,
            &path.display().to_string(),
        )
        .await;
    let upload = session
        .wait(
            "the upload to finish",
            "var li = document.querySelector('#uploads li');\
             if (!li || !(li.classList.contains('done') || li.classList.contains('failed'))) return null;\
             return {text: li.textContent, progress: li.querySelector('progress').value, done: li.classList.contains('done')};",
        )
        .await;
    assert_eq!(upload["done"], true, "{upload}");
    assert_eq!(upload["progress"], 100, "{upload}");
    stored_row(session, &name).await;
    let stored = stored_files(app).await;
    let file = stored
        .iter()
        .find(|f| f["name"] == name.as_str())
        .unwrap_or_else(|| panic!("{name} stored: {stored:?}"));
    assert_eq!(file["sha256"].as_str(), Some(sha256_hex(&bytes).as_str()));
    let id = file["id"].as_str().expect("id").to_owned();

    save_screenshot(session, mode).await;

    // Download it with the page's link, as a person would, and compare.
    session
        .click(
            &session
                .find(&format!("#stored-files tr[data-id=\"{id}\"] a.download"))
                .await,
        )
        .await;
    let downloaded = wait_for_download(&downloads.join(&name)).await;
    assert_eq!(
        sha256_hex(&downloaded),
        sha256_hex(&bytes),
        "downloaded {name}"
    );

    // Delete it, confirming in the dialog.
    session
        .click(
            &session
                .find(&format!("#stored-files tr[data-id=\"{id}\"] button.delete"))
                .await,
        )
        .await;
    let question = session
        .wait(
            "the confirmation dialog",
            "var d = document.getElementById('confirm'); return d.hidden ? null : d.innerText;",
        )
        .await;
    assert!(
        question.as_str().is_some_and(|q| q.contains(&name)),
        "{question}"
    );
    session.click(&session.find("#confirm-yes").await).await;
    session
        .wait(
            "the deleted file to leave the list",
            &format!("return !document.querySelector('#stored-files tr[data-id=\"{id}\"]')"),
        )
        .await;
    let gone = as_files_admin(app, &format!("/download_file/{id}")).await;
    assert_eq!(gone.status(), 404, "deleted file {id}");
    assert!(
        stored_files(app)
            .await
            .iter()
            .all(|f| f["id"] != id.as_str())
    );
    bytes
}

/// `GET path` with a token that may reach every stored file.
async fn as_files_admin(app: &TestApp, path: &str) -> reqwest::Response {
    let admin = crate::helpers::bridge_token(
        bridge::auth::Scopes::READ_WRITE.with(bridge::auth::Scope::FilesAdmin),
    );
    app.http
        .get(format!("{}{path}", app.url))
        .bearer_auth(admin)
        .send()
        .await
        .expect("request")
}

/// Waits for a stored file's row in the page.
async fn stored_row(session: &Session, name: &str) {
    session
        .wait(
            &format!("{name} in the stored files"),
            &format!(
                "return Array.prototype.some.call(document.querySelectorAll('#stored-files tbody tr'),\
                 function (r) {{ return r.cells[0].textContent === {name:?}; }})"
            ),
        )
        .await;
}

/// Every stored file, through the API with a `files:admin` token (the launch's files are not
/// the test's own bearer token's).
async fn stored_files(app: &TestApp) -> Vec<Value> {
    let response = as_files_admin(app, "/list_uploaded_files").await;
    assert_eq!(response.status(), 200);
    match body_json(response).await {
        Value::Array(all) => all,
        other => panic!("a bare list: {other}"),
    }
}

/// A learner's Moodle files in the course, through the API with the test's bearer token.
async fn moodle_files(app: &TestApp, learner: &str) -> Vec<Value> {
    let response = app
        .get(&format!("/get_user_files/{learner}?course_id={COURSE}"))
        .await;
    assert_eq!(response.status(), 200);
    body_json(response).await["files"]
        .as_array()
        .expect("files")
        .clone()
}

/// The content of a file in the stand-in, by name and size.
fn moodle_content(app: &TestApp, name: &str, size: u64) -> Vec<u8> {
    app.sim.with_state(|s| {
        s.files
            .values()
            .find(|f| {
                !f.is_dir()
                    && f.filename == name
                    && u64::try_from(f.content.len()).ok() == Some(size)
            })
            .map(|f| f.content.to_vec())
            .unwrap_or_else(|| panic!("{name} in the stand-in"))
    })
}

/// Bytes that do not compress, from a seed (xorshift).
fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// The file Chromium downloads to `path`, once complete.
async fn wait_for_download(path: &Path) -> Vec<u8> {
    let started = Instant::now();
    loop {
        let partial = path.with_file_name(format!(
            "{}.crdownload",
            path.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
        ));
        if path.is_file() && !partial.exists() {
            return std::fs::read(path).expect("read the download");
        }
        assert!(
            started.elapsed() < webdriver::WAIT,
            "no download at {}: {:?}",
            path.display(),
            std::fs::read_dir(path.parent().expect("dir"))
                .map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Saves the window as `target/chromium/file-manager-<mode>.png` and prints the path.
async fn save_screenshot(session: &Session, mode: Mode) {
    let png = session.screenshot().await;
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    let dir = target.join("chromium");
    std::fs::create_dir_all(&dir).expect("target/chromium");
    let path = dir.join(format!("file-manager-{}.png", mode.name()));
    std::fs::write(&path, png).expect("save the screenshot");
    let shown = path.canonicalize().unwrap_or(path);
    println!("screenshot ({}): {}", mode.name(), shown.display());
}
