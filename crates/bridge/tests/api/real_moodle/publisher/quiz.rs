//! A pushed quiz in the real Moodle: a student the push enrolled attempts it through Moodle's
//! own quiz web services (`mod_quiz_start_attempt`, `mod_quiz_get_attempt_data`,
//! `mod_quiz_process_attempt` with `finishattempt=1`, the mobile app's service), the grade is
//! in the gradebook, and once attempted its questions stay as they are (409 for that asset).

use serde_json::{Value, json};

use super::{
    add_asset, admin_login, cmid, entry, moodle_course, moodle_modules, new_course, own_bridge,
    push_status,
};
use crate::real_moodle::gateway::delete_course;
use crate::real_moodle::{Site, site};

/// Three questions worth 6: true/false (2), short answer (3), multichoice (1).
fn questions() -> Value {
    json!({"intro": "Warm-up", "questions": [
        {"type": "truefalse", "text": "Light is a wave.", "answer": true, "points": 2, "feedback": "Also a particle."},
        {"type": "shortanswer", "text": "The symbol of gold?", "answer": ["Au"], "points": 3},
        {"type": "multichoice", "text": "What is fastest?", "options": ["Light", "Sound", "Water"], "answer": "Light", "points": 1}
    ]})
}

/// The `value` of the radio button whose label holds `label` in a multichoice question's
/// HTML (Moodle shuffles the choices, so their order is read from the page).
fn choice_value(html: &str, label: &str) -> String {
    html.split("<input type=\"radio\"")
        .skip(1)
        .find(|chunk| chunk.contains(&format!(">{label}<")))
        .and_then(|chunk| chunk.split("value=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no choice {label:?} in {html}"))
}

/// student1 attempts the quiz with `token` (the mobile app's service): true/false and short
/// answer right, the multichoice wrong ("Sound"); answers the finished attempt.
async fn attempt(site: &Site, token: &str, quizid: i64) -> Value {
    let started = site
        .ws(
            token,
            "mod_quiz_start_attempt",
            &[("quizid", quizid.to_string())],
        )
        .await;
    let attempt = &started["attempt"];
    assert_eq!(attempt["state"], "inprogress", "{started}");
    let (aid, uid) = (attempt["id"].to_string(), attempt["uniqueid"].to_string());
    let mut data: Vec<(String, String)> = Vec::new();
    let mut page = 0;
    let mut types = Vec::new();
    while page >= 0 {
        let body = site
            .ws(
                token,
                "mod_quiz_get_attempt_data",
                &[("attemptid", aid.clone()), ("page", page.to_string())],
            )
            .await;
        let questions = body["questions"]
            .as_array()
            .unwrap_or_else(|| panic!("page {page}: {body}"));
        for q in questions {
            let slot = q["slot"].as_i64().expect("slot");
            let html = q["html"].as_str().expect("html");
            assert!(
                !html.contains("The correct answer") && q.get("mark").is_none(),
                "nothing right or graded shows during the attempt: {q}"
            );
            let kind = q["type"].as_str().expect("type").to_owned();
            let answer = match kind.as_str() {
                "truefalse" => "1".to_owned(),
                "shortanswer" => "Au".to_owned(),
                "multichoice" => choice_value(html, "Sound"),
                other => panic!("a question of type {other}: {q}"),
            };
            data.push((
                format!("q{uid}:{slot}_:sequencecheck"),
                q["sequencecheck"].to_string(),
            ));
            data.push((format!("q{uid}:{slot}_answer"), answer));
            types.push(kind);
        }
        page = body["nextpage"].as_i64().expect("nextpage");
    }
    types.sort_unstable();
    assert_eq!(types, ["multichoice", "shortanswer", "truefalse"]);
    let mut params = vec![("attemptid", aid), ("finishattempt", "1".to_owned())];
    let names: Vec<(String, String)> = (0..data.len())
        .map(|i| (format!("data[{i}][name]"), format!("data[{i}][value]")))
        .collect();
    for (i, (name, value)) in data.into_iter().enumerate() {
        params.push((names[i].0.as_str(), name));
        params.push((names[i].1.as_str(), value));
    }
    site.ws(token, "mod_quiz_process_attempt", &params).await
}

