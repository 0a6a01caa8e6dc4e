//! Every event of the catalogue, caused in the stand-in the way Moodle causes it (web-service
//! writes of teachers, learners and administrators, changes made on Moodle's own pages), reaches
//! a subscriber of `*`, signed, in the order it happened, as `origin: "moodle"`.

use std::time::Duration;

use serde_json::{Value, json};

use super::receiver::Receiver;
use super::{fast_events, sim_call, subscribe};
use crate::helpers::{http_client, spawn_app_with};

/// `POST /__sim/plugins/changes`: what an administrator does on Moodle's pages.
async fn on_moodle_pages(sim: &moodle_sim::Sim, changes: Value) {
    let answer = http_client()
        .post(format!("{}/__sim/plugins/changes", sim.url()))
        .header("content-type", "application/json")
        .body(json!({"origin": "web", "userid": 2, "changes": changes}).to_string())
        .send()
        .await
        .expect("changes");
    assert!(
        answer.status().is_success(),
        "{}",
        answer.text().await.unwrap_or_default()
    );
}

#[tokio::test]
async fn every_catalogue_event_from_the_stand_in_reaches_a_subscriber_signed_and_in_order() {
    let app = spawn_app_with(fast_events()).await;
    let sim = &app.sim;
    let receiver = Receiver::start().await;
    let (_, secret) = subscribe(&app.url, "app", &receiver.url, &["*"], json!({})).await;

    // A user, a course, the user enrolled, the course and enrolment and user changed.
    let user = sim_call(
        sim,
        "admin_mobile",
        "core_user_create_users",
        &json!({"users": [{
        "username": "eventsuser", "password": "Events-123!x", "firstname": "Eve", "lastname": "Nts",
        "email": "eve@example.org"}]}),
    )
    .await;
    let user = user[0]["id"].as_i64().expect("user id");
    let course = sim_call(
        sim,
        "admin_mobile",
        "core_course_create_courses",
        &json!({"courses": [{
        "fullname": "Events", "shortname": "EVENTS", "categoryid": 1}]}),
    )
    .await;
    let course = course[0]["id"].as_i64().expect("course id");
    sim_call(
        sim,
        "admin_mobile",
        "core_course_update_courses",
        &json!({"courses": [{
        "id": course, "fullname": "Events, renamed"}]}),
    )
    .await;
    sim_call(
        sim,
        "admin_mobile",
        "enrol_manual_enrol_users",
        &json!({"enrolments": [{
        "roleid": 5, "userid": user, "courseid": course}]}),
    )
    .await;
    on_moodle_pages(
        sim,
        json!([
            {"suspend_enrolment": {"courseid": course, "userid": user, "suspended": true}},
            {"update_user": {"userid": user, "firstname": "Evelyn"}},
        ]),
    )
    .await;

    // An activity made, changed and deleted.
    let page = sim_call(
        sim,
        "admin_mobile",
        "local_bridge_create_page",
        &json!({
        "courseid": course, "section": 0, "name": "A page", "content": "<p>Hi</p>"}),
    )
    .await;
    let cmid = page["cmid"].as_i64().unwrap_or_else(|| panic!("{page}"));
    sim_call(
        sim,
        "admin_mobile",
        "local_bridge_update_module",
        &json!({
        "cmid": cmid, "fields": {"name": "A renamed page"}}),
    )
    .await;
    sim_call(
        sim,
        "admin_mobile",
        "core_course_delete_modules",
        &json!({"cmids": [cmid]}),
    )
    .await;

    // Unenrolled (its role goes with it), the user deleted, the course deleted.
    on_moodle_pages(
        sim,
        json!([
            {"unenrol": {"courseid": course, "userid": user}},
            {"delete_user": {"userid": user}},
        ]),
    )
    .await;
    sim_call(
        sim,
        "admin_mobile",
        "core_course_delete_courses",
        &json!({"courseids": [course]}),
    )
    .await;

    // In PHYS101: Bob's lab report submitted again and graded; a quiz attempted by Alice.
    sim_call(
        sim,
        "teacher1_mobile",
        "mod_assign_revert_submissions_to_draft",
        &json!({
        "assignmentid": 1, "userids": [5]}),
    )
    .await;
    sim_call(
        sim,
        "student2_bridge",
        "mod_assign_submit_for_grading",
        &json!({
        "assignmentid": 1, "acceptsubmissionstatement": 1}),
    )
    .await;
    sim_call(
        sim,
        "teacher1_mobile",
        "mod_assign_save_grade",
        &json!({
        "assignmentid": 1, "userid": 5, "grade": 70, "attemptnumber": -1, "addattempt": 0,
        "workflowstate": "", "applytoall": 0}),
    )
    .await;
    attempt_a_quiz(sim).await;

    let mut expected: Vec<&str> = bridge::webhooks::CATALOGUE
        .iter()
        .map(|(_, t, _)| *t)
        .collect();
    // Moodle 4.5 grades within attempt_submitted; 5.0 records attempt_submitted, then grades
    // and records attempt_graded (mod/quiz/classes/quiz_attempt.php).
    let moodle_5 = crate::helpers::moodle_version().at_least_5_0();
    if !moodle_5 {
        expected.retain(|t| *t != "quiz_attempt.graded");
    }
    let got = receiver
        .wait_for(Duration::from_secs(20), |g| {
            expected
                .iter()
                .all(|t| g.iter().any(|d| d.event["type"] == *t))
        })
        .await;
    let types: Vec<&str> = got
        .iter()
        .filter_map(|d| d.event["type"].as_str())
        .collect();
    for t in &expected {
        assert!(types.contains(t), "{t} missing from {types:?}");
    }
    assert_eq!(
        types.contains(&"quiz_attempt.graded"),
        moodle_5,
        "quiz_attempt.graded only from Moodle 5.0: {types:?}"
    );
    assert!(
        got.iter().all(|d| d.verifies(&secret)),
        "every delivery is signed"
    );
    assert!(
        got.iter().all(|d| d.event["origin"] == "moodle"),
        "{types:?}"
    );
    let numbers: Vec<i64> = got
        .iter()
        .map(|d| d.id.trim_start_matches("evt_").parse().expect("evt_<n>"))
        .collect();
    assert!(
        numbers.windows(2).all(|w| w[0] < w[1]),
        "in order, once: {numbers:?}"
    );
    let first = |t: &str| got.iter().position(|d| d.event["type"] == t).expect(t);
    for (before, after) in [
        ("user.created", "enrolment.created"),
        ("course.created", "course.updated"),
        ("course_module.created", "course_module.updated"),
        ("course_module.updated", "course_module.deleted"),
        ("enrolment.created", "enrolment.deleted"),
        ("enrolment.deleted", "user.deleted"),
    ]
    .into_iter()
    .chain(moodle_5.then_some(("quiz_attempt.submitted", "quiz_attempt.graded")))
    {
        assert!(
            first(before) < first(after),
            "{before} before {after}: {types:?}"
        );
    }
    // What an application gets for an enrolment.
    let enrolled = &got[first("enrolment.created")].event;
    assert_eq!(
        (enrolled["course_id"].as_i64(), enrolled["user_id"].as_i64()),
        (Some(course), Some(user))
    );
    assert_eq!(enrolled["object"]["kind"], "user_enrolments");
    assert_eq!(
        enrolled["moodle"]["eventname"],
        "\\core\\event\\user_enrolment_created"
    );
    let submitted = &got[first("submission.submitted")].event;
    assert_eq!(
        (
            submitted["course_id"].as_i64(),
            submitted["user_id"].as_i64()
        ),
        (Some(2), Some(5))
    );
    app.stop().await;
}

