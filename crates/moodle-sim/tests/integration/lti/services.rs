//! `services.php`: NRPS memberships (order, paging with `Link: rel="next"`, role filter,
//! `rlid` messages, the JSON-LD container on request) and AGS line items, scores (200, 409
//! for a score not newer, 400 for a user who cannot be graded) and results scaled to the
//! line item, each behind the bearer token.

use serde_json::{Value, json};

use super::{ALL_SCOPES, access_token, http, start};

const NRPS: &str = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json";
const SCORE: &str = "application/vnd.ims.lis.v1.score+json";

struct Answer {
    status: u16,
    content_type: String,
    link: Option<String>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

async fn call(
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    accept: Option<&str>,
    body: Option<(&str, Value)>,
) -> Answer {
    let mut req = http().request(method, url);
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    if let Some(a) = accept {
        req = req.header("Accept", a);
    }
    if let Some((ct, b)) = body {
        req = req.header("Content-Type", ct).body(b.to_string());
    }
    let resp = req.send().await.expect("request");
    let h = |n: &str| {
        resp.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (status, content_type, link) = (
        resp.status().as_u16(),
        h("content-type").unwrap_or_default(),
        h("link"),
    );
    Answer {
        status,
        content_type,
        link,
        body: resp.text().await.expect("body"),
    }
}

fn ids(members: &Value) -> Vec<String> {
    members["members"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| m["user_id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn memberships_are_paged_filtered_and_guarded() {
    let (sim, _tool) = start().await;
    let url = format!(
        "{}/mod/lti/services.php/CourseSection/2/bindings/1/memberships",
        sim.url()
    );
    let none = call(reqwest::Method::GET, url.clone(), None, Some(NRPS), None).await;
    assert_eq!(
        (none.status, none.content_type.as_str()),
        (401, "application/json; charset=utf-8")
    );
    assert_eq!(
        none.json(),
        json!({"status": 401, "reason": "Unauthorized", "request": {"method": "GET", "url": "/mod/lti/services.php/CourseSection/2/bindings/1/memberships", "accept": NRPS, "contentType": ""}})
    );
    let score_only = access_token(
        sim.url(),
        "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    )
    .await;
    assert_eq!(
        call(
            reqwest::Method::GET,
            url.clone(),
            Some(&score_only),
            Some(NRPS),
            None
        )
        .await
        .status,
        401
    );

    let t = access_token(sim.url(), ALL_SCOPES).await;
    let all = call(
        reqwest::Method::GET,
        url.clone(),
        Some(&t),
        Some(NRPS),
        None,
    )
    .await;
    assert_eq!(all.content_type, format!("{NRPS}; charset=utf-8"));
    let body = all.json();
    assert_eq!(
        ids(&body),
        ["4", "5", "6", "7", "8", "3"],
        "by last name, first name"
    );
    assert_eq!(
        body["context"],
        json!({"id": "2", "label": "PHYS101", "title": "Physics 101"})
    );
    assert_eq!(body["members"][5]["roles"], json!(["Instructor"]));
    assert_eq!(body["members"][0]["ext_user_username"], "student1");
    assert!(all.link.is_none());

    let mut pages = Vec::new();
    let mut next = Some(format!("{url}?limit=2"));
    while let Some(u) = next {
        let page = call(reqwest::Method::GET, u, Some(&t), Some(NRPS), None).await;
        pages.push(ids(&page.json()));
        next = page.link.map(|l| {
            assert!(l.ends_with(">; rel=\"next\""), "{l}");
            l.trim_start_matches('<')
                .split('>')
                .next()
                .unwrap_or_default()
                .to_owned()
        });
    }
    assert_eq!(pages, [vec!["4", "5"], vec!["6", "7"], vec!["8", "3"]]);

    let learners = call(
        reqwest::Method::GET,
        format!("{url}?role=Learner"),
        Some(&t),
        Some(NRPS),
        None,
    )
    .await;
    assert_eq!(ids(&learners.json()), ["4", "5", "6", "7", "8"]);
    let teachers = call(reqwest::Method::GET, format!("{url}?role=http%3A%2F%2Fpurl.imsglobal.org%2Fvocab%2Flis%2Fv2%2Fmembership%23Instructor"), Some(&t), Some(NRPS), None).await;
    assert_eq!(ids(&teachers.json()), ["3"]);
    let with_link = call(
        reqwest::Method::GET,
        format!("{url}?rlid=1&limit=1"),
        Some(&t),
        Some(NRPS),
        None,
    )
    .await
    .json();
    let outcome = &with_link["members"][0]["message"][0]["https://purl.imsglobal.org/spec/lti-bo/claim/basicoutcome"];
    let sourced: Value =
        serde_json::from_str(outcome["lis_result_sourcedid"].as_str().expect("sourcedid"))
            .expect("JSON");
    assert_eq!(
        (
            sourced["data"]["instanceid"].clone(),
            sourced["data"]["userid"].clone()
        ),
        (json!("1"), json!("4"))
    );
    let missing = call(
        reqwest::Method::GET,
        format!("{url}?rlid=99"),
        Some(&t),
        Some(NRPS),
        None,
    )
    .await;
    assert_eq!(
        (missing.status, missing.json()["reason"].clone()),
        (404, json!("Not Found: LTI link 99 doesn't exist"))
    );
    let jsonld = call(
        reqwest::Method::GET,
        url,
        Some(&t),
        Some("application/vnd.ims.lis.v2.membershipcontainer+json"),
        None,
    )
    .await
    .json();
    assert_eq!(
        jsonld["pageOf"]["membershipSubject"]["membership"][0]["member"]["userId"],
        "4"
    );
}

#[tokio::test]
async fn line_items_scores_and_results_follow_moodles_rules() {
    let (sim, _tool) = start().await;
    let base = format!("{}/mod/lti/services.php/2/lineitems", sim.url());
    let t = access_token(sim.url(), ALL_SCOPES).await;
    let items = call(
        reqwest::Method::GET,
        format!("{base}?type_id=1"),
        Some(&t),
        Some("application/vnd.ims.lis.v2.lineitemcontainer+json"),
        None,
    )
    .await;
    assert_eq!(
        items.json(),
        json!([{"id": format!("{base}/5/lineitem?type_id=1"), "label": "Bridge tool activity", "scoreMaximum": 100, "resourceId": "", "tag": "", "resourceLinkId": "1", "ltiLinkId": "1"}])
    );
    assert!(
        items.body.starts_with("[{\"id\":\"http:\\/\\/"),
        "PHP's escaped slashes: {}",
        items.body
    );

    let new = call(
        reqwest::Method::POST,
        format!("{base}?type_id=1"),
        Some(&t),
        None,
        Some((
            "application/vnd.ims.lis.v2.lineitem+json",
            json!({"scoreMaximum": 20, "label": "Quiz", "resourceId": "quiz-1", "tag": "quiz"}),
        )),
    )
    .await;
    assert_eq!(new.status, 201);
    assert_eq!(new.json()["id"], format!("{base}/6/lineitem?type_id=1"));
    let no_label = call(
        reqwest::Method::POST,
        format!("{base}?type_id=1"),
        Some(&t),
        None,
        Some((
            "application/vnd.ims.lis.v2.lineitem+json",
            json!({"scoreMaximum": 20}),
        )),
    )
    .await;
    assert_eq!(
        (no_label.status, no_label.json()["reason"].clone()),
        (400, json!("No label or Score Maximum"))
    );

    let scores = format!("{base}/5/lineitem/scores?type_id=1");
    let score = |user: &str, given: f64, at: &str| json!({"userId": user, "scoreGiven": given, "scoreMaximum": 10, "comment": "Well done", "timestamp": at, "activityProgress": "Completed", "gradingProgress": "FullyGraded"});
    let post = |body: Value| {
        call(
            reqwest::Method::POST,
            scores.clone(),
            Some(&t),
            None,
            Some((SCORE, body)),
        )
    };
    let ok = post(score("4", 8.5, "2026-11-22T00:04:46.000+00:00")).await;
    assert_eq!(
        (ok.status, ok.content_type.as_str(), ok.body.as_str()),
        (
            200,
            "application/vnd.ims.lis.v1.score+json; charset=utf-8",
            ""
        )
    );
    for at in [
        "2026-11-21T23:04:46.000+00:00",
        "2026-11-22T00:04:46.000+00:00",
    ] {
        let stale = post(score("4", 5.0, at)).await;
        assert_eq!((stale.status, stale.body.as_str()), (409, "[]"), "{at}");
    }
    for user in ["99999", "3"] {
        let refused = post(score(user, 5.0, "2026-11-22T00:05:00Z")).await;
        assert_eq!(
            (refused.status, refused.body.as_str()),
            (400, "[]"),
            "user {user}"
        );
    }
    let results = call(
        reqwest::Method::GET,
        format!("{base}/5/lineitem/results?type_id=1"),
        Some(&t),
        Some("application/vnd.ims.lis.v2.resultcontainer+json"),
        None,
    )
    .await;
    assert_eq!(
        results.json(),
        json!([{"id": format!("{base}/5/lineitem/results?type_id=1&user_id=4"), "userId": "4", "resultScore": 85, "resultMaximum": 100, "comment": "Well done", "scoreOf": format!("{base}/5/lineitem?type_id=1"), "timestamp": "2026-11-22T00:04:46+00:00"}])
    );
    let other_type = call(
        reqwest::Method::GET,
        format!("{base}/5/lineitem/results?type_id=7"),
        Some(&t),
        None,
        None,
    )
    .await;
    assert_eq!(other_type.status, 401);

    let put = call(
        reqwest::Method::PUT,
        format!("{base}/6/lineitem?type_id=1"),
        Some(&t),
        None,
        Some((
            "application/vnd.ims.lis.v2.lineitem+json",
            json!({"scoreMaximum": 30, "label": "Quiz 1", "tag": "quiz"}),
        )),
    )
    .await;
    assert_eq!(put.status, 200);
    let got = call(
        reqwest::Method::GET,
        format!("{base}/6/lineitem?type_id=1"),
        Some(&t),
        Some("application/vnd.ims.lis.v2.lineitem+json"),
        None,
    )
    .await
    .json();
    assert_eq!(
        (
            got["label"].clone(),
            got["scoreMaximum"].clone(),
            got["resourceId"].clone()
        ),
        (json!("Quiz 1"), json!(30), json!(""))
    );
    let gone = call(
        reqwest::Method::DELETE,
        format!("{base}/6/lineitem?type_id=1"),
        Some(&t),
        None,
        None,
    )
    .await;
    assert_eq!(gone.status, 204);
    let missing = call(
        reqwest::Method::GET,
        format!("{base}/6/lineitem?type_id=1"),
        Some(&t),
        Some("application/vnd.ims.lis.v2.lineitem+json"),
        None,
    )
    .await;
    assert_eq!(
        (missing.status, missing.json()["reason"].clone()),
        (404, json!("Not Found: Grade item 6 doesn't exist"))
    );
}

#[tokio::test]
async fn the_services_are_counted_and_faults_reach_them() {
    let (sim, _tool) = start().await;
    let t = access_token(sim.url(), ALL_SCOPES).await;
    sim.faults().inject(moodle_sim::FaultRule::on_endpoint(
        "mod/lti/services.php",
        moodle_sim::Fault::Status { status: 503 },
    ));
    let url = format!(
        "{}/mod/lti/services.php/CourseSection/2/bindings/1/memberships",
        sim.url()
    );
    let answer = call(reqwest::Method::GET, url, Some(&t), Some(NRPS), None).await;
    assert_eq!(answer.status, 503);
    assert_eq!(
        (
            sim.calls("mod/lti/services.php"),
            sim.calls("mod/lti/token.php")
        ),
        (1, 1)
    );
}
