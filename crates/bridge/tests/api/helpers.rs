//! `spawn_app`: a Moodle stand-in and the bridge against it, both in-process on ephemeral
//! ports, with a temporary SQLite file (or a fresh PostgreSQL database); a `TestApp` with
//! one method per route and helpers to make tokens. The stand-in answers as the Moodle that
//! `MOODLE_SIM_MOODLE_VERSION` names (4.5 unless set; `scripts/test` runs the version-sensitive
//! groups again with 5.0): every test starts it through [`sim_config`].

use std::time::Duration;

use bridge::app::App;
use bridge::auth::{OwnKey, Scope, Scopes};
use bridge::config::{Config, Env, Needs};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use moodle_sim::{MoodleVersion, Plugins, Sim, SimConfig};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};

/// The bridge's `SECRET_KEY` in tests.
pub const SECRET_KEY: &str = "test-secret-key-0123456789abcdef-0123456789";
/// The shared secret the seeds' applications sign with, in tests.
pub const SHARED_SECRET: &str = "seed-app-shared-secret-for-tests";

/// Settings a test can change before the app starts.
pub struct Options {
    /// Extra or overriding environment variables.
    pub env: Vec<(String, String)>,
    /// Functions added to the stand-in's `bridge` service (as an administrator would).
    pub extra_functions: Vec<&'static str>,
    /// Point the bridge at this URL instead of the stand-in.
    pub moodle_url: Option<String>,
    /// The stand-in token role the bridge calls Moodle with.
    pub role: &'static str,
    /// The companion plugins the stand-in has.
    pub plugins: Plugins,
    /// Register the stand-in as the bridge's LTI platform and the bridge as its tool; with
    /// `Some(true)` the stand-in offers LTI platform storage.
    pub lti: Option<bool>,
    /// The stand-in's site URL when something (a forwarder) stands in front of it.
    pub sim_public_url: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            env: Vec::new(),
            // Functions of the gateway that the recorded site's `bridge` service lacks.
            extra_functions: vec!["core_course_search_courses"],
            moodle_url: None,
            role: "admin_bridge",
            plugins: Plugins::all(),
            lti: None,
            sim_public_url: None,
        }
    }
}

