//! `webservice/rest/server.php`: token authentication, function lookup and access
//! control, parameter validation, execution and JSON/XML output, in the order
//! `webservice_base_server::run()` does them. Errors are HTTP 200 bodies, as on Moodle.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::{Map, Value};

use super::{Shared, request_info, request_vars, var, with_type};
use crate::errors::WsError;
use crate::external::desc::{
    CleanContext, clean_returnvalue, html_escape, validate_parameters, xmlize,
};
use crate::php::{PhpArray, PhpKey, PhpValue};
use crate::php_json;
use crate::state::{SYSTEM_CONTEXT, State as Db, Token, now};
use crate::ws::{Call, RequestInfo};

/// The REST response formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

const ACCESS_DENIED_DETAIL: &str = "Access to the function {f}() is not allowed.
                     There could be multiple reasons for this:
                     1. The service linked to the user token does not contain the function.
                     2. The service is user-restricted and the user is not listed.
                     3. The service is IP-restricted and the user IP is not listed.
                     4. The service is time-restricted and the time has expired.
                     5. The token is time-restricted and the time has expired.
                     6. The service requires a specific capability which the user does not have.
                     7. The function is called with username/password (no user token is sent)
                     and none of the services has the function to allow the user.
                     These settings can be found in Administration > Site administration
                     > Server > Web services > External services and Manage tokens.";

pub(super) async fn handle(
    State(shared): State<Arc<Shared>>,
    _method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut vars = request_vars(uri.query(), &headers, &body);
    let format = match var(&vars, "moodlewsrestformat") {
        Some("json") => Format::Json,
        _ => Format::Xml,
    };
    let mut info = request_info(&headers);
    info.query_names = crate::php::parse(uri.query().unwrap_or_default().as_bytes())
        .keys()
        .map(PhpKey::as_string)
        .collect();
    let mut db = shared.db();
    let debug = db.site.debug;
    let result = run(&shared, &mut db, &mut vars, &info);
    db.plugins.outbox.end_request();
    drop(db);
    match result {
        Ok(body) => respond(format, body),
        Err(err) => respond(format, error_body(format, &err, debug)),
    }
}

fn run(
    shared: &Shared,
    db: &mut Db,
    vars: &mut PhpArray,
    info: &RequestInfo,
) -> Result<Vec<u8>, WsError> {
    let format = match var(vars, "moodlewsrestformat") {
        Some("json") => Format::Json,
        _ => Format::Xml,
    };
    let token = var(vars, "wstoken").unwrap_or_default().to_owned();
    let function = var(vars, "wsfunction").unwrap_or_default().to_owned();
    for reserved in ["moodlewsrestformat", "wstoken", "wsfunction"] {
        vars.shift_remove(&PhpKey::Str(reserved.to_owned()));
    }
    vars.retain(|k, _| !matches!(k, PhpKey::Str(name) if name.starts_with("moodlewssetting")));

    let now = now();
    let token = authenticate(db, &token, now)?;
    let userid = token.userid;

    if function.is_empty() {
        return Err(WsError::invalid_parameter("Missing function name"));
    }
    let Some(info_row) = shared.catalog.get(&function) else {
        return Err(db.site.missing_record(
            "external_functions",
            format!(
                "SELECT * FROM {{external_functions}} WHERE name = ?\n[array (\n  0 => '{function}',\n)]"
            ),
        ));
    };
    let allowed = db
        .services
        .get(&token.serviceid)
        .is_some_and(|s| s.enabled && s.functions.iter().any(|f| f == &info_row.name));
    if !allowed {
        return Err(WsError::access(
            ACCESS_DENIED_DETAIL.replace("{f}", &function),
        ));
    }
    let Some(def) = shared.registry.get(function.as_str()).copied() else {
        return Err(WsError::coding(&format!(
            "moodle-sim does not implement the web service function {function}"
        )));
    };

    crate::plugins::begin_ws_request(db, &token);
    let wwwroot = db.site.wwwroot.clone();
    let cx = CleanContext {
        wwwroot: &wwwroot,
        moodle: db.site.moodle,
    };
    let params = validate_parameters(&(def.params)(), &php_to_json(vars), cx)?;
    // A function with a delegated transaction leaves nothing behind when it fails: it runs on
    // a copy that is kept only when the call succeeds. The ids it took stay used, as
    // PostgreSQL sequences do when a transaction rolls back.
    let mut tx = def.write.then(|| db.clone());
    let mut call = Call {
        state: tx.as_mut().unwrap_or(db),
        userid,
        token: token.clone(),
        now,
        request: info,
        catalog: &shared.catalog,
    };
    let returned = match (def.run)(&mut call, params) {
        Ok(v) => v,
        Err(e) => {
            if let Some(tx) = tx {
                db.seq = tx.seq;
            }
            return Err(e);
        }
    };
    // The function committed before its answer is checked against its description.
    if let Some(tx) = tx {
        *db = tx;
    }
    let body = match (def.returns)() {
        None => match format {
            Format::Json => b"null".to_vec(),
            Format::Xml => {
                b"<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<RESPONSE>\n</RESPONSE>\n".to_vec()
            }
        },
        Some(desc) => {
            let cleaned = clean_returnvalue(&desc, &returned, cx)?;
            match format {
                Format::Json => php_json::encode(&cleaned),
                Format::Xml => {
                    let mut xml =
                        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<RESPONSE>\n");
                    xmlize(&cleaned, &desc, &mut xml);
                    xml.push_str("</RESPONSE>\n");
                    xml.into_bytes()
                }
            }
        }
    };
    Ok(body)
}

