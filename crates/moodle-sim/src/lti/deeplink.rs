//! `mod/lti/contentitem_return.php`: the tool's deep linking response. The `JWT` is verified
//! with the tool's key set and its issuer must be the tool's client id
//! (`lti_convert_from_jwt()`; nonce, audience and deployment are not checked, as in Moodle);
//! then login, session key and capabilities; the content items are converted
//! (`lti_convert_content_items()`, `content_item_to_form()`) and handed to the page's
//! `mod_lti/contentitem_return` script, which gives them to the "add activity" form of the
//! page framing the selection (`web/modedit.rs`) — saving that form creates the activity,
//! as in Moodle. Like Moodle's, the page does nothing more when it is not framed.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::data::{CONTAINER_DEFAULT, SETTING_ALWAYS, SETTING_DELEGATE, SETTING_NEVER, ToolType};
use super::http::{self, escape};
use super::web::{self, require_sesskey, who};
use super::{keyset, php_jwt};
use crate::endpoints::{Shared, request_vars, var};
use crate::php_json;
use crate::state::{ContextLevel, now};

/// `$OUTPUT->pix_icon('i/valid', get_string('yes')) . get_string('contentselected', 'mod_lti')`.
const SELECTED: &str = "<i class=\"icon fa fa-check text-success fa-fw \"  title=\"Yes\" role=\"img\" aria-label=\"Yes\"></i>Content selected";

