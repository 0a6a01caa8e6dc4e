//! Bad input (issue 7's fault suite): a property test builds random requests — path
//! parameters, query strings, bodies (bytes, JSON, JSON with the wrong types for the route's
//! fields, truncated JSON, forms, multipart streams with odd part names and filenames and
//! broken boundaries), content types, and credentials (none, random strings, JWT-looking
//! strings, tokens signed with the right secret and random claims, valid tokens so the
//! handlers are reached) — and sends each to every route: the OpenAPI document's and those
//! outside it. No answer may be a 5xx (the stand-in is not faulted, so 502/503/504 are
//! failures too), no connection may break, and `/health` answers 200 after every case.
//!
//! One app serves the whole test; `PROPTEST_CASES` sets the number of cases.

mod input;
mod render;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use futures_util::StreamExt;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{Options, TestApp, body_json, read_only_token, spawn_app_with, status_json};
use input::{Case, case};
use render::{authorization, encode_segment, key_name, render_body};

/// Routes outside the OpenAPI document, with the parameter names they read.
const OUTSIDE: &[(&str, &str, &[&str])] = &[
    (
        "GET",
        "/lti/login",
        &[
            "iss",
            "login_hint",
            "target_link_uri",
            "lti_message_hint",
            "client_id",
        ],
    ),
    (
        "POST",
        "/lti/login",
        &[
            "iss",
            "login_hint",
            "target_link_uri",
            "lti_message_hint",
            "client_id",
        ],
    ),
    ("GET", "/login", &["iss", "login_hint", "target_link_uri"]),
    ("POST", "/lti/launch", &["id_token", "state"]),
    ("POST", "/launch", &["id_token", "state"]),
    ("POST", "/lti/deeplink", &["id_token", "state"]),
    (
        "GET",
        "/lti/register",
        &["openid_configuration", "registration_token"],
    ),
    ("GET", "/.well-known/jwks.json", &[]),
    ("GET", "/config.json", &[]),
    ("GET", "/ui/{name}", &[]),
    ("GET", "/openapi.json", &[]),
    ("GET", "/docs", &[]),
];

/// One route as the test sees it.
#[derive(Debug, Clone)]
struct Route {
    method: Method,
    template: String,
    /// Query parameter names, and for the outside routes their form fields.
    params: Vec<String>,
    /// Top-level fields of the JSON body.
    fields: Vec<String>,
    /// The JSON body's schema (`Null` without one) and the document's schemas.
    schema: Value,
    schemas: std::sync::Arc<Value>,
}

/// What a case needs besides the app: the valid credentials of each kind.
struct Credentials {
    read_only: String,
    lms_token: String,
    launch_token: String,
}

/// Sends the case to `route`; `Err` describes a failure.
async fn send(
    app: &TestApp,
    creds: &Credentials,
    route: &Route,
    case: &Case,
) -> Result<u16, String> {
    let mut path = route.template.clone();
    let mut i = 0;
    while let (Some(start), Some(end)) = (path.find('{'), path.find('}')) {
        let value = encode_segment(&case.path_values[i % case.path_values.len()]);
        path.replace_range(start..=end, &value);
        i += 1;
    }
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &case.query {
        query.append_pair(&key_name(k, &route.params), v);
    }
    let mut query = query.finish();
    if let Some(raw) = case.raw_query {
        query = if query.is_empty() {
            raw.to_owned()
        } else {
            format!("{query}&{raw}")
        };
    }
    let url = if query.is_empty() {
        format!("{}{path}", app.url)
    } else {
        format!("{}{path}?{query}", app.url)
    };
    let method = case.method.clone().unwrap_or_else(|| route.method.clone());
    let (body, natural_type) = render_body(&case.body, route);
    let mut request = app
        .http
        .request(method.clone(), &url)
        .timeout(Duration::from_secs(20));
    if let Some(content_type) = case.content_type.clone().or(natural_type) {
        request = request.header("content-type", content_type);
    }
    if let Some(value) = authorization(&case.auth, app, &creds.read_only) {
        request = request.header("authorization", value);
    }
    if let Some(value) = &case.lms_token {
        request = request.header("x-lms-token", value.as_deref().unwrap_or(&creds.lms_token));
    }
    if let Some(value) = &case.launch_token {
        request = request.header(
            "x-launch-token",
            value.as_deref().unwrap_or(&creds.launch_token),
        );
    }
    let what = format!("{method} {url} (route {} {})", route.method, route.template);
    let response = request
        .body(body)
        .send()
        .await
        .map_err(|e| format!("{what}: no answer: {e:?}"))?;
    let status = response.status().as_u16();
    if status >= 500 {
        let text = tokio::time::timeout(Duration::from_secs(2), response.text())
            .await
            .map_or_else(|_| "(body too slow)".to_owned(), |t| t.unwrap_or_default());
        return Err(format!("{what}: {status} {text}"));
    }
    Ok(status)
}

