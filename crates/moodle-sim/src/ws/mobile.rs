//! The mobile app's functions: `tool_mobile_get_autologin_key` and
//! `tool_mobile_get_public_config` (`admin/tool/mobile/classes/external.php`).

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Call, FunctionDef, params};
use crate::errors::WsError;
use crate::external::desc::*;
use crate::fixture::random_token;
use crate::state::LoginKey;

/// `tool_mobile\api::LOGIN_KEY_TTL`.
const LOGIN_KEY_TTL: i64 = 60;
/// `autologinmintimebetweenreq` default: six minutes.
const MIN_TIME_BETWEEN_REQUESTS: i64 = 360;

pub(super) fn functions() -> Vec<FunctionDef> {
    vec![
        FunctionDef {
            name: "tool_mobile_get_autologin_key",
            params: || single(vec![("privatetoken", alphanum())]),
            returns: || {
                Some(single(vec![
                    ("key", alphanum()),
                    ("autologinurl", url()),
                    ("warnings", warnings()),
                ]))
            },
            run: get_autologin_key,
            write: true,
        },
        FunctionDef {
            name: "tool_mobile_get_public_config",
            params: || single(vec![]),
            returns: || Some(public_config_structure()),
            run: get_public_config,
            write: false,
        },
    ]
}

#[derive(Deserialize)]
struct AutologinParams {
    privatetoken: String,
}

fn get_autologin_key(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: AutologinParams = params(p)?;
    if !call
        .request
        .user_agent
        .to_lowercase()
        .contains("moodlemobile")
    {
        return Err(WsError::moodle(
            "apprequired",
            "This functionality is only available when accessed via the Moodle mobile or desktop app.",
        ));
    }
    if !call.state.site.webservices || !call.state.site.mobile_webservices {
        return Err(WsError::moodle(
            "enablewsdescription",
            "Web services must be enabled in Advanced features.",
        ));
    }
    if !call.request.https {
        return Err(WsError::moodle("httpsrequired", "HTTPS required"));
    }
    if call.is_siteadmin() {
        return Err(WsError::moodle(
            "autologinnotallowedtoadmins",
            "Auto-login is not allowed for site admins.",
        ));
    }
    let invalid = || {
        WsError::moodle(
            "invalidprivatetoken",
            "Invalid private token. Token should not be empty or passed via GET parameter.",
        )
    };
    if call.request.in_query("privatetoken") || p.privatetoken.is_empty() {
        return Err(invalid());
    }
    let pref = (call.userid, "tool_mobile_autologin_request_last".to_owned());
    let last: i64 = call
        .state
        .preferences
        .get(&pref)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if call.now - last < MIN_TIME_BETWEEN_REQUESTS {
        return Err(WsError::moodle(
            "autologinkeygenerationlockout",
            format!(
                "Auto-login key generation is blocked. You need to wait {} minutes between requests.",
                MIN_TIME_BETWEEN_REQUESTS / 60
            ),
        ));
    }
    call.state.preferences.insert(pref, call.now.to_string());
    if call.token.privatetoken.as_deref() != Some(p.privatetoken.as_str()) {
        return Err(invalid());
    }
    let key = random_token();
    call.state
        .login_keys
        .retain(|_, k| !(k.userid == call.userid && k.script == "tool_mobile"));
    call.state.login_keys.insert(
        key.clone(),
        LoginKey {
            userid: call.userid,
            script: "tool_mobile".to_owned(),
            iprestriction: call.request.remote_addr.clone(),
            validuntil: call.now + LOGIN_KEY_TTL,
        },
    );
    Ok(json!({
        "key": key,
        "autologinurl": format!("{}/admin/tool/mobile/autologin.php", call.state.site.wwwroot),
        "warnings": [],
    }))
}

fn public_config_structure() -> Desc {
    single(vec![
        ("wwwroot", raw()),
        ("httpswwwroot", raw()),
        ("sitename", raw()),
        ("guestlogin", int()),
        ("rememberusername", int()),
        ("authloginviaemail", int()),
        ("registerauth", plugin()),
        ("forgottenpasswordurl", url()),
        ("authinstructions", raw()),
        ("authnoneenabled", int()),
        ("enablewebservices", int()),
        ("enablemobilewebservice", int()),
        ("maintenanceenabled", int()),
        ("maintenancemessage", raw()),
        ("logourl", url().optional()),
        ("compactlogourl", url().optional()),
        ("typeoflogin", int()),
        ("launchurl", url().optional()),
        ("mobilecssurl", url().optional()),
        ("tool_mobile_disabledfeatures", raw().optional()),
        (
            "identityproviders",
            multiple(single(vec![
                ("name", text()),
                ("iconurl", url()),
                ("url", url()),
            ]))
            .optional(),
        ),
        ("country", notags().optional()),
        ("agedigitalconsentverification", boolean().optional()),
        ("supportname", notags().optional()),
        ("supportemail", email().optional()),
        ("supportpage", url().optional()),
        ("supportavailability", int().optional()),
        ("autolang", int().optional()),
        ("lang", lang().optional()),
        ("langmenu", int().optional()),
        ("langlist", raw().optional()),
        ("locale", raw().optional()),
        ("tool_mobile_minimumversion", notags().optional()),
        ("tool_mobile_iosappid", alphanum().optional()),
        ("tool_mobile_androidappid", notags().optional()),
        ("tool_mobile_setuplink", url().optional()),
        ("tool_mobile_qrcodetype", int().optional()),
        ("warnings", warnings()),
        ("showloginform", int().optional()),
    ])
}

fn get_public_config(call: &mut Call<'_>, _p: Value) -> Result<Value, WsError> {
    let site = &call.state.site;
    Ok(json!({
        "wwwroot": site.wwwroot,
        "httpswwwroot": site.wwwroot,
        "sitename": site.fullname,
        "guestlogin": 1,
        "rememberusername": 2,
        "authloginviaemail": 0,
        "registerauth": "",
        "forgottenpasswordurl": "",
        "authinstructions": "",
        "authnoneenabled": 0,
        "enablewebservices": i64::from(site.webservices),
        "enablemobilewebservice": i64::from(site.mobile_webservices),
        "maintenanceenabled": i64::from(site.maintenance),
        "maintenancemessage": "",
        "typeoflogin": 1,
        "launchurl": format!("{}/admin/tool/mobile/launch.php", site.wwwroot),
        "mobilecssurl": "",
        "tool_mobile_disabledfeatures": "",
        "country": "0",
        "agedigitalconsentverification": false,
        "supportpage": "",
        "supportavailability": 1,
        "autolang": 1,
        "lang": "en",
        "langmenu": 1,
        "langlist": "",
        "locale": "",
        "tool_mobile_minimumversion": "",
        "tool_mobile_iosappid": "633359593",
        "tool_mobile_androidappid": "com.moodle.moodlemobile",
        "tool_mobile_setuplink": "https://download.moodle.org/mobile",
        "tool_mobile_qrcodetype": 1,
        "warnings": [],
        "showloginform": 1,
    }))
}
