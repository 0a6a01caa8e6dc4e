//! The id_token claims Moodle sends: `lti_build_request()`, `lti_build_standard_message()`,
//! the custom parameters and the services' launch parameters (`get_launch_parameters()` of
//! `ltiservice_gradebookservices` and `ltiservice_memberships`), mapped to claims as
//! `lti_sign_jwt()` maps them (roles to LIS URIs and sorted, `custom_`/`ext_` prefixes,
//! the AGS, NRPS, basic outcome and deep linking claims), for a resource link launch
//! (`lti_get_launch_data()`) and a deep linking request
//! (`lti_build_content_item_selection_request()`).

use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use super::data::{Instance, SETTING_ALWAYS, SETTING_DELEGATE, ToolType};
use super::params;
use crate::state::{ContextLevel, Course, State as Db, User};

const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";
const MEMBERSHIP: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#";
/// `md5(get_site_identifier())` of the recorded site: the `tool_platform` guid, since the
/// seeded tool uses the site id as organisation id (`LTI_DEFAULT_ORGID_SITEID`).
const ORGANISATION_ID: &str = "287cbec6602a5d1b0654d478eddeaea0";

/// What a launch is about.
pub struct LaunchContext<'a> {
    /// The launching user.
    pub user: &'a User,
    /// The course.
    pub course: &'a Course,
    /// The tool type.
    pub tool: &'a ToolType,
    /// The activity and its course module, for a resource link launch.
    pub instance: Option<(&'a Instance, i64)>,
    /// The session key (in return URLs).
    pub sesskey: &'a str,
    /// The tool's nonce.
    pub nonce: &'a str,
    /// The target link URI.
    pub endpoint: &'a str,
}

/// `html_to_text()` for the short texts of a launch: tags dropped, entities decoded, trimmed.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#039;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .trim()
        .to_owned()
}

/// `lti_get_ims_role()` (LTI 1.1 names; `roles_to_uris` makes them LIS URIs).
pub fn ims_roles(db: &Db, user: &User, courseid: i64, cmid: Option<i64>) -> Vec<&'static str> {
    let (capability, ctx) = match cmid {
        Some(cmid) => ("mod/lti:manage", db.context_id(ContextLevel::Module, cmid)),
        None => (
            "moodle/course:manageactivities",
            db.context_id(ContextLevel::Course, courseid),
        ),
    };
    let ctx = ctx.unwrap_or_default();
    let mut roles = vec![if db.has_capability(user.id, capability, ctx) {
        "Instructor"
    } else {
        "Learner"
    }];
    if user.siteadmin || db.has_capability(user.id, "mod/lti:admin", ctx) {
        roles.retain(|r| *r != "Learner");
        roles.push("urn:lti:sysrole:ims/lis/Administrator");
        roles.push("urn:lti:instrole:ims/lis/Administrator");
    }
    roles
}

/// `lti_sign_jwt()`'s role mapping, then `sort()`.
fn roles_to_uris(roles: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = roles
        .iter()
        .map(|r| {
            if let Some(rest) = r.strip_prefix("urn:lti:role:ims/lis/") {
                format!("{MEMBERSHIP}{rest}")
            } else if let Some(rest) = r.strip_prefix("urn:lti:instrole:ims/lis/") {
                format!("http://purl.imsglobal.org/vocab/lis/v2/institution/person#{rest}")
            } else if let Some(rest) = r.strip_prefix("urn:lti:sysrole:ims/lis/") {
                format!("http://purl.imsglobal.org/vocab/lis/v2/system/person#{rest}")
            } else if !r.contains("://") && !r.starts_with("urn:") {
                format!("{MEMBERSHIP}{r}")
            } else {
                (*r).to_owned()
            }
        })
        .collect();
    out.sort();
    out
}

/// `lti_build_sourcedid()` as JSON: the data with a random launch id and its SHA-256 hash
/// salted with the activity's `servicesalt`.
pub fn sourcedid(instance: &Instance, userid: i64, typeid: i64) -> String {
    let data = json!({
        "instanceid": instance.id.to_string(),
        "userid": userid.to_string(),
        "typeid": typeid.to_string(),
        "launchid": rand::random::<u32>() >> 1,
    });
    let hash = Sha256::digest(format!("{data}{}", instance.servicesalt).as_bytes());
    let hash: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    json!({"data": data, "hash": hash}).to_string()
}

/// Whether a type config setting, possibly delegated to the activity, is on.
fn setting(value: i64, delegated: Option<i64>) -> bool {
    value == SETTING_ALWAYS || (value == SETTING_DELEGATE && delegated == Some(SETTING_ALWAYS))
}

