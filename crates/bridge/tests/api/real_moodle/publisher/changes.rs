//! Deletes that reach the real Moodle and deletes made in it: an asset deleted locally is
//! hidden by the next push with its ID number freed (`LMS_DELETE_MODE=hide`, the default), so
//! the name can be used again; an activity, then the whole course, deleted by the
//! administrator in Moodle is found missing by the next push and made again.

use reqwest::Method;
use serde_json::json;

use super::{
    add_asset, admin_login, cmid, course_module, entry, moodle_course, moodle_modules, new_course,
    own_bridge, push,
};
use crate::real_moodle::gateway::delete_course;
use crate::real_moodle::site;

#[tokio::test]
async fn an_asset_deleted_locally_is_hidden_in_moodle_by_the_next_push_with_its_id_number_freed() {
    let Some(site) = site() else { return };
    let (run, bridge) = own_bridge(&site, &[]).await;
    let prefix = format!("real{run}");
    let lms_token = admin_login(&bridge, &site).await;
    let course = new_course(&bridge, "Real hide", &format!("REALHIDE{run}")).await;
    add_asset(
        &bridge,
        course,
        "intro",
        "page",
        json!("<p>Start here.</p>"),
    )
    .await;
    let link_content = json!({"url": "https://en.wikipedia.org/wiki/Light"});
    add_asset(&bridge, course, "link", "url", link_content.clone()).await;
    let first = push(&bridge, course, &lms_token, &["intro", "link"]).await;
    let moodle_id = moodle_course(&first);
    let link = cmid(entry(&first, "link"));
    let idnumber = format!("{prefix}:{course}:link");
    let cm = course_module(&site, link).await.expect("the URL activity");
    assert_eq!(
        (&cm["visible"], &cm["idnumber"]),
        (&json!(1), &json!(idnumber))
    );

    let (status, body) = bridge
        .send(
            Method::DELETE,
            &format!("/api/courses/{course}/assets/link"),
            &[],
            &json!(null),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let cm = course_module(&site, link).await.expect("still there");
    assert_eq!(cm["visible"], 1, "nothing reaches Moodle before a push");

    let second = push(&bridge, course, &lms_token, &["intro"]).await;
    assert_eq!(
        second["removed_assets"],
        json!([{"asset_name": "link", "lms_content_id": link.to_string(),
                "moodle_module": "url", "action": "hidden", "status": "success"}]),
        "{second}"
    );
    assert_eq!(entry(&second, "intro")["action"], "unchanged", "{second}");
    let cm = course_module(&site, link)
        .await
        .expect("hidden, not deleted");
    assert_eq!(
        (&cm["visible"], &cm["idnumber"]),
        (&json!(0), &json!("")),
        "hidden with its ID number freed: {cm}"
    );
    let found = site
        .admin_ws(
            "local_bridge_find_modules_by_idnumber",
            &[
                ("courseid", moodle_id.to_string()),
                ("idnumbers[0]", idnumber.clone()),
            ],
        )
        .await;
    assert_eq!(
        (&found["modules"], &found["warnings"][0]["warningcode"]),
        (&json!([]), &json!("idnumbernotfound")),
        "the ID number no longer finds it: {found}"
    );

    // The name used again: a new activity with the freed ID number.
    add_asset(&bridge, course, "link", "url", link_content).await;
    let third = push(&bridge, course, &lms_token, &["intro", "link"]).await;
    let again = entry(&third, "link");
    assert_eq!(again["action"], "created", "{third}");
    assert_ne!(cmid(again), link);
    let cm = course_module(&site, cmid(again))
        .await
        .expect("the new one");
    assert_eq!(
        (&cm["visible"], &cm["idnumber"]),
        (&json!(1), &json!(idnumber))
    );
    assert!(
        third.get("removed_assets").is_none() || third["removed_assets"] == json!([]),
        "nothing left to remove: {third}"
    );

    delete_course(&site, moodle_id).await;
    bridge.stop().await;
}

#[tokio::test]
async fn an_activity_or_the_course_deleted_in_moodle_is_made_again_by_the_next_push() {
    let Some(site) = site() else { return };
    let (run, bridge) = own_bridge(&site, &[]).await;
    let prefix = format!("real{run}");
    let lms_token = admin_login(&bridge, &site).await;
    let course = new_course(&bridge, "Real remake", &format!("REALREMAKE{run}")).await;
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
        "discuss",
        "forum",
        json!({"intro": "Questions about light"}),
    )
    .await;
    let names = ["intro", "discuss"];
    let first = push(&bridge, course, &lms_token, &names).await;
    let moodle_id = moodle_course(&first);
    let discuss = cmid(entry(&first, "discuss"));

    let deleted = site
        .admin_ws(
            "core_course_delete_modules",
            &[("cmids[0]", discuss.to_string())],
        )
        .await;
    assert!(deleted.is_null(), "{deleted}");
    assert!(
        course_module(&site, discuss).await.is_none(),
        "gone in Moodle"
    );

    let second = push(&bridge, course, &lms_token, &names).await;
    assert_eq!(moodle_course(&second), moodle_id);
    assert_eq!(entry(&second, "intro")["action"], "unchanged", "{second}");
    let remade = entry(&second, "discuss");
    assert_eq!(
        (remade["action"].as_str(), remade["status"].as_str()),
        (Some("created"), Some("success")),
        "{second}"
    );
    let new_cm = cmid(remade);
    assert_ne!(new_cm, discuss);
    let modules = moodle_modules(&site, moodle_id).await;
    assert!(
        modules
            .iter()
            .any(|m| (m.0, m.1.as_str(), m.2.as_str()) == (new_cm, "forum", "discuss")),
        "{modules:?}"
    );
    let cm = course_module(&site, new_cm).await.expect("the new forum");
    assert_eq!(cm["idnumber"], format!("{prefix}:{course}:discuss"));
    let (status, shown) = bridge
        .get(&format!("/api/courses/{course}/assets/discuss"))
        .await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(
        (
            shown["moodle"][0]["cmid"].as_i64(),
            shown["moodle"][0]["sync_status"].as_str()
        ),
        (Some(new_cm), Some("synced")),
        "the mapping is repaired: {shown}"
    );
    let third = push(&bridge, course, &lms_token, &names).await;
    for name in names {
        assert_eq!(entry(&third, name)["action"], "unchanged", "{third}");
    }

    // The whole course deleted in Moodle: a new course with every activity.
    delete_course(&site, moodle_id).await;
    let fourth = push(&bridge, course, &lms_token, &names).await;
    let again = moodle_course(&fourth);
    assert_ne!(again, moodle_id);
    for name in names {
        assert_eq!(entry(&fourth, name)["action"], "created", "{fourth}");
    }
    let read = site
        .admin_ws(
            "core_course_get_courses_by_field",
            &[
                ("field", "idnumber".to_owned()),
                ("value", format!("{prefix}:{course}")),
            ],
        )
        .await;
    assert_eq!(read["courses"][0]["id"], again, "{read}");
    let mut kinds: Vec<String> = moodle_modules(&site, again)
        .await
        .into_iter()
        .map(|m| m.1)
        .collect();
    kinds.sort_unstable();
    // The news forum Moodle adds, the page and the forum.
    assert_eq!(kinds, ["forum", "forum", "page"]);
    let (_, shown) = bridge.get(&format!("/api/courses/{course}")).await;
    assert_eq!(shown["moodle"][0]["moodle_course_id"], again, "{shown}");

    delete_course(&site, again).await;
    bridge.stop().await;
}
