//! `file_url` rewriting and refusals, and `Content-Disposition` names.

use super::*;

fn client(base: &str) -> Client {
    Client::builder(base)
        .token("abcdef0123456789abcdef0123456789")
        .site_alias("https://moodle.school.example/moodle")
        .build()
        .expect("client")
}

#[test]
fn webservice_urls_keep_their_path_and_lose_any_token() {
    let c = client("http://127.0.0.1:8081");
    let url = c
        .file_url("http://127.0.0.1:8081/webservice/pluginfile.php/27/assignsubmission_file/submission_files/2/setup_photo_bob.png?forcedownload=1&token=leak")
        .expect("accepted");
    assert_eq!(
        url.as_str(),
        "http://127.0.0.1:8081/webservice/pluginfile.php/27/assignsubmission_file/submission_files/2/setup_photo_bob.png?forcedownload=1"
    );
}

#[test]
fn plain_pluginfile_urls_are_rewritten_to_the_webservice_script() {
    let c = client("http://127.0.0.1:8081");
    let url = c
        .file_url("http://127.0.0.1:8081/pluginfile.php/17/user/private/diagram.png")
        .expect("accepted");
    assert_eq!(
        url.as_str(),
        "http://127.0.0.1:8081/webservice/pluginfile.php/17/user/private/diagram.png"
    );
}

#[test]
fn sites_below_a_path_and_aliases_are_supported() {
    let c = client("http://10.0.0.5:8080/moodle");
    let url = c
        .file_url("http://10.0.0.5:8080/moodle/pluginfile.php/17/user/private/a%20b.txt")
        .expect("accepted");
    assert_eq!(
        url.as_str(),
        "http://10.0.0.5:8080/moodle/webservice/pluginfile.php/17/user/private/a%20b.txt"
    );
    let via_alias = c
        .file_url("https://moodle.school.example/moodle/webservice/pluginfile.php/25/mod_resource/content/0/syllabus.txt")
        .expect("alias accepted");
    assert_eq!(
        via_alias.as_str(),
        "http://10.0.0.5:8080/moodle/webservice/pluginfile.php/25/mod_resource/content/0/syllabus.txt"
    );
    let relative = c
        .file_url("/17/user/private/study_notes.txt")
        .expect("path accepted");
    assert_eq!(
        relative.as_str(),
        "http://10.0.0.5:8080/moodle/webservice/pluginfile.php/17/user/private/study_notes.txt"
    );
}

#[test]
fn other_sites_and_scripts_are_refused() {
    let c = client("http://127.0.0.1:8081/moodle");
    for bad in [
        "http://evil.example/webservice/pluginfile.php/17/user/private/a.txt",
        "http://127.0.0.1:8082/moodle/pluginfile.php/17/user/private/a.txt",
        "http://127.0.0.1:8081/other/pluginfile.php/17/user/private/a.txt",
        "http://127.0.0.1:8081/moodle/draftfile.php/17/user/draft/1/a.txt",
        "not a url",
    ] {
        assert!(
            matches!(c.file_url(bad), Err(Error::InvalidRequest { .. })),
            "{bad}"
        );
    }
}

#[test]
fn content_disposition_names_are_read() {
    assert_eq!(
        disposition_filename("attachment; filename=\"diagram.png\"").as_deref(),
        Some("diagram.png")
    );
    assert_eq!(
        disposition_filename("inline; filename=notes.txt").as_deref(),
        Some("notes.txt")
    );
    assert_eq!(
        disposition_filename("attachment; filename*=UTF-8''%C3%A9t%C3%A9.txt").as_deref(),
        Some("été.txt")
    );
    assert_eq!(disposition_filename("inline"), None);
}
