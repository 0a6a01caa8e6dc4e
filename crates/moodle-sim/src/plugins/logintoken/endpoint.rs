//! `local/logintoken/auth/logintoken.php` (the entry script and `local\endpoint`): token login,
//! `wsfunction=local_logintoken_validate_token`, and login key redemption, each behind the same
//! guards (enabled, rate limit, HTTPS), answering in the seed's JSON shapes or with a redirect.
//! The token travels in a POST body only (a GET gets the 405 page unless `allowget` is on), site
//! administrators are refused (`refuseadmins`), and a browser where somebody else is logged in
//! gets the confirmation page before it switches users.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::checker::{Checker, Refusal, record_failure, retry_after};
use super::session::{self, SESSION_COOKIE};
use super::{
    KEY_SCRIPT, LASTACCESS_UPDATE_SECS, PLUGIN, pages, redirect_url, token_info, user_summary,
};
use crate::endpoints::{Shared, request_info, request_vars, var};
use crate::external::param::ParamType;
use crate::php::{PhpArray, PhpKey};
use crate::php_json;
use crate::plugins::LoginFailedEvent;
use crate::state::{State as Db, User, now};
use crate::ws::RequestInfo;

/// What the script answers.
enum Answer {
    /// A JSON body with a status, maybe a `Retry-After` and a new session.
    Json {
        status: u16,
        body: Value,
        retry_after: i64,
        session: Option<String>,
    },
    /// `redirect()`: 303 to a URL, with the new session.
    Redirect { location: String, session: String },
    /// One of the HTML pages (`pages`): 405 with `Allow: POST`, or the 409 confirmation.
    Page { status: u16, html: String },
}

/// The script's parameters, cleaned as `optional_param()` cleans them.
struct Params {
    token: String,
    wsfunction: String,
    key: String,
    userid: i64,
    redirect: bool,
    wantsurl: String,
    confirm: bool,
    sesskey: Option<String>,
}

impl Params {
    fn read(vars: &PhpArray, wwwroot: &str) -> Self {
        let clean = |name: &str, ty: ParamType| -> String {
            var(vars, name).map_or_else(String::new, |v| {
                crate::external::param::php_string(&ty.clean(&Value::from(v), wwwroot))
            })
        };
        Params {
            token: clean("wstoken", ParamType::AlphaNum),
            wsfunction: clean("wsfunction", ParamType::AlphaNumExt),
            key: clean("key", ParamType::AlphaNum),
            userid: crate::external::param::php_intval(&clean("userid", ParamType::Int)),
            redirect: clean("redirect", ParamType::Bool) == "1",
            wantsurl: clean("wantsurl", ParamType::LocalUrl),
            confirm: clean("confirm", ParamType::Bool) == "1",
            sesskey: var(vars, "sesskey").map(str::to_owned),
        }
    }
}

/// The request as the flows see it.
struct Request<'a> {
    info: &'a RequestInfo,
    /// The session the browser already has, if any.
    session: Option<String>,
    now: i64,
}

pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let vars = request_vars(uri.query(), &headers, &body);
    let info = request_info(&headers);
    let request = Request {
        info: &info,
        session: session::session_cookie(&headers),
        now: now(),
    };
    let mut db = shared.db();
    let p = Params::read(&vars, &db.site.wwwroot);
    let token_in_url = crate::php::parse(uri.query().unwrap_or_default().as_bytes())
        .get(&PhpKey::Str("wstoken".to_owned()))
        .is_some();
    let allow_get = db.plugins.get_config_int(PLUGIN, "allowget") != 0;
    let answer = if !p.key.is_empty() {
        guarded(&mut db, &request, "key", false, |db| {
            redeem(db, &request, &p)
        })
    } else if !allow_get && method != Method::POST {
        // endpoint::accepts_token_transport().
        Answer::Page {
            status: 405,
            html: pages::post_required(),
        }
    } else if !allow_get && token_in_url {
        refusal_answer(Refusal::new("tokeninurl", 400), false, 0)
    } else if p.wsfunction == "local_logintoken_validate_token" {
        guarded(&mut db, &request, "validate", true, |db| {
            validate(db, &request, &p)
        })
    } else if p.wsfunction.is_empty() || p.wsfunction == "local_logintoken_login_with_token" {
        guarded(&mut db, &request, "token", false, |db| {
            login(db, &request, &p)
        })
    } else {
        guarded(&mut db, &request, "token", false, |_| {
            Err(Refusal::new("unknownfunction", 400))
        })
    };
    drop(db);
    respond(answer)
}

