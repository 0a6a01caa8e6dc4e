//! The audit log: every write through the gateway leaves a row (who, route, function, ids,
//! outcome), on SQLite and on PostgreSQL; reads leave none.

use bridge::audit::AuditLog;
use bridge::db::Db;
use serde_json::json;

use crate::helpers::{
    Options, expect_error, expect_ok, postgres_database, spawn_app, spawn_app_with,
};

async fn writes_are_audited(app: crate::helpers::TestApp) {
    expect_ok(app.courses("").await).await;
    expect_ok(
        app.create_course(&json!({"fullname": "Audited", "shortname": "AUD1", "categoryid": 1}))
            .await,
    )
    .await;
    expect_error(
        app.create_course(&json!({"fullname": "Audited", "shortname": "AUD1", "categoryid": 1}))
            .await,
        409,
        "shortnametaken",
    )
    .await;
    expect_ok(
        app.enrol(&json!({"enrolments": [{"roleid": 5, "userid": 8, "courseid": 2}]}))
            .await,
    )
    .await;
    let db = Db::connect(&app.database_url).await.expect("db");
    let entries = AuditLog::new(db.clone())
        .since(0, 100)
        .await
        .expect("entries");
    db.close().await;
    let rows: Vec<(String, String, Option<String>, String, i64)> = entries
        .iter()
        .map(|e| {
            (
                e.subject.clone(),
                e.route.clone(),
                e.moodle_function.clone(),
                e.outcome.clone(),
                e.status,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "test-client".to_owned(),
                "POST /api/moodle/courses".to_owned(),
                Some("core_course_create_courses".to_owned()),
                "ok".to_owned(),
                200
            ),
            (
                "test-client".to_owned(),
                "POST /api/moodle/courses".to_owned(),
                Some("core_course_create_courses".to_owned()),
                "shortnametaken".to_owned(),
                409
            ),
            (
                "test-client".to_owned(),
                "POST /api/moodle/enrol".to_owned(),
                Some("enrol_manual_enrol_users".to_owned()),
                "ok".to_owned(),
                200
            ),
        ]
    );
    let ids: serde_json::Value = serde_json::from_str(&entries[0].object_ids).expect("json ids");
    assert_eq!(ids["shortname"], "AUD1");
    assert!(ids["courseid"].as_i64().is_some_and(|id| id > 0), "{ids}");
    assert!(
        entries
            .iter()
            .all(|e| e.source == "bridge" && e.request_id.as_ref().is_some_and(|r| r.len() == 36))
    );
}

#[tokio::test]
async fn writes_are_audited_in_sqlite() {
    writes_are_audited(spawn_app().await).await;
}

#[tokio::test]
async fn writes_are_audited_in_postgres() {
    let Some(url) = postgres_database().await else {
        return;
    };
    writes_are_audited(spawn_app_with(Options::default().env("DATABASE_URL", &url)).await).await;
}

#[tokio::test]
async fn migrations_apply_twice_without_change_on_both_backends() {
    let mut urls = vec![format!(
        "sqlite://{}/twice.db?mode=rwc",
        tempfile::tempdir().expect("dir").keep().display()
    )];
    if let Some(pg) = postgres_database().await {
        urls.push(pg);
    }
    for url in urls {
        let db = Db::connect(&url).await.expect("connect");
        db.migrate().await.expect("first");
        db.migrate().await.expect("second run is a no-op");
        db.ping().await.expect("ping");
        db.close().await;
    }
}
