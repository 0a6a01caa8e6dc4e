//! LTI Dynamic Registration with the real site, as its "Register tool" button runs it: the
//! administrator's session opens `startltiadvregistration.php`, Moodle sends the browser to
//! the bridge's `/lti/register`, the bridge registers itself; the administrator activates
//! the new (pending) tool type, and a teacher's deep-linking launch with it reaches the
//! bridge. The tool type is deleted again.

use serde_json::{Value, json};

use super::launch::finish;
use super::{Bridge, Site, form_body, site};
use crate::lti::browser::{Browser, Page};
use crate::lti::log_in;

/// The `sesskey` in a Moodle page's `M.cfg`.
fn sesskey(page: &Page) -> String {
    let start = page
        .body
        .find("\"sesskey\":\"")
        .unwrap_or_else(|| panic!("a sesskey on {}", page.url))
        + "\"sesskey\":\"".len();
    let end = page.body[start..].find('"').expect("end") + start;
    page.body[start..end].to_owned()
}

/// One call of Moodle's AJAX web services (`lib/ajax/service.php`) in the browser's session.
async fn ajax(browser: &Browser, site: &Site, sesskey: &str, method: &str, args: Value) -> Value {
    let body = json!([{"index": 0, "methodname": method, "args": args}]);
    let response = crate::helpers::http_client()
        .post(format!(
            "{}/lib/ajax/service.php?sesskey={sesskey}",
            site.url
        ))
        .header(
            "cookie",
            browser
                .cookies(&site.url)
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("ajax");
    let answer: Value = serde_json::from_str(&response.text().await.expect("body")).expect("json");
    assert_eq!(answer[0]["error"], false, "{method}: {answer}");
    answer[0]["data"].clone()
}

#[tokio::test]
async fn the_bridge_registers_itself_with_the_real_moodle_and_a_launch_uses_the_registration() {
    let Some(site) = site() else { return };
    let bridge = Bridge::start_unregistered(&site).await;
    let admin = Browser::new();
    let password = site.password("admin");
    let home = log_in(&admin, &site.url, ("admin", &password)).await;
    let key = sesskey(&home);
    let before: Vec<i64> = ajax(
        &admin,
        &site,
        &key,
        "mod_lti_get_tool_types",
        json!({"toolproxyid": 0}),
    )
    .await
    .as_array()
    .expect("types")
    .iter()
    .filter_map(|t| t["id"].as_i64())
    .collect();

    // What the "Register tool" button opens (type=0: a new tool type, not an upgrade).
    let start = format!(
        "{}/mod/lti/startltiadvregistration.php?{}",
        site.url,
        form_body(&[
            ("url", format!("{}/lti/register", bridge.url)),
            ("type", "0".to_owned()),
            ("sesskey", key.clone()),
        ])
    );
    let done = admin.get(&start).await;
    assert!(
        done.url
            .starts_with(&format!("{}/lti/register?", bridge.url)),
        "{} {}",
        done.url,
        done.body
    );
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.code().as_deref(), Some("registered"), "{}", done.body);

    let types = ajax(
        &admin,
        &site,
        &key,
        "mod_lti_get_tool_types",
        json!({"toolproxyid": 0}),
    )
    .await;
    let new = types
        .as_array()
        .expect("types")
        .iter()
        .find(|t| t["id"].as_i64().is_some_and(|id| !before.contains(&id)))
        .unwrap_or_else(|| panic!("a new tool type: {types}"))
        .clone();
    let typeid = new["id"].as_i64().expect("id");
    // Moodle: openid-registration.php makes the type pending until an administrator accepts it.
    assert_eq!(new["state"]["text"], "Pending", "{new}");
    ajax(
        &admin,
        &site,
        &key,
        "mod_lti_update_tool_type",
        json!({"id": typeid, "state": 1}),
    )
    .await;

    // The bridge keeps the registration pending until its administrator approves it.
    let listed = bridge.cli(&["lti", "list", "--json"]).await;
    let rows: Vec<Value> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["status"], "pending");
    let id = rows[0]["id"].as_str().expect("id").to_owned();
    let approved = bridge
        .cli(&["lti", "approve", &id, "--without-moodle"])
        .await;
    assert_eq!(approved.status.code(), Some(0), "{approved:?}");

    let teacher = Browser::new();
    let password = site.password("teacher1");
    log_in(&teacher, &site.url, ("teacher1", &password)).await;
    let initiation = teacher
        .get(&format!(
            "{}/mod/lti/contentitem.php?id={typeid}&course=2",
            site.url
        ))
        .await;
    let outcome = match initiation.form("ltiInitiateLoginForm") {
        Some(form) => {
            let step = teacher.submit(&initiation, &form).await;
            Ok(finish(&teacher, &step).await)
        }
        None => Err(format!("{} {}", initiation.status, initiation.body)),
    };
    ajax(
        &admin,
        &site,
        &key,
        "mod_lti_delete_tool_type",
        json!({"id": typeid}),
    )
    .await;
    let (picker, claims) = outcome.unwrap_or_else(|e| panic!("the login initiation form: {e}"));
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti/claim/message_type"],
        "LtiDeepLinkingRequest"
    );
    assert_eq!(claims["aud"], new["clientid"], "{new}");
    assert_eq!(picker.status, 200, "{}", picker.body);
    assert!(
        picker.url.starts_with(&format!("{}/lti/", bridge.url)),
        "{}",
        picker.url
    );
    assert_eq!(picker.forms().len(), 3, "{}", picker.body);
    bridge.stop().await;
}
