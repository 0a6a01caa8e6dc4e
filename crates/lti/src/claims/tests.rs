use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::*;

fn roles(list: &[&str]) -> Roles {
    Roles(list.iter().map(|r| (*r).to_owned()).collect())
}

#[test]
fn moodle_teacher_admin_and_student_roles_are_recognised() {
    // real-moodle-4.5.6-lti.jsonl seq 4 (teacher1).
    let teacher = roles(&["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]);
    assert!(teacher.is_instructor() && !teacher.is_learner() && !teacher.is_administrator());
    // Moodle's admins: lti_get_ims_role + lti_sign_jwt's URN mapping.
    let admin = roles(&[
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
        "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
        "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
    ]);
    assert!(admin.is_administrator() && admin.is_instructor());
    let student = roles(&["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]);
    assert!(student.is_learner() && !student.is_instructor());
}

#[test]
fn short_urn_sub_and_institution_forms_count() {
    assert!(
        roles(&["Instructor"]).is_instructor(),
        "Moodle NRPS short form"
    );
    assert!(roles(&["Learner"]).is_learner());
    assert!(roles(&["urn:lti:role:ims/lis/Instructor"]).is_instructor());
    assert!(roles(&["urn:lti:role:ims/lis/Learner/NonCreditLearner"]).is_learner());
    assert!(roles(&["urn:lti:instrole:ims/lis/Administrator"]).is_administrator());
    assert!(roles(&["urn:lti:sysrole:ims/lis/SysAdmin"]).is_administrator());
    assert!(
        roles(&["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"])
            .is_instructor()
    );
    assert!(
        roles(&["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Faculty"])
            .is_instructor()
    );
    assert!(
        roles(&["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student"]).is_learner()
    );
    assert!(
        roles(&["http://purl.imsglobal.org/vocab/lis/v2/person#Administrator"]).is_administrator()
    );
}

#[test]
fn unknown_empty_and_lookalike_roles_grant_nothing() {
    let odd = roles(&[
        "",
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor",
        "http://example.com/roles#Instructor",
        "http://purl.imsglobal.org/vocab/lis/v2/system/person#Instructor",
        "urn:other:Instructor",
    ]);
    assert!(!odd.is_instructor() && !odd.is_learner() && !odd.is_administrator());
    assert!(!Roles::default().is_learner());
}

#[test]
fn deep_linking_settings_accept_moodles_string_booleans() {
    let settings: DeepLinkingSettings = serde_json::from_value(json!({
        "deep_link_return_url": "http://m/contentitem_return.php",
        "accept_types": ["ltiResourceLink"],
        "accept_presentation_document_targets": ["iframe"],
        "accept_multiple": "false",
        "auto_create": "true",
        "accept_unsigned": false,
        "data": "opaque",
    }))
    .unwrap();
    assert_eq!(settings.accept_multiple, Some(false));
    assert_eq!(settings.auto_create, Some(true));
    assert_eq!(settings.accept_unsigned, Some(false));
    assert_eq!(settings.data, Some(json!("opaque")));
}

#[test]
fn message_types_round_trip_through_their_claim_values() {
    for t in [
        MessageType::ResourceLink,
        MessageType::DeepLinking,
        MessageType::SubmissionReview,
        MessageType::StartProctoring,
    ] {
        assert_eq!(MessageType::parse(t.as_str()), Some(t));
        assert_eq!(serde_json::to_value(t).unwrap(), json!(t.as_str()));
    }
    assert_eq!(MessageType::parse("LtiResourceLinkRequestX"), None);
}

fn migrated_launch(sign: &str) -> Launch {
    serde_json::from_value(json!({
        "registration_id": "r", "issuer": "https://moodle.example", "client_id": "c1",
        "deployment_id": "1", "message_type": "LtiResourceLinkRequest", "target_link_uri": null,
        "user": {}, "roles": [], "role_scope_mentor": [], "context": null, "resource_link": null,
        "custom": {}, "ags": null, "nrps": null, "deep_linking": null, "launch_presentation": null,
        "tool_platform": null, "lis": null, "ext": {}, "basic_outcome": null, "for_user": null,
        "proctoring": null, "nonce": "n1", "issued_at": 100, "expires_at": 160, "storage_target": null,
        "lti1p1": {"oauth_consumer_key": "key11", "oauth_consumer_key_sign": sign, "user_id": 42}
    }))
    .unwrap()
}

fn hmac(secret: &str, base: &str) -> Vec<u8> {
    ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes()),
        base.as_bytes(),
    )
    .as_ref()
    .to_vec()
}

#[test]
fn lti1p1_signature_accepts_raw_and_hex_digests_with_the_right_secret_only() {
    let base = "key11&1&https://moodle.example&c1&160&n1";
    let raw = STANDARD.encode(hmac("s3cret", base));
    let hex: String = hmac("s3cret", base)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let hex = STANDARD.encode(hex);
    assert!(migrated_launch(&raw).lti1p1_signature_valid("s3cret"));
    assert!(migrated_launch(&hex).lti1p1_signature_valid("s3cret"));
    assert!(!migrated_launch(&raw).lti1p1_signature_valid("wrong"));
    let launch = migrated_launch(&raw);
    assert_eq!(
        launch.lti1p1.as_ref().unwrap().user_id.as_deref(),
        Some("42")
    );
}
