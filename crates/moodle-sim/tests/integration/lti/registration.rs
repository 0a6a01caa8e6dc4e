//! Dynamic registration: the OpenID configuration; an admin starts a registration (the
//! choice page when the tool's domain already has a tool, then the redirect to the tool with
//! a one-hour registration token); the tool registers once with it (a pending tool type with
//! the token's client id), not twice, not without it, not with a token the platform did not
//! sign; an update token describes the existing tool.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

use super::browser::Browser;
use super::html::page_parts;
use super::tool::{self, TOOL_KID};
use super::{CLIENT_ID, http, start};

/// The redirect's registration token, verified with the platform key: its claims.
async fn token_claims(site: &str, location: &str) -> (String, Value) {
    let token = location
        .split("registration_token=")
        .nth(1)
        .expect("token")
        .to_owned();
    let jwks: JwkSet = http()
        .get(format!("{site}/mod/lti/certs.php"))
        .send()
        .await
        .expect("certs")
        .json()
        .await
        .expect("JSON");
    let key = DecodingKey::from_jwk(&jwks.keys[0]).expect("key");
    let claims = jsonwebtoken::decode::<Value>(&token, &key, &Validation::new(Algorithm::RS256))
        .expect("signed by the platform")
        .claims;
    (token, claims)
}

async fn register(site: &str, token: Option<&str>, payload: &Value) -> (u16, String, String) {
    let mut req = http()
        .post(format!("{site}/mod/lti/openid-registration.php"))
        .header("Content-Type", "application/json")
        .body(payload.to_string());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("POST");
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (resp.status().as_u16(), ct, resp.text().await.expect("body"))
}

/// A URL parameter as `moodle_url` encodes it (the URLs here have no spaces).
fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn payload(tool: &str) -> Value {
    json!({
        "application_type": "web", "response_types": ["id_token"], "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": format!("{tool}/lti/login"), "redirect_uris": [format!("{tool}/lti/launch"), format!("{tool}/lti/deeplink")],
        "client_name": "Bridge LTI tool (dynamic)", "jwks_uri": format!("{tool}/.well-known/jwks.json"), "logo_uri": format!("{tool}/logo.png"),
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
        "https://purl.imsglobal.org/spec/lti-tool-configuration": {
            "domain": tool.trim_start_matches("http://"), "description": "Moodle Bridge tool", "target_link_uri": format!("{tool}/lti/launch"),
            "custom_parameters": {"bridge": "1"}, "claims": ["iss", "sub", "name", "email"],
            "messages": [{"type": "LtiDeepLinkingRequest", "target_link_uri": format!("{tool}/lti/deeplink"), "label": "Add"}],
        },
    })
}