/// `webservice_server::authenticate_user()` for a permanent token.
fn authenticate(db: &mut Db, token: &str, now: i64) -> Result<Token, WsError> {
    let Some(found) = db.tokens.get(token).cloned() else {
        return Err(WsError::invalid_token());
    };
    if found.validuntil != 0 && found.validuntil < now {
        db.tokens.remove(token);
        return Err(WsError::access(
            "Invalid token - token expired - check validuntil time for the token",
        ));
    }
    if !found.iprestriction.is_empty()
        && !crate::endpoints::ajax::address_in_subnet("127.0.0.1", &found.iprestriction)
    {
        return Err(WsError::access(
            "Invalid service - IP:127.0.0.1 is not supported - check this allowed user",
        ));
    }
    let user = db
        .users
        .get(&found.userid)
        .cloned()
        .ok_or_else(|| db.site.missing_record_by_id("user", found.userid))?;
    if db.site.maintenance && !user.siteadmin {
        return Err(WsError::moodle(
            "sitemaintenance",
            "The site is undergoing maintenance and is currently not available",
        ));
    }
    if user.deleted {
        return Err(WsError::moodle(
            "wsaccessuserdeleted",
            format!(
                "Refused web service access for deleted username: {}",
                user.username
            ),
        ));
    }
    if !user.confirmed {
        return Err(WsError::moodle(
            "wsaccessuserunconfirmed",
            format!(
                "Refused web service access for unconfirmed username: {}",
                user.username
            ),
        ));
    }
    if user.suspended {
        return Err(WsError::moodle(
            "wsaccessusersuspended",
            format!(
                "Refused web service access for suspended username: {}",
                user.username
            ),
        ));
    }
    if user.auth == "nologin" {
        return Err(WsError::moodle(
            "wsaccessusernologin",
            format!(
                "Refused web service access for nologin authentication username: {}",
                user.username
            ),
        ));
    }
    if !db.has_capability(user.id, "webservice/rest:use", SYSTEM_CONTEXT) {
        return Err(WsError::access(
            "You are not allowed to use the rest protocol (missing capability: webservice/rest:use)",
        ));
    }
    db.sync_enrolments(user.id, now, false);
    if let Some(t) = db.tokens.get_mut(token) {
        t.lastaccess = now;
    }
    Ok(found)
}

/// Request variables as JSON for validation: arrays become objects with PHP's keys.
fn php_to_json(vars: &PhpArray) -> Value {
    Value::Object(
        vars.iter()
            .map(|(k, v)| {
                let v = match v {
                    PhpValue::Str(s) => Value::String(s.clone()),
                    PhpValue::Array(a) => php_to_json(a),
                };
                (k.as_string(), v)
            })
            .collect::<Map<_, _>>(),
    )
}

/// `webservice_rest_server::generate_error()`.
fn error_body(format: Format, err: &WsError, debug: bool) -> Vec<u8> {
    match format {
        Format::Json => {
            let mut obj = Map::new();
            obj.insert("exception".into(), Value::from(err.exception.clone()));
            obj.insert("errorcode".into(), Value::from(err.errorcode.clone()));
            obj.insert("message".into(), Value::from(err.message.clone()));
            if debug && let Some(d) = &err.debuginfo {
                obj.insert("debuginfo".into(), Value::from(d.as_ref()));
            }
            php_json::encode(&Value::Object(obj))
        }
        Format::Xml => {
            let mut xml = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<EXCEPTION class=\"{}\">\n<ERRORCODE>{}</ERRORCODE>\n<MESSAGE>{}</MESSAGE>\n",
                err.exception,
                html_escape(&err.errorcode),
                html_escape(&err.message)
            );
            if debug && let Some(d) = &err.debuginfo {
                xml.push_str(&format!("<DEBUGINFO>{}</DEBUGINFO>\n", html_escape(d)));
            }
            xml.push_str("</EXCEPTION>\n");
            xml.into_bytes()
        }
    }
}

/// `webservice_rest_server::send_headers()`.
fn respond(format: Format, body: Vec<u8>) -> Response {
    let mut resp = match format {
        Format::Json => with_type(StatusCode::OK, "application/json", body),
        Format::Xml => {
            let mut r = with_type(StatusCode::OK, "application/xml; charset=utf-8", body);
            r.headers_mut().insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("inline; filename=\"response.xml\""),
            );
            r
        }
    };
    let h = resp.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, must-revalidate, pre-check=0, post-check=0, max-age=0"),
    );
    h.insert(
        header::EXPIRES,
        HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"),
    );
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("none"));
    resp
}
