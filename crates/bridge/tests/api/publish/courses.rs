//! The local store: courses and assets per owner, each asset type's schema (422 naming the
//! field), file assets as multipart, scopes, the `{"detail": …}` shape and the audit log.

use bridge::audit::AuditLog;
use bridge::db::Db;
use reqwest::Method;
use serde_json::{Value, json};

use super::helpers::publisher_app;
use crate::helpers::{TestApp, read_only_token, shared_token, status_json};

async fn as_subject(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .http
        .request(method, format!("{}{path}", app.url))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    status_json(request.send().await.expect("request")).await
}

#[tokio::test]
async fn courses_and_assets_belong_to_the_subject_that_made_them() {
    let app = publisher_app().await;
    let (status, course) = status_json(
        app.publisher_json(
            Method::POST,
            "/api/courses",
            &[],
            Some(&json!({"name": " Optics ", "description": "<p>Light</p>", "category_path": " Science / Optics/ "})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{course}");
    assert_eq!(
        (course["name"].as_str(), course["shortname"].as_str()),
        (Some("Optics"), Some("Optics"))
    );
    assert_eq!(course["category_path"], "Science/Optics");
    let id = course["id"].as_i64().expect("id");
    let (status, list) = status_json(app.get("/api/courses").await).await;
    assert_eq!((status, list.as_array().map(Vec::len)), (200, Some(1)));
    let (status, patched) = status_json(
        app.publisher_json(
            Method::PATCH,
            &format!("/api/courses/{id}"),
            &[],
            Some(&json!({"name": "Optics II"})),
        )
        .await,
    )
    .await;
    assert_eq!(
        (
            status,
            patched["name"].as_str(),
            patched["description"].as_str()
        ),
        (200, Some("Optics II"), Some("<p>Light</p>"))
    );
    assert_eq!(
        app.add_asset(id, "intro", "page", json!("<p>Hi</p>"))
            .await
            .status(),
        201
    );
    let other =
        shared_token(json!({"sub": "another-app-user", "scope": "moodle:read moodle:write"}));
    for (method, path, body) in [
        (Method::GET, format!("/api/courses/{id}"), None),
        (
            Method::PATCH,
            format!("/api/courses/{id}"),
            Some(json!({"name": "Mine now"})),
        ),
        (Method::GET, format!("/api/courses/{id}/assets"), None),
        (Method::GET, format!("/api/courses/{id}/assets/intro"), None),
        (Method::DELETE, format!("/api/courses/{id}"), None),
    ] {
        let (status, body) = as_subject(&app, &other, method.clone(), &path, body).await;
        assert_eq!(
            (status, body["detail"].as_str()),
            (404, Some("Course not found")),
            "{method} {path}"
        );
    }
    let (_, theirs) = as_subject(&app, &other, Method::GET, "/api/courses", None).await;
    assert_eq!(theirs, json!([]));
    let deleted = app
        .publisher_json(Method::DELETE, &format!("/api/courses/{id}"), &[], None)
        .await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(app.get(&format!("/api/courses/{id}")).await.status(), 404);
}

#[tokio::test]
async fn asset_content_is_checked_against_its_type_naming_the_field() {
    let app = publisher_app().await;
    let id = app.new_course(&json!({"name": "Checks"})).await;
    let cases = [
        (
            "p",
            "page",
            json!(12),
            "asset_content: must be the page's text",
        ),
        (
            "u",
            "url",
            json!({"url": "javascript:alert(1)"}),
            "asset_content.url: must be an http, https or ftp address",
        ),
        (
            "f",
            "forum",
            json!({"intro": "x", "type": "news"}),
            "asset_content.type: must be one of",
        ),
        (
            "q",
            "quiz",
            json!({"questions": [{"type": "multichoice", "text": "Pick", "options": ["a", "b"], "answer": "c"}]}),
            "asset_content.questions[0].answer: must be one of the options",
        ),
        (
            "q",
            "question-paper",
            json!({"questions": [{"type": "poll", "text": "x"}]}),
            "asset_content.questions[0].type: unknown variant `poll`",
        ),
        (
            "x",
            "file",
            json!({}),
            "asset_content: file assets are uploaded as multipart/form-data",
        ),
    ];
    for (name, kind, content, want) in cases {
        let (status, body) = status_json(app.add_asset(id, name, kind, content).await).await;
        assert_eq!(status, 422, "{kind}: {body}");
        assert!(
            body["detail"].as_str().is_some_and(|d| d.starts_with(want)),
            "{kind}: {body}"
        );
    }
    let (status, body) = status_json(app.add_asset(id, "p", "slides", json!("x")).await).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("asset_type: unknown variant")),
        "{body}"
    );
    let (status, asset) = status_json(
        app.add_asset(
            id,
            "p",
            "page",
            json!({"text": "# Hi", "format": "markdown"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{asset}");
    assert_eq!(
        asset["asset_content"],
        json!({"text": "# Hi", "format": "markdown"})
    );
    assert_eq!(asset["asset_last_updated_by"], "test-client");
    assert!(
        asset["asset_last_updated_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    let (status, body) = status_json(app.add_asset(id, "p", "page", json!("again")).await).await;
    assert_eq!(
        (status, body["detail"].as_str()),
        (
            409,
            Some(&*format!("asset \"p\" already exists in course {id}"))
        )
    );
    let path = format!("/api/courses/{id}/assets/p");
    let (status, body) = status_json(
        app.publisher_json(
            Method::PATCH,
            &path,
            &[],
            Some(&json!({"asset_content": ""})),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["detail"].as_str()),
        (422, Some("asset_content: the page has no text"))
    );
    let (status, body) = status_json(
        app.publisher_json(
            Method::PATCH,
            &path,
            &[],
            Some(&json!({"asset_content": "<p>New</p>"})),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, &body["asset_content"]),
        (200, &json!("<p>New</p>"))
    );
    let (status, _) =
        status_json(app.get(&format!("/api/courses/{id}/assets/nothing")).await).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn file_assets_are_uploaded_as_multipart_and_kept_with_size_and_hash() {
    let app = publisher_app().await;
    let id = app.new_course(&json!({"name": "Files"})).await;
    let (status, asset) =
        status_json(app.add_file(id, "hello", "hello.txt", b"hello world").await).await;
    assert_eq!(status, 201, "{asset}");
    assert_eq!(
        asset["asset_content"],
        json!({"filename": "hello.txt", "content_type": "application/pdf", "size": 11,
               "sha256": "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"})
    );
    let form = reqwest::multipart::Form::new()
        .text("asset_name", "late")
        .part(
            "file",
            reqwest::multipart::Part::bytes(&b"x"[..]).file_name("x.txt"),
        );
    let response = app
        .request(Method::POST, &format!("/api/courses/{id}/assets"))
        .multipart(form)
        .send()
        .await
        .expect("request");
    let (status, body) = status_json(response).await;
    assert_eq!(
        (status, body["detail"].as_str()),
        (
            422,
            Some("asset_type: send asset_type=file before the file")
        )
    );
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(&b"hello again"[..]).file_name("hello2.txt"),
    );
    let response = app
        .request(Method::PATCH, &format!("/api/courses/{id}/assets/hello"))
        .multipart(form)
        .send()
        .await
        .expect("request");
    let (status, asset) = status_json(response).await;
    assert_eq!(status, 200, "{asset}");
    assert_eq!(
        (
            asset["asset_content"]["filename"].as_str(),
            asset["asset_content"]["size"].as_u64()
        ),
        (Some("hello2.txt"), Some(11))
    );
    let (status, body) = status_json(
        app.publisher_json(
            Method::PATCH,
            &format!("/api/courses/{id}/assets/hello"),
            &[],
            Some(&json!({"asset_content": {}})),
        )
        .await,
    )
    .await;
    assert_eq!(
        status, 422,
        "a file's content is replaced by a file: {body}"
    );
}

#[tokio::test]
async fn scopes_apply_and_refusals_take_the_detail_shape() {
    let app = publisher_app().await;
    let reader = read_only_token();
    let (status, body) = as_subject(
        &app,
        &reader,
        Method::POST,
        "/api/courses",
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(
        (status, body["detail"].as_str()),
        (403, Some("this token lacks the moodle:write scope"))
    );
    let (status, _) = as_subject(&app, &reader, Method::GET, "/api/courses", None).await;
    assert_eq!(status, 200);
    let response = app
        .http
        .get(format!("{}/api/courses", app.url))
        .send()
        .await
        .expect("request");
    assert_eq!(
        response
            .headers()
            .get("www-authenticate")
            .map(|v| v.as_bytes()),
        Some(&b"Bearer"[..])
    );
    let (status, body) = status_json(response).await;
    assert_eq!(
        (status, body),
        (401, json!({"detail": "missing bearer token"}))
    );
    let (status, body) = status_json(
        app.publisher_json(
            Method::POST,
            "/api/courses",
            &[],
            Some(&json!({"name": "x", "colour": 1})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("colour: unknown field")),
        "{body}"
    );
}

#[tokio::test]
async fn local_writes_are_audited() {
    let app = publisher_app().await;
    let id = app.new_course(&json!({"name": "Audited"})).await;
    assert_eq!(
        app.add_asset(id, "p", "page", json!("<p>x</p>"))
            .await
            .status(),
        201
    );
    let db = Db::connect(&app.database_url).await.expect("db");
    let entries = AuditLog::new(db.clone())
        .since(0, 100)
        .await
        .expect("entries");
    db.close().await;
    let routes: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e.route.as_str(), e.object_ids.as_str()))
        .collect();
    assert_eq!(
        routes,
        [
            ("POST /api/courses", &*format!("{{\"course_id\":{id}}}")),
            (
                "POST /api/courses/{course_id}/assets",
                &*format!("{{\"course_id\":{id},\"asset\":\"p\"}}")
            ),
        ]
    );
}