/// `endpoint::guarded()`: enabled, rate limit and HTTPS first; a refusal becomes the seed's
/// error JSON, counted and logged when it could be a guess at a credential.
fn guarded(
    db: &mut Db,
    request: &Request<'_>,
    method: &str,
    validation: bool,
    work: impl FnOnce(&mut Db) -> Result<Answer, Refusal>,
) -> Answer {
    let addr = request.info.remote_addr.as_str();
    let mut retry = 0;
    let result = (|| {
        let checker = Checker {
            state: db,
            remote_addr: addr,
            now: request.now,
        };
        checker.require_enabled()?;
        retry = retry_after(&db.plugins, addr, request.now);
        if retry > 0 {
            return Err(Refusal::new("ratelimited", 429));
        }
        checker.require_https(request.info.https)?;
        work(db)
    })();
    match result {
        Ok(answer) => answer,
        Err(refusal) => {
            if refusal.counts_as_attempt() {
                record_failure(&mut db.plugins, addr, request.now);
                db.plugins.events.push(LoginFailedEvent {
                    reason: refusal.reason.to_owned(),
                    method: method.to_owned(),
                    relateduserid: refusal.relateduserid,
                    time: request.now,
                });
            }
            refusal_answer(refusal, validation, retry)
        }
    }
}

/// `endpoint::send_refusal()`: the seed's error JSON (a validation refusal starts with
/// `valid: false`).
fn refusal_answer(refusal: Refusal, validation: bool, retry_after: i64) -> Answer {
    let mut body = json!({
        "success": false,
        "error": refusal.title(),
        "message": refusal.description(),
        "errorcode": refusal.reason,
    });
    if validation {
        let mut with_valid = serde_json::Map::new();
        with_valid.insert("valid".to_owned(), Value::Bool(false));
        if let Value::Object(rest) = body {
            with_valid.extend(rest);
        }
        body = Value::Object(with_valid);
    }
    Answer::Json {
        status: refusal.status,
        body,
        retry_after,
        session: None,
    }
}

/// `endpoint::login()`.
fn login(db: &mut Db, request: &Request<'_>, p: &Params) -> Result<Answer, Refusal> {
    let (token, user) = checker(db, request).check_token(&p.token)?;
    checker(db, request).check_may_log_in(&user)?;
    let carry = [
        ("wstoken", p.token.clone()),
        ("redirect", if p.redirect { "1" } else { "0" }.to_owned()),
        ("wantsurl", p.wantsurl.clone()),
    ];
    let relogin = |db: &mut Db| {
        update_token_lastaccess(db, &token.token, request.now);
        let addr = request.info.remote_addr.as_str();
        super::create_login_key(db, user.id, addr, &p.wantsurl, request.now).2
    };
    if let Some(answer) = switch_unconfirmed(db, request, p, &user, &carry, relogin)? {
        return Ok(answer);
    }
    let session = session::log_in(db, &user, request.session.as_deref(), request.now);
    update_token_lastaccess(db, &token.token, request.now);
    let url = redirect_url(db, &p.wantsurl);
    if p.redirect {
        return Ok(Answer::Redirect {
            location: url,
            session,
        });
    }
    Ok(Answer::Json {
        status: 200,
        body: json!({
            "success": true,
            "message": "Login successful",
            "user": user_summary(&user),
            "redirect_url": url,
            "session_id": session,
        }),
        retry_after: 0,
        session: Some(session),
    })
}

/// `endpoint::validate()`.
fn validate(db: &mut Db, request: &Request<'_>, p: &Params) -> Result<Answer, Refusal> {
    let (token, user) = checker(db, request).check_token(&p.token)?;
    Ok(Answer::Json {
        status: 200,
        body: json!({
            "valid": true,
            "message": "Token is valid",
            "user": user_summary(&user),
            "token_info": token_info(&token),
        }),
        retry_after: 0,
        session: None,
    })
}

