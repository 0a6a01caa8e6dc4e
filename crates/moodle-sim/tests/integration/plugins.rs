//! The project's Moodle plugins on the stand-in: `local_logintoken` (`logintoken.rs`) and
//! `local_bridge` (`bridge.rs`; quizzes and a learner's attempt in `quiz.rs`, many activities
//! in one call in `batch.rs`, the event outbox and `local_bridge_get_events` in `events.rs` and
//! `events_access.rs`), answering as the PHP plugins do on a real Moodle
//! (`scripts/real-moodle-plugins` compares the two), and switched off with
//! `SimConfig::plugins`.

mod batch;
mod bridge;
mod events;
mod events_access;
mod learners;
mod logintoken;
mod logintoken_rules;
mod quiz;

use std::collections::HashMap;

use moodle_sim::{Plugins, Sim, SimConfig};
use serde_json::{Value, json};

use crate::support::{Site, errorcode};

/// The fixtures `scripts/real-moodle-plugins` makes: tokens by role (the seeded ones and the
/// Login Token service's, including `student2_expired`, `student3_iprestricted`,
/// `suspended_logintoken`).
struct Fixture {
    tokens: HashMap<String, String>,
    /// The whole answer (`teacher1_private_fileid`, `missing_record`, …).
    body: Value,
}

impl Fixture {
    fn token(&self, role: &str) -> &str {
        self.tokens
            .get(role)
            .map(String::as_str)
            .expect("fixture token")
    }
}

/// `POST /__sim/plugins/setup`.
async fn setup(site: &Site) -> Fixture {
    let body: Value = site
        .http
        .post(format!("{}/__sim/plugins/setup", site.sim.url()))
        .send()
        .await
        .expect("setup")
        .json()
        .await
        .expect("setup JSON");
    let tokens = body["tokens"]
        .as_object()
        .expect("tokens")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    Fixture { tokens, body }
}

/// `POST /__sim/plugins/config`: a `local_logintoken` setting, or `plugin/name`.
async fn set_config(site: &Site, name: &str, value: &str) {
    let status = site
        .http
        .post(format!("{}/__sim/plugins/config", site.sim.url()))
        .json(&json!({"name": name, "value": value}))
        .send()
        .await
        .expect("config")
        .status();
    assert_eq!(status, 200);
}

/// A file uploaded to the token user's draft area; its draft item id.
async fn upload(site: &Site, token: &str, name: &str, content: &[u8]) -> String {
    let part = reqwest::multipart::Part::bytes(content.to_vec()).file_name(name.to_owned());
    let form = reqwest::multipart::Form::new()
        .text("token", token.to_owned())
        .part("file_1", part);
    let uploaded: Value = site
        .http
        .post(format!("{}/webservice/upload.php", site.sim.url()))
        .multipart(form)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("upload JSON");
    uploaded[0]["itemid"].to_string()
}

/// The names of a site's functions as `core_webservice_get_site_info` lists them for a token.
async fn site_functions(site: &Site, token: &str) -> Vec<String> {
    let info = site.call(token, "core_webservice_get_site_info", &[]).await;
    info["functions"]
        .as_array()
        .expect("functions")
        .iter()
        .filter_map(|f| f["name"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn installed_plugins_are_in_the_bridge_service_and_site_info_lists_them() {
    let site = Site::start().await;
    let functions = site_functions(&site, &site.token("admin_bridge")).await;
    for f in [
        "local_logintoken_login_with_token",
        "local_logintoken_validate_token",
        "local_bridge_create_page",
        "local_bridge_create_resource",
        "local_bridge_create_url",
        "local_bridge_create_forum",
        "local_bridge_update_module",
        "local_bridge_find_modules_by_idnumber",
        "local_bridge_list_user_files",
        "local_bridge_create_quiz",
        "local_bridge_update_quiz",
        "local_bridge_create_modules",
        "local_bridge_get_events",
    ] {
        assert!(functions.iter().any(|n| n == f), "{f} missing");
    }
    assert_eq!(functions.len(), 36 + 13);
}

#[tokio::test]
async fn plugins_not_installed_are_unknown_functions_and_missing_scripts() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = Sim::start(SimConfig {
        plugins: Plugins::none(),
        ..SimConfig::default()
    })
    .await
    .expect("sim starts");
    let site = Site {
        sim,
        http: reqwest::Client::new(),
    };
    let admin = site.token("admin_bridge");
    let created = site
        .call(
            &admin,
            "local_bridge_create_page",
            &[("courseid", "2"), ("name", "x"), ("content", "x")],
        )
        .await;
    assert_eq!(errorcode(&created), Some("invalidrecord"));
    assert_eq!(
        created["message"],
        "Can't find data record in database table external_functions."
    );
    let validated = site
        .call(&admin, "local_logintoken_validate_token", &[])
        .await;
    assert_eq!(errorcode(&validated), Some("invalidrecord"));
    for path in [
        "/local/logintoken/auth/logintoken.php?wstoken=x",
        "/local/bridge/download.php?token=x&courseid=2&fileid=1",
    ] {
        let status = site
            .http
            .get(format!("{}{path}", site.sim.url()))
            .send()
            .await
            .expect("request")
            .status();
        assert_eq!(status, 404, "{path}");
    }
    let functions = site_functions(&site, &admin).await;
    assert_eq!(functions.len(), 36, "the recorded bridge service");
    assert!(!functions.iter().any(|f| f.starts_with("local_")));
}

#[tokio::test]
async fn one_plugin_can_be_installed_without_the_other() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = Sim::start(SimConfig {
        plugins: Plugins {
            logintoken: true,
            bridge: false,
        },
        ..SimConfig::default()
    })
    .await
    .expect("sim starts");
    let site = Site {
        sim,
        http: reqwest::Client::new(),
    };
    let admin = site.token("admin_bridge");
    let validated = site
        .call(&admin, "local_logintoken_validate_token", &[])
        .await;
    assert_eq!(validated["valid"], true);
    let listed = site
        .call(
            &admin,
            "local_bridge_list_user_files",
            &[("courseid", "2"), ("userid", "4")],
        )
        .await;
    assert_eq!(errorcode(&listed), Some("invalidrecord"));
}
