//! The `moodle-bridge` binary against a real Moodle 4.5 or 5.x (opt-in: `MOODLE_REAL_URL`, with
//! `MOODLE_REAL_ROOT` holding the site's `tokens.json` and `lti.json`;
//! `../shared/real-moodle/install.sh` builds one, `scripts/real-moodle-suite` installs the
//! plugins and runs this). Without `MOODLE_REAL_URL` every test passes after one skip line.
//!
//! Each test starts `moodle-bridge serve` on `127.0.0.1:8090`, where the real site's LTI tool
//! type expects the tool, so the tests take turns ([`Bridge::start`] holds a lock). What a
//! test makes in Moodle it names uniquely (`REAL<time>`) and deletes where the service can.

mod gateway;
mod launch;
mod publisher;
mod registration;
mod token_login;
mod webhooks;

use std::process::Stdio;
use std::sync::Once;
use std::time::Duration;

use bridge::auth::Scopes;
use reqwest::Method;
use serde_json::Value;
use tokio::process::{Child, Command};
use tokio::sync::{Mutex, MutexGuard};

use crate::helpers::{SECRET_KEY, SHARED_SECRET, bridge_token, http_client, status_json};

/// Where the real site's LTI tool type expects the tool.
pub const TOOL_URL: &str = "http://127.0.0.1:8090";

/// One bridge on port 8090 at a time.
static PORT: Mutex<()> = Mutex::const_new(());

/// The real site: its address, tokens, passwords and LTI tool type.
pub struct Site {
    /// `http://127.0.0.1:8081`, no trailing slash.
    pub url: String,
    tokens: Value,
    /// `lti.json`: the tool type id, client id, deployment id, course and cmid.
    pub lti: Value,
}

/// The real site, or `None` after one skip line when `MOODLE_REAL_URL` is not set.
pub fn site() -> Option<Site> {
    static SKIP: Once = Once::new();
    let Ok(url) = std::env::var("MOODLE_REAL_URL") else {
        SKIP.call_once(|| {
            moodle_sim::testing::skip(
                "real-Moodle suite",
                "set MOODLE_REAL_URL and MOODLE_REAL_ROOT; see scripts/real-moodle-suite",
                moodle_sim::testing::Dependency::OptIn,
            );
        });
        return None;
    };
    let root = std::env::var("MOODLE_REAL_ROOT").expect("MOODLE_REAL_ROOT names the site's folder");
    let read = |name: &str| -> Value {
        let text = std::fs::read_to_string(format!("{root}/{name}")).unwrap_or_else(|e| {
            panic!(
                "{root}/{name}: {e} (lti.json is written by the recipe's lti_seed.php, \
                     which install.sh skips with SKIP_LTI=1)"
            )
        });
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    Some(Site {
        url: url.trim_end_matches('/').to_owned(),
        tokens: read("tokens.json"),
        lti: read("lti.json"),
    })
}

impl Site {
    /// A seeded token by its transcript role name (`admin_bridge`, `student1_mobile`, …).
    pub fn token(&self, role: &str) -> String {
        self.tokens["tokens"][role]
            .as_str()
            .unwrap_or_else(|| panic!("tokens.json has no {role} token"))
            .to_owned()
    }

    /// A seeded user's password.
    pub fn password(&self, user: &str) -> String {
        let key = if user.starts_with("student") {
            "student1..student5"
        } else {
            user
        };
        self.tokens["passwords"][key]
            .as_str()
            .unwrap_or_else(|| panic!("tokens.json has no password for {user}"))
            .to_owned()
    }

    /// A Moodle web-service call, straight to `server.php` (not through the bridge).
    pub async fn ws(&self, token: &str, function: &str, params: &[(&str, String)]) -> Value {
        let mut form = vec![
            ("wstoken", token.to_owned()),
            ("wsfunction", function.to_owned()),
            ("moodlewsrestformat", "json".to_owned()),
        ];
        form.extend(params.iter().cloned());
        let response = http_client()
            .post(format!("{}/webservice/rest/server.php", self.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&form))
            .send()
            .await
            .expect("Moodle answers");
        let text = response.text().await.expect("body");
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{function}: not JSON: {text}"))
    }

    /// `ws` with the administrator's `bridge` token.
    pub async fn admin_ws(&self, function: &str, params: &[(&str, String)]) -> Value {
        self.ws(&self.token("admin_bridge"), function, params).await
    }
}

/// `pairs` as an `application/x-www-form-urlencoded` body.
pub fn form_body<V: AsRef<str>>(pairs: &[(&str, V)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_ref())))
        .finish()
}

