//! `mod/lti/token.php`: the OAuth 2 client-credentials grant with a JWT client assertion.
//! The assertion's `sub` picks the tool type by client id; its signature is checked against
//! the tool's key set (`keyset.rs`); `aud`, `iss` and `jti` are not checked (Moodle 4.5
//! does not). The granted scopes are the requested ones the tool is permitted, in the
//! requested order. The body is written as Moodle's heredoc writes it — including error
//! messages put in unescaped — and sent as PHP's default `text/html`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::Response;

use super::data::{AccessToken, SETTING_NEVER, ToolType};
use super::{http, keyset, php_jwt};
use crate::endpoints::{Shared, request_vars, var};
use crate::state::now;

/// `LTI_ACCESS_TOKEN_LIFE`.
pub const ACCESS_TOKEN_LIFE: i64 = 3600;

/// `SCOPE_BASIC_OUTCOMES`.
pub const SCOPE_BASIC_OUTCOMES: &str = "https://purl.imsglobal.org/spec/lti-bo/scope/basicoutcome";
/// The AGS scopes.
pub const SCOPE_LINEITEM_READ: &str =
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly";
/// Results.
pub const SCOPE_RESULT_READ: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly";
/// Scores.
pub const SCOPE_SCORE: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
/// Line item management.
pub const SCOPE_LINEITEM: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem";
/// NRPS.
pub const SCOPE_MEMBERSHIPS_READ: &str =
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";
/// Tool settings (Moodle's own service).
pub const SCOPE_TOOL_SETTINGS: &str = "https://purl.imsglobal.org/spec/lti-ts/scope/toolsetting";

/// `gradebookservices::get_permitted_scopes()` for a `ltiservice_gradesynchronization` value.
pub fn gradebook_scopes(setting: i64) -> Vec<&'static str> {
    match setting {
        0 => Vec::new(),
        2 => vec![
            SCOPE_LINEITEM_READ,
            SCOPE_RESULT_READ,
            SCOPE_SCORE,
            SCOPE_LINEITEM,
        ],
        _ => vec![SCOPE_LINEITEM_READ, SCOPE_RESULT_READ, SCOPE_SCORE],
    }
}

/// `lti_get_permitted_service_scopes()`: every service's permitted scopes, in
/// `lti_get_services()` order (basic outcomes, gradebook, memberships, tool settings).
pub fn permitted_scopes(tool: &ToolType) -> Vec<&'static str> {
    let c = &tool.config;
    let mut scopes = Vec::new();
    if c.acceptgrades != SETTING_NEVER {
        scopes.push(SCOPE_BASIC_OUTCOMES);
    }
    scopes.extend(gradebook_scopes(c.gradesync));
    if c.memberships == 1 {
        scopes.push(SCOPE_MEMBERSHIPS_READ);
    }
    if c.toolsettings == 1 {
        scopes.push(SCOPE_TOOL_SETTINGS);
    }
    scopes
}

fn error(message: &str) -> Response {
    http::html(400, format!("{{\n  \"error\" : \"{message}\"\n}}"))
}

/// `token.php`.
pub(super) async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or_default();
    if method != Method::POST || content_type != "application/x-www-form-urlencoded" {
        return error("invalid_request");
    }
    let vars = request_vars(uri.query(), &headers, &body);
    let p = |name: &str| var(&vars, name).unwrap_or_default().trim().to_owned();
    let (assertion, assertion_type) = (p("client_assertion"), p("client_assertion_type"));
    let (grant_type, scope) = (p("grant_type"), p("scope"));
    if [&assertion, &assertion_type, &grant_type, &scope]
        .iter()
        .any(|s| s.is_empty())
    {
        return error("invalid_request");
    }
    if assertion_type != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        || grant_type != "client_credentials"
    {
        return error("unsupported_grant_type");
    }
    let Some(sub) = php_jwt::claims_unverified(&assertion)
        .and_then(|c| c.get("sub").and_then(|s| s.as_str().map(str::to_owned)))
        .filter(|s| !s.is_empty())
    else {
        return error("invalid_request");
    };
    let Some(tool) = shared.db().lti.type_by_clientid(&sub).cloned() else {
        return error("invalid_client");
    };
    if let Err(message) = keyset::verify_tool_jwt(&shared, tool.id, &sub, &assertion).await {
        return error(&message);
    }
    let permitted = permitted_scopes(&tool);
    let scopes: Vec<&str> = scope.split(' ').filter(|s| permitted.contains(s)).collect();
    if scopes.is_empty() {
        return error("invalid_scope");
    }
    // lti_new_access_token(): md5(uniqid(rand(), 1)).
    let token = crate::state::sha1_hex(http::random_string(32).as_bytes())[..32].to_owned();
    shared.db().lti.access_tokens.insert(
        token.clone(),
        AccessToken {
            typeid: tool.id,
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            validuntil: now() + ACCESS_TOKEN_LIFE,
        },
    );
    http::html(
        200,
        format!(
            "{{\n  \"access_token\" : \"{token}\",\n  \"token_type\" : \"Bearer\",\n  \"expires_in\" : {ACCESS_TOKEN_LIFE},\n  \"scope\" : \"{}\"\n}}",
            scopes.join(" ")
        ),
    )
}
