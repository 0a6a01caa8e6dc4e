//! Deep linking end to end: the "add activity" page frames `contentitem.php`, the tool gets a
//! deep linking request, answers with a signed `LtiDeepLinkingResponse` to
//! `contentitem_return.php`, whose page hands the converted item to the form; saving the form
//! creates the activity and its line item, which then launches with the item's URL and
//! custom parameters. And the refusals: a JWT the tool did not sign, another issuer, no
//! session key.

use serde_json::{Value, json};

use super::browser::Browser;
use super::html::{contentitem_return_data, page_parts};
use super::tool::{self, TOOL_KID};
use super::{ALL_SCOPES, CLIENT_ID, access_token, http, launch, start, verify_id_token};

const DL: &str = "https://purl.imsglobal.org/spec/lti-dl/claim/";

/// The tool's deep linking response with one resource link and a line item.
fn response(site: &str, tool_url: &str, kid: &str, iss: &str) -> String {
    let now = tool::now();
    tool::sign(
        &json!({
            "iss": iss, "aud": site, "iat": now, "exp": now + 600, "nonce": "dl-1",
            "https://purl.imsglobal.org/spec/lti/claim/deployment_id": "1",
            "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiDeepLinkingResponse",
            "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
            format!("{DL}content_items"): [{
                "type": "ltiResourceLink", "title": "Unit 1", "text": "Linked from the tool",
                "url": format!("{tool_url}/lti/launch?unit=1"), "custom": {"unit": "1"},
                "lineItem": {"scoreMaximum": 10, "label": "Unit 1", "resourceId": "unit-1", "tag": "unit"},
            }],
        }),
        kid,
    )
}

#[tokio::test]
async fn a_teacher_adds_an_activity_through_deep_linking() {
    let (sim, tool) = start().await;
    let site = sim.url().to_owned();
    let mut b = Browser::login(&site, "teacher1").await;
    let course = b.get("/course/view.php?id=2").await;
    assert!(
        course
            .body
            .contains("/course/modedit.php?add=lti&amp;typeid=1&amp;course=2&amp;section=1"),
        "{}",
        course.body
    );
    let add = b
        .get("/course/modedit.php?add=lti&typeid=1&course=2&section=1")
        .await;
    assert!(add.body.contains("src=\"") && add.body.contains("/mod/lti/contentitem.php?id=1&amp;course=2&amp;section=1&amp;title=Bridge%20LTI%20tool"), "{}", add.body);

    let (initiation, auth) = launch(
        &mut b,
        "/mod/lti/contentitem.php?id=1&course=2&section=1&title=Bridge%20content&text=",
        &format!("{}/lti/deeplink", tool.url),
    )
    .await;
    assert_eq!(
        initiation.field("target_link_uri"),
        format!("{}/lti/deeplink", tool.url)
    );
    let hint: Value = serde_json::from_str(&initiation.field("lti_message_hint")).expect("hint");
    assert!(
        hint["launchid"]
            .as_str()
            .is_some_and(|l| l.starts_with("ltilaunch_ContentItemSelectionRequest"))
            && hint.get("cmid").is_none(),
        "{hint}"
    );
    let claims = verify_id_token(&site, &auth.field("id_token")).await;
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti/claim/message_type"],
        "LtiDeepLinkingRequest"
    );
    let settings = &claims[format!("{DL}deep_linking_settings")];
    assert_eq!(
        settings["deep_link_return_url"],
        format!(
            "{site}/mod/lti/contentitem_return.php?course=2&id=1&sesskey={}",
            b.sesskey
        )
    );
    assert_eq!(
        (settings["title"].clone(), settings["accept_types"].clone()),
        (json!("Bridge content"), json!(["ltiResourceLink"]))
    );
    assert!(
        claims
            .get("https://purl.imsglobal.org/spec/lti/claim/resource_link")
            .is_none()
    );

    let jwt = response(&site, &tool.url, TOOL_KID, CLIENT_ID);
    let returned = b
        .post(
            settings["deep_link_return_url"].as_str().expect("url"),
            &[("JWT".into(), jwt)],
        )
        .await;
    assert_eq!(returned.status, 200, "{}", returned.body);
    let data = contentitem_return_data(&returned.body).expect("the data handed to the form");
    assert_eq!(data["toolurl"], format!("{}/lti/launch?unit=1", tool.url));
    assert_eq!(
        (
            data["grade_modgrade_point"].clone(),
            data["lineitemresourceid"].clone(),
            data["lineitemtag"].clone()
        ),
        (json!(10), json!("unit-1"), json!("unit"))
    );
    assert_eq!(
        (
            data["instructorcustomparameters"].clone(),
            data["typeid"].clone(),
            data["introeditor"]["format"].clone()
        ),
        (json!("unit=1"), json!(0), json!("2"))
    );

    // The form's script puts the data into the form; saving it creates the activity.
    let text = |k: &str| {
        data[k]
            .as_str()
            .map_or_else(|| data[k].to_string(), str::to_owned)
    };
    let mut fields: Vec<(String, String)> = [
        "name",
        "toolurl",
        "typeid",
        "instructorchoiceacceptgrades",
        "grade_modgrade_point",
        "lineitemresourceid",
        "lineitemtag",
        "instructorcustomparameters",
    ]
    .iter()
    .map(|k| ((*k).to_owned(), text(k)))
    .collect();
    fields.extend([
        ("introeditor[text]".into(), "Linked from the tool".into()),
        ("sesskey".into(), b.sesskey.clone()),
        ("course".into(), "2".into()),
        ("section".into(), "1".into()),
        ("add".into(), "lti".into()),
    ]);
    let saved = b.post("/course/modedit.php", &fields).await;
    assert_eq!(saved.location, Some(format!("{site}/course/view.php?id=2")));
    assert!(
        b.get("/course/view.php?id=2")
            .await
            .body
            .contains("/mod/lti/view.php?id=9\">Unit 1</a>")
    );
    // local_bridge records it as the teacher's browser request.
    let recorded = sim.with_state(|s| {
        s.plugins
            .outbox
            .rows
            .values()
            .map(|r| (r.eventname, r.objectid, r.origin, r.userid))
            .collect::<Vec<_>>()
    });
    assert_eq!(
        recorded,
        [("\\core\\event\\course_module_created", 9, "web", 3)]
    );

    let t = access_token(&site, ALL_SCOPES).await;
    let items: Value = http()
        .get(format!(
            "{site}/mod/lti/services.php/2/lineitems?type_id=1&tag=unit"
        ))
        .bearer_auth(&t)
        // Moodle refuses `*/*` here: only no Accept or the container type lists.
        .header(
            "Accept",
            "application/vnd.ims.lis.v2.lineitemcontainer+json",
        )
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        items,
        json!([{"id": format!("{site}/mod/lti/services.php/2/lineitems/6/lineitem?type_id=1"), "label": "Unit 1", "scoreMaximum": 10, "resourceId": "unit-1", "tag": "unit", "resourceLinkId": "2", "ltiLinkId": "2"}])
    );
    let (initiation, auth) = launch(
        &mut b,
        "/mod/lti/launch.php?id=9",
        &format!("{}/lti/launch", tool.url),
    )
    .await;
    assert_eq!(
        initiation.field("target_link_uri"),
        format!("{}/lti/launch?unit=1", tool.url)
    );
    let claims = verify_id_token(&site, &auth.field("id_token")).await;
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti/claim/custom"]["unit"],
        "1"
    );
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]["lineitem"],
        format!("{site}/mod/lti/services.php/2/lineitems/6/lineitem?type_id=1")
    );
}

