//! The route table's security scan (issue 7's fault suite): every route the OpenAPI document
//! lists refuses a request without valid credentials (missing, malformed, expired, signed
//! with another secret, `alg: none`) with 401, and a read-only token on a write route with
//! 403; the routes without `security` are exactly [`PUBLIC`] and hold no secrets; the
//! routes outside the document (LTI, `/ui/*`, development) refuse what they must. Each
//! checked route prints one line (`--nocapture` shows them as a table).
//!
//! Not here: whether a valid token's handler does the right thing (`routes.rs`, `publish/`,
//! `lti/`), the rate limit (`auth.rs`).

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bridge::auth::{OwnKey, Scopes};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{
    Options, SECRET_KEY, SHARED_SECRET, TestApp, body_json, read_only_token, shared_token,
    spawn_app_with,
};

/// The documented routes without `security`, each with why it needs no credentials. A new
/// route without a bearer layer fails [`every_documented_route_refuses_a_request_without_valid_credentials`]
/// until it is added here with its reason.
const PUBLIC: &[(&str, &str, &str)] = &[
    (
        "get",
        "/health",
        "liveness for load balancers: answers only that the process runs",
    ),
    (
        "get",
        "/ready",
        "readiness for load balancers: names its checks and their state",
    ),
    (
        "get",
        "/metrics",
        "Prometheus scrapes without credentials: counters by route",
    ),
    (
        "post",
        "/api/auth/token-login",
        "the credential is the Moodle token in the body",
    ),
    (
        "get",
        "/api/auth/token-validate",
        "the credential is the Moodle token in X-LMS-Token",
    ),
];

/// The development routes, mounted only with `BRIDGE_DEV`.
const DEV_ROUTES: [&str; 4] = [
    "/test_session",
    "/test_moodle_api",
    "/debug_routes",
    "/launch_test",
];

/// The app with LTI configured (so the LTI and file manager routes are live).
async fn spawn() -> TestApp {
    spawn_app_with(Options {
        lti: Some(false),
        ..Options::default()
    })
    .await
}

/// `(method, path template, operation)` for every operation of the served document.
async fn documented_routes(app: &TestApp) -> Vec<(String, String, Value)> {
    let spec = body_json(
        app.http
            .get(format!("{}/openapi.json", app.url))
            .send()
            .await
            .expect("spec"),
    )
    .await;
    let mut routes = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if let Some(op) = item.get(method) {
                routes.push((method.to_owned(), path.clone(), op.clone()));
            }
        }
    }
    assert!(
        routes.len() > 30,
        "the document lists the routes: {routes:?}"
    );
    routes
}

/// The path with plausible values for its parameters (by their documented type).
fn sample_path(template: &str, op: &Value) -> String {
    let mut path = template.to_owned();
    for param in op["parameters"].as_array().into_iter().flatten() {
        if param["in"] != "path" {
            continue;
        }
        let name = param["name"].as_str().expect("parameter name");
        let value = match param["schema"]["type"].as_str() {
            Some("integer") => "2",
            _ if name.ends_with("_id") => "00000000-0000-4000-8000-000000000002",
            _ => "notes.md",
        };
        path = path.replace(&format!("{{{name}}}"), value);
    }
    assert!(
        !path.contains('{'),
        "{template}: every path parameter is documented"
    );
    path
}

/// The scopes a documented operation's bearer alternative asks for.
fn bearer_scopes(op: &Value) -> Vec<String> {
    op["security"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|alt| alt["bearer"].as_array())
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}

/// A JWT with `alg: none` and no signature.
fn alg_none_token(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.")
}

