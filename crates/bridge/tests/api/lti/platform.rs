//! The bridge and the stand-in's platform side: `config.json` and the JWKS, a configured
//! `PRIVATE_KEY_PEM`, a deep-linking request answered with a signed response the platform
//! accepts, and LTI Dynamic Registration end to end followed by a launch with the new
//! registration.

use serde_json::Value;

use super::browser::{Browser, Page};
use super::{ADMIN, TEACHER, finish_launch, log_in, lti_app};
use crate::helpers::{Options, body_json, spawn_app, spawn_app_with};

/// The `sesskey` on a stand-in page (`M.cfg`).
fn sesskey(page: &Page) -> String {
    let at = page
        .body
        .find("\"sesskey\":\"")
        .expect("a sesskey on the page")
        + 11;
    page.body[at..].split('"').next().expect("value").to_owned()
}

/// The data Moodle's `contentitem_return.php` hands its form.
fn contentitem_return_data(html: &str) -> Option<Value> {
    let marker = "require(['mod_lti/contentitem_return'], function(amd) {amd.init(";
    let at = html.find(marker)? + marker.len();
    serde_json::Deserializer::from_str(&html[at..])
        .into_iter::<Value>()
        .next()?
        .ok()
}

/// A JWT's payload, unverified (the platform verified it).
fn payload(jwt: &str) -> Value {
    use base64::Engine as _;
    let part = jwt.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .expect("base64url"),
    )
    .expect("JSON")
}

/// A deep-linking request of tool type `typeid` in course 2, up to the bridge's answer.
async fn deep_link(browser: &Browser, sim: &str, typeid: i64) -> Page {
    let step = deep_link_login_step(browser, sim, typeid).await;
    finish_launch(browser, &step).await
}

/// A deep-linking request of tool type `typeid` in course 2, up to the bridge's login step.
async fn deep_link_login_step(browser: &Browser, sim: &str, typeid: i64) -> Page {
    let initiation = browser
        .get(&format!(
            "{sim}/mod/lti/contentitem.php?id={typeid}&course=2"
        ))
        .await;
    assert_eq!(initiation.status, 200, "{}", initiation.body);
    let form = initiation
        .form("ltiInitiateLoginForm")
        .expect("the login initiation form");
    browser.submit(&initiation, &form).await
}

#[tokio::test]
async fn config_json_and_the_jwks_describe_the_tool() {
    let app = lti_app(false).await;
    let config = body_json(app.get("/config.json").await).await;
    let text = config.to_string();
    for url in [
        "/lti/login",
        "/lti/launch",
        "/lti/deeplink",
        "/.well-known/jwks.json",
    ] {
        assert!(
            text.contains(&format!("{}{url}", app.url)),
            "{url} in {config}"
        );
    }
    assert_eq!(config["title"], "Moodle Bridge");
    assert!(text.contains("LtiDeepLinkingRequest"), "{config}");
    assert!(
        text.contains("https://purl.imsglobal.org/spec/lti-ags/scope/score"),
        "{config}"
    );

    let response = app.get("/.well-known/jwks.json").await;
    assert_eq!(response.headers()["cache-control"], "public, max-age=300");
    let jwks = body_json(response).await;
    let key = &jwks["keys"][0];
    assert_eq!(
        (&key["kty"], &key["alg"], &key["use"]),
        (
            &Value::from("RSA"),
            &Value::from("RS256"),
            &Value::from("sig")
        )
    );
    assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()));
    assert!(
        key.get("d").is_none() && key.get("p").is_none(),
        "public parts only"
    );
}

#[tokio::test]
async fn a_configured_private_key_signs_and_is_the_one_published() {
    let key = lti::ToolKey::generate().expect("key");
    let pem = key.private_pem().expect("pem");
    let app = spawn_app_with(Options {
        lti: Some(false),
        ..Options::default()
            .env("PRIVATE_KEY_PEM", pem.expose())
            .env("PUBLIC_KEY_PEM", &key.public_pem().expect("pem"))
    })
    .await;
    let jwks = body_json(app.get("/.well-known/jwks.json").await).await;
    assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(1));
    assert_eq!(jwks["keys"][0]["kid"], key.kid());

    // The _B64 form too, and the platform accepts what that key signs.
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(pem.expose());
    let app = spawn_app_with(Options {
        lti: Some(false),
        ..Options::default().env("PRIVATE_KEY_B64", &b64)
    })
    .await;
    let jwks = body_json(app.get("/.well-known/jwks.json").await).await;
    assert_eq!(jwks["keys"][0]["kid"], key.kid());
    let browser = Browser::new();
    log_in(&browser, app.sim.url(), TEACHER).await;
    let picker = deep_link(&browser, app.sim.url(), 1).await;
    let form = picker.forms().into_iter().next().expect("a choice");
    let returned = browser.submit(&picker, &form).await;
    assert_eq!(returned.status, 200, "{}", returned.body);
    assert!(
        contentitem_return_data(&returned.body).is_some(),
        "{}",
        returned.body
    );
}

