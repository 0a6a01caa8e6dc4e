//! Every recorded success body of the typed functions decodes into its response type,
//! checked against the raw JSON; plus the Moodle 5.0 differences the README lists.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::*;
use crate::decode;
use crate::testdata;

fn decode_as<T: DeserializeOwned>(body: &str) -> T {
    decode::rest(body.as_bytes(), None)
        .unwrap_or_else(|e| panic!("{e}: {}", &body[..body.len().min(200)]))
}

fn len(v: &Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}

/// Decodes one success body of `function` and checks the result against the JSON.
fn check(function: &str, body: &str) -> bool {
    let raw: Value = serde_json::from_str(body).expect("json");
    match function {
        f if f == site::GET_SITE_INFO.name() => {
            let v: site::SiteInfo = decode_as(body);
            assert_eq!(v.userid, raw["userid"].as_i64().expect("userid"));
            assert_eq!(v.functions.len(), len(&raw["functions"]));
            assert!(v.has_function(site::GET_SITE_INFO));
            assert_eq!(v.version.as_deref(), raw["version"].as_str());
        }
        f if f == mobile::GET_PUBLIC_CONFIG.name() => {
            let v: mobile::PublicConfig = decode_as(body);
            assert_eq!(v.wwwroot, raw["wwwroot"].as_str().expect("wwwroot"));
            assert_eq!(v.enablewebservices, Some(true));
        }
        f if f == course::GET_COURSES.name() => {
            let v: Vec<course::Course> = decode_as(body);
            assert_eq!(v.len(), len(&raw));
            for (c, r) in v.iter().zip(raw.as_array().into_iter().flatten()) {
                assert_eq!(
                    (c.id, c.shortname.as_str()),
                    (
                        r["id"].as_i64().expect("id"),
                        r["shortname"].as_str().expect("s")
                    )
                );
                assert_eq!(c.courseformatoptions.len(), len(&r["courseformatoptions"]));
            }
        }
        f if f == course::GET_COURSES_BY_FIELD.name() => {
            let v: course::CoursesByField = decode_as(body);
            assert_eq!(v.courses.len(), len(&raw["courses"]));
            for (c, r) in v
                .courses
                .iter()
                .zip(raw["courses"].as_array().into_iter().flatten())
            {
                assert_eq!(c.id, r["id"].as_i64().expect("id"));
                assert_eq!(c.contacts.len(), len(&r["contacts"]));
            }
        }
        f if f == course::CREATE_COURSES.name() => {
            let v: Vec<course::CreatedCourse> = decode_as(body);
            assert_eq!(v[0].id, raw[0]["id"].as_i64().expect("id"));
        }
        f if f == course::UPDATE_COURSES.name() || f == course::DELETE_COURSES.name() => {
            let v: Warnings = decode_as(body);
            assert_eq!(v.warnings.len(), len(&raw["warnings"]));
        }
        f if f == course::GET_CONTENTS.name() => {
            let v: Vec<course::Section> = decode_as(body);
            assert_eq!(v.len(), len(&raw));
            for (s, r) in v.iter().zip(raw.as_array().into_iter().flatten()) {
                assert_eq!(s.modules.len(), len(&r["modules"]));
                for (m, rm) in s
                    .modules
                    .iter()
                    .zip(r["modules"].as_array().into_iter().flatten())
                {
                    assert_eq!(
                        (m.id, m.contents.len()),
                        (rm["id"].as_i64().expect("id"), len(&rm["contents"]))
                    );
                }
            }
        }
        f if f == course::GET_COURSE_MODULE.name() => {
            let v: course::CourseModuleInfo = decode_as(body);
            assert_eq!(v.cm.id, raw["cm"]["id"].as_i64().expect("id"));
            assert_eq!(v.cm.idnumber.as_deref(), raw["cm"]["idnumber"].as_str());
        }
        f if f == course::DELETE_MODULES.name()
            || f == user::ADD_USER_PRIVATE_FILES.name()
            || f == enrol::ENROL_USERS.name() =>
        {
            let () = decode_as(body);
        }
        f if f == category::GET_CATEGORIES.name() => {
            let v: Vec<category::Category> = decode_as(body);
            assert_eq!(v.len(), len(&raw));
            for (c, r) in v.iter().zip(raw.as_array().into_iter().flatten()) {
                assert_eq!(
                    (c.id, c.idnumber.as_deref()),
                    (r["id"].as_i64().expect("id"), r["idnumber"].as_str())
                );
            }
        }
        f if f == category::CREATE_CATEGORIES.name() => {
            let v: Vec<category::CreatedCategory> = decode_as(body);
            assert_eq!(v[0].name, raw[0]["name"].as_str().expect("name"));
        }
        f if f == courseformat::UPDATE_COURSE.name() => {
            let text: String = decode_as(body);
            let v: Vec<courseformat::StateUpdate> =
                serde_json::from_str(&text).expect("inner json");
            assert!(v.iter().any(|u| u.name == "course" && u.id().is_some()));
        }
        f if f == user::GET_USERS_BY_FIELD.name() => {
            let v: Vec<user::User> = decode_as(body);
            assert_eq!(v.len(), len(&raw));
        }
        f if f == user::CREATE_USERS.name() => {
            let v: Vec<user::CreatedUser> = decode_as(body);
            assert_eq!(
                v[0].username,
                raw[0]["username"].as_str().expect("username")
            );
        }
        f if f == enrol::GET_ENROLLED_USERS.name() => {
            let v: Vec<enrol::EnrolledUser> = decode_as(body);
            assert_eq!(v.len(), len(&raw));
            assert_eq!(v[0].roles.len(), len(&raw[0]["roles"]));
        }
        f if f == message::GET_POPUP_NOTIFICATIONS.name() => {
            let v: message::PopupNotifications = decode_as(body);
            assert_eq!(v.notifications.len(), len(&raw["notifications"]));
            assert_eq!(v.unreadcount, raw["unreadcount"].as_i64().expect("count"));
        }
        f if f == message::GET_UNREAD_POPUP_NOTIFICATION_COUNT.name() => {
            let v: i64 = decode_as(body);
            assert_eq!(v, raw.as_i64().expect("int"));
        }
        f if f == files::GET_FILES.name() => {
            let v: files::FileListing = decode_as(body);
            assert_eq!(
                (v.parents.len(), v.files.len()),
                (len(&raw["parents"]), len(&raw["files"]))
            );
        }
        f if f == files::UPLOAD.name() => {
            let v: files::UploadedFile = decode_as(body);
            assert_eq!(v.itemid, raw["itemid"].as_i64().expect("itemid"));
        }
        f if f == assign::GET_ASSIGNMENTS.name() => {
            let v: assign::AssignmentsByCourse = decode_as(body);
            assert_eq!(
                (v.courses.len(), v.warnings.len()),
                (len(&raw["courses"]), len(&raw["warnings"]))
            );
        }
        f if f == assign::GET_SUBMISSIONS.name() => {
            let v: assign::Submissions = decode_as(body);
            assert_eq!(v.assignments.len(), len(&raw["assignments"]));
            let files: usize = v
                .assignments
                .iter()
                .flat_map(|a| &a.submissions)
                .map(|s| s.files().count())
                .sum();
            let raw_files = body.matches("\"fileurl\"").count();
            assert_eq!(files, raw_files);
        }
        _ => return false,
    }
    true
}

