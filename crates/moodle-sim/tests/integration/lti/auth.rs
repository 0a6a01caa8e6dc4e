//! `auth.php` refusing what Moodle refuses: an unregistered `redirect_uri` (the error page,
//! 404), a wrong `client_id`, a `login_hint` that is not the session's user, a bad `prompt`
//! (errors posted back to the tool), a missing nonce, a launch used twice, no session.

use super::browser::{Browser, Page};
use super::html::page_parts;
use super::{auth_query, start};

/// Starts a launch and sends the authentication request with `change` applied to its query.
async fn authenticate(b: &mut Browser, redirect: &str, change: impl Fn(String) -> String) -> Page {
    let initiation = b.get("/mod/lti/launch.php?id=8").await;
    let query = change(auth_query(&initiation.form(), redirect, "st-1", "n-1"));
    b.get(&format!("/mod/lti/auth.php?{query}")).await
}

fn error_fields(page: &Page) -> (String, String, String) {
    (
        page.field("error"),
        page.field("error_description"),
        page.field("state"),
    )
}

#[tokio::test]
async fn an_unregistered_redirect_uri_gets_moodles_error_page_with_404() {
    let (sim, tool) = start().await;
    let mut b = Browser::login(sim.url(), "teacher1").await;
    let redirect = format!("{}/not-registered", tool.url);
    let page = authenticate(&mut b, &redirect, |q| q).await;
    assert_eq!(
        (page.status, page.content_type.as_str()),
        (404, "text/html; charset=utf-8")
    );
    let parts = page_parts(&page.body);
    assert_eq!(parts["errormessage"][0], "Invalid request");
    assert_eq!(parts["title"], "Error | moodlereal");
}

#[tokio::test]
async fn a_wrong_client_id_or_user_or_prompt_is_posted_back_to_the_tool() {
    let (sim, tool) = start().await;
    let redirect = format!("{}/lti/launch", tool.url);
    let mut b = Browser::login(sim.url(), "teacher1").await;
    let page = authenticate(&mut b, &redirect, |q| {
        q.replace("client_id=9jaP3Q6PNFuPzAg", "client_id=someoneelse")
    })
    .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.form()["action"], redirect);
    assert_eq!(
        error_fields(&page),
        ("unauthorized_client".into(), String::new(), "st-1".into())
    );
    assert!(page.form()["fields"].get("id_token").is_none());
    let page = authenticate(&mut b, &redirect, |q| {
        q.replace("login_hint=3", "login_hint=4")
    })
    .await;
    assert_eq!(error_fields(&page).0, "access_denied");
    let page = authenticate(&mut b, &redirect, |q| {
        q.replace("prompt=none", "prompt=login")
    })
    .await;
    assert_eq!(
        error_fields(&page),
        (
            "invalid_request".into(),
            "Invalid prompt".into(),
            "st-1".into()
        )
    );
    let page = authenticate(&mut b, &redirect, |q| {
        q.replace("response_mode=form_post", "response_mode=fragment")
    })
    .await;
    assert_eq!(error_fields(&page).1, "Invalid response_mode");
}

#[tokio::test]
async fn a_request_without_nonce_or_with_a_used_launch_is_refused_with_the_error_page() {
    let (sim, tool) = start().await;
    let redirect = format!("{}/lti/launch", tool.url);
    let mut b = Browser::login(sim.url(), "teacher1").await;
    // Without a nonce Moodle never loads the tool, so it cannot trust the redirect URI.
    let page = authenticate(&mut b, &redirect, |q| q.replace("&nonce=n-1", "")).await;
    assert_eq!(page.status, 404);
    let initiation = b.get("/mod/lti/launch.php?id=8").await;
    let query = auth_query(&initiation.form(), &redirect, "s", "n");
    let first = b.get(&format!("/mod/lti/auth.php?{query}")).await;
    assert!(!first.field("id_token").is_empty());
    let again = b.get(&format!("/mod/lti/auth.php?{query}")).await;
    assert_eq!(
        again.status, 404,
        "the launch id is taken out of the session"
    );
}

#[tokio::test]
async fn without_a_session_moodle_reposts_from_its_own_domain_then_refuses() {
    let (sim, tool) = start().await;
    let redirect = format!("{}/lti/launch", tool.url);
    let mut teacher = Browser::login(sim.url(), "teacher1").await;
    let initiation = teacher.get("/mod/lti/launch.php?id=8").await;
    let query = auth_query(&initiation.form(), &redirect, "s", "n");
    let mut stranger = Browser::new(sim.url());
    let page = stranger.get(&format!("/mod/lti/auth.php?{query}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.cookies.is_empty(),
        "no session is started: {:?}",
        page.cookies
    );
    let form = page.form();
    assert_eq!(form["fields"]["repost"], "true");
    assert!(
        form["action"]
            .as_str()
            .is_some_and(|a| a.starts_with("/mod/lti/auth.php?"))
    );
    let reposted = stranger
        .post(
            form["action"].as_str().expect("action"),
            &[("repost".into(), "true".into())],
        )
        .await;
    assert_eq!(reposted.status, 404);
    assert_eq!(
        page_parts(&reposted.body)["errormessage"][0],
        "Invalid request"
    );
}
