//! Whole launches over HTTP, as a browser makes them: the stand-in's login form, the course
//! page's activity, its iframe's `launch.php`, the bridge's `/lti/login`, Moodle's `auth.php`
//! and the bridge's `/lti/launch`.

use reqwest::Method;

use super::browser::Browser;
use super::{
    ADMIN, STUDENT, TEACHER, begin_launch, finish_launch, launch_as, launch_config, log_in,
    lti_app, with_token,
};
use crate::helpers::body_json;

#[tokio::test]
async fn a_teacher_launches_the_file_manager_from_the_course_page() {
    let app = lti_app(false).await;
    let browser = Browser::new();
    let course_url = format!("{}/course/view.php?id=2", app.sim.url());
    let login = browser.get(&course_url).await;
    assert!(login.url.contains("/login/index.php"), "{}", login.url);
    let course = log_in(&browser, app.sim.url(), TEACHER).await;
    assert_eq!(
        course.url, course_url,
        "back on the course page after logging in"
    );
    assert!(
        course.body.contains("/mod/lti/view.php?id=8"),
        "the activity is on the course page"
    );
    let step = begin_launch(&browser, app.sim.url(), 8).await;
    assert!(
        step.url.starts_with(&format!("{}/lti/login", app.url)),
        "{}",
        step.url
    );
    let state_cookies: Vec<String> = browser
        .cookies(&app.url)
        .into_keys()
        .filter(|n| n.starts_with("lti_state_"))
        .collect();
    assert_eq!(state_cookies.len(), 1, "one state cookie for the launch");
    let page = finish_launch(&browser, &step).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csp = page.headers["content-security-policy"]
        .to_str()
        .expect("ascii");
    assert!(
        csp.contains(&format!("frame-ancestors 'self' {}", app.sim.url())),
        "framed by the platform only: {csp}"
    );
    assert!(!page.headers.contains_key("x-frame-options"));
    let config = launch_config(&page);
    assert_eq!(config["course_id"], 2);
    assert_eq!(config["user_name"], "Tina Teacher");
    assert!(config["storage_check"].is_null());
    assert!(
        browser
            .cookies(&app.url)
            .keys()
            .all(|n| !n.starts_with("lti_state_")),
        "the state cookie is cleared after the launch"
    );
    let token = config["token"].as_str().expect("token");
    let learners = body_json(
        with_token(&app, Method::GET, "/get_learners", token)
            .send()
            .await
            .expect("request"),
    )
    .await;
    let names: Vec<&str> = learners
        .as_array()
        .expect("a list")
        .iter()
        .map(|l| l["fullname"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "Alice Anderson",
            "Bob Brown",
            "Carol Clark",
            "Dave Davis",
            "Eve Evans"
        ]
    );
    assert_eq!(app.sim.calls("mod/lti/auth.php"), 1);
}

#[tokio::test]
async fn an_administrator_gets_the_file_manager_and_a_learner_a_page_saying_it_is_not_for_them() {
    let app = lti_app(false).await;
    let (_, admin) = launch_as(&app, ADMIN).await;
    assert_eq!(admin.status, 200, "{}", admin.body);
    assert!(launch_config(&admin)["token"].is_string());

    let (_, learner) = launch_as(&app, STUDENT).await;
    assert_eq!(learner.status, 403, "{}", learner.body);
    assert_eq!(learner.code().as_deref(), Some("notforrole"));
    assert!(learner.body.contains("for teachers and administrators"));
    assert!(
        learner.json_block("launch-config").is_none(),
        "no token for a learner"
    );
}

#[tokio::test]
async fn two_launches_in_two_tabs_do_not_overwrite_each_other() {
    let app = lti_app(false).await;
    let browser = Browser::new();
    log_in(&browser, app.sim.url(), TEACHER).await;
    let first = begin_launch(&browser, app.sim.url(), 8).await;
    let second = begin_launch(&browser, app.sim.url(), 8).await;
    let cookies = browser
        .cookies(&app.url)
        .into_keys()
        .filter(|n| n.starts_with("lti_state_"))
        .count();
    assert_eq!(cookies, 2, "a cookie per state");
    let second_done = finish_launch(&browser, &second).await;
    let first_done = finish_launch(&browser, &first).await;
    assert_eq!(
        (first_done.status.as_u16(), second_done.status.as_u16()),
        (200, 200)
    );
    assert_ne!(
        launch_config(&first_done)["token"],
        launch_config(&second_done)["token"]
    );
}

