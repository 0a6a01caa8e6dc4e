//! `local_bridge_get_events` on the stand-in: who sees which event (a learner their own and their
//! courses', a teacher their course's submissions and grades, managers and admins everything),
//! which events came through the caller's own token, the cursor, the limit and the purge.

use serde_json::{Value, json};

use super::events::{admin_changes, cursor, enrol_student2, events_after, make_course, short};
use crate::support::{Site, errorcode};

/// A grade of 70 for student2's lab report, by teacher1 through the mobile service.
async fn grade_student2(site: &Site) {
    let graded = site
        .call(
            &site.token("teacher1_mobile"),
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

fn seen(events: &[Value]) -> Vec<(String, i64)> {
    events
        .iter()
        .map(|e| (short(e).to_owned(), e["courseid"].as_i64().unwrap_or(-1)))
        .collect()
}

#[tokio::test]
async fn viacallertoken_is_true_only_for_the_token_that_made_the_change() {
    let site = Site::start().await;
    let start = cursor(&site).await;
    make_course(&site, "EVA1").await;
    let admin_bridge = events_after(&site, &site.token("admin_bridge"), start).await;
    assert_eq!(admin_bridge[0]["viacallertoken"], true);
    // The same user through another token of the same service: not the caller's token.
    let other_token = site
        .sim
        .with_state(|s| {
            let token = "0123456789abcdef0123456789abcdef".to_owned();
            let mut copy = s
                .tokens
                .values()
                .find(|t| t.name == "moodle-real admin_bridge")?
                .clone();
            copy.token.clone_from(&token);
            copy.name = "another admin token".to_owned();
            s.tokens.insert(token.clone(), copy);
            Some(token)
        })
        .expect("a second token");
    let read = events_after(&site, &other_token, start).await;
    assert_eq!(
        (&read[0]["viacallertoken"], &read[0]["service"]),
        (&json!(false), &json!("bridge"))
    );
}

#[tokio::test]
async fn a_learner_sees_their_own_events_and_their_courses_but_no_grades_or_other_learners() {
    let site = Site::start().await;
    let start = cursor(&site).await;
    let mine = make_course(&site, "EVA2").await;
    let not_mine = make_course(&site, "EVA3").await;
    enrol_student2(&site, mine).await;
    // student3 in the other course: not student2's business.
    let enrolled = site
        .call(
            &site.token("admin_bridge"),
            "enrol_manual_enrol_users",
            &[
                ("enrolments[0][roleid]", "5"),
                ("enrolments[0][userid]", "6"),
                ("enrolments[0][courseid]", &mine.to_string()),
            ],
        )
        .await;
    assert_eq!(enrolled, Value::Null);
    grade_student2(&site).await;

    let events = events_after(&site, &site.token("student2_bridge"), start).await;
    assert_eq!(
        seen(&events),
        [
            ("course_created".to_owned(), mine),
            ("user_enrolment_created".to_owned(), mine),
            ("role_assigned".to_owned(), mine),
        ],
        "not {not_mine}, not student3's enrolment, not the grades"
    );
    // The admin read the same rows: the learner's cursor passes the ones it may not see.
    let all = events_after(&site, &site.token("admin_bridge"), start).await;
    let last = site
        .call(
            &site.token("student2_bridge"),
            "local_bridge_get_events",
            &[("afterid", &start.to_string())],
        )
        .await;
    assert_eq!(last["lastid"], all.last().expect("events")["id"]);
    assert_eq!(last["more"], false);
}

#[tokio::test]
async fn a_teacher_sees_their_courses_submissions_and_grades_but_not_other_courses() {
    let site = Site::start().await;
    let start = cursor(&site).await;
    let elsewhere = make_course(&site, "EVA4").await;
    grade_student2(&site).await;
    let events = events_after(&site, &site.token("teacher1_bridge"), start).await;
    assert_eq!(
        seen(&events),
        [("user_graded".to_owned(), 2), ("user_graded".to_owned(), 2)],
        "course {elsewhere} is not theirs"
    );
}

#[tokio::test]
async fn events_of_a_deleted_course_are_left_to_those_who_may_view_every_course() {
    let site = Site::start().await;
    let courseid = make_course(&site, "EVA5").await;
    enrol_student2(&site, courseid).await;
    let start = cursor(&site).await;
    let renamed = site
        .call(
            &site.token("admin_bridge"),
            "core_course_update_courses",
            &[
                ("courses[0][id]", &courseid.to_string()),
                ("courses[0][fullname]", "Soon gone"),
            ],
        )
        .await;
    assert_eq!(renamed["warnings"], json!([]));
    let before = events_after(&site, &site.token("student2_bridge"), start).await;
    assert_eq!(seen(&before), [("course_updated".to_owned(), courseid)]);
    let deleted = site
        .call(
            &site.token("admin_bridge"),
            "core_course_delete_courses",
            &[("courseids[0]", &courseid.to_string())],
        )
        .await;
    assert_eq!(deleted["warnings"], json!([]));
    let after = events_after(&site, &site.token("student2_bridge"), start).await;
    assert_eq!(
        seen(&after),
        [
            ("role_unassigned".to_owned(), courseid),
            ("user_enrolment_deleted".to_owned(), courseid)
        ],
        "only their own unenrolment; the rename and the deletion need moodle/course:view"
    );
    let admin = events_after(&site, &site.token("admin_bridge"), start).await;
    assert_eq!(admin.len(), 4);
}

#[tokio::test]
async fn user_events_need_viewalldetails_except_ones_own() {
    let site = Site::start().await;
    let start = cursor(&site).await;
    let done = admin_changes(
        &site,
        "web",
        json!([
            {"update_user": {"userid": 5, "firstname": "Robert"}},
            {"update_user": {"userid": 6, "firstname": "Caroline"}},
        ]),
    )
    .await;
    assert_eq!(done["done"], true);
    let own = events_after(&site, &site.token("student2_bridge"), start).await;
    assert_eq!(
        own.iter()
            .map(|e| e["relateduserid"].clone())
            .collect::<Vec<_>>(),
        [json!(5)]
    );
    let teacher = events_after(&site, &site.token("teacher1_bridge"), start).await;
    assert_eq!(teacher, Vec::<Value>::new());
    let admin = events_after(&site, &site.token("admin_bridge"), start).await;
    assert_eq!(admin.len(), 2);
}

#[tokio::test]
async fn the_limit_and_the_cursor_are_checked_and_more_pages_through() {
    let site = Site::start().await;
    let admin = site.token("admin_bridge");
    for (name, params) in [
        ("limit 0", vec![("limit", "0")]),
        ("limit 501", vec![("limit", "501")]),
        ("afterid -1", vec![("afterid", "-1")]),
    ] {
        let refused = site.call(&admin, "local_bridge_get_events", &params).await;
        assert_eq!(errorcode(&refused), Some("invalidparameter"), "{name}");
    }
    let start = cursor(&site).await;
    for shortname in ["EVA6", "EVA7", "EVA8"] {
        make_course(&site, shortname).await;
    }
    let first = site
        .call(
            &admin,
            "local_bridge_get_events",
            &[("afterid", &start.to_string()), ("limit", "2")],
        )
        .await;
    assert_eq!(first["events"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        (&first["lastid"], &first["more"], &first["newestid"]),
        (&json!(start + 2), &json!(true), &json!(start + 3))
    );
    let rest = site
        .call(
            &admin,
            "local_bridge_get_events",
            &[("afterid", &(start + 2).to_string()), ("limit", "2")],
        )
        .await;
    assert_eq!(rest["events"][0]["id"], start + 3);
    assert_eq!(
        (&rest["lastid"], &rest["more"]),
        (&json!(start + 3), &json!(false))
    );
    let mobile = site
        .call(
            &site.token("student1_mobile"),
            "local_bridge_get_events",
            &[],
        )
        .await;
    assert_eq!(
        errorcode(&mobile),
        Some("accessexception"),
        "not in that service"
    );
}

#[tokio::test]
async fn a_reader_whose_cursor_fell_behind_the_purge_is_warned() {
    let site = Site::start().await;
    let admin = site.token("admin_bridge");
    let start = cursor(&site).await;
    for shortname in ["EVA9", "EVA10", "EVA11"] {
        make_course(&site, shortname).await;
    }
    let purged: Value = site
        .http
        .post(format!("{}/__sim/plugins/purge-events", site.sim.url()))
        .json(&json!({"before": moodle_sim::state::now() + 1}))
        .send()
        .await
        .expect("purge")
        .json()
        .await
        .expect("purge JSON");
    assert_eq!(purged["purged"], start + 3);
    let behind = site
        .call(
            &admin,
            "local_bridge_get_events",
            &[("afterid", &(start + 1).to_string())],
        )
        .await;
    assert_eq!(behind["events"], json!([]));
    assert_eq!(behind["warnings"][0]["warningcode"], "eventspurged");
    assert_eq!(behind["warnings"][0]["itemid"], start + 3);
    assert_eq!(
        (&behind["lastid"], &behind["newestid"]),
        (&json!(start + 1), &json!(start + 3))
    );
    make_course(&site, "EVA12").await;
    let next = site
        .call(
            &admin,
            "local_bridge_get_events",
            &[("afterid", &(start + 3).to_string())],
        )
        .await;
    assert_eq!(next["events"][0]["id"], start + 4);
    assert_eq!(next["warnings"], json!([]));
}
