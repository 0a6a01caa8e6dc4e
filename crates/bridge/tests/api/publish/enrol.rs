//! Enrolments with a push: users named by email or username are found, enrolled with the
//! role's Moodle id, each reported; a repeated push asks Moodle nothing again; roles outside
//! `GATEWAY_ENROL_ROLE_IDS` are refused before Moodle is called; Moodle's own enrol keeps one
//! enrolment when asked twice.

use serde_json::json;

use super::helpers::{moodle_call, moodle_user, options, publisher_app, push_body};
use crate::helpers::{TestApp, spawn_app_with, status_json};

/// The roles a user holds in a Moodle course's context.
fn roles_in(app: &TestApp, moodle_id: i64, user: i64) -> Vec<i64> {
    app.sim.with_state(|s| {
        let ctx = s
            .context_id(moodle_sim::state::ContextLevel::Course, moodle_id)
            .expect("context");
        s.roles_in_context(user, ctx)
    })
}

/// Enrolments of a user in a Moodle course.
fn enrolments(app: &TestApp, moodle_id: i64, user: i64) -> usize {
    app.sim.with_state(|s| {
        s.user_enrolments
            .values()
            .filter(|ue| {
                ue.userid == user
                    && s.enrol_instances
                        .get(&ue.enrolid)
                        .is_some_and(|i| i.courseid == moodle_id)
            })
            .count()
    })
}

#[tokio::test]
async fn users_named_in_a_push_are_enrolled_once_each_reported() {
    let app = publisher_app().await;
    let token = app.lms_token().await;
    let course = app.new_course(&json!({"name": "Enrolled"})).await;
    assert_eq!(
        app.add_asset(course, "p", "page", json!("<p>x</p>"))
            .await
            .status(),
        201
    );
    let student1 = moodle_user(&app.sim, "student1");
    let student2 = moodle_user(&app.sim, "student2");
    let email2 = app
        .sim
        .with_state(|s| s.users.get(&student2).map(|u| u.email.clone()))
        .expect("email");
    let mut body = push_body(&["p"]);
    body["enrol"] = json!([
        {"username": "student1", "role": "student"},
        {"email": email2, "role": "Student"},
        {"email": "nobody@example.org", "role": "student"}
    ]);
    let (status, answer) = status_json(app.push(&course.to_string(), &token, &body).await).await;
    assert_eq!(status, 200, "{answer}");
    let moodle_id: i64 = answer["data"]["lms_course_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("id");
    assert_eq!(
        answer["data"]["enrolments"],
        json!([
            {"username": "student1", "role": "student", "status": "enrolled", "moodle_user_id": student1},
            {"email": email2, "role": "student", "status": "enrolled", "moodle_user_id": student2},
            {"email": "nobody@example.org", "role": "student", "status": "not_found", "error": "no Moodle user has this email"}
        ])
    );
    assert_eq!(roles_in(&app, moodle_id, student1), [5]);
    assert_eq!(
        app.sim.calls("enrol_manual_enrol_users"),
        1,
        "one call for both"
    );
    let (status, again) = status_json(app.push(&course.to_string(), &token, &body).await).await;
    assert_eq!(status, 200, "{again}");
    let statuses: Vec<&str> = again["data"]["enrolments"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["status"].as_str())
        .collect();
    assert_eq!(
        statuses,
        ["already_enrolled", "already_enrolled", "not_found"]
    );
    assert_eq!(
        app.sim.calls("enrol_manual_enrol_users"),
        1,
        "Moodle not asked again"
    );
    // Moodle itself keeps one enrolment when asked twice (as the real site does).
    for _ in 0..2 {
        let answer = moodle_call(
            &app.sim,
            "admin_bridge",
            "enrol_manual_enrol_users",
            &[
                ("enrolments[0][roleid]", "5".to_owned()),
                ("enrolments[0][userid]", student1.to_string()),
                ("enrolments[0][courseid]", moodle_id.to_string()),
            ],
        )
        .await;
        assert!(answer.is_null(), "{answer}");
    }
    assert_eq!(enrolments(&app, moodle_id, student1), 1);
    assert_eq!(roles_in(&app, moodle_id, student1), [5]);
}

#[tokio::test]
async fn a_role_the_bridge_may_not_give_is_refused_before_moodle_is_called() {
    let app = publisher_app().await;
    let token = app.lms_token().await;
    let course = app.new_course(&json!({"name": "Roles"})).await;
    assert_eq!(
        app.add_asset(course, "p", "page", json!("<p>x</p>"))
            .await
            .status(),
        201
    );
    let cases = [
        (
            json!([{"username": "teacher1", "role": "teacher"}]),
            403,
            "enrol[0].role: the role teacher (Moodle role 3) may not be given through the bridge; GATEWAY_ENROL_ROLE_IDS allows 5",
        ),
        (
            json!([{"username": "student1", "role": "manager"}]),
            422,
            "enrol[0].role: unknown role \"manager\"; known: student, teacher",
        ),
        (
            json!([{"username": "student1", "email": "a@b.org", "role": "student"}]),
            422,
            "enrol[0]: name the user by email (an address) or username, not both",
        ),
    ];
    for (enrol, want, detail) in cases {
        let mut body = push_body(&["p"]);
        body["enrol"] = enrol;
        let (status, answer) =
            status_json(app.push(&course.to_string(), &token, &body).await).await;
        assert_eq!((status, answer["detail"].as_str()), (want, Some(detail)));
    }
    assert_eq!(
        app.sim.calls("core_course_create_courses"),
        0,
        "Moodle not called"
    );
    // Allowed, the teacher is enrolled as Moodle's editing teacher.
    let app = spawn_app_with(options().env("GATEWAY_ENROL_ROLE_IDS", "5,3")).await;
    let token = app.lms_token().await;
    let course = app.new_course(&json!({"name": "Roles"})).await;
    assert_eq!(
        app.add_asset(course, "p", "page", json!("<p>x</p>"))
            .await
            .status(),
        201
    );
    let mut body = push_body(&["p"]);
    body["enrol"] = json!([{"username": "teacher1", "role": "teacher"}]);
    let (status, answer) = status_json(app.push(&course.to_string(), &token, &body).await).await;
    assert_eq!(status, 200, "{answer}");
    let moodle_id: i64 = answer["data"]["lms_course_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("id");
    assert_eq!(
        roles_in(&app, moodle_id, moodle_user(&app.sim, "teacher1")),
        [3]
    );
}
