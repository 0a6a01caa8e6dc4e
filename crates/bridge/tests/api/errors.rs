//! Moodle's refusals as each route meets them, through the status table: the status, the
//! code, Moodle's message without debug information, and no second call for a write.

use serde_json::json;

use crate::helpers::{Options, expect_error, expect_ok, spawn_app, spawn_app_with};

fn as_role(role: &'static str) -> Options {
    Options {
        role,
        ..Options::default()
    }
}

#[tokio::test]
async fn a_rejected_moodle_token_is_401_invalidtoken_on_every_route() {
    let app =
        spawn_app_with(Options::default().env("MOODLE_TOKEN", "0123456789abcdef0123456789abcdef"))
            .await;
    expect_error(app.site_info().await, 401, "invalidtoken").await;
    expect_error(app.courses("").await, 401, "invalidtoken").await;
    expect_error(
        app.create_course(&json!({"fullname": "A", "shortname": "A1", "categoryid": 1}))
            .await,
        401,
        "invalidtoken",
    )
    .await;
    expect_error(
        app.users_by_field("?field=id&values=2").await,
        401,
        "invalidtoken",
    )
    .await;
    expect_error(app.notifications("?userid=2").await, 401, "invalidtoken").await;
}

#[tokio::test]
async fn a_function_missing_from_the_service_is_403_accessexception() {
    let app = spawn_app_with(Options {
        extra_functions: Vec::new(),
        ..Options::default()
    })
    .await;
    let body = expect_error(app.courses("?search=Physics").await, 403, "accessexception").await;
    assert!(body["error"]["details"].is_null(), "{body}");
}

#[tokio::test]
async fn creating_in_a_category_the_token_cannot_use_or_without_the_right_is_403() {
    let app = spawn_app().await;
    expect_error(
        app.create_course(&json!({"fullname": "A", "shortname": "A1", "categoryid": 999}))
            .await,
        403,
        "errorcatcontextnotvalid",
    )
    .await;
    let student = spawn_app_with(as_role("student1_bridge")).await;
    expect_error(
        student
            .create_course(&json!({"fullname": "A", "shortname": "A1", "categoryid": 1}))
            .await,
        403,
        "nopermissions",
    )
    .await;
    assert_eq!(student.sim.calls("core_course_create_courses"), 1);
}

#[tokio::test]
async fn a_taken_idnumber_is_409() {
    let app = spawn_app().await;
    expect_error(
        app.create_course(&json!({"fullname": "A", "shortname": "A1", "categoryid": 1, "idnumber": "PHYS101-2026"})).await,
        409,
        "courseidnumbertaken",
    )
    .await;
}

#[tokio::test]
async fn a_warning_about_the_patched_course_fails_the_patch() {
    let app = spawn_app().await;
    let body = expect_error(
        app.update_course("2", &json!({"shortname": "CHEM201"}))
            .await,
        409,
        "shortnametaken",
    )
    .await;
    assert_eq!(
        body["error"]["details"]["warnings"][0]["itemid"],
        json!(2),
        "{body}"
    );
    let student = spawn_app_with(as_role("student1_bridge")).await;
    let refused = student
        .update_course("2", &json!({"fullname": "Mine now"}))
        .await;
    let (status, body) = crate::helpers::status_json(refused).await;
    assert_eq!(status, 403, "{body}");
}

#[tokio::test]
async fn enrolling_with_a_role_the_token_user_cannot_assign_is_403() {
    // The role is one the bridge allows; Moodle refuses it for this token's user.
    let teacher =
        spawn_app_with(as_role("teacher1_bridge").env("GATEWAY_ENROL_ROLE_IDS", "5,1")).await;
    expect_error(
        teacher
            .enrol(&json!({"enrolments": [{"roleid": 1, "userid": 8, "courseid": 2}]}))
            .await,
        403,
        "wsusercannotassign",
    )
    .await;
    assert_eq!(teacher.sim.calls("enrol_manual_enrol_users"), 1);
}

#[tokio::test]
async fn reading_another_users_notifications_without_the_right_is_403() {
    let student = spawn_app_with(as_role("student1_bridge")).await;
    let (status, body) =
        crate::helpers::status_json(student.notifications("?userid=3").await).await;
    assert_eq!(status, 403, "{body}");
    let own = expect_ok(student.unread_count("?userid=4").await).await;
    assert!(own["count"].is_i64());
}

#[tokio::test]
async fn moodle_debug_information_never_reaches_the_caller() {
    let app = spawn_app().await;
    app.sim.set_debug(true);
    let body = expect_error(
        app.create_course(&json!({"fullname": "A", "shortname": "A1", "categoryid": 999}))
            .await,
        403,
        "errorcatcontextnotvalid",
    )
    .await;
    let text = body.to_string();
    assert!(
        !text.contains("debuginfo") && !text.contains("stacktrace") && !text.contains("SELECT"),
        "{text}"
    );
    assert!(
        !text.contains(&app.sim.token("admin_bridge").expect("token")),
        "{text}"
    );
}
