//! The bridge against a real Moodle (opt-in: `MOODLE_REAL_URL`, with `MOODLE_REAL_ROOT`
//! holding the site's `tokens.json`; `../shared/real-moodle/install.sh` builds one). Checks
//! the gateway's answers where the stand-in cannot vouch for itself: shapes, the front
//! page left out, the recorded service's missing function as 403, a create, patch and a
//! refused duplicate; the course it creates is deleted again.

use std::time::Duration;

use bridge::app::App;
use bridge::auth::Scopes;
use bridge::config::{Config, Env, Needs};
use serde_json::{Value, json};

use crate::helpers::{SECRET_KEY, bridge_token, http_client};

struct RealSite {
    url: String,
    admin_token: String,
    student_token: String,
}

fn real_site() -> Option<RealSite> {
    let Ok(url) = std::env::var("MOODLE_REAL_URL") else {
        eprintln!("skipped: real-Moodle tests (MOODLE_REAL_URL is not set)");
        return None;
    };
    let root = std::env::var("MOODLE_REAL_ROOT").expect("MOODLE_REAL_ROOT names the site's folder");
    let tokens: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{root}/tokens.json")).expect("tokens.json"),
    )
    .expect("json");
    Some(RealSite {
        url,
        admin_token: tokens["tokens"]["admin_bridge"]
            .as_str()
            .expect("admin_bridge token")
            .to_owned(),
        student_token: tokens["tokens"]["student1_bridge"]
            .as_str()
            .expect("student1_bridge token")
            .to_owned(),
    })
}

