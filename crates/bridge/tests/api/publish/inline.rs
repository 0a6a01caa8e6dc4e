//! `POST /api/lms/publish`: an application's own course and assets, keyed by its own ids, are
//! pushed like `push-to-lms`; the bridge keeps only the mapping, so a repeated publish writes
//! only what changed; `complete: true` removes in Moodle what the call left out; the body is
//! checked naming the field; `?async=1` queues it.

use reqwest::{Method, Response};
use serde_json::{Value, json};

use super::helpers::{moodle_modules, publisher_app, writes};
use crate::helpers::{TestApp, status_json};

const COURSE: &str = "7f1c2e9a-53b1-4d7e-9a0c-0c5d2b8f4e11";
const INTRO: &str = "c0a80101-0000-4000-8000-000000000001";
const QUIZ: &str = "c0a80101-0000-4000-8000-000000000002";
const LINK: &str = "c0a80101-0000-4000-8000-000000000003";

fn publication(intro: &str, with_link: bool, complete: bool) -> Value {
    let mut assets = vec![
        json!({"id": INTRO, "asset_name": "Welcome", "asset_type": "page", "asset_content": intro}),
        json!({"id": QUIZ, "asset_name": "Check yourself", "asset_type": "quiz", "asset_content": {"questions": [
            {"type": "truefalse", "text": "Light is a wave.", "answer": true, "points": 2}
        ]}}),
    ];
    if with_link {
        assets.push(json!({"id": LINK, "asset_name": "Read more", "asset_type": "url", "asset_content": {"url": "https://example.org/light"}}));
    }
    json!({
        "course": {"id": COURSE, "name": "Optics (from the app)", "shortname": "APP-OPTICS", "category_path": "Apps/Optics"},
        "assets": assets,
        "complete": complete,
    })
}

async fn publish(app: &TestApp, token: &str, body: &Value, query: &str) -> Response {
    app.publisher_json(
        Method::POST,
        &format!("/api/lms/publish{query}"),
        &[("x-lms-token", token)],
        Some(body),
    )
    .await
}

#[tokio::test]
async fn an_applications_own_course_is_published_by_its_ids_and_a_repeat_writes_only_what_changed()
{
    let app = publisher_app().await;
    let token = app.lms_token().await;
    let (status, body) =
        status_json(publish(&app, &token, &publication("<p>Hello</p>", true, false), "").await)
            .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["message"], "Successfully exported to LMS");
    let data = &body["data"];
    let entries = data["exported_assets"].as_array().expect("entries");
    let ids: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["asset_id"].as_str())
        .collect();
    assert_eq!(ids, [INTRO, QUIZ, LINK]);
    let names: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["asset_name"].as_str())
        .collect();
    assert_eq!(names, ["Welcome", "Check yourself", "Read more"]);
    let modules: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["moodle_module"].as_str())
        .collect();
    assert_eq!(modules, ["page", "quiz", "url"]);
    let moodle_id: i64 = data["lms_course_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("id");
    let (name, shortname) = app
        .sim
        .with_state(|s| {
            s.courses
                .get(&moodle_id)
                .map(|c| (c.fullname.clone(), c.shortname.clone()))
        })
        .expect("course");
    assert_eq!(
        (name.as_str(), shortname.as_str()),
        ("Optics (from the app)", "APP-OPTICS")
    );
    let activity_names = app.sim.with_state(|s| {
        let mut n: Vec<String> = s
            .cms
            .values()
            .filter(|m| m.course == moodle_id && m.idnumber.is_some())
            .map(|m| m.name.clone())
            .collect();
        n.sort();
        n
    });
    assert_eq!(activity_names, ["Check yourself", "Read more", "Welcome"]);
    // The bridge holds no copy of the course: the local routes do not show it.
    let (_, listed) = status_json(app.get("/api/courses").await).await;
    assert_eq!(listed, json!([]));
    // The same publish again writes nothing.
    let before = writes(&app.sim);
    let (status, body) =
        status_json(publish(&app, &token, &publication("<p>Hello</p>", true, false), "").await)
            .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(writes(&app.sim), before, "nothing written");
    // One page changed, one asset renamed: only they are written.
    let mut changed = publication("<p>Hello again</p>", true, false);
    changed["assets"][2]["asset_name"] = json!("Read more about light");
    let (status, body) = status_json(publish(&app, &token, &changed, "").await).await;
    assert_eq!(status, 200, "{body}");
    let actions: Vec<&str> = body["data"]["exported_assets"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["updated", "unchanged", "updated"]);
    assert_eq!(writes(&app.sim), before + 2);
    let status = app.sync_status().await;
    assert_eq!(status["assets"]["synced"], 3, "{status}");
}

