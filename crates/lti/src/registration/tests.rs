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