/// A one-question quiz made by the teacher in PHYS101, attempted and finished by Alice.
async fn attempt_a_quiz(sim: &moodle_sim::Sim) {
    let quiz = sim_call(sim, "teacher1_bridge", "local_bridge_create_quiz", &json!({
        "courseid": 2, "section": 2, "name": "Events quiz", "idnumber": "events-quiz",
        "questions": [{"type": "truefalse", "text": "The Moon is a planet.", "correctanswer": false}]})).await;
    let quizid = quiz["instanceid"]
        .as_i64()
        .unwrap_or_else(|| panic!("{quiz}"));
    let started = sim_call(
        sim,
        "student1_mobile",
        "mod_quiz_start_attempt",
        &json!({"quizid": quizid}),
    )
    .await;
    let attempt = &started["attempt"];
    let (aid, uid) = (
        attempt["id"].as_i64().expect("attempt"),
        attempt["uniqueid"].clone(),
    );
    let data = sim_call(
        sim,
        "student1_mobile",
        "mod_quiz_get_attempt_data",
        &json!({"attemptid": aid, "page": 0}),
    )
    .await;
    let q = &data["questions"][0];
    let slot = q["slot"].as_i64().expect("slot");
    let finished = sim_call(sim, "student1_mobile", "mod_quiz_process_attempt", &json!({
        "attemptid": aid, "finishattempt": 1, "data": [
            {"name": format!("q{uid}:{slot}_:sequencecheck"), "value": q["sequencecheck"].to_string()},
            {"name": format!("q{uid}:{slot}_answer"), "value": "0"},
        ]})).await;
    assert_eq!(finished["state"], "finished", "{finished}");
}