#[tokio::test]
async fn a_tool_registers_once_with_the_token_the_admin_started() {
    let (sim, tool) = start().await;
    let site = sim.url().to_owned();
    let conf: Value = http()
        .get(format!("{site}/mod/lti/openid-configuration.php"))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        (
            conf["issuer"].clone(),
            conf["registration_endpoint"].clone()
        ),
        (
            json!(site),
            json!(format!("{site}/mod/lti/openid-registration.php"))
        )
    );
    assert_eq!(
        conf["https://purl.imsglobal.org/spec/lti-platform-configuration"]["version"],
        "4.5.6 (Build: 20250811)"
    );

    let mut admin = Browser::login(&site, "admin").await;
    let start_url = format!(
        "/mod/lti/startltiadvregistration.php?url={}",
        enc(&format!("{}/lti/register", tool.url))
    );
    let choice = admin.get(&start_url).await;
    assert_eq!(choice.status, 200);
    let parts = page_parts(&choice.body);
    assert_eq!(
        parts["cells"],
        json!([
            "Bridge LTI tool",
            format!("{}/lti/launch", tool.url),
            "1.3.0",
            "Update"
        ])
    );
    assert!(
        parts["data-href"][1]
            .as_str()
            .is_some_and(|h| h.ends_with("&type=0")),
        "{parts}"
    );
    let go = admin
        .post(
            &format!("{start_url}&type=0"),
            &[("sesskey".into(), admin.sesskey.clone())],
        )
        .await;
    assert_eq!(go.status, 302);
    let location = go.location.expect("a redirect to the tool");
    assert!(
        location.starts_with(&format!(
            "{}/lti/register?openid_configuration={}",
            tool.url,
            enc(&format!("{site}/mod/lti/openid-configuration.php"))
        )),
        "{location}"
    );
    let (token, claims) = token_claims(&site, &location).await;
    assert_eq!(claims["scope"], "reg");
    assert_eq!(
        claims["exp"].as_i64(),
        claims["iat"].as_i64().map(|i| i + 3600)
    );
    let client_id = claims["sub"].as_str().expect("sub").to_owned();
    assert_eq!(client_id.len(), 15);

    let (status, ct, body) = register(&site, Some(&token), &payload(&tool.url)).await;
    assert_eq!(
        (status, ct.as_str()),
        (200, "application/json; charset=utf-8"),
        "{body}"
    );
    let reg: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(reg["client_id"], client_id);
    let config = &reg["https://purl.imsglobal.org/spec/lti-tool-configuration"];
    assert_eq!(
        (
            config["deployment_id"].clone(),
            config["custom_parameters"].clone()
        ),
        (json!("2"), json!({"bridge": "1"}))
    );
    assert_eq!(
        config["claims"],
        json!(["sub", "iss", "name", "family_name", "given_name", "email"])
    );
    assert_eq!(
        reg["scope"],
        "https://purl.imsglobal.org/spec/lti-ags/scope/score https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly https://purl.imsglobal.org/spec/lti-ags/scope/lineitem https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
    );
    let state = sim.with_state(|s| s.lti.types.get(&2).map(|t| (t.state, t.clientid.clone())));
    assert_eq!(
        state,
        Some((2, client_id)),
        "pending until an admin activates it"
    );

    assert_eq!(
        register(&site, Some(&token), &payload(&tool.url)).await,
        (
            401,
            "text/html; charset=utf-8".into(),
            "token_already_used".into()
        )
    );
    assert_eq!(
        register(&site, None, &payload(&tool.url)).await.2,
        "missing_registration_token"
    );
    let now = tool::now();
    let foreign = tool::sign(
        &json!({"sub": "x", "scope": "reg", "iat": now, "exp": now + 60}),
        TOOL_KID,
    );
    let (status, _, page) = register(&site, Some(&foreign), &payload(&tool.url)).await;
    assert_eq!(status, 404);
    assert_eq!(
        page_parts(&page)["errormessage"][0],
        "Exception - &quot;kid&quot; invalid, unable to lookup correct key"
    );
}

#[tokio::test]
async fn an_update_token_describes_the_tool_and_only_admins_start_registrations() {
    let (sim, tool) = start().await;
    let site = sim.url().to_owned();
    let mut admin = Browser::login(&site, "admin").await;
    let url = format!(
        "/mod/lti/startltiadvregistration.php?url={}&type=1",
        enc(&format!("{}/lti/register", tool.url))
    );
    let no_key = admin.post(&url, &[]).await;
    assert_eq!(
        page_parts(&no_key.body)["errormessage"][0],
        "A required parameter (sesskey) was missing"
    );
    let go = admin
        .post(&url, &[("sesskey".into(), admin.sesskey.clone())])
        .await;
    let (token, claims) = token_claims(&site, &go.location.expect("redirect")).await;
    assert_eq!(
        (claims["sub"].clone(), claims["scope"].clone()),
        (json!("1"), json!("reg-update"))
    );
    let described: Value = http()
        .get(format!("{site}/mod/lti/openid-registration.php"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        (
            described["client_id"].clone(),
            described["client_name"].clone()
        ),
        (json!(CLIENT_ID), json!("Bridge LTI tool"))
    );
    assert_eq!(
        described["https://purl.imsglobal.org/spec/lti-tool-configuration"]["custom_parameters"],
        json!({"course_shortname": "$Context.title"})
    );

    let mut teacher = Browser::login(&site, "teacher1").await;
    let refused = teacher.get(&url).await;
    assert_eq!(
        (
            refused.status,
            page_parts(&refused.body)["errorcode"][0].clone()
        ),
        (
            404,
            json!("https://docs.moodle.org/405/en/error/moodle/nopermissions")
        )
    );
}
