//! `POST /api/lms/publish` against the real site: an application's own course and assets,
//! keyed by its own ids, are made in Moodle with every new activity in one
//! `local_bridge_create_modules` call; the same publish again writes nothing; `complete: true`
//! hides what a call leaves out.

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    admin_login, calls_since, cmid, course_module, moodle_calls, moodle_course, moodle_modules,
    own_bridge,
};
use crate::real_moodle::gateway::delete_course;
use crate::real_moodle::{Bridge, site};

/// Whether a Moodle function writes (makes, changes, removes, enrols, uploads).
fn writes(function: &str) -> bool {
    [
        "create",
        "update",
        "delete",
        "edit",
        "enrol_manual",
        "upload",
    ]
    .iter()
    .any(|w| function.contains(w))
}

/// The publish body: six chapters (pages) and a quiz, or without the last chapter.
fn publication(run: &str, chapters: usize, complete: bool) -> Value {
    let mut assets: Vec<Value> = (1..=chapters)
        .map(|i| {
            json!({"id": format!("9b2f4c1e-0000-4000-8000-{i:012}"), "asset_name": format!("Chapter {i}"),
                   "asset_type": "page", "asset_content": format!("<p>Chapter {i} of the application's course.</p>")})
        })
        .collect();
    assets.push(json!({"id": "9b2f4c1e-0000-4000-8000-00000000000q", "asset_name": "Check yourself",
                       "asset_type": "quiz", "asset_content": {"questions": [
                           {"type": "truefalse", "text": "Light is a wave.", "answer": true, "points": 2}]}}));
    json!({
        "course": {"id": format!("7f1c2e9a-{run}"), "name": "Optics (from the app)",
                   "shortname": format!("REALAPP{run}"), "category_path": "Bridge real suite"},
        "assets": assets,
        "complete": complete,
        "publish": true,
    })
}

async fn publish(bridge: &Bridge, lms_token: &str, body: &Value) -> Value {
    let (status, answer) = bridge
        .send(
            Method::POST,
            "/api/lms/publish",
            &[("x-lms-token", lms_token)],
            body,
        )
        .await;
    assert_eq!(
        (status, &answer["success"]),
        (200, &json!(true)),
        "{answer}"
    );
    answer["data"].clone()
}

#[tokio::test]
async fn an_inline_publish_makes_its_activities_in_one_batch_call_and_a_repeat_writes_nothing() {
    let Some(site) = site() else { return };
    let (run, bridge) = own_bridge(&site, &[]).await;
    let lms_token = admin_login(&bridge, &site).await;

    let before = moodle_calls(&bridge).await;
    let first = publish(&bridge, &lms_token, &publication(&run, 6, false)).await;
    let calls = calls_since(&before, &moodle_calls(&bridge).await);
    assert_eq!(
        calls.get("local_bridge_create_modules"),
        Some(&1),
        "the seven new activities in one call: {calls:?}"
    );
    for one_by_one in ["local_bridge_create_page", "local_bridge_create_quiz"] {
        assert!(!calls.contains_key(one_by_one), "{calls:?}");
    }
    let moodle_id = moodle_course(&first);
    let entries = first["exported_assets"].as_array().expect("entries");
    assert_eq!(entries.len(), 7, "{first}");
    let modules = moodle_modules(&site, moodle_id).await;
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(
            (e["action"].as_str(), e["status"].as_str()),
            (Some("created"), Some("success")),
            "{e}"
        );
        let want = if i < 6 {
            (format!("Chapter {}", i + 1), "page")
        } else {
            ("Check yourself".to_owned(), "quiz")
        };
        assert_eq!(e["asset_name"], want.0, "{e}");
        assert!(e["asset_id"].is_string(), "{e}");
        let cm = cmid(e);
        assert!(
            modules
                .iter()
                .any(|m| (m.0, m.1.as_str(), m.2.as_str()) == (cm, want.1, want.0.as_str())),
            "{e} in {modules:?}"
        );
    }
    let read = site
        .admin_ws(
            "core_course_get_courses_by_field",
            &[("field", "id".to_owned()), ("value", moodle_id.to_string())],
        )
        .await;
    assert_eq!(
        (
            &read["courses"][0]["shortname"],
            &read["courses"][0]["fullname"]
        ),
        (
            &json!(format!("REALAPP{run}")),
            &json!("Optics (from the app)")
        ),
        "{read}"
    );
    let pages = site
        .ws(
            &site.token("admin_mobile"),
            "mod_page_get_pages_by_courses",
            &[("courseids[0]", moodle_id.to_string())],
        )
        .await;
    let fourth = pages["pages"]
        .as_array()
        .and_then(|l| l.iter().find(|p| p["name"] == "Chapter 4"))
        .unwrap_or_else(|| panic!("Chapter 4: {pages}"));
    assert_eq!(
        fourth["content"], "<p>Chapter 4 of the application's course.</p>",
        "{fourth}"
    );

    // The same publish again: Moodle is read, nothing is written.
    let before = moodle_calls(&bridge).await;
    let second = publish(&bridge, &lms_token, &publication(&run, 6, false)).await;
    let calls = calls_since(&before, &moodle_calls(&bridge).await);
    assert!(!calls.keys().any(|f| writes(f)), "only reads: {calls:?}");
    assert_eq!(moodle_course(&second), moodle_id);
    for e in second["exported_assets"].as_array().expect("entries") {
        assert_eq!(e["action"], "unchanged", "{e}");
    }
    assert_eq!(
        moodle_modules(&site, moodle_id).await,
        modules,
        "the same activities"
    );

    // Complete, without the sixth chapter: hidden in Moodle.
    let sixth = cmid(&entries[5]);
    let third = publish(&bridge, &lms_token, &publication(&run, 5, true)).await;
    let removed = &third["removed_assets"];
    assert_eq!(
        (
            removed[0]["lms_content_id"].as_str(),
            removed[0]["action"].as_str(),
            removed[0]["status"].as_str()
        ),
        (
            Some(sixth.to_string().as_str()),
            Some("hidden"),
            Some("success")
        ),
        "{third}"
    );
    let cm = course_module(&site, sixth)
        .await
        .expect("hidden, not deleted");
    assert_eq!(
        (&cm["visible"], &cm["idnumber"]),
        (&json!(0), &json!("")),
        "{cm}"
    );

    delete_course(&site, moodle_id).await;
    bridge.stop().await;
}
