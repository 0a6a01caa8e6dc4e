//! A stand-in Moodle 4.5 LTI platform on a loopback port, answering with the bodies and
//! statuses of `real-moodle-4.5.6-lti.jsonl` (copied to `tests/fixtures/moodle/`, the
//! recorded host replaced by the stub's): certs.php, token.php, the AGS and NRPS services,
//! openid-configuration.php and openid-registration.php. It counts what it receives.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// The host the recording was made on.
const RECORDED: &str = "http://127.0.0.1:8081";

/// What the stub holds and has seen.
#[derive(Default)]
pub struct Seen {
    pub jwks: Mutex<Value>,
    pub jwks_fetches: AtomicU64,
    pub token_requests: Mutex<Vec<HashMap<String, String>>>,
    pub token_error: Mutex<Option<(u16, String)>>,
    pub valid_tokens: Mutex<HashSet<String>>,
    pub score_posts: Mutex<Vec<Value>>,
    pub stored_scores: Mutex<HashMap<String, i64>>,
    pub created_lineitems: Mutex<Vec<Value>>,
    pub member_requests: Mutex<Vec<String>>,
    pub used_registration_tokens: Mutex<HashSet<String>>,
    pub registrations: Mutex<Vec<Value>>,
}

/// A running stub.
pub struct Stub {
    pub base: String,
    pub seen: Arc<Seen>,
}

#[derive(Clone)]
struct App {
    base: String,
    seen: Arc<Seen>,
}

impl Stub {
    pub async fn start() -> Stub {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("test setup");
        let base = format!("http://{}", listener.local_addr().expect("test setup"));
        let seen = Arc::new(Seen::default());
        let app = App {
            base: base.clone(),
            seen: seen.clone(),
        };
        let router = Router::new()
            .route("/mod/lti/certs.php", get(certs))
            .route("/mod/lti/token.php", post(token))
            .route(
                "/mod/lti/services.php/2/lineitems",
                get(lineitems).post(create_lineitem),
            )
            .route(
                "/mod/lti/services.php/2/lineitems/5/lineitem/scores",
                post(scores),
            )
            .route(
                "/mod/lti/services.php/2/lineitems/5/lineitem/results",
                get(results),
            )
            .route(
                "/mod/lti/services.php/CourseSection/2/bindings/1/memberships",
                get(memberships),
            )
            .route(
                "/mod/lti/openid-configuration.php",
                get(openid_configuration),
            )
            .route(
                "/mod/lti/openid-registration.php",
                post(openid_registration),
            )
            .with_state(app);
        tokio::spawn(async move { axum::serve(listener, router).await.expect("test setup") });
        Stub { base, seen }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn set_jwks(&self, jwks: Value) {
        *self.seen.jwks.lock().expect("lock") = jwks;
    }

    pub fn jwks_fetches(&self) -> u64 {
        self.seen.jwks_fetches.load(Ordering::SeqCst)
    }

    pub fn token_requests(&self) -> Vec<HashMap<String, String>> {
        self.seen.token_requests.lock().expect("lock").clone()
    }

    /// Makes every issued access token invalid (the platform forgot them).
    pub fn revoke_tokens(&self) {
        self.seen.valid_tokens.lock().expect("lock").clear();
    }
}

fn fixture(app: &App, name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/moodle/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path)
        .expect("test setup")
        .replace(RECORDED, &app.base)
}

/// Moodle's services answer 401 without a valid bearer token.
fn authorized(app: &App, headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    value
        .strip_prefix("Bearer ")
        .is_some_and(|t| app.seen.valid_tokens.lock().expect("lock").contains(t))
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        r#"{"status":401,"reason":"Unauthorized","request":{}}"#,
    )
        .into_response()
}

fn typed(status: StatusCode, content_type: &'static str, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn certs(State(app): State<App>) -> Response {
    app.seen.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let jwks = app.seen.jwks.lock().expect("lock").clone();
    typed(
        StatusCode::OK,
        "application/json; charset=utf-8",
        jwks.to_string(),
    )
}

async fn token(State(app): State<App>, body: Bytes) -> Response {
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    app.seen
        .token_requests
        .lock()
        .expect("lock")
        .push(form.clone());
    // Moodle: token.php answers JSON as text/html, errors as 400 {"error": …}.
    if let Some((status, error)) = app.seen.token_error.lock().expect("lock").clone() {
        return typed(
            StatusCode::from_u16(status).expect("test setup"),
            "text/html; charset=utf-8",
            json!({"error": error}).to_string(),
        );
    }
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return typed(
            StatusCode::BAD_REQUEST,
            "text/html; charset=utf-8",
            r#"{"error":"unsupported_grant_type"}"#.to_owned(),
        );
    }
    let n = app.seen.token_requests.lock().expect("lock").len();
    let token = format!("token-{n}");
    app.seen
        .valid_tokens
        .lock()
        .expect("lock")
        .insert(token.clone());
    let answer = json!({"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": form["scope"]});
    typed(
        StatusCode::OK,
        "text/html; charset=utf-8",
        answer.to_string(),
    )
}

async fn lineitems(State(app): State<App>, headers: HeaderMap) -> Response {
    if !authorized(&app, &headers) {
        return unauthorized();
    }
    typed(
        StatusCode::OK,
        "application/vnd.ims.lis.v2.lineitemcontainer+json; charset=utf-8",
        fixture(&app, "lineitems.json"),
    )
}

