//! `local_bridge`'s event outbox on the stand-in: each catalogue event is recorded where Moodle
//! triggers it — web-service writes (courses, activities, the plugin's own creates, enrolments,
//! submissions, grades, quiz attempts), an LTI tool's score, changes made outside web services —
//! with its origin, and nothing for a call that fails or when recording is off. Who reads what
//! is in `events_access.rs`.

use serde_json::{Value, json};

use super::quiz::{attempt_right, graded, make_quiz};
use super::set_config;
use crate::support::Site;

/// Every event after a cursor, as the admin's bridge token reads them (following `more`).
pub(super) async fn events_after(site: &Site, token: &str, after: i64) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = after;
    loop {
        let body = site
            .call(
                token,
                "local_bridge_get_events",
                &[("afterid", &cursor.to_string()), ("limit", "500")],
            )
            .await;
        out.extend(body["events"].as_array().cloned().unwrap_or_default());
        cursor = body["lastid"].as_i64().expect("lastid");
        if body["more"] != true {
            return out;
        }
    }
}

/// The newest event id now.
pub(super) async fn cursor(site: &Site) -> i64 {
    let body = site
        .call(
            &site.token("admin_bridge"),
            "local_bridge_get_events",
            &[("limit", "1")],
        )
        .await;
    body["newestid"].as_i64().expect("newestid")
}

/// The short event name (`course_created`).
pub(super) fn short(event: &Value) -> &str {
    event["eventname"]
        .as_str()
        .and_then(|n| n.rsplit('\\').next())
        .unwrap_or_default()
}

/// The event's `other` data.
pub(super) fn other(event: &Value) -> Value {
    serde_json::from_str(event["other"].as_str().unwrap_or("null")).unwrap_or(Value::Null)
}

/// A course made through web services by the admin; its id.
pub(super) async fn make_course(site: &Site, shortname: &str) -> i64 {
    let made = site
        .call(
            &site.token("admin_bridge"),
            "core_course_create_courses",
            &[
                ("courses[0][fullname]", "Events course"),
                ("courses[0][shortname]", shortname),
                ("courses[0][categoryid]", "1"),
            ],
        )
        .await;
    made[0]["id"].as_i64().expect("course id")
}

/// student2 enrolled as a student by the admin.
pub(super) async fn enrol_student2(site: &Site, courseid: i64) {
    let enrolled = site
        .call(
            &site.token("admin_bridge"),
            "enrol_manual_enrol_users",
            &[
                ("enrolments[0][roleid]", "5"),
                ("enrolments[0][userid]", "5"),
                ("enrolments[0][courseid]", &courseid.to_string()),
            ],
        )
        .await;
    assert_eq!(enrolled, Value::Null);
}

/// `POST /__sim/plugins/changes`.
pub(super) async fn admin_changes(site: &Site, origin: &str, changes: Value) -> Value {
    site.http
        .post(format!("{}/__sim/plugins/changes", site.sim.url()))
        .json(&json!({"origin": origin, "userid": 2, "changes": changes}))
        .send()
        .await
        .expect("changes")
        .json()
        .await
        .expect("changes JSON")
}

