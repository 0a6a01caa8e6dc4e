//! Access tokens and AGS against the stub's token.php and services.php: the client
//! assertion, one cached token for several calls, renewal before expiry, a 401 retried with a
//! new token, Moodle's token errors, line items, and Moodle's 409/400 score answers.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lti::ags::{LineItem, LineItemFilter, Score};
use lti::claims::AgsEndpoint;
use lti::{Ags, Clock, KeySet, Registration, ServiceConnector, ServiceError};
use serde_json::Value;

use crate::helpers::{CLIENT_ID, http, key};
use crate::stub::Stub;

const SCOPES: [&str; 4] = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
];

struct Setup {
    stub: Stub,
    clock: Clock,
    connector: ServiceConnector,
    registration: Registration,
    endpoint: AgsEndpoint,
}

async fn setup() -> Setup {
    let stub = Stub::start().await;
    let clock = Clock::manual(1_795_305_886);
    let keys = Arc::new(KeySet::new(key("tool")));
    let connector = ServiceConnector::new(http(), keys, clock.clone());
    let registration =
        Registration::moodle("moodle-1", &stub.base, CLIENT_ID, &["1"]).expect("test setup");
    // The launch's claim (real-moodle-4.5.6-lti.jsonl seq 4), on the stub's host.
    let endpoint = AgsEndpoint {
        scope: SCOPES.map(str::to_owned).to_vec(),
        lineitems: Some(stub.url("/mod/lti/services.php/2/lineitems?type_id=1")),
        lineitem: Some(stub.url("/mod/lti/services.php/2/lineitems/5/lineitem?type_id=1")),
    };
    Setup {
        stub,
        clock,
        connector,
        registration,
        endpoint,
    }
}

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

