//! LTI Dynamic Registration, platform side: `mod/lti/openid-configuration.php` (the
//! platform's OpenID configuration), `mod/lti/startltiadvregistration.php` (an admin starts
//! a registration: when tools of the URL's domain exist Moodle first asks whether to update
//! one or register a new tool; then it redirects the browser to the tool with
//! `openid_configuration` and a one-hour `registration_token`) and, in `register.rs`,
//! `mod/lti/openid-registration.php`.

mod register;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::Response;
use serde_json::{Value, json};

pub(super) use register::register;

use super::data::domain_of;
use super::http::{self, escape, random_string, urlencode};
use super::keys;
use super::token::{
    SCOPE_BASIC_OUTCOMES, SCOPE_LINEITEM, SCOPE_LINEITEM_READ, SCOPE_MEMBERSHIPS_READ,
    SCOPE_RESULT_READ, SCOPE_SCORE, SCOPE_TOOL_SETTINGS,
};
use super::web::{self, data, require_sesskey, who};
use crate::endpoints::{Shared, request_vars, var};
use crate::state::{SYSTEM_CONTEXT, now};

/// `registration_helper::REG_TOKEN_OP_NEW_REG`.
pub const NEW_REG: &str = "reg";
/// `registration_helper::REG_TOKEN_OP_UPDATE_REG`.
pub const UPDATE_REG: &str = "reg-update";

/// `array_keys(lti_get_capabilities())`: the substitution variables Moodle knows.
const VARIABLES: &[&str] = &[
    "basic-lti-launch-request",
    "ContentItemSelectionRequest",
    "ToolProxyRegistrationRequest",
    "Context.id",
    "Context.title",
    "Context.label",
    "Context.id.history",
    "Context.sourcedId",
    "Context.longDescription",
    "Context.timeFrame.begin",
    "CourseSection.title",
    "CourseSection.label",
    "CourseSection.sourcedId",
    "CourseSection.longDescription",
    "CourseSection.timeFrame.begin",
    "CourseSection.timeFrame.end",
    "ResourceLink.id",
    "ResourceLink.title",
    "ResourceLink.description",
    "User.id",
    "User.username",
    "Person.name.full",
    "Person.name.given",
    "Person.name.family",
    "Person.email.primary",
    "Person.sourcedId",
    "Person.name.middle",
    "Person.address.street1",
    "Person.address.locality",
    "Person.address.country",
    "Person.address.timezone",
    "Person.phone.primary",
    "Person.phone.mobile",
    "Person.webaddress",
    "Membership.role",
    "Result.sourcedId",
    "Result.autocreate",
    "BasicOutcome.sourcedId",
    "BasicOutcome.url",
    "Moodle.Person.userGroupIds",
];

/// `openid-configuration.php`.
pub(super) async fn configuration(State(shared): State<Arc<Shared>>) -> Response {
    let (www, release) = {
        let db = shared.db();
        (db.site.wwwroot.clone(), db.site.release.clone())
    };
    // registration_helper::lti_get_service_scopes(): every service's scopes, then openid.
    let scopes = [
        SCOPE_BASIC_OUTCOMES,
        SCOPE_LINEITEM_READ,
        SCOPE_RESULT_READ,
        SCOPE_SCORE,
        SCOPE_LINEITEM,
        SCOPE_MEMBERSHIPS_READ,
        SCOPE_TOOL_SETTINGS,
        "openid",
    ];
    let conf = json!({
        "issuer": www,
        "token_endpoint": format!("{www}/mod/lti/token.php"),
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "jwks_uri": format!("{www}/mod/lti/certs.php"),
        "authorization_endpoint": format!("{www}/mod/lti/auth.php"),
        "registration_endpoint": format!("{www}/mod/lti/openid-registration.php"),
        "scopes_supported": scopes,
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
        "https://purl.imsglobal.org/spec/lti-platform-configuration": {
            "product_family_code": "moodle",
            "version": release,
            "messages_supported": [
                {"type": "LtiResourceLinkRequest"},
                {"type": "LtiDeepLinkingRequest", "placements": ["ContentArea"]},
            ],
            "variables": VARIABLES,
        },
    });
    http::json_pretty(200, "application/json; charset=utf-8", &conf)
}

