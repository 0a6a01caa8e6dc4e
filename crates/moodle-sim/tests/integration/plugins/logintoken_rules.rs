//! `local_logintoken`'s security rules: the token by POST only (a GET gets the 405 page unless
//! `allowget` is on), no site administrators (unless `refuseadmins` is off), no silent switch of a
//! browser where somebody else is logged in (the 409 page with the session's sesskey), and
//! `login_with_token` only for tokens of the allowed services.

use reqwest::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use serde_json::Value;

use super::logintoken::{ENTRY, entry, no_redirects, send, session_cookie};
use super::{set_config, setup};
use crate::lti::html::hidden_inputs;
use crate::support::{Site, errorcode};

/// A request's status, headers of interest and body text.
struct Page {
    status: u16,
    allow: Option<String>,
    content_type: String,
    cache_control: String,
    text: String,
    cookie: Option<String>,
}

async fn page(request: reqwest::RequestBuilder) -> Page {
    let resp = request.send().await.expect("request");
    let header = |name| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    Page {
        status: resp.status().as_u16(),
        allow: header(ALLOW),
        content_type: header(CONTENT_TYPE).unwrap_or_default(),
        cache_control: header(CACHE_CONTROL).unwrap_or_default(),
        cookie: session_cookie(&resp),
        text: resp.text().await.expect("body"),
    }
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn a_get_is_refused_with_405_and_a_page_saying_why() {
    let site = Site::start().await;
    let fx = setup(&site).await;
    for query in [
        vec![("wstoken", fx.token("student1_logintoken"))],
        vec![
            ("wstoken", fx.token("student1_logintoken")),
            ("wsfunction", "local_logintoken_validate_token"),
        ],
        vec![],
    ] {
        let got = page(
            site.http
                .get(format!("{}{ENTRY}", site.sim.url()))
                .query(&query),
        )
        .await;
        assert_eq!(got.status, 405, "{query:?}");
        assert_eq!(got.allow.as_deref(), Some("POST"));
        assert!(got.content_type.starts_with("text/html"));
        assert_eq!(got.cache_control, "no-store");
        assert!(got.text.contains("Token login needs POST"));
        assert!(got.text.contains("written to server logs"));
        assert_eq!(got.cookie, None);
    }
    assert!(site.sim.with_state(|s| s.plugins.sessions.is_empty()));
}

#[tokio::test]
async fn a_post_with_the_token_in_its_url_is_refused_and_allowget_reallows_both() {
    let site = Site::start().await;
    let fx = setup(&site).await;
    let token = fx.token("student1_logintoken");
    let (status, cookie, body) = send(
        &site,
        site.http
            .post(format!("{}{ENTRY}", site.sim.url()))
            .query(&[("wstoken", token)])
            .form(&[("redirect", "0")]),
    )
    .await;
    assert_eq!(
        (status, body["errorcode"].as_str()),
        (400, Some("tokeninurl"))
    );
    assert_eq!(
        body["message"],
        "Send the token in the POST body (field wstoken), not in the address"
    );
    assert_eq!(cookie, None);
    assert!(
        site.sim.with_state(|s| s.plugins.events.is_empty()),
        "a malformed request is no login attempt"
    );

    set_config(&site, "allowget", "1").await;
    let (status, cookie, body) = send(
        &site,
        site.http
            .get(format!("{}{ENTRY}", site.sim.url()))
            .query(&[("wstoken", token)]),
    )
    .await;
    assert_eq!((status, &body["user"]["id"]), (200, &Value::from(4)));
    assert!(cookie.is_some());
}

#[tokio::test]
async fn a_site_administrator_is_not_logged_in_unless_the_site_allows_it() {
    let site = Site::start().await;
    let fx = setup(&site).await;
    let admin = fx.token("admin_logintoken");
    let (status, cookie, body) = entry(&site, &[("wstoken", admin)]).await;
    assert_eq!(
        (status, body["errorcode"].as_str()),
        (403, Some("adminrefused"))
    );
    assert_eq!(body["error"], "Administrator login refused");
    assert_eq!(cookie, None);
    let logged = site.sim.with_state(|s| {
        s.plugins
            .events
            .iter()
            .map(|e| (e.reason.clone(), e.relateduserid))
            .collect::<Vec<_>>()
    });
    assert_eq!(logged, [("adminrefused".to_owned(), Some(2))]);

    let (status, _, body) = entry(
        &site,
        &[
            ("wstoken", admin),
            ("wsfunction", "local_logintoken_validate_token"),
        ],
    )
    .await;
    assert_eq!(
        (status, &body["user"]["id"]),
        (200, &Value::from(2)),
        "validation logs nobody in"
    );
    let key = site
        .call(admin, "local_logintoken_login_with_token", &[])
        .await;
    assert_eq!(errorcode(&key), Some("adminrefused"));

    set_config(&site, "refuseadmins", "0").await;
    let (status, cookie, _) = entry(&site, &[("wstoken", admin)]).await;
    assert_eq!(status, 200);
    assert!(cookie.is_some());
}

#[tokio::test]
async fn a_browser_where_somebody_else_is_logged_in_is_asked_before_it_switches() {
    let site = Site::start().await;
    let fx = setup(&site).await;
    let (_, teacher, _) = entry(&site, &[("wstoken", fx.token("teacher1_logintoken"))]).await;
    let teacher = teacher.expect("teacher's session");
    let cookie = format!("MoodleSession={teacher}");
    let http = no_redirects();
    let post = |form: Vec<(String, String)>| {
        http.post(format!("{}{ENTRY}", site.sim.url()))
            .header("cookie", cookie.clone())
            .form(&form)
    };
    let student = fx.token("student1_logintoken").to_owned();

    let asked = page(post(vec![("wstoken".into(), student.clone())])).await;
    assert_eq!(asked.status, 409);
    assert!(asked.text.contains("You are logged in as Tina Teacher"));
    assert!(asked.text.contains("logs in Alice Anderson instead"));
    assert_eq!(asked.cookie, None);
    let fields = hidden_inputs(&asked.text);
    let sesskey = field(&fields, "sesskey").expect("sesskey").to_owned();
    assert_eq!(field(&fields, "wstoken"), Some(student.as_str()));
    assert_eq!(field(&fields, "confirm"), Some("1"));
    assert_eq!(
        site.sim
            .with_state(|s| s.plugins.sessions.get(&teacher).map(|x| x.userid)),
        Some(3),
        "the teacher is still logged in"
    );

    let mut missing = fields.clone();
    missing.retain(|(n, _)| n != "sesskey");
    let (status, _, body) = send(&site, post(missing)).await;
    assert_eq!(
        (status, body["errorcode"].as_str()),
        (403, Some("invalidsesskey")),
        "no sesskey at all"
    );
    let mut wrong = fields.clone();
    wrong.retain(|(n, _)| n != "sesskey");
    wrong.push(("sesskey".into(), "0123456789".into()));
    let (status, cookie_set, body) = send(&site, post(wrong)).await;
    assert_eq!(
        (status, body["errorcode"].as_str()),
        (403, Some("invalidsesskey"))
    );
    assert_eq!(cookie_set, None);

    // Moodle cannot open the student's session in the request that closed the teacher's: the
    // teacher is logged out and the browser goes to a one-time login link.
    let confirmed = post(fields).send().await.expect("confirm");
    assert_eq!(confirmed.status(), 303);
    let location = confirmed.headers()[LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(
        location.starts_with(&format!("{}{ENTRY}?userid=4&key=", site.sim.url())),
        "{location}"
    );
    let fresh = session_cookie(&confirmed).expect("a new, empty session");
    assert!(!sesskey.is_empty());
    site.sim.with_state(|s| {
        assert!(
            !s.plugins.sessions.contains_key(&teacher),
            "the teacher's session ended"
        );
        assert_eq!(s.plugins.sessions.get(&fresh).map(|x| x.userid), Some(0));
    });
    let landed = no_redirects()
        .get(&location)
        .header("cookie", format!("MoodleSession={fresh}"))
        .send()
        .await
        .expect("login link");
    assert_eq!(landed.status(), 303);
    let new = session_cookie(&landed).expect("the student's session");
    assert_eq!(
        site.sim
            .with_state(|s| s.plugins.sessions.get(&new).map(|x| x.userid)),
        Some(4)
    );

    // The same user again: no question.
    let (status, _, _) = send(
        &site,
        site.http
            .post(format!("{}{ENTRY}", site.sim.url()))
            .header("cookie", format!("MoodleSession={new}"))
            .form(&[("wstoken", student.as_str())]),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_login_key_opened_where_somebody_else_is_logged_in_asks_and_keeps_the_key() {
    let site = Site::start().await;
    let fx = setup(&site).await;
    let (_, teacher, _) = entry(&site, &[("wstoken", fx.token("teacher1_logintoken"))]).await;
    let teacher = teacher.expect("teacher's session");
    let key = site
        .call(
            fx.token("student1_logintoken"),
            "local_logintoken_login_with_token",
            &[],
        )
        .await;
    let url = key["loginurl"].as_str().expect("loginurl").to_owned();
    let http = no_redirects();
    let cookie = format!("MoodleSession={teacher}");
    let asked = page(http.get(&url).header("cookie", cookie.clone())).await;
    assert_eq!(asked.status, 409);
    let fields = hidden_inputs(&asked.text);
    assert_eq!(field(&fields, "key"), key["key"].as_str());
    assert_eq!(field(&fields, "userid"), Some("4"));
    let confirmed = http
        .post(format!("{}{ENTRY}", site.sim.url()))
        .header("cookie", cookie)
        .form(&fields)
        .send()
        .await
        .expect("confirm");
    assert_eq!(confirmed.status(), 303);
    assert_eq!(
        confirmed.headers()[LOCATION].to_str().ok(),
        Some(url.as_str())
    );
    let redeemed = http.get(&url).send().await.expect("redeem");
    assert_eq!(
        redeemed.status(),
        303,
        "the key was not used up by the question"
    );
    let again = http.get(&url).send().await.expect("redeem again");
    assert_eq!(again.status(), 401, "then it is used up");
    assert!(redeemed.headers().contains_key(LOCATION));
}

#[tokio::test]
async fn login_with_token_refuses_tokens_of_services_not_allowed() {
    let site = Site::start().await;
    let fx = setup(&site).await;
    let bridge = site.token("student1_bridge");
    let refused = site
        .call(&bridge, "local_logintoken_login_with_token", &[])
        .await;
    assert_eq!(errorcode(&refused), Some("servicenotallowed"));
    assert_eq!(
        refused["message"],
        "Tokens of this web service cannot be used to log in."
    );
    let own = site
        .call(
            fx.token("student1_logintoken"),
            "local_logintoken_login_with_token",
            &[],
        )
        .await;
    assert!(own["key"].is_string(), "{own}");
    set_config(&site, "allowedservices", "local_logintoken,bridge").await;
    let allowed = site
        .call(&bridge, "local_logintoken_login_with_token", &[])
        .await;
    assert!(allowed["key"].is_string(), "{allowed}");
}
