//! The seed's file API against the stand-in over HTTP, with a teacher's launch token and with
//! an API bearer token: a learner's Moodle files, copies (per-file results, one failure not
//! failing the others, the same Moodle file stored once), multipart uploads (size limit,
//! sanitised names), downloads with ranges, deletion, the bare or paged list and the HTML list.

use moodle_sim::faults::{Fault, FaultRule};
use moodle_sim::state::ContextLevel;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{
    files_form, lti_app, sha256_hex, storage_dir, stored_objects, teacher_token, with_token,
};
use crate::helpers::{Options, TestApp, body_json, read_only_token, spawn_app_with};

/// Alice Anderson, a learner of PHYS101 (course 2) with three private files.
const ALICE: i64 = 4;

/// The content of one of a learner's files in the stand-in (private or submitted).
fn moodle_content(app: &TestApp, user: i64, name: &str) -> Vec<u8> {
    app.sim.with_state(|s| {
        let context = s
            .context_id(ContextLevel::User, user)
            .expect("user context");
        s.files
            .values()
            .find(|f| f.filename == name && (f.contextid == context || f.userid == Some(user)))
            .map(|f| f.content.to_vec())
            .expect("the stand-in's file")
    })
}

async fn json_of(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.expect("request");
    let status = response.status();
    (status, body_json(response).await)
}