/// `startltiadvregistration.php?url=…[&type=…]`.
pub(super) async fn start(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let vars = request_vars(uri.query(), &headers, &body);
    let mut db = shared.db();
    let here = uri
        .path_and_query()
        .map_or("/mod/lti/startltiadvregistration.php", |p| p.as_str())
        .to_owned();
    let v = match web::require_login(&mut db, &headers, &here) {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    let site = db.site.clone();
    let me = who(&mut db, &v);
    let who_ref = me.as_ref().map(|(n, k)| (n.as_str(), k.as_str()));
    if !db.has_capability(v.userid, "moodle/site:config", SYSTEM_CONTEXT) {
        return http::fatal_error(
            &site,
            who_ref,
            "Sorry, but you do not currently have permissions to do that (Change site configuration).",
            "nopermissions",
        );
    }
    let Some(url) = var(&vars, "url")
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
    else {
        return http::fatal_error(
            &site,
            who_ref,
            "A required parameter (url) was missing",
            "missingparam",
        );
    };
    let typeid = var(&vars, "type").map_or(-1, crate::external::param::php_intval);
    let domain = domain_of(&url);
    let types: Vec<super::ToolType> = db
        .lti
        .types
        .values()
        .filter(|t| t.course == crate::state::SITE_ID && Some(&t.tooldomain) == domain.as_ref())
        .cloned()
        .collect();
    if !types.is_empty() && typeid == -1 {
        let sesskey = data(&mut db, &v.sid).sesskey.clone();
        return choice_page(&site, who_ref, &types, &url, &sesskey);
    }
    if let Err((message, code)) = require_sesskey(&mut db, &v, var(&vars, "sesskey")) {
        return http::fatal_error(&site, who_ref, message, code);
    }
    let (sub, scope) = if typeid > 0 {
        (typeid.to_string(), UPDATE_REG)
    } else {
        (random_string(15), NEW_REG)
    };
    let now = now();
    let token = keys::sign(&json!({"sub": sub, "scope": scope, "iat": now, "exp": now + 3600}));
    let sep = if url.contains('?') { '&' } else { '?' };
    let location = format!(
        "{url}{sep}openid_configuration={}&registration_token={}",
        urlencode(&format!(
            "{}/mod/lti/openid-configuration.php",
            site.wwwroot
        )),
        urlencode(&token)
    );
    let mut resp = http::no_cache(http::html(302, ""));
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// `registration_upgrade_choice_page`: update one of the domain's tools, or a new tool.
fn choice_page(
    site: &crate::state::Site,
    who: Option<(&str, &str)>,
    types: &[super::ToolType],
    url: &str,
    sesskey: &str,
) -> Response {
    let enc = urlencode(url);
    let rows: String = types
        .iter()
        .map(|t| {
            format!(
                "  <tr>\n  <td>{}</td>\n  <td>{}</td>\n  <td>{}</td>\n  <td><button data-href=\"startltiadvregistration.php?url={enc}&type={}\" class=\"btn btn-outline-primary\">\n      Update\n      </button>\n  </td>\n  </tr>\n",
                escape(&t.name),
                escape(&t.baseurl),
                escape(&t.ltiversion),
                t.id
            )
        })
        .collect();
    let body = format!(
        "<p>There are existing tools attached to the registration's domain. Do you want to update an already installed\nexternal tool or create a new external tool?</p>\n<div class=\"alert alert-warning\" role=\"alert\">\nIt is not recommended to have multiple external tools under the same domain.\n</div>\n<table class=\"table table-striped\">\n<tr>\n<th>Tool name</th>\n<th>Base URL</th>\n<th>LTI version</th>\n<th></th>\n</tr>\n{rows}</table>\n<div>\n  <button data-href=\"startltiadvregistration.php?url={enc}&type=0\" class=\"btn btn-primary\">\n    Register as a new external tool\n  </button>\n</div>\n<form method=\"POST\" id=\"startregform\">\n  <input type=\"hidden\" name=\"sesskey\" value=\"{sesskey}\"/>\n</form>\n<script>\ndocument.querySelectorAll(\"button\").forEach(b => b.onclick = e => {{\n  document.querySelectorAll(\"button\").forEach(x => x.setAttribute(\"disabled\", true));\n  let form = document.getElementById(\"startregform\");\n  form.action = e.target.closest(\"button\").getAttribute(\"data-href\");\n  form.submit();\n}});\n</script>"
    );
    http::page_answer(200, http::page(site, "", who, &body))
}

/// A JSON value as PHP's `json_encode()` writes it (escaped slashes).
fn php_encode(v: &Value) -> String {
    String::from_utf8_lossy(&crate::php_json::encode(v)).into_owned()
}
