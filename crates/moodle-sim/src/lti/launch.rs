//! `mod/lti/launch.php` (resource link) and `mod/lti/contentitem.php` (deep linking) for
//! LTI 1.3 tools: `lti_initiate_login()` — the launch is remembered in the session under a
//! random launch id (`lti_build_login_request()`) and the browser auto-posts the OIDC
//! third-party login initiation to the tool: `iss`, `target_link_uri`, `login_hint` (the
//! user id), `lti_message_hint` (JSON with `cmid` for resource links and `launchid`),
//! `client_id`, `lti_deployment_id`. Like Moodle, neither script checks the login first
//! (`auth.php` does).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use serde_json::json;

use super::data::{Launch, ToolType, VERSION_1P3};
use super::http;
use super::web::{self, Visitor, data, who};
use crate::endpoints::{Shared, request_vars, var};
use crate::state::State as Db;

/// The frame a tool posts storage messages to when the site offers platform storage: the
/// activity page holding the launch frame.
const STORAGE_TARGET: &str = "_parent";

/// A launch to initiate.
struct Initiation<'a> {
    tool: &'a ToolType,
    courseid: i64,
    cmid: Option<i64>,
    instance: Option<i64>,
    endpoint: String,
    messagetype: &'static str,
    title: String,
    text: String,
}

/// PHP's `rand()`: 0 to 2^31-1.
fn php_rand() -> u32 {
    rand::random::<u32>() >> 1
}

/// `lti_build_login_request()` and `lti_initiate_login()`.
fn initiate(db: &mut Db, v: &Visitor, i: Initiation<'_>) -> Response {
    let (launchid, hint) = match i.instance {
        Some(instance) => {
            let launchid = format!("ltilaunch{instance}_{}", php_rand());
            let hint = json!({"cmid": i.cmid.unwrap_or_default(), "launchid": launchid});
            (launchid, hint)
        }
        None => {
            let launchid = format!("ltilaunch_{}{}", i.messagetype, php_rand());
            (launchid.clone(), json!({"launchid": launchid}))
        }
    };
    data(db, &v.sid).launches.insert(
        launchid,
        Launch {
            courseid: i.courseid,
            typeid: i.tool.id,
            cmid: i.cmid,
            messagetype: i.messagetype.to_owned(),
            title: i.title,
            text: i.text,
        },
    );
    let mut endpoint = i.endpoint.trim().to_owned();
    if !endpoint.contains("://") {
        endpoint = format!("http://{endpoint}");
    }
    let mut fields = vec![
        ("iss".to_owned(), db.site.wwwroot.clone()),
        ("target_link_uri".to_owned(), endpoint),
        ("login_hint".to_owned(), v.userid.to_string()),
        ("lti_message_hint".to_owned(), hint.to_string()),
        ("client_id".to_owned(), i.tool.clientid.clone()),
        ("lti_deployment_id".to_owned(), i.tool.id.to_string()),
    ];
    if db.lti.storage_target {
        fields.push(("lti_storage_target".to_owned(), STORAGE_TARGET.to_owned()));
    }
    let page = http::login_form(&i.tool.config.initiatelogin, &fields);
    http::with_session(http::no_cache(http::html(200, page)), v.cookie())
}

fn error(db: &mut Db, v: &Visitor, message: &str, code: &str) -> Response {
    let site = db.site.clone();
    let me = who(db, v);
    let who = me.as_ref().map(|(n, k)| (n.as_str(), k.as_str()));
    http::with_session(http::fatal_error(&site, who, message, code), v.cookie())
}

/// `launch.php?id=<cmid>`.
pub(super) async fn launch(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let vars = request_vars(uri.query(), &headers, &[]);
    let mut db = shared.db();
    let v = web::visitor(&mut db, &headers);
    let Some(cmid) = var(&vars, "id").map(crate::external::param::php_intval) else {
        return error(
            &mut db,
            &v,
            "A required parameter (id) was missing",
            "missingparam",
        );
    };
    let Some(cm) = db.cms.get(&cmid).filter(|c| c.modname == "lti").cloned() else {
        return error(
            &mut db,
            &v,
            "Can't find data record in database table course_modules.",
            "invalidrecord",
        );
    };
    let Some(instance) = db.lti.instances.get(&cm.instance).cloned() else {
        return error(
            &mut db,
            &v,
            "Can't find data record in database table lti.",
            "invalidrecord",
        );
    };
    let Some(tool) = db.lti.instance_type(&instance).cloned() else {
        return error(&mut db, &v, "Tool type not found.", "tooltypenotfounderror");
    };
    if tool.ltiversion != VERSION_1P3 {
        return error(&mut db, &v, "Tool type not found.", "tooltypenotfounderror");
    }
    let endpoint = if instance.toolurl.is_empty() {
        tool.baseurl.clone()
    } else {
        instance.toolurl.clone()
    };
    initiate(
        &mut db,
        &v,
        Initiation {
            tool: &tool,
            courseid: cm.course,
            cmid: Some(cmid),
            instance: Some(instance.id),
            endpoint,
            messagetype: "basic-lti-launch-request",
            title: String::new(),
            text: String::new(),
        },
    )
}

/// `contentitem.php?id=<typeid>&course=&title=&text=`.
pub(super) async fn contentitem(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let vars = request_vars(uri.query(), &headers, &[]);
    let mut db = shared.db();
    let v = web::visitor(&mut db, &headers);
    let int = |name: &str| var(&vars, name).map(crate::external::param::php_intval);
    let (Some(typeid), Some(courseid)) = (int("id"), int("course")) else {
        let missing = if int("id").is_none() { "id" } else { "course" };
        return error(
            &mut db,
            &v,
            &format!("A required parameter ({missing}) was missing"),
            "missingparam",
        );
    };
    let Some(tool) = db
        .lti
        .types
        .get(&typeid)
        .filter(|t| t.ltiversion == VERSION_1P3)
        .cloned()
    else {
        return error(&mut db, &v, "Tool type not found.", "errortooltypenotfound");
    };
    let endpoint = if tool.config.contentitem_url.is_empty() {
        tool.baseurl.clone()
    } else {
        tool.config.contentitem_url.clone()
    };
    initiate(
        &mut db,
        &v,
        Initiation {
            tool: &tool,
            courseid,
            cmid: None,
            instance: None,
            endpoint,
            messagetype: "ContentItemSelectionRequest",
            title: var(&vars, "title").unwrap_or_default().to_owned(),
            text: var(&vars, "text").unwrap_or_default().to_owned(),
        },
    )
}