#[tokio::test]
async fn a_course_an_enrolment_a_page_and_a_rename_are_recorded_in_order_with_their_data() {
    let site = Site::start().await;
    let admin = site.token("admin_bridge");
    let start = cursor(&site).await;
    let courseid = make_course(&site, "EV1").await;
    enrol_student2(&site, courseid).await;
    let page = site
        .call(
            &admin,
            "local_bridge_create_page",
            &[
                ("courseid", &courseid.to_string()),
                ("name", "Events page"),
                ("content", "<p>x</p>"),
            ],
        )
        .await;
    let cmid = page["cmid"].as_i64().expect("cmid");
    let renamed = site
        .call(
            &admin,
            "core_course_update_courses",
            &[
                ("courses[0][id]", &courseid.to_string()),
                ("courses[0][fullname]", "Events course, renamed"),
            ],
        )
        .await;
    assert_eq!(renamed["warnings"], json!([]));

    let events = events_after(&site, &admin, start).await;
    let names: Vec<&str> = events.iter().map(short).collect();
    assert_eq!(
        names,
        [
            "course_created",
            "user_enrolment_created",
            "role_assigned",
            "course_module_created",
            "course_updated"
        ]
    );
    let ids: Vec<i64> = events.iter().filter_map(|e| e["id"].as_i64()).collect();
    assert_eq!(ids, (start + 1..=start + 5).collect::<Vec<_>>());
    for e in &events {
        assert_eq!(
            (
                &e["origin"],
                &e["service"],
                &e["viacallertoken"],
                &e["userid"]
            ),
            (&json!("ws"), &json!("bridge"), &json!(true), &json!(2)),
            "{e}"
        );
        assert_eq!(e["courseid"], courseid, "{e}");
    }
    let created = &events[0];
    assert_eq!(
        (&created["objectid"], &created["contextlevel"]),
        (&json!(courseid), &json!(50))
    );
    assert_eq!(
        other(created),
        json!({"fullname": "Events course", "shortname": "EV1"})
    );
    assert_eq!(events[1]["relateduserid"], 5);
    assert_eq!(other(&events[1]), json!({"enrol": "manual"}));
    assert_eq!(
        (&events[2]["objectid"], &events[2]["relateduserid"]),
        (&json!(5), &json!(5)),
        "role_assigned: the role is the object"
    );
    assert_eq!(other(&events[2])["roleshortname"], "student");
    assert_eq!(
        (
            &events[3]["objectid"],
            &events[3]["contextlevel"],
            &events[3]["contextinstanceid"]
        ),
        (&json!(cmid), &json!(70), &json!(cmid))
    );
    assert_eq!(
        other(&events[3]),
        json!({"modulename": "page", "instanceid": page["instanceid"], "name": "Events page"})
    );
    assert_eq!(other(&events[4])["fullname"], "Events course, renamed");
}

#[tokio::test]
async fn a_submission_and_its_grade_are_recorded_with_the_course_total_by_the_system() {
    let site = Site::start().await;
    let grader = site.token("teacher1_mobile");
    let start = cursor(&site).await;
    let reverted = site
        .call(
            &grader,
            "mod_assign_revert_submissions_to_draft",
            &[("assignmentid", "1"), ("userids[0]", "5")],
        )
        .await;
    assert_eq!(reverted, json!([]));
    let submitted = site
        .call(
            &site.token("student2_bridge"),
            "mod_assign_submit_for_grading",
            &[("assignmentid", "1"), ("acceptsubmissionstatement", "1")],
        )
        .await;
    assert_eq!(submitted, json!([]));
    // Graded twice with the same grade: the second changes nothing.
    for _ in 0..2 {
        let graded = site
            .call(
                &grader,
                "mod_assign_save_grade",
                &[
                    ("assignmentid", "1"),
                    ("userid", "5"),
                    ("grade", "70"),
                    ("attemptnumber", "-1"),
                    ("addattempt", "0"),
                    ("workflowstate", ""),
                    ("applytoall", "0"),
                ],
            )
            .await;
        assert_eq!(graded, Value::Null);
    }

    let events = events_after(&site, &site.token("admin_bridge"), start).await;
    let names: Vec<&str> = events.iter().map(short).collect();
    assert_eq!(
        names,
        ["assessable_submitted", "user_graded", "user_graded"],
        "the second, unchanged grade records nothing"
    );
    let sub = &events[0];
    assert_eq!(
        (&sub["userid"], &sub["relateduserid"], &sub["courseid"]),
        (&json!(5), &json!(5), &json!(2))
    );
    assert_eq!(
        (&sub["service"], &sub["viacallertoken"]),
        (&json!("bridge"), &json!(false))
    );
    assert_eq!(other(sub), json!({"submission_editable": false}));
    let (item, total) = (other(&events[1]), other(&events[2]));
    assert_eq!(
        (
            &item["itemtype"],
            &item["itemmodule"],
            &item["iteminstance"]
        ),
        (&json!("mod"), &json!("assign"), &json!(1))
    );
    assert_eq!(item["finalgrade"].as_f64(), Some(70.0));
    assert_eq!(
        (&total["itemtype"], &total["iteminstance"]),
        (&json!("course"), &json!(2))
    );
    assert_eq!(total["finalgrade"].as_f64(), Some(70.0));
    assert_eq!(
        (&events[1]["userid"], &events[2]["userid"]),
        (&json!(3), &json!(-1)),
        "the grader, then the system's aggregation"
    );
    assert_eq!(events[1]["service"], "moodle_mobile_app");
}

