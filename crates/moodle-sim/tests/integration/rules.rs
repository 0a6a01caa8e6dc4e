//! Moodle's rules applied to objects created at run time (not the seeded ones): roles,
//! capabilities, enrolment, file ownership and parameter validation must give the same
//! errors and warnings as for the recorded data.

use serde_json::Value;

use crate::support::{Site, errorcode};

/// A course made through web services, with a teacher, a student and an outsider.
struct Made {
    course: String,
    teacher: String,
    student: String,
    outsider: String,
    student_id: String,
    outsider_id: String,
}

async fn make_course(site: &Site) -> Made {
    let admin = site.token("admin_bridge");
    let cat = site
        .call(
            &admin,
            "core_course_create_categories",
            &[
                ("categories[0][name]", "Runtime cat"),
                ("categories[0][idnumber]", "RT-CAT"),
            ],
        )
        .await;
    let catid = cat[0]["id"].to_string();
    let course = site
        .call(
            &admin,
            "core_course_create_courses",
            &[
                ("courses[0][fullname]", "Runtime course"),
                ("courses[0][shortname]", "RT101"),
                ("courses[0][categoryid]", &catid),
            ],
        )
        .await;
    let course = course[0]["id"].to_string();
    let mut ids = Vec::new();
    for name in ["rtteacher", "rtstudent", "rtoutsider"] {
        let created = site
            .call(
                &admin,
                "core_user_create_users",
                &[
                    ("users[0][username]", name),
                    ("users[0][password]", "Runtime123!x"),
                    ("users[0][firstname]", "Run"),
                    ("users[0][lastname]", name),
                    ("users[0][email]", &format!("{name}@example.org")),
                ],
            )
            .await;
        ids.push(created[0]["id"].to_string());
    }
    for (user, role) in [(&ids[0], "3"), (&ids[1], "5")] {
        let r = site
            .call(
                &admin,
                "enrol_manual_enrol_users",
                &[
                    ("enrolments[0][roleid]", role),
                    ("enrolments[0][userid]", user),
                    ("enrolments[0][courseid]", &course),
                ],
            )
            .await;
        assert_eq!(r, Value::Null);
    }
    let token = |u: &'static str| async move {
        site.login(u, "Runtime123!x", "bridge")
            .await
            .expect("token")
    };
    Made {
        course,
        teacher: token("rtteacher").await,
        student: token("rtstudent").await,
        outsider: token("rtoutsider").await,
        student_id: ids[1].clone(),
        outsider_id: ids[2].clone(),
    }
}

#[tokio::test]
async fn students_of_a_new_course_get_moodles_permission_errors() {
    let site = Site::start().await;
    let m = make_course(&site).await;
    let create = site
        .call(
            &m.student,
            "core_course_create_courses",
            &[
                ("courses[0][fullname]", "X"),
                ("courses[0][shortname]", "X9"),
                ("courses[0][categoryid]", "1"),
            ],
        )
        .await;
    assert_eq!(errorcode(&create), Some("nopermissions"));
    assert_eq!(
        create["message"],
        "Sorry, but you do not currently have permissions to do that (Create courses)."
    );
    let update = site
        .call(
            &m.student,
            "core_course_update_courses",
            &[
                ("courses[0][id]", &m.course),
                ("courses[0][fullname]", "Hacked"),
            ],
        )
        .await;
    assert_eq!(update["warnings"][0]["warningcode"], "nopermissions");
    assert_eq!(update["warnings"][0]["itemid"].to_string(), m.course);
    let enrol = site
        .call(
            &m.student,
            "enrol_manual_enrol_users",
            &[
                ("enrolments[0][roleid]", "5"),
                ("enrolments[0][userid]", &m.outsider_id),
                ("enrolments[0][courseid]", &m.course),
            ],
        )
        .await;
    assert_eq!(errorcode(&enrol), Some("nopermissions"));
    assert_eq!(
        enrol["message"],
        "Sorry, but you do not currently have permissions to do that (Enrol users)."
    );
}