/// `Authorization` values that must each be refused with 401, with their names.
fn refused_authorizations() -> Vec<(&'static str, Option<String>)> {
    let now = jsonwebtoken::get_current_timestamp();
    let good_claims =
        json!({"sub": "intruder", "scope": "moodle:read moodle:write", "exp": now + 600});
    let other_bridge = OwnKey::derive(&moodle_ws::Secret::new(
        "another-bridges-secret-key-0123456789abcdef",
    ))
    .issue(
        "intruder",
        Scopes::READ_WRITE,
        std::time::Duration::from_secs(600),
    )
    .expect("issue")
    .token
    .expose()
    .to_owned();
    let other_secret = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &good_claims,
        &EncodingKey::from_secret(b"not-the-shared-secret-at-all-000"),
    )
    .expect("sign");
    vec![
        ("none", None),
        ("basic", Some("Basic dXNlcjpwYXNz".to_owned())),
        ("malformed", Some("Bearer not.a.jwt".to_owned())),
        ("empty", Some("Bearer ".to_owned())),
        (
            "expired",
            Some(format!(
                "Bearer {}",
                shared_token(json!({"sub": "u", "exp": now - 600}))
            )),
        ),
        ("other-secret", Some(format!("Bearer {other_secret}"))),
        (
            "never-expires",
            Some(format!(
                "Bearer {}",
                crate::helpers::raw_shared_token(
                    &json!({"sub": "u", "scope": "moodle:read moodle:write"})
                )
            )),
        ),
        (
            "not-yet-valid",
            Some(format!(
                "Bearer {}",
                shared_token(
                    json!({"sub": "u", "scope": "moodle:read moodle:write", "nbf": now + 600})
                )
            )),
        ),
        ("other-bridge", Some(format!("Bearer {other_bridge}"))),
        (
            "alg-none",
            Some(format!("Bearer {}", alg_none_token(&good_claims))),
        ),
    ]
}

/// Sends `method path` with `authorization` and, for writes, an empty JSON object.
async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    launch_token: Option<&str>,
) -> Response {
    let method: Method = method.to_uppercase().parse().expect("method");
    let mut request = app
        .http
        .request(method.clone(), format!("{}{path}", app.url));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    if let Some(value) = launch_token {
        request = request.header("x-launch-token", value);
    }
    if method != Method::GET && method != Method::DELETE {
        request = request
            .header("content-type", "application/json")
            .body("{}");
    }
    request.send().await.expect("request")
}

/// The secrets no public answer may contain.
fn secrets(app: &TestApp) -> Vec<(&'static str, String)> {
    vec![
        (
            "MOODLE_TOKEN",
            app.sim.token("admin_bridge").expect("seeded token"),
        ),
        ("SECRET_KEY", SECRET_KEY.to_owned()),
        ("AUTH_HS256_SECRET", SHARED_SECRET.to_owned()),
        ("API token", app.token.clone()),
    ]
}

fn assert_no_secret(app: &TestApp, what: &str, body: &str) {
    for (name, secret) in secrets(app) {
        assert!(!body.contains(&secret), "{what} leaks {name}");
    }
}