#[test]
fn every_recorded_success_body_of_a_typed_function_decodes() {
    let mut decoded: BTreeMap<String, usize> = BTreeMap::new();
    for r in testdata::records()
        .iter()
        .filter(|r| !r.is_error() && r.json().is_some())
    {
        let Some(function) = &r.function else {
            continue;
        };
        if check(function, &r.body) {
            *decoded.entry(function.clone()).or_default() += 1;
        }
    }
    // Every typed function with a recorded success must have been checked; the recording
    // has none for core_course_search_courses.
    let recorded = [
        site::GET_SITE_INFO,
        mobile::GET_PUBLIC_CONFIG,
        course::GET_COURSES,
        course::GET_COURSES_BY_FIELD,
        course::CREATE_COURSES,
        course::UPDATE_COURSES,
        course::DELETE_COURSES,
        course::GET_CONTENTS,
        course::GET_COURSE_MODULE,
        course::DELETE_MODULES,
        category::GET_CATEGORIES,
        category::CREATE_CATEGORIES,
        courseformat::UPDATE_COURSE,
        user::GET_USERS_BY_FIELD,
        user::CREATE_USERS,
        user::ADD_USER_PRIVATE_FILES,
        enrol::ENROL_USERS,
        enrol::GET_ENROLLED_USERS,
        message::GET_POPUP_NOTIFICATIONS,
        message::GET_UNREAD_POPUP_NOTIFICATION_COUNT,
        files::GET_FILES,
        files::UPLOAD,
        assign::GET_ASSIGNMENTS,
        assign::GET_SUBMISSIONS,
    ];
    for f in recorded {
        assert!(
            decoded.get(f.name()).copied().unwrap_or(0) > 0,
            "no recorded success decoded for {f}: {decoded:?}"
        );
    }
    assert!(decoded.values().sum::<usize>() >= 60, "{decoded:?}");
}

