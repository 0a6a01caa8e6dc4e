//! The gateway's `/api/moodle/*` routes (`docs/contracts/gateway.md`) through the binary
//! against the real site: every route's success, read back through Moodle's own web services,
//! and the errors a real site gives (duplicate shortname, missing course, a function not in the
//! service, a token without the capability). The course it makes is deleted again when the
//! test passes.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Bridge, Site, run_id, site};
use crate::helpers::status_json;

/// Asserts the gateway's error envelope.
fn refused(answer: &(u16, Value), status: u16, code: &str) {
    assert_eq!(
        (
            answer.0,
            answer.1["error"]["code"].as_str(),
            &answer.1["ok"]
        ),
        (status, Some(code), &json!(false)),
        "{}",
        answer.1
    );
}

/// Asserts the success envelope; answers `data`.
fn ok(answer: (u16, Value)) -> Value {
    assert_eq!(
        (answer.0, &answer.1["ok"]),
        (200, &json!(true)),
        "{}",
        answer.1
    );
    answer.1["data"].clone()
}

#[tokio::test]
async fn every_gateway_route_answers_from_the_real_moodle() {
    let Some(site) = site() else { return };
    let bridge = Bridge::start(&site, &[]).await;

    let info = ok(bridge.get("/api/moodle/siteinfo").await);
    assert_eq!(info["sitename"], "Moodle Real Test Site");
    assert!(
        info["release"]
            .as_str()
            .is_some_and(|r| r.starts_with("4.5") || r.starts_with("5.")),
        "{info}"
    );
    assert!(
        info.get("userprivateaccesskey").is_none(),
        "no private key leaks"
    );
    let has = |f: &str| {
        info["functions"]
            .as_array()
            .is_some_and(|l| l.iter().any(|x| x["name"] == f))
    };

    let courses = ok(bridge.get("/api/moodle/courses").await);
    let shortnames: Vec<&str> = courses
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["shortname"].as_str())
        .collect();
    for expected in ["PHYS101", "CHEM201", "HIST110"] {
        assert!(shortnames.contains(&expected), "{shortnames:?}");
    }
    assert!(
        courses
            .as_array()
            .expect("list")
            .iter()
            .all(|c| c["format"] != "site"),
        "the front page is left out"
    );
    let science = ok(bridge.get("/api/moodle/courses?category=2").await);
    let in_science: Vec<&str> = science
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["shortname"].as_str())
        .collect();
    assert!(
        in_science.contains(&"PHYS101") && !in_science.contains(&"HIST110"),
        "{in_science:?}"
    );

    // The site's `bridge` service does not hold core_course_search_courses.
    assert!(!has("core_course_search_courses"));
    refused(
        &bridge.get("/api/moodle/courses?search=Physics").await,
        403,
        "accessexception",
    );

    let users = ok(bridge
        .get("/api/moodle/users/by-field?field=username&values=student1,nobody")
        .await);
    assert_eq!(users.as_array().map(Vec::len), Some(1), "{users}");
    assert_eq!(
        (&users[0]["id"], &users[0]["fullname"]),
        (&json!(4), &json!("Alice Anderson"))
    );
    let by_email = ok(bridge
        .get("/api/moodle/users/by-field?field=email&values=teacher1@example.com")
        .await);
    assert_eq!(by_email[0]["username"], "teacher1", "{by_email}");

    let notes = ok(bridge
        .get("/api/moodle/notifications?userid=4&limit=5")
        .await);
    let list = notes["notifications"].as_array().expect("notifications");
    assert!(!list.is_empty() && list.len() <= 5, "{notes}");
    assert!(list.iter().all(|n| n["useridto"] == 4), "{notes}");
    let count = ok(bridge
        .get("/api/moodle/notifications/unread-count?userid=4")
        .await);
    assert_eq!(count["count"], notes["unreadcount"], "{count}");

    let shortname = format!("REAL{}", run_id());
    let created = ok(bridge
        .send(
            Method::POST,
            "/api/moodle/courses",
            &[],
            &json!({"fullname": "Bridge real test", "shortname": shortname, "categoryid": 1}),
        )
        .await);
    let id = created["id"].as_i64().expect("id");

    refused(
        &bridge
            .send(
                Method::POST,
                "/api/moodle/courses",
                &[],
                &json!({"fullname": "Again", "shortname": shortname, "categoryid": 1}),
            )
            .await,
        409,
        "shortnametaken",
    );

    let patched = ok(bridge
        .send(
            Method::PATCH,
            &format!("/api/moodle/courses/{id}"),
            &[],
            &json!({"summary": "patched by the real suite", "fullname": "Bridge real test (renamed)"}),
        )
        .await);
    assert_eq!(patched["summary"], "patched by the real suite", "{patched}");
    let read = site
        .admin_ws(
            "core_course_get_courses_by_field",
            &[("field", "id".to_owned()), ("value", id.to_string())],
        )
        .await;
    assert_eq!(
        (
            &read["courses"][0]["shortname"],
            &read["courses"][0]["fullname"]
        ),
        (&json!(shortname), &json!("Bridge real test (renamed)")),
        "{read}"
    );
    // Moodle: core_course_update_courses answers a missing course as an `invalidrecord`
    // warning; the bridge makes a missing course 404.
    refused(
        &bridge
            .send(
                Method::PATCH,
                "/api/moodle/courses/999999",
                &[],
                &json!({"summary": "x"}),
            )
            .await,
        404,
        "invalidrecord",
    );

    let enrolled = ok(bridge
        .send(
            Method::POST,
            "/api/moodle/enrol",
            &[],
            &json!({"enrolments": [{"roleid": 5, "userid": 5, "courseid": id}]}),
        )
        .await);
    assert!(enrolled.is_null() || enrolled.is_object(), "{enrolled}");
    let members = site
        .admin_ws(
            "core_enrol_get_enrolled_users",
            &[("courseid", id.to_string())],
        )
        .await;
    assert!(
        members
            .as_array()
            .is_some_and(|m| m.iter().any(|u| u["username"] == "student2")),
        "{members}"
    );
    // Moodle: enrol_manual_enrol_users validates the course id as a parameter.
    refused(
        &bridge
            .send(
                Method::POST,
                "/api/moodle/enrol",
                &[],
                &json!({"enrolments": [{"roleid": 5, "userid": 5, "courseid": 999999}]}),
            )
            .await,
        400,
        "invalidparameter",
    );

    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"real upload".to_vec()).file_name("real.txt"),
    );
    let uploaded = status_json(
        bridge
            .request(Method::POST, "/api/moodle/files/upload")
            .multipart(form)
            .send()
            .await
            .expect("upload"),
    )
    .await;
    let uploaded = ok(uploaded);
    let itemid = uploaded["itemid"].as_i64().expect("itemid");
    assert_eq!(uploaded["files"][0]["filesize"], 11, "{uploaded}");
    assert!(
        has("local_bridge_create_resource"),
        "the plugin is installed"
    );
    let attached = ok(bridge
        .send(
            Method::POST,
            "/api/moodle/files/attach",
            &[],
            &json!({"courseid": id, "draftitemid": itemid, "name": "Real file"}),
        )
        .await);
    let cmid = attached["cmid"].as_i64().expect("cmid");
    let contents = site
        .admin_ws("core_course_get_contents", &[("courseid", id.to_string())])
        .await;
    let resource = contents
        .as_array()
        .expect("sections")
        .iter()
        .flat_map(|s| s["modules"].as_array().cloned().unwrap_or_default())
        .find(|m| m["id"] == cmid)
        .unwrap_or_else(|| panic!("cm {cmid} in {contents}"));
    assert_eq!(
        (
            &resource["modname"],
            &resource["name"],
            &resource["contents"][0]["filename"]
        ),
        (&json!("resource"), &json!("Real file"), &json!("real.txt")),
        "{resource}"
    );
    let again = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("x.txt"),
    );
    let draft = ok(status_json(
        bridge
            .request(Method::POST, "/api/moodle/files/upload")
            .multipart(again)
            .send()
            .await
            .expect("upload"),
    )
    .await);
    let missing = bridge
        .send(
            Method::POST,
            "/api/moodle/files/attach",
            &[],
            &json!({"courseid": 999999, "draftitemid": draft["itemid"], "name": "Nowhere"}),
        )
        .await;
    // Moodle: local_bridge_create_resource's get_course() throws `invalidrecord` (gateway: 400).
    refused(&missing, 400, "invalidrecord");

    delete_course(&site, id).await;
    bridge.stop().await;
}

#[tokio::test]
async fn a_moodle_token_without_the_capability_is_refused_with_403() {
    let Some(site) = site() else { return };
    let student = site.token("student1_bridge");
    let bridge = Bridge::start(&site, &[("MOODLE_TOKEN", student.as_str())]).await;
    let info = ok(bridge.get("/api/moodle/siteinfo").await);
    assert_eq!(info["username"], "student1");
    refused(
        &bridge
            .send(
                Method::POST,
                "/api/moodle/courses",
                &[],
                &json!({"fullname": "No", "shortname": format!("NO{}", run_id()), "categoryid": 1}),
            )
            .await,
        403,
        "nopermissions",
    );
    refused(
        &bridge.get("/api/moodle/notifications?userid=3").await,
        403,
        "accessdenied",
    );
    bridge.stop().await;
}

/// Deletes a course a test made.
pub async fn delete_course(site: &Site, id: i64) {
    let answer = site
        .admin_ws(
            "core_course_delete_courses",
            &[("courseids[0]", id.to_string())],
        )
        .await;
    assert_eq!(answer["warnings"], json!([]), "{answer}");
}