#[tokio::test]
async fn every_documented_route_refuses_a_request_without_valid_credentials() {
    let app = spawn().await;
    let refused = refused_authorizations();
    let read_only = format!("Bearer {}", read_only_token());
    let forged_launch = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &json!({"sub": "teacher", "roles": ["Instructor"], "exp": 9_999_999_999_u64}),
        &EncodingKey::from_secret(b"not-the-bridges-launch-key-00000"),
    )
    .expect("sign");
    let staff_launch = crate::lti::mint("default", 2, true);
    let mut unauthenticated = BTreeSet::new();
    let mut checked = 0;
    for (method, template, op) in documented_routes(&app).await {
        // `security: []` documents "no credentials" as well as a missing key does.
        if op["security"].as_array().is_none_or(Vec::is_empty) {
            unauthenticated.insert((method.clone(), template.clone()));
            continue;
        }
        let path = sample_path(&template, &op);
        for (name, authorization) in &refused {
            let response = send(&app, &method, &path, authorization.as_deref(), None).await;
            let status = response.status().as_u16();
            let challenge = response.headers().get("www-authenticate").cloned();
            assert_eq!(status, 401, "{method} {path} with {name} credentials");
            if template.starts_with("/api/") {
                assert!(
                    challenge.is_some(),
                    "{method} {path} with {name} credentials: 401 names its scheme in WWW-Authenticate"
                );
            }
        }
        let launch = op["security"]
            .as_array()
            .is_some_and(|alts| alts.iter().any(|a| a.get("launch").is_some()));
        if launch {
            for token in ["garbage", forged_launch.as_str()] {
                let response = send(&app, &method, &path, None, Some(token)).await;
                assert_eq!(
                    response.status(),
                    401,
                    "{method} {path} with a forged X-Launch-Token"
                );
            }
        }
        let bearer = op["security"]
            .as_array()
            .is_some_and(|alts| alts.iter().any(|a| a.get("bearer").is_some()));
        let writes = bearer_scopes(&op).iter().any(|s| s == "moodle:write");
        let read_only_status = send(&app, &method, &path, Some(&read_only), None)
            .await
            .status()
            .as_u16();
        let full_bearer = format!("Bearer {}", app.token);
        let full = send(&app, &method, &path, Some(&full_bearer), None).await;
        let full_status = full.status().as_u16();
        let full_challenged = full.headers().get("www-authenticate").is_some();
        if !bearer {
            // Launch-token routes take no API token, however good.
            assert_eq!(
                read_only_status, 401,
                "{method} {path} with a read-only API token"
            );
            assert_eq!(full_status, 401, "{method} {path} with an API token");
            let staff = send(&app, &method, &path, None, Some(&staff_launch)).await;
            let staff_status = staff.status().as_u16();
            assert_ne!(
                staff_status, 401,
                "{method} {path} with a staff launch token is past the layer"
            );
            println!(
                "security: {:<7}{template:<48} {} bad credentials 401, forged launch 401; API tokens 401; launch token {staff_status}",
                method.to_uppercase(),
                refused.len(),
            );
            checked += 1;
            continue;
        }
        // Webhook routes and the event stream take their own scopes, not the gateway's.
        if bearer_scopes(&op)
            .iter()
            .any(|s| s == "webhooks:manage" || s == "events:read")
        {
            assert_eq!(
                read_only_status, 403,
                "{method} {path} with a read-only token"
            );
            assert_eq!(
                full_status, 403,
                "{method} {path} with moodle:read and moodle:write only"
            );
            let own = format!(
                "Bearer {}",
                crate::helpers::bridge_token(
                    Scopes::NONE
                        .with(bridge::auth::Scope::WebhooksManage)
                        .with(bridge::auth::Scope::EventsRead)
                )
            );
            let status = send(&app, &method, &path, Some(&own), None)
                .await
                .status()
                .as_u16();
            assert!(
                !matches!(status, 401 | 403),
                "{method} {path} with its scope is past the bearer layer, got {status}"
            );
            println!(
                "security: {:<7}{template:<48} {} bad credentials 401; gateway scopes 403; its own scope {status}",
                method.to_uppercase(),
                refused.len(),
            );
            checked += 1;
            continue;
        }
        if writes {
            assert_eq!(
                read_only_status, 403,
                "{method} {path} with a read-only token"
            );
        } else {
            assert!(
                !matches!(read_only_status, 401 | 403),
                "{method} {path}: a read-only token may read, got {read_only_status}"
            );
        }
        // With the full token the layer lets the request through (the refusals above are
        // the credentials', not the path's).
        assert!(
            full_status != 403 && !full_challenged,
            "{method} {path} with a valid token is past the bearer layer, got {full_status}"
        );
        println!(
            "security: {:<7}{template:<48} {} bad credentials 401{}; read-only {read_only_status}; valid token {full_status}",
            method.to_uppercase(),
            refused.len(),
            if launch { ", forged launch 401" } else { "" },
        );
        checked += 1;
    }
    let expected: BTreeSet<(String, String)> = PUBLIC
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(
        unauthenticated, expected,
        "the routes without `security` are exactly the allow-list"
    );
    for (method, path, why) in PUBLIC {
        println!(
            "security: {:<7}{path:<48} public: {why}",
            method.to_uppercase()
        );
    }
    println!(
        "security: {checked} documented routes refuse bad credentials, {} public by design",
        PUBLIC.len()
    );
}

