//! `local_bridge`: the content functions per role and refusal, the file listing and
//! `download.php`.

use serde_json::Value;

use super::{set_config, upload};
use crate::support::{Site, errorcode};

fn page<'a>(name: &'a str, idnumber: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("courseid", "2"),
        ("section", "1"),
        ("name", name),
        ("content", "<p>Made by a test</p>"),
        ("idnumber", idnumber),
    ]
}

fn module_count(site: &Site) -> usize {
    site.sim.with_state(|s| s.cms.len())
}

#[tokio::test]
async fn admins_and_editing_teachers_create_pages_and_students_are_refused() {
    let site = Site::start().await;
    for (role, idnumber) in [
        ("admin_bridge", "t-admin"),
        ("teacher1_bridge", "t-teacher"),
    ] {
        let made = site
            .call(
                &site.token(role),
                "local_bridge_create_page",
                &page("A page", idnumber),
            )
            .await;
        assert_eq!(made["modname"], "page", "{role}: {made}");
        assert_eq!(made["courseid"], 2);
        assert_eq!(made["section"], 1);
        assert_eq!(made["idnumber"], idnumber);
        assert_eq!(made["visible"], true);
        assert_eq!(made["warnings"], serde_json::json!([]));
        let cmid = made["cmid"].as_i64().expect("cmid");
        assert_eq!(
            made["url"],
            format!("{}/mod/page/view.php?id={cmid}", site.sim.url()).as_str()
        );
        let in_section = site.sim.with_state(|s| {
            s.section_by_number(2, 1)
                .is_some_and(|sec| sec.sequence.contains(&cmid))
        });
        assert!(in_section, "{role}: the page is on the course page");
    }
    let before = module_count(&site);
    let refused = site
        .call(
            &site.token("student1_bridge"),
            "local_bridge_create_page",
            &page("Nope", "t-student"),
        )
        .await;
    assert_eq!(errorcode(&refused), Some("nopermissions"));
    assert_eq!(
        refused["message"],
        "Sorry, but you do not currently have permissions to do that (Manage activities)."
    );
    assert_eq!(module_count(&site), before);
}

#[tokio::test]
async fn a_duplicate_idnumber_is_refused_naming_the_module_that_has_it() {
    let site = Site::start().await;
    let teacher = site.token("teacher1_bridge");
    let first = site
        .call(
            &teacher,
            "local_bridge_create_page",
            &page("First", "dup-1"),
        )
        .await;
    let cmid = first["cmid"].as_i64().expect("cmid");
    let before = module_count(&site);
    let second = site
        .call(
            &site.token("admin_bridge"),
            "local_bridge_create_url",
            &[
                ("courseid", "2"),
                ("name", "Second"),
                ("externalurl", "https://example.org/"),
                ("idnumber", "dup-1"),
            ],
        )
        .await;
    assert_eq!(errorcode(&second), Some("duplicateidnumber"));
    assert_eq!(
        second["message"],
        format!("The ID number \"dup-1\" is already used in this course by course module {cmid}.")
            .as_str()
    );
    assert_eq!(module_count(&site), before, "nothing half-made");
    // The same ID number in another course is fine: uniqueness is per course.
    let elsewhere = site
        .call(
            &teacher,
            "local_bridge_create_page",
            &[
                ("courseid", "3"),
                ("name", "Other"),
                ("content", "x"),
                ("idnumber", "dup-1"),
            ],
        )
        .await;
    assert_eq!(elsewhere["courseid"], 3, "{elsewhere}");
}

