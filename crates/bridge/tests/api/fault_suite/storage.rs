//! The storage going away: the S3-compatible server's port is closed under a running bridge
//! (a forwarder in front of the test server, so the objects it already holds survive, as a
//! real S3 outage keeps them). Uploads and copies fail cleanly and leave no metadata row
//! pointing at nothing; once the storage is back everything works and the bucket holds
//! exactly the objects the database lists.

use std::time::Duration;

use moodle_sim::Sim;
use reqwest::Method;
use serde_json::{Value, json};

use super::process::Process;
use super::proxy::Proxy;
use super::{auth, call, report, s3_bucket, scan_logs};
use crate::helpers::{add_service_functions, http_client, status_json};

async fn upload(base: &str, name: &str, bytes: Vec<u8>) -> (u16, Value) {
    let form = reqwest::multipart::Form::new().text("course_id", "2").part(
        "files",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    let response = http_client()
        .post(format!("{base}/upload_files"))
        .header("authorization", auth())
        .multipart(form)
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .expect("answers");
    status_json(response).await
}

/// The first file of course 2's learners.
async fn a_moodle_file(base: &str) -> Value {
    let (_, learners) = call(base, Method::GET, "/get_learners?course_id=2", &[], None).await;
    for learner in learners
        .as_array()
        .or_else(|| learners["learners"].as_array())
        .into_iter()
        .flatten()
    {
        let id = learner["id"].as_i64().expect("id");
        let (_, files) = call(
            base,
            Method::GET,
            &format!("/get_user_files/{id}?course_id=2"),
            &[],
            None,
        )
        .await;
        if let Some(key) = files["files"][0]["key"].as_str() {
            return json!({"user_id": id, "course_id": 2, "files": [key]});
        }
    }
    panic!("a learner with files in course 2");
}

#[tokio::test]
async fn uploads_and_copies_fail_cleanly_while_the_storage_is_down() {
    let Some(bucket) = s3_bucket().await else {
        return;
    };
    let sim = Sim::start(crate::helpers::sim_config()).await.expect("sim");
    add_service_functions(&sim, &[]);
    let proxy = Proxy::start().await;
    let endpoint = std::env::var("BRIDGE_TEST_S3_ENDPOINT").expect("endpoint");
    let s3: std::net::SocketAddr = endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("host:port");
    proxy.forward_to(s3);
    let dir = tempfile::tempdir().expect("dir");
    let mut env: Vec<(&str, String)> = bucket.env();
    env.retain(|(name, _)| *name != "AWS_ENDPOINT_URL");
    env.push(("AWS_ENDPOINT_URL", proxy.url()));
    env.push(("DATA_DIR", dir.path().display().to_string()));
    let token = sim.token("admin_bridge").expect("token");
    let bridge = Process::start(sim.url(), &token, &env, &dir.path().join("bridge.log")).await;
    let (status, first) = upload(
        &bridge.url,
        "before.txt",
        b"stored before the outage".to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{first}");
    let first_id = first["files"][0]["id"].as_str().expect("id").to_owned();
    let request = a_moodle_file(&bridge.url).await;

    proxy.down();
    let (up_status, up_body) = upload(&bridge.url, "during.bin", vec![7; 2_000_000]).await;
    let (copy_status, copy_body) = call(
        &bridge.url,
        Method::POST,
        "/copy_moodle_files",
        &[],
        Some(&request),
    )
    .await;
    let (dl_status, _) = call(
        &bridge.url,
        Method::GET,
        &format!("/download_file/{first_id}"),
        &[],
        None,
    )
    .await;
    let (list_status, during) =
        call(&bridge.url, Method::GET, "/list_uploaded_files", &[], None).await;
    report(
        "storage",
        "S3 port closed",
        "upload 2 MB, copy 1 file, download",
        &format!(
            "{up_status}, {copy_status} ok={}, {dl_status}",
            copy_body["results"][0]["ok"]
        ),
        &format!("list {list_status}"),
        &format!("{} rows", during.as_array().map_or(0, Vec::len)),
    );
    assert!(
        matches!(up_status, 502..=504),
        "upload: {up_status} {up_body}"
    );
    assert!(
        matches!(copy_status, 502..=504) || copy_body["results"][0]["ok"] == false,
        "copy: {copy_status} {copy_body}"
    );
    assert!(matches!(dl_status, 502..=504), "download: {dl_status}");
    assert_eq!(list_status, 200, "the list is the database's");
    assert_eq!(
        during.as_array().map(Vec::len),
        Some(1),
        "no row for what failed: {during}"
    );

    proxy.up().await;
    let (status, copied) = call(
        &bridge.url,
        Method::POST,
        "/copy_moodle_files",
        &[],
        Some(&request),
    )
    .await;
    assert_eq!(
        (status, &copied["results"][0]["ok"]),
        (200, &json!(true)),
        "{copied}"
    );
    let (status, _) = upload(&bridge.url, "after.txt", b"after".to_vec()).await;
    assert_eq!(status, 200);
    let (_, after) = call(&bridge.url, Method::GET, "/list_uploaded_files", &[], None).await;
    let rows = after.as_array().map_or(0, Vec::len);
    let objects = bucket.object_count().await;
    report(
        "storage",
        "S3 back",
        "copy again, upload",
        "200, 200",
        &format!("{rows} rows"),
        &format!("{objects} objects in the bucket"),
    );
    assert_eq!(
        (rows, objects),
        (3, 3),
        "every row has its object and no object lacks a row"
    );
    scan_logs(std::slice::from_ref(&bridge.log), &[token.as_str()]);
}
