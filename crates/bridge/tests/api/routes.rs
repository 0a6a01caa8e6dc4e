//! Every gateway route against the stand-in: the answer's shape (snapshots of the
//! envelope's structure), and what Moodle ends up with.

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::{Options, body_json, expect_error, expect_ok, spawn_app, spawn_app_with};

/// The structure of a JSON value: objects keep their keys, arrays their first element,
/// scalars become their type. Pins shapes without pinning data.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(a) => Value::Array(a.first().map(shape).into_iter().collect()),
        Value::String(_) => json!("string"),
        Value::Number(_) => json!("number"),
        Value::Bool(_) => json!("bool"),
        Value::Null => json!("null"),
    }
}

#[tokio::test]
async fn site_info_is_moodles_object_without_the_private_access_key() {
    let app = spawn_app().await;
    let body = body_json(app.site_info().await).await;
    assert_eq!(body["ok"], json!(true));
    let data = &body["data"];
    assert_eq!(data["username"], "admin");
    assert!(data["functions"].as_array().is_some_and(|f| !f.is_empty()));
    assert!(
        data.get("userprivateaccesskey").is_none(),
        "a credential leaked: {data}"
    );
    insta::assert_json_snapshot!("siteinfo_shape", shape(&body));
}

#[tokio::test]
async fn the_course_list_is_a_list_of_courses_without_the_front_page() {
    let app = spawn_app().await;
    let all = expect_ok(app.courses("").await).await;
    let ids: Vec<i64> = all
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["id"].as_i64())
        .collect();
    assert!(
        !ids.is_empty() && !ids.contains(&1),
        "front page excluded: {ids:?}"
    );
    insta::assert_json_snapshot!("courses_shape", shape(&json!({"ok": true, "data": all})));
    assert_eq!(app.sim.calls("core_course_get_courses"), 1);
}

#[tokio::test]
async fn search_unwraps_moodles_total_and_courses_into_a_list() {
    let app = spawn_app().await;
    let found = expect_ok(app.courses("?search=Physics").await).await;
    let list = found.as_array().expect("a list, not {total, courses}");
    assert!(!list.is_empty());
    assert!(
        list.iter().all(|c| c["fullname"]
            .as_str()
            .is_some_and(|n| n.contains("Physics"))),
        "{found}"
    );
    assert_eq!(app.sim.calls("core_course_search_courses"), 1);
    let none = expect_ok(app.courses("?search=NoSuchCourseAnywhere").await).await;
    assert_eq!(none, json!([]));
}

#[tokio::test]
async fn category_filter_uses_get_courses_by_field() {
    let app = spawn_app().await;
    let in_two = expect_ok(app.courses("?category=2").await).await;
    let list = in_two.as_array().expect("list");
    assert!(!list.is_empty());
    assert!(list.iter().all(|c| c["categoryid"] == json!(2)), "{in_two}");
    assert_eq!(app.sim.calls("core_course_get_courses_by_field"), 1);
    let both = expect_ok(app.courses("?search=Physics&category=999").await).await;
    assert_eq!(both, json!([]), "search results are filtered by category");
}

#[tokio::test]
async fn a_token_without_the_course_view_right_gets_its_own_courses() {
    let app = spawn_app_with(Options {
        role: "student1_bridge",
        ..Options::default()
    })
    .await;
    let mine = expect_ok(app.courses("").await).await;
    let ids: Vec<i64> = mine
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["id"].as_i64())
        .collect();
    assert!(!ids.is_empty() && !ids.contains(&1), "{mine}");
    assert_eq!(app.sim.calls("core_course_get_courses"), 1);
    assert_eq!(app.sim.calls("core_course_get_courses_by_field"), 1);
}

