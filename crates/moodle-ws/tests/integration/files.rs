//! Streamed upload (`webservice/upload.php`) and download (`webservice/pluginfile.php`).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use moodle_sim::{Fault, FaultRule};
use moodle_ws::upload::{UploadFile, UploadOptions};
use moodle_ws::{Endpoint, Error, ErrorKind};
use sha1::{Digest as _, Sha1};
use tokio::io::{AsyncRead, AsyncReadExt as _, ReadBuf};

use crate::helpers::{capture, client, sim};

const NOTES: &str = "Physics 101 study notes\n- Newton's laws\n- Simple harmonic motion\n";

/// An `AsyncRead` that produces `left` bytes of a repeating pattern without holding them.
struct Pattern {
    left: usize,
    offset: usize,
}

impl AsyncRead for Pattern {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = self.left.min(buf.remaining()).min(8192);
        let start = self.offset;
        let bytes: Vec<u8> = (start..start + n).map(|i| (i % 251) as u8).collect();
        buf.put_slice(&bytes);
        self.left -= n;
        self.offset += n;
        Poll::Ready(Ok(()))
    }
}

fn pattern_sha1(len: usize) -> Vec<u8> {
    let mut h = Sha1::new();
    h.update((0..len).map(|i| (i % 251) as u8).collect::<Vec<_>>());
    h.finalize().to_vec()
}

async fn read_all(download: moodle_ws::download::Download) -> Result<Vec<u8>, io::Error> {
    let mut out = Vec::new();
    download.into_reader().read_to_end(&mut out).await?;
    Ok(out)
}

#[tokio::test]
async fn private_file_downloads_stream_with_length_type_and_content() {
    let sim = sim().await;
    let student = client(&sim, "student1_bridge");
    let url = format!(
        "{}/webservice/pluginfile.php/17/user/private/study_notes.txt",
        sim.url()
    );
    let mut download = student.download(&url).await.expect("opens");
    assert_eq!(download.content_length(), Some(NOTES.len() as u64));
    assert!(
        download
            .content_type()
            .is_some_and(|t| t.starts_with("text/plain")),
        "{download:?}"
    );
    assert_eq!(download.filename(), Some("study_notes.txt"));
    let mut hasher = Sha1::new();
    let mut total = 0;
    while let Some(chunk) = download.chunk().await.expect("chunk") {
        total += chunk.len();
        hasher.update(&chunk);
    }
    assert_eq!(total, NOTES.len());
    assert_eq!(
        hasher.finalize().to_vec(),
        Sha1::digest(NOTES.as_bytes()).to_vec()
    );
}

#[tokio::test]
async fn browser_pluginfile_urls_and_forcedownload_are_accepted() {
    let sim = sim().await;
    let student = client(&sim, "student1_bridge");
    let plain = format!("{}/pluginfile.php/17/user/private/diagram.png", sim.url());
    let d = student
        .download(&plain)
        .await
        .expect("rewritten to the web-service script");
    assert_eq!(
        (d.content_type(), d.content_length()),
        (Some("image/png"), Some(98))
    );
    assert_eq!(read_all(d).await.expect("bytes").len(), 98);
    let forced = format!(
        "{}/webservice/pluginfile.php/17/user/private/physics/formulae.txt?forcedownload=1",
        sim.url()
    );
    let body = read_all(student.download(&forced).await.expect("opens"))
        .await
        .expect("bytes");
    assert!(String::from_utf8_lossy(&body).starts_with("v = u + at"));
    let by_path = read_all(
        student
            .download("/17/user/private/study_notes.txt")
            .await
            .expect("opens"),
    )
    .await
    .expect("bytes");
    assert_eq!(by_path, NOTES.as_bytes());
}