#[tokio::test]
async fn the_public_routes_answer_without_leaking_a_secret() {
    let app = spawn().await;
    // Traffic first, so the metrics and readiness have something to say.
    assert_eq!(app.site_info().await.status(), 200);
    for (method, path) in [
        ("get", "/health"),
        ("get", "/ready"),
        ("get", "/metrics"),
        ("get", "/openapi.json"),
        ("get", "/docs"),
        ("get", "/config.json"),
        ("get", "/.well-known/jwks.json"),
    ] {
        let response = send(&app, method, path, None, None).await;
        let status = response.status().as_u16();
        let body = response.text().await.expect("body");
        assert_eq!(status, 200, "{path}: {body}");
        assert_no_secret(&app, path, &body);
        println!("security: GET    {path:<48} public {status}, no secret in the body");
    }
    // The token-login routes' credential is a Moodle token: without one they refuse.
    for (method, path) in [
        ("post", "/api/auth/token-login"),
        ("get", "/api/auth/token-validate"),
    ] {
        let response = send(&app, method, path, None, None).await;
        let status = response.status().as_u16();
        let body = response.text().await.expect("body");
        assert!(
            (400..500).contains(&status),
            "{method} {path} without a Moodle token: {status} {body}"
        );
        assert_no_secret(&app, path, &body);
        println!(
            "security: {:<7}{path:<48} without a Moodle token {status}",
            method.to_uppercase()
        );
    }
}

#[tokio::test]
async fn the_tools_jwks_holds_only_public_key_members() {
    let app = spawn().await;
    let jwks = body_json(send(&app, "get", "/.well-known/jwks.json", None, None).await).await;
    let keys = jwks["keys"].as_array().expect("keys");
    assert!(!keys.is_empty(), "{jwks}");
    for key in keys {
        assert_eq!(key["kty"], "RSA", "{key}");
        assert!(key["n"].is_string() && key["e"].is_string(), "{key}");
        for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
            assert!(
                key.get(private).is_none(),
                "the JWKS publishes {private}: {key}"
            );
        }
    }
    let config = body_json(send(&app, "get", "/config.json", None, None).await).await;
    assert!(
        !config.to_string().contains("PRIVATE KEY"),
        "config.json holds a private key"
    );
    println!(
        "security: GET    {:<48} {} keys, public members only",
        "/.well-known/jwks.json",
        keys.len()
    );
}

/// An HS256 id_token the platform never signed, for the launch routes.
fn forged_id_token() -> String {
    let now = jsonwebtoken::get_current_timestamp();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("1".to_owned());
    jsonwebtoken::encode(
        &header,
        &json!({
            "iss": "http://127.0.0.1:1", "aud": moodle_sim::lti::RECORDED_CLIENT_ID, "sub": "2",
            "exp": now + 600, "iat": now, "nonce": "n",
            "https://purl.imsglobal.org/spec/lti/claim/deployment_id": "1",
            "https://purl.imsglobal.org/spec/lti/claim/roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
        }),
        &EncodingKey::from_secret(b"forged-forged-forged-forged-0000"),
    )
    .expect("sign")
}

