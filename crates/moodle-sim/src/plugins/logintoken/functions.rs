//! `local_logintoken_login_with_token` and `local_logintoken_validate_token`
//! (`classes/external/`).

use serde::Deserialize;
use serde_json::{Value, json};

use super::checker::{is_service_allowed, refuses_admins};
use super::{PLUGIN, create_login_key, token_info, user_summary};
use crate::errors::WsError;
use crate::external::desc::*;
use crate::external::param::ParamType;
use crate::state::SYSTEM_CONTEXT;
use crate::ws::{Call, FunctionDef, params};

/// The functions of `db/services.php`.
pub(in crate::plugins) fn functions() -> Vec<FunctionDef> {
    vec![
        FunctionDef {
            name: "local_logintoken_login_with_token",
            params: || {
                single(vec![
                    ("wantsurl", localurl().default("")),
                    ("ipaddress", value(ParamType::RawTrimmed).default("")),
                ])
            },
            returns: || {
                Some(single(vec![
                    ("key", alphanumext()),
                    ("loginurl", url()),
                    ("validuntil", int()),
                    ("user", user_structure()),
                    ("warnings", warnings()),
                ]))
            },
            run: login_with_token,
            write: true,
        },
        FunctionDef {
            name: "local_logintoken_validate_token",
            params: || single(vec![]),
            returns: || {
                Some(single(vec![
                    ("valid", boolean()),
                    ("message", text()),
                    ("user", user_structure()),
                    (
                        "token_info",
                        single(vec![
                            ("created", int()),
                            ("last_access", int()),
                            ("valid_until", int()),
                        ]),
                    ),
                ]))
            },
            run: validate_token,
            write: false,
        },
    ]
}

/// `validate_token::user_structure()`.
fn user_structure() -> Desc {
    single(vec![
        ("id", int()),
        ("username", raw()),
        ("firstname", notags()),
        ("lastname", notags()),
        ("email", raw()),
        ("fullname", notags()),
    ])
}

#[derive(Deserialize)]
struct LoginParams {
    wantsurl: String,
    ipaddress: String,
}

/// Refuses the call when token login is off (`logindisabled`).
fn require_enabled(call: &Call<'_>) -> Result<(), WsError> {
    if call.state.plugins.get_config_int(PLUGIN, "enabled") == 0 {
        return Err(WsError::moodle(
            "logindisabled",
            "Token login is disabled on this site.",
        ));
    }
    Ok(())
}

fn login_with_token(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: LoginParams = params(p)?;
    if !p.ipaddress.is_empty() && p.ipaddress.parse::<std::net::IpAddr>().is_err() {
        return Err(WsError::invalid_parameter("ipaddress: not an IP address"));
    }
    call.require_capability("local/logintoken:usetoken", SYSTEM_CONTEXT)?;
    require_enabled(call)?;
    if call.state.plugins.get_config_int(PLUGIN, "requirehttps") != 0 && !call.request.https {
        return Err(WsError::moodle(
            "httpsrequired",
            "Token login is only accepted over HTTPS on this site.",
        ));
    }
    // The calling token's service must be one whose tokens may log in.
    let service_allowed = call
        .state
        .services
        .get(&call.token.serviceid)
        .is_some_and(|s| is_service_allowed(&call.state.plugins, &s.shortname));
    if !service_allowed {
        return Err(WsError::moodle(
            "servicenotallowed",
            "Tokens of this web service cannot be used to log in.",
        ));
    }
    let user = call
        .state
        .live_user(call.userid)
        .cloned()
        .ok_or_else(|| WsError::missing_record_by_id("user", call.userid))?;
    if refuses_admins(&call.state.plugins) && user.siteadmin {
        return Err(WsError::moodle(
            "adminrefused",
            "Site administrators cannot be logged in with a token on this site.",
        ));
    }
    let (key, validuntil, loginurl) =
        create_login_key(call.state, call.userid, &p.ipaddress, &p.wantsurl, call.now);
    Ok(json!({
        "key": key,
        "loginurl": loginurl,
        "validuntil": validuntil,
        "user": user_summary(&user),
        "warnings": [],
    }))
}

fn validate_token(call: &mut Call<'_>, _p: Value) -> Result<Value, WsError> {
    call.require_capability("local/logintoken:usetoken", SYSTEM_CONTEXT)?;
    require_enabled(call)?;
    // The token of this call as the site has it now (its last access updated by the server).
    let token = call
        .state
        .tokens
        .get(&call.token.token)
        .cloned()
        .unwrap_or_else(|| call.token.clone());
    let user = call
        .state
        .live_user(call.userid)
        .cloned()
        .ok_or_else(|| WsError::missing_record_by_id("user", call.userid))?;
    Ok(json!({
        "valid": true,
        "message": "Token is valid",
        "user": user_summary(&user),
        "token_info": token_info(&token),
    }))
}