/// The routes of the served document and those outside it.
async fn all_routes(app: &TestApp) -> Vec<Route> {
    let spec = body_json(
        app.http
            .get(format!("{}/openapi.json", app.url))
            .send()
            .await
            .expect("spec"),
    )
    .await;
    let schemas = std::sync::Arc::new(spec["components"]["schemas"].clone());
    let mut routes = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let Some(method) = ["get", "post", "put", "patch", "delete"]
                .contains(&method.as_str())
                .then(|| method.to_uppercase().parse::<Method>().expect("method"))
            else {
                continue;
            };
            let params = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str().map(str::to_owned))
                .collect();
            let mut schema = op["requestBody"]["content"]["application/json"]["schema"].clone();
            if let Some(name) = schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
                schema = schemas[name].clone();
            }
            let fields = schema["properties"]
                .as_object()
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            routes.push(Route {
                method,
                template: path.clone(),
                params,
                fields,
                schema,
                schemas: schemas.clone(),
            });
        }
    }
    assert!(routes.len() > 30, "the document lists the routes");
    for (method, path, params) in OUTSIDE {
        routes.push(Route {
            method: method.parse().expect("method"),
            template: (*path).to_owned(),
            params: params.iter().map(|p| (*p).to_owned()).collect(),
            fields: params.iter().map(|p| (*p).to_owned()).collect(),
            schema: Value::Null,
            schemas: schemas.clone(),
        });
    }
    routes
}

#[test]
fn random_input_on_every_route_gets_no_5xx_and_the_bridge_keeps_answering() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime");
    let _runtime = rt.enter();
    let started = std::time::Instant::now();
    let app = rt.block_on(spawn_app_with(Options {
        lti: Some(false),
        // Small limits, so that the body-limit paths are reached by small random bodies.
        ..Options::default()
            .env("MOODLE_SERVICE", "bridge")
            .env("MAX_BODY_BYTES", "2048")
            .env("MAX_UPLOAD_BYTES", "8192")
    }));
    let routes = rt.block_on(all_routes(&app));
    let (status, login) = rt.block_on(async {
        status_json(
            app.send_json(
                Method::POST,
                "/api/login-lms",
                &serde_json::json!({"email": "admin", "password": "Admin123!x"}),
            )
            .await,
        )
        .await
    });
    assert_eq!(status, 200, "{login}");
    let creds = Credentials {
        read_only: read_only_token(),
        lms_token: login["data"]["token"]
            .as_str()
            .expect("LMS token")
            .to_owned(),
        launch_token: crate::lti::mint("default", 2, true),
    };
    let statuses = Mutex::new(BTreeMap::<u16, u64>::new());
    let mut runner = TestRunner::new(Config {
        failure_persistence: None,
        max_shrink_iters: 200,
        ..Config::default()
    });
    let cases = runner.config().cases;
    let result = runner.run(&case(), |case| {
        rt.block_on(async {
            // Eight at a time: the routes of one case also meet each other in the bridge.
            let answers: Vec<Result<u16, String>> = futures_util::stream::iter(&routes)
                .map(|route| send(&app, &creds, route, &case))
                .buffer_unordered(8)
                .collect()
                .await;
            for answer in answers {
                let status = answer.map_err(TestCaseError::fail)?;
                *statuses.lock().expect("lock").entry(status).or_default() += 1;
            }
            let health = app
                .http
                .get(format!("{}/health", app.url))
                .timeout(Duration::from_secs(10))
                .send()
                .await
                .map_err(|e| TestCaseError::fail(format!("/health: no answer: {e}")))?;
            prop_assert_eq!(health.status().as_u16(), 200, "/health after the case");
            Ok(())
        })
    });
    let statuses = statuses.into_inner().expect("lock");
    println!(
        "fuzz: {cases} cases x {} routes, {} requests in {:.1?}; statuses {statuses:?}",
        routes.len(),
        statuses.values().sum::<u64>(),
        started.elapsed()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    // The handlers were reached, not only the layers.
    assert!(statuses.get(&200).is_some_and(|n| *n > 0), "{statuses:?}");
    drop(app);
}

/// Found by the property above: Moodle's `wsnoinstance` (no manual enrolment on the course,
/// e.g. the front page) was a 500.
#[tokio::test]
async fn enrolling_in_a_course_without_manual_enrolment_is_409() {
    let app = spawn_app_with(Options::default()).await;
    let response = app
        .enrol(&serde_json::json!({"enrolments": [{"roleid": 5, "userid": 3, "courseid": 1}]}))
        .await;
    crate::helpers::expect_error(response, 409, "wsnoinstance").await;
}
