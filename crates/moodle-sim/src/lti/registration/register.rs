//! `mod/lti/openid-registration.php` with `registration_helper`: the registration token (a
//! platform-signed JWT, checked by php-jwt, whose failures end on Moodle's error page) is
//! single use — a tool type with its client id must not exist yet; the tool's registration
//! JSON becomes a pending tool type (`registration_to_config()`, `lti_add_type()`), or
//! updates the type an update token names; the answer is the registration as Moodle
//! describes it back (`config_to_registration()`, with that code's operator-precedence
//! quirks kept: a non-zero setting counts as on).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, header};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::super::data::{
    CONTAINER_EMBED_NO_BLOCKS, SETTING_ALWAYS, SETTING_DELEGATE, SETTING_NEVER, STATE_PENDING,
    ToolType, TypeConfig, VERSION_1P3, domain_of,
};
use super::super::http::{self};
use super::super::token::{
    SCOPE_LINEITEM, SCOPE_LINEITEM_READ, SCOPE_MEMBERSHIPS_READ, SCOPE_RESULT_READ, SCOPE_SCORE,
    SCOPE_TOOL_SETTINGS,
};
use super::super::{php_jwt, platform_jwks, web};
use super::{NEW_REG, UPDATE_REG, php_encode};
use crate::endpoints::Shared;
use crate::state::{SITE_ID, State as Db, now};

/// A `registration_exception`: status and message, sent as the body.
type Refusal = (u16, String);

fn refuse(code: u16, message: &str) -> Refusal {
    (code, message.to_owned())
}

/// `openid-registration.php`.
pub(in crate::lti) async fn register(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method != Method::POST && method != Method::GET {
        return http::html(400, "Unsupported operation");
    }
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(token) = auth.strip_prefix("Bearer ") else {
        return http::html(401, "missing_registration_token");
    };
    let mut db = shared.db();
    let claims = match php_jwt::parse_key_set(&platform_jwks())
        .and_then(|keys| php_jwt::decode(token.trim(), &keys, now()))
    {
        Ok(c) => c,
        Err(message) => {
            // Not a registration_exception: Moodle's default exception handler answers.
            let site = db.site.clone();
            let v = web::current(&db, &headers);
            let me = v.as_ref().and_then(|v| web::who(&mut db, v));
            let who = me.as_ref().map(|(n, k)| (n.as_str(), k.as_str()));
            return http::fatal_error(
                &site,
                who,
                &format!("Exception - {message}"),
                "generalexceptionmessage",
            );
        }
    };
    let result = (|| -> Result<(u16, String), Refusal> {
        let (clientid, existing) = validate_token(&db, &claims)?;
        if method == Method::GET {
            let Some(t) = existing else {
                return Err(refuse(404, "No registration found."));
            };
            return Ok((200, php_encode(&to_registration(&t))));
        }
        let payload: Map<String, Value> = match serde_json::from_slice(&body) {
            Ok(Value::Object(m)) => m,
            _ => return Err(refuse(400, "missing required attribute response_types")),
        };
        let mut tool = to_config(&payload, &clientid)?;
        match existing {
            Some(old) => {
                tool.id = old.id;
                tool.state = old.state;
                tool.clientid = old.clientid;
            }
            None => tool.id = db.seq.next("lti_types"),
        }
        db.lti.types.insert(tool.id, tool.clone());
        Ok((200, php_encode(&to_registration(&tool))))
    })();
    match result {
        Ok((code, json)) => http::answer(code, "application/json; charset=utf-8", json),
        Err((code, message)) => http::html(code, message),
    }
}

/// `validate_registration_token()`: the client id to register and the type to update.
fn validate_token(
    db: &Db,
    claims: &Map<String, Value>,
) -> Result<(String, Option<ToolType>), Refusal> {
    let sub = match claims.get("sub") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    match claims.get("scope").and_then(Value::as_str) {
        Some(NEW_REG) => {
            if db.lti.type_by_clientid(&sub).is_some() {
                return Err(refuse(401, "token_already_used"));
            }
            Ok((sub, None))
        }
        Some(UPDATE_REG) => {
            let tool = db
                .lti
                .types
                .get(&crate::external::param::php_intval(&sub))
                .cloned();
            let tool = tool.ok_or_else(|| refuse(400, "Unknown client"))?;
            Ok((tool.clientid.clone(), Some(tool)))
        }
        _ => Err(refuse(403, "Incorrect scope")),
    }
}

