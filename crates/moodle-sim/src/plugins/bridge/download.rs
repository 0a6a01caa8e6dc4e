//! `local/bridge/download.php` (`local\file_download`): a learner's file listed by
//! `local_bridge_list_user_files`, to a token whose service includes that function and whose
//! user passes the course's login checks (`require_login()`: an active enrolment or
//! `moodle/course:view`) and may view learners' files there; refusals as JSON in the shape of
//! Moodle's file scripts, with an HTTP status.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::{PLUGIN, files, writer};
use crate::endpoints::ajax::authenticate;
use crate::endpoints::{Shared, request_vars, var};
use crate::errors::WsError;
use crate::external::param::{ParamType, php_intval, php_string};
use crate::php_json;
use crate::state::{State as Db, StoredFile, User, now};

pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let vars = request_vars(uri.query(), &headers, &body);
    let token = var(&vars, "token").map_or_else(String::new, |t| {
        php_string(&ParamType::AlphaNum.clean(&Value::from(t), ""))
    });
    let int = |name: &str| var(&vars, name).map_or(0, php_intval);
    let mut db = shared.db();
    let debug = db.site.debug;
    let result = serve(&mut db, &token, int("courseid"), int("fileid"));
    drop(db);
    match result {
        Ok(file) => send(&file),
        Err(err) => send_error(&err, debug),
    }
}

/// `file_download::serve()`.
fn serve(db: &mut Db, token: &str, courseid: i64, fileid: i64) -> Result<StoredFile, WsError> {
    if db.plugins.get_config_int(PLUGIN, "enabledownload") == 0 {
        return Err(WsError::moodle(
            "downloaddisabled",
            "File download through the Moodle Bridge plugin is disabled on this site.",
        ));
    }
    for (name, given) in [
        ("token", !token.is_empty()),
        ("courseid", courseid > 0),
        ("fileid", fileid > 0),
    ] {
        if !given {
            return Err(WsError::missing_param(name));
        }
    }
    let (user, service) = authenticate(db, token)?;
    check_token_user(&user)?;
    if !service.downloadfiles {
        return Err(WsError::access(
            "Web service file downloading must be enabled in external service settings",
        ));
    }
    if !service
        .functions
        .iter()
        .any(|f| f == "local_bridge_list_user_files")
    {
        return Err(WsError::access(
            "The service of this token does not include local_bridge_list_user_files",
        ));
    }
    let ctx = writer::course_context(db, courseid)?;
    // require_login($course, false, null, false, true).
    let now = now();
    db.require_course_login(user.id, courseid, now)?;
    db.require_capability(user.id, "local/bridge:viewuserfiles", ctx)?;
    files::downloadable_file(db, user.id, courseid, fileid, now).ok_or_else(|| {
        WsError::moodle(
            "filenotfound",
            "Sorry, the requested file could not be found",
        )
    })
}

/// The user checks `webservice::authenticate_user()` makes after the service's (the stand-in's
/// shared `authenticate()` stops before them): confirmed, not suspended, not `nologin`. The last
/// two `moodle_exception`s name strings of the `webservice` language file under the `moodle`
/// component, so Moodle answers the string's identifier, `error/<code>`.
fn check_token_user(user: &User) -> Result<(), WsError> {
    let refusal = if !user.confirmed {
        Some("usernotconfirmed")
    } else if user.suspended {
        Some("wsaccessusersuspended")
    } else if user.auth == "nologin" {
        Some("wsaccessusernologin")
    } else {
        None
    };
    match refusal {
        Some("usernotconfirmed") => Err(WsError::moodle(
            "usernotconfirmed",
            format!("Could not confirm {}", user.username),
        )),
        Some(code) => Err(WsError::moodle(code, format!("error/{code}"))),
        None => Ok(()),
    }
}

/// `file_download::STATUS`: the HTTP status of a refusal.
fn status_of(errorcode: &str) -> u16 {
    match errorcode {
        "invalidtoken" => 401,
        "accessexception"
        | "wsaccessusersuspended"
        | "wsaccessusernologin"
        | "usernotconfirmed"
        | "passwordisexpired"
        | "requireloginerror"
        | "usernotfullysetup"
        | "sitepolicynotagreed"
        | "forcepasswordchangenotice"
        | "nopermissions"
        | "downloaddisabled" => 403,
        "invalidrecord" | "invalidcourseid" | "invalidrecordunknown" | "filenotfound" => 404,
        "sitemaintenance" => 503,
        _ => 400,
    }
}

/// `file_download::send_error()`. In developer debugging Moodle's exception message carries
/// its debuginfo in brackets.
fn send_error(err: &WsError, debug: bool) -> Response {
    let message = match (&err.debuginfo, debug) {
        (Some(info), true) => format!("{} ({info})", err.message),
        _ => err.message.clone(),
    };
    let body = json!({
        "error": message,
        "errorcode": err.errorcode,
        "stacktrace": Value::Null,
        "debuginfo": Value::Null,
        "reproductionlink": Value::Null,
    });
    let mut resp = Response::new(Body::from(php_json::encode(&body)));
    *resp.status_mut() =
        StatusCode::from_u16(status_of(&err.errorcode)).unwrap_or(StatusCode::BAD_REQUEST);
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `send_stored_file($file, 0, 0, true)`: the file as an attachment.
fn send(file: &StoredFile) -> Response {
    let mut resp = Response::new(Body::from(Bytes::copy_from_slice(&file.content)));
    let h = resp.headers_mut();
    let mut set = |name: header::HeaderName, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    };
    set(
        header::CONTENT_TYPE,
        file.mimetype
            .clone()
            .unwrap_or_else(|| "document/unknown".to_owned()),
    );
    set(
        header::CONTENT_DISPOSITION,
        format!(
            "attachment; filename=\"{}\"",
            file.filename.replace('"', "")
        ),
    );
    set(header::ETAG, format!("\"{}\"", file.contenthash));
    set(header::ACCEPT_RANGES, "bytes".to_owned());
    resp
}