#[tokio::test]
async fn a_finished_quiz_attempt_records_its_grades_then_attempt_submitted() {
    let site = Site::start().await;
    let quiz = make_quiz(&site, "ev-quiz", graded(), "1").await;
    let start = cursor(&site).await;
    let finished = attempt_right(&site, &quiz["instanceid"].to_string()).await;
    assert_eq!(finished["state"], "finished", "{finished}");
    let events = events_after(&site, &site.token("admin_bridge"), start).await;
    let names: Vec<&str> = events.iter().map(short).collect();
    // Moodle 4.5: quiz_attempt::process_finish() grades, then triggers attempt_submitted.
    assert_eq!(names, ["user_graded", "user_graded", "attempt_submitted"]);
    let attempt = &events[2];
    assert_eq!(
        (
            &attempt["userid"],
            &attempt["relateduserid"],
            &attempt["contextinstanceid"]
        ),
        (&json!(4), &json!(4), &quiz["cmid"])
    );
    assert_eq!(other(attempt), json!({"quizid": quiz["instanceid"]}));
    assert_eq!(attempt["service"], "moodle_mobile_app");
    assert_eq!(other(&events[0])["itemmodule"], "quiz");
    assert_eq!(other(&events[0])["finalgrade"].as_f64(), Some(10.0));
}

#[tokio::test]
async fn changes_outside_web_services_have_their_origin_and_no_service() {
    let site = Site::start().await;
    let courseid = make_course(&site, "EV2").await;
    enrol_student2(&site, courseid).await;
    let ctx = site.sim.with_state(|s| {
        s.context_id(moodle_sim::state::ContextLevel::Course, courseid)
            .expect("context")
    });
    let start = cursor(&site).await;
    let done = admin_changes(
        &site,
        "cli",
        json!([
            {"rename_course": {"courseid": courseid, "fullname": "Renamed by cron"}},
            {"suspend_enrolment": {"courseid": courseid, "userid": 5, "suspended": true}},
            {"unassign_role": {"roleid": 5, "contextid": ctx, "userid": 5}},
            {"update_user": {"userid": 6, "firstname": "Caroline"}},
        ]),
    )
    .await;
    assert_eq!(done, json!({"done": true}));
    let done = admin_changes(&site, "web", json!([{"delete_user": {"userid": 5}}])).await;
    assert_eq!(done, json!({"done": true}));

    let events = events_after(&site, &site.token("admin_bridge"), start).await;
    let seen: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (short(e), e["origin"].as_str().unwrap_or_default()))
        .collect();
    // delete_user() unenrols everywhere (roles go with the last enrolment of a course), then
    // unassigns the roles left, then records the deletion.
    assert_eq!(
        seen,
        [
            ("course_updated", "cli"),
            ("user_enrolment_updated", "cli"),
            ("role_unassigned", "cli"),
            ("user_updated", "cli"),
            ("role_unassigned", "web"),
            ("user_enrolment_deleted", "web"),
            ("role_unassigned", "web"),
            ("user_enrolment_deleted", "web"),
            ("user_enrolment_deleted", "web"),
            ("user_deleted", "web"),
        ]
    );
    assert!(
        events
            .iter()
            .all(|e| e["service"] == "" && e["viacallertoken"] == false && e["userid"] == 2)
    );
    let deleted = events.last().expect("user_deleted");
    assert_eq!(
        (
            &deleted["objectid"],
            &deleted["contextlevel"],
            &deleted["courseid"]
        ),
        (&json!(5), &json!(30), &json!(0))
    );
    assert_eq!(other(deleted), json!({}), "no username or e-mail goes out");
    let refused = admin_changes(
        &site,
        "cli",
        json!([{"rename_course": {"courseid": 999, "fullname": "x"}}]),
    )
    .await;
    assert_eq!(refused["error"], "no course 999");
}

