//! `POST /api/courses/{course_id}/push-to-lms`: what it makes in Moodle, that a second push of
//! unchanged content writes nothing, and the publisher contract's answers.

use moodle_sim::state::ModInstance;
use moodle_sim::{Fault, FaultRule};
use reqwest::Method;
use serde_json::json;

use super::helpers::{
    DEMO_ASSETS, moodle_courses, moodle_modules, one_call_each_app, publisher_app, push_body,
    writes,
};
use crate::helpers::status_json;

#[tokio::test]
async fn a_push_makes_the_category_path_the_course_and_one_activity_per_asset() {
    let app = publisher_app().await;
    let course = app.demo_course().await;
    let token = app.lms_token().await;
    let (status, body) = status_json(
        app.push(&course.to_string(), &token, &push_body(&DEMO_ASSETS))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(body["message"], "Successfully exported to LMS");
    let data = &body["data"];
    let made = moodle_courses(&app.sim, &format!("bridge:{course}"));
    let [(moodle_id, shortname, category, visible)] = made.as_slice() else {
        panic!("one course: {made:?}");
    };
    assert_eq!(data["lms_course_id"], moodle_id.to_string());
    assert_eq!((shortname.as_str(), *visible), ("POETPHYS", true));
    let (physics, science) = app.sim.with_state(|s| {
        let physics = s.categories.get(category).cloned().expect("category");
        let science = s.categories.get(&physics.parent).cloned().expect("parent");
        (physics, science)
    });
    assert_eq!(
        (physics.name.as_str(), science.name.as_str(), science.parent),
        ("Physics", "Science", 0)
    );
    let modules = moodle_modules(&app.sim, *moodle_id);
    assert_eq!(modules.len(), 7, "{modules:?}");
    let expected = [
        ("intro", "page"),
        ("notes", "page"),
        ("link", "url"),
        ("discuss", "forum"),
        ("quiz1", "quiz"),
        ("paper1", "quiz"),
        ("syllabus", "resource"),
    ];
    for (i, (name, modname)) in expected.iter().enumerate() {
        let entry = &data["exported_assets"][i];
        assert_eq!(entry["asset_name"], *name);
        assert_eq!(
            (entry["status"].as_str(), entry["action"].as_str()),
            (Some("success"), Some("created")),
            "{entry}"
        );
        assert_eq!(entry["moodle_module"], *modname);
        let cmid: i64 = entry["lms_content_id"]
            .as_str()
            .expect("cmid")
            .parse()
            .expect("number");
        assert!(
            modules.iter().any(|(id, m, idnumber)| *id == cmid
                && m == modname
                && *idnumber == format!("bridge:{course}:{name}")),
            "{name} in {modules:?}"
        );
    }
    assert_eq!(data["lms_content_ids"].as_array().map(Vec::len), Some(7));
    // Points become marks: 2 + 1 (a question without points is worth 1), and the grade their sum.
    let quiz = app.sim.with_state(|s| {
        s.cms
            .values()
            .find(|m| m.idnumber.as_deref() == Some(&format!("bridge:{course}:quiz1")))
            .map(|m| m.kind.clone())
    });
    let Some(ModInstance::Quiz(quiz)) = quiz else {
        panic!("the quiz is a quiz: {quiz:?}");
    };
    assert_eq!((quiz.sumgrades, quiz.grade), (3.0, 3.0));
    let status = app.sync_status().await;
    assert_eq!(status["assets"]["synced"], 7, "{status}");
    assert_eq!(status["courses"]["synced"], 1, "{status}");
}

#[tokio::test]
async fn a_second_push_of_unchanged_content_writes_nothing_and_a_change_updates_only_that_asset() {
    let app = publisher_app().await;
    let course = app.demo_course().await;
    let token = app.lms_token().await;
    let id = course.to_string();
    assert_eq!(
        app.push(&id, &token, &push_body(&DEMO_ASSETS))
            .await
            .status(),
        200
    );
    let before = writes(&app.sim);
    let started = std::time::Instant::now();
    let (status, body) = status_json(app.push(&id, &token, &push_body(&DEMO_ASSETS)).await).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        started.elapsed().as_millis() < 1000,
        "an unchanged push is quick"
    );
    assert_eq!(writes(&app.sim), before, "an unchanged push writes nothing");
    for entry in body["data"]["exported_assets"].as_array().expect("assets") {
        assert_eq!(entry["action"], "unchanged", "{entry}");
    }
    let changed = app
        .publisher_json(
            Method::PATCH,
            &format!("/api/courses/{course}/assets/intro"),
            &[],
            Some(&json!({"asset_content": "<p>New welcome</p>"})),
        )
        .await;
    assert_eq!(changed.status(), 200);
    assert_eq!(app.sync_status().await["assets"]["out_of_date"], 1);
    let updates = app.sim.calls("local_bridge_update_module");
    let (status, body) = status_json(app.push(&id, &token, &push_body(&DEMO_ASSETS)).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.sim.calls("local_bridge_update_module"), updates + 1);
    assert_eq!(
        writes(&app.sim),
        before + 1,
        "only the changed asset is written"
    );
    let actions: Vec<&str> = body["data"]["exported_assets"]
        .as_array()
        .expect("assets")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "updated",
            "unchanged",
            "unchanged",
            "unchanged",
            "unchanged",
            "unchanged",
            "unchanged"
        ]
    );
    let page = app.sim.with_state(|s| {
        s.cms
            .values()
            .find(|m| m.idnumber.as_deref() == Some(&format!("bridge:{course}:intro")))
            .map(|m| m.kind.clone())
    });
    assert!(matches!(page, Some(ModInstance::Page { content }) if content == "<p>New welcome</p>"));
    assert_eq!(app.sync_status().await["assets"]["synced"], 7);
}