#[tokio::test]
async fn a_replayed_or_unbound_launch_is_refused() {
    let app = lti_app(false).await;
    let browser = Browser::new();
    log_in(&browser, app.sim.url(), TEACHER).await;
    let step = begin_launch(&browser, app.sim.url(), 8).await;
    let config = step.json_block("login-config").expect("config");
    let auth = browser.get(config["auth_url"].as_str().expect("url")).await;
    let form = auth.form("ltiAuthForm").expect("form");
    let state = form.field("state").expect("state").to_owned();
    let cookie = browser
        .cookies(&app.url)
        .into_iter()
        .find(|(n, _)| n.starts_with("lti_state_"))
        .expect("cookie");
    assert_eq!(cookie.1, state, "the cookie binds this launch's state");
    assert_eq!(browser.submit(&auth, &form).await.status, 200);

    // The same answer again: the state was taken once. (The browser still sends the cookie.)
    browser_keep(&browser, &app.url, &cookie);
    let replay = browser.submit(&auth, &form).await;
    assert_eq!(
        (replay.status.as_u16(), replay.code().as_deref()),
        (401, Some("StateReused"))
    );

    // A launch whose cookie the browser did not keep, on a platform without storage.
    let step = begin_launch(&browser, app.sim.url(), 8).await;
    browser.drop_cookies(&app.url, "lti_state_");
    let unbound = finish_launch(&browser, &step).await;
    assert_eq!(
        (unbound.status.as_u16(), unbound.code().as_deref()),
        (401, Some("StateNotBound"))
    );
    assert!(
        unbound.body.contains("open in a new window"),
        "{}",
        unbound.body
    );
}

/// Puts a cookie back into the jar.
fn browser_keep(browser: &Browser, url: &str, cookie: &(String, String)) {
    browser.set_cookie(url, &cookie.0, &cookie.1);
}

#[tokio::test]
async fn with_platform_storage_a_launch_without_the_cookie_is_checked_in_the_page() {
    let app = lti_app(true).await;
    let browser = Browser::new();
    log_in(&browser, app.sim.url(), TEACHER).await;
    let step = begin_launch(&browser, app.sim.url(), 8).await;
    let config = step.json_block("login-config").expect("config");
    let storage = &config["storage"];
    assert_eq!(storage["target"], "_parent");
    assert_eq!(storage["origin"], app.sim.url());
    let state = storage["state"].as_str().expect("state").to_owned();
    assert_eq!(storage["state_key"], format!("lti_state_{state}"));
    // Third-party cookies blocked: the browser never kept the state cookie.
    browser.drop_cookies(&app.url, "lti_state_");
    let page = finish_launch(&browser, &step).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let check = launch_config(&page)["storage_check"].clone();
    assert_eq!(check["state"], state.as_str());
    assert_eq!(check["state_key"], storage["state_key"]);
    assert_eq!(check["nonce_key"], storage["nonce_key"]);
    assert_eq!(check["nonce"], storage["nonce"]);
}

#[tokio::test]
async fn the_seeds_login_and_launch_paths_answer_too() {
    let app = lti_app(false).await;
    app.sim.with_state(|s| {
        for t in s.lti.types.values_mut() {
            t.config.initiatelogin = format!("{}/login", app.url);
        }
    });
    let (_, page) = launch_as(&app, TEACHER).await;
    assert_eq!(page.status, 200, "launched through /login: {}", page.body);
    for path in ["/launch", "/lti/launch", "/lti/deeplink"] {
        let empty = app
            .http
            .post(format!("{}{path}", app.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("state=x")
            .send()
            .await
            .expect("request");
        assert_eq!(empty.status(), 400, "{path}: no id_token");
    }
}