/// `get_parameter()`: a present, non-empty value (tags stripped from strings).
fn parameter<'a>(
    payload: &'a Map<String, Value>,
    key: &str,
    required: bool,
) -> Result<Option<&'a Value>, Refusal> {
    let empty = |v: &Value| match v {
        Value::Null => true,
        Value::String(s) => s.is_empty() || s == "0",
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
    };
    match payload.get(key).filter(|v| !empty(v)) {
        Some(v) => Ok(Some(v)),
        None if required => Err(refuse(400, &format!("missing required attribute {key}"))),
        None => Ok(None),
    }
}

fn string(v: Option<&Value>) -> String {
    v.and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// `registration_to_config()`: the tool type a registration asks for (pending).
fn to_config(payload: &Map<String, Value>, clientid: &str) -> Result<ToolType, Refusal> {
    let response_types = strings(parameter(payload, "response_types", true)?);
    let initiate = string(parameter(payload, "initiate_login_uri", true)?);
    let redirect = parameter(payload, "redirect_uris", true)?;
    let client_name = string(parameter(payload, "client_name", true)?);
    let jwks = string(parameter(payload, "jwks_uri", true)?);
    let auth_method = string(parameter(payload, "token_endpoint_auth_method", true)?);
    let application_type = string(parameter(payload, "application_type", false)?);
    let logo = string(parameter(payload, "logo_uri", false)?);
    let empty = Map::new();
    let tc = parameter(
        payload,
        "https://purl.imsglobal.org/spec/lti-tool-configuration",
        true,
    )?
    .and_then(Value::as_object)
    .unwrap_or(&empty);
    let domain = string(parameter(tc, "domain", false)?);
    let target = string(parameter(tc, "target_link_uri", false)?);
    let custom = parameter(tc, "custom_parameters", false)?
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let scopes: Vec<String> = string(parameter(payload, "scope", false)?)
        .split(' ')
        .map(str::to_owned)
        .collect();
    let claims = strings(parameter(tc, "claims", false)?);
    let description = string(parameter(tc, "description", false)?);
    if domain.is_empty() {
        return Err(refuse(400, "missing_domain"));
    }
    let target = if target.is_empty() {
        format!("https://{domain}")
    } else {
        target
    };
    let domain = domain_of(&domain).unwrap_or_default();
    if Some(&domain) != domain_of(&target).as_ref() {
        return Err(refuse(400, "domain_targetlinkuri_mismatch"));
    }
    if !response_types.iter().any(|r| r == "id_token") {
        return Err(refuse(400, "invalid_response_types"));
    }
    if !redirect.is_some_and(Value::is_array) {
        return Err(refuse(400, "invalid_redirect_uris"));
    }
    if auth_method != "private_key_jwt" {
        return Err(refuse(400, "invalid_token_endpoint_auth_method"));
    }
    if !application_type.is_empty() && application_type != "web" {
        return Err(refuse(400, "invalid_application_type"));
    }
    let deeplink = tc.get("messages").and_then(Value::as_array).and_then(|m| {
        m.iter()
            .find(|m| m["type"] == "LtiDeepLinkingRequest")
            .map(|m| string(m.get("target_link_uri")))
    });
    let has = |s: &str| scopes.iter().any(|x| x == s);
    let gradesync = if has(SCOPE_LINEITEM) {
        2
    } else if has(SCOPE_SCORE) || has(SCOPE_RESULT_READ) || has(SCOPE_LINEITEM_READ) {
        1
    } else {
        0
    };
    let claim = |c: &str| claims.iter().any(|x| x == c);
    Ok(ToolType {
        id: 0,
        name: client_name,
        baseurl: target,
        tooldomain: domain,
        state: STATE_PENDING,
        course: SITE_ID,
        clientid: clientid.to_owned(),
        ltiversion: VERSION_1P3.to_owned(),
        description,
        icon: logo,
        config: TypeConfig {
            initiatelogin: initiate,
            redirectionuris: strings(redirect),
            publickeyset: jwks,
            contentitem: deeplink.is_some(),
            contentitem_url: deeplink.unwrap_or_default(),
            customparameters: custom
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{k}={}",
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                    )
                })
                .collect(),
            launchcontainer: CONTAINER_EMBED_NO_BLOCKS,
            sendname: if claim("name") || claim("given_name") || claim("family_name") {
                SETTING_ALWAYS
            } else {
                SETTING_NEVER
            },
            sendemailaddr: if claim("email") {
                SETTING_ALWAYS
            } else {
                SETTING_NEVER
            },
            acceptgrades: if gradesync > 0 {
                SETTING_DELEGATE
            } else {
                SETTING_NEVER
            },
            gradesync,
            memberships: i64::from(has(SCOPE_MEMBERSHIPS_READ)),
            toolsettings: i64::from(has(SCOPE_TOOL_SETTINGS)),
        },
    })
}