/// `endpoint::redeem()`: `login_manager::check_login_key()`, the user checks, the confirmation
/// when somebody else is logged in (the key stays valid until the login), a session.
fn redeem(db: &mut Db, request: &Request<'_>, p: &Params) -> Result<Answer, Refusal> {
    let invalid = || Refusal::new("invalidkey", 401);
    // validate_user_key(): unknown, expired or from another address.
    let key = db
        .login_keys
        .get(&p.key)
        .filter(|k| k.script == KEY_SCRIPT)
        .cloned()
        .ok_or_else(invalid)?;
    if key.validuntil != 0 && key.validuntil < request.now {
        return Err(invalid());
    }
    if !key.iprestriction.is_empty()
        && !crate::endpoints::ajax::address_in_subnet(&request.info.remote_addr, &key.iprestriction)
    {
        return Err(invalid());
    }
    if key.userid != p.userid {
        return Err(invalid());
    }
    let user = db.users.get(&p.userid).cloned().ok_or_else(invalid)?;
    checker(db, request).check_user(&user)?;
    checker(db, request).check_may_log_in(&user)?;
    let carry = [
        ("userid", p.userid.to_string()),
        ("key", p.key.clone()),
        ("wantsurl", p.wantsurl.clone()),
    ];
    let relogin = |db: &mut Db| super::key_url(&db.site.wwwroot, p.userid, &p.key, &p.wantsurl);
    if let Some(answer) = switch_unconfirmed(db, request, p, &user, &carry, relogin)? {
        return Ok(answer);
    }
    // login_manager::use_login_key().
    db.login_keys
        .retain(|_, k| !(k.script == KEY_SCRIPT && k.userid == p.userid));
    let session = session::log_in(db, &user, request.session.as_deref(), request.now);
    Ok(Answer::Redirect {
        location: redirect_url(db, &p.wantsurl),
        session,
    })
}

/// `endpoint::switch_confirmed()`: `None` to go on with the login here (nobody else is logged
/// in in the browser); else the confirmation page, or, for a confirmation with the session's
/// sesskey, the other user's logout (`require_logout()`: a new, empty session) and a redirect to
/// `relogin`'s one-time login URL, where the next request logs the user in.
///
/// # Errors
/// `invalidsesskey` (403) for a confirmation without the session's sesskey.
fn switch_unconfirmed(
    db: &mut Db,
    request: &Request<'_>,
    p: &Params,
    user: &User,
    carry: &[(&str, String)],
    relogin: impl FnOnce(&mut Db) -> String,
) -> Result<Option<Answer>, Refusal> {
    let Some((sid, current)) = session::other_user_logged_in(db, request.session.as_deref(), user)
    else {
        return Ok(None);
    };
    let sesskey = session::sesskey(db, &sid);
    if !p.confirm {
        let html = pages::confirm_switch(
            &db.site.wwwroot,
            &current.fullname(),
            &user.fullname(),
            carry,
            &sesskey,
        );
        return Ok(Some(Answer::Page { status: 409, html }));
    }
    if p.sesskey.as_deref() != Some(sesskey.as_str()) {
        return Err(Refusal::new("invalidsesskey", 403));
    }
    let session = session::log_out(db, &sid, request.now);
    let location = relogin(db);
    Ok(Some(Answer::Redirect { location, session }))
}

/// `webservice::update_token_lastaccess()`: at most once a minute.
fn update_token_lastaccess(db: &mut Db, token: &str, now: i64) {
    if let Some(t) = db.tokens.get_mut(token)
        && now >= t.lastaccess + LASTACCESS_UPDATE_SECS
    {
        t.lastaccess = now;
    }
}

fn checker<'a>(db: &'a Db, request: &'a Request<'_>) -> Checker<'a> {
    Checker {
        state: db,
        remote_addr: &request.info.remote_addr,
        now: request.now,
    }
}

fn respond(answer: Answer) -> Response {
    let (status, body, retry_after, session, location) = match answer {
        Answer::Json {
            status,
            body,
            retry_after,
            session,
        } => (status, php_json::encode(&body), retry_after, session, None),
        Answer::Page { status, html } => {
            let mut resp = Response::new(Body::from(html));
            *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let h = resp.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if status == 405 {
                h.insert(header::ALLOW, HeaderValue::from_static("POST"));
            }
            return resp;
        }
        Answer::Redirect { location, session } => {
            let page = format!(
                "<html><body><a href=\"{}\">This page should automatically redirect.</a></body></html>",
                location.replace('"', "%22")
            );
            (303, page.into_bytes(), 0, Some(session), Some(location))
        }
    };
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let h = resp.headers_mut();
    let content_type = if location.is_some() {
        "text/html; charset=utf-8"
    } else {
        "application/json; charset=utf-8"
    };
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let mut set = |name: header::HeaderName, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    };
    if retry_after > 0 {
        set(header::RETRY_AFTER, retry_after.to_string());
    }
    if let Some(sid) = session {
        set(
            header::SET_COOKIE,
            format!("{SESSION_COOKIE}={sid}; path=/; HttpOnly"),
        );
    }
    if let Some(location) = location {
        set(header::LOCATION, location);
    }
    resp
}