#[tokio::test]
async fn deleting_activities_and_courses_records_their_deletion() {
    let site = Site::start().await;
    let admin = site.token("admin_bridge");
    let courseid = make_course(&site, "EV3").await;
    enrol_student2(&site, courseid).await;
    let mut cmids = Vec::new();
    for name in ["One", "Two"] {
        let page = site
            .call(
                &admin,
                "local_bridge_create_page",
                &[
                    ("courseid", &courseid.to_string()),
                    ("name", name),
                    ("content", "x"),
                ],
            )
            .await;
        cmids.push(page["cmid"].to_string());
    }
    let start = cursor(&site).await;
    let hidden = site
        .call(
            &admin,
            "core_course_edit_module",
            &[("action", "hide"), ("id", &cmids[0])],
        )
        .await;
    assert!(hidden.is_string(), "{hidden}");
    let deleted = site
        .call(
            &admin,
            "core_course_delete_modules",
            &[("cmids[0]", &cmids[0])],
        )
        .await;
    assert_eq!(deleted, Value::Null);
    let gone = site
        .call(
            &admin,
            "core_course_delete_courses",
            &[("courseids[0]", &courseid.to_string())],
        )
        .await;
    assert_eq!(gone["warnings"], json!([]));
    let events = events_after(&site, &admin, start).await;
    let names: Vec<&str> = events.iter().map(short).collect();
    // delete_course(): the learners are unenrolled, the activities go without events.
    assert_eq!(
        names,
        [
            "course_module_updated",
            "course_module_deleted",
            "role_unassigned",
            "user_enrolment_deleted",
            "course_deleted"
        ]
    );
    assert_eq!(other(&events[1])["modulename"], "page");
    assert!(other(&events[1]).get("name").is_none());
    assert_eq!(other(&events[4])["shortname"], "EV3");
}

#[tokio::test]
async fn the_course_editors_hide_indent_and_delete_record_module_events() {
    let site = Site::start().await;
    let admin = site.token("admin_bridge");
    let courseid = make_course(&site, "EV4").await;
    let page = site
        .call(
            &admin,
            "local_bridge_create_page",
            &[
                ("courseid", &courseid.to_string()),
                ("name", "One"),
                ("content", "x"),
            ],
        )
        .await;
    let cmid = page["cmid"].to_string();
    let start = cursor(&site).await;
    for action in ["cm_hide", "cm_moveright", "cm_delete"] {
        let answer = site
            .call(
                &admin,
                "core_courseformat_update_course",
                &[
                    ("action", action),
                    ("courseid", &courseid.to_string()),
                    ("ids[0]", &cmid),
                ],
            )
            .await;
        assert!(answer.is_string(), "{action}: {answer}");
    }
    let events = events_after(&site, &admin, start).await;
    let names: Vec<&str> = events.iter().map(short).collect();
    // stateactions: set_cm_visibility() and set_cm_indentation() trigger course_module_updated
    // per module; cm_delete deletes each with course_delete_module().
    assert_eq!(
        names,
        [
            "course_module_updated",
            "course_module_updated",
            "course_module_deleted"
        ]
    );
}

