//! Dynamic registration against the stub's openid-configuration.php and
//! openid-registration.php, answering with Moodle 4.5's recorded documents.

use lti::registration::close_page_html;
use lti::{DynamicRegistration, RegistrationError, Tool};
use serde_json::{Value, json};

use crate::helpers::{fixture_path, http};
use crate::stub::Stub;

fn tool() -> Tool {
    let mut tool = Tool::new("Bridge LTI tool (dynamic)", "http://127.0.0.1:8090")
        .expect("test setup")
        .with_description("Moodle Bridge tool");
    tool.custom_parameters
        .insert("bridge".to_owned(), "1".to_owned());
    tool.deep_link_label = "Add Bridge content".to_owned();
    tool
}

#[tokio::test]
async fn moodle_registration_gives_a_registration_to_store() {
    let stub = Stub::start().await;
    let registrar = DynamicRegistration::new(http(), tool());
    let outcome = registrar
        .register(
            &stub.url("/mod/lti/openid-configuration.php"),
            Some("reg-token-1"),
            "moodle-dyn",
        )
        .await
        .unwrap();
    let registration = outcome.registration;
    assert_eq!(registration.id, "moodle-dyn");
    assert_eq!(registration.issuer, stub.base);
    assert_eq!(registration.client_id, "5jLipYFGEBKAXEX");
    assert_eq!(registration.deployments, ["2"]);
    assert_eq!(
        registration.auth_login_url.as_str(),
        stub.url("/mod/lti/auth.php")
    );
    assert_eq!(
        registration.access_token_url.as_str(),
        stub.url("/mod/lti/token.php")
    );
    assert_eq!(
        registration.jwks_url.as_str(),
        stub.url("/mod/lti/certs.php")
    );
    assert_eq!(outcome.platform.product_family_code, "moodle");
    assert!(
        outcome
            .platform
            .messages_supported
            .contains(&"LtiDeepLinkingRequest".to_owned())
    );
    assert!(
        outcome
            .scopes
            .contains(&"https://purl.imsglobal.org/spec/lti-ags/scope/score".to_owned())
    );
}

#[tokio::test]
async fn the_posted_registration_has_what_moodle_requires() {
    let stub = Stub::start().await;
    let registrar = DynamicRegistration::new(http(), tool());
    registrar
        .register(
            &stub.url("/mod/lti/openid-configuration.php"),
            Some("reg-token-2"),
            "r",
        )
        .await
        .unwrap();
    let posted = stub.seen.registrations.lock().unwrap()[0].clone();
    let recorded: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture_path("moodle/registration-request.json")).unwrap(),
    )
    .unwrap();
    for field in [
        "application_type",
        "response_types",
        "grant_types",
        "initiate_login_uri",
        "redirect_uris",
        "client_name",
        "jwks_uri",
        "token_endpoint_auth_method",
    ] {
        assert_eq!(posted[field], recorded[field], "{field}");
    }
    let config = &posted["https://purl.imsglobal.org/spec/lti-tool-configuration"];
    assert_eq!(config["domain"], "127.0.0.1:8090");
    assert_eq!(
        config["target_link_uri"],
        "http://127.0.0.1:8090/lti/launch"
    );
    assert_eq!(config["custom_parameters"], json!({"bridge": "1"}));
    assert_eq!(
        config["messages"],
        json!([{"type": "LtiDeepLinkingRequest", "target_link_uri": "http://127.0.0.1:8090/lti/deeplink", "label": "Add Bridge content"}])
    );
    let scopes: Vec<&str> = posted["scope"].as_str().unwrap().split(' ').collect();
    assert_eq!(
        scopes.len(),
        5,
        "all five tool scopes are in Moodle's scopes_supported"
    );
}

#[tokio::test]
async fn a_used_or_missing_registration_token_is_moodles_refusal() {
    let stub = Stub::start().await;
    let registrar = DynamicRegistration::new(http(), tool());
    let url = stub.url("/mod/lti/openid-configuration.php");
    registrar.register(&url, Some("once"), "r").await.unwrap();
    let again = registrar
        .register(&url, Some("once"), "r")
        .await
        .unwrap_err();
    assert!(
        matches!(&again, RegistrationError::Rejected { status: 401, reason: Some(r) } if r == "token_already_used"),
        "{again:?}"
    );
    let none = registrar.register(&url, None, "r").await.unwrap_err();
    assert!(
        matches!(&none, RegistrationError::Rejected { status: 401, reason: Some(r) } if r == "missing_registration_token"),
        "{none:?}"
    );
    assert!(
        !format!("{again}").contains("once"),
        "the token never appears in errors"
    );
}

#[tokio::test]
async fn a_configuration_for_another_issuer_or_without_rs256_is_refused() {
    let stub = Stub::start().await;
    let registrar = DynamicRegistration::new(http(), tool());
    // The stub's configuration names the stub's host; fetched through another host name
    // ("localhost"), its issuer is not a prefix of the URL.
    let via_other_name = stub
        .url("/mod/lti/openid-configuration.php")
        .replace("127.0.0.1", "localhost");
    let error = registrar
        .fetch_configuration(&via_other_name)
        .await
        .unwrap_err();
    assert!(
        matches!(error, RegistrationError::IssuerMismatch { .. }),
        "{error:?}"
    );
    let error = registrar
        .fetch_configuration("ftp://x/openid")
        .await
        .unwrap_err();
    assert!(
        matches!(error, RegistrationError::InvalidConfigurationUrl),
        "{error:?}"
    );
    let error = registrar
        .fetch_configuration(&stub.url("/mod/lti/certs.php"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, RegistrationError::InvalidConfiguration { .. }),
        "{error:?}"
    );
}

#[test]
fn the_answer_page_closes_the_platform_dialog() {
    let page = close_page_html();
    assert!(page.contains(
        "(window.opener || window.parent).postMessage({subject: 'org.imsglobal.lti.close'}, '*')"
    ));
}
