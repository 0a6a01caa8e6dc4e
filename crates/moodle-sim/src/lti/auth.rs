//! `mod/lti/auth.php`: the OIDC authentication endpoint. Its checks and their order are
//! Moodle's: parameters present, launch id in the hint, `scope`, `response_type`, the launch
//! remembered in the session (taken out of it), `client_id`, `login_hint` equal to the
//! session's user, `redirect_uri` registered (else Moodle's error page, 404), `response_mode`
//! and `prompt`. Errors after the tool is known are posted back to `redirect_uri` as
//! `error`/`error_description`; the answer is the auto-posting form with `id_token` and
//! `state`. Without a session Moodle first re-posts the request from its own domain
//! (`repost_crosssite_page`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::Value;

use super::claims::{LaunchContext, deep_linking_settings, launch_claims};
use super::http::{self, escape};
use super::web::{self, data, who};
use super::{Launch, keys};
use crate::endpoints::{Shared, request_vars, var};
use crate::php::PhpArray;
use crate::state::{ContextLevel, State as Db, now};

/// `repost_crosssite_page`: a page that posts the request again from the site's own origin,
/// so the browser sends the (SameSite) session cookie.
pub(super) fn repost_page(uri: &Uri, vars: &PhpArray) -> Response {
    let inputs: String = vars
        .iter()
        .filter_map(|(k, v)| Some((k.as_string(), v.as_str()?.to_owned())))
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
                escape(&k),
                escape(&v)
            )
        })
        .collect();
    let page = format!(
        "<!DOCTYPE html>\n<html><head><title></title></head><body>\n<form action=\"{}\" method=\"POST\" id=\"autopostme\">\n{inputs}<input type=\"hidden\" name=\"repost\" value=\"true\">\n<noscript><input type=\"submit\" value=\"Continue\"></noscript>\n</form>\n<script>document.getElementById('autopostme').submit();</script>\n</body></html>\n",
        escape(&uri.to_string())
    );
    http::html(200, page)
}

/// `auth.php`.
pub(super) async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let vars = request_vars(uri.query(), &headers, &body);
    let mut db = shared.db();
    let logged_in = web::current(&db, &headers).is_some_and(|v| v.userid > 0);
    let repost = method == Method::POST && var(&vars, "repost").is_some_and(|r| !r.is_empty());
    if !logged_in && !repost {
        // header_remove("Set-Cookie"): no session is started for this answer; the query
        // stays in the URL, the POST fields are posted again.
        return repost_page(&uri, &request_vars(None, &headers, &body));
    }
    let v = web::visitor(&mut db, &headers);
    let answer = authenticate(&mut db, &v, &vars);
    http::with_session(answer, v.cookie())
}

