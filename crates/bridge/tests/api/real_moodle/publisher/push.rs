//! A push against the real site: `POST /api/login-lms` with real passwords, a course with a
//! page, a file, a URL and a quiz, made through `local_bridge`, read back with
//! `core_course_get_contents`, and a second push that makes nothing twice.

use reqwest::Method;
use serde_json::{Value, json};

use super::moodle_modules;
use super::own_bridge;
use crate::helpers::status_json;
use crate::real_moodle::gateway::delete_course;
use crate::real_moodle::{Bridge, site, with_query};

async fn push(bridge: &Bridge, course: i64, lms_token: &str) -> Value {
    let (status, body) = bridge
        .send(
            Method::POST,
            &format!("/api/courses/{course}/push-to-lms"),
            &[("x-lms-token", lms_token)],
            &json!({
                "asset_names": ["intro", "syllabus", "link", "quiz1"],
                "asset_type": ["page", "file", "url", "quiz"],
                "publish": true,
                "export_format": "lms_standard",
            }),
        )
        .await;
    assert_eq!((status, &body["success"]), (200, &json!(true)), "{body}");
    body["data"].clone()
}

#[tokio::test]
async fn a_course_is_pushed_with_real_passwords_and_a_second_push_duplicates_nothing() {
    let Some(site) = site() else { return };
    let (run, bridge) = own_bridge(&site, &[]).await;
    let prefix = format!("real{run}");

    let (status, body) = bridge
        .send(
            Method::POST,
            "/api/login-lms",
            &[],
            &json!({"email": "admin", "password": "not-the-password"}),
        )
        .await;
    assert_eq!(status, 401, "{body}");
    assert!(body["detail"].is_string(), "{body}");
    let (status, body) = bridge
        .send(
            Method::POST,
            "/api/login-lms",
            &[],
            &json!({"email": "admin@example.com", "password": site.password("admin")}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let lms_token = body["data"]["token"].as_str().expect("token").to_owned();
    assert!(
        !body.to_string().contains(&site.password("admin")),
        "the password is never echoed"
    );

    let shortname = format!("REALPUB{run}");
    let (status, course) = bridge
        .send(
            Method::POST,
            "/api/courses",
            &[],
            &json!({"name": "Real push", "description": "<p>Pushed by the real suite.</p>",
                    "category_path": "Bridge real suite", "shortname": shortname}),
        )
        .await;
    assert_eq!(status, 201, "{course}");
    let course = course["id"].as_i64().expect("id");
    let assets = [
        ("intro", "page", json!("<h2>Welcome</h2><p>Start here.</p>")),
        (
            "link",
            "url",
            json!({"url": "https://en.wikipedia.org/wiki/Light", "display": "popup"}),
        ),
        (
            "quiz1",
            "quiz",
            json!({"questions": [
                {"type": "multichoice", "text": "What is fastest?", "options": ["Light", "Sound"], "answer": "Light", "points": 2},
                {"type": "truefalse", "text": "Light is a wave.", "answer": true}
            ]}),
        ),
    ];
    for (name, kind, content) in assets {
        let (status, body) = bridge
            .send(
                Method::POST,
                &format!("/api/courses/{course}/assets"),
                &[],
                &json!({"asset_name": name, "asset_type": kind, "asset_content": content}),
            )
            .await;
        assert_eq!(status, 201, "{name}: {body}");
    }
    let pdf: &[u8] = b"%PDF-1.4 real syllabus";
    let form = reqwest::multipart::Form::new()
        .text("asset_name", "syllabus")
        .text("asset_type", "file")
        .part(
            "file",
            reqwest::multipart::Part::bytes(pdf)
                .file_name("syllabus.pdf")
                .mime_str("application/pdf")
                .expect("mime"),
        );
    let (status, body) = status_json(
        bridge
            .request(Method::POST, &format!("/api/courses/{course}/assets"))
            .multipart(form)
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(status, 201, "{body}");

    let first = push(&bridge, course, &lms_token).await;
    let moodle_id: i64 = first["lms_course_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("lms_course_id: {first}"));
    let read = site
        .admin_ws(
            "core_course_get_courses_by_field",
            &[("field", "id".to_owned()), ("value", moodle_id.to_string())],
        )
        .await;
    assert_eq!(
        (
            &read["courses"][0]["shortname"],
            &read["courses"][0]["idnumber"]
        ),
        (&json!(shortname), &json!(format!("{prefix}:{course}"))),
        "{read}"
    );
    let modules = moodle_modules(&site, moodle_id).await;
    let mut kinds: Vec<&str> = modules.iter().map(|m| m.1.as_str()).collect();
    kinds.sort_unstable();
    // Moodle: create_course() adds the news forum (`newsitems` defaults to 5).
    assert_eq!(
        kinds,
        ["forum", "page", "quiz", "resource", "url"],
        "{modules:?}"
    );
    assert!(
        modules
            .iter()
            .any(|m| m.1 == "forum" && m.2 == "Announcements")
    );
    for entry in first["exported_assets"].as_array().expect("exported") {
        assert_eq!(
            (entry["status"].as_str(), entry["action"].as_str()),
            (Some("success"), Some("created")),
            "{entry}"
        );
        let cmid: i64 = entry["lms_content_id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("cmid");
        let module = modules.iter().find(|m| m.0 == cmid);
        assert_eq!(
            module.map(|m| m.1.as_str()),
            entry["moodle_module"].as_str(),
            "{entry} in {modules:?}"
        );
    }
    let contents = site
        .admin_ws(
            "core_course_get_contents",
            &[("courseid", moodle_id.to_string())],
        )
        .await;
    let text = contents.to_string();
    assert!(
        text.contains("syllabus.pdf"),
        "the file is in Moodle: {text}"
    );
    assert!(
        text.contains("https://en.wikipedia.org/wiki/Light"),
        "the URL is in Moodle"
    );
    let syllabus = contents
        .as_array()
        .expect("sections")
        .iter()
        .flat_map(|s| s["modules"].as_array().cloned().unwrap_or_default())
        .find(|m| m["modname"] == "resource")
        .expect("the file activity");
    let fileurl = syllabus["contents"][0]["fileurl"]
        .as_str()
        .expect("fileurl");
    let token = site.token("admin_bridge");
    let served = bridge
        .http
        .get(with_query(fileurl, &[("token", &token)]))
        .send()
        .await
        .expect("download");
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.expect("bytes").as_ref(), pdf);

    let second = push(&bridge, course, &lms_token).await;
    assert_eq!(second["lms_course_id"], first["lms_course_id"], "{second}");
    for entry in second["exported_assets"].as_array().expect("exported") {
        assert_eq!(entry["status"], "success", "{entry}");
        assert_ne!(entry["action"], "created", "nothing is made twice: {entry}");
    }
    let again = moodle_modules(&site, moodle_id).await;
    assert_eq!(again, modules, "the same activities, none added");
    let same_idnumber = site
        .admin_ws(
            "core_course_get_courses_by_field",
            &[
                ("field", "idnumber".to_owned()),
                ("value", format!("{prefix}:{course}")),
            ],
        )
        .await;
    assert_eq!(
        same_idnumber["courses"].as_array().map(Vec::len),
        Some(1),
        "one course: {same_idnumber}"
    );

    delete_course(&site, moodle_id).await;
    bridge.stop().await;
}
