use std::collections::HashMap;

use super::*;
use crate::store::{MemoryStore, StateLookup, StateStore};

/// The fields Moodle 4.5 auto-posted (real-moodle-4.5.6-lti.jsonl, seq 3).
const MOODLE_FORM: &str = "iss=http%3A%2F%2F127.0.0.1%3A8081&target_link_uri=http%3A%2F%2F127.0.0.1%3A8090%2Flti%2Flaunch&login_hint=3&lti_message_hint=%7B%22cmid%22%3A8%2C%22launchid%22%3A%22ltilaunch1_663297880%22%7D&client_id=9jaP3Q6PNFuPzAg&lti_deployment_id=1";

fn setup() -> (Login, Arc<MemoryStore>, Clock) {
    let clock = Clock::manual(1_795_305_885);
    let store = Arc::new(MemoryStore::new(clock.clone()));
    store.add_registration(
        Registration::moodle(
            "moodle-1",
            "http://127.0.0.1:8081",
            "9jaP3Q6PNFuPzAg",
            &["1"],
        )
        .unwrap(),
    );
    let tool = Arc::new(Tool::new("Bridge LTI tool", "http://127.0.0.1:8090").unwrap());
    let login = Login::new(tool, Stores::from_one(store.clone()), clock.clone());
    (login, store, clock)
}

