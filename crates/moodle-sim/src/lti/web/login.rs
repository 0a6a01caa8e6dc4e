//! `login/index.php` and `login/logout.php`: form login with the seeded passwords, as
//! Moodle runs it — a login token tied to the session, success through
//! `?testsession=<userid>` to `$SESSION->wantsurl` (else `/my/`), failure back to the form
//! with "Invalid login, please try again". A successful login opens a new session id
//! (`complete_user_login()`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;

use super::{Visitor, data, open_session, sesskey_ok, visitor, who};
use crate::endpoints::{Shared, request_vars, var};
use crate::lti::http::{self, escape};
use crate::state::{State as Db, now};

/// `get_string('invalidlogin')`.
const INVALID_LOGIN: &str = "Invalid login, please try again";

/// `login/index.php`.
pub(super) async fn index(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let vars = request_vars(uri.query(), &headers, &body);
    let mut db = shared.db();
    let v = visitor(&mut db, &headers);
    let wwwroot = db.site.wwwroot.clone();
    if let Some(wantsurl) = var(&vars, "wantsurl").filter(|w| w.starts_with('/')) {
        data(&mut db, &v.sid).wantsurl = Some(format!("{wwwroot}{wantsurl}"));
    }
    let resp = if let Some(test) = var(&vars, "testsession") {
        test_session(&mut db, &v, test)
    } else if method == Method::POST && var(&vars, "username").is_some() {
        log_in(
            &mut db,
            &v,
            var(&vars, "username").unwrap_or_default(),
            var(&vars, "password").unwrap_or_default(),
            var(&vars, "logintoken").unwrap_or_default(),
        )
    } else {
        form_page(&mut db, &v)
    };
    http::with_session(resp, v.cookie())
}

/// `authenticate_user_login()` then `complete_user_login()`.
fn log_in(db: &mut Db, v: &Visitor, username: &str, password: &str, logintoken: &str) -> Response {
    let wwwroot = db.site.wwwroot.clone();
    let token_ok = !logintoken.is_empty() && data(db, &v.sid).logintoken == logintoken;
    let username = username.trim().to_lowercase();
    let user = db
        .users
        .values()
        .find(|u| u.username == username && !u.deleted)
        .filter(|u| {
            token_ok
                && !u.password.is_empty()
                && u.password == password
                && !u.suspended
                && u.auth != "nologin"
        })
        .map(|u| u.id);
    let Some(userid) = user else {
        // login_attempt_failed(), as login/token.php records it.
        let known = db
            .users
            .values()
            .find(|u| u.username == username && !u.deleted)
            .map(|u| u.id);
        if let Some(id) = known.filter(|_| token_ok) {
            let key = (id, "login_failed_count_since_success".to_owned());
            let count = db
                .preferences
                .get(&key)
                .and_then(|c| c.parse::<i64>().ok())
                .unwrap_or(0);
            db.preferences.insert(key, (count + 1).to_string());
        }
        data(db, &v.sid).loginerror = Some(INVALID_LOGIN.to_owned());
        return http::redirect(&format!("{wwwroot}/login/index.php?loginredirect=1"));
    };
    // A new session id for the logged-in user; what the old session wanted goes along.
    let wantsurl = data(db, &v.sid).wantsurl.take();
    db.plugins.sessions.remove(&v.sid);
    db.lti.sessions.remove(&v.sid);
    let sid = open_session(db, userid);
    data(db, &sid).wantsurl = wantsurl;
    db.sync_enrolments(userid, now(), true);
    let resp = http::redirect(&format!("{wwwroot}/login/index.php?testsession={userid}"));
    http::with_session(resp, Some(&sid))
}

/// `?testsession=<userid>`: the cookie came back, so go where the user wanted.
fn test_session(db: &mut Db, v: &Visitor, test: &str) -> Response {
    let wwwroot = db.site.wwwroot.clone();
    if v.userid > 0 && test == v.userid.to_string() {
        let to = data(db, &v.sid)
            .wantsurl
            .take()
            .unwrap_or_else(|| format!("{wwwroot}/my/"));
        return http::redirect(&to);
    }
    form_page(db, v)
}

/// The login form (or, when logged in, the "already logged in" notice).
fn form_page(db: &mut Db, v: &Visitor) -> Response {
    let site = db.site.clone();
    let me = who(db, v);
    let body = if let Some((name, sesskey)) = &me {
        format!(
            "<p>You are already logged in as {}, you need to log out before logging in as different user.</p>\n<p><a href=\"{}/login/logout.php?sesskey={sesskey}\">Log out</a> <a href=\"{}/my/\">Cancel</a></p>",
            escape(name),
            site.wwwroot,
            site.wwwroot
        )
    } else {
        let s = data(db, &v.sid);
        let error = s
            .loginerror
            .take()
            .map(|e| format!("<div class=\"alert alert-danger\" role=\"alert\" data-aria-autofocus=\"true\">{}</div>\n", escape(&e)))
            .unwrap_or_default();
        format!(
            "<h1>Log in to {}</h1>\n{error}<form class=\"login-form\" action=\"{}/login/index.php\" method=\"post\" id=\"login\">\n  <input id=\"anchor\" type=\"hidden\" name=\"anchor\" value=\"\">\n  <input type=\"hidden\" name=\"logintoken\" value=\"{}\">\n  <label for=\"username\">Username</label> <input type=\"text\" name=\"username\" id=\"username\" value=\"\" autocomplete=\"username\">\n  <label for=\"password\">Password</label> <input type=\"password\" name=\"password\" id=\"password\" value=\"\" autocomplete=\"current-password\">\n  <button class=\"btn btn-primary\" type=\"submit\" id=\"loginbtn\">Log in</button>\n</form>",
            escape(&site.fullname),
            site.wwwroot,
            s.logintoken
        )
    };
    let who = me.as_ref().map(|(n, k)| (n.as_str(), k.as_str()));
    http::page_answer(
        200,
        http::page(
            &site,
            &format!("Log in to the site | {}", site.shortname),
            who,
            &body,
        ),
    )
}

/// `login/logout.php`: with the session key, ends the session; without, back to the site.
pub(super) async fn logout(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let vars = request_vars(uri.query(), &headers, &[]);
    let mut db = shared.db();
    let wwwroot = db.site.wwwroot.clone();
    let Some(v) = super::current(&db, &headers) else {
        return http::redirect(&format!("{wwwroot}/login/index.php"));
    };
    if sesskey_ok(&mut db, &v, var(&vars, "sesskey")) {
        db.plugins.sessions.remove(&v.sid);
        db.lti.sessions.remove(&v.sid);
        return http::redirect(&format!("{wwwroot}/login/index.php"));
    }
    http::redirect(&format!("{wwwroot}/my/"))
}
