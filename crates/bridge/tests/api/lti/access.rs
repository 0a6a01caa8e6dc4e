//! Who may see what: a launch token serves only its own course and the learners enrolled
//! there, stored files are seen only from the context they were stored from, learners' and
//! forged tokens are refused, private files need the companion plugin, and the development
//! routes exist only in development mode.

use moodle_sim::Plugins;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{files_form, lti_app, mint, teacher_token, with_token};
use crate::helpers::{Options, TestApp, body_json, spawn_app_with};

async fn answer(app: &TestApp, method: Method, path: &str, token: &str) -> (StatusCode, Value) {
    let response = with_token(app, method, path, token)
        .send()
        .await
        .expect("request");
    let status = response.status();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| json!({ "html": text })),
    )
}

/// Registers a second platform, `elsewhere`, with deployment 1.
async fn register_elsewhere(app: &TestApp) {
    let db = bridge::db::Db::connect(&app.database_url)
        .await
        .expect("db");
    sqlx::query(
        "INSERT INTO lti_registrations (id, issuer, client_id, auth_login_url, access_token_url, \
         jwks_url, moodle_url, created_by, created_at_ms) VALUES ('elsewhere', \
         'https://elsewhere.example', 'c', 'https://elsewhere.example/auth', \
         'https://elsewhere.example/token', 'https://elsewhere.example/jwks', \
         'https://elsewhere.example', 'cli', 0)",
    )
    .execute(db.pool())
    .await
    .expect("registration");
    sqlx::query(
        "INSERT INTO lti_deployments (registration_id, deployment_id) VALUES ('elsewhere', '1')",
    )
    .execute(db.pool())
    .await
    .expect("deployment");
    db.close().await;
}

async fn copy(app: &TestApp, token: &str, body: &Value) -> (StatusCode, Value) {
    let response = with_token(app, Method::POST, "/copy_moodle_files", token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, body_json(response).await)
}

#[tokio::test]
async fn a_launch_token_serves_only_its_own_course() {
    let app = lti_app(false).await;
    let token = teacher_token(&app).await;
    for path in ["/get_learners?course_id=3", "/get_user_files/4?course_id=3"] {
        let (status, body) = answer(&app, Method::GET, path, &token).await;
        assert_eq!(
            (status.as_u16(), &body["code"]),
            (403, &json!("othercourse")),
            "{path}"
        );
    }
    let (status, body) = copy(
        &app,
        &token,
        &json!({"user_id": 4, "course_id": 3, "files": ["p10"]}),
    )
    .await;
    assert_eq!(
        (status.as_u16(), &body["code"]),
        (403, &json!("othercourse"))
    );
    let (status, _) = answer(&app, Method::GET, "/get_user_files/4?course_id=2", &token).await;
    assert_eq!(status, 200, "its own course, named");
}

#[tokio::test]
async fn a_user_not_enrolled_in_the_launch_course_is_refused() {
    let app = lti_app(false).await;
    let token = teacher_token(&app).await;
    // The administrator (user 2) is not enrolled in PHYS101.
    let (status, body) = answer(&app, Method::GET, "/get_user_files/2", &token).await;
    assert_eq!(
        (status.as_u16(), &body["code"]),
        (403, &json!("notenrolled"))
    );
    let (status, body) = copy(&app, &token, &json!({"user_id": 2, "files": ["p1"]})).await;
    assert_eq!(
        (status.as_u16(), &body["code"]),
        (403, &json!("notenrolled"))
    );
    assert_eq!(
        app.sim.calls("local_bridge_list_user_files"),
        0,
        "nothing of a stranger is read"
    );

    // A launch from course 4, where only Dave (7) and Eve (8) learn.
    let course4 = mint("default", 4, true);
    let (status, body) = answer(&app, Method::GET, "/get_user_files/4", &course4).await;
    assert_eq!(
        (status.as_u16(), &body["code"]),
        (403, &json!("notenrolled"))
    );
    let (status, body) = answer(&app, Method::GET, "/get_user_files/7", &course4).await;
    assert_eq!((status.as_u16(), &body["course_id"]), (200, &json!(4)));
    let (_, learners) = answer(&app, Method::GET, "/get_learners", &course4).await;
    let ids: Vec<&Value> = learners
        .as_array()
        .expect("list")
        .iter()
        .map(|l| &l["id"])
        .collect();
    assert_eq!(ids, [&json!(7), &json!(8)]);
}

