//! The file manager on S3-compatible storage (`STORAGE_URL=s3://bucket/prefix`) against the
//! throwaway moto server `scripts/lib/s3.sh` starts: copies, uploads, ranged downloads and
//! deletions leave exactly the objects they should in the bucket; an upload over the limit
//! leaves none. Without `BRIDGE_TEST_S3_ENDPOINT` the tests print one skip line.

use reqwest::Method;
use serde_json::json;

use super::{files_form, sha256_hex, teacher_token, with_token};
use crate::helpers::{Options, TestApp, body_json, http_client, spawn_app_with};

/// The server, when the test script started one.
fn endpoint() -> Option<String> {
    let Ok(endpoint) = std::env::var("BRIDGE_TEST_S3_ENDPOINT") else {
        moodle_sim::testing::skip(
            "S3 storage tests",
            "BRIDGE_TEST_S3_ENDPOINT is not set; scripts/test sets it",
            moodle_sim::testing::Dependency::InstalledByCi,
        );
        return None;
    };
    // The bridge reads the endpoint and credentials from the usual AWS_* variables.
    assert_eq!(
        std::env::var("AWS_ENDPOINT_URL").ok().as_deref(),
        Some(endpoint.as_str()),
        "AWS_ENDPOINT_URL must name the test server too (scripts/lib/s3.sh exports both)"
    );
    Some(endpoint)
}

/// A fresh bucket, and a bridge storing under `s3://<bucket>/files-prefix`.
async fn s3_app(endpoint: &str, env: &[(&str, &str)]) -> (TestApp, String) {
    let bucket = format!("bridge-test-{}", uuid::Uuid::new_v4().simple());
    let made = http_client()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .expect("the S3 test server answers");
    assert!(made.status().is_success(), "bucket: {}", made.status());
    let storage = format!("s3://{bucket}/files-prefix");
    let mut options = Options {
        lti: Some(false),
        ..Options::default().env("STORAGE_URL", &storage)
    };
    for (k, v) in env {
        options = options.env(k, v);
    }
    (spawn_app_with(options).await, bucket)
}

/// The keys in the bucket.
async fn objects(endpoint: &str, bucket: &str) -> Vec<String> {
    let listing = http_client()
        .get(format!("{endpoint}/{bucket}?list-type=2"))
        .send()
        .await
        .expect("list")
        .text()
        .await
        .expect("body");
    listing
        .split("<Key>")
        .skip(1)
        .filter_map(|rest| rest.split("</Key>").next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn copies_uploads_downloads_and_deletions_work_on_s3() {
    let Some(endpoint) = endpoint() else { return };
    let (app, bucket) = s3_app(&endpoint, &[]).await;
    let token = teacher_token(&app).await;

    let listing = body_json(
        with_token(&app, Method::GET, "/get_user_files/4", &token)
            .send()
            .await
            .expect("request"),
    )
    .await;
    let keys: Vec<&str> = listing["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["key"].as_str().expect("key"))
        .collect();
    let copied = body_json(
        with_token(&app, Method::POST, "/copy_moodle_files", &token)
            .header("content-type", "application/json")
            .body(json!({"user_id": 4, "files": keys}).to_string())
            .send()
            .await
            .expect("request"),
    )
    .await;
    let results = copied["results"].as_array().expect("results");
    assert!(results.iter().all(|r| r["ok"] == true), "{copied}");
    let copies = keys.len();
    assert_eq!(objects(&endpoint, &bucket).await.len(), copies);

    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let uploaded = with_token(&app, Method::POST, "/upload_files", &token)
        .multipart(files_form(&[
            ("big.bin", content.clone()),
            ("small.txt", b"s3".to_vec()),
        ]))
        .send()
        .await
        .expect("request");
    assert_eq!(uploaded.status(), 200);
    let uploaded = body_json(uploaded).await;
    assert_eq!(uploaded["files"][0]["sha256"], sha256_hex(&content));
    let stored = objects(&endpoint, &bucket).await;
    assert_eq!(stored.len(), copies + 2);
    assert!(
        stored.iter().all(|k| k.starts_with("files-prefix/")),
        "{stored:?}"
    );

    let id = uploaded["files"][0]["id"].as_str().expect("id").to_owned();
    let whole = with_token(&app, Method::GET, &format!("/download_file/{id}"), &token)
        .send()
        .await
        .expect("request");
    assert_eq!(whole.status(), 200);
    assert_eq!(
        sha256_hex(&whole.bytes().await.expect("body")),
        sha256_hex(&content)
    );
    let part = with_token(&app, Method::GET, &format!("/download_file/{id}"), &token)
        .header("range", "bytes=1000-1999")
        .send()
        .await
        .expect("request");
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.bytes().await.expect("body").as_ref(),
        &content[1000..2000]
    );

    let deleted = with_token(&app, Method::DELETE, &format!("/delete_file/{id}"), &token)
        .send()
        .await
        .expect("request");
    assert_eq!(deleted.status(), 200);
    assert_eq!(objects(&endpoint, &bucket).await.len(), copies + 1);
    let gone = with_token(&app, Method::GET, &format!("/download_file/{id}"), &token)
        .send()
        .await
        .expect("request");
    assert_eq!(gone.status(), 404);
}

#[tokio::test]
async fn an_upload_over_the_limit_leaves_no_object_on_s3() {
    let Some(endpoint) = endpoint() else { return };
    let (app, bucket) = s3_app(&endpoint, &[("MAX_UPLOAD_MB", "1")]).await;
    let token = teacher_token(&app).await;
    let response = with_token(&app, Method::POST, "/upload_files", &token)
        .multipart(files_form(&[
            ("first.txt", b"kept until the second fails".to_vec()),
            ("too-big.bin", vec![0u8; (1 << 20) + 10]),
        ]))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 413);
    assert_eq!(objects(&endpoint, &bucket).await, Vec::<String>::new());
    let list = body_json(
        with_token(&app, Method::GET, "/list_uploaded_files", &token)
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(list, json!([]));
}