#[tokio::test]
async fn a_deep_linking_request_is_answered_with_a_link_the_platform_accepts() {
    let app = lti_app(false).await;
    let browser = Browser::new();
    log_in(&browser, app.sim.url(), TEACHER).await;
    let picker = deep_link(&browser, app.sim.url(), 1).await;
    assert_eq!(picker.status, 200, "{}", picker.body);
    let forms = picker.forms();
    assert_eq!(forms.len(), 3, "file manager, with a grade column, cancel");
    let graded = &forms[1];
    assert!(
        graded.action.contains("/mod/lti/contentitem_return.php"),
        "{}",
        graded.action
    );
    let claims = payload(graded.field("JWT").expect("JWT"));
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti/claim/message_type"],
        "LtiDeepLinkingResponse"
    );
    assert_eq!(claims["iss"], moodle_sim::lti::RECORDED_CLIENT_ID);
    assert_eq!(claims["aud"], app.sim.url());
    let item = &claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"][0];
    assert_eq!(item["type"], "ltiResourceLink");
    assert_eq!(item["url"], format!("{}/lti/launch", app.url));
    assert_eq!(item["lineItem"]["scoreMaximum"], 100.0);

    let returned = browser.submit(&picker, graded).await;
    assert_eq!(returned.status, 200, "{}", returned.body);
    let data = contentitem_return_data(&returned.body).expect("Moodle took the link");
    assert_eq!(data["toolurl"], format!("{}/lti/launch", app.url));
    assert_eq!(data["grade_modgrade_point"], 100);
    assert_eq!(data["lineitemresourceid"], "file-manager");

    let cancel = browser.submit(&picker, &forms[2]).await;
    assert_eq!(cancel.status, 200, "{}", cancel.body);
    let empty = payload(forms[2].field("JWT").expect("JWT"));
    assert_eq!(
        empty["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"],
        serde_json::json!([])
    );
}

#[tokio::test]
async fn dynamic_registration_registers_the_platform_and_its_launches_work() {
    // A bridge without LTI_* variables; its Moodle (the stand-in) may register itself.
    let app = spawn_app().await;
    let browser = Browser::new();
    let home = log_in(&browser, app.sim.url(), ADMIN).await;
    let start = format!(
        "{}/mod/lti/startltiadvregistration.php?url={}",
        app.sim.url(),
        form_urlencoded::byte_serialize(format!("{}/lti/register", app.url).as_bytes())
            .collect::<String>()
    );
    let done = browser
        .send(
            reqwest::Method::POST,
            &start,
            Some(&[("sesskey".to_owned(), sesskey(&home))]),
        )
        .await;
    assert!(
        done.url.starts_with(&format!("{}/lti/register?", app.url)),
        "{}",
        done.url
    );
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.code().as_deref(), Some("registered"), "{}", done.body);
    let script = format!("{}/ui/close.js", app.url);
    assert!(done.body.contains(&script), "{}", done.body);
    let close = app.http.get(&script).send().await.expect("request");
    assert!(
        close
            .text()
            .await
            .expect("body")
            .contains("subject: 'org.imsglobal.lti.close'"),
        "the page tells the platform it is done"
    );

    // The platform now has a tool type at the bridge's address, the bridge a registration.
    let bridge_host = url::Url::parse(&app.url).expect("url");
    let domain = format!(
        "{}:{}",
        bridge_host.host_str().expect("host"),
        bridge_host.port().expect("port")
    );
    let typeid = app.sim.with_state(|s| {
        s.lti
            .types
            .iter()
            .find(|(_, t)| t.tooldomain == domain)
            .map(|(id, _)| *id)
            .expect("a new tool type")
    });
    let db = bridge::db::Db::connect(&app.database_url)
        .await
        .expect("db");
    let store = bridge::lti_store::LtiStore::new(
        db.clone(),
        &moodle_ws::Secret::new(crate::helpers::SECRET_KEY),
        lti::Clock::system(),
    );
    let records = store.registrations().await.expect("registrations");
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].created_by, "dynamic");
    assert_eq!(records[0].registration.issuer, app.sim.url());
    assert!(!records[0].registration.deployments.is_empty());
    assert_eq!(
        records[0].status,
        bridge::lti_store::RegistrationStatus::Pending
    );
    assert!(!records[0].has_moodle_token, "never the bridge's own token");
    db.close().await;

    // Until the bridge's administrator approves it, its launches stop at the login step.
    let teacher = Browser::new();
    log_in(&teacher, app.sim.url(), TEACHER).await;
    let waiting = deep_link_login_step(&teacher, app.sim.url(), typeid).await;
    assert_eq!(waiting.status, 403, "{}", waiting.body);
    assert_eq!(waiting.code().as_deref(), Some("registrationpending"));
    let moodle_token = app.sim.token("admin_bridge").expect("token");
    let approved = super::cli::run(
        &app.database_url,
        &["lti", "approve", &records[0].registration.id],
        &[("LTI_MOODLE_TOKEN", &moodle_token)],
    )
    .await;
    assert_eq!(approved.status.code(), Some(0), "{approved:?}");

    // A teacher's launch through the new tool type: its deep-linking picker.
    let picker = deep_link(&teacher, app.sim.url(), typeid).await;
    assert_eq!(picker.status, 200, "{}", picker.body);
    assert_eq!(picker.forms().len(), 3, "{}", picker.body);
    let returned = teacher.submit(&picker, &picker.forms()[0]).await;
    assert!(
        contentitem_return_data(&returned.body).is_some(),
        "{}",
        returned.body
    );

    // A platform that is not allowed is refused before anything is fetched.
    let refused = app
        .http
        .get(format!(
            "{}/lti/register?openid_configuration=http://169.254.169.254/latest",
            app.url
        ))
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), 403);
}