#[tokio::test]
async fn launch_routes_refuse_requests_without_a_valid_id_token_and_state() {
    let app = spawn().await;
    let alg_none = alg_none_token(&json!({"sub": "2", "nonce": "n"}));
    let forged = forged_id_token();
    let bodies: [(&str, String); 5] = [
        ("no body", String::new()),
        (
            "garbage id_token",
            "id_token=garbage&state=nostate".to_owned(),
        ),
        ("alg none", format!("id_token={alg_none}&state=nostate")),
        (
            "forged signature",
            format!("id_token={forged}&state=nostate"),
        ),
        ("no state", format!("id_token={forged}")),
    ];
    for path in ["/lti/launch", "/launch", "/lti/deeplink"] {
        let mut statuses = Vec::new();
        for (name, body) in &bodies {
            let response = app
                .http
                .post(format!("{}{path}", app.url))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.clone())
                .send()
                .await
                .expect("request");
            let status = response.status().as_u16();
            let set_cookie = response.headers().contains_key("set-cookie");
            let text = response.text().await.expect("body");
            assert!(
                (400..500).contains(&status),
                "POST {path} with {name}: {status} {text}"
            );
            assert!(!set_cookie, "POST {path} with {name} sets a cookie");
            assert!(
                !text.contains("launch_token") && !text.contains("X-Launch-Token"),
                "POST {path} with {name} hands out a launch token: {text}"
            );
            statuses.push(status);
        }
        println!(
            "security: POST   {path:<48} refused {statuses:?} ({} bad launches)",
            bodies.len()
        );
    }
    for path in ["/lti/login", "/login"] {
        let mut statuses = Vec::new();
        for query in [
            "",
            "?iss=https://unknown.example&login_hint=2&target_link_uri=x",
        ] {
            let response = send(&app, "get", &format!("{path}{query}"), None, None).await;
            let status = response.status().as_u16();
            assert!((400..500).contains(&status), "GET {path}{query}: {status}");
            statuses.push(status);
        }
        println!("security: GET    {path:<48} refused {statuses:?} (no or unknown issuer)");
    }
    let response = send(&app, "get", "/lti/register", None, None).await;
    let status = response.status().as_u16();
    assert!(
        (400..500).contains(&status),
        "GET /lti/register without a configuration: {status}"
    );
    println!(
        "security: GET    {:<48} refused {status} (no openid_configuration)",
        "/lti/register"
    );
}

/// The status of a raw `GET target` (no client-side path normalisation).
async fn raw_get_status(app: &TestApp, target: &str) -> u16 {
    let address = app.url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let request = format!("GET {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let answer = String::from_utf8_lossy(&answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("an HTTP answer to {target}: {answer}"))
}

#[tokio::test]
async fn ui_assets_cannot_escape_their_list() {
    let app = spawn().await;
    assert_eq!(raw_get_status(&app, "/ui/filemanager.js").await, 200);
    for target in [
        "/ui/../Cargo.toml",
        "/ui/../../Cargo.toml",
        "/ui/..%2fCargo.toml",
        "/ui/..%2F..%2FCargo.toml",
        "/ui/%2e%2e%2fCargo.toml",
        "/ui/%2e%2e/Cargo.toml",
        "/ui/..%5cCargo.toml",
        "/ui/....//Cargo.toml",
        "/ui/filemanager.js%00.html",
        "/ui/%2fetc%2fpasswd",
        "/ui/ui.rs",
        "/ui/filemanager.html",
        "/ui/",
    ] {
        let status = raw_get_status(&app, target).await;
        assert_eq!(status, 404, "GET {target}");
        println!("security: GET    {target:<48} 404");
    }
}

#[tokio::test]
async fn development_routes_exist_only_with_bridge_dev() {
    let app = spawn().await;
    for path in DEV_ROUTES {
        let status = send(&app, "get", path, None, None).await.status().as_u16();
        assert_eq!(status, 404, "GET {path} without BRIDGE_DEV");
        println!("security: GET    {path:<48} 404 without BRIDGE_DEV");
    }
    // The same paths with BRIDGE_DEV answer, so the 404s above are the mount's.
    let dev = spawn_app_with(Options {
        lti: Some(false),
        ..Options::default().env("BRIDGE_DEV", "1")
    })
    .await;
    for path in DEV_ROUTES {
        let status = send(&dev, "get", path, None, None).await.status().as_u16();
        assert_ne!(status, 404, "GET {path} with BRIDGE_DEV");
    }
}