#[tokio::test]
async fn a_response_not_signed_by_the_tool_or_without_session_key_is_refused() {
    let (sim, tool) = start().await;
    let site = sim.url().to_owned();
    let response = |kid: &str, iss: &str| response(&site, &tool.url, kid, iss);
    let mut b = Browser::login(&site, "teacher1").await;
    let url = format!(
        "/mod/lti/contentitem_return.php?course=2&id=1&sesskey={}",
        b.sesskey
    );
    let foreign = b
        .post(&url, &[("JWT".into(), response("someone-else", CLIENT_ID))])
        .await;
    assert_eq!(foreign.status, 404);
    assert_eq!(
        page_parts(&foreign.body)["errormessage"][0],
        "Exception - &quot;kid&quot; invalid, unable to lookup correct key"
    );
    let other_issuer = b
        .post(&url, &[("JWT".into(), response(TOOL_KID, "anotherclient"))])
        .await;
    assert_eq!(
        page_parts(&other_issuer.body)["errormessage"][0],
        "Consumer key is incorrect."
    );
    let no_key = b
        .post(
            "/mod/lti/contentitem_return.php?course=2&id=1",
            &[("JWT".into(), response(TOOL_KID, CLIENT_ID))],
        )
        .await;
    assert_eq!(
        page_parts(&no_key.body)["errormessage"][0],
        "A required parameter (sesskey) was missing"
    );
    let mut student = Browser::login(&site, "student1").await;
    let url = format!(
        "/mod/lti/contentitem_return.php?course=2&id=1&sesskey={}",
        student.sesskey
    );
    let refused = student
        .post(&url, &[("JWT".into(), response(TOOL_KID, CLIENT_ID))])
        .await;
    assert_eq!(
        (
            refused.status,
            page_parts(&refused.body)["errorcode"][0].clone()
        ),
        (
            404,
            json!("https://docs.moodle.org/405/en/error/moodle/nopermissions")
        )
    );
}