/// `config_to_registration()`.
fn to_registration(t: &ToolType) -> Value {
    let c = &t.config;
    let mut scopes = Vec::new();
    // `$config->ltiservice_gradesynchronization ?? 0 == 2` reads as `?? (0 == 2)`: any
    // non-zero setting adds the line item scope too.
    if c.gradesync != 0 {
        scopes.extend([
            SCOPE_SCORE,
            SCOPE_RESULT_READ,
            SCOPE_LINEITEM_READ,
            SCOPE_LINEITEM,
        ]);
    }
    if c.memberships != 0 {
        scopes.push(SCOPE_MEMBERSHIPS_READ);
    }
    if c.toolsettings != 0 {
        scopes.push(SCOPE_TOOL_SETTINGS);
    }
    let mut claims = vec!["sub", "iss"];
    if c.sendname != SETTING_NEVER {
        claims.extend(["name", "family_name", "given_name"]);
    }
    if c.sendemailaddr != SETTING_NEVER {
        claims.push("email");
    }
    let mut conf = Map::new();
    conf.insert("version".into(), t.ltiversion.clone().into());
    conf.insert("deployment_id".into(), t.id.to_string().into());
    conf.insert("target_link_uri".into(), t.baseurl.clone().into());
    conf.insert("domain".into(), t.tooldomain.clone().into());
    conf.insert("description".into(), t.description.clone().into());
    if c.contentitem {
        let mut message = json!({"type": "LtiDeepLinkingRequest"});
        if !c.contentitem_url.is_empty() {
            message["target_link_uri"] = c.contentitem_url.clone().into();
        }
        conf.insert("messages".into(), json!([message]));
    }
    let custom: Map<String, Value> = c
        .customparameters
        .iter()
        .filter_map(|l| {
            l.split_once('=')
                .map(|(k, v)| (k.to_owned(), Value::from(v)))
        })
        .collect();
    if !custom.is_empty() {
        conf.insert("custom_parameters".into(), Value::Object(custom));
    }
    conf.insert("claims".into(), json!(claims));
    json!({
        "client_id": t.clientid,
        "response_types": ["id_token"],
        "jwks_uri": c.publickeyset,
        "initiate_login_uri": c.initiatelogin,
        "grant_types": ["client_credentials", "implicit"],
        "redirect_uris": c.redirectionuris,
        "application_type": "web",
        "token_endpoint_auth_method": "private_key_jwt",
        "client_name": t.name,
        "logo_uri": t.icon,
        "scope": scopes.join(" "),
        "https://purl.imsglobal.org/spec/lti-tool-configuration": conf,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registration_without_a_domain_is_refused() {
        let payload = json!({
            "response_types": ["id_token"], "initiate_login_uri": "http://t/login",
            "redirect_uris": ["http://t/launch"], "client_name": "T", "jwks_uri": "http://t/jwks",
            "token_endpoint_auth_method": "private_key_jwt",
            "https://purl.imsglobal.org/spec/lti-tool-configuration": {"target_link_uri": "http://t/launch"},
        });
        let map = payload.as_object().cloned().unwrap_or_default();
        assert_eq!(
            to_config(&map, "c").unwrap_err(),
            (400, "missing_domain".to_owned())
        );
    }
}
