//! `local_bridge_list_user_files` and `local/bridge/download.php`: a participant's files
//! listed and downloaded by a teacher, refusals, and a site without the plugin.

use moodle_sim::{Plugins, Sim, SimConfig};
use moodle_ws::functions::local_bridge::UserFilesQuery;
use moodle_ws::{Endpoint, Error};
use tokio::io::AsyncReadExt as _;

use crate::helpers::{client, sim};

fn alice_in_physics() -> UserFilesQuery {
    UserFilesQuery {
        courseid: 2,
        userid: 4,
        includeprivate: None,
        includesubmissions: None,
    }
}

#[tokio::test]
async fn a_teacher_lists_and_downloads_a_participants_files() {
    let sim = sim().await;
    let teacher = client(&sim, "teacher1_bridge");
    let listed = teacher
        .list_user_files(&alice_in_physics())
        .await
        .expect("listed");
    let names: Vec<(&str, &str)> = listed
        .files
        .iter()
        .map(|f| (f.source.as_str(), f.filename.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("private", "diagram.png"),
            ("private", "study_notes.txt"),
            ("private", "formulae.txt"),
            ("submission", "lab_report_alice.pdf"),
            ("submission", "pendulum_data_alice.csv"),
        ]
    );
    let pdf = &listed.files[3];
    assert_eq!((pdf.cmid, pdf.assignmentname.as_str()), (6, "Lab report 1"));
    assert!(
        pdf.downloadurl.ends_with(&format!(
            "/local/bridge/download.php?courseid=2&fileid={}",
            pdf.fileid
        )),
        "{}",
        pdf.downloadurl
    );
    let download = teacher
        .download_user_file(2, pdf.fileid)
        .await
        .expect("opens");
    assert_eq!(download.content_type(), Some("application/pdf"));
    let mut bytes = Vec::new();
    download
        .into_reader()
        .read_to_end(&mut bytes)
        .await
        .expect("read");
    assert_eq!(bytes.len() as i64, pdf.filesize);
    assert!(bytes.starts_with(b"%PDF"));

    let only_private = teacher
        .list_user_files(&UserFilesQuery {
            includesubmissions: Some(false),
            ..alice_in_physics()
        })
        .await
        .expect("listed");
    assert!(only_private.files.iter().all(|f| f.source == "private"));
    assert_eq!(only_private.files.len(), 3);
}

#[tokio::test]
async fn download_refusals_keep_the_plugins_error_codes() {
    let sim = sim().await;
    let teacher = client(&sim, "teacher1_bridge");
    // The syllabus is a course file, not a participant's: the listing never shows it.
    let syllabus = sim.with_state(|s| {
        s.files
            .values()
            .find(|f| f.filename == "syllabus.txt")
            .map(|f| f.id)
            .expect("seeded syllabus")
    });
    let err = teacher
        .download_user_file(2, syllabus)
        .await
        .expect_err("not listed");
    assert!(
        matches!(&err, Error::Endpoint { endpoint: Endpoint::BridgeDownload, http_status: 404, errorcode, .. } if errorcode == "filenotfound"),
        "{err:?}"
    );
    let student = client(&sim, "student1_bridge");
    let err = student
        .download_user_file(2, syllabus)
        .await
        .expect_err("a student may not");
    assert_eq!(err.moodle_errorcode(), Some("nopermissions"), "{err:?}");
    let err = student
        .list_user_files(&alice_in_physics())
        .await
        .expect_err("a student may not list");
    assert_eq!(err.moodle_errorcode(), Some("nopermissions"), "{err:?}");
}

#[tokio::test]
async fn without_the_plugin_the_function_and_the_script_are_missing() {
    let sim = Sim::start(SimConfig {
        plugins: Plugins::none(),
        ..SimConfig::default()
    })
    .await
    .expect("starts");
    let teacher = client(&sim, "teacher1_bridge");
    let err = teacher
        .list_user_files(&alice_in_physics())
        .await
        .expect_err("no such function");
    assert!(
        matches!(
            err.moodle_errorcode(),
            Some("invalidrecord" | "accessexception")
        ),
        "{err:?}"
    );
    let err = teacher
        .download_user_file(2, 1)
        .await
        .expect_err("no such script");
    assert!(matches!(err, Error::Status { status: 404, .. }), "{err:?}");
}