#[tokio::test]
async fn values_are_checked_after_the_capabilities() {
    let site = Site::start().await;
    let teacher = site.token("teacher1_bridge");
    let cases: [(&[(&str, &str)], &str); 6] = [
        (
            &[("courseid", "99"), ("name", "x"), ("content", "x")],
            "invalidrecord",
        ),
        (
            &[
                ("courseid", "2"),
                ("section", "99"),
                ("name", "x"),
                ("content", "x"),
            ],
            "sectionnotfound",
        ),
        (
            &[("courseid", "2"), ("name", " "), ("content", "x")],
            "invalidparameter",
        ),
        (
            &[
                ("courseid", "2"),
                ("name", "x"),
                ("content", "x"),
                ("contentformat", "3"),
            ],
            "invalidparameter",
        ),
        (
            &[("courseid", "2"), ("name", "<b>x</b>"), ("content", "x")],
            "invalidparameter",
        ),
        (&[("courseid", "2"), ("content", "x")], "invalidparameter"),
    ];
    for (params, code) in cases {
        let body = site
            .call(&teacher, "local_bridge_create_page", params)
            .await;
        assert_eq!(errorcode(&body), Some(code), "{params:?}: {body}");
    }
    let forum = site
        .call(
            &teacher,
            "local_bridge_create_forum",
            &[("courseid", "2"), ("name", "News"), ("type", "news")],
        )
        .await;
    assert_eq!(errorcode(&forum), Some("invalidparameter"));
    let url = site
        .call(
            &teacher,
            "local_bridge_create_url",
            &[
                ("courseid", "2"),
                ("name", "x"),
                ("externalurl", "https://example.org/"),
                ("display", "2"),
            ],
        )
        .await;
    assert_eq!(errorcode(&url), Some("invalidparameter"));
    site.sim.set_debug(true);
    let debug = site
        .call(
            &teacher,
            "local_bridge_create_url",
            &[
                ("courseid", "2"),
                ("name", "x"),
                ("externalurl", "https://example.org/"),
                ("display", "2"),
            ],
        )
        .await;
    assert_eq!(
        debug["debuginfo"],
        "display: 2 is not allowed for url (allowed: 0, 1, 5, 6)"
    );
}

#[tokio::test]
async fn a_file_activity_takes_the_callers_own_draft_files_only() {
    let site = Site::start().await;
    let teacher = site.token("teacher1_bridge");
    let draft = upload(&site, &teacher, "notes.txt", b"teacher's notes").await;
    let before = module_count(&site);
    for (token, itemid) in [
        (site.token("admin_bridge"), draft.as_str()),
        (teacher.clone(), "424242"),
    ] {
        let refused = site
            .call(
                &token,
                "local_bridge_create_resource",
                &[
                    ("courseid", "2"),
                    ("name", "Notes"),
                    ("draftitemid", itemid),
                ],
            )
            .await;
        assert_eq!(errorcode(&refused), Some("invaliddraftitemid"), "{refused}");
    }
    assert_eq!(module_count(&site), before);
    let student_draft = upload(&site, &site.token("student1_bridge"), "s.txt", b"s").await;
    let student = site
        .call(
            &site.token("student1_bridge"),
            "local_bridge_create_resource",
            &[
                ("courseid", "2"),
                ("name", "Mine"),
                ("draftitemid", &student_draft),
            ],
        )
        .await;
    assert_eq!(errorcode(&student), Some("nopermissions"));

    let made = site
        .call(
            &teacher,
            "local_bridge_create_resource",
            &[
                ("courseid", "2"),
                ("section", "2"),
                ("name", "Notes"),
                ("draftitemid", &draft),
            ],
        )
        .await;
    assert_eq!(made["modname"], "resource", "{made}");
    let cmid = made["cmid"].as_i64().expect("cmid");
    let contents = site
        .call(
            &teacher,
            "core_course_get_contents",
            &[
                ("courseid", "2"),
                ("options[0][name]", "cmid"),
                ("options[0][value]", &cmid.to_string()),
            ],
        )
        .await;
    let names: Vec<&str> = contents
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["modules"].as_array().into_iter().flatten())
        .flat_map(|m| m["contents"].as_array().into_iter().flatten())
        .filter_map(|f| f["filename"].as_str())
        .collect();
    assert_eq!(names, ["notes.txt"]);
}