#[tokio::test]
async fn a_pushed_quiz_is_attempted_by_a_student_the_push_enrolled_and_the_grade_reaches_the_gradebook()
 {
    let Some(site) = site() else { return };
    let (run, bridge) = own_bridge(&site, &[]).await;
    let lms_token = admin_login(&bridge, &site).await;
    let course = new_course(&bridge, "Real quiz", &format!("REALQUIZ{run}")).await;
    add_asset(&bridge, course, "check", "quiz", questions()).await;

    let enrol = json!({"enrol": [{"username": "student1", "role": "student"}]});
    let (status, body) = push_status(&bridge, course, &lms_token, &["check"], enrol).await;
    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    let moodle_id = moodle_course(data);
    let quiz_entry = entry(data, "check");
    assert_eq!(
        (
            quiz_entry["moodle_module"].as_str(),
            quiz_entry["action"].as_str()
        ),
        (Some("quiz"), Some("created")),
        "{data}"
    );
    let quiz_cm = cmid(quiz_entry);
    assert_eq!(
        data["enrolments"][0]["status"], "enrolled",
        "student1 enrolled by the push: {data}"
    );
    assert!(
        moodle_modules(&site, moodle_id)
            .await
            .iter()
            .any(|m| m.0 == quiz_cm && m.1 == "quiz"),
        "the quiz is in the course"
    );
    let enrolled = site
        .admin_ws(
            "core_enrol_get_enrolled_users",
            &[("courseid", moodle_id.to_string())],
        )
        .await;
    let student = enrolled
        .as_array()
        .and_then(|l| l.iter().find(|u| u["username"] == "student1"))
        .unwrap_or_else(|| panic!("student1 is enrolled: {enrolled}"));
    assert_eq!(student["roles"][0]["shortname"], "student", "{student}");

    let learner = site.token("student1_mobile");
    let listed = site
        .ws(
            &learner,
            "mod_quiz_get_quizzes_by_courses",
            &[("courseids[0]", moodle_id.to_string())],
        )
        .await;
    let quiz = listed["quizzes"]
        .as_array()
        .and_then(|l| l.iter().find(|q| q["coursemodule"] == quiz_cm))
        .unwrap_or_else(|| panic!("the learner sees the quiz: {listed}"));
    assert_eq!(
        (
            quiz["sumgrades"].as_f64(),
            quiz["grade"].as_f64(),
            quiz["hasquestions"].as_i64()
        ),
        (Some(6.0), Some(6.0), Some(1)),
        "points are the marks and their sum the grade: {quiz}"
    );
    let quizid = quiz["id"].as_i64().expect("quiz id");

    let finished = attempt(&site, &learner, quizid).await;
    assert_eq!(finished["state"], "finished", "{finished}");
    let best = site
        .ws(
            &learner,
            "mod_quiz_get_user_best_grade",
            &[("quizid", quizid.to_string())],
        )
        .await;
    assert_eq!(
        (best["hasgrade"].as_bool(), best["grade"].as_f64()),
        (Some(true), Some(5.0)),
        "2 + 3 right, the multichoice wrong: {best}"
    );
    let me = site
        .ws(&learner, "core_webservice_get_site_info", &[])
        .await;
    let report = site
        .ws(
            &learner,
            "gradereport_user_get_grade_items",
            &[
                ("courseid", moodle_id.to_string()),
                ("userid", me["userid"].to_string()),
            ],
        )
        .await;
    let items: Vec<(Option<f64>, Option<f64>)> = report["usergrades"]
        .as_array()
        .unwrap_or_else(|| panic!("usergrades: {report}"))
        .iter()
        .flat_map(|u| u["gradeitems"].as_array().cloned().unwrap_or_default())
        .filter(|g| g["itemmodule"] == "quiz" && g["cmid"] == quiz_cm)
        .map(|g| (g["graderaw"].as_f64(), g["grademax"].as_f64()))
        .collect();
    assert_eq!(
        items,
        [(Some(5.0), Some(6.0))],
        "the gradebook holds the grade: {report}"
    );

    // Attempted: Moodle keeps the questions, the asset fails with 409; the name still follows.
    let (status, changed) = bridge
        .send(
            reqwest::Method::PATCH,
            &format!("/api/courses/{course}/assets/check"),
            &[],
            &json!({"asset_content": {"intro": "Warm-up, revised", "questions": [
                {"type": "truefalse", "text": "Sound is a wave.", "answer": true}
            ]}}),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    let (status, body) = push_status(&bridge, course, &lms_token, &["check"], json!({})).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("quizhasattempts")),
        "{body}"
    );
    let failed = entry(&body["data"], "check");
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(
        failed.to_string().contains("quizhasattempts"),
        "the report names Moodle's reason: {failed}"
    );
    let again = site
        .ws(
            &learner,
            "mod_quiz_get_quizzes_by_courses",
            &[("courseids[0]", moodle_id.to_string())],
        )
        .await;
    let kept = again["quizzes"]
        .as_array()
        .and_then(|l| l.iter().find(|q| q["coursemodule"] == quiz_cm))
        .expect("the quiz");
    assert_eq!(
        kept["sumgrades"].as_f64(),
        Some(6.0),
        "questions kept: {kept}"
    );
    assert!(
        kept["intro"]
            .as_str()
            .is_some_and(|i| i.contains("revised")),
        "its description follows: {kept}"
    );

    delete_course(&site, moodle_id).await;
    bridge.stop().await;
}