#[tokio::test]
async fn an_outsider_cannot_reach_a_course_they_are_not_enrolled_in() {
    let site = Site::start().await;
    let m = make_course(&site).await;
    let contents = site
        .call(
            &m.outsider,
            "core_course_get_contents",
            &[("courseid", &m.course)],
        )
        .await;
    assert_eq!(errorcode(&contents), Some("errorcoursecontextnotvalid"));
    assert_eq!(
        contents["message"],
        format!(
            "You cannot execute functions in the course context (course id:{}). The context error message was: Course or activity not accessible.",
            m.course
        )
    );
    let enrol = site
        .call(
            &m.outsider,
            "enrol_manual_enrol_users",
            &[
                ("enrolments[0][roleid]", "5"),
                ("enrolments[0][userid]", &m.outsider_id),
                ("enrolments[0][courseid]", &m.course),
            ],
        )
        .await;
    assert_eq!(errorcode(&enrol), Some("requireloginerror"));
    let students = site
        .call(
            &m.student,
            "core_enrol_get_enrolled_users",
            &[("courseid", &m.course)],
        )
        .await;
    let ids: Vec<String> = students
        .as_array()
        .expect("list")
        .iter()
        .map(|u| u["id"].to_string())
        .collect();
    assert!(
        ids.contains(&m.student_id) && !ids.contains(&m.outsider_id),
        "{ids:?}"
    );
}

#[tokio::test]
async fn a_teacher_may_enrol_students_but_not_assign_editing_teachers() {
    let site = Site::start().await;
    let m = make_course(&site).await;
    let as_teacher = site
        .call(
            &m.teacher,
            "enrol_manual_enrol_users",
            &[
                ("enrolments[0][roleid]", "3"),
                ("enrolments[0][userid]", &m.outsider_id),
                ("enrolments[0][courseid]", &m.course),
            ],
        )
        .await;
    assert_eq!(errorcode(&as_teacher), Some("wsusercannotassign"));
    let as_student = site
        .call(
            &m.teacher,
            "enrol_manual_enrol_users",
            &[
                ("enrolments[0][roleid]", "5"),
                ("enrolments[0][userid]", &m.outsider_id),
                ("enrolments[0][courseid]", &m.course),
            ],
        )
        .await;
    assert_eq!(as_student, Value::Null);
    let contents = site
        .call(
            &m.outsider,
            "core_course_get_contents",
            &[("courseid", &m.course)],
        )
        .await;
    assert!(contents.is_array(), "{contents}");
    // The course contact (the teacher) sent the new student a welcome notification.
    // Moodle counts only for the user's own id (or with moodle/site:readallmessages):
    // `useridto` 0 is not the caller, so it is access denied
    // (message/output/popup/externallib.php).
    let count = site
        .call(
            &m.outsider,
            "message_popup_get_unread_popup_notification_count",
            &[("useridto", &m.outsider_id)],
        )
        .await;
    assert_eq!(count, 1);
    let zero = site
        .call(
            &m.outsider,
            "message_popup_get_unread_popup_notification_count",
            &[("useridto", "0")],
        )
        .await;
    assert_eq!(errorcode(&zero), Some("accessdenied"));
}

#[tokio::test]
async fn course_writes_follow_moodles_uniqueness_and_deletion_rules() {
    let site = Site::start().await;
    let m = make_course(&site).await;
    let admin = site.token("admin_bridge");
    let dup = site
        .call(
            &admin,
            "core_course_create_courses",
            &[
                ("courses[0][fullname]", "Dup"),
                ("courses[0][shortname]", "RT101"),
                ("courses[0][categoryid]", "1"),
            ],
        )
        .await;
    assert_eq!(errorcode(&dup), Some("shortnametaken"));
    assert_eq!(
        dup["message"],
        "Short name is already used for another course (RT101)"
    );
    let teacher_delete = site
        .call(
            &m.teacher,
            "core_course_delete_courses",
            &[("courseids[0]", &m.course)],
        )
        .await;
    assert_eq!(
        teacher_delete["warnings"][0]["warningcode"],
        "cannotdeletecourse"
    );
    let renamed = site
        .call(
            &m.teacher,
            "core_course_update_courses",
            &[
                ("courses[0][id]", &m.course),
                ("courses[0][fullname]", "Renamed"),
            ],
        )
        .await;
    assert_eq!(renamed["warnings"], serde_json::json!([]));
    let deleted = site
        .call(
            &admin,
            "core_course_delete_courses",
            &[("courseids[0]", &m.course)],
        )
        .await;
    assert_eq!(deleted["warnings"], serde_json::json!([]));
    let found = site
        .call(
            &admin,
            "core_course_get_courses_by_field",
            &[("field", "id"), ("value", &m.course)],
        )
        .await;
    assert_eq!(found["courses"], serde_json::json!([]));
    let again = site
        .call(
            &admin,
            "core_course_delete_courses",
            &[("courseids[0]", &m.course)],
        )
        .await;
    assert_eq!(again["warnings"][0]["warningcode"], "unknowncourseidnumber");
}