#[tokio::test]
async fn update_module_changes_only_the_given_fields() {
    let site = Site::start().await;
    let teacher = site.token("teacher1_bridge");
    let url = site
        .call(
            &teacher,
            "local_bridge_create_url",
            &[
                ("courseid", "2"),
                ("name", "Link"),
                ("externalurl", "https://example.org/a"),
                ("idnumber", "u-1"),
            ],
        )
        .await;
    let cmid = url["cmid"].to_string();
    let updated = site
        .call(
            &teacher,
            "local_bridge_update_module",
            &[
                ("cmid", &cmid),
                ("fields[externalurl]", "https://example.org/b"),
                ("fields[visible]", "0"),
            ],
        )
        .await;
    assert_eq!(updated["visible"], false, "{updated}");
    assert_eq!(updated["name"], "Link");
    assert_eq!(updated["idnumber"], "u-1");
    let stored = site.sim.with_state(|s| {
        s.cms
            .get(&cmid.parse().unwrap_or_default())
            .map(|cm| format!("{:?}", cm.kind))
    });
    assert!(stored.is_some_and(|k| k.contains("https://example.org/b")));

    let wrong_field = site
        .call(
            &teacher,
            "local_bridge_update_module",
            &[("cmid", &cmid), ("fields[content]", "x")],
        )
        .await;
    assert_eq!(errorcode(&wrong_field), Some("invalidparameter"));
    let assignment = site
        .call(
            &teacher,
            "local_bridge_update_module",
            &[("cmid", "6"), ("fields[name]", "x")],
        )
        .await;
    assert_eq!(errorcode(&assignment), Some("unsupportedmodule"));
    let missing = site
        .call(
            &teacher,
            "local_bridge_update_module",
            &[("cmid", "999"), ("fields[name]", "x")],
        )
        .await;
    assert_eq!(errorcode(&missing), Some("invalidcoursemodule"));
    assert_eq!(missing["exception"], "dml_missing_record_exception");
    let student = site
        .call(
            &site.token("student1_bridge"),
            "local_bridge_update_module",
            &[("cmid", "1"), ("fields[name]", "x")],
        )
        .await;
    assert_eq!(errorcode(&student), Some("nopermissions"));
    site.call(&teacher, "local_bridge_create_page", &page("P", "p-1"))
        .await;
    let taken = site
        .call(
            &teacher,
            "local_bridge_update_module",
            &[("cmid", &cmid), ("fields[idnumber]", "p-1")],
        )
        .await;
    assert_eq!(errorcode(&taken), Some("duplicateidnumber"));
}

#[tokio::test]
async fn modules_are_found_by_idnumber_with_a_warning_for_each_missing_one() {
    let site = Site::start().await;
    let teacher = site.token("teacher1_bridge");
    let a = site
        .call(&teacher, "local_bridge_create_page", &page("A", "find-a"))
        .await;
    let found = site
        .call(
            &teacher,
            "local_bridge_find_modules_by_idnumber",
            &[
                ("courseid", "2"),
                ("idnumbers[0]", "find-a"),
                ("idnumbers[1]", "gone"),
                ("idnumbers[2]", "find-a"),
            ],
        )
        .await;
    assert_eq!(found["modules"].as_array().map(Vec::len), Some(1));
    assert_eq!(found["modules"][0]["cmid"], a["cmid"]);
    assert_eq!(found["warnings"][0]["item"], "gone");
    assert_eq!(found["warnings"][0]["warningcode"], "idnumbernotfound");
    assert_eq!(found["warnings"].as_array().map(Vec::len), Some(1));
    let student = site
        .call(
            &site.token("student1_bridge"),
            "local_bridge_find_modules_by_idnumber",
            &[("courseid", "2"), ("idnumbers[0]", "find-a")],
        )
        .await;
    assert_eq!(errorcode(&student), Some("nopermissions"));
}

pub(super) async fn list(site: &Site, role: &str, params: &[(&str, &str)]) -> Value {
    site.call(&site.token(role), "local_bridge_list_user_files", params)
        .await
}