/// A learner's listed private files: (key, name, size).
async fn listed(app: &TestApp, token: &str, user: i64) -> Vec<(String, String, i64)> {
    let (status, body) = json_of(with_token(
        app,
        Method::GET,
        &format!("/get_user_files/{user}?course_id=2"),
        token,
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    body["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter(|f| f["source"] == "private")
        .map(|f| {
            (
                f["key"].as_str().expect("key").to_owned(),
                f["name"].as_str().expect("name").to_owned(),
                f["size"].as_i64().expect("size"),
            )
        })
        .collect()
}

async fn copy(app: &TestApp, token: &str, keys: &[&str]) -> Vec<Value> {
    let (status, body) = json_of(
        with_token(app, Method::POST, "/copy_moodle_files", token)
            .header("content-type", "application/json")
            .body(json!({"user_id": ALICE, "course_id": 2, "files": keys}).to_string()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["results"].as_array().expect("results").clone()
}

async fn list(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, body) = json_of(with_token(app, Method::GET, "/list_uploaded_files", token)).await;
    assert_eq!(status, 200, "{body}");
    body.as_array().expect("a bare list").clone()
}

#[tokio::test]
async fn a_learners_files_are_copied_once_each_with_size_and_sha256() {
    let app = lti_app(false).await;
    let token = teacher_token(&app).await;
    let files = listed(&app, &token, ALICE).await;
    let names: Vec<&str> = files.iter().map(|f| f.1.as_str()).collect();
    assert_eq!(names, ["diagram.png", "study_notes.txt", "formulae.txt"]);

    let mut keys: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
    keys.insert(1, "p999999");
    let results = copy(&app, &token, &keys).await;
    assert_eq!(results.len(), 4);
    assert_eq!(
        (&results[1]["ok"], &results[1]["error"]["code"]),
        (&json!(false), &json!("notfound")),
        "a key that is not the learner's is refused on its own"
    );
    let copied: Vec<&Value> = results.iter().filter(|r| r["ok"] == true).collect();
    assert_eq!(copied.len(), 3);
    for (result, (key, name, size)) in copied.iter().zip(&files) {
        assert_eq!(result["file"], key.as_str());
        assert_eq!(result["duplicate"], false);
        assert_eq!(result["stored"]["name"], name.as_str());
        assert_eq!(result["stored"]["size"], *size);
        let content = moodle_content(&app, ALICE, name);
        assert_eq!(result["stored"]["sha256"], sha256_hex(&content));
        let id = result["stored"]["id"].as_str().expect("id");
        let download = with_token(&app, Method::GET, &format!("/download_file/{id}"), &token)
            .send()
            .await
            .expect("request");
        assert_eq!(download.status(), 200);
        assert_eq!(download.bytes().await.expect("body").to_vec(), content);
    }

    // The same Moodle files again: the earlier copies, nothing stored twice.
    let again = copy(&app, &token, &keys[..2]).await;
    assert_eq!(again[0]["duplicate"], true);
    assert_eq!(again[0]["stored"]["id"], copied[0]["stored"]["id"]);
    assert_eq!(list(&app, &token).await.len(), 3);
    assert_eq!(stored_objects(&storage_dir(&app)).len(), 3);

    // The listing now names the stored copies.
    let (_, body) = json_of(with_token(
        &app,
        Method::GET,
        &format!("/get_user_files/{ALICE}"),
        &token,
    ))
    .await;
    let listed_copy = body["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["key"] == copied[0]["file"])
        .expect("the copied file");
    assert_eq!(listed_copy["stored_file_id"], copied[0]["stored"]["id"]);
    assert_eq!(body["private_files"]["available"], true);
}

#[tokio::test]
async fn a_copy_that_breaks_off_keeps_nothing_and_does_not_fail_the_others() {
    let app = lti_app(false).await;
    let token = teacher_token(&app).await;
    let files = listed(&app, &token, ALICE).await;
    let keys: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
    app.sim
        .faults()
        .inject(FaultRule::on_endpoint("local/bridge/download.php", Fault::ResetMidBody).times(1));
    let results = copy(&app, &token, &keys).await;
    let oks: Vec<bool> = results.iter().map(|r| r["ok"] == true).collect();
    assert_eq!(oks, [false, true, true], "{results:?}");
    assert_eq!(results[0]["error"]["code"], "interrupted");
    assert_eq!(list(&app, &token).await.len(), 2);
    assert_eq!(
        stored_objects(&storage_dir(&app)).len(),
        2,
        "no half-written object"
    );

    // Moodle failing (after the client's retries): that file only.
    app.sim.faults().inject(FaultRule::on_endpoint(
        "local/bridge/download.php",
        Fault::Status { status: 500 },
    ));
    let results = copy(&app, &token, &keys).await;
    assert_eq!(results[0]["ok"], false, "{results:?}");
    app.sim.faults().clear();
    assert_eq!(
        (&results[1]["duplicate"], &results[2]["duplicate"]),
        (&json!(true), &json!(true))
    );
    let results = copy(&app, &token, &keys[..1]).await;
    assert_eq!(
        (&results[0]["ok"], &results[0]["duplicate"]),
        (&json!(true), &json!(false)),
        "stored once the fault is gone"
    );
    assert_eq!(stored_objects(&storage_dir(&app)).len(), 3);
}

/// A multipart body with raw file names, as a browser sends them.
fn raw_multipart(files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----bridge-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn uploads_store_several_files_under_sanitised_names_inside_the_storage() {
    let app = lti_app(false).await;
    let token = teacher_token(&app).await;
    let (content_type, body) = raw_multipart(&[
        ("../../../../etc/passwd", b"root:x:0:0"),
        ("..\\..\\boot.ini", b"[boot loader]"),
        ("notes\u{200B}\u{202E}.txt", b"some notes"),
        ("..", b"dots"),
    ]);
    let (status, reply) = json_of(
        with_token(&app, Method::POST, "/upload_files", &token)
            .header("content-type", content_type)
            .body(body),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let names: Vec<&str> = reply["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["passwd", "boot.ini", "notes.txt", "file"]);
    assert_eq!(reply["files"][0]["sha256"], sha256_hex(b"root:x:0:0"));
    assert_eq!(reply["files"][0]["source"], "upload");
    let root = storage_dir(&app).canonicalize().expect("storage");
    let objects = stored_objects(&root);
    assert_eq!(objects.len(), 4);
    for object in objects {
        assert!(
            object.canonicalize().expect("path").starts_with(&root),
            "{object:?} stays inside the storage"
        );
    }
    let id = reply["files"][2]["id"].as_str().expect("id");
    let download = with_token(&app, Method::GET, &format!("/download_file/{id}"), &token)
        .send()
        .await
        .expect("request");
    assert_eq!(download.status(), 200);
    let disposition = download.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"notes.txt\""),
        "{disposition}"
    );
    assert_eq!(download.text().await.expect("body"), "some notes");
}

#[tokio::test]
async fn an_upload_over_max_upload_mb_is_413_and_keeps_nothing() {
    let app = spawn_app_with(Options {
        lti: Some(false),
        ..Options::default().env("MAX_UPLOAD_MB", "1")
    })
    .await;
    let token = teacher_token(&app).await;
    let response = with_token(&app, Method::POST, "/upload_files", &token)
        .multipart(files_form(&[
            ("small.txt", b"fits".to_vec()),
            ("big.bin", vec![7u8; (1 << 20) + 1]),
        ]))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 413);
    assert_eq!(body_json(response).await["code"], "toolarge");
    assert!(list(&app, &token).await.is_empty(), "the small one too");
    assert!(stored_objects(&storage_dir(&app)).is_empty());

    let exact = with_token(&app, Method::POST, "/upload_files", &token)
        .multipart(files_form(&[("exact.bin", vec![1u8; 1 << 20])]))
        .send()
        .await
        .expect("request");
    assert_eq!(exact.status(), 200, "exactly the limit is fine");
}

#[tokio::test]
async fn downloads_answer_ranges_with_206_and_past_the_end_with_416() {
    let app = lti_app(false).await;
    let token = teacher_token(&app).await;
    let content: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    let (_, reply) = json_of(
        with_token(&app, Method::POST, "/upload_files", &token)
            .multipart(files_form(&[("data.bin", content.clone())])),
    )
    .await;
    let id = reply["files"][0]["id"].as_str().expect("id").to_owned();
    let path = format!("/download_file/{id}");
    let part = with_token(&app, Method::GET, &path, &token)
        .header("range", "bytes=10-19")
        .send()
        .await
        .expect("request");
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], "bytes 10-19/1000");
    assert_eq!(part.bytes().await.expect("body").as_ref(), &content[10..20]);
    let tail = with_token(&app, Method::GET, &path, &token)
        .header("range", "bytes=-5")
        .send()
        .await
        .expect("request");
    assert_eq!(tail.status(), 206);
    assert_eq!(tail.bytes().await.expect("body").as_ref(), &content[995..]);
    let past = with_token(&app, Method::GET, &path, &token)
        .header("range", "bytes=1000-")
        .send()
        .await
        .expect("request");
    assert_eq!(past.status(), 416);
    assert_eq!(past.headers()["content-range"], "bytes */1000");
    let whole = with_token(&app, Method::GET, &path, &token)
        .send()
        .await
        .expect("request");
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    assert_eq!(whole.bytes().await.expect("body").to_vec(), content);
}

#[tokio::test]
async fn a_deleted_file_is_gone_with_its_bytes() {
    let app = lti_app(false).await;
    let token = teacher_token(&app).await;
    let (_, reply) = json_of(
        with_token(&app, Method::POST, "/upload_files", &token).multipart(files_form(&[
            ("a.txt", b"a".to_vec()),
            ("b.txt", b"b".to_vec()),
        ])),
    )
    .await;
    let id = reply["files"][0]["id"].as_str().expect("id").to_owned();
    let (status, deleted) = json_of(with_token(
        &app,
        Method::DELETE,
        &format!("/delete_file/{id}"),
        &token,
    ))
    .await;
    assert_eq!(
        (status.as_u16(), deleted),
        (200, json!({"deleted": true, "id": id}))
    );
    let names: Vec<Value> = list(&app, &token)
        .await
        .iter()
        .map(|f| f["name"].clone())
        .collect();
    assert_eq!(names, [json!("b.txt")]);
    assert_eq!(stored_objects(&storage_dir(&app)).len(), 1);
    for (method, path) in [
        (Method::GET, format!("/download_file/{id}")),
        (Method::DELETE, format!("/delete_file/{id}")),
    ] {
        let (status, body) = json_of(with_token(&app, method, &path, &token)).await;
        assert_eq!((status.as_u16(), &body["code"]), (404, &json!("notfound")));
    }
}

#[tokio::test]
async fn the_list_is_bare_unless_paged_and_pages_follow_the_link_header() {
    let app = lti_app(false).await;
    let token = teacher_token(&app).await;
    let form = files_form(
        &(0..5)
            .map(|i| {
                (
                    ["f0", "f1", "f2", "f3", "f4"][i],
                    vec![u8::try_from(i).expect("small")],
                )
            })
            .collect::<Vec<_>>(),
    );
    let upload = with_token(&app, Method::POST, "/upload_files", &token)
        .multipart(form)
        .send()
        .await
        .expect("request");
    assert_eq!(upload.status(), 200);
    let bare = with_token(&app, Method::GET, "/list_uploaded_files", &token)
        .send()
        .await
        .expect("request");
    assert!(bare.headers().get("link").is_none());
    let all = body_json(bare).await;
    assert_eq!(all.as_array().map(Vec::len), Some(5));

    let mut next = Some(format!("{}/list_uploaded_files?limit=2", app.url));
    let mut seen = Vec::new();
    let mut pages = 0;
    while let Some(url) = next.take() {
        let page = app
            .http
            .get(&url)
            .header("x-launch-token", &token)
            .send()
            .await
            .expect("request");
        assert_eq!(page.status(), 200);
        next = page.headers().get("link").map(|l| {
            let l = l.to_str().expect("ascii");
            assert!(l.ends_with(">; rel=\"next\""), "{l}");
            l.trim_start_matches('<')
                .split('>')
                .next()
                .expect("url")
                .to_owned()
        });
        let items = body_json(page).await;
        seen.extend(
            items
                .as_array()
                .expect("a list")
                .iter()
                .map(|f| f["id"].clone()),
        );
        pages += 1;
        assert!(pages <= 3, "three pages of 2, 2 and 1");
    }
    assert_eq!(pages, 3);
    let everything: Vec<Value> = all
        .as_array()
        .expect("list")
        .iter()
        .map(|f| f["id"].clone())
        .collect();
    assert_eq!(seen, everything, "the pages, in order, are the whole list");
}

#[tokio::test]
async fn the_files_page_lists_stored_files_as_html() {
    let app = lti_app(false).await;
    let token = teacher_token(&app).await;
    let empty = with_token(&app, Method::GET, "/files", &token)
        .send()
        .await
        .expect("request");
    assert!(
        empty
            .text()
            .await
            .expect("body")
            .contains("No files are stored")
    );
    let upload = with_token(&app, Method::POST, "/upload_files", &token)
        .multipart(files_form(&[("<i>x&y</i>.txt", b"x".to_vec())]))
        .send()
        .await
        .expect("request");
    assert_eq!(upload.status(), 200);
    let page = with_token(&app, Method::GET, "/files", &token)
        .send()
        .await
        .expect("request");
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    let html = page.text().await.expect("body");
    // The name's last path component, escaped.
    assert!(html.contains(">i&gt;.txt</a>"), "{html}");
    assert!(!html.contains("<i>x"), "names are escaped");
    assert!(html.contains(&sha256_hex(b"x")));
}

#[tokio::test]
async fn an_api_token_uses_every_route_naming_the_course() {
    let app = lti_app(false).await;
    let bearer = |method: Method, path: &str| {
        app.http
            .request(method, format!("{}{path}", app.url))
            .bearer_auth(&app.token)
    };
    let (status, body) = json_of(bearer(Method::GET, &format!("/get_user_files/{ALICE}"))).await;
    assert_eq!(
        (status.as_u16(), &body["code"]),
        (400, &json!("invalidparameter"))
    );
    let (status, body) = json_of(bearer(
        Method::GET,
        &format!("/get_user_files/{ALICE}?course_id=2"),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    let key = body["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["name"] == "study_notes.txt")
        .and_then(|f| f["key"].as_str())
        .expect("key")
        .to_owned();
    let (status, body) = json_of(
        bearer(Method::POST, "/copy_moodle_files")
            .header("content-type", "application/json")
            .body(json!({"user_id": ALICE, "course_id": 2, "files": [key]}).to_string()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["results"][0]["stored"]["sha256"],
        sha256_hex(&moodle_content(&app, ALICE, "study_notes.txt"))
    );
    // The course before the files: each file is stored as it arrives.
    let form = reqwest::multipart::Form::new().text("course_id", "2").part(
        "files",
        reqwest::multipart::Part::bytes(b"from the API".to_vec()).file_name("api.txt"),
    );
    let (status, body) = json_of(bearer(Method::POST, "/upload_files").multipart(form)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["files"][0]["course_id"], 2);
    let id = body["files"][0]["id"].as_str().expect("id").to_owned();
    let (_, listed) = json_of(bearer(Method::GET, "/list_uploaded_files")).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(2));
    let page = bearer(Method::GET, "/files").send().await.expect("request");
    assert!(page.text().await.expect("body").contains("api.txt"));
    let download = bearer(Method::GET, &format!("/download_file/{id}"))
        .send()
        .await
        .expect("request");
    assert_eq!(download.text().await.expect("body"), "from the API");

    // A read-only token reads but does not write.
    let read_only = read_only_token();
    let refused = app
        .http
        .delete(format!("{}/delete_file/{id}", app.url))
        .bearer_auth(&read_only)
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), 403);
    let (status, _) = json_of(bearer(Method::DELETE, &format!("/delete_file/{id}"))).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn an_api_upload_names_its_course_first_or_in_the_query_and_else_stores_nothing() {
    let app = lti_app(false).await;
    let upload = |query: &str, form: reqwest::multipart::Form| {
        app.http
            .post(format!("{}/upload_files{query}", app.url))
            .bearer_auth(&app.token)
            .multipart(form)
    };
    let file = |name: &str| {
        reqwest::multipart::Part::bytes(b"course first".to_vec()).file_name(name.to_owned())
    };
    // The course after the file: refused before anything is stored.
    let late = reqwest::multipart::Form::new()
        .part("files", file("late.txt"))
        .text("course_id", "2");
    let (status, body) = json_of(upload("", late)).await;
    assert_eq!(
        (status.as_u16(), &body["field"]),
        (400, &json!("course_id"))
    );
    let message = body["error"].as_str().expect("error");
    assert!(message.contains("must come before the file"), "{message}");
    // Two files with the course between them: the first is not kept either.
    let between = reqwest::multipart::Form::new()
        .text("course_id", "2")
        .part("files", file("first.txt"))
        .text("course_id", "3")
        .part("files", file("second.txt"));
    let (status, _) = json_of(upload("", between)).await;
    assert_eq!(status, 400);
    let (_, listed) = json_of(
        app.http
            .get(format!("{}/list_uploaded_files", app.url))
            .bearer_auth(&app.token),
    )
    .await;
    assert_eq!(listed, json!([]), "nothing stored");
    assert!(stored_objects(&storage_dir(&app)).is_empty());

    // The course in the query: any order of parts.
    let form = reqwest::multipart::Form::new().part("files", file("query.txt"));
    let (status, body) = json_of(upload("?course_id=2", form)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["files"][0]["course_id"], 2);
    let differing = reqwest::multipart::Form::new()
        .text("course_id", "3")
        .part("files", file("x.txt"));
    let (status, body) = json_of(upload("?course_id=2", differing)).await;
    assert_eq!(
        (status.as_u16(), &body["field"]),
        (400, &json!("course_id"))
    );
}