#[tokio::test]
async fn push_errors_answer_the_seeds_statuses_in_the_detail_shape() {
    let app = publisher_app().await;
    let course = app.demo_course().await;
    let id = course.to_string();
    let token = app.lms_token().await;
    let body = push_body(&["intro"]);
    let no_token = app
        .publisher_json(
            Method::POST,
            &format!("/api/courses/{id}/push-to-lms"),
            &[],
            Some(&body),
        )
        .await;
    let cases = [
        (status_json(no_token).await, 400, "Invalid or expired LMS token"),
        (status_json(app.push(&id, "mock_lms_token_for_testing_abc", &body).await).await, 400, "Invalid or expired LMS token"),
        (status_json(app.push(&id, "0123456789abcdef0123456789abcdef", &body).await).await, 401, "LMS token expired or invalid"),
        (status_json(app.push(&id, "lms_not-a-session", &body).await).await, 401, "LMS token expired or invalid"),
        (status_json(app.push("999", &token, &body).await).await, 404, "Course not found"),
        (status_json(app.push("abc", &token, &body).await).await, 404, "Course not found"),
        (status_json(app.push(&id, &token, &push_body(&["intro", "nope", "nada"])).await).await, 422, "Unknown assets: nope, nada"),
        (
            status_json(app.push(&id, &token, &json!({"asset_names": ["intro", "quiz1"], "asset_type": ["quiz"]})).await).await,
            422,
            "asset_type: asset \"intro\" is a page, which asset_type does not list",
        ),
        (
            status_json(app.push(&id, &token, &json!({"asset_names": ["intro"], "asset_type": "page", "export_format": "scorm"})).await).await,
            422,
            "export_format: must be lms_standard or moodle (got \"scorm\")",
        ),
        (status_json(app.push(&id, &token, &json!({"asset_type": ["page"]})).await).await, 422, "asset_names: missing field `asset_names`"),
    ];
    for ((status, body), want_status, want_detail) in cases {
        assert_eq!(
            (status, body["detail"].as_str()),
            (want_status, Some(want_detail)),
            "{body}"
        );
        assert_eq!(
            body.as_object().map(|o| o.len()),
            Some(1),
            "only detail: {body}"
        );
    }
    assert!(
        moodle_courses(&app.sim, &format!("bridge:{course}")).is_empty(),
        "nothing pushed"
    );
    // Another subject: the course is not there for them, and the LMS token not theirs.
    let other = crate::helpers::shared_token(
        json!({"sub": "someone-else", "scope": "moodle:read moodle:write"}),
    );
    let as_other = |lms: &str| {
        app.http
            .post(format!("{}/api/courses/{id}/push-to-lms", app.url))
            .bearer_auth(&other)
            .header("x-lms-token", lms)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };
    let login = app
        .http
        .post(format!("{}/api/login-lms", app.url))
        .bearer_auth(&other)
        .header("content-type", "application/json")
        .body(json!({"email": "admin", "password": "Admin123!x"}).to_string())
        .send()
        .await
        .expect("login");
    let (_, login) = status_json(login).await;
    let their_token = login["data"]["token"].as_str().expect("token").to_owned();
    let (status, answer) = status_json(as_other(&their_token).await.expect("push")).await;
    assert_eq!(
        (status, answer["detail"].as_str()),
        (404, Some("Course not found"))
    );
    let (status, answer) = status_json(as_other(&token).await.expect("push")).await;
    assert_eq!(
        (status, answer["detail"].as_str()),
        (401, Some("LMS token expired or invalid"))
    );
}

#[tokio::test]
async fn a_refusal_of_one_asset_is_500_with_the_reason_and_the_others_are_pushed() {
    let app = one_call_each_app().await;
    let course = app.demo_course().await;
    let token = app.lms_token().await;
    app.sim.faults().inject(FaultRule::on_function(
        "local_bridge_create_url",
        Fault::PhpWarning,
    ));
    let (status, body) = status_json(
        app.push(&course.to_string(), &token, &push_body(&DEMO_ASSETS))
            .await,
    )
    .await;
    assert_eq!(status, 500, "{body}");
    let detail = body["detail"].as_str().expect("detail");
    assert!(
        detail.starts_with("LMS export failed: 1 of 7 assets failed; \"link\": asset \"link\": Moodle sent an answer the bridge cannot read"),
        "{detail}"
    );
    assert!(
        !detail.contains("Warning") && !detail.contains("/var/www"),
        "no internals: {detail}"
    );
    let statuses: Vec<&str> = body["data"]["exported_assets"]
        .as_array()
        .expect("the report comes with it")
        .iter()
        .filter_map(|e| e["status"].as_str())
        .collect();
    assert_eq!(
        statuses,
        [
            "success", "success", "failed", "success", "success", "success", "success"
        ]
    );
    let status = app.sync_status().await;
    assert_eq!(
        (
            status["assets"]["failed"].as_i64(),
            status["assets"]["synced"].as_i64()
        ),
        (Some(1), Some(6)),
        "{status}"
    );
    assert_eq!(status["failed"][0]["asset_name"], "link");
}