#[tokio::test]
async fn teachers_list_a_learners_private_and_submission_files() {
    let site = Site::start().await;
    let listed = list(
        &site,
        "teacher1_bridge",
        &[("courseid", "2"), ("userid", "4")],
    )
    .await;
    let files: Vec<(String, String)> = listed["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            (
                f["source"].as_str().unwrap_or_default().to_owned(),
                format!(
                    "{}{}",
                    f["filepath"].as_str().unwrap_or_default(),
                    f["filename"].as_str().unwrap_or_default()
                ),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("private", "/diagram.png"),
        ("private", "/study_notes.txt"),
        ("private", "/physics/formulae.txt"),
        ("submission", "/lab_report_alice.pdf"),
        ("submission", "/pendulum_data_alice.csv"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    assert_eq!(files, expected);
    let pdf = &listed["files"][3];
    assert_eq!(pdf["cmid"], 6);
    assert_eq!(pdf["assignmentname"], "Lab report 1");
    assert_eq!(pdf["submissionstatus"], "submitted");
    assert_eq!(pdf["component"], "assignsubmission_file");

    let student = list(
        &site,
        "student1_bridge",
        &[("courseid", "2"), ("userid", "5")],
    )
    .await;
    assert_eq!(errorcode(&student), Some("nopermissions"));
    assert_eq!(
        student["message"],
        "Sorry, but you do not currently have permissions to do that (List and download learners' private and submission files)."
    );
    let outsider = list(
        &site,
        "teacher1_bridge",
        &[("courseid", "3"), ("userid", "7")],
    )
    .await;
    assert_eq!(errorcode(&outsider), Some("usernotenrolled"));
    let nobody = list(
        &site,
        "teacher1_bridge",
        &[("courseid", "2"), ("userid", "999")],
    )
    .await;
    assert_eq!(errorcode(&nobody), Some("invaliduser"));

    set_config(&site, "local_bridge/listprivatefiles", "0").await;
    let no_private = list(&site, "admin_bridge", &[("courseid", "2"), ("userid", "4")]).await;
    assert_eq!(no_private["files"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        no_private["warnings"][0]["warningcode"],
        "privatefilesdisabled"
    );
}

#[tokio::test]
async fn download_sends_listed_files_only_to_allowed_tokens() {
    let site = Site::start().await;
    let listed = list(
        &site,
        "teacher1_bridge",
        &[("courseid", "2"), ("userid", "4")],
    )
    .await;
    let csv = listed["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["filename"] == "pendulum_data_alice.csv")
        .expect("csv listed")
        .clone();
    let fileid = csv["fileid"].to_string();
    let download = |token: String, courseid: &'static str, fileid: String| {
        let http = site.http.clone();
        let url = format!("{}/local/bridge/download.php", site.sim.url());
        async move {
            http.post(url)
                .form(&[
                    ("token", token.as_str()),
                    ("courseid", courseid),
                    ("fileid", fileid.as_str()),
                ])
                .send()
                .await
                .expect("download")
        }
    };
    let ok = download(site.token("teacher1_bridge"), "2", fileid.clone()).await;
    assert_eq!(ok.status(), 200);
    assert!(
        ok.headers()["content-disposition"]
            .to_str()
            .is_ok_and(|d| d == "attachment; filename=\"pendulum_data_alice.csv\"")
    );
    let bytes = ok.bytes().await.expect("body");
    assert_eq!(Some(bytes.len() as u64), csv["filesize"].as_u64());

    let cases = [
        (
            site.token("student1_bridge"),
            "2",
            fileid.clone(),
            403,
            "nopermissions",
        ),
        (
            "0123456789abcdef0123456789abcdef".to_owned(),
            "2",
            fileid.clone(),
            401,
            "invalidtoken",
        ),
        (String::new(), "2", fileid.clone(), 400, "missingparam"),
        (
            site.token("teacher1_mobile"),
            "2",
            fileid.clone(),
            403,
            "accessexception",
        ),
        (
            site.token("teacher1_bridge"),
            "2",
            "1".to_owned(),
            404,
            "filenotfound",
        ),
        (
            site.token("teacher1_bridge"),
            "3",
            fileid.clone(),
            404,
            "filenotfound",
        ),
    ];
    for (token, courseid, id, status, code) in cases {
        let resp = download(token, courseid, id).await;
        assert_eq!(resp.status(), status, "{code}");
        let body: Value = resp.json().await.expect("JSON error");
        assert_eq!(body["errorcode"], code);
        assert_eq!(body["stacktrace"], Value::Null);
    }
}
