//! Course contents, modules, course-format actions, files and assignments, including
//! downloading the file URLs these functions return.

use moodle_ws::ErrorKind;
use moodle_ws::functions::assign::SubmissionsQuery;
use moodle_ws::functions::course::ContentOption;
use moodle_ws::functions::courseformat::CourseFormatAction;
use moodle_ws::functions::files::{FileQuery, FileUpload};
use tokio::io::AsyncReadExt as _;

use crate::helpers::{client, sim};

async fn bytes(download: moodle_ws::download::Download) -> Vec<u8> {
    let mut out = Vec::new();
    download
        .into_reader()
        .read_to_end(&mut out)
        .await
        .expect("download completes");
    out
}

#[tokio::test]
async fn contents_list_sections_modules_and_downloadable_files() {
    let sim = sim().await;
    let student = client(&sim, "student1_bridge");
    let sections = student.get_contents(2, &[]).await.expect("contents");
    let modules: Vec<&str> = sections
        .iter()
        .flat_map(|s| &s.modules)
        .map(|m| m.name.as_str())
        .collect();
    assert!(
        modules.contains(&"Syllabus") && modules.contains(&"Lab report 1"),
        "{modules:?}"
    );
    let syllabus = sections
        .iter()
        .flat_map(|s| &s.modules)
        .find(|m| m.modname == "resource")
        .expect("resource");
    let file = &syllabus.contents[0];
    let url = file.fileurl.as_deref().expect("fileurl");
    let d = student.download(url).await.expect("opens");
    assert_eq!(
        d.content_length(),
        Some(u64::try_from(file.filesize).expect("size"))
    );
    assert_eq!(bytes(d).await, b"Test resource seedfiles/syllabus.txt file");

    let slim = student
        .get_contents(2, &[ContentOption::ExcludeContents(true)])
        .await
        .expect("contents");
    assert!(
        slim.iter()
            .flat_map(|s| &s.modules)
            .all(|m| m.contents.is_empty())
    );
    let err = client(&sim, "student1_bridge")
        .get_contents(4, &[])
        .await
        .expect_err("not enrolled");
    assert_eq!(
        (err.kind(), err.moodle_errorcode()),
        (ErrorKind::Permission, Some("errorcoursecontextnotvalid"))
    );
    let err = client(&sim, "admin_bridge")
        .get_contents(99999, &[])
        .await
        .expect_err("no course");
    assert_eq!(err.code(), Some("invalidrecord"));
}

#[tokio::test]
async fn modules_are_read_deleted_and_sections_added() {
    let sim = sim().await;
    let admin = client(&sim, "admin_bridge");
    let cm = admin.get_course_module(6).await.expect("module");
    assert_eq!(
        (cm.cm.name.as_str(), cm.cm.modname.as_str(), cm.cm.course),
        ("Lab report 1", "assign", 2)
    );

    let mut add = CourseFormatAction::new("section_add", 3);
    add.targetsectionid = None;
    let updates = admin.update_course(&add).await.expect("state updates");
    assert!(
        updates
            .iter()
            .any(|u| u.name == "course" && u.id() == Some(3)),
        "{updates:?}"
    );
    assert!(updates.iter().any(|u| u.name == "section"));
    let err = admin
        .update_course(&CourseFormatAction::new("section_explode", 3))
        .await
        .expect_err("unknown action");
    assert_eq!(err.kind(), ErrorKind::Failed);

    admin.delete_modules(&[5]).await.expect("deleted");
    let left = admin.get_contents(2, &[]).await.expect("contents");
    assert!(left.iter().flat_map(|s| &s.modules).all(|m| m.id != 5));
}

#[tokio::test]
async fn private_files_are_listed_and_downloaded_by_their_owner() {
    let sim = sim().await;
    let student = client(&sim, "student1_bridge");
    let listing = student
        .get_files(&FileQuery::user_private(4, "/"))
        .await
        .expect("files");
    let names: Vec<&str> = listing.files.iter().map(|f| f.filename.as_str()).collect();
    assert!(
        names.contains(&"study_notes.txt")
            && names.contains(&"diagram.png")
            && names.contains(&"physics"),
        "{names:?}"
    );
    for f in listing.files.iter().filter(|f| !f.isdir) {
        let url = f.url.as_deref().expect("a file has a url");
        let body = bytes(student.download(url).await.expect("opens")).await;
        assert_eq!(Some(body.len() as i64), f.filesize, "{}", f.filename);
    }
    let other = client(&sim, "student2_bridge")
        .get_files(&FileQuery::user_private(4, "/"))
        .await
        .expect("answered");
    assert!(other.files.is_empty());

    let uploaded = student
        .upload(&FileUpload::draft(4, "draft_note.txt", "ZHJhZnQK"))
        .await
        .expect("uploaded");
    assert_eq!(
        (uploaded.filearea.as_str(), uploaded.contextid),
        ("draft", 17)
    );
    let mut private = FileUpload::draft(4, "x.txt", "eA==");
    private.filearea = "private".into();
    let err = student.upload(&private).await.expect_err("draft only");
    assert_eq!(err.moodle_errorcode(), Some("codingerror"));
}

#[tokio::test]
async fn assignments_and_submission_files_for_teachers() {
    let sim = sim().await;
    let teacher = client(&sim, "teacher1_bridge");
    let by_course = teacher.get_assignments(&[2]).await.expect("assignments");
    let lab = &by_course.courses[0].assignments[0];
    assert_eq!(
        (lab.id, lab.cmid, lab.name.as_str()),
        (1, 6, "Lab report 1")
    );
    let subs = teacher
        .get_submissions(&SubmissionsQuery {
            assignmentids: vec![1],
            ..SubmissionsQuery::default()
        })
        .await
        .expect("submissions");
    let alice = subs.assignments[0]
        .submissions
        .iter()
        .find(|s| s.userid == 4)
        .expect("alice");
    assert_eq!(alice.status, "submitted");
    let pdf = alice
        .files()
        .find(|f| f.filename == "lab_report_alice.pdf")
        .expect("pdf");
    let d = teacher.download(&pdf.fileurl).await.expect("opens");
    assert_eq!(d.content_type(), Some("application/pdf"));
    assert_eq!(bytes(d).await.len() as i64, pdf.filesize);

    let student = client(&sim, "student1_bridge")
        .get_submissions(&SubmissionsQuery {
            assignmentids: vec![1],
            ..SubmissionsQuery::default()
        })
        .await
        .expect("answered");
    assert!(student.assignments.is_empty());
    assert_eq!(student.warnings[0].warningcode, "1");
}

#[tokio::test]
async fn public_config_reports_the_sites_switches() {
    let sim = sim().await;
    let config = client(&sim, "student1_mobile")
        .get_public_config()
        .await
        .expect("config");
    assert_eq!(config.enablewebservices, Some(true));
    assert_eq!(config.wwwroot, sim.url());
}