#[tokio::test]
async fn create_course_answers_id_and_shortname_and_the_course_exists() {
    let app = spawn_app().await;
    let created = expect_ok(
        app.create_course(&json!({
            "fullname": "Introduction to Python", "shortname": "PY101", "categoryid": 1,
            "summary": "Learn Python programming from scratch", "format": "topics", "visible": 1
        }))
        .await,
    )
    .await;
    assert_eq!(created["shortname"], "PY101");
    let id = created["id"].as_i64().expect("id");
    insta::assert_json_snapshot!("create_course", json!({"ok": true, "data": created}), {".data.id" => "[id]"});
    let listed = expect_ok(app.courses("").await).await;
    assert!(
        listed
            .as_array()
            .expect("list")
            .iter()
            .any(|c| c["id"] == json!(id)),
        "a write empties the cache"
    );
    let again = app
        .create_course(&json!({"fullname": "Again", "shortname": "PY101", "categoryid": 1}))
        .await;
    expect_error(again, 409, "shortnametaken").await;
}

#[tokio::test]
async fn patch_changes_only_the_given_fields_and_answers_the_course() {
    let app = spawn_app().await;
    let before = expect_ok(app.courses("").await).await;
    let physics = before
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["shortname"] == "PHYS101")
        .cloned()
        .expect("PHYS101");
    let updated = expect_ok(
        app.update_course("2", &json!({"fullname": "Advanced Physics", "visible": 0}))
            .await,
    )
    .await;
    assert_eq!(updated["id"], json!(2));
    assert_eq!(updated["fullname"], "Advanced Physics");
    assert_eq!(updated["visible"], json!(0));
    assert_eq!(
        updated["shortname"], physics["shortname"],
        "untouched fields stay"
    );
    assert_eq!(updated["summary"], physics["summary"]);
    expect_error(
        app.update_course("999", &json!({"fullname": "X"})).await,
        404,
        "invalidrecord",
    )
    .await;
    expect_error(
        app.update_course("abc", &json!({"fullname": "X"})).await,
        400,
        "invalidparameter",
    )
    .await;
}

#[tokio::test]
async fn users_by_field_lists_found_users_only() {
    let app = spawn_app().await;
    let users = expect_ok(
        app.users_by_field("?field=username&values=student1,student2,nobody")
            .await,
    )
    .await;
    let names: Vec<&str> = users
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|u| u["username"].as_str())
        .collect();
    assert_eq!(names, ["student1", "student2"]);
    insta::assert_json_snapshot!(
        "users_shape",
        shape(&json!({"ok": true, "data": [users[0].clone()]}))
    );
    let by_id = expect_ok(app.users_by_field("?field=id&values=4").await).await;
    assert_eq!(by_id[0]["username"], "student1");
}

#[tokio::test]
async fn enrol_answers_the_count_and_moodle_has_the_enrolment() {
    let app = spawn_app().await;
    let data = expect_ok(
        app.enrol(&json!({"enrolments": [{"roleid": 5, "userid": 8, "courseid": 2}]}))
            .await,
    )
    .await;
    assert_eq!(data, json!({"enrolled": 1}));
    assert_eq!(app.sim.calls("enrol_manual_enrol_users"), 1);
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("time")
            .as_secs(),
    )
    .expect("i64");
    assert!(app.sim.with_state(|s| s.is_enrolled(8, 2, now)));
}

#[tokio::test]
async fn notifications_answer_the_list_and_the_unread_count() {
    let app = spawn_app().await;
    let data = expect_ok(app.notifications("?userid=3&limit=2").await).await;
    let list = data["notifications"].as_array().expect("notifications");
    assert!(list.len() <= 2 && !list.is_empty(), "{data}");
    assert!(data["unreadcount"].is_i64());
    insta::assert_json_snapshot!(
        "notifications_shape",
        shape(&json!({"ok": true, "data": {"notifications": [list[0].clone()], "unreadcount": 0}}))
    );
    let count = expect_ok(app.unread_count("?userid=3").await).await;
    assert_eq!(count, json!({"count": data["unreadcount"]}));
}

#[tokio::test]
async fn upload_streams_a_file_into_the_draft_area() {
    let app = spawn_app().await;
    let content = "lecture notes\n".repeat(20_000);
    let form = Form::new()
        .part(
            "file",
            Part::bytes(content.clone().into_bytes())
                .file_name("notes.txt")
                .mime_str("text/plain")
                .expect("mime"),
        )
        .text("contextid", "1")
        .text("component", "user")
        .text("filearea", "draft");
    let data = expect_ok(app.upload(form).await).await;
    let itemid = data["itemid"].as_i64().expect("itemid");
    assert_eq!(data["files"][0]["filename"], "notes.txt");
    assert_eq!(data["files"][0]["filesize"], json!(content.len()));
    insta::assert_json_snapshot!("upload", json!({"ok": true, "data": data}), {".data.itemid" => "[itemid]", ".data.files[].itemid" => "[itemid]"});
    assert!(itemid > 0);
    assert_eq!(app.sim.calls("webservice/upload.php"), 1);
}

