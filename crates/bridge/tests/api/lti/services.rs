//! The platform's services on behalf of a launch, against the stand-in's LTI platform: a
//! teacher's launch reads the course's members (every page), lists and creates line items
//! and publishes scores that land in the stand-in's grade book, with one access token per
//! scope set; learners are refused, a launch without the claims says what was not granted,
//! a token endpoint refusal is a 502 with its reason and without a credential, and a score
//! cannot go to another course's line item.

use reqwest::Method;
use serde_json::{Value, json};

use super::{TEACHER, launch_as, launch_config, lti_app, mint, teacher_token, with_token};
use crate::helpers::{Options, TestApp, postgres_database, spawn_app_with};

/// The stand-in's endpoint that grants access tokens.
const TOKEN_ENDPOINT: &str = "mod/lti/token.php";
/// The activity's own grade item on the stand-in (the launch's `lineitem`).
const ACTIVITY_ITEM: i64 = 5;

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut request = with_token(app, method, path, token);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| json!({ "text": text })),
    )
}

/// Turns the stand-in's grade and member services off for the bridge's tool type.
fn withdraw_services(app: &TestApp) {
    app.sim.with_state(|s| {
        for tool in s.lti.types.values_mut() {
            tool.config.gradesync = 0;
            tool.config.memberships = 0;
        }
    });
}

#[tokio::test]
async fn a_teachers_launch_reads_members_manages_line_items_and_posts_scores() {
    uses_every_service(&lti_app(false).await).await;
}

#[tokio::test]
async fn the_launch_services_are_kept_in_postgresql_too() {
    let Some(url) = postgres_database().await else {
        return;
    };
    let app = spawn_app_with(Options {
        lti: Some(false),
        ..Options::default().env("DATABASE_URL", &url)
    })
    .await;
    uses_every_service(&app).await;
}