fn authenticate(db: &mut Db, v: &web::Visitor, vars: &PhpArray) -> Response {
    let p = |name: &str| var(vars, name).unwrap_or_default().trim().to_owned();
    let (scope, response_type, client_id) = (p("scope"), p("response_type"), p("client_id"));
    let (redirect_uri, login_hint, state) = (p("redirect_uri"), p("login_hint"), p("state"));
    let (response_mode, nonce, prompt) = (p("response_mode"), p("nonce"), p("prompt"));
    let mut error: Option<(&str, Option<&str>)> = None;
    if [
        &scope,
        &response_type,
        &client_id,
        &redirect_uri,
        &login_hint,
        &nonce,
    ]
    .iter()
    .any(|s| s.is_empty())
    {
        error = Some(("invalid_request", None));
    }
    let hint: Option<Value> = serde_json::from_str(&p("lti_message_hint")).ok();
    let launchid = hint
        .as_ref()
        .and_then(|h| h.get("launchid"))
        .map(|l| match l {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
    if error.is_none() && launchid.is_none() {
        error = Some(("invalid_request", Some("No launch id in LTI hint")));
    }
    if error.is_none() && scope != "openid" {
        error = Some(("invalid_scope", None));
    }
    if error.is_none() && response_type != "id_token" {
        error = Some(("unsupported_response_type", None));
    }
    let mut launch: Option<Launch> = None;
    if error.is_none()
        && let Some(id) = &launchid
    {
        launch = data(db, &v.sid).launches.remove(id);
    }
    let tool = launch
        .as_ref()
        .and_then(|l| db.lti.types.get(&l.typeid).cloned());
    if error.is_none() && tool.as_ref().is_none_or(|t| t.clientid != client_id) {
        error = Some(("unauthorized_client", None));
    }
    if error.is_none() && login_hint != v.userid.to_string() {
        error = Some(("access_denied", None));
    }
    // Without the tool's configuration the redirect URI cannot be trusted for posting to.
    let Some(tool) = tool.filter(|t| {
        t.config
            .redirectionuris
            .iter()
            .any(|u| u.trim() == redirect_uri)
    }) else {
        let site = db.site.clone();
        let me = who(db, v);
        return http::fatal_error(
            &site,
            me.as_ref().map(|(n, k)| (n.as_str(), k.as_str())),
            "Invalid request",
            "invalidrequest",
        );
    };
    if error.is_none() && response_mode != "form_post" {
        error = Some(("invalid_request", Some("Invalid response_mode")));
    }
    if error.is_none() && !prompt.is_empty() && prompt != "none" {
        error = Some(("invalid_request", Some("Invalid prompt")));
    }
    let mut fields: Vec<(String, String)> = Vec::new();
    match (error, launch) {
        (None, Some(launch)) => match id_token(db, v, &tool, &launch, &nonce) {
            Ok(token) => fields.push(("id_token".into(), token)),
            Err(resp) => return *resp,
        },
        (Some((code, desc)), _) => {
            fields.push(("error".into(), code.to_owned()));
            if let Some(desc) = desc {
                fields.push(("error_description".into(), desc.to_owned()));
            }
        }
        (None, None) => {}
    }
    fields.push(("state".into(), state));
    http::no_cache(http::html(200, http::auth_form(&redirect_uri, &fields)))
}

/// The signed id_token of a launch, after `require_login()` and the capability checks.
fn id_token(
    db: &mut Db,
    v: &web::Visitor,
    tool: &super::ToolType,
    launch: &Launch,
    nonce: &str,
) -> Result<String, Box<Response>> {
    let site = db.site.clone();
    let sesskey = data(db, &v.sid).sesskey.clone();
    let me = who(db, v);
    let who_ref = me.as_ref().map(|(n, k)| (n.as_str(), k.as_str()));
    let fail = |message: &str, code: &str| http::fatal_error(&site, who_ref, message, code);
    let (Some(user), Some(course)) = (
        db.live_user(v.userid).cloned(),
        db.courses.get(&launch.courseid).cloned(),
    ) else {
        return Err(Box::new(fail(
            "Can't find data record in database table course.",
            "invalidrecord",
        )));
    };
    if db.require_course_login(user.id, course.id, now()).is_err() {
        // require_login() sends users who may not enter the course to its enrolment page.
        return Err(Box::new(http::redirect(&format!(
            "{}/enrol/index.php?id={}",
            site.wwwroot, course.id
        ))));
    }
    let (instance, endpoint) = match launch.cmid {
        Some(cmid) => {
            let cm = db.cms.get(&cmid).cloned();
            let instance = cm
                .as_ref()
                .and_then(|cm| db.lti.instances.get(&cm.instance).cloned());
            let Some((cm, instance)) = cm.zip(instance) else {
                return Err(Box::new(fail(
                    "Can't find data record in database table course_modules.",
                    "invalidrecord",
                )));
            };
            let ctx = db
                .context_id(ContextLevel::Module, cm.id)
                .unwrap_or_default();
            if !db.has_capability(user.id, "mod/lti:view", ctx) {
                return Err(Box::new(fail(
                    "Sorry, but you do not currently have permissions to do that (Launch external tool activities).",
                    "nopermissions",
                )));
            }
            let endpoint = if instance.toolurl.is_empty() {
                tool.baseurl.clone()
            } else {
                instance.toolurl.clone()
            };
            (Some((instance, cm.id)), endpoint)
        }
        None => {
            let ctx = db
                .context_id(ContextLevel::Course, course.id)
                .unwrap_or_default();
            for (cap, name) in [
                ("moodle/course:manageactivities", "Manage activities"),
                (
                    "mod/lti:addcoursetool",
                    "Add course-specific tool configurations",
                ),
            ] {
                if !db.has_capability(user.id, cap, ctx) {
                    return Err(Box::new(fail(
                        &format!(
                            "Sorry, but you do not currently have permissions to do that ({name})."
                        ),
                        "nopermissions",
                    )));
                }
            }
            let endpoint = if tool.config.contentitem_url.is_empty() {
                tool.baseurl.clone()
            } else {
                tool.config.contentitem_url.clone()
            };
            (None, endpoint)
        }
    };
    let c = LaunchContext {
        user: &user,
        course: &course,
        tool,
        instance: instance.as_ref().map(|(i, cmid)| (i, *cmid)),
        sesskey: &sesskey,
        nonce,
        endpoint: &endpoint,
    };
    let mut claims = launch_claims(db, &c, now());
    if launch.cmid.is_none() {
        let title = if launch.title.is_empty() {
            tool.name.clone()
        } else {
            launch.title.clone()
        };
        claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] =
            deep_linking_settings(
                &site.wwwroot,
                course.id,
                tool.id,
                &sesskey,
                &title,
                &launch.text,
            );
    }
    Ok(keys::sign(&claims))
}