#[tokio::test]
async fn missing_or_foreign_files_are_404_and_a_bad_token_is_401() {
    let sim = sim().await;
    let url = format!(
        "{}/webservice/pluginfile.php/17/user/private/study_notes.txt",
        sim.url()
    );
    let err = client(&sim, "student2_bridge")
        .download(&url)
        .await
        .expect_err("not the owner");
    assert!(
        matches!(&err, Error::Endpoint { endpoint: Endpoint::Pluginfile, http_status: 404, errorcode, .. } if errorcode == "filenotfound"),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let missing = format!(
        "{}/webservice/pluginfile.php/17/user/private/nope.txt",
        sim.url()
    );
    assert_eq!(
        client(&sim, "student1_bridge")
            .download(&missing)
            .await
            .expect_err("404")
            .kind(),
        ErrorKind::NotFound
    );
    let bad = client(&sim, "student1_bridge").with_token("not0a0real0token0000000000000000");
    let err = bad.download(&url).await.expect_err("invalid token");
    assert!(
        matches!(&err, Error::Endpoint { http_status: 200, errorcode, .. } if errorcode == "invalidtoken"),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Auth);
}

#[tokio::test]
async fn urls_of_other_sites_never_receive_the_token() {
    let sim = sim().await;
    let err = client(&sim, "student1_bridge")
        .download("http://203.0.113.9/webservice/pluginfile.php/17/user/private/study_notes.txt")
        .await
        .expect_err("refused");
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    assert_eq!(sim.calls("webservice/pluginfile.php"), 0);
}

#[tokio::test]
async fn the_download_token_travels_in_the_post_body() {
    let server = capture("200 OK", "text/plain", "hello".to_owned(), false).await;
    let moodle =
        moodle_ws::Client::new(&server.url, "0123456789abcdef0123456789abcdef").expect("client");
    let url = format!(
        "{}/pluginfile.php/17/user/private/a.txt?forcedownload=1&token=0123456789abcdef0123456789abcdef",
        server.url
    );
    let body = read_all(moodle.download(&url).await.expect("opens"))
        .await
        .expect("bytes");
    assert_eq!(body, b"hello");
    let request = &server.requests()[0];
    assert_eq!(
        request.lines().next(),
        Some("POST /webservice/pluginfile.php/17/user/private/a.txt?forcedownload=1 HTTP/1.1")
    );
    assert!(
        request.ends_with("\r\n\r\ntoken=0123456789abcdef0123456789abcdef"),
        "{request}"
    );
}

#[tokio::test]
async fn downloads_are_retried_before_the_first_byte_but_a_broken_transfer_is_reported() {
    let sim = sim().await;
    let student = client(&sim, "student1_bridge");
    let url = format!(
        "{}/webservice/pluginfile.php/17/user/private/study_notes.txt",
        sim.url()
    );
    sim.faults().inject(
        FaultRule::on_endpoint("webservice/pluginfile.php", Fault::Status { status: 503 }).times(1),
    );
    assert_eq!(
        read_all(student.download(&url).await.expect("retried"))
            .await
            .expect("bytes"),
        NOTES.as_bytes()
    );
    assert_eq!(sim.calls("webservice/pluginfile.php"), 2);

    sim.faults().inject(FaultRule::on_endpoint(
        "webservice/pluginfile.php",
        Fault::ResetMidBody,
    ));
    let mut download = student.download(&url).await.expect("head arrives");
    let mut result = Ok(());
    loop {
        match download.chunk().await {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    let err = result.expect_err("the transfer breaks");
    assert!(matches!(err, Error::Interrupted { .. }), "{err:?}");
    assert_eq!(sim.calls("webservice/pluginfile.php"), 3);
}

#[tokio::test]
async fn uploads_stream_into_one_draft_area_and_refusals_are_reported_per_file() {
    let sim = sim().await;
    let student = client(&sim, "student1_bridge");
    const BIG: usize = 3 * 1024 * 1024 + 17;
    let files = vec![
        UploadFile::from_reader(
            "big.bin",
            Pattern {
                left: BIG,
                offset: 0,
            },
        )
        .with_length(BIG as u64),
        UploadFile::from_reader("note.txt", &b"draft note\n"[..]).with_content_type("text/plain"),
    ];
    let upload = student
        .upload_to_draft(files, UploadOptions::default())
        .await
        .expect("uploaded");
    let itemid = upload.itemid.expect("a draft item id");
    assert!(upload.rejected.is_empty(), "{upload:?}");
    let sizes: Vec<(&str, i64)> = upload
        .files
        .iter()
        .map(|f| (f.filename.as_str(), f.filesize))
        .collect();
    assert_eq!(sizes, vec![("big.bin", BIG as i64), ("note.txt", 11)]);
    assert!(
        upload
            .files
            .iter()
            .all(|f| f.itemid == itemid && f.userid == 4 && f.filearea == "draft")
    );

    // Same draft area again: a taken name is refused for that file only.
    let again = vec![
        UploadFile::from_reader("note.txt", &b"other"[..]),
        UploadFile::from_reader("second.txt", &b"2"[..]),
    ];
    let upload = student
        .upload_to_draft(
            again,
            UploadOptions {
                itemid: Some(itemid),
                filepath: None,
            },
        )
        .await
        .expect("uploaded");
    assert_eq!(upload.itemid, Some(itemid));
    assert_eq!(upload.files.len(), 1);
    assert_eq!(upload.rejected[0].errortype, "filenameexist");
    let err = upload.fail_on_rejected().expect_err("refusal as error");
    assert_eq!(err.kind(), ErrorKind::Conflict);

    // The big file went through intact: move the draft to private files and read it back.
    student
        .add_user_private_files(itemid)
        .await
        .expect("draft moved to private files");
    let url = format!(
        "{}/webservice/pluginfile.php/17/user/private/big.bin",
        sim.url()
    );
    let body = read_all(student.download(&url).await.expect("opens"))
        .await
        .expect("bytes");
    assert_eq!(body.len(), BIG);
    assert_eq!(Sha1::digest(&body).to_vec(), pattern_sha1(BIG));
}

#[tokio::test]
async fn upload_refusals_of_the_whole_request_and_faults_are_not_retried() {
    let sim = sim().await;
    let bad = client(&sim, "student1_bridge").with_token("not0a0real0token0000000000000000");
    let err = bad
        .upload_to_draft(
            vec![UploadFile::from_reader("a.txt", &b"a"[..])],
            UploadOptions::default(),
        )
        .await
        .expect_err("invalid token");
    assert!(
        matches!(&err, Error::Endpoint { endpoint: Endpoint::Upload, errorcode, .. } if errorcode == "invalidtoken"),
        "{err:?}"
    );
    sim.faults().inject(FaultRule::on_endpoint(
        "webservice/upload.php",
        Fault::Status { status: 500 },
    ));
    let err = client(&sim, "student1_bridge")
        .upload_to_draft(
            vec![UploadFile::from_reader("a.txt", &b"a"[..])],
            UploadOptions::default(),
        )
        .await
        .expect_err("500");
    assert!(matches!(err, Error::Status { status: 500, .. }), "{err:?}");
    assert_eq!(
        sim.calls("webservice/upload.php"),
        2,
        "one per upload, no retry"
    );
}
