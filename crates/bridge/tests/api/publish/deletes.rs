//! Deletes and changes that reach Moodle: a deleted asset's activity is hidden (its ID number
//! freed), deleted or left (`LMS_DELETE_MODE`) by the next push; a deleted course's Moodle
//! course is hidden by a job; an asset whose type changed replaces its activity; what was
//! deleted in Moodle is made again and the mapping repaired; the local routes show what is in
//! Moodle.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use super::helpers::{DEMO_ASSETS, moodle_call, moodle_courses, options, publisher_app, push_body};
use crate::helpers::{TestApp, spawn_app_with, status_json};

/// The demo course pushed; answers (course, Moodle course, LMS token, cmid by asset name).
async fn pushed_demo(app: &TestApp) -> (i64, i64, String, Vec<(String, i64)>) {
    let course = app.demo_course().await;
    let token = app.lms_token().await;
    let (status, body) = status_json(
        app.push(&course.to_string(), &token, &push_body(&DEMO_ASSETS))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let moodle_id = body["data"]["lms_course_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("id");
    let cmids = body["data"]["exported_assets"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["asset_name"].as_str().expect("name").to_owned(),
                e["lms_content_id"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .expect("cmid"),
            )
        })
        .collect();
    (course, moodle_id, token, cmids)
}

fn cmid_of(cmids: &[(String, i64)], name: &str) -> i64 {
    cmids
        .iter()
        .find(|c| c.0 == name)
        .map(|c| c.1)
        .expect("asset")
}

/// (visible, ID number) of a course module; `None` when it is gone.
fn module(app: &TestApp, cmid: i64) -> Option<(bool, String)> {
    app.sim.with_state(|s| {
        s.cms
            .get(&cmid)
            .map(|m| (m.visible, m.idnumber.clone().unwrap_or_default()))
    })
}

async fn delete(app: &TestApp, path: &str) {
    let response = app.publisher_json(Method::DELETE, path, &[], None).await;
    assert_eq!(response.status(), 204, "DELETE {path}");
}

#[tokio::test]
async fn a_deleted_asset_is_hidden_by_the_next_push_with_its_id_number_freed() {
    let app = publisher_app().await;
    let (course, _, token, cmids) = pushed_demo(&app).await;
    let link = cmid_of(&cmids, "link");
    delete(&app, &format!("/api/courses/{course}/assets/link")).await;
    assert_eq!(
        module(&app, link),
        Some((true, format!("bridge:{course}:link")))
    );
    assert_eq!(app.sync_status().await["removals_pending"], 1);
    let rest: Vec<&str> = DEMO_ASSETS
        .iter()
        .copied()
        .filter(|n| *n != "link")
        .collect();
    let (status, body) = status_json(
        app.push(&course.to_string(), &token, &push_body(&rest))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let removed = &body["data"]["removed_assets"];
    assert_eq!(
        removed,
        &json!([{"asset_name": "link", "lms_content_id": link.to_string(), "moodle_module": "url", "action": "hidden", "status": "success"}])
    );
    assert_eq!(module(&app, link), Some((false, String::new())));
    assert_eq!(app.sync_status().await["removals_pending"], 0);
    // The name used again: a new activity, not the hidden one.
    let (status, _) = status_json(
        app.add_asset(
            course,
            "link",
            "url",
            json!({"url": "https://example.org/again"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201);
    let (status, body) = status_json(
        app.push(&course.to_string(), &token, &push_body(&["link"]))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let entry = &body["data"]["exported_assets"][0];
    assert_eq!(entry["action"], "created", "{entry}");
    assert_ne!(entry["lms_content_id"], link.to_string());
    assert!(
        body["data"].get("removed_assets").is_none(),
        "nothing left to remove"
    );
}

#[tokio::test]
async fn with_lms_delete_mode_delete_a_deleted_asset_is_deleted_and_with_keep_left_alone() {
    for (mode, expect) in [("delete", None), ("keep", Some(true))] {
        let app = spawn_app_with(options().env("LMS_DELETE_MODE", mode)).await;
        let (course, _, token, cmids) = pushed_demo(&app).await;
        let notes = cmid_of(&cmids, "notes");
        delete(&app, &format!("/api/courses/{course}/assets/notes")).await;
        let (status, body) = status_json(
            app.push(&course.to_string(), &token, &push_body(&["intro"]))
                .await,
        )
        .await;
        assert_eq!(status, 200, "{mode}: {body}");
        assert_eq!(module(&app, notes).map(|m| m.0), expect, "{mode}: {body}");
        if mode == "delete" {
            assert_eq!(body["data"]["removed_assets"][0]["action"], "deleted");
            assert_eq!(app.sim.calls("core_course_delete_modules"), 1);
        } else {
            assert!(body["data"].get("removed_assets").is_none(), "{body}");
        }
    }
}

#[tokio::test]
async fn a_deleted_course_has_its_moodle_course_hidden_with_its_last_push_token() {
    let app = publisher_app().await;
    let (course, moodle_id, _, _) = pushed_demo(&app).await;
    let visible = |app: &TestApp| {
        app.sim
            .with_state(|s| s.courses.get(&moodle_id).map(|c| c.visible))
    };
    assert_eq!(visible(&app), Some(true));
    delete(&app, &format!("/api/courses/{course}")).await;
    for _ in 0..100 {
        if visible(&app) == Some(false) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(visible(&app), Some(false), "hidden, not deleted");
    // The job records its outcome after Moodle answered: wait for that too.
    let mut status = app.sync_status().await;
    for _ in 0..100 {
        if status["removals_pending"] == 0 && status["jobs"]["succeeded"] == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        status = app.sync_status().await;
    }
    assert_eq!(status["removals_pending"], 0, "{status}");
    assert_eq!(
        status["jobs"]["succeeded"], 2,
        "the push and the removal: {status}"
    );
}

#[tokio::test]
async fn an_activity_or_a_course_deleted_in_moodle_is_made_again_and_the_mapping_repaired() {
    let app = publisher_app().await;
    let (course, moodle_id, token, cmids) = pushed_demo(&app).await;
    let discuss = cmid_of(&cmids, "discuss");
    let deleted = moodle_call(
        &app.sim,
        "admin_bridge",
        "core_course_delete_modules",
        &[("cmids[0]", discuss.to_string())],
    )
    .await;
    assert!(deleted.is_null(), "{deleted}");
    let (status, body) = status_json(
        app.push(&course.to_string(), &token, &push_body(&DEMO_ASSETS))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for entry in body["data"]["exported_assets"].as_array().expect("entries") {
        let want = if entry["asset_name"] == "discuss" {
            "created"
        } else {
            "unchanged"
        };
        assert_eq!(entry["action"], want, "{entry}");
    }
    // The whole course deleted in Moodle: made again, with every activity.
    let deleted = moodle_call(
        &app.sim,
        "admin_bridge",
        "core_course_delete_courses",
        &[("courseids[0]", moodle_id.to_string())],
    )
    .await;
    assert_eq!(deleted["warnings"], json!([]), "{deleted}");
    let (status, body) = status_json(
        app.push(&course.to_string(), &token, &push_body(&DEMO_ASSETS))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let again: i64 = body["data"]["lms_course_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("id");
    assert_ne!(again, moodle_id);
    assert_eq!(
        moodle_courses(&app.sim, &format!("bridge:{course}")).len(),
        1
    );
    for entry in body["data"]["exported_assets"].as_array().expect("entries") {
        assert_eq!(entry["action"], "created", "{entry}");
    }
    let (status, shown) = status_json(app.get(&format!("/api/courses/{course}")).await).await;
    assert_eq!(status, 200);
    assert_eq!(shown["moodle"][0]["moodle_course_id"], again, "{shown}");
}

#[tokio::test]
async fn an_asset_whose_type_changed_replaces_its_activity() {
    let app = publisher_app().await;
    let (course, _, token, cmids) = pushed_demo(&app).await;
    let intro = cmid_of(&cmids, "intro");
    let changed = app
        .publisher_json(
            Method::PATCH,
            &format!("/api/courses/{course}/assets/intro"),
            &[],
            Some(&json!({"asset_type": "url", "asset_content": {"url": "https://example.org/start"}})),
        )
        .await;
    let (status, body) = status_json(changed).await;
    assert_eq!(
        (status, body["asset_type"].as_str()),
        (200, Some("url")),
        "{body}"
    );
    let to_file = app
        .publisher_json(
            Method::PATCH,
            &format!("/api/courses/{course}/assets/notes"),
            &[],
            Some(&json!({"asset_type": "file", "asset_content": {}})),
        )
        .await;
    assert_eq!(to_file.status(), 422);
    let (status, body) = status_json(
        app.push(&course.to_string(), &token, &push_body(&["intro"]))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let entry = &body["data"]["exported_assets"][0];
    assert_eq!(
        (
            entry["moodle_module"].as_str(),
            entry["action"].as_str(),
            entry["replaced"].as_str()
        ),
        (
            Some("url"),
            Some("created"),
            Some(intro.to_string().as_str())
        ),
        "{entry}"
    );
    assert_eq!(module(&app, intro), Some((false, String::new())));
}

#[tokio::test]
async fn the_local_routes_show_what_is_in_moodle() {
    let app = publisher_app().await;
    let before = app.demo_course().await;
    let (status, listed) = status_json(app.get("/api/courses").await).await;
    assert_eq!(status, 200);
    assert_eq!(listed[0]["id"], before);
    assert_eq!(listed[0]["moodle"], json!([]), "not pushed yet: {listed}");
    let token = app.lms_token().await;
    let (status, body) = status_json(
        app.push(&before.to_string(), &token, &push_body(&DEMO_ASSETS))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let moodle_id = body["data"]["lms_course_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (_, shown) = status_json(app.get(&format!("/api/courses/{before}")).await).await;
    let side = &shown["moodle"][0];
    assert_eq!(side["lms"], "default");
    assert_eq!(side["moodle_course_id"].to_string(), moodle_id);
    assert_eq!(
        side["url"],
        format!("{}/course/view.php?id={moodle_id}", app.sim.url())
    );
    assert_eq!(side["sync_status"], "synced");
    assert!(side["last_pushed_at"].is_string(), "{side}");
    assert!(side["last_error"].is_null(), "{side}");
    let (_, asset) = status_json(
        app.get(&format!("/api/courses/{before}/assets/quiz1"))
            .await,
    )
    .await;
    let activity = &asset["moodle"][0];
    let cmid = activity["cmid"].as_i64().expect("cmid");
    assert_eq!(activity["moodle_module"], "quiz");
    assert_eq!(
        activity["url"],
        format!("{}/mod/quiz/view.php?id={cmid}", app.sim.url())
    );
    assert_eq!(activity["sync_status"], "synced");
    let changed = app
        .publisher_json(
            Method::PATCH,
            &format!("/api/courses/{before}/assets/intro"),
            &[],
            Some(&json!({"asset_content": "<p>Changed</p>"})),
        )
        .await;
    let (_, changed) = status_json(changed).await;
    assert!(changed.get("moodle").is_none(), "only GET routes show it");
    let (_, assets) = status_json(app.get(&format!("/api/courses/{before}/assets")).await).await;
    assert_eq!(
        assets[0]["moodle"][0]["sync_status"], "out_of_date",
        "{assets}"
    );
    assert_eq!(assets[1]["moodle"][0]["sync_status"], "synced");
}