#[tokio::test]
async fn the_gateway_works_against_a_real_moodle() {
    let Some(site) = real_site() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let data_dir = dir.path().display().to_string();
    let env = Env::from_pairs([
        ("MOODLE_BASE_URL", site.url.as_str()),
        ("MOODLE_TOKEN", site.admin_token.as_str()),
        ("SECRET_KEY", SECRET_KEY),
        ("DATA_DIR", data_dir.as_str()),
        ("BIND", "127.0.0.1:0"),
        ("MOODLE_CACHE_TTL_SECONDS", "0"),
        ("RATE_LIMIT_PER_MINUTE", "0"),
    ]);
    let config = Config::from_env(
        &env,
        Needs {
            moodle: true,
            secret_key: true,
        },
    )
    .expect("config");
    let app = App::build(&config).await.expect("starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    let http = http_client();
    let token = bridge_token(Scopes::READ_WRITE);
    let get = |path: &str| {
        let request = http.get(format!("{base}{path}")).bearer_auth(&token);
        async move {
            let r = request.send().await.expect("request");
            let status = r.status().as_u16();
            (
                status,
                serde_json::from_str::<Value>(&r.text().await.expect("body")).expect("json"),
            )
        }
    };
    let send = |method: reqwest::Method, path: &str, body: Value| {
        let request = http
            .request(method, format!("{base}{path}"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body.to_string());
        async move {
            let r = request.send().await.expect("request");
            let status = r.status().as_u16();
            (
                status,
                serde_json::from_str::<Value>(&r.text().await.expect("body")).expect("json"),
            )
        }
    };

    let (status, info) = get("/api/moodle/siteinfo").await;
    assert_eq!(status, 200, "{info}");
    assert!(
        info["data"]["release"]
            .as_str()
            .is_some_and(|r| r.starts_with("4.") || r.starts_with("5."))
    );
    assert!(info["data"].get("userprivateaccesskey").is_none());

    let (status, courses) = get("/api/moodle/courses").await;
    assert_eq!(status, 200, "{courses}");
    let list = courses["data"].as_array().expect("list");
    assert!(
        !list.is_empty() && list.iter().all(|c| c["format"] != "site"),
        "{courses}"
    );

    let (status, refused) = get("/api/moodle/courses?search=Physics").await;
    if status != 200 {
        assert_eq!(
            (status, refused["error"]["code"].as_str()),
            (403, Some("accessexception")),
            "{refused}"
        );
    }
    let (status, by_category) = get("/api/moodle/courses?category=2").await;
    assert_eq!(status, 200, "{by_category}");
    let (status, users) =
        get("/api/moodle/users/by-field?field=username&values=student1,nobody").await;
    assert_eq!(
        (status, users["data"].as_array().map(Vec::len)),
        (200, Some(1)),
        "{users}"
    );
    let (status, notes) = get("/api/moodle/notifications?userid=3&limit=5").await;
    assert_eq!(status, 200, "{notes}");
    assert!(notes["data"]["notifications"].is_array() && notes["data"]["unreadcount"].is_i64());
    let (status, count) = get("/api/moodle/notifications/unread-count?userid=3").await;
    assert_eq!(
        (status, &count["data"]["count"]),
        (200, &notes["data"]["unreadcount"]),
        "{count}"
    );

    let shortname = format!("BRIDGE-REAL-{}", std::process::id());
    let (status, created) = send(
        reqwest::Method::POST,
        "/api/moodle/courses",
        json!({"fullname": "Bridge real test", "shortname": shortname, "categoryid": 1}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let id = created["data"]["id"].as_i64().expect("id");
    let (status, patched) = send(
        reqwest::Method::PATCH,
        &format!("/api/moodle/courses/{id}"),
        json!({"summary": "patched"}),
    )
    .await;
    assert_eq!(
        (status, &patched["data"]["summary"]),
        (200, &json!("patched")),
        "{patched}"
    );
    let (status, dup) = send(
        reqwest::Method::POST,
        "/api/moodle/courses",
        json!({"fullname": "Again", "shortname": shortname, "categoryid": 1}),
    )
    .await;
    assert_eq!(
        (status, dup["error"]["code"].as_str()),
        (409, Some("shortnametaken")),
        "{dup}"
    );
    let (status, missing) = send(
        reqwest::Method::PATCH,
        "/api/moodle/courses/999999",
        json!({"summary": "x"}),
    )
    .await;
    assert_eq!(status, 404, "{missing}");

    // Token login, through the plugin when the site has it (scripts/real-moodle-plugins).
    let has = |f: &str| {
        info["data"]["functions"]
            .as_array()
            .is_some_and(|l| l.iter().any(|x| x["name"] == f))
    };
    let (status, logged_in) = send(
        reqwest::Method::POST,
        "/api/auth/token-login",
        json!({"wstoken": site.student_token}),
    )
    .await;
    assert_eq!(
        (status, logged_in["user"]["username"].as_str()),
        (200, Some("student1")),
        "{logged_in}"
    );
    let expected_validator = if has("local_logintoken_validate_token") {
        "local_logintoken_validate_token"
    } else {
        "core_webservice_get_site_info"
    };
    assert_eq!(logged_in["validated_by"], expected_validator);
    let (status, refused) = send(
        reqwest::Method::POST,
        "/api/auth/token-login",
        json!({"wstoken": "0123456789abcdef0123456789abcdef"}),
    )
    .await;
    assert_eq!(
        (status, refused["errorcode"].as_str()),
        (401, Some("invalidtoken")),
        "{refused}"
    );

    // Upload, then attach (a File activity) when the site has local_bridge.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"real upload".to_vec()).file_name("real.txt"),
    );
    let uploaded = http
        .post(format!("{base}/api/moodle/files/upload"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let uploaded: Value =
        serde_json::from_str(&uploaded.text().await.expect("body")).expect("json");
    let itemid = uploaded["data"]["itemid"].as_i64().expect("itemid");
    assert_eq!(
        uploaded["data"]["files"][0]["filesize"],
        json!(11),
        "{uploaded}"
    );
    let (status, attached) = send(
        reqwest::Method::POST,
        "/api/moodle/files/attach",
        json!({"courseid": id, "draftitemid": itemid, "name": "Real file"}),
    )
    .await;
    if has("local_bridge_create_resource") {
        assert_eq!(status, 200, "{attached}");
        assert!(attached["data"]["cmid"].as_i64().is_some_and(|c| c > 0));
    } else {
        assert_eq!(
            (status, attached["error"]["code"].as_str()),
            (501, Some("pluginrequired")),
            "{attached}"
        );
    }

    let moodle = moodle_ws::Client::builder(site.url.as_str())
        .token(site.admin_token.clone())
        .build()
        .expect("client");
    moodle
        .delete_courses(&[id])
        .await
        .expect("clean up the test course");
    let _ = tx.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), served).await;
}
