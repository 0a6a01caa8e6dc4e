//! `local_bridge_create_modules` on the stand-in: many activities in one call, each idempotent
//! by ID number, a bad item failing alone, the call's limits.

use serde_json::{Value, json};

use super::quiz::call;
use super::upload;
use crate::support::{Site, errorcode};

/// Nineteen good items of every type and a bad URL (the tenth).
async fn items(site: &Site) -> Value {
    let mut list = Vec::new();
    for i in 0..5 {
        list.push(json!({"modname": "page", "idnumber": format!("b-page-{i}"), "name": format!("Page {i}"),
            "section": 3, "content": format!("<p>{i}</p>")}));
    }
    for i in 0..4 {
        list.push(
            json!({"modname": "url", "idnumber": format!("b-url-{i}"), "name": format!("Link {i}"),
            "section": 3, "externalurl": format!("https://example.org/{i}")}),
        );
    }
    list.push(
        json!({"modname": "url", "idnumber": "b-bad", "name": "Bad", "section": 3,
        "externalurl": "javascript:alert(1)"}),
    );
    for (i, kind) in ["general", "qanda", "single", "blog"].iter().enumerate() {
        list.push(json!({"modname": "forum", "idnumber": format!("b-forum-{i}"), "name": format!("Forum {i}"),
            "section": 4, "type": kind}));
    }
    for i in 0..3 {
        let draft = upload(site, &site.token("teacher1_bridge"), "notes.txt", b"notes").await;
        list.push(json!({"modname": "resource", "idnumber": format!("b-file-{i}"), "name": format!("File {i}"),
            "section": 4, "draftitemid": draft}));
    }
    for i in 0..3 {
        list.push(json!({"modname": "quiz", "idnumber": format!("b-quiz-{i}"), "name": format!("Quiz {i}"),
            "section": 4, "visible": i != 2,
            "questions": [{"type": "truefalse", "text": "True?", "correctanswer": true, "points": i + 1}]}));
    }
    Value::Array(list)
}

async fn batch(site: &Site, token: &str, modules: Value) -> Value {
    call(
        site,
        token,
        "local_bridge_create_modules",
        &[("courseid", "2")],
        &[("modules", modules)],
    )
    .await
}

