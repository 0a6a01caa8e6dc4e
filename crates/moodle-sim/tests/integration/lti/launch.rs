//! A complete resource-link launch through the browser pages: login form, course page,
//! activity page with the launch frame, login initiation to the tool, authentication
//! request, signed id_token to the tool's launch URL; the roles by user; platform storage
//! when offered; the seeded activity in the REST answers.

use moodle_sim::lti::LtiConfig;
use moodle_sim::{Sim, SimConfig};
use serde_json::{Value, json};

use super::browser::Browser;
use super::{CLIENT_ID, launch, start, start_with, verify_id_token};
use crate::support::Site;

const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";

#[tokio::test]
async fn a_teacher_launches_the_activity_from_the_course_page_in_a_frame() {
    let (sim, tool) = start().await;
    let site = sim.url().to_owned();
    let mut b = Browser::login(&site, "teacher1").await;
    assert!(
        b.cookie
            .as_deref()
            .is_some_and(|c| c.starts_with("MoodleSession="))
    );

    let course = b.get("/course/view.php?id=2").await;
    assert_eq!(course.status, 200);
    assert!(
        course.body.contains(&format!(
            "href=\"{site}/mod/lti/view.php?id=8\">Bridge tool activity</a>"
        )),
        "{}",
        course.body
    );
    assert!(course.body.contains(&format!(
        "href=\"{site}/mod/lti/launch.php?id=8\" target=\"_blank\""
    )));
    let activity = b.get("/mod/lti/view.php?id=8").await;
    assert!(
        activity.body.contains(&format!("<iframe id=\"contentframe\" name=\"contentframe\" height=\"600px\" width=\"100%\" src=\"{site}/mod/lti/launch.php?id=8&amp;triggerview=0\"")),
        "{}",
        activity.body
    );
    assert!(
        !activity.body.contains("lti.put_data"),
        "no platform storage by default"
    );

    let (initiation, auth) = launch(
        &mut b,
        "/mod/lti/launch.php?id=8&triggerview=0",
        &format!("{}/lti/launch", tool.url),
    )
    .await;
    let form = initiation.form();
    assert_eq!(form["action"], format!("{}/lti/login", tool.url));
    let hint: Value =
        serde_json::from_str(form["fields"]["lti_message_hint"].as_str().expect("hint"))
            .expect("JSON");
    assert_eq!(hint["cmid"], 8);
    assert!(
        hint["launchid"]
            .as_str()
            .is_some_and(|l| l.starts_with("ltilaunch1_")),
        "{hint}"
    );
    let mut fields = form["fields"].clone();
    fields["lti_message_hint"] = Value::Null;
    assert_eq!(
        fields,
        json!({"iss": site, "target_link_uri": format!("{}/lti/launch", tool.url), "login_hint": "3", "lti_message_hint": null, "client_id": CLIENT_ID, "lti_deployment_id": "1"})
    );

    let answer = auth.form();
    assert_eq!(answer["action"], format!("{}/lti/launch", tool.url));
    assert_eq!(answer["fields"]["state"], "state-1");
    let claims = verify_id_token(
        &site,
        answer["fields"]["id_token"].as_str().expect("id_token"),
    )
    .await;
    assert_eq!(
        claims["exp"].as_i64(),
        claims["iat"].as_i64().map(|i| i + 60)
    );
    assert_eq!(claims["nonce"], "nonce-1");
    assert_eq!(claims["sub"], "3");
    assert_eq!(
        claims[format!("{LTI}message_type")],
        "LtiResourceLinkRequest"
    );
    assert_eq!(claims[format!("{LTI}deployment_id")], "1");
    assert_eq!(
        claims[format!("{LTI}roles")],
        json!(["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"])
    );
    assert_eq!(
        claims[format!("{LTI}resource_link")],
        json!({"title": "Bridge tool activity", "description": "Launches the Moodle Bridge LTI tool.", "id": "1"})
    );
    assert_eq!(
        claims[format!("{LTI}context")],
        json!({"id": "2", "label": "PHYS101", "title": "Physics 101", "type": ["CourseSection"]})
    );
    assert_eq!(
        claims[format!("{LTI}ext")],
        json!({"user_username": "teacher1", "lms": "moodle-2"})
    );
    assert_eq!(
        claims[format!("{LTI}lis")],
        json!({"person_sourcedid": "T001", "course_section_sourcedid": "PHYS101-2026"})
    );
    let memberships = format!("{site}/mod/lti/services.php/CourseSection/2/bindings/1/memberships");
    assert_eq!(
        claims[format!("{LTI}custom")],
        json!({"course_shortname": "Physics 101", "context_memberships_url": memberships})
    );
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"]["context_memberships_url"],
        memberships
    );
    let ags = &claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"];
    assert_eq!(
        ags["lineitem"],
        format!("{site}/mod/lti/services.php/2/lineitems/5/lineitem?type_id=1")
    );
    assert_eq!(ags["scope"].as_array().map(Vec::len), Some(4));
    let presentation = &claims[format!("{LTI}launch_presentation")];
    assert_eq!(presentation["document_target"], "iframe");
    assert_eq!(
        presentation["return_url"],
        format!(
            "{site}/mod/lti/return.php?course=2&launch_container=3&instanceid=1&sesskey={}",
            b.sesskey
        )
    );

    b.submit(&auth).await;
    let seen: Vec<(String, String)> = tool
        .seen()
        .into_iter()
        .map(|s| (s.method, s.path))
        .collect();
    assert!(
        seen.contains(&("POST".into(), "/lti/login".into()))
            && seen.contains(&("POST".into(), "/lti/launch".into())),
        "{seen:?}"
    );
    let posted = tool
        .seen()
        .into_iter()
        .find(|s| s.path == "/lti/launch")
        .expect("launch post");
    assert!(posted.form.iter().any(|(k, _)| k == "id_token"));

    // The launch return goes back to the course.
    let back = b
        .get(presentation["return_url"].as_str().expect("url"))
        .await;
    assert!(
        back.body.contains(&format!("{site}/course/view.php?id=2")),
        "{}",
        back.body
    );
}