#[tokio::test]
async fn staff_of_the_launch_course_are_not_learners_and_their_files_are_refused() {
    let app = lti_app(false).await;
    let token = teacher_token(&app).await;
    // The administrator enrolled as a manager of PHYS101, as an editing teacher could do.
    let enrolled = app
        .http
        .post(format!("{}/webservice/rest/server.php", app.sim.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs([
                    (
                        "wstoken",
                        app.sim.token("admin_bridge").expect("token").as_str(),
                    ),
                    ("wsfunction", "enrol_manual_enrol_users"),
                    ("moodlewsrestformat", "json"),
                    ("enrolments[0][roleid]", "1"),
                    ("enrolments[0][userid]", "2"),
                    ("enrolments[0][courseid]", "2"),
                ])
                .finish(),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(enrolled.text().await.expect("body"), "null");
    // teacher1 (3) is the course's editing teacher; the administrator (2) now its manager.
    for user in [3, 2] {
        let (status, body) = answer(
            &app,
            Method::GET,
            &format!("/get_user_files/{user}"),
            &token,
        )
        .await;
        assert_eq!(
            (status.as_u16(), &body["code"]),
            (403, &json!("notalearner")),
            "user {user}: {body}"
        );
        let (status, body) = copy(&app, &token, &json!({"user_id": user, "files": ["p1"]})).await;
        assert_eq!(
            (status.as_u16(), &body["code"]),
            (403, &json!("notalearner")),
            "user {user}: {body}"
        );
    }
    assert_eq!(
        app.sim.calls("local_bridge_list_user_files"),
        0,
        "nothing of a staff member is read"
    );
    // A learner of the course still works.
    let (status, body) = answer(&app, Method::GET, "/get_user_files/4", &token).await;
    assert_eq!((status.as_u16(), &body["course_id"]), (200, &json!(2)));
}

#[tokio::test]
async fn stored_files_are_seen_only_from_the_context_they_were_stored_from() {
    let app = lti_app(false).await;
    let token = teacher_token(&app).await;
    let upload = with_token(&app, Method::POST, "/upload_files", &token)
        .multipart(files_form(&[("physics-only.txt", b"course 2".to_vec())]))
        .send()
        .await
        .expect("request");
    assert_eq!(upload.status(), 200);
    let stored = body_json(upload).await["files"][0].clone();
    let id = stored["id"].as_str().expect("id").to_owned();

    let other = mint("default", 3, true);
    let (status, list) = answer(&app, Method::GET, "/list_uploaded_files", &other).await;
    assert_eq!((status.as_u16(), list), (200, json!([])));
    for (method, path) in [
        (Method::GET, format!("/download_file/{id}")),
        (Method::DELETE, format!("/delete_file/{id}")),
    ] {
        let (status, body) = answer(&app, method, &path, &other).await;
        assert_eq!((status.as_u16(), &body["code"]), (404, &json!("notfound")));
    }
    let (_, page) = answer(&app, Method::GET, "/files", &other).await;
    assert!(
        !page["html"]
            .as_str()
            .expect("html")
            .contains("physics-only.txt")
    );
    // The same course id from another platform is another context.
    register_elsewhere(&app).await;
    let (_, list) = answer(
        &app,
        Method::GET,
        "/list_uploaded_files",
        &mint("elsewhere", 2, true),
    )
    .await;
    assert_eq!(list, json!([]));

    // An API token sees only its own files, one with files:admin every file; the launch's own
    // list shows it, with a download ticket that fetches that file alone, without a header.
    let own = body_json(app.get("/list_uploaded_files").await).await;
    assert_eq!(own, json!([]));
    let admin = crate::helpers::bridge_token(
        bridge::auth::Scopes::READ_WRITE.with(bridge::auth::Scope::FilesAdmin),
    );
    let all = body_json(
        app.http
            .get(format!("{}/list_uploaded_files", app.url))
            .bearer_auth(admin)
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(all[0]["id"], id.as_str());
    let url = stored["download_url"].as_str().expect("url");
    assert!(url.contains("?ticket="), "{url}");
    let fetched = app.http.get(url).send().await.expect("request");
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.text().await.expect("body"), "course 2");
    let elsewhere = url.replace(&id, "0123456789abcdef0123456789abcdef");
    let refused = app.http.get(&elsewhere).send().await.expect("request");
    assert_eq!(refused.status(), 404, "a ticket is for one file");
    let ticket = url.split("?ticket=").nth(1).expect("ticket");
    let delete = app
        .http
        .delete(format!("{}/delete_file/{id}?ticket={ticket}", app.url))
        .send()
        .await
        .expect("request");
    assert_eq!(delete.status(), 401, "a ticket only downloads");
}

#[tokio::test]
async fn learners_forged_and_missing_tokens_are_refused() {
    let app = lti_app(false).await;
    let (status, body) = answer(
        &app,
        Method::GET,
        "/get_learners",
        &mint("default", 2, false),
    )
    .await;
    assert_eq!((status.as_u16(), &body["code"]), (403, &json!("forbidden")));

    let forged = {
        let tokens = bridge::lti_tool::LaunchTokens::derive(
            &moodle_ws::Secret::new("another-secret-key-0123456789abcdef-01234"),
            std::time::Duration::from_secs(600),
        );
        // A staff launch of course 2, signed with another key.
        let claims = bridge::lti_tool::LaunchClaims {
            sub: "3".to_owned(),
            reg: "default".to_owned(),
            dep: "1".to_owned(),
            ctx: "2".to_owned(),
            course: Some(2),
            rlid: None,
            roles: bridge::lti_tool::RoleFlags {
                administrator: true,
                instructor: true,
                learner: false,
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
    };
    let mut tampered = mint("default", 2, true);
    // Another last signature character (it carries 4 bits: 'A' and 'Q' differ in them).
    let last = tampered.pop();
    tampered.push(if last == Some('A') { 'Q' } else { 'A' });
    for token in [forged.as_str(), tampered.as_str(), "not-a-token"] {
        let (status, _) = answer(&app, Method::GET, "/get_learners", token).await;
        assert_eq!(status, 401, "{token}");
    }
    let bare = app
        .http
        .get(format!("{}/list_uploaded_files", app.url))
        .send()
        .await
        .expect("request");
    assert_eq!(bare.status(), 401);
    assert_eq!(bare.headers()["www-authenticate"], "Bearer");
}

#[tokio::test]
async fn without_the_companion_plugin_the_listing_says_private_files_need_it() {
    let app = spawn_app_with(Options {
        lti: Some(false),
        plugins: Plugins::none(),
        ..Options::default()
    })
    .await;
    let token = teacher_token(&app).await;
    let (status, body) = answer(&app, Method::GET, "/get_user_files/4", &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["private_files"]["available"], false);
    let reason = body["private_files"]["reason"].as_str().expect("reason");
    assert!(reason.contains("local_bridge"), "{reason}");
    let files = body["files"].as_array().expect("files");
    assert!(
        files.iter().all(|f| f["source"] == "submission"),
        "submission files only: {body}"
    );
}

#[tokio::test]
async fn development_routes_are_404_unless_in_development_mode() {
    let paths = [
        "/test_session",
        "/test_moodle_api",
        "/debug_routes",
        "/launch_test",
    ];
    let app = lti_app(false).await;
    for path in paths {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
    drop(app);

    let dev = spawn_app_with(Options {
        lti: Some(false),
        ..Options::default().env("BRIDGE_DEV", "1")
    })
    .await;
    for path in paths {
        assert_eq!(dev.get(path).await.status(), 200, "{path}");
    }
    // What a real launch's token is bound to.
    let token = teacher_token(&dev).await;
    let (_, session) = answer(&dev, Method::GET, "/test_session", &token).await;
    let launch = &session["launch"];
    assert_eq!(
        (
            &launch["reg"],
            &launch["dep"],
            &launch["ctx"],
            &launch["course"],
            &launch["sub"]
        ),
        (
            &json!("default"),
            &json!("1"),
            &json!("2"),
            &json!(2),
            &json!("3")
        )
    );
    assert_eq!(launch["roles"]["instructor"], true);
    assert_eq!(launch["origin"], dev.sim.url());
}

#[tokio::test]
async fn a_token_of_a_deployment_no_longer_registered_is_refused() {
    let app = lti_app(false).await;
    let token = teacher_token(&app).await;
    let (status, _) = answer(&app, Method::GET, "/get_learners", &token).await;
    assert_eq!(status, 200);
    // A platform never registered here.
    let (status, body) = answer(
        &app,
        Method::GET,
        "/get_learners",
        &mint("nowhere", 2, true),
    )
    .await;
    assert_eq!(
        (status.as_u16(), &body["code"]),
        (401, &json!("unauthorized"))
    );
    // The registration is updated without deployment 1 (as `moodle-bridge lti add` with
    // another --deployment, or the LTI_DEPLOYMENT_ID of a restart, replaces them).
    let db = bridge::db::Db::connect(&app.database_url)
        .await
        .expect("db");
    sqlx::query(
        "DELETE FROM lti_deployments WHERE registration_id = 'default' AND deployment_id = '1'",
    )
    .execute(db.pool())
    .await
    .expect("delete");
    db.close().await;
    for path in ["/get_learners", "/list_uploaded_files", "/lti/members"] {
        let (status, body) = answer(&app, Method::GET, path, &token).await;
        assert_eq!(
            (status.as_u16(), &body["code"]),
            (401, &json!("unauthorized")),
            "{path}"
        );
        let message = body["error"].as_str().expect("error");
        assert!(
            message.contains("no longer registered"),
            "{path}: {message}"
        );
    }
}
