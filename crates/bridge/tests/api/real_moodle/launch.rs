//! LTI 1.3 launches from the real `mod_lti` activity: teacher1 and student1 log in through
//! Moodle's own login form, open the activity, and follow `launch.php` → `/lti/login` →
//! `auth.php` → `/lti/launch`. The teacher gets the file manager and copies a learner's
//! submission files (sha256 compared with what Moodle serves), reads the members (NRPS) and
//! posts a score (AGS) through the bridge that Moodle's gradebook then shows; the student
//! gets the 403 page.

use base64::Engine as _;
use reqwest::Method;
use serde_json::{Value, json};

use super::{Bridge, Site, site, with_query};
use crate::helpers::{http_client, status_json};
use crate::lti::browser::{Browser, Page};
use crate::lti::{begin_launch, launch_config, log_in, sha256_hex};

/// Alice Anderson (student1), a learner of PHYS101 with two submitted files.
const ALICE: i64 = 4;

/// A whole launch of the seeded activity by `user`: the bridge's answer and the id_token
/// Moodle's `auth.php` posted to it.
pub async fn launch(site: &Site, user: &str) -> (Browser, Page, Value) {
    let browser = Browser::new();
    let password = site.password(user);
    let home = log_in(&browser, &site.url, (user, &password)).await;
    assert!(
        !home.url.contains("/login/index.php"),
        "{user} is logged in: {} {}",
        home.url,
        home.status
    );
    let cmid = site.lti["cmid"].as_i64().expect("cmid");
    let step = begin_launch(&browser, &site.url, cmid).await;
    let (page, claims) = finish(&browser, &step).await;
    (browser, page, claims)
}

/// From the bridge's login step through `auth.php` to the bridge's answer; the id_token's
/// claims too (read, not verified: the bridge verifies it).
pub async fn finish(browser: &Browser, step: &Page) -> (Page, Value) {
    assert_eq!(step.status, 200, "{}", step.body);
    let config = step
        .json_block("login-config")
        .unwrap_or_else(|| panic!("the login step's configuration: {}", step.body));
    let auth = browser
        .get(config["auth_url"].as_str().expect("auth_url"))
        .await;
    let form = auth
        .form("ltiAuthForm")
        .unwrap_or_else(|| panic!("auth.php's answer form: {} {}", auth.status, auth.body));
    let id_token = form.field("id_token").expect("id_token");
    let payload = id_token.split('.').nth(1).expect("a JWT");
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64url"),
    )
    .expect("claims");
    (browser.submit(&auth, &form).await, claims)
}

/// The content of a file Moodle serves at `fileurl` (a web-service file URL).
async fn moodle_bytes(site: &Site, fileurl: &str) -> Vec<u8> {
    let token = site.token("admin_bridge");
    let response = http_client()
        .get(with_query(fileurl, &[("token", &token)]))
        .send()
        .await
        .expect("download");
    assert_eq!(response.status(), 200, "{fileurl}");
    response.bytes().await.expect("bytes").to_vec()
}