/// The claims of a launch, without `nonce`, `iat` and `exp`'s neighbours' signing.
pub fn launch_claims(db: &Db, c: &LaunchContext<'_>, now: i64) -> Value {
    let (u, course, t) = (c.user, c.course, c.tool);
    let www = &db.site.wwwroot;
    let mut claims = Map::new();
    let mut put = |k: &str, v: Value| {
        claims.insert(k.to_owned(), v);
    };
    put("nonce", c.nonce.into());
    put("iat", now.into());
    put("exp", (now + 60).into());
    put("iss", www.as_str().into());
    put("aud", t.clientid.as_str().into());
    put(&format!("{LTI}deployment_id"), t.id.to_string().into());
    put(&format!("{LTI}target_link_uri"), c.endpoint.into());
    put("sub", u.id.to_string().into());
    put(
        &format!("{LTI}lis"),
        json!({"person_sourcedid": u.idnumber, "course_section_sourcedid": course.idnumber}),
    );
    let roles = ims_roles(db, u, course.id, c.instance.map(|(_, cmid)| cmid));
    put(&format!("{LTI}roles"), json!(roles_to_uris(&roles)));
    put(
        &format!("{LTI}context"),
        json!({"id": course.id.to_string(), "label": html_to_text(&course.shortname), "title": html_to_text(&course.fullname), "type": ["CourseSection"]}),
    );
    let deep_linking = c.instance.is_none();
    put(
        &format!("{LTI}message_type"),
        if deep_linking {
            "LtiDeepLinkingRequest"
        } else {
            "LtiResourceLinkRequest"
        }
        .into(),
    );
    let mut presentation =
        json!({"locale": if u.lang.is_empty() { "en" } else { u.lang.as_str() }});
    if let Some((instance, cmid)) = c.instance {
        let cm = db.cms.get(&cmid);
        let intro = cm
            .map(|cm| html_to_text(&cm.intro).replace('\n', "\r\n"))
            .unwrap_or_default();
        put(
            &format!("{LTI}resource_link"),
            json!({"title": cm.map(|c| html_to_text(&c.name)).unwrap_or_default(), "description": intro, "id": instance.id.to_string()}),
        );
        if !instance.servicesalt.is_empty()
            && setting(t.config.acceptgrades, Some(instance.acceptgrades))
        {
            put(
                "https://purl.imsglobal.org/spec/lti-bo/claim/basicoutcome",
                json!({
                    "lis_result_sourcedid": sourcedid(instance, u.id, t.id),
                    "lis_outcome_service_url": format!("{www}/mod/lti/service.php"),
                }),
            );
        }
        // lti_get_launch_container(): the activity's, else the type's; embed by default.
        let container = match instance.launchcontainer {
            1 => t.config.launchcontainer,
            other => other,
        };
        let container = if matches!(container, 0 | 1) {
            3
        } else {
            container
        };
        let target = match container {
            2 | 3 => Some("iframe"),
            4 => Some("frame"),
            5 => Some("window"),
            _ => None,
        };
        if let Some(target) = target {
            presentation["document_target"] = target.into();
        }
        presentation["return_url"] = format!(
            "{www}/mod/lti/return.php?course={}&launch_container={container}&instanceid={}&sesskey={}",
            course.id, instance.id, c.sesskey
        )
        .into();
    }
    let sendname = setting(t.config.sendname, None);
    if sendname {
        put("given_name", u.firstname.as_str().into());
        put("family_name", u.lastname.as_str().into());
        put("name", u.fullname().into());
    }
    let ext = if sendname {
        json!({"user_username": u.username, "lms": "moodle-2"})
    } else {
        json!({"lms": "moodle-2"})
    };
    put(&format!("{LTI}ext"), ext);
    if setting(t.config.sendemailaddr, None) {
        claims.insert("email".into(), u.email.as_str().into());
    }
    claims.insert(format!("{LTI}launch_presentation"), presentation);
    claims.insert(
        format!("{LTI}tool_platform"),
        json!({
            "product_family_code": "moodle",
            "version": db.site.version,
            "guid": ORGANISATION_ID,
            "name": db.site.shortname,
            "description": html_to_text(&db.site.fullname),
        }),
    );
    claims.insert(format!("{LTI}version"), "1.3.0".into());
    let mut custom = params::custom_parameters(c);
    let mut services = Map::new();
    params::service_claims(db, c, &mut custom, &mut services);
    if !custom.is_empty() {
        claims.insert(format!("{LTI}custom"), Value::Object(custom));
    }
    claims.extend(services);
    Value::Object(claims)
}

/// The deep linking settings claim (`lti_build_content_item_selection_request()` with the
/// arguments `auth.php` passes: multiple, nothing else).
pub fn deep_linking_settings(
    www: &str,
    courseid: i64,
    typeid: i64,
    sesskey: &str,
    title: &str,
    text: &str,
) -> Value {
    json!({
        "accept_types": ["ltiResourceLink"],
        "accept_presentation_document_targets": ["frame", "iframe", "window"],
        "accept_copy_advice": false,
        "accept_multiple": true,
        "accept_unsigned": false,
        "auto_create": false,
        "can_confirm": false,
        "deep_link_return_url": format!("{www}/mod/lti/contentitem_return.php?course={courseid}&id={typeid}&sesskey={sesskey}"),
        "title": title,
        "text": text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_become_sorted_lis_uris() {
        assert_eq!(
            roles_to_uris(&[
                "Instructor",
                "urn:lti:sysrole:ims/lis/Administrator",
                "urn:lti:instrole:ims/lis/Administrator"
            ]),
            vec![
                "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
                "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
                "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
            ]
        );
    }

    #[test]
    fn html_becomes_plain_text() {
        assert_eq!(
            html_to_text("<p>Launches the &amp; tool.</p>\n"),
            "Launches the & tool."
        );
    }
}
