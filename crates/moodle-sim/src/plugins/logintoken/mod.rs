//! `local_logintoken`: `auth/logintoken.php` (token login, validation, login key redemption)
//! and the functions `local_logintoken_login_with_token` and `local_logintoken_validate_token`,
//! as `moodle-plugin/local_logintoken/` implements them.

mod checker;
mod endpoint;
mod functions;
mod pages;
mod session;

use serde_json::{Value, json};

pub(super) use endpoint::handle as handle_entry;
pub(super) use functions::functions;

use super::PluginData;
use crate::state::{State, Token, User};

/// The entry script.
pub(super) const ENTRY_PATH: &str = "/local/logintoken/auth/logintoken.php";
/// The plugin's component name (its settings' plugin name).
const PLUGIN: &str = "local_logintoken";
/// `login_manager::KEY_SCRIPT`: the `user_private_key.script` of login keys.
const KEY_SCRIPT: &str = "local_logintoken";
/// `login_manager::KEY_TTL`: seconds a login key stays valid.
const KEY_TTL: i64 = 60;
/// `webservice::TOKEN_LASTACCESS_UPDATE_SECS`.
const LASTACCESS_UPDATE_SECS: i64 = 60;

/// The settings' defaults (`settings.php`).
pub(super) fn default_settings(data: &mut PluginData) {
    for (name, value) in [
        ("enabled", "1"),
        ("requirehttps", "0"),
        ("allowedservices", "local_logintoken,moodle_mobile_app"),
        ("refuseadmins", "1"),
        ("allowget", "0"),
        ("redirecturl", ""),
        ("maxfailedattempts", "20"),
        ("lockoutwindow", "900"),
    ] {
        data.set_config(PLUGIN, name, value);
    }
}

/// `login_manager::user_summary()`: the user as the seed's answers describe it.
fn user_summary(user: &User) -> Value {
    json!({
        "id": user.id,
        "username": user.username,
        "firstname": user.firstname,
        "lastname": user.lastname,
        "email": user.email,
        "fullname": user.fullname(),
    })
}

/// `login_manager::token_info()`: the token's times (0 = never).
fn token_info(token: &Token) -> Value {
    json!({
        "created": token.timecreated,
        "last_access": token.lastaccess,
        "valid_until": token.validuntil,
    })
}

/// `login_manager::redirect_url()`: the requested local URL, else the configured one, else
/// the site.
fn redirect_url(state: &State, wantsurl: &str) -> String {
    if !wantsurl.is_empty() {
        return absolute_local_url(&state.site.wwwroot, wantsurl);
    }
    let configured = state.plugins.get_config(PLUGIN, "redirecturl");
    if configured.is_empty() {
        format!("{}/", state.site.wwwroot)
    } else {
        configured.to_owned()
    }
}

/// `login_manager::create_login_key()`: a one-time key for a user (their earlier ones go),
/// bound to an address unless it is empty; the key, its expiry and the URL redeeming it.
fn create_login_key(
    state: &mut State,
    userid: i64,
    ipaddress: &str,
    wantsurl: &str,
    now: i64,
) -> (String, i64, String) {
    state
        .login_keys
        .retain(|_, k| !(k.script == KEY_SCRIPT && k.userid == userid));
    let key = crate::fixture::random_token();
    let validuntil = now + KEY_TTL;
    state.login_keys.insert(
        key.clone(),
        crate::state::LoginKey {
            userid,
            script: KEY_SCRIPT.to_owned(),
            iprestriction: ipaddress.to_owned(),
            validuntil,
        },
    );
    let url = key_url(&state.site.wwwroot, userid, &key, wantsurl);
    (key, validuntil, url)
}

/// The URL redeeming a login key, as `moodle_url` writes it (no empty `wantsurl`).
fn key_url(wwwroot: &str, userid: i64, key: &str, wantsurl: &str) -> String {
    let mut url = format!("{wwwroot}{ENTRY_PATH}?userid={userid}&key={key}");
    if !wantsurl.is_empty() {
        url.push_str("&wantsurl=");
        url.push_str(&rawurlencode(wantsurl));
    }
    url
}

/// `(new moodle_url($localurl))->out(false)` for a cleaned PARAM_LOCALURL value.
fn absolute_local_url(wwwroot: &str, url: &str) -> String {
    if url.starts_with('/') {
        format!("{wwwroot}{url}")
    } else {
        url.to_owned()
    }
}

/// PHP's `rawurlencode()`, as `moodle_url` encodes parameter values.
fn rawurlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_encoded_like_moodle_url() {
        assert_eq!(
            rawurlencode("/course/view.php?id=2"),
            "%2Fcourse%2Fview.php%3Fid%3D2"
        );
        assert_eq!(rawurlencode("a b~"), "a%20b~");
    }

    #[test]
    fn local_urls_become_absolute() {
        assert_eq!(
            absolute_local_url("http://m", "/my/"),
            "http://m/my/".to_owned()
        );
        assert_eq!(absolute_local_url("http://m", "http://m/x"), "http://m/x");
    }
}
