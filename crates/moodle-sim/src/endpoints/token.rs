//! `login/token.php`: username and password to a permanent web-service token, reusing the
//! newest valid token like `core_external\util::generate_token_for_current_user()`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::ajax::error_response;
use super::{Shared, request_info, request_vars, var, with_type};
use crate::errors::WsError;
use crate::external::param::ParamType;
use crate::fixture::random_token;
use crate::php_json;
use crate::state::{SYSTEM_CONTEXT, State as Db, Token, now};

/// `$CFG->tokenduration`: twelve weeks.
const TOKEN_DURATION: i64 = 12 * 7 * 86_400;
const CONTENT_TYPE: &str = "application/json; charset=utf-8";

pub(super) async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let vars = request_vars(uri.query(), &headers, &body);
    let https = request_info(&headers).https;
    let mut db = shared.db();
    let (debug, wwwroot) = (db.site.debug, db.site.wwwroot.clone());
    let result = issue(&mut db, &vars, https);
    drop(db);
    let mut resp = match result {
        Ok(body) => with_type(StatusCode::OK, CONTENT_TYPE, php_json::encode(&body)),
        Err(err) => error_response(&err, CONTENT_TYPE, debug, &wwwroot),
    };
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache, must-revalidate, post-check=0, pre-check=0"),
    );
    resp
}

fn thrown(line: u32) -> String {
    format!("* line {line} of /login/token.php: core\\exception\\moodle_exception thrown\n")
}

fn issue(db: &mut Db, vars: &crate::php::PhpArray, https: bool) -> Result<Value, WsError> {
    if !db.site.webservices {
        return Err(WsError::moodle(
            "enablewsdescription",
            "Web services must be enabled in Advanced features.",
        )
        .thrown_at(thrown(34)));
    }
    if var(vars, "appsitecheck").is_some_and(|v| crate::external::param::php_intval(v) != 0) {
        return Ok(json!({"appsitecheck": "ok"}));
    }
    // required_param() at lines 44-46 of login/token.php, through core\param; lib/moodlelib.php's
    // required_param() is at line 646 in 4.5, 657 in 5.0.
    let moodlelib = if db.site.moodle.at_least_5_0() {
        657
    } else {
        646
    };
    let required = |name: &str, line: u32| {
        var(vars, name).map(str::to_owned).ok_or_else(|| {
            WsError::missing_param(name).thrown_at(format!(
                "* line 574 of /lib/classes/param.php: core\\exception\\moodle_exception thrown\n\
                 * line 452 of /lib/classes/param.php: call to core\\param->get_request_parameter()\n\
                 * line {moodlelib} of /lib/moodlelib.php: call to core\\param->required_param()\n\
                 * line {line} of /login/token.php: call to required_param()\n"
            ))
        })
    };
    let username = required("username", 44)?;
    let password = required("password", 45)?;
    let service = required("service", 46)?;
    let username = ParamType::Username
        .clean(&Value::from(username), &db.site.wwwroot)
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let service = ParamType::AlphaNumExt
        .clean(&Value::from(service), &db.site.wwwroot)
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let Some(user) = db
        .users
        .values()
        .find(|u| u.username == username && !u.deleted)
        .cloned()
    else {
        return Err(invalid_login());
    };
    if user.password.is_empty() || user.password != password || user.auth == "nologin" {
        // login_attempt_failed()
        let key = (user.id, "login_failed_count_since_success".to_owned());
        let count = db
            .preferences
            .get(&key)
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        db.preferences.insert(key, (count + 1).to_string());
        return Err(invalid_login());
    }
    if user.suspended {
        return Err(invalid_login());
    }
    if db.site.maintenance && !user.siteadmin {
        return Err(WsError::moodle(
            "sitemaintenance",
            "The site is undergoing maintenance and is currently not available",
        )
        .thrown_at(thrown(64)));
    }
    if user.username == "guest" {
        return Err(
            WsError::moodle("noguest", "Guests cannot use this function").thrown_at(thrown(68)),
        );
    }
    if !user.confirmed {
        return Err(WsError::moodle(
            "usernotconfirmed",
            format!(
                "Your account has not been confirmed yet ({})",
                user.username
            ),
        )
        .thrown_at(thrown(71)));
    }
    let Some(svc) = db
        .services
        .values()
        .find(|s| s.shortname == service && s.enabled)
        .cloned()
    else {
        return Err(WsError::moodle(
            "servicenotavailable",
            "Web service is not available. (It doesn't exist or might be disabled.)",
        )
        .thrown_at(thrown(92)));
    };
    let now = now();
    // The newest valid token of this user for this service.
    let existing = db
        .tokens
        .values()
        .filter(|t| t.userid == user.id && t.serviceid == svc.id)
        .filter(|t| t.validuntil == 0 || t.validuntil >= now)
        .max_by_key(|t| t.timecreated)
        .cloned();
    let token = match existing {
        Some(t) => t,
        None => {
            let official = svc.shortname == "moodle_mobile_app";
            let may_create = (official
                && db.has_capability(
                    user.id,
                    "moodle/webservice:createmobiletoken",
                    SYSTEM_CONTEXT,
                ))
                || (!user.siteadmin
                    && db.has_capability(user.id, "moodle/webservice:createtoken", SYSTEM_CONTEXT));
            if !may_create {
                return Err(WsError::moodle(
                    "cannotcreatetoken",
                    format!(
                        "No permission to create web service token for the service {}.",
                        svc.shortname
                    ),
                ));
            }
            let token = Token {
                token: random_token(),
                userid: user.id,
                serviceid: svc.id,
                contextid: SYSTEM_CONTEXT,
                validuntil: now + TOKEN_DURATION,
                iprestriction: String::new(),
                privatetoken: Some(format!("{}{}", random_token(), random_token())),
                timecreated: now,
                lastaccess: 0,
                name: format!("{}-token", svc.shortname),
            };
            db.tokens.insert(token.token.clone(), token.clone());
            token
        }
    };
    let privatetoken = if https && !user.siteadmin {
        token.privatetoken.map_or(Value::Null, Value::from)
    } else {
        Value::Null
    };
    Ok(json!({"token": token.token, "privatetoken": privatetoken}))
}

fn invalid_login() -> WsError {
    WsError::moodle("invalidlogin", "Invalid login, please try again").thrown_at(thrown(112))
}