async fn uses_every_service(app: &TestApp) {
    let (_, page) = launch_as(app, TEACHER).await;
    let config = launch_config(&page);
    assert_eq!(
        config["services"],
        json!({"members": true, "grades": true, "own_lineitem": true})
    );
    let token = config["token"].as_str().expect("token").to_owned();
    let tokens_before = app.sim.calls(TOKEN_ENDPOINT);

    // Members, two per page: every page is read.
    let pages_before = app.sim.calls("mod/lti/services.php");
    let (status, members) = call(app, Method::GET, "/lti/members?limit=2", &token, None).await;
    assert_eq!(status, 200, "{members}");
    let names: Vec<&str> = members
        .as_array()
        .expect("list")
        .iter()
        .map(|m| m["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "Alice Anderson",
            "Bob Brown",
            "Carol Clark",
            "Dave Davis",
            "Eve Evans",
            "Tina Teacher"
        ],
        "PHYS101's participants, by last name"
    );
    assert!(
        app.sim.calls("mod/lti/services.php") - pages_before >= 3,
        "six members two per page"
    );
    let tina = &members[5];
    assert_eq!(
        (&tina["user_id"], &tina["roles"], &tina["instructor"]),
        (&json!("3"), &json!(["Instructor"]), &json!(true))
    );
    assert_eq!(
        (
            &members[0]["user_id"],
            &members[0]["roles"],
            &members[0]["learner"]
        ),
        (&json!("4"), &json!(["Learner"]), &json!(true))
    );
    let (status, learners) =
        call(app, Method::GET, "/lti/members?role=Learner", &token, None).await;
    assert_eq!(status, 200, "{learners}");
    assert_eq!(learners.as_array().map(Vec::len), Some(5));

    // Line items: the activity's own, then a new one.
    let (status, items) = call(app, Method::GET, "/lti/lineitems", &token, None).await;
    assert_eq!(status, 200, "{items}");
    let own = items
        .as_array()
        .expect("list")
        .iter()
        .find(|i| i["label"] == "Bridge tool activity")
        .unwrap_or_else(|| panic!("the activity's line item: {items}"));
    let own_id = own["id"].as_str().expect("id").to_owned();
    assert!(
        own_id.contains(&format!("/2/lineitems/{ACTIVITY_ITEM}/lineitem")),
        "{own_id}"
    );
    let (status, created) = call(
        app,
        Method::POST,
        "/lti/lineitems",
        &token,
        Some(&json!({"label": "Lab report", "scoreMaximum": 20, "resourceId": "lab-1", "tag": "bridge"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        (
            &created["label"],
            &created["scoreMaximum"],
            &created["resourceId"],
            &created["tag"]
        ),
        (
            &json!("Lab report"),
            &json!(20.0),
            &json!("lab-1"),
            &json!("bridge")
        )
    );
    let lab_id = created["id"].as_str().expect("id").to_owned();
    let (_, tagged) = call(app, Method::GET, "/lti/lineitems?tag=bridge", &token, None).await;
    assert_eq!(tagged.as_array().map(Vec::len), Some(1), "{tagged}");
    assert_eq!(tagged[0]["id"], lab_id.as_str());

    // A score to the launch's own line item, and one to the new line item.
    let (status, posted) = call(
        app,
        Method::POST,
        "/lti/scores",
        &token,
        Some(
            &json!({"userId": "4", "scoreGiven": 85, "scoreMaximum": 100, "comment": "Good work"}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{posted}");
    assert_eq!(posted["lineitem"], own_id.as_str());
    let (status, posted) = call(
        app,
        Method::POST,
        "/lti/scores",
        &token,
        Some(&json!({"userId": "5", "scoreGiven": 15, "scoreMaximum": 20, "lineitem": lab_id})),
    )
    .await;
    assert_eq!(status, 200, "{posted}");
    let (alice, bob) = app.sim.with_state(|s| {
        let lab = s
            .lti
            .grade_items
            .values()
            .find(|i| i.itemname == "Lab report")
            .map(|i| i.id)
            .expect("the new grade item");
        (
            s.lti.grades.get(&(ACTIVITY_ITEM, 4)).cloned(),
            s.lti.grades.get(&(lab, 5)).cloned(),
        )
    });
    let alice = alice.expect("Alice's grade in the activity");
    assert_eq!(alice.finalgrade, Some(85.0));
    assert_eq!(alice.feedback.as_deref(), Some("Good work"));
    assert_eq!(bob.expect("Bob's lab grade").finalgrade, Some(15.0));
    // Who changed which grade is in the audit log.
    let db = bridge::db::Db::connect(&app.database_url)
        .await
        .expect("db");
    let entries = bridge::audit::AuditLog::new(db.clone())
        .since(0, 100)
        .await
        .expect("entries");
    db.close().await;
    let writes: Vec<(&str, &str, &str)> = entries
        .iter()
        .filter(|e| e.route.starts_with("POST /lti/"))
        .map(|e| (e.route.as_str(), e.source.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        writes,
        [
            ("POST /lti/lineitems", "launch", "ok"),
            ("POST /lti/scores", "launch", "ok"),
            ("POST /lti/scores", "launch", "ok")
        ],
        "{entries:?}"
    );

    // One token for the NRPS scope, one for the AGS scopes: reused by every later call.
    assert_eq!(app.sim.calls(TOKEN_ENDPOINT) - tokens_before, 2);
    let (status, _) = call(app, Method::GET, "/lti/members", &token, None).await;
    assert_eq!(status, 200);
    let (status, _) = call(app, Method::GET, "/lti/lineitems", &token, None).await;
    assert_eq!(status, 200);
    assert_eq!(app.sim.calls(TOKEN_ENDPOINT) - tokens_before, 2, "cached");
}

#[tokio::test]
async fn learners_and_callers_without_a_launch_token_are_refused() {
    let app = lti_app(false).await;
    let learner = mint("default", 2, false);
    for (method, path) in [
        (Method::GET, "/lti/members"),
        (Method::GET, "/lti/lineitems"),
        (Method::POST, "/lti/lineitems"),
        (Method::POST, "/lti/scores"),
    ] {
        let body = (method == Method::POST).then(|| json!({}));
        let (status, answer) = call(&app, method.clone(), path, &learner, body.as_ref()).await;
        assert_eq!(
            (status, &answer["code"]),
            (403, &json!("forbidden")),
            "{path}"
        );
        // An API token is not a launch: these routes are about one launch's course.
        let response = app.request(method, path).send().await.expect("request");
        assert_eq!(response.status(), 401, "{path} with an API token");
        assert_eq!(response.headers()["www-authenticate"], "LaunchToken");
    }
    assert_eq!(app.sim.calls(TOKEN_ENDPOINT), 0);
}

#[tokio::test]
async fn a_launch_without_the_service_claims_says_the_platform_did_not_grant_them() {
    let app = lti_app(false).await;
    withdraw_services(&app);
    let (_, page) = launch_as(&app, TEACHER).await;
    let config = launch_config(&page);
    assert_eq!(
        config["services"],
        json!({"members": false, "grades": false, "own_lineitem": false})
    );
    let token = config["token"].as_str().expect("token").to_owned();
    let (status, body) = call(&app, Method::GET, "/lti/members", &token, None).await;
    assert_eq!((status, &body["code"]), (409, &json!("servicenotgranted")));
    let message = body["error"].as_str().expect("error");
    assert!(
        message.contains("did not grant Names and Role Provisioning"),
        "{message}"
    );
    for (method, path, request) in [
        (Method::GET, "/lti/lineitems", None),
        (
            Method::POST,
            "/lti/lineitems",
            Some(json!({"label": "X", "scoreMaximum": 10})),
        ),
        (
            Method::POST,
            "/lti/scores",
            Some(json!({"userId": "4", "scoreGiven": 1, "scoreMaximum": 10})),
        ),
    ] {
        let (status, body) = call(&app, method, path, &token, request.as_ref()).await;
        assert_eq!(
            (status, &body["code"]),
            (409, &json!("servicenotgranted")),
            "{path}"
        );
        let message = body["error"].as_str().expect("error");
        assert!(
            message.contains("did not grant Assignment and Grade Services"),
            "{path}: {message}"
        );
    }
    assert_eq!(
        app.sim.calls(TOKEN_ENDPOINT),
        0,
        "nothing was asked of the platform"
    );
}

#[tokio::test]
async fn a_token_endpoint_refusal_is_a_502_with_its_reason_and_no_credential() {
    let app = lti_app(false).await;
    let token = teacher_token(&app).await;
    let (status, _) = call(&app, Method::GET, "/lti/lineitems", &token, None).await;
    assert_eq!(status, 200, "an AGS token is cached");
    // The platform's administrator turns the services off after the launch.
    withdraw_services(&app);
    let (status, body) = call(&app, Method::GET, "/lti/members", &token, None).await;
    assert_eq!(
        (status, &body["code"]),
        (502, &json!("platformtokenrefused")),
        "{body}"
    );
    let message = body["error"].as_str().expect("error");
    assert!(message.contains("invalid_scope"), "{message}");
    let text = body.to_string();
    assert!(!text.contains("eyJ"), "no client assertion: {text}");
    let issued: Vec<String> = app
        .sim
        .with_state(|s| s.lti.access_tokens.keys().cloned().collect());
    assert!(!issued.is_empty());
    for access_token in issued {
        assert!(!text.contains(&access_token), "no access token: {text}");
    }
}

#[tokio::test]
async fn a_score_goes_only_to_a_line_item_of_the_launch_course() {
    let app = lti_app(false).await;
    let token = teacher_token(&app).await;
    let other_course = format!(
        "{}/mod/lti/services.php/3/lineitems/{ACTIVITY_ITEM}/lineitem?type_id=1",
        app.sim.url()
    );
    for lineitem in [other_course.as_str(), "https://evil.example/lineitem"] {
        let (status, body) = call(
            &app,
            Method::POST,
            "/lti/scores",
            &token,
            Some(
                &json!({"userId": "4", "scoreGiven": 1, "scoreMaximum": 10, "lineitem": lineitem}),
            ),
        )
        .await;
        assert_eq!(
            (status, &body["code"]),
            (403, &json!("foreignlineitem")),
            "{lineitem}"
        );
    }
    let (status, body) = call(
        &app,
        Method::POST,
        "/lti/scores",
        &token,
        Some(&json!({"userId": "4", "scoreGiven": 1})),
    )
    .await;
    assert_eq!((status, &body["field"]), (400, &json!("scoreMaximum")));
    let (status, body) = call(
        &app,
        Method::POST,
        "/lti/scores",
        &token,
        Some(&json!({"userId": "999", "scoreGiven": 1, "scoreMaximum": 10})),
    )
    .await;
    assert_eq!((status, &body["code"]), (422, &json!("scorerejected")));
    assert!(
        app.sim.with_state(|s| s.lti.grades.is_empty()),
        "no grade was written"
    );
}