/// `base` with `pairs` added to its query.
pub fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(base).expect("an absolute URL");
    url.query_pairs_mut().extend_pairs(pairs);
    url.to_string()
}

/// A unique name part for what a run makes in Moodle.
pub fn run_id() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time");
    format!("{}{}", now.as_secs(), std::process::id() % 1000)
}

/// `moodle-bridge serve` on port 8090 against the real site.
pub struct Bridge {
    /// `http://127.0.0.1:8090`.
    pub url: String,
    /// A bearer token with both gateway scopes.
    pub token: String,
    /// The HTTP client.
    pub http: reqwest::Client,
    child: Child,
    _dir: tempfile::TempDir,
    _port: MutexGuard<'static, ()>,
}

impl Bridge {
    /// Starts the binary with the administrator's `bridge` token and the site's LTI tool
    /// type, plus `extra` variables; waits for `/health`.
    pub async fn start(site: &Site, extra: &[(&str, &str)]) -> Bridge {
        Bridge::start_with(site, extra, true).await
    }

    /// Starts the binary without the `LTI_*` platform: only dynamic registration adds one.
    pub async fn start_unregistered(site: &Site) -> Bridge {
        Bridge::start_with(site, &[], false).await
    }

    /// Runs a `moodle-bridge` command on this bridge's database.
    pub async fn cli(&self, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_moodle-bridge"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .current_dir(self._dir.path())
            .env("DATA_DIR", self._dir.path())
            .env("SECRET_KEY", SECRET_KEY)
            .env("LOG_LEVEL", "warn")
            .args(args)
            .output()
            .await
            .expect("moodle-bridge runs")
    }

    async fn start_with(site: &Site, extra: &[(&str, &str)], lti: bool) -> Bridge {
        let port = PORT.lock().await;
        let dir = tempfile::tempdir().expect("dir");
        let key = ::lti::ToolKey::generate().expect("key");
        let key_pem = key.private_pem().expect("pem").expose().to_owned();
        let client_id = site.lti["clientid"].as_str().expect("clientid");
        let deployment = site.lti["deploymentid"].as_str().unwrap_or("1");
        let issuer = site.lti["platform"]["issuer"].as_str().unwrap_or(&site.url);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_moodle-bridge"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .current_dir(dir.path())
            .kill_on_drop(true)
            .args(["serve", "--bind", "127.0.0.1:8090"])
            .env("MOODLE_BASE_URL", &site.url)
            .env("MOODLE_TOKEN", site.token("admin_bridge"))
            .env("MOODLE_SERVICE", "bridge")
            .env("MOODLE_CACHE_TTL_SECONDS", "0")
            .env("SECRET_KEY", SECRET_KEY)
            .env("AUTH_HS256_SECRET", SHARED_SECRET)
            .env("DATA_DIR", dir.path())
            .env("RATE_LIMIT_PER_MINUTE", "0")
            .env("LOG_LEVEL", "warn")
            .env("LOG_FORMAT", "text")
            .env("PUBLIC_URL", TOOL_URL)
            .env("PRIVATE_KEY_PEM", &key_pem)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if lti {
            cmd.env("LTI_ISSUER", issuer)
                .env("LTI_CLIENT_ID", client_id)
                .env("LTI_DEPLOYMENT_ID", deployment);
        }
        for (name, value) in extra {
            cmd.env(name, value);
        }
        let mut child = cmd.spawn().expect("moodle-bridge starts");
        let http = http_client();
        let url = TOOL_URL.to_owned();
        for _ in 0..200 {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("moodle-bridge exited at start ({status}); is port 8090 free?");
            }
            if http
                .get(format!("{url}/health"))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return Bridge {
                    url,
                    token: bridge_token(Scopes::READ_WRITE),
                    http,
                    child,
                    _dir: dir,
                    _port: port,
                };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("moodle-bridge did not answer /health on 8090 within 20 s");
    }

    /// A request with the bearer token.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.token)
    }

    /// `GET` with the bearer token: status and JSON.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        status_json(
            self.request(Method::GET, path)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// A JSON request with the bearer token and extra headers: status and JSON.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: &Value,
    ) -> (u16, Value) {
        let mut request = self
            .request(method, path)
            .header("content-type", "application/json")
            .body(body.to_string());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        status_json(request.send().await.expect("request")).await
    }

    /// Stops the process (the lock on port 8090 goes with it).
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