impl Options {
    /// Sets an environment variable.
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// A running bridge and its stand-in.
pub struct TestApp {
    /// `http://127.0.0.1:port` of the bridge.
    pub url: String,
    /// The stand-in.
    pub sim: Sim,
    /// An HTTP client.
    pub http: reqwest::Client,
    /// A token with both scopes.
    pub token: String,
    /// The bridge's database.
    pub database_url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

/// The Moodle version this run's stand-ins answer as (`MOODLE_SIM_MOODLE_VERSION`).
///
/// # Panics
/// When the variable names a version the stand-in does not have.
pub fn moodle_version() -> MoodleVersion {
    MoodleVersion::from_env().unwrap_or_else(|e| panic!("{}: {e}", moodle_sim::VERSION_ENV))
}

/// The stand-in's settings for this run: the defaults, answering as [`moodle_version`].
pub fn sim_config() -> SimConfig {
    SimConfig {
        moodle_version: moodle_version(),
        ..SimConfig::default()
    }
}

/// Starts a stand-in and the bridge with default options.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

/// Starts a stand-in and the bridge.
pub async fn spawn_app_with(options: Options) -> TestApp {
    let sim = Sim::start(SimConfig {
        plugins: options.plugins,
        lti: moodle_sim::lti::LtiConfig {
            storage_target: options.lti == Some(true),
            ..moodle_sim::lti::LtiConfig::default()
        },
        public_url: options.sim_public_url.clone(),
        ..sim_config()
    })
    .await
    .expect("the stand-in starts");
    add_service_functions(&sim, &options.extra_functions);
    let dir = tempfile::tempdir().expect("temp dir");
    let token = sim.token(options.role).expect("seeded token");
    let data_dir = dir.path().display().to_string();
    let moodle_url = options
        .moodle_url
        .clone()
        .unwrap_or_else(|| sim.url().to_owned());
    let mut env = Env::from_pairs([
        ("MOODLE_BASE_URL", moodle_url.as_str()),
        ("MOODLE_TOKEN", token.as_str()),
        ("SECRET_KEY", SECRET_KEY),
        ("AUTH_HS256_SECRET", SHARED_SECRET),
        ("DATA_DIR", data_dir.as_str()),
        ("BIND", "127.0.0.1:0"),
        ("LOG_LEVEL", "warn"),
        ("RATE_LIMIT_PER_MINUTE", "0"),
    ]);
    if options.lti.is_some() {
        env.set("LTI_ISSUER", sim.url());
        env.set("LTI_CLIENT_ID", moodle_sim::lti::RECORDED_CLIENT_ID);
        env.set("LTI_DEPLOYMENT_ID", "1");
    }
    for (k, v) in &options.env {
        env.set(k, v.as_str());
    }
    let config = Config::from_env(
        &env,
        Needs {
            moodle: true,
            secret_key: true,
        },
    )
    .expect("test config is valid");
    let database_url = config.database_url.clone();
    let app = App::build(&config).await.expect("the bridge starts");
    let url = format!("http://127.0.0.1:{}", app.port());
    if options.lti.is_some() {
        let tool_url = env
            .get("PUBLIC_URL")
            .map_or_else(|| url.clone(), str::to_owned);
        bridge::cli::demo::point_stand_in_at(&sim, &tool_url);
    }
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(async move {
        app.run_until(async move {
            let _ = rx.await;
        })
        .await
        .expect("serves");
    });
    let api_token = bridge_token(Scopes::READ_WRITE);
    TestApp {
        url,
        sim,
        http: http_client(),
        token: api_token,
        database_url,
        shutdown: Some(tx),
        served: Some(served),
        _dir: dir,
    }
}

/// A plain HTTP client for the tests.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(moodle_ws::tls::config(&[], false).expect("tls"))
        .build()
        .expect("client")
}

/// Adds functions to the stand-in's `bridge` service.
pub fn add_service_functions(sim: &Sim, functions: &[&str]) {
    sim.with_state(|s| {
        let service = s
            .services
            .values_mut()
            .find(|svc| svc.shortname == "bridge")
            .expect("the bridge service");
        for f in functions {
            if !service.functions.iter().any(|x| x == f) {
                service.functions.push((*f).to_owned());
            }
        }
    });
}

/// A token made with the bridge's own key.
pub fn bridge_token(scopes: Scopes) -> String {
    OwnKey::derive(&moodle_ws::Secret::new(SECRET_KEY))
        .issue("test-client", scopes, Duration::from_secs(3600))
        .expect("issue")
        .token
        .expose()
        .to_owned()
}

/// A read-only bridge token.
pub fn read_only_token() -> String {
    bridge_token(Scopes::NONE.with(Scope::Read))
}

/// A token shaped like the seeds' (HS256 with the shared secret, given claims), valid for an
/// hour unless the claims give `exp`.
pub fn shared_token(mut claims: Value) -> String {
    if claims.get("exp").is_none() {
        claims["exp"] = json!(jsonwebtoken::get_current_timestamp() + 3600);
    }
    raw_shared_token(&claims)
}

/// A token signed with the shared secret carrying exactly `claims`.
pub fn raw_shared_token(claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(SHARED_SECRET.as_bytes()),
    )
    .expect("sign")
}