#[tokio::test]
async fn a_failed_call_records_nothing_and_a_batch_records_its_good_items() {
    let site = Site::start().await;
    let teacher = site.token("teacher1_bridge");
    let page = [
        ("courseid", "2"),
        ("name", "Once"),
        ("content", "x"),
        ("idnumber", "ev-once"),
    ];
    let made = site.call(&teacher, "local_bridge_create_page", &page).await;
    assert_eq!(made["modname"], "page");
    let start = cursor(&site).await;
    let twice = site.call(&teacher, "local_bridge_create_page", &page).await;
    assert_eq!(twice["errorcode"], "duplicateidnumber");
    assert_eq!(
        events_after(&site, &site.token("admin_bridge"), start).await,
        Vec::<Value>::new()
    );
    let batch = site
        .call(
            &teacher,
            "local_bridge_create_modules",
            &[
                ("courseid", "2"),
                ("modules[0][modname]", "page"),
                ("modules[0][idnumber]", "ev-b1"),
                ("modules[0][name]", "Batch one"),
                ("modules[0][content]", "x"),
                ("modules[1][modname]", "url"),
                ("modules[1][idnumber]", "ev-b2"),
                ("modules[1][name]", "Bad link"),
                ("modules[1][externalurl]", "javascript:alert(1)"),
            ],
        )
        .await;
    assert_eq!(
        batch["modules"].as_array().map(Vec::len),
        Some(2),
        "{batch}"
    );
    let events = events_after(&site, &site.token("admin_bridge"), start).await;
    assert_eq!(
        events
            .iter()
            .map(|e| other(e)["name"].clone())
            .collect::<Vec<_>>(),
        [json!("Batch one")]
    );
}

#[tokio::test]
async fn with_recording_off_nothing_is_recorded() {
    let site = Site::start().await;
    set_config(&site, "local_bridge/recordevents", "0").await;
    let start = cursor(&site).await;
    make_course(&site, "EV4").await;
    assert_eq!(cursor(&site).await, start);
    set_config(&site, "local_bridge/recordevents", "1").await;
    make_course(&site, "EV5").await;
    assert_eq!(cursor(&site).await, start + 1);
}

#[tokio::test]
async fn an_lti_score_is_recorded_as_a_browser_request_by_nobody() {
    let (sim, _tool) = crate::lti::start().await;
    let site = Site {
        sim,
        http: reqwest::Client::new(),
    };
    let start = cursor(&site).await;
    let token = crate::lti::access_token(site.sim.url(), crate::lti::ALL_SCOPES).await;
    let scores = format!(
        "{}/mod/lti/services.php/2/lineitems/5/lineitem/scores?type_id=1",
        site.sim.url()
    );
    let posted = site
        .http
        .post(scores)
        .bearer_auth(token)
        .header("Content-Type", "application/vnd.ims.lis.v1.score+json")
        .body(
            json!({"userId": "4", "scoreGiven": 8, "scoreMaximum": 10,
                "timestamp": "2026-11-22T00:04:46Z", "activityProgress": "Completed",
                "gradingProgress": "FullyGraded"})
            .to_string(),
        )
        .send()
        .await
        .expect("score");
    assert_eq!(posted.status(), 200);
    let events = events_after(&site, &site.token("admin_bridge"), start).await;
    let names: Vec<&str> = events.iter().map(short).collect();
    assert_eq!(names, ["user_graded", "user_graded"]);
    let item = &events[0];
    assert_eq!(
        (
            &item["origin"],
            &item["service"],
            &item["userid"],
            &item["relateduserid"]
        ),
        (&json!("web"), &json!(""), &json!(0), &json!(4))
    );
    assert_eq!(other(item)["itemmodule"], "lti");
    assert_eq!(
        other(item)["finalgrade"].as_f64(),
        Some(80.0),
        "scaled to 100"
    );
}
