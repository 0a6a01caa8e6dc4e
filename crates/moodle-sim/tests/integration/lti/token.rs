//! `token.php`: the client-credentials grant with a client assertion verified against the
//! tool's key set (fetched once, then cached), its refusals with php-jwt's messages, and
//! Moodle's quirks (the `aud` claim is not checked; JSON sent as `text/html`).

use serde_json::{Value, json};

use super::tool::{self, TOOL_KID};
use super::{ALL_SCOPES, CLIENT_ID, http, start};

/// Posts to `token.php`; status, content type and body.
async fn grant(
    site: &str,
    assertion: &str,
    grant_type: &str,
    scope: &str,
) -> (u16, String, String) {
    let resp = http()
        .post(format!("{site}/mod/lti/token.php"))
        .form(&[
            ("grant_type", grant_type),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
            ("scope", scope),
        ])
        .send()
        .await
        .expect("token.php");
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (resp.status().as_u16(), ct, resp.text().await.expect("body"))
}

fn claims(aud: &str, exp_in: i64) -> Value {
    let now = tool::now();
    json!({"iss": CLIENT_ID, "sub": CLIENT_ID, "aud": aud, "iat": now, "exp": now + exp_in, "jti": format!("j{}", rand::random::<u32>())})
}

#[tokio::test]
async fn a_signed_assertion_gets_a_token_for_the_permitted_scopes_in_the_asked_order() {
    let (sim, tool) = start().await;
    let aud = format!("{}/mod/lti/token.php", sim.url());
    let scope = format!(
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly https://purl.imsglobal.org/spec/lti-ts/scope/toolsetting {ALL_SCOPES}"
    );
    let (status, ct, body) = grant(
        sim.url(),
        &tool::sign(&claims(&aud, 300), TOOL_KID),
        "client_credentials",
        &scope,
    )
    .await;
    assert_eq!((status, ct.as_str()), (200, "text/html; charset=utf-8"));
    let body: Value = serde_json::from_str(&body).expect("JSON in a text/html answer");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["access_token"].as_str().map(str::len), Some(32));
    // The tool settings scope is not permitted (the service is off); the rest keep their order.
    assert_eq!(
        body["scope"],
        format!(
            "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly {ALL_SCOPES}"
        )
    );
    // Moodle 4.5 does not check the audience.
    let (status, _, _) = grant(
        sim.url(),
        &tool::sign(&claims("http://elsewhere/", 300), TOOL_KID),
        "client_credentials",
        &scope,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        tool.jwks_fetches().len(),
        1,
        "the key set is cached after the first fetch"
    );
    assert!(
        tool.jwks_fetches()[0].starts_with("MoodleBot/4.5 (+http://127.0.0.1:"),
        "{:?}",
        tool.jwks_fetches()
    );
}

#[tokio::test]
async fn bad_assertions_are_refused_with_400_and_moodles_messages() {
    let (sim, _tool) = start().await;
    let site = sim.url();
    let aud = format!("{site}/mod/lti/token.php");
    let good = tool::sign(&claims(&aud, 300), TOOL_KID);
    let cases = [
        (
            tool::sign(&claims(&aud, 300), "unknown-kid"),
            "client_credentials",
            ALL_SCOPES,
            r#""kid" invalid, unable to lookup correct key"#,
        ),
        (
            tool::sign(&claims(&aud, -5), TOOL_KID),
            "client_credentials",
            ALL_SCOPES,
            "Expired token",
        ),
        (
            format!("{}xx", &good[..good.len() - 2]),
            "client_credentials",
            ALL_SCOPES,
            "Signature verification failed",
        ),
        (
            tool::sign(&json!({"sub": "nobody", "exp": tool::now() + 60}), TOOL_KID),
            "client_credentials",
            ALL_SCOPES,
            "invalid_client",
        ),
        (
            good.clone(),
            "password",
            ALL_SCOPES,
            "unsupported_grant_type",
        ),
        (
            good.clone(),
            "client_credentials",
            "https://purl.imsglobal.org/spec/lti-ags/scope/nosuchscope",
            "invalid_scope",
        ),
        (
            "not.a-jwt".to_owned(),
            "client_credentials",
            ALL_SCOPES,
            "invalid_request",
        ),
    ];
    for (assertion, grant_type, scope, error) in cases {
        let (status, ct, body) = grant(site, &assertion, grant_type, scope).await;
        assert_eq!(
            (status, ct.as_str()),
            (400, "text/html; charset=utf-8"),
            "{error}"
        );
        // Moodle puts the message into its JSON unescaped.
        assert_eq!(body, format!("{{\n  \"error\" : \"{error}\"\n}}"));
    }
    let get = http()
        .get(format!("{site}/mod/lti/token.php"))
        .send()
        .await
        .expect("GET");
    assert_eq!(get.status().as_u16(), 400);
    assert!(get.text().await.expect("body").contains("invalid_request"));
}
