use super::*;

#[test]
fn moodle_endpoints_sit_below_wwwroot_even_in_a_subdirectory() {
    let reg = Registration::moodle("r1", "http://localhost/moodle/", "abc", &["1"]).unwrap();
    assert_eq!(reg.issuer, "http://localhost/moodle");
    assert_eq!(
        reg.auth_login_url.as_str(),
        "http://localhost/moodle/mod/lti/auth.php"
    );
    assert_eq!(
        reg.access_token_url.as_str(),
        "http://localhost/moodle/mod/lti/token.php"
    );
    assert_eq!(
        reg.jwks_url.as_str(),
        "http://localhost/moodle/mod/lti/certs.php"
    );
    assert!(reg.has_deployment("1") && !reg.has_deployment("2"));
}

#[test]
fn refusal_reasons_keep_short_words_and_oauth_errors_only() {
    assert_eq!(
        refusal_reason(b"token_already_used").as_deref(),
        Some("token_already_used")
    );
    assert_eq!(
        refusal_reason(br#"{"error":"invalid_client"}"#).as_deref(),
        Some("invalid_client")
    );
    assert_eq!(refusal_reason(b"<html><body>Error</body></html>"), None);
}

#[test]
fn the_close_page_posts_the_close_subject() {
    assert!(close_page_html().contains("{subject: 'org.imsglobal.lti.close'}"));
}

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

#[test]
fn under_compares_origins_and_whole_path_segments() {
    let base = url("https://m.example/moodle");
    assert!(is_under(&url("https://m.example/moodle"), &base));
    assert!(is_under(&url("https://m.example/moodle/"), &base));
    assert!(is_under(
        &url("https://m.example/moodle/mod/lti/auth.php"),
        &base
    ));
    assert!(!is_under(
        &url("https://m.example/moodle2/mod/lti/auth.php"),
        &base
    ));
    assert!(!is_under(&url("https://m.example.evil/moodle/x"), &base));
    assert!(!is_under(&url("http://m.example/moodle/x"), &base));
    assert!(!is_under(&url("https://m.example:8443/moodle/x"), &base));
    assert!(!is_under(&url("https://m.example/"), &base));
    assert!(is_under(
        &url("https://m.example/a/b"),
        &url("https://m.example/")
    ));
    assert!(!is_under(
        &url("https://m.example/moodle/x"),
        &url("https://m.example/moodle?x=1")
    ));
}

fn configuration(issuer: &str, jwks: &str) -> Value {
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/mod/lti/auth.php"),
        "token_endpoint": format!("{issuer}/mod/lti/token.php"),
        "jwks_uri": jwks,
        "registration_endpoint": format!("{issuer}/mod/lti/openid-registration.php"),
        "id_token_signing_alg_values_supported": ["RS256"],
        PLATFORM_CONFIGURATION_CLAIM: {"product_family_code": "moodle"},
    })
}

#[test]
fn an_endpoint_off_the_issuers_origin_is_refused_by_name() {
    let doc = configuration("https://m.example", "https://attacker.example/jwks.json");
    let error = check_configuration("https://m.example/mod/lti/openid-configuration.php", &doc)
        .unwrap_err();
    assert!(
        matches!(
            error,
            RegistrationError::ForeignEndpoint {
                endpoint: "jwks_uri"
            }
        ),
        "{error:?}"
    );
    let doc = configuration("https://m.example", "https://m.example/mod/lti/certs.php");
    assert!(
        check_configuration("https://m.example/mod/lti/openid-configuration.php", &doc).is_ok()
    );
}

#[test]
fn an_issuer_that_is_only_a_string_prefix_of_the_configuration_url_is_refused() {
    let doc = configuration("https://m.example", "https://m.example/mod/lti/certs.php");
    let error = check_configuration("https://m.example.evil/openid.json", &doc).unwrap_err();
    assert!(
        matches!(error, RegistrationError::IssuerMismatch { .. }),
        "{error:?}"
    );
    let doc = configuration(
        "https://m.example/moodle",
        "https://m.example/moodle/certs.php",
    );
    let error = check_configuration("https://m.example/moodle2/openid.json", &doc).unwrap_err();
    assert!(
        matches!(error, RegistrationError::IssuerMismatch { .. }),
        "{error:?}"
    );
}