#[tokio::test]
async fn a_complete_publish_removes_in_moodle_what_it_left_out() {
    let app = publisher_app().await;
    let token = app.lms_token().await;
    let (status, body) =
        status_json(publish(&app, &token, &publication("<p>Hi</p>", true, true), "").await).await;
    assert_eq!(status, 200, "{body}");
    let link: i64 = body["data"]["exported_assets"][2]["lms_content_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("cmid");
    // Not complete: what is left out stays.
    let (status, body) =
        status_json(publish(&app, &token, &publication("<p>Hi</p>", false, false), "").await).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"].get("removed_assets").is_none(), "{body}");
    let (status, body) =
        status_json(publish(&app, &token, &publication("<p>Hi</p>", false, true), "").await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["removed_assets"][0]["lms_content_id"],
        link.to_string()
    );
    assert_eq!(body["data"]["removed_assets"][0]["action"], "hidden");
    let hidden = app.sim.with_state(|s| s.cms.get(&link).map(|m| m.visible));
    assert_eq!(hidden, Some(false));
    let moodle_id: i64 = body["data"]["lms_course_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("id");
    let visible: Vec<String> = moodle_modules(&app.sim, moodle_id)
        .into_iter()
        .map(|m| m.2)
        .filter(|i| !i.is_empty())
        .collect();
    assert_eq!(visible.len(), 2, "{visible:?}");
}

#[tokio::test]
async fn an_inline_publish_is_checked_naming_the_field_and_can_be_queued() {
    let app = publisher_app().await;
    let token = app.lms_token().await;
    let mut twice = publication("<p>x</p>", false, false);
    twice["assets"][1]["id"] = json!(INTRO);
    let mut bad_quiz = publication("<p>x</p>", false, false);
    bad_quiz["assets"][1]["asset_content"]["questions"][0]["type"] = json!("poll");
    let mut file = publication("<p>x</p>", false, false);
    file["assets"][0]["asset_type"] = json!("file");
    let mut no_id = publication("<p>x</p>", false, false);
    no_id["course"]["id"] = json!(" ");
    let cases = [
        (twice, "assets[1].id: is given twice in this publish"),
        (
            bad_quiz,
            "assets[1].asset_content.questions[0].type: unknown variant `poll`",
        ),
        (
            file,
            "assets[0].asset_type: file assets cannot be published inline",
        ),
        (no_id, "course.id: must be 1 to 100 characters"),
        (
            json!({"course": {"id": "x", "name": "y"}, "extra": 1}),
            "extra: unknown field",
        ),
    ];
    for (body, want) in cases {
        let (status, answer) = status_json(publish(&app, &token, &body, "").await).await;
        assert_eq!(status, 422, "{answer}");
        assert!(
            answer["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with(want)),
            "{want}: {answer}"
        );
    }
    let (status, answer) =
        status_json(publish(&app, "", &publication("<p>x</p>", false, false), "").await).await;
    assert_eq!(
        (status, answer["detail"].as_str()),
        (400, Some("Invalid or expired LMS token"))
    );
    assert_eq!(app.sim.calls("core_course_create_courses"), 0);
    let (status, queued) = status_json(
        publish(
            &app,
            &token,
            &publication("<p>x</p>", false, false),
            "?async=1",
        )
        .await,
    )
    .await;
    assert_eq!(status, 202, "{queued}");
    let job = app.wait_job(queued["job_id"].as_str().expect("job")).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(
        job["result"]["exported_assets"][0]["asset_id"], INTRO,
        "{job}"
    );
}

/// A request as another application: its own bridge token (subject `other-app`).
async fn as_other_app(
    app: &TestApp,
    token: &str,
    path: &str,
    lms: Option<&str>,
    body: &Value,
) -> Response {
    let mut request = app
        .http
        .post(format!("{}{path}", app.url))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(lms) = lms {
        request = request.header("x-lms-token", lms);
    }
    request.send().await.expect("request")
}

#[tokio::test]
async fn two_applications_using_the_same_ids_publish_two_courses_that_never_meet() {
    let app = publisher_app().await;
    let first_lms = app.lms_token().await;
    let (status, first) = status_json(
        publish(
            &app,
            &first_lms,
            &publication("<p>Mine</p>", true, false),
            "",
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{first}");
    let first_course = first["data"]["lms_course_id"].clone();

    // Another application, with the very same course and asset ids (only its short name
    // differs, as Moodle requires), and a complete publish that leaves the link out.
    let other = bridge::auth::OwnKey::derive(&moodle_ws::Secret::new(crate::helpers::SECRET_KEY))
        .issue(
            "other-app",
            bridge::auth::Scopes::READ_WRITE,
            std::time::Duration::from_secs(3600),
        )
        .expect("issue")
        .token
        .expose()
        .to_owned();
    let (status, login) = status_json(
        as_other_app(
            &app,
            &other,
            "/api/login-lms",
            None,
            &json!({"email": super::helpers::ADMIN.0, "password": super::helpers::ADMIN.1}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{login}");
    let other_lms = login["data"]["token"].as_str().expect("token").to_owned();
    let mut theirs = publication("<p>Theirs</p>", false, true);
    theirs["course"]["shortname"] = json!("APP-OPTICS-OTHER");
    let (status, second) = status_json(
        as_other_app(&app, &other, "/api/lms/publish", Some(&other_lms), &theirs).await,
    )
    .await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(
        second["data"]["lms_course_id"], first_course,
        "the other application got a course of its own"
    );
    let actions: Vec<&str> = second["data"]["exported_assets"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.iter().all(|a| *a == "created"),
        "nothing of the first application's was updated: {actions:?}"
    );

    // The first application's course is as it left it: the same publish writes nothing,
    // and its link, which the other's complete publish left out, is still there.
    let before = writes(&app.sim);
    let (status, again) = status_json(
        publish(
            &app,
            &first_lms,
            &publication("<p>Mine</p>", true, false),
            "",
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["data"]["lms_course_id"], first_course);
    assert_eq!(
        writes(&app.sim),
        before,
        "nothing of the first course changed"
    );
}