#[tokio::test]
async fn a_failed_write_leaves_nothing_behind() {
    let site = Site::start().await;
    let admin = site.token("admin_bridge");
    // The second course of the call has a taken short name: the whole call fails.
    let r = site
        .call(
            &admin,
            "core_course_create_courses",
            &[
                ("courses[0][fullname]", "First"),
                ("courses[0][shortname]", "FIRST1"),
                ("courses[0][categoryid]", "1"),
                ("courses[1][fullname]", "Second"),
                ("courses[1][shortname]", "PHYS101"),
                ("courses[1][categoryid]", "1"),
            ],
        )
        .await;
    assert_eq!(errorcode(&r), Some("shortnametaken"));
    let found = site
        .call(
            &admin,
            "core_course_get_courses_by_field",
            &[("field", "shortname"), ("value", "FIRST1")],
        )
        .await;
    assert_eq!(found["courses"], serde_json::json!([]));
}

#[tokio::test]
async fn private_files_of_a_new_user_are_served_to_their_owner_only() {
    let site = Site::start().await;
    let m = make_course(&site).await;
    let part = reqwest::multipart::Part::bytes(b"runtime file".to_vec()).file_name("mine.txt");
    let form = reqwest::multipart::Form::new()
        .text("token", m.student.clone())
        .part("file_1", part);
    let uploaded: Value = site
        .http
        .post(format!("{}/webservice/upload.php", site.sim.url()))
        .multipart(form)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");
    let draft = uploaded[0]["itemid"].to_string();
    let contextid = uploaded[0]["contextid"].to_string();
    let merged = site
        .call(
            &m.student,
            "core_user_add_user_private_files",
            &[("draftid", &draft)],
        )
        .await;
    assert_eq!(merged, Value::Null);
    let url = format!(
        "{}/webservice/pluginfile.php/{contextid}/user/private/mine.txt",
        site.sim.url()
    );
    let own = site
        .http
        .get(&url)
        .query(&[("token", &m.student)])
        .send()
        .await
        .expect("download");
    assert_eq!(own.status(), 200);
    assert_eq!(own.bytes().await.expect("body").as_ref(), b"runtime file");
    let other = site
        .http
        .get(&url)
        .query(&[("token", &m.teacher)])
        .send()
        .await
        .expect("download");
    assert_eq!(other.status(), 404);
    let listed = site
        .call(
            &m.teacher,
            "core_files_get_files",
            &[
                ("contextid", &contextid),
                ("component", "user"),
                ("filearea", "private"),
                ("itemid", "0"),
                ("filepath", "/"),
                ("filename", ""),
            ],
        )
        .await;
    assert_eq!(listed, serde_json::json!({"parents": [], "files": []}));
}