async fn create_lineitem(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorized(&app, &headers) {
        return unauthorized();
    }
    let mut item: Value = serde_json::from_slice(&body).expect("test setup");
    app.seen
        .created_lineitems
        .lock()
        .expect("lock")
        .push(item.clone());
    item["id"] = json!(format!(
        "{}/mod/lti/services.php/2/lineitems/6/lineitem?type_id=1",
        app.base
    ));
    typed(
        StatusCode::CREATED,
        "application/vnd.ims.lis.v2.lineitem+json; charset=utf-8",
        item.to_string(),
    )
}

/// Moodle's scores.php: 400 `[]` for a missing field or an unknown user, 409 `[]` when the
/// timestamp is not newer (whole seconds), else 200 with an empty body.
async fn scores(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    if !authorized(&app, &headers) {
        return unauthorized();
    }
    assert_eq!(
        q.get("type_id").map(String::as_str),
        Some("1"),
        "the query stays after /scores"
    );
    let ct = "application/vnd.ims.lis.v1.score+json; charset=utf-8";
    let score: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    app.seen
        .score_posts
        .lock()
        .expect("lock")
        .push(score.clone());
    let user = score["userId"].as_str().unwrap_or("");
    let complete = ["timestamp", "activityProgress", "gradingProgress"]
        .iter()
        .all(|k| score.get(*k).is_some());
    if !complete || !["3", "4", "5", "6", "7", "8"].contains(&user) {
        return typed(StatusCode::BAD_REQUEST, ct, "[]".to_owned());
    }
    let at =
        humantime::parse_rfc3339(score["timestamp"].as_str().unwrap_or("")).expect("test setup");
    let secs = at
        .duration_since(std::time::UNIX_EPOCH)
        .expect("test setup")
        .as_secs() as i64;
    let mut stored = app.seen.stored_scores.lock().expect("lock");
    if stored.get(user).is_some_and(|s| *s >= secs) {
        return typed(StatusCode::CONFLICT, ct, "[]".to_owned());
    }
    stored.insert(user.to_owned(), secs);
    typed(StatusCode::OK, ct, String::new())
}

async fn results(State(app): State<App>, headers: HeaderMap) -> Response {
    if !authorized(&app, &headers) {
        return unauthorized();
    }
    let body = format!(
        r#"[{{"id":"{0}/mod/lti/services.php/2/lineitems/5/lineitem/results?type_id=1&user_id=4","userId":"4","resultScore":85,"resultMaximum":100,"comment":"Well done","scoreOf":"{0}/mod/lti/services.php/2/lineitems/5/lineitem?type_id=1","timestamp":"2026-11-22T00:04:46+00:00"}}]"#,
        app.base
    );
    typed(
        StatusCode::OK,
        "application/vnd.ims.lis.v2.resultcontainer+json; charset=utf-8",
        body,
    )
}

/// Moodle's memberships: `limit`/`from` paging with `Link: <…>; rel="next"`, `role` filter.
async fn memberships(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !authorized(&app, &headers) {
        return unauthorized();
    }
    let query: Vec<String> = {
        let mut pairs: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
        pairs.sort();
        pairs
    };
    app.seen
        .member_requests
        .lock()
        .expect("lock")
        .push(query.join("&"));
    let mut all: Value =
        serde_json::from_str(&fixture(&app, "memberships.json")).expect("test setup");
    let mut members: Vec<Value> = all["members"].as_array().expect("test setup").clone();
    if let Some(role) = q.get("role") {
        let short = role.rsplit('#').next().unwrap_or(role);
        members.retain(|m| {
            m["roles"]
                .as_array()
                .expect("test setup")
                .iter()
                .any(|r| r == short)
        });
    }
    let from: usize = q.get("from").and_then(|f| f.parse().ok()).unwrap_or(0);
    let mut link = None;
    if let Some(limit) = q.get("limit").and_then(|l| l.parse::<usize>().ok()) {
        let total = members.len();
        members = members.into_iter().skip(from).take(limit).collect();
        if from + limit < total {
            // As service/memberships.php: limit, from and rlid, but not role.
            let rlid = q
                .get("rlid")
                .map(|r| format!("&rlid={r}"))
                .unwrap_or_default();
            link = Some(format!(
                "<{}/mod/lti/services.php/CourseSection/2/bindings/1/memberships?limit={limit}&from={}{rlid}>; rel=\"next\"",
                app.base,
                from + limit
            ));
        }
    }
    all["members"] = Value::Array(members);
    let mut response = typed(
        StatusCode::OK,
        "application/vnd.ims.lti-nrps.v2.membershipcontainer+json; charset=utf-8",
        all.to_string(),
    );
    if let Some(link) = link {
        response
            .headers_mut()
            .insert(header::LINK, link.parse().expect("test setup"));
    }
    response
}

async fn openid_configuration(State(app): State<App>) -> Response {
    typed(
        StatusCode::OK,
        "application/json; charset=utf-8",
        fixture(&app, "openid-configuration.json"),
    )
}

/// Moodle's openid-registration.php: 401 `missing_registration_token`, 401
/// `token_already_used` (single use), else the registration answer.
async fn openid_registration(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let html = "text/html; charset=utf-8";
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned)
    else {
        return typed(
            StatusCode::UNAUTHORIZED,
            html,
            "missing_registration_token".to_owned(),
        );
    };
    if !app
        .seen
        .used_registration_tokens
        .lock()
        .expect("lock")
        .insert(token)
    {
        return typed(
            StatusCode::UNAUTHORIZED,
            html,
            "token_already_used".to_owned(),
        );
    }
    app.seen
        .registrations
        .lock()
        .expect("lock")
        .push(serde_json::from_slice(&body).expect("test setup"));
    typed(
        StatusCode::OK,
        "application/json; charset=utf-8",
        fixture(&app, "registration-response.json"),
    )
}
