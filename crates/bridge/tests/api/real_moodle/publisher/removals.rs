//! The other removals against the real site: with `LMS_DELETE_MODE=delete` an asset deleted
//! locally has its activity deleted in Moodle by the next push; a course deleted locally has its
//! Moodle course hidden by a job run with the token of its last push (the default `hide`).

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use super::{
    add_asset, admin_login, cmid, course_module, entry, moodle_course, new_course, own_bridge, push,
};
use crate::real_moodle::gateway::delete_course;
use crate::real_moodle::{Bridge, Site, site};

async fn delete(bridge: &Bridge, path: &str) {
    let (status, body) = bridge.send(Method::DELETE, path, &[], &json!(null)).await;
    assert_eq!(status, 204, "DELETE {path}: {body}");
}

/// The Moodle course as the administrator reads it (`core_course_get_courses_by_field`).
async fn moodle_course_row(site: &Site, id: i64) -> serde_json::Value {
    let read = site
        .admin_ws(
            "core_course_get_courses_by_field",
            &[("field", "id".to_owned()), ("value", id.to_string())],
        )
        .await;
    read["courses"][0].clone()
}

#[tokio::test]
async fn with_lms_delete_mode_delete_a_locally_deleted_asset_is_deleted_in_moodle_by_the_next_push()
{
    let Some(site) = site() else { return };
    let (run, bridge) = own_bridge(&site, &[("LMS_DELETE_MODE", "delete")]).await;
    let lms_token = admin_login(&bridge, &site).await;
    let course = new_course(&bridge, "Real delete", &format!("REALDEL{run}")).await;
    add_asset(
        &bridge,
        course,
        "intro",
        "page",
        json!("<p>Start here.</p>"),
    )
    .await;
    add_asset(
        &bridge,
        course,
        "link",
        "url",
        json!({"url": "https://en.wikipedia.org/wiki/Light"}),
    )
    .await;
    let first = push(&bridge, course, &lms_token, &["intro", "link"]).await;
    let moodle_id = moodle_course(&first);
    let link = cmid(entry(&first, "link"));
    assert!(course_module(&site, link).await.is_some());

    delete(&bridge, &format!("/api/courses/{course}/assets/link")).await;
    let second = push(&bridge, course, &lms_token, &["intro"]).await;
    assert_eq!(
        second["removed_assets"],
        json!([{"asset_name": "link", "lms_content_id": link.to_string(),
                "moodle_module": "url", "action": "deleted", "status": "success"}]),
        "{second}"
    );
    assert!(
        course_module(&site, link).await.is_none(),
        "deleted in Moodle"
    );

    delete_course(&site, moodle_id).await;
    bridge.stop().await;
}

#[tokio::test]
async fn a_locally_deleted_course_has_its_moodle_course_hidden_by_a_job_with_its_last_push_token() {
    let Some(site) = site() else { return };
    let (run, bridge) = own_bridge(&site, &[]).await;
    let lms_token = admin_login(&bridge, &site).await;
    let course = new_course(&bridge, "Real course hide", &format!("REALCHIDE{run}")).await;
    add_asset(
        &bridge,
        course,
        "intro",
        "page",
        json!("<p>Start here.</p>"),
    )
    .await;
    let first = push(&bridge, course, &lms_token, &["intro"]).await;
    let moodle_id = moodle_course(&first);
    assert_eq!(moodle_course_row(&site, moodle_id).await["visible"], 1);

    delete(&bridge, &format!("/api/courses/{course}")).await;
    let mut row = moodle_course_row(&site, moodle_id).await;
    for _ in 0..100 {
        if row["visible"] == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        row = moodle_course_row(&site, moodle_id).await;
    }
    assert_eq!(
        (&row["id"], &row["visible"]),
        (&json!(moodle_id), &json!(0)),
        "hidden, not deleted: {row}"
    );
    let mut status = json!(null);
    for _ in 0..100 {
        status = bridge.get("/api/sync/status").await.1;
        if status["removals_pending"] == 0 && status["jobs"]["succeeded"] == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        (&status["removals_pending"], &status["jobs"]["succeeded"]),
        (&json!(0), &json!(2)),
        "the push and the removal: {status}"
    );

    delete_course(&site, moodle_id).await;
    bridge.stop().await;
}