/// `content_item_to_form()` for one deep linking content item (read in its 1.3 form; the
/// conversion to the 1.1 form Moodle makes first only renames fields).
fn item_to_form(tool: &ToolType, item: &Value) -> Value {
    let mut c = Map::new();
    let title = item["title"]
        .as_str()
        .filter(|t| !t.is_empty())
        .unwrap_or(&tool.name);
    c.insert("name".into(), title.into());
    let text = item
        .get("text")
        .or_else(|| item.get("html"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    c.insert("introeditor".into(), json!({"text": text, "format": "2"}));
    if let Some(icon) = item["icon"]["url"].as_str() {
        let key = if icon.starts_with("https:") {
            "secureicon"
        } else {
            "icon"
        };
        c.insert(key.into(), icon.into());
    }
    match item["url"].as_str() {
        Some(url) => {
            c.insert("toolurl".into(), url.into());
            c.insert("typeid".into(), 0.into());
        }
        None => {
            c.insert("typeid".into(), tool.id.into());
        }
    }
    c.insert("instructorchoiceacceptgrades".into(), SETTING_NEVER.into());
    let accept = tool.config.acceptgrades;
    if accept == SETTING_ALWAYS {
        c.insert("instructorchoiceacceptgrades".into(), SETTING_ALWAYS.into());
        c.insert("grade_modgrade_point".into(), 100.into());
    }
    if (accept == SETTING_DELEGATE || accept == SETTING_ALWAYS)
        && let Some(line) = item.get("lineItem").filter(|l| l.is_object())
    {
        c.insert("instructorchoiceacceptgrades".into(), SETTING_ALWAYS.into());
        c.insert(
            "grade_modgrade_point".into(),
            line.get("scoreMaximum").cloned().unwrap_or(100.into()),
        );
        let text = |k: &str| {
            line[k]
                .as_str()
                .filter(|s| !s.is_empty())
                .unwrap_or_default()
                .to_owned()
        };
        c.insert("lineitemresourceid".into(), text("resourceId").into());
        c.insert("lineitemtag".into(), text("tag").into());
        let review = line.get("submissionReview");
        let url = review.map_or(String::new(), |r| {
            r["url"]
                .as_str()
                .filter(|u| !u.is_empty())
                .unwrap_or("DEFAULT")
                .to_owned()
        });
        c.insert("lineitemsubreviewurl".into(), url.into());
        c.insert(
            "lineitemsubreviewparams".into(),
            review
                .map_or(String::new(), |r| params_to_string(&r["custom"]))
                .into(),
        );
    }
    c.insert("instructorchoicesendname".into(), SETTING_NEVER.into());
    c.insert("instructorchoicesendemailaddr".into(), SETTING_NEVER.into());
    c.insert("launchcontainer".into(), CONTAINER_DEFAULT.into());
    if item.get("custom").is_some_and(Value::is_object) {
        c.insert(
            "instructorcustomparameters".into(),
            params_to_string(&item["custom"]).into(),
        );
    }
    c.insert("selectcontentindicator".into(), SELECTED.into());
    Value::Object(c)
}

/// `params_to_string()`: `key=value` lines.
fn params_to_string(v: &Value) -> String {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    format!(
                        "{k}={}",
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// `lti_tool_configuration_from_content_item()`: one item's form data, or `{multiple}`.
fn configuration(tool: &ToolType, claims: &Map<String, Value>) -> Value {
    let items = claims
        .get("https://purl.imsglobal.org/spec/lti-dl/claim/content_items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let items: Vec<&Value> = items.iter().filter(|i| i.get("type").is_some()).collect();
    match items.as_slice() {
        [] => Value::Null,
        [one] => item_to_form(tool, one),
        many => json!({"multiple": many.iter().map(|i| item_to_form(tool, i)).collect::<Vec<_>>()}),
    }
}

/// `contentitem_return.php?course=&id=<typeid>&sesskey=`, the JWT in the POST body.
pub(super) async fn contentitem_return(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let vars = request_vars(uri.query(), &headers, &body);
    let int = |n: &str| var(&vars, n).map(crate::external::param::php_intval);
    let (site, visitor) = {
        let mut db = shared.db();
        (db.site.clone(), web::visitor(&mut db, &headers))
    };
    let fail = |message: &str, code: &str| {
        let mut db = shared.db();
        let me = who(&mut db, &visitor);
        let who = me.as_ref().map(|(n, k)| (n.as_str(), k.as_str()));
        http::with_session(
            http::fatal_error(&site, who, message, code),
            visitor.cookie(),
        )
    };
    let (Some(typeid), Some(courseid)) = (int("id"), int("course")) else {
        let missing = if int("id").is_none() { "id" } else { "course" };
        return fail(
            &format!("A required parameter ({missing}) was missing"),
            "missingparam",
        );
    };
    if visitor.userid == 0 && var(&vars, "repost").is_none_or(str::is_empty) {
        return super::auth::repost_page(&uri, &request_vars(None, &headers, &body));
    }
    let jwt = var(&vars, "JWT").unwrap_or_default().to_owned();
    if jwt.is_empty() {
        return fail(
            "A required parameter (oauth_consumer_key) was missing",
            "missingparam",
        );
    }
    let Some(iss) = php_jwt::claims_unverified(&jwt)
        .and_then(|c| c.get("iss").and_then(Value::as_str).map(str::to_owned))
        .filter(|i| !i.is_empty())
    else {
        return fail("Invalid data: ", "errorinvaliddata");
    };
    let Some(tool) = shared.db().lti.types.get(&typeid).cloned() else {
        return fail("LTI tool type not found.", "errortooltypenotfound");
    };
    let claims = match keyset::verify_tool_jwt(&shared, typeid, &iss, &jwt).await {
        Ok(c) => c,
        Err(m) if m == "Consumer key is incorrect." => {
            return fail(&m, "errorincorrectconsumerkey");
        }
        Err(m) => return fail(&format!("Exception - {m}"), "generalexceptionmessage"),
    };
    let mut db = shared.db();
    if visitor.userid == 0 {
        // require_login(): to the login page, coming back here afterwards.
        web::data(&mut db, &visitor.sid).wantsurl =
            Some(format!("{}/course/view.php?id={courseid}", site.wwwroot));
        return http::with_session(
            http::redirect(&format!("{}/login/index.php", site.wwwroot)),
            visitor.cookie(),
        );
    }
    if !db.courses.contains_key(&courseid) {
        drop(db);
        return fail(
            "Can't find data record in database table course.",
            "invalidrecord",
        );
    }
    if let Err((message, code)) = require_sesskey(&mut db, &visitor, var(&vars, "sesskey")) {
        drop(db);
        return fail(message, code);
    }
    let ctx = db
        .context_id(ContextLevel::Course, courseid)
        .unwrap_or_default();
    let may = db
        .require_course_login(visitor.userid, courseid, now())
        .is_ok()
        && db.has_capability(visitor.userid, "moodle/course:manageactivities", ctx)
        && db.has_capability(visitor.userid, "mod/lti:addcoursetool", ctx);
    if !may {
        drop(db);
        return fail(
            "Sorry, but you do not currently have permissions to do that (Manage activities).",
            "nopermissions",
        );
    }
    let errormsg = claims
        .get("https://purl.imsglobal.org/spec/lti-dl/claim/errormsg")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let data = if errormsg.is_some() {
        Value::Null
    } else {
        configuration(&tool, &claims)
    };
    let notice = match (&errormsg, &data) {
        (Some(e), _) => format!("<div class=\"alert alert-danger\">{}</div>", escape(e)),
        (None, Value::Null) => String::new(),
        (None, _) => "<div class=\"alert alert-success\">Successfully fetched tool configuration from the selected content.</div>".to_owned(),
    };
    let body = format!(
        "{notice}\n<script>\nvar require = function (deps, callback) {{ callback({{init: function (data) {{ if (window != top) {{ parent.processContentItemReturnData(data); }} else if (window.processContentItemReturnData) {{ window.processContentItemReturnData(data); }} }}}}); }};\n</script>\n<script>\nrequire(['mod_lti/contentitem_return'], function(amd) {{amd.init({}); }});\n</script>",
        String::from_utf8_lossy(&php_json::encode(&data))
    );
    let me = who(&mut db, &visitor);
    let who = me.as_ref().map(|(n, k)| (n.as_str(), k.as_str()));
    http::with_session(
        http::page_answer(200, http::page(&site, "", who, &body)),
        visitor.cookie(),
    )
}