#[test]
fn moodle_5_differences_are_tolerated() {
    let mut site: Value = serde_json::from_str(&testdata::seq(9).body).expect("json");
    site["version"] = json!("2025041406.11");
    let v: site::SiteInfo = decode_as(&site.to_string());
    assert_eq!(v.version.as_deref(), Some("2025041406.11"));

    let mut contents: Value = serde_json::from_str(&testdata::seq(71).body).expect("json");
    contents[0]["modules"][0]["candisplay"] = json!(true);
    contents[1]["modules"]
        .as_array_mut()
        .expect("modules")
        .push(json!({"id": 20, "name": "Sub", "instance": 1, "modname": "subsection", "visible": 1, "uservisible": true}));
    contents.as_array_mut().expect("sections").push(json!({
        "id": 30, "name": "Sub", "visible": 1, "summary": "", "summaryformat": 1, "section": 9,
        "uservisible": true, "component": "mod_subsection", "itemid": 1, "modules": []
    }));
    let v: Vec<course::Section> = decode_as(&contents.to_string());
    assert!(
        v[1].modules
            .last()
            .is_some_and(|m| m.is_subsection() && m.url.is_none())
    );
    assert_eq!(
        v.last().and_then(|s| s.component.as_deref()),
        Some("mod_subsection")
    );

    let mut assignments: Value = serde_json::from_str(&testdata::seq(112).body).expect("json");
    assignments["courses"][0]["assignments"][0]["gradepenalty"] = json!(0);
    let v: assign::AssignmentsByCourse = decode_as(&assignments.to_string());
    assert_eq!(v.courses[0].assignments[0].cmid, 6);

    let warn = r#"{"warnings":[{"item":"course","itemid":99999,"warningcode":"invalidrecordunknown","message":"Can't find data record in database."}]}"#;
    let v: Warnings = decode_as(warn);
    let err = v.fail_on_warnings().expect_err("warning");
    assert_eq!(
        (err.kind(), err.code()),
        (crate::ErrorKind::NotFound, Some("invalidrecord")),
        "one code whatever the Moodle version calls it"
    );
}

#[test]
fn ids_sent_as_strings_decode() {
    let body = r#"[{"id":"7","shortname":"X","categoryid":"2","visible":"1","startdate":"0"}]"#;
    let v: Vec<course::Course> = decode_as(body);
    assert_eq!((v[0].id, v[0].categoryid, v[0].visible), (7, 2, true));
}
