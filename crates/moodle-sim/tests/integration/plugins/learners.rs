//! `local_bridge`'s file functions serve learners' files only (a student-archetype role in the
//! course), and `download.php` runs the course's login checks for the token's user (active
//! enrolment or `moodle/course:view`; suspended accounts refused), as the PHP plugin does.

use serde_json::Value;

use super::bridge::list;
use super::setup;
use crate::support::{Site, errorcode};

/// `POST download.php`: status and error code (`None` for a file).
async fn download(site: &Site, token: &str, courseid: &str, fileid: &str) -> (u16, Option<String>) {
    let resp = site
        .http
        .post(format!("{}/local/bridge/download.php", site.sim.url()))
        .form(&[("token", token), ("courseid", courseid), ("fileid", fileid)])
        .send()
        .await
        .expect("download");
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    (status, body["errorcode"].as_str().map(str::to_owned))
}

/// The file id of one of Alice's files as the admin lists them.
async fn alices_file(site: &Site, name: &str) -> String {
    let listed = list(site, "admin_bridge", &[("courseid", "2"), ("userid", "4")]).await;
    listed["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["filename"] == name)
        .map(|f| f["fileid"].to_string())
        .expect("listed")
}

#[tokio::test]
async fn the_files_of_a_participant_who_is_no_learner_are_refused_with_notalearner() {
    let site = Site::start().await;
    for role in ["admin_bridge", "teacher1_bridge"] {
        let teacher = list(&site, role, &[("courseid", "2"), ("userid", "3")]).await;
        assert_eq!(errorcode(&teacher), Some("notalearner"), "asked by {role}");
        assert_eq!(
            teacher["message"],
            "The user with id 3 holds no learner (student) role in this course: only learners' files can be listed."
        );
    }
}

#[tokio::test]
async fn a_student_role_held_besides_a_teacher_role_makes_a_learner() {
    let site = Site::start().await;
    let enrolled = site
        .call(
            &site.token("admin_bridge"),
            "enrol_manual_enrol_users",
            &[
                ("enrolments[0][roleid]", "5"),
                ("enrolments[0][userid]", "3"),
                ("enrolments[0][courseid]", "2"),
            ],
        )
        .await;
    assert_eq!(enrolled, Value::Null, "{enrolled}");
    let listed = list(&site, "admin_bridge", &[("courseid", "2"), ("userid", "3")]).await;
    assert_eq!(listed["warnings"], Value::Array(vec![]), "{listed}");
    assert!(listed["files"].is_array(), "{listed}");
}

#[tokio::test]
async fn download_refuses_the_files_of_non_learners_as_not_found() {
    let site = Site::start().await;
    let fx = setup(&site).await;
    let teachers_file = fx.body["teacher1_private_fileid"].to_string();
    assert_ne!(teachers_file, "0");
    let (status, code) = download(&site, &site.token("admin_bridge"), "2", &teachers_file).await;
    assert_eq!((status, code.as_deref()), (404, Some("filenotfound")));
    let alices = alices_file(&site, "study_notes.txt").await;
    let (status, code) = download(&site, &site.token("admin_bridge"), "2", &alices).await;
    assert_eq!((status, code), (200, None));
}

#[tokio::test]
async fn download_runs_the_course_login_checks_for_the_tokens_user() {
    let site = Site::start().await;
    let fx = setup(&site).await;
    let csv = alices_file(&site, "pendulum_data_alice.csv").await;
    let (status, code) = download(&site, fx.token("ltteacher_bridge"), "2", &csv).await;
    assert_eq!(
        (status, code.as_deref()),
        (403, Some("requireloginerror")),
        "an editing teacher whose enrolment is suspended keeps the role but not the course"
    );
    let listed = list(
        &site,
        "teacher1_bridge",
        &[("courseid", "2"), ("userid", "4")],
    )
    .await;
    assert!(listed["files"].is_array());
    let by_lapsed = site
        .call(
            fx.token("ltteacher_bridge"),
            "local_bridge_list_user_files",
            &[("courseid", "2"), ("userid", "4")],
        )
        .await;
    assert_eq!(errorcode(&by_lapsed), Some("requireloginerror"));

    let (status, code) = download(&site, fx.token("suspended_bridge"), "2", &csv).await;
    assert_eq!(
        (status, code.as_deref()),
        (403, Some("wsaccessusersuspended"))
    );
}

#[tokio::test]
async fn missing_records_are_invalidrecordunknown_on_moodle_5_without_debugging() {
    let site = Site::start().await;
    let teacher = site.token("teacher1_bridge");
    let unknown_user = || {
        list(
            &site,
            "teacher1_bridge",
            &[("courseid", "2"), ("userid", "999")],
        )
    };
    assert_eq!(errorcode(&unknown_user().await), Some("invaliduser"));
    site.sim
        .with_state(|s| s.site.version = "2025041406.11".to_owned());
    assert_eq!(
        errorcode(&unknown_user().await),
        Some("invalidrecordunknown")
    );
    let (status, code) = download(&site, &teacher, "999999", "1").await;
    assert_eq!(
        (status, code.as_deref()),
        (404, Some("invalidrecordunknown"))
    );
    let page = site
        .call(
            &teacher,
            "local_bridge_create_page",
            &[("courseid", "999999"), ("name", "x"), ("content", "x")],
        )
        .await;
    assert_eq!(errorcode(&page), Some("invalidrecordunknown"));
    assert_eq!(page["message"], "Can't find data record in database.");
    site.sim.with_state(|s| s.site.debug = true);
    assert_eq!(
        errorcode(&unknown_user().await),
        Some("invaliduser"),
        "debugging names the table"
    );
}