#[tokio::test]
async fn upload_refuses_other_areas_and_a_missing_file() {
    let app = spawn_app().await;
    let form = Form::new()
        .text("filearea", "intro")
        .part("file", Part::bytes(b"x".to_vec()).file_name("a.txt"));
    let body = expect_error(app.upload(form).await, 400, "invalidparameter").await;
    assert_eq!(body["error"]["details"]["field"], "filearea");
    expect_error(
        app.upload(Form::new().text("component", "user")).await,
        400,
        "invalidparameter",
    )
    .await;
    assert_eq!(app.sim.calls("webservice/upload.php"), 0);
}

#[tokio::test]
async fn attach_without_the_plugin_is_501_pluginrequired() {
    let app = spawn_app_with(Options {
        plugins: moodle_sim::Plugins::none(),
        ..Options::default()
    })
    .await;
    let body = expect_error(
        app.attach(&json!({"courseid": 2, "draftitemid": 5, "name": "Reading"}))
            .await,
        501,
        "pluginrequired",
    )
    .await;
    assert_eq!(body["error"]["details"]["plugin"], "local_bridge");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("local_bridge"))
    );
    assert_eq!(app.sim.calls("local_bridge_create_resource"), 0);
}

#[tokio::test]
async fn upload_then_attach_makes_a_file_activity() {
    let app = spawn_app().await;
    let form = Form::new().part(
        "file",
        Part::bytes(b"%PDF-1.4 reading".to_vec()).file_name("reading.pdf"),
    );
    let itemid = expect_ok(app.upload(form).await).await["itemid"]
        .as_i64()
        .expect("itemid");
    let attached = expect_ok(
        app.attach(
            &json!({"courseid": 2, "draftitemid": itemid, "name": "Course Materials PDF",
            "intro": "Essential reading materials for the course"}),
        )
        .await,
    )
    .await;
    let cmid = attached["cmid"].as_i64().expect("cmid");
    assert!(
        attached["instance"].as_i64().is_some_and(|i| i > 0),
        "{attached}"
    );
    insta::assert_json_snapshot!("attach", json!({"ok": true, "data": attached}), {".data.cmid" => "[id]", ".data.instance" => "[id]"});
    let made = app
        .sim
        .with_state(|s| s.cms.get(&cmid).map(|cm| (cm.course, cm.modname.clone())));
    assert_eq!(made, Some((2, "resource".to_owned())));
    let again = app
        .attach(&json!({"courseid": 2, "draftitemid": 999_999, "name": "Nothing"}))
        .await;
    let (status, body) = crate::helpers::status_json(again).await;
    assert!(
        (400..500).contains(&status),
        "a bad draft area is the caller's mistake: {status} {body}"
    );
}

#[tokio::test]
async fn reads_are_cached_until_a_write_and_the_cache_can_be_turned_off() {
    let app = spawn_app().await;
    expect_ok(app.site_info().await).await;
    expect_ok(app.site_info().await).await;
    expect_ok(app.courses("").await).await;
    expect_ok(app.courses("").await).await;
    assert_eq!(app.sim.calls("core_webservice_get_site_info"), 1);
    assert_eq!(app.sim.calls("core_course_get_courses"), 1);
    expect_ok(app.update_course("3", &json!({"summary": "changed"})).await).await;
    let after = expect_ok(app.courses("").await).await;
    assert!(
        after
            .as_array()
            .expect("list")
            .iter()
            .any(|c| c["id"] == json!(3) && c["summary"] == "changed")
    );
    let uncached = spawn_app_with(Options::default().env("MOODLE_CACHE_TTL_SECONDS", "0")).await;
    expect_ok(uncached.site_info().await).await;
    expect_ok(uncached.site_info().await).await;
    assert_eq!(uncached.sim.calls("core_webservice_get_site_info"), 2);
}