#[tokio::test]
async fn validation_errors_name_the_broken_rule_in_debuginfo() {
    let site = Site::start().await;
    site.sim.set_debug(true);
    let admin = site.token("admin_bridge");
    let r = site
        .call(
            &admin,
            "core_user_create_users",
            &[
                ("users[0][username]", "newperson"),
                ("users[0][password]", "Runtime123!x"),
                ("users[0][firstname]", "New"),
                ("users[0][lastname]", "Person"),
                ("users[0][email]", "student1@example.com"),
            ],
        )
        .await;
    assert_eq!(errorcode(&r), Some("invalidparameter"));
    assert_eq!(
        r["debuginfo"],
        "Email address already exists: student1@example.com"
    );
    let r = site
        .call(
            &admin,
            "core_course_get_contents",
            &[
                ("courseid", "2"),
                ("options[0][name]", "nosuchoption"),
                ("options[0][value]", "1"),
            ],
        )
        .await;
    assert_eq!(errorcode(&r), Some("errorinvalidparam"));
    assert_eq!(r["message"], "The param \"nosuchoption\" is invalid.");
}

#[tokio::test]
async fn a_file_kept_on_disk_is_served_whole_and_by_range_like_any_other() {
    use moodle_sim::state::{ContextLevel, NewFile};
    let site = Site::start().await;
    let path = std::env::temp_dir().join(format!("sim-on-disk-{}.bin", std::process::id()));
    let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &content).expect("write");
    let contextid = site.sim.with_state(|s| {
        let contextid = s.context_id(ContextLevel::Module, 6).expect("Lab report 1");
        let new = NewFile {
            contextid,
            component: "assignsubmission_file",
            filearea: "submission_files",
            itemid: 1,
            filepath: "/",
            filename: "big.bin",
            userid: Some(4),
            author: None,
            license: None,
            source: None,
        };
        s.create_file_on_disk(new, &path).expect("added");
        contextid
    });
    let url = format!(
        "{}/webservice/pluginfile.php/{contextid}/assignsubmission_file/submission_files/1/big.bin",
        site.sim.url()
    );
    let token = site.token("admin_bridge");
    let whole = site
        .http
        .get(&url)
        .query(&[("token", &token)])
        .send()
        .await
        .expect("download");
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.bytes().await.expect("body").as_ref(), &content[..]);
    let part = site
        .http
        .get(&url)
        .query(&[("token", &token)])
        .header("range", "bytes=70000-70009")
        .send()
        .await
        .expect("download");
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], "bytes 70000-70009/200000");
    assert_eq!(
        part.bytes().await.expect("body").as_ref(),
        &content[70_000..70_010]
    );
    let listed = site
        .call(
            &token,
            "mod_assign_get_submissions",
            &[("assignmentids[0]", "1")],
        )
        .await;
    let size = listed["assignments"][0]["submissions"]
        .as_array()
        .expect("submissions")
        .iter()
        .flat_map(|s| s["plugins"].as_array().into_iter().flatten())
        .flat_map(|p| p["fileareas"].as_array().into_iter().flatten())
        .flat_map(|a| a["files"].as_array().into_iter().flatten())
        .find(|f| f["filename"] == "big.bin")
        .map(|f| f["filesize"].clone());
    assert_eq!(size, Some(Value::from(200_000)));
    std::fs::remove_file(&path).expect("remove");
}

#[tokio::test]
async fn a_course_created_without_numsections_has_only_section_0_and_its_news_forum() {
    // Checked on a real Moodle 4.5.6 (crates/bridge/tests/api/real_moodle/): create_course()
    // makes sections 0..=numsections and the web service passes no default.
    let site = Site::start().await;
    let admin = site.token("admin_bridge");
    let created = site
        .call(
            &admin,
            "core_course_create_courses",
            &[
                ("courses[0][fullname]", "No sections"),
                ("courses[0][shortname]", "NOSEC"),
                ("courses[0][categoryid]", "1"),
            ],
        )
        .await;
    let id = created[0]["id"].to_string();
    let contents = site
        .call(&admin, "core_course_get_contents", &[("courseid", &id)])
        .await;
    let sections: Vec<(i64, Vec<String>)> = contents
        .as_array()
        .expect("sections")
        .iter()
        .map(|s| {
            let modules = s["modules"].as_array().expect("modules");
            (
                s["section"].as_i64().expect("number"),
                modules.iter().map(|m| m["name"].to_string()).collect(),
            )
        })
        .collect();
    assert_eq!(sections, [(0, vec!["\"Announcements\"".to_owned()])]);
}