#[tokio::test]
async fn the_token_request_carries_a_signed_client_assertion() {
    let s = setup().await;
    let token = s
        .connector
        .access_token(&s.registration, &SCOPES)
        .await
        .unwrap();
    assert_eq!(token.expires_at, 1_795_305_886 + 3600);
    assert!(
        !format!("{token:?}").contains(token.expose()),
        "the token is redacted in Debug"
    );
    let request = &s.stub.token_requests()[0];
    assert_eq!(request["grant_type"], "client_credentials");
    assert_eq!(
        request["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    let mut sorted = SCOPES.to_vec();
    sorted.sort_unstable();
    assert_eq!(request["scope"], sorted.join(" "));
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(request["client_assertion"].split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["iss"], CLIENT_ID);
    assert_eq!(claims["sub"], CLIENT_ID);
    assert_eq!(claims["aud"], s.stub.url("/mod/lti/token.php"));
    assert_eq!(claims["iat"], 1_795_305_886);
    assert_eq!(claims["exp"], 1_795_305_886 + 300);
    assert_eq!(claims["jti"].as_str().unwrap().len(), 22);
}

#[tokio::test]
async fn one_token_serves_every_call_until_shortly_before_expiry() {
    let s = setup().await;
    let ags = Ags::new(&s.connector, &s.registration, &s.endpoint);
    ags.line_items(&LineItemFilter::default()).await.unwrap();
    ags.post_score(
        s.endpoint.lineitem.as_deref().unwrap(),
        &Score::graded("4", 8.5, 10.0, at(1_795_305_886)),
    )
    .await
    .unwrap();
    ags.results(s.endpoint.lineitem.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(
        s.stub.token_requests().len(),
        1,
        "one token for the launch's scopes"
    );

    s.clock.advance(3600 - 61);
    s.connector
        .access_token(&s.registration, &SCOPES)
        .await
        .unwrap();
    assert_eq!(
        s.stub.token_requests().len(),
        1,
        "still more than a minute left"
    );
    s.clock.advance(2);
    s.connector
        .access_token(&s.registration, &SCOPES)
        .await
        .unwrap();
    assert_eq!(
        s.stub.token_requests().len(),
        2,
        "renewed in its last minute"
    );

    let other_scope = ["https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"];
    s.connector
        .access_token(&s.registration, &other_scope)
        .await
        .unwrap();
    assert_eq!(s.stub.token_requests().len(), 3, "cached per scope set");
}

#[tokio::test]
async fn a_refused_token_is_replaced_once() {
    let s = setup().await;
    let ags = Ags::new(&s.connector, &s.registration, &s.endpoint);
    ags.line_items(&LineItemFilter::default()).await.unwrap();
    s.stub.revoke_tokens();
    let items = ags.line_items(&LineItemFilter::default()).await.unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(s.stub.token_requests().len(), 2);
}

#[tokio::test]
async fn moodles_token_errors_are_named() {
    let s = setup().await;
    *s.stub.seen.token_error.lock().unwrap() = Some((400, "invalid_scope".to_owned()));
    let error = s
        .connector
        .access_token(&s.registration, &["https://example/nosuchscope"])
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ServiceError::TokenRejected { error } if error == "invalid_scope"),
        "{error:?}"
    );
    *s.stub.seen.token_error.lock().unwrap() = Some((500, "boom".to_owned()));
    let error = s
        .connector
        .access_token(&s.registration, &SCOPES)
        .await
        .unwrap_err();
    assert!(
        matches!(error, ServiceError::Status { status: 500 }),
        "{error:?}"
    );
}

#[tokio::test]
async fn line_items_are_listed_and_created() {
    let s = setup().await;
    let ags = Ags::new(&s.connector, &s.registration, &s.endpoint);
    let items = ags
        .line_items(&LineItemFilter {
            resource_link_id: Some("1".to_owned()),
            ..LineItemFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(items[0].label, "Bridge tool activity");
    assert_eq!(items[0].score_maximum, 100.0);
    let created = ags
        .create_line_item(&LineItem {
            score_maximum: 20.0,
            label: "Bridge quiz 1".to_owned(),
            resource_id: Some("quiz-1".to_owned()),
            tag: Some("quiz".to_owned()),
            ..LineItem::default()
        })
        .await
        .unwrap();
    assert!(
        created
            .id
            .unwrap()
            .ends_with("/lineitems/6/lineitem?type_id=1")
    );
    let posted = s.stub.seen.created_lineitems.lock().unwrap()[0].clone();
    assert_eq!(
        posted,
        serde_json::json!({"scoreMaximum": 20.0, "label": "Bridge quiz 1", "resourceId": "quiz-1", "tag": "quiz"})
    );
}

#[tokio::test]
async fn a_score_not_newer_is_409_and_an_unknown_user_is_400() {
    let s = setup().await;
    let ags = Ags::new(&s.connector, &s.registration, &s.endpoint);
    let line_item = s.endpoint.lineitem.clone().unwrap();
    ags.post_score(
        &line_item,
        &Score::graded("4", 8.5, 10.0, at(1_795_305_886)),
    )
    .await
    .unwrap();
    let posted = s.stub.seen.score_posts.lock().unwrap()[0].clone();
    assert_eq!(posted["timestamp"], "2026-11-22T00:04:46.000Z");

    let same = ags
        .post_score(
            &line_item,
            &Score::graded("4", 5.0, 10.0, at(1_795_305_886)),
        )
        .await;
    assert!(matches!(same, Err(ServiceError::ScoreNotNewer)), "{same:?}");
    let older = ags
        .post_score(
            &line_item,
            &Score::graded("4", 5.0, 10.0, at(1_795_302_286)),
        )
        .await;
    assert!(
        matches!(older, Err(ServiceError::ScoreNotNewer)),
        "{older:?}"
    );
    let unknown = ags
        .post_score(
            &line_item,
            &Score::graded("99999", 8.5, 10.0, at(1_795_305_887)),
        )
        .await;
    assert!(
        matches!(unknown, Err(ServiceError::ScoreRejected)),
        "{unknown:?}"
    );
    ags.post_score(
        &line_item,
        &Score::graded("4", 9.0, 10.0, at(1_795_305_890)),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn results_are_read_and_a_launch_without_line_items_has_no_service() {
    let s = setup().await;
    let ags = Ags::new(&s.connector, &s.registration, &s.endpoint);
    let results = ags
        .results(s.endpoint.lineitem.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(results[0].result_score, Some(85.0));
    let bare = AgsEndpoint::default();
    let error = Ags::new(&s.connector, &s.registration, &bare)
        .line_items(&LineItemFilter::default())
        .await;
    assert!(
        matches!(error, Err(ServiceError::NotOffered { .. })),
        "{error:?}"
    );
}