fn statuses(result: &Value) -> Vec<(String, String)> {
    result["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .map(|m| {
            (
                m["idnumber"].as_str().unwrap_or_default().to_owned(),
                m["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn one_call_makes_nineteen_activities_of_five_types_and_the_bad_item_fails_alone() {
    let site = Site::start().await;
    let teacher = site.token("teacher1_bridge");
    let list = items(&site).await;
    let before = site.sim.with_state(|s| s.cms.len());
    let result = batch(&site, &teacher, list.clone()).await;
    let expected: Vec<(String, String)> = list
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            let id = i["idnumber"].as_str().unwrap_or_default().to_owned();
            let status = if id == "b-bad" { "failed" } else { "created" };
            (id, status.to_owned())
        })
        .collect();
    assert_eq!(statuses(&result), expected, "{result}");
    let bad = &result["modules"][9];
    assert_eq!(
        (&bad["errorcode"], &bad["cmid"]),
        (&json!("invalidparameter"), &json!(0))
    );
    assert_eq!(
        bad["message"],
        "Invalid parameter value detected (externalurl: not an http(s) or ftp URL)"
    );
    assert_eq!(
        result["warnings"],
        json!([{"item": "b-bad", "warningcode": "invalidparameter", "message": bad["message"]}])
    );
    assert_eq!(site.sim.with_state(|s| s.cms.len()), before + 19);
    // Section 3 ends with the call's items in the call's order.
    let made: Vec<i64> = result["modules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["section"] == 3 && m["status"] == "created")
        .filter_map(|m| m["cmid"].as_i64())
        .collect();
    let sequence = site.sim.with_state(|s| {
        s.section_by_number(2, 3)
            .map(|sec| sec.sequence.clone())
            .unwrap_or_default()
    });
    assert_eq!(sequence[sequence.len() - made.len()..], made[..]);
    let hidden = &result["modules"][19];
    assert_eq!(
        (&hidden["modname"], &hidden["visible"]),
        (&json!("quiz"), &json!(false))
    );
}

#[tokio::test]
async fn the_same_call_again_makes_nothing_and_returns_what_exists() {
    let site = Site::start().await;
    let teacher = site.token("teacher1_bridge");
    let list = items(&site).await;
    let first = batch(&site, &teacher, list.clone()).await;
    let count = site.sim.with_state(|s| s.cms.len());
    let again = batch(&site, &teacher, list).await;
    assert_eq!(site.sim.with_state(|s| s.cms.len()), count);
    for (a, b) in first["modules"]
        .as_array()
        .into_iter()
        .flatten()
        .zip(again["modules"].as_array().into_iter().flatten())
    {
        if a["status"] == "created" {
            assert_eq!(
                (&b["status"], &b["cmid"]),
                (&json!("existed"), &a["cmid"]),
                "{b}"
            );
        } else {
            assert_eq!(b["status"], "failed");
        }
    }
}

#[tokio::test]
async fn each_bad_item_fails_with_its_own_code() {
    let site = Site::start().await;
    let teacher = site.token("teacher1_bridge");
    let modules = json!([
        {"modname": "page", "idnumber": "", "name": "Page 1", "content": "x"},
        {"modname": "page", "idnumber": "twice", "name": "Twice", "content": "x"},
        {"modname": "page", "idnumber": "twice", "name": "Twice again", "content": "x"},
        {"modname": "page", "idnumber": "far", "name": "Far", "content": "x", "section": 99},
        {"modname": "page", "idnumber": "html", "name": "<b>Bold</b>", "content": "x"},
        {"modname": "url", "idnumber": "stray", "name": "Stray", "externalurl": "https://x.org", "content": "x"},
        {"modname": "page", "idnumber": "nocontent", "name": "Empty"},
        {"modname": "quiz", "idnumber": "badquiz", "name": "Bad quiz", "questions": [{"type": "truefalse", "text": "x"}]},
        {"modname": "lesson", "idnumber": "lesson", "name": "Lesson"},
        {"modname": "url", "idnumber": "twice", "name": "Twice as a link", "externalurl": "https://x.org"},
    ]);
    let result = batch(&site, &teacher, modules).await;
    let codes: Vec<(String, String)> = result["modules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            (
                m["status"].as_str().unwrap_or_default().to_owned(),
                m["errorcode"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expect = |s: &str, c: &str| (s.to_owned(), c.to_owned());
    assert_eq!(
        codes,
        [
            expect("failed", "invalidparameter"),
            expect("created", ""),
            expect("failed", "duplicateidnumberincall"),
            expect("failed", "sectionnotfound"),
            expect("failed", "invalidparameter"),
            expect("failed", "invalidparameter"),
            expect("failed", "invalidparameter"),
            expect("failed", "invalidquestion"),
            expect("failed", "unsupportedmodule"),
            expect("failed", "duplicateidnumberincall"),
        ],
        "{result}"
    );
    assert_eq!(
        result["modules"][6]["message"],
        "Invalid parameter value detected (content: required for a page)"
    );
    // An ID number a page has is refused to a URL, and returned as existed to a page.
    let clash = batch(
        &site,
        &teacher,
        json!([
            {"modname": "url", "idnumber": "twice", "name": "Link", "externalurl": "https://x.org"},
            {"modname": "page", "idnumber": "twice", "name": "Twice", "content": "x"},
        ]),
    )
    .await;
    assert_eq!(
        statuses(&clash),
        [
            ("twice".to_owned(), "failed".to_owned()),
            ("twice".to_owned(), "failed".to_owned())
        ]
    );
    assert_eq!(clash["modules"][0]["errorcode"], "duplicateidnumber");
}

#[tokio::test]
async fn a_student_and_a_call_over_fifty_items_are_refused_whole() {
    let site = Site::start().await;
    let before = site.sim.with_state(|s| s.cms.len());
    let one = json!([{"modname": "page", "idnumber": "p", "name": "P", "content": "x"}]);
    let refused = batch(&site, &site.token("student1_bridge"), one).await;
    assert_eq!(errorcode(&refused), Some("nopermissions"));
    let many: Vec<Value> = (0..51)
        .map(|i| json!({"modname": "page", "idnumber": format!("m-{i}"), "name": "P", "content": "x"}))
        .collect();
    let refused = batch(&site, &site.token("teacher1_bridge"), Value::Array(many)).await;
    assert_eq!(errorcode(&refused), Some("toomanymodules"));
    assert_eq!(
        refused["message"],
        "At most 50 activities can be made in one call; this call has 51."
    );
    assert_eq!(site.sim.with_state(|s| s.cms.len()), before);
}