impl TestApp {
    /// A request to `path` with the test token.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.token)
    }

    /// GET with the test token.
    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path)
            .send()
            .await
            .expect("request")
    }

    /// A JSON request with the test token.
    pub async fn send_json(&self, method: Method, path: &str, body: &Value) -> Response {
        self.request(method, path)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("request")
    }

    /// `GET /api/moodle/siteinfo`.
    pub async fn site_info(&self) -> Response {
        self.get("/api/moodle/siteinfo").await
    }

    /// `GET /api/moodle/courses{query}`.
    pub async fn courses(&self, query: &str) -> Response {
        self.get(&format!("/api/moodle/courses{query}")).await
    }

    /// `POST /api/moodle/courses`.
    pub async fn create_course(&self, body: &Value) -> Response {
        self.send_json(Method::POST, "/api/moodle/courses", body)
            .await
    }

    /// `PATCH /api/moodle/courses/{id}`.
    pub async fn update_course(&self, id: &str, body: &Value) -> Response {
        self.send_json(Method::PATCH, &format!("/api/moodle/courses/{id}"), body)
            .await
    }

    /// `GET /api/moodle/users/by-field{query}`.
    pub async fn users_by_field(&self, query: &str) -> Response {
        self.get(&format!("/api/moodle/users/by-field{query}"))
            .await
    }

    /// `POST /api/moodle/enrol`.
    pub async fn enrol(&self, body: &Value) -> Response {
        self.send_json(Method::POST, "/api/moodle/enrol", body)
            .await
    }

    /// `GET /api/moodle/notifications{query}`.
    pub async fn notifications(&self, query: &str) -> Response {
        self.get(&format!("/api/moodle/notifications{query}")).await
    }

    /// `GET /api/moodle/notifications/unread-count{query}`.
    pub async fn unread_count(&self, query: &str) -> Response {
        self.get(&format!("/api/moodle/notifications/unread-count{query}"))
            .await
    }

    /// `POST /api/moodle/files/upload` with these form parts.
    pub async fn upload(&self, form: reqwest::multipart::Form) -> Response {
        self.request(Method::POST, "/api/moodle/files/upload")
            .multipart(form)
            .send()
            .await
            .expect("request")
    }

    /// `POST /api/moodle/files/attach`.
    pub async fn attach(&self, body: &Value) -> Response {
        self.send_json(Method::POST, "/api/moodle/files/attach", body)
            .await
    }

    /// Stops the bridge (requests in flight finish) and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(served) = self.served.take() {
            let _ = served.await;
        }
    }
}

/// The JSON body of a response.
pub async fn body_json(response: Response) -> Value {
    serde_json::from_str(&response.text().await.expect("body")).expect("json body")
}

/// A fresh PostgreSQL database when `BRIDGE_TEST_POSTGRES_URL` names a server (the test
/// script starts one), else `None` after one skip line.
pub async fn postgres_database() -> Option<String> {
    let Ok(server) = std::env::var("BRIDGE_TEST_POSTGRES_URL") else {
        moodle_sim::testing::skip(
            "PostgreSQL tests",
            "BRIDGE_TEST_POSTGRES_URL is not set; scripts/test sets it",
            moodle_sim::testing::Dependency::InstalledByCi,
        );
        return None;
    };
    let name = format!("bridge_test_{}", uuid::Uuid::new_v4().simple());
    let admin = bridge::db::Db::connect(&server)
        .await
        .expect("the PostgreSQL test server answers");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(admin.pool())
        .await
        .expect("create a test database");
    admin.close().await;
    let mut url = url::Url::parse(&server).expect("postgres URL");
    url.set_path(&format!("/{name}"));
    Some(url.to_string())
}

/// Status and JSON body of a response.
pub async fn status_json(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let json = serde_json::from_str(&text).unwrap_or_else(|_| json!({ "not_json": text }));
    (status, json)
}

/// Asserts an error envelope with `status` and `code`; returns the body.
pub async fn expect_error(response: Response, status: u16, code: &str) -> Value {
    let (got, body) = status_json(response).await;
    assert_eq!(
        (got, body["error"]["code"].as_str()),
        (status, Some(code)),
        "{body}"
    );
    assert_eq!(body["ok"], json!(false), "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
    body
}

/// Asserts a success envelope; returns `data`.
pub async fn expect_ok(response: Response) -> Value {
    let (status, body) = status_json(response).await;
    assert_eq!((status, &body["ok"]), (200, &json!(true)), "{body}");
    body["data"].clone()
}
