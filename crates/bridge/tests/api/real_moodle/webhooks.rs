//! Moodle's events through the binary from the real site to a local receiver: a course made
//! and a learner enrolled (through the bridge: `origin: "bridge"`, delivered because the
//! subscription asks for the bridge's own events) and an assignment submitted by a learner in
//! Moodle (`origin: "moodle"`), each signed with the subscription's secret.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use super::{Bridge, run_id, site};
use crate::webhooks::receiver::{Delivery, Receiver};
use crate::webhooks::{call, manager_token};

/// The lab report assignment of PHYS101 (`tokens.json` ids) and student3, who has a draft.
const LAB_CMID: i64 = 6;
const STUDENT3: i64 = 6;

#[tokio::test]
async fn a_course_an_enrolment_and_a_submission_in_the_real_moodle_reach_a_receiver() {
    let Some(site) = site() else { return };
    let bridge = Bridge::start(
        &site,
        &[
            ("WEBHOOK_ALLOW_PRIVATE_TARGETS", "true"),
            ("EVENTS_POLL_INTERVAL_MS", "300"),
        ],
    )
    .await;
    let receiver = Receiver::start().await;
    let token = manager_token("real-suite");
    let (status, made) = call(
        &bridge.url,
        &token,
        Method::POST,
        "/api/webhooks",
        Some(&json!({
            "url": receiver.url,
            "event_types": ["course.created", "enrolment.created", "submission.submitted"],
            "include_bridge_events": true,
        })),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let secret = made["data"]["secret"].as_str().expect("secret").to_owned();

    // A course and an enrolment, through the bridge's gateway.
    let id = run_id();
    let (status, course) = bridge
        .send(
            Method::POST,
            "/api/moodle/courses",
            &[],
            &json!({"fullname": format!("Webhooks {id}"), "shortname": format!("REALWH{id}"), "categoryid": 1}),
        )
        .await;
    assert_eq!(status, 200, "{course}");
    let course_id = course["data"]["id"].as_i64().expect("course id");
    let (status, enrolled) = bridge
        .send(
            Method::POST,
            "/api/moodle/enrol",
            &[],
            &json!({"enrolments": [{"courseid": course_id, "userid": STUDENT3, "roleid": 5}]}),
        )
        .await;
    assert_eq!(status, 200, "{enrolled}");

    // A submission by the learner in Moodle: back to draft (by the teacher's app), then
    // submitted with the learner's own token.
    let assignment = assignment_id(&site).await;
    let reverted = site
        .ws(
            &site.token("teacher1_mobile"),
            "mod_assign_revert_submissions_to_draft",
            &[
                ("assignmentid", assignment.to_string()),
                ("userids[0]", STUDENT3.to_string()),
            ],
        )
        .await;
    assert!(reverted.get("exception").is_none(), "{reverted}");
    let learner = learner_token(&site, "student3").await;
    let submitted = site
        .ws(
            &learner,
            "mod_assign_submit_for_grading",
            &[
                ("assignmentid", assignment.to_string()),
                ("acceptsubmissionstatement", "1".to_owned()),
            ],
        )
        .await;
    assert!(submitted.get("exception").is_none(), "{submitted}");

    let wanted = |got: &[Delivery]| -> bool {
        let has = |t: &str, check: &dyn Fn(&Value) -> bool| {
            got.iter().any(|d| d.event["type"] == t && check(&d.event))
        };
        has("course.created", &|e| e["course_id"] == course_id)
            && has("enrolment.created", &|e| {
                e["course_id"] == course_id && e["user_id"] == STUDENT3
            })
            && has("submission.submitted", &|e| e["user_id"] == STUDENT3)
    };
    let got = receiver.wait_for(Duration::from_secs(30), wanted).await;
    let summary: Vec<String> = got
        .iter()
        .map(|d| format!("{} {} {}", d.id, d.event["type"], d.event["origin"]))
        .collect();
    assert!(
        wanted(&got),
        "not everything arrived within 30 s: {summary:?}"
    );
    for d in &got {
        assert!(d.verifies(&secret), "signature of {}", d.id);
        assert_eq!(d.event["site"], "default");
        let origin = if d.event["type"] == "submission.submitted" {
            "moodle"
        } else {
            "bridge"
        };
        if d.event["course_id"] == course_id || d.event["type"] == "submission.submitted" {
            assert_eq!(d.event["origin"], origin, "{}", d.event);
        }
    }
    let created = got
        .iter()
        .find(|d| d.event["type"] == "course.created" && d.event["course_id"] == course_id)
        .expect("course.created");
    assert_eq!(created.event["object"]["kind"], "course");
    assert_eq!(created.event["object"]["id"], course_id);
    assert_eq!(
        created.event["moodle"]["eventname"],
        "\\core\\event\\course_created"
    );

    let deleted = site
        .admin_ws(
            "core_course_delete_courses",
            &[("courseids[0]", course_id.to_string())],
        )
        .await;
    assert!(deleted.get("exception").is_none(), "{deleted}");
    bridge.stop().await;
}

/// The lab report's assignment id.
async fn assignment_id(site: &super::Site) -> i64 {
    let answer = site
        .ws(
            &site.token("teacher1_mobile"),
            "mod_assign_get_assignments",
            &[("courseids[0]", "2".to_owned())],
        )
        .await;
    answer["courses"][0]["assignments"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["cmid"] == LAB_CMID))
        .and_then(|a| a["id"].as_i64())
        .unwrap_or_else(|| panic!("PHYS101 has the lab report: {answer}"))
}

/// A mobile-app token of a seeded learner, from `login/token.php`.
async fn learner_token(site: &super::Site, user: &str) -> String {
    let answer = crate::helpers::http_client()
        .post(format!("{}/login/token.php", site.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(super::form_body(&[
            ("username", user.to_owned()),
            ("password", site.password(user)),
            ("service", "moodle_mobile_app".to_owned()),
        ]))
        .send()
        .await
        .expect("Moodle answers");
    let answer = crate::helpers::body_json(answer).await;
    answer["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{user} logs in: {answer}"))
        .to_owned()
}
