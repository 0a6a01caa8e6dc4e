//! Pushes where Moodle decides: the companion plugin missing, an existing course named by
//! `lms_course_id`, a short name already taken, a user without the right to make courses.

use moodle_sim::Plugins;
use serde_json::json;

use super::helpers::{DEMO_ASSETS, moodle_courses, options, publisher_app, push_body, writes};
use crate::helpers::{spawn_app_with, status_json};

#[tokio::test]
async fn without_the_plugin_the_course_is_made_and_assets_wait_for_it() {
    let app = spawn_app_with(crate::helpers::Options {
        plugins: Plugins::none(),
        ..options()
    })
    .await;
    let course = app.demo_course().await;
    let token = app.lms_token().await;
    let (status, body) = status_json(
        app.push(&course.to_string(), &token, &push_body(&DEMO_ASSETS))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("local_bridge")),
        "{body}"
    );
    assert_eq!(body["data"]["plugin_required"], "local_bridge");
    for entry in body["data"]["exported_assets"].as_array().expect("assets") {
        assert_eq!(
            (entry["status"].as_str(), entry["lms_content_id"].as_str()),
            (Some("pending_plugin"), None),
            "{entry}"
        );
    }
    assert_eq!(
        moodle_courses(&app.sim, &format!("bridge:{course}")).len(),
        1,
        "the course is made"
    );
    assert_eq!(app.sync_status().await["assets"]["pending_plugin"], 7);
}

#[tokio::test]
async fn lms_course_id_updates_that_course_and_a_taken_shortname_gets_a_suffix() {
    let app = publisher_app().await;
    let token = app.lms_token().await;
    let phys = app
        .sim
        .with_state(|s| {
            s.courses
                .values()
                .find(|c| c.shortname == "PHYS101")
                .map(|c| c.id)
        })
        .expect("PHYS101");
    let course = app
        .new_course(&json!({"name": "Physics, revised", "shortname": "PHYS101"}))
        .await;
    let (status, _) = status_json(
        app.add_asset(course, "intro", "page", json!("<p>Hi</p>"))
            .await,
    )
    .await;
    assert_eq!(status, 201);
    let courses_before = app.sim.with_state(|s| s.courses.len());
    let mut body = push_body(&["intro"]);
    body["lms_course_id"] = json!(phys.to_string());
    let (status, answer) = status_json(app.push(&course.to_string(), &token, &body).await).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["data"]["lms_course_id"], phys.to_string());
    assert_eq!(
        app.sim.with_state(|s| s.courses.len()),
        courses_before,
        "no course made"
    );
    let fullname = app
        .sim
        .with_state(|s| s.courses.get(&phys).map(|c| c.fullname.clone()));
    assert_eq!(fullname.as_deref(), Some("Physics, revised"));
    body["lms_course_id"] = json!(99999);
    let (status, answer) = status_json(app.push(&course.to_string(), &token, &body).await).await;
    assert_eq!(
        (status, answer["detail"].as_str()),
        (404, Some("Moodle course 99999 not found"))
    );
    // Its own course: the short name is taken in Moodle.
    let own = app
        .new_course(&json!({"name": "Physics again", "shortname": "PHYS101"}))
        .await;
    let (status, answer) = status_json(
        app.add_asset(own, "intro", "page", json!("<p>Hi</p>"))
            .await,
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    let (status, answer) = status_json(
        app.push(&own.to_string(), &token, &push_body(&["intro"]))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let made = moodle_courses(&app.sim, &format!("bridge:{own}"));
    assert_eq!(
        made.first().map(|c| c.1.as_str()),
        Some("PHYS101-2"),
        "{made:?}"
    );
}

#[tokio::test]
async fn a_user_without_course_create_rights_gets_403_and_nothing_is_left_half_made() {
    let app = publisher_app().await;
    let course = app.demo_course().await;
    let token = app.lms_token_of(super::helpers::TEACHER).await;
    let categories = app.sim.with_state(|s| s.categories.len());
    let before = writes(&app.sim);
    let (status, body) = status_json(
        app.push(&course.to_string(), &token, &push_body(&DEMO_ASSETS))
            .await,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let detail = body["detail"].as_str().expect("detail");
    // "Science" exists in the stand-in (found, not made); "Physics" would have to be made.
    assert!(
        detail.starts_with("LMS export failed: creating the category \"Science/Physics\":"),
        "{detail}"
    );
    assert!(detail.contains("nopermissions"), "{detail}");
    assert_eq!(
        app.sim.with_state(|s| s.categories.len()),
        categories,
        "no category made"
    );
    assert!(
        moodle_courses(&app.sim, &format!("bridge:{course}")).is_empty(),
        "no course made"
    );
    assert_eq!(writes(&app.sim), before + 1, "one refused write");
    let status = app.sync_status().await;
    assert_eq!(status["courses"]["failed"], 1, "{status}");
    assert_eq!(status["courses"]["syncing"], 0, "{status}");
    assert_eq!(
        status["assets"]["pending"], 7,
        "nothing attempted: {status}"
    );
    assert!(
        status["failed"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("nopermissions")),
        "{status}"
    );
    // The same user without a category path: the course itself is refused.
    let flat = app.new_course(&json!({"name": "Flat"})).await;
    assert_eq!(
        app.add_asset(flat, "p", "page", json!("<p>x</p>"))
            .await
            .status(),
        201
    );
    let (status, body) = status_json(
        app.push(&flat.to_string(), &token, &push_body(&["p"]))
            .await,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("LMS export failed: creating the course:")),
        "{body}"
    );
    assert!(moodle_courses(&app.sim, &format!("bridge:{flat}")).is_empty());
}

#[tokio::test]
async fn a_login_service_without_the_publishers_functions_is_403_naming_the_setting() {
    // MOODLE_SERVICE left at moodle_mobile_app: the official app's service cannot make
    // categories, courses or activities.
    let app = crate::helpers::spawn_app().await;
    let course = app.demo_course().await;
    let token = app.lms_token().await;
    let (status, body) = status_json(
        app.push(&course.to_string(), &token, &push_body(&DEMO_ASSETS))
            .await,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let detail = body["detail"].as_str().expect("detail");
    assert!(
        detail.contains("accessexception") && detail.contains("MOODLE_SERVICE"),
        "{detail}"
    );
    assert!(moodle_courses(&app.sim, &format!("bridge:{course}")).is_empty());
}
