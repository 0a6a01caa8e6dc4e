use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::json;

use super::*;
use crate::keys::ToolKey;

const TOOL_PEM: &str = include_str!("../../tests/fixtures/keys/tool.pem");

/// The deep-linking request of real-moodle-4.5.6-lti.jsonl (seq 28), as a launch.
fn moodle_request(settings: Value) -> Launch {
    serde_json::from_value(json!({
        "registration_id": "moodle-1", "issuer": "http://127.0.0.1:8081", "client_id": "9jaP3Q6PNFuPzAg",
        "deployment_id": "1", "message_type": "LtiDeepLinkingRequest",
        "target_link_uri": "http://127.0.0.1:8090/lti/deeplink",
        "user": {"sub": "3"}, "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
        "role_scope_mentor": [], "context": {"id": "2", "label": "PHYS101", "title": "Physics 101", "type": ["CourseSection"]},
        "resource_link": null, "custom": {}, "ags": null, "nrps": null, "deep_linking": settings,
        "launch_presentation": null, "tool_platform": null, "lis": null, "ext": {}, "lti1p1": null,
        "basic_outcome": null, "for_user": null, "proctoring": null,
        "nonce": "nonce-3405b43448bc4bcc", "issued_at": 1_795_305_886, "expires_at": 1_795_305_946,
        "storage_target": null
    }))
    .unwrap()
}

fn moodle_settings() -> Value {
    json!({
        "accept_types": ["ltiResourceLink"],
        "accept_presentation_document_targets": ["frame", "iframe", "window"],
        "accept_copy_advice": false, "accept_multiple": true, "accept_unsigned": false,
        "auto_create": false, "can_confirm": false,
        "deep_link_return_url": "http://127.0.0.1:8081/mod/lti/contentitem_return.php?course=2&id=1&sesskey=abc",
        "title": "Bridge content", "text": ""
    })
}

/// The item the recorded tool returned (seq 29).
fn unit_one() -> ContentItem {
    ContentItem::LtiResourceLink(ResourceLinkItem {
        title: Some("Bridge published unit 1".to_owned()),
        text: Some("Linked from the tool".to_owned()),
        url: Some("http://127.0.0.1:8090/lti/launch?unit=1".to_owned()),
        custom: [("unit".to_owned(), "1".to_owned())].into(),
        line_item: Some(LineItemSpec {
            score_maximum: 10.0,
            label: Some("Bridge unit 1".to_owned()),
            resource_id: Some("unit-1".to_owned()),
            tag: Some("unit".to_owned()),
        }),
    })
}

#[test]
fn the_response_jwt_carries_what_moodle_checks_and_the_items() {
    let key = ToolKey::from_pem(TOOL_PEM).unwrap();
    let jwk = key.public_jwk();
    let keys = KeySet::new(key);
    let launch = moodle_request(moodle_settings());
    let jwt = DeepLinkingResponse::new(vec![unit_one()])
        .jwt(&keys, &launch, 1_795_305_886)
        .unwrap();

    let header = jsonwebtoken::decode_header(&jwt).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(header.kid.as_deref(), Some(jwk.kid.as_str()));
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&["http://127.0.0.1:8081"]);
    validation.set_issuer(&["9jaP3Q6PNFuPzAg"]);
    validation.validate_exp = false;
    let decoding = DecodingKey::from_rsa_components(&jwk.n, &jwk.e).unwrap();
    let claims = jsonwebtoken::decode::<Value>(&jwt, &decoding, &validation)
        .unwrap()
        .claims;

    assert_eq!(claims["iat"], 1_795_305_886);
    assert_eq!(claims["exp"], 1_795_305_886 + 600);
    assert_eq!(claims["nonce"].as_str().unwrap().len(), 22);
    assert_ne!(
        claims["nonce"], "nonce-3405b43448bc4bcc",
        "a fresh nonce, not the request's"
    );
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"],
        "1"
    );
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti/claim/message_type"],
        "LtiDeepLinkingResponse"
    );
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti/claim/version"],
        "1.3.0"
    );
    assert!(
        claims
            .get("https://purl.imsglobal.org/spec/lti-dl/claim/data")
            .is_none(),
        "Moodle sent no data"
    );
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"],
        json!([{
            "type": "ltiResourceLink",
            "title": "Bridge published unit 1",
            "text": "Linked from the tool",
            "url": "http://127.0.0.1:8090/lti/launch?unit=1",
            "custom": {"unit": "1"},
            "lineItem": {"scoreMaximum": 10.0, "label": "Bridge unit 1", "resourceId": "unit-1", "tag": "unit"}
        }])
    );
}

#[test]
fn data_is_echoed_and_messages_are_added() {
    let mut settings = moodle_settings();
    settings["data"] = json!("csrf-123");
    let launch = moodle_request(settings);
    let mut response = DeepLinkingResponse::new(vec![]);
    response.msg = Some("Nothing picked".to_owned());
    let claims = response.claims(&launch, 0).unwrap();
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"],
        "csrf-123"
    );
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti-dl/claim/msg"],
        "Nothing picked"
    );
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"],
        json!([])
    );
}

#[test]
fn items_the_platform_does_not_accept_are_refused() {
    let launch = moodle_request(moodle_settings());
    let link = ContentItem::Link(LinkItem {
        url: "https://example.org".to_owned(),
        ..LinkItem::default()
    });
    assert!(matches!(
        DeepLinkingResponse::new(vec![link]).claims(&launch, 0),
        Err(DeepLinkingError::TypeNotAccepted { item_type }) if item_type == "link"
    ));
    let mut settings = moodle_settings();
    settings["accept_multiple"] = json!("false");
    let launch = moodle_request(settings);
    assert!(matches!(
        DeepLinkingResponse::new(vec![unit_one(), unit_one()]).claims(&launch, 0),
        Err(DeepLinkingError::MultipleNotAccepted)
    ));
}

#[test]
fn a_resource_link_launch_cannot_answer_deep_linking() {
    let mut launch = moodle_request(moodle_settings());
    launch.message_type = MessageType::ResourceLink;
    assert!(matches!(
        DeepLinkingResponse::new(vec![]).claims(&launch, 0),
        Err(DeepLinkingError::NotDeepLinking)
    ));
}

#[test]
fn the_form_page_posts_the_jwt_field_to_the_return_url() {
    let keys = KeySet::new(ToolKey::from_pem(TOOL_PEM).unwrap());
    let launch = moodle_request(moodle_settings());
    let page = DeepLinkingResponse::new(vec![unit_one()])
        .form_page(&keys, &launch, 0)
        .unwrap();
    assert!(page.contains(
        "action=\"http://127.0.0.1:8081/mod/lti/contentitem_return.php?course=2&amp;id=1&amp;sesskey=abc\""
    ));
    assert!(page.contains("name=\"JWT\" value=\"ey"));
    assert!(page.contains(".submit()"));
}