#[tokio::test]
async fn a_student_launches_as_learner_and_the_admin_also_as_administrator() {
    let (sim, tool) = start().await;
    let redirect = format!("{}/lti/launch", tool.url);
    let roles = |c: &Value| c[format!("{LTI}roles")].clone();
    let mut student = Browser::login(sim.url(), "student1").await;
    let (_, auth) = launch(&mut student, "/mod/lti/launch.php?id=8", &redirect).await;
    let claims = verify_id_token(sim.url(), &auth.field("id_token")).await;
    assert_eq!(
        roles(&claims),
        json!(["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"])
    );
    assert_eq!(claims["email"], "student1@example.com");
    let mut admin = Browser::login(sim.url(), "admin").await;
    let (_, auth) = launch(&mut admin, "/mod/lti/launch.php?id=8", &redirect).await;
    let claims = verify_id_token(sim.url(), &auth.field("id_token")).await;
    assert_eq!(
        roles(&claims),
        json!([
            "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
            "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
            "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"
        ])
    );
}

#[tokio::test]
async fn platform_storage_is_offered_only_when_configured() {
    let (sim, _tool) = start_with(LtiConfig {
        storage_target: true,
        ..LtiConfig::default()
    })
    .await;
    let mut b = Browser::login(sim.url(), "student1").await;
    let page = b.get("/mod/lti/launch.php?id=8").await;
    assert_eq!(page.field("lti_storage_target"), "_parent");
    let activity = b.get("/mod/lti/view.php?id=8").await;
    for subject in ["lti.capabilities", "lti.put_data", "lti.get_data"] {
        assert!(activity.body.contains(subject), "{subject} not answered");
    }
    let (sim2, _tool2) = start().await;
    let mut b2 = Browser::login(sim2.url(), "student1").await;
    let page = b2.get("/mod/lti/launch.php?id=8").await;
    assert!(page.form()["fields"].get("lti_storage_target").is_none());
}

#[tokio::test]
async fn a_guest_logs_in_and_comes_back_to_the_activity() {
    let (sim, _tool) = start().await;
    let mut b = Browser::new(sim.url());
    let first = b.get("/mod/lti/view.php?id=8").await;
    assert_eq!(
        (first.status, first.location.clone()),
        (303, Some(format!("{}/login/index.php", sim.url())))
    );
    assert!(
        first
            .cookies
            .iter()
            .any(|c| c.contains("SameSite=Lax") && c.contains("HttpOnly")),
        "{:?}",
        first.cookies
    );
    let form = b.get("/login/index.php").await;
    let token = super::html::hidden_inputs(&form.body)
        .into_iter()
        .find(|(n, _)| n == "logintoken")
        .expect("token")
        .1;
    let wrong = b
        .post(
            "/login/index.php",
            &[
                ("username".into(), "student1".into()),
                ("password".into(), "nope".into()),
                ("logintoken".into(), token.clone()),
            ],
        )
        .await;
    assert_eq!(wrong.status, 303);
    assert!(
        b.get("/login/index.php")
            .await
            .body
            .contains("Invalid login, please try again")
    );
    let ok = b
        .post(
            "/login/index.php",
            &[
                ("username".into(), "student1".into()),
                (
                    "password".into(),
                    moodle_sim::fixture::STUDENT_PASSWORD.into(),
                ),
                ("logintoken".into(), token),
            ],
        )
        .await;
    assert_eq!(
        ok.location,
        Some(format!("{}/login/index.php?testsession=4", sim.url()))
    );
    let back = b.get(ok.location.as_deref().expect("location")).await;
    assert_eq!(
        back.location,
        Some(format!("{}/mod/lti/view.php?id=8", sim.url()))
    );
}

#[tokio::test]
async fn the_seeded_activity_appears_in_rest_answers_as_on_the_real_site() {
    let site = Site::start().await;
    let admin = site.token("admin_bridge");
    let cm = site
        .call(&admin, "core_course_get_course_module", &[("cmid", "8")])
        .await;
    assert_eq!(
        (
            cm["cm"]["modname"].clone(),
            cm["cm"]["sectionnum"].clone(),
            cm["cm"]["grade"].clone()
        ),
        (json!("lti"), json!(3), json!(100))
    );
    assert_eq!(
        (cm["cm"]["gradepass"].clone(), cm["cm"]["gradecat"].clone()),
        (json!("0.00"), json!(1))
    );
    let contents = site
        .call(&admin, "core_course_get_contents", &[("courseid", "2")])
        .await;
    let lti = contents[3]["modules"][0].clone();
    assert_eq!(
        (
            lti["id"].clone(),
            lti["contextid"].clone(),
            lti["modplural"].clone()
        ),
        (json!(8), json!(29), json!("External tools"))
    );
    // The REST recordings' site had no activity there yet.
    let bare = Sim::start(SimConfig {
        lti: LtiConfig {
            activity: false,
            ..LtiConfig::default()
        },
        ..SimConfig::default()
    })
    .await
    .expect("starts");
    let token = bare.token("admin_bridge").expect("token");
    let resp: Value = super::http()
        .post(format!("{}/webservice/rest/server.php", bare.url()))
        .form(&[
            ("wstoken", token.as_str()),
            ("wsfunction", "core_course_get_contents"),
            ("moodlewsrestformat", "json"),
            ("courseid", "2"),
        ])
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON");
    assert_eq!(resp[3]["modules"], json!([]));
}