fn query(url: &Url) -> HashMap<String, String> {
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[test]
fn get_query_and_post_form_give_the_same_request() {
    let post = LoginRequest::from_form(MOODLE_FORM.as_bytes());
    let get = LoginRequest::from_query(MOODLE_FORM);
    assert_eq!(post, get);
    assert_eq!(post.iss.as_deref(), Some("http://127.0.0.1:8081"));
    assert_eq!(
        post.lti_message_hint.as_deref(),
        Some(r#"{"cmid":8,"launchid":"ltilaunch1_663297880"}"#)
    );
    assert_eq!(post.lti_deployment_id.as_deref(), Some("1"));
    let merged = LoginRequest::merged(
        "iss=https%3A%2F%2Fother&client_id=q",
        b"iss=https%3A%2F%2Fform",
    );
    assert_eq!(merged.iss.as_deref(), Some("https://form"));
    assert_eq!(merged.client_id.as_deref(), Some("q"));
}

#[tokio::test]
async fn the_auth_request_carries_every_oidc_parameter() {
    let (login, _, _) = setup();
    let redirect = login
        .initiate(&LoginRequest::from_form(MOODLE_FORM.as_bytes()))
        .await
        .unwrap();
    assert_eq!(redirect.url.path(), "/mod/lti/auth.php");
    let q = query(&redirect.url);
    assert_eq!(q["scope"], "openid");
    assert_eq!(q["response_type"], "id_token");
    assert_eq!(q["response_mode"], "form_post");
    assert_eq!(q["prompt"], "none");
    assert_eq!(q["client_id"], "9jaP3Q6PNFuPzAg");
    assert_eq!(q["redirect_uri"], "http://127.0.0.1:8090/lti/launch");
    assert_eq!(q["login_hint"], "3");
    assert_eq!(
        q["lti_message_hint"],
        r#"{"cmid":8,"launchid":"ltilaunch1_663297880"}"#
    );
    assert_eq!(q["state"], redirect.state);
    assert_eq!(q["nonce"], redirect.nonce);
    assert_eq!(q.len(), 10);
    assert_eq!(redirect.state.len(), 43);
    assert_ne!(redirect.state, redirect.nonce);
    assert!(
        redirect.platform_storage.is_none(),
        "Moodle 4.5 offers no platform storage"
    );
}

#[tokio::test]
async fn state_and_nonce_are_saved_bound_single_use_and_expire_in_five_minutes() {
    let (login, store, clock) = setup();
    let redirect = login
        .initiate(&LoginRequest::from_form(MOODLE_FORM.as_bytes()))
        .await
        .unwrap();
    assert_eq!(redirect.expires_at, clock.now() + 300);
    let StateLookup::Found(saved) = store.take(&redirect.state).await.unwrap() else {
        panic!("state not saved");
    };
    assert_eq!(saved.nonce, redirect.nonce);
    assert_eq!(saved.registration_id, "moodle-1");
    assert_eq!(saved.client_id, "9jaP3Q6PNFuPzAg");
    assert_eq!(saved.deployment_id.as_deref(), Some("1"));
    assert_eq!(saved.expires_at, saved.created_at + 300);
    assert_eq!(
        store.take(&redirect.state).await.unwrap(),
        StateLookup::Used
    );
}

#[tokio::test]
async fn two_logins_get_different_states_and_nonces() {
    let (login, _, _) = setup();
    let request = LoginRequest::from_form(MOODLE_FORM.as_bytes());
    let a = login.initiate(&request).await.unwrap();
    let b = login.initiate(&request).await.unwrap();
    assert_ne!(a.state, b.state);
    assert_ne!(a.nonce, b.nonce);
}

#[tokio::test]
async fn missing_parameters_are_named() {
    let (login, _, _) = setup();
    for (drop, name) in [
        ("iss", "iss"),
        ("login_hint", "login_hint"),
        ("target_link_uri", "target_link_uri"),
    ] {
        let mut request = LoginRequest::from_form(MOODLE_FORM.as_bytes());
        match drop {
            "iss" => request.iss = None,
            "login_hint" => request.login_hint = Some(String::new()),
            _ => request.target_link_uri = None,
        }
        match login.initiate(&request).await {
            Err(LoginError::MissingParam(n)) => assert_eq!(n, name),
            other => panic!("{drop}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_unknown_issuer_client_or_deployment_is_refused() {
    let (login, _, _) = setup();
    let mut request = LoginRequest::from_form(MOODLE_FORM.as_bytes());
    request.client_id = Some("other".to_owned());
    assert!(matches!(
        login.initiate(&request).await,
        Err(LoginError::UnknownRegistration { client_id: Some(c), .. }) if c == "other"
    ));
    let mut request = LoginRequest::from_form(MOODLE_FORM.as_bytes());
    request.lti_deployment_id = Some("7".to_owned());
    assert!(matches!(
        login.initiate(&request).await,
        Err(LoginError::UnknownDeployment { deployment_id }) if deployment_id == "7"
    ));
}

#[tokio::test]
async fn without_client_id_the_issuer_must_have_one_registration() {
    let (login, store, _) = setup();
    let mut request = LoginRequest::from_form(MOODLE_FORM.as_bytes());
    request.client_id = None;
    let redirect = login.initiate(&request).await.unwrap();
    assert_eq!(query(&redirect.url)["client_id"], "9jaP3Q6PNFuPzAg");

    store.add_registration(
        Registration::moodle("moodle-2", "http://127.0.0.1:8081", "second", &["2"]).unwrap(),
    );
    assert!(matches!(
        login.initiate(&request).await,
        Err(LoginError::AmbiguousIssuer { .. })
    ));
}

#[tokio::test]
async fn a_target_link_uri_elsewhere_is_refused_and_deep_links_go_via_the_launch_url() {
    let (login, _, _) = setup();
    let mut request = LoginRequest::from_form(MOODLE_FORM.as_bytes());
    request.target_link_uri = Some("https://evil.example/lti/launch".to_owned());
    assert!(matches!(
        login.initiate(&request).await,
        Err(LoginError::ForeignTargetLinkUri)
    ));

    request.target_link_uri = Some("http://127.0.0.1:8090/lti/launch?unit=1".to_owned());
    let redirect = login.initiate(&request).await.unwrap();
    assert_eq!(
        query(&redirect.url)["redirect_uri"],
        "http://127.0.0.1:8090/lti/launch"
    );

    request.target_link_uri = Some("http://127.0.0.1:8090/lti/deeplink".to_owned());
    let redirect = login.initiate(&request).await.unwrap();
    assert_eq!(
        query(&redirect.url)["redirect_uri"],
        "http://127.0.0.1:8090/lti/deeplink"
    );
}

#[tokio::test]
async fn platform_storage_is_exposed_when_offered() {
    let (login, store, _) = setup();
    let mut request = LoginRequest::from_form(MOODLE_FORM.as_bytes());
    request.lti_storage_target = Some("post_message_forwarding".to_owned());
    let mut hostile = request.clone();
    hostile.lti_storage_target = Some("</script><script>alert(1)</script>".to_owned());
    let page = login.initiate(&hostile).await.unwrap();
    let page = page.platform_storage.as_ref().unwrap().login_page(&page);
    assert_eq!(
        page.matches("</script>").count(),
        1,
        "values cannot break out of the script"
    );

    let redirect = login.initiate(&request).await.unwrap();
    let storage = redirect.platform_storage.clone().unwrap();
    assert_eq!(storage.target, "post_message_forwarding");
    assert_eq!(storage.origin, "http://127.0.0.1:8081");
    assert_eq!(storage.state_key, format!("lti_state_{}", redirect.state));
    let page = storage.login_page(&redirect);
    assert!(page.contains("lti.put_data"));
    assert!(page.contains(&redirect.state));
    let StateLookup::Found(saved) = store.take(&redirect.state).await.unwrap() else {
        panic!("state not saved");
    };
    assert_eq!(
        saved.storage_target.as_deref(),
        Some("post_message_forwarding")
    );
}

#[tokio::test]
async fn debug_output_hides_state_and_nonce() {
    let (login, store, _) = setup();
    let mut request = LoginRequest::from_form(MOODLE_FORM.as_bytes());
    request.lti_storage_target = Some("_parent".to_owned());
    let redirect = login.initiate(&request).await.unwrap();
    let shown = format!("{redirect:?}");
    assert!(
        !shown.contains(&redirect.state) && !shown.contains(&redirect.nonce),
        "{shown}"
    );
    assert!(shown.contains("/mod/lti/auth.php"));
    let StateLookup::Found(saved) = store.take(&redirect.state).await.unwrap() else {
        panic!("state not saved");
    };
    let shown = format!("{saved:?}");
    assert!(
        !shown.contains(&redirect.state) && !shown.contains(&redirect.nonce),
        "{shown}"
    );
}