/// Alice's submitted files of Lab report 1 as Moodle lists them to her teacher: (name,
/// fileurl). (The administrator is not enrolled, and Moodle lists no assignments then.)
async fn submitted_files(site: &Site) -> Vec<(String, String)> {
    let teacher = site.token("teacher1_bridge");
    let assignments = site
        .ws(
            &teacher,
            "mod_assign_get_assignments",
            &[("courseids[0]", "2".to_owned())],
        )
        .await;
    let lab = assignments["courses"][0]["assignments"]
        .as_array()
        .expect("assignments")
        .iter()
        .find(|a| a["name"] == "Lab report 1")
        .expect("Lab report 1")["id"]
        .clone();
    let submissions = site
        .ws(
            &teacher,
            "mod_assign_get_submissions",
            &[("assignmentids[0]", lab.to_string())],
        )
        .await;
    submissions["assignments"][0]["submissions"]
        .as_array()
        .expect("submissions")
        .iter()
        .filter(|s| s["userid"] == ALICE)
        .flat_map(|s| s["plugins"].as_array().cloned().unwrap_or_default())
        .flat_map(|p| p["fileareas"].as_array().cloned().unwrap_or_default())
        .flat_map(|a| a["files"].as_array().cloned().unwrap_or_default())
        .map(|f| {
            (
                f["filename"].as_str().expect("filename").to_owned(),
                f["fileurl"].as_str().expect("fileurl").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_teacher_launch_from_the_real_activity_copies_a_learners_submission_files() {
    let Some(site) = site() else { return };
    let bridge = Bridge::start(&site, &[]).await;
    let (browser, page, claims) = launch(&site, "teacher1").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.url.starts_with(&format!("{}/lti/launch", bridge.url)),
        "{}",
        page.url
    );
    assert_eq!(claims["iss"], site.lti["platform"]["issuer"]);
    assert_eq!(claims["sub"], "3");
    let config = launch_config(&page);
    assert_eq!(config["course_id"], 2, "{config}");
    assert_eq!(config["user_name"], "Tina Teacher", "{config}");
    assert!(
        browser
            .cookies(&bridge.url)
            .keys()
            .all(|n| !n.starts_with("lti_state_")),
        "the state cookie is cleared"
    );
    let token = config["token"].as_str().expect("token");
    let call = |method: Method, path: &str| {
        bridge
            .http
            .request(method, format!("{}{path}", bridge.url))
            .header("x-launch-token", token)
    };

    let (status, learners) = status_json(
        call(Method::GET, "/get_learners")
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(status, 200, "{learners}");
    let names: Vec<&str> = learners
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|l| l["fullname"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "Alice Anderson",
            "Bob Brown",
            "Carol Clark",
            "Dave Davis",
            "Eve Evans"
        ]
    );

    let (status, files) = status_json(
        call(Method::GET, &format!("/get_user_files/{ALICE}?course_id=2"))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(status, 200, "{files}");
    let submitted: Vec<(String, String)> = files["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter(|f| f["source"] == "submission")
        .map(|f| {
            (
                f["key"].as_str().expect("key").to_owned(),
                f["name"].as_str().expect("name").to_owned(),
            )
        })
        .collect();
    let mut names: Vec<&str> = submitted.iter().map(|f| f.1.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["lab_report_alice.pdf", "pendulum_data_alice.csv"],
        "{files}"
    );
    let keys: Vec<&str> = submitted.iter().map(|f| f.0.as_str()).collect();
    let (status, copied) = status_json(
        call(Method::POST, "/copy_moodle_files")
            .header("content-type", "application/json")
            .body(json!({"user_id": ALICE, "course_id": 2, "files": keys}).to_string())
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(status, 200, "{copied}");
    let moodle = submitted_files(&site).await;
    assert_eq!(moodle.len(), 2, "{moodle:?}");
    for (key, name) in &submitted {
        let result = copied["results"]
            .as_array()
            .expect("results")
            .iter()
            .find(|r| r["file"] == key.as_str())
            .unwrap_or_else(|| panic!("{name} in {copied}"));
        assert_eq!(result["ok"], true, "{result}");
        let (_, url) = moodle.iter().find(|m| &m.0 == name).expect("Moodle's file");
        let bytes = moodle_bytes(&site, url).await;
        assert_eq!(result["stored"]["sha256"], sha256_hex(&bytes), "{name}");
        assert_eq!(result["stored"]["size"], bytes.len(), "{name}");
    }

    // NRPS through the bridge: the course's members as Moodle lists them.
    let (status, members) = status_json(
        call(Method::GET, "/lti/members")
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(status, 200, "{members}");
    let list = members
        .as_array()
        .or_else(|| members["members"].as_array())
        .unwrap_or_else(|| panic!("members: {members}"));
    let mut ids: Vec<&str> = list.iter().filter_map(|m| m["user_id"].as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["3", "4", "5", "6", "7", "8"], "{members}");
    let alice = list.iter().find(|m| m["user_id"] == "4").expect("Alice");
    assert_eq!(
        (&alice["name"], &alice["learner"], &alice["instructor"]),
        (&json!("Alice Anderson"), &json!(true), &json!(false)),
        "{alice}"
    );

    // AGS through the bridge: a score for Alice on the activity's own line item, then
    // Moodle's gradebook shows it.
    let (status, items) = status_json(
        call(Method::GET, "/lti/lineitems")
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(status, 200, "{items}");
    let (status, scored) = status_json(
        call(Method::POST, "/lti/scores")
            .header("content-type", "application/json")
            .body(json!({"userId": "4", "scoreGiven": 7.5, "scoreMaximum": 10.0, "comment": "real suite"}).to_string())
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert!((200..300).contains(&status), "{status} {scored}");
    let report = site
        .ws(
            &site.token("admin_mobile"),
            "gradereport_user_get_grade_items",
            &[("courseid", "2".to_owned()), ("userid", "4".to_owned())],
        )
        .await;
    let activity = site.lti["ltiid"].as_i64().expect("ltiid");
    let grade = report["usergrades"][0]["gradeitems"]
        .as_array()
        .expect("grade items")
        .iter()
        .find(|g| g["itemmodule"] == "lti" && g["iteminstance"] == activity)
        .unwrap_or_else(|| panic!("the activity's grade item in {report} (line items: {items})"))
        .clone();
    let maximum = grade["grademax"].as_f64().expect("grademax");
    assert_eq!(
        grade["graderaw"].as_f64(),
        Some(7.5 / 10.0 * maximum),
        "{grade}"
    );
    bridge.stop().await;
}

#[tokio::test]
async fn a_student_launch_gets_the_403_page() {
    let Some(site) = site() else { return };
    let bridge = Bridge::start(&site, &[]).await;
    let (_, page, claims) = launch(&site, "student1").await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert_eq!(page.code().as_deref(), Some("notforrole"));
    assert!(
        page.json_block("launch-config").is_none(),
        "no token for a learner"
    );
    assert_eq!(claims["sub"], "4");

    bridge.stop().await;
}
