//! The browser side: sessions and the pages a person (or a headless browser) clicks through
//! to reach a launch. Session records are the site's (`PluginData::sessions`, which
//! `local_logintoken` also opens, so a token login lands on these pages logged in); this
//! module adds what a Moodle session carries for these pages (`sesskey`, the login token,
//! `$SESSION->wantsurl`, pending LTI launches) in [`WebSession`].

mod login;
mod modedit;
mod pages;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use axum::routing::{any, get};

use super::http::{self, SESSION_COOKIE};
use super::{WebSession, http::random_string};
use crate::endpoints::Shared;
use crate::plugins::Session;
use crate::state::{State as Db, now};

/// The pages.
pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/login/index.php", any(login::index))
        .route("/login/logout.php", get(login::logout))
        .route("/", get(pages::front))
        .route("/my/", get(pages::dashboard))
        .route("/course/view.php", get(pages::course))
        .route("/course/modedit.php", any(modedit::handle))
        .route("/mod/lti/view.php", get(pages::activity))
        .route("/mod/lti/return.php", get(pages::launch_return))
}

/// The browser's session: its id, whether it was just opened (the answer must set the
/// cookie), and its user (0 when not logged in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visitor {
    /// Session id.
    pub sid: String,
    /// Opened by this request.
    pub new: bool,
    /// The user, 0 for a guest session.
    pub userid: i64,
}

impl Visitor {
    /// The cookie to set, if the session is new.
    pub fn cookie(&self) -> Option<&str> {
        self.new.then_some(self.sid.as_str())
    }
}

/// The `MoodleSession` cookie of a request.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// The session of a request, if the site knows it.
pub fn current(db: &Db, headers: &HeaderMap) -> Option<Visitor> {
    let sid = session_cookie(headers)?;
    let session = db.plugins.sessions.get(&sid)?;
    let userid = if db.live_user(session.userid).is_some() {
        session.userid
    } else {
        0
    };
    Some(Visitor {
        sid,
        new: false,
        userid,
    })
}

/// `\core\session\manager::start()`: the request's session, or a new guest session.
pub fn visitor(db: &mut Db, headers: &HeaderMap) -> Visitor {
    if let Some(v) = current(db, headers) {
        return v;
    }
    let sid = open_session(db, 0);
    Visitor {
        sid,
        new: true,
        userid: 0,
    }
}

/// Opens a session for a user (0: guest) and returns its id.
pub fn open_session(db: &mut Db, userid: i64) -> String {
    let sid = new_session_id();
    db.plugins.sessions.insert(
        sid.clone(),
        Session {
            userid,
            timecreated: now(),
        },
    );
    sid
}

/// A PHP session id: 26 characters of `[0-9a-v]`.
fn new_session_id() -> String {
    use rand::Rng as _;
    let mut rng = rand::rng();
    (0..26)
        .map(|_| char::from(b"0123456789abcdefghijklmnopqrstuv"[rng.random_range(0..32)]))
        .collect()
}

/// The session's data, made on first use (`sesskey()` is `random_string(10)`).
pub fn data<'a>(db: &'a mut Db, sid: &str) -> &'a mut WebSession {
    db.lti
        .sessions
        .entry(sid.to_owned())
        .or_insert_with(|| WebSession {
            sesskey: random_string(10),
            logintoken: random_string(32),
            ..WebSession::default()
        })
}

/// The logged-in line of a page: the user's full name and the session key.
pub fn who(db: &mut Db, visitor: &Visitor) -> Option<(String, String)> {
    let name = db.live_user(visitor.userid)?.fullname();
    Some((name, data(db, &visitor.sid).sesskey.clone()))
}

/// `require_login()` for a page: the logged-in session, or a redirect to the login page that
/// remembers where the user wanted to go.
pub fn require_login(
    db: &mut Db,
    headers: &HeaderMap,
    wantsurl: &str,
) -> Result<Visitor, Box<Response>> {
    let v = visitor(db, headers);
    if v.userid > 0 {
        return Ok(v);
    }
    let wwwroot = db.site.wwwroot.clone();
    data(db, &v.sid).wantsurl = Some(format!("{wwwroot}{wantsurl}"));
    let resp = http::redirect(&format!("{wwwroot}/login/index.php"));
    Err(Box::new(http::with_session(resp, v.cookie())))
}

/// Whether a request carries the session's key.
pub fn sesskey_ok(db: &mut Db, visitor: &Visitor, given: Option<&str>) -> bool {
    given.is_some_and(|k| !k.is_empty() && data(db, &visitor.sid).sesskey == k)
}

/// `require_sesskey()`: without the parameter `missingparam`, with a wrong one
/// `invalidsesskey` — the error page's message and code.
pub fn require_sesskey(
    db: &mut Db,
    visitor: &Visitor,
    given: Option<&str>,
) -> Result<(), (&'static str, &'static str)> {
    match given {
        None => Err(("A required parameter (sesskey) was missing", "missingparam")),
        Some(_) if sesskey_ok(db, visitor, given) => Ok(()),
        Some(_) => Err((
            "Your session has most likely timed out. Please check if you are logged in or go back to the previous screen and reload the page.",
            "invalidsesskey",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; MoodleSession=abc; MOODLEID1_=x"),
        );
        assert_eq!(session_cookie(&h).as_deref(), Some("abc"));
        assert_eq!(session_cookie(&HeaderMap::new()), None);
    }

    #[test]
    fn a_session_id_looks_like_phps() {
        let id = new_session_id();
        assert_eq!(id.len(), 26);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'v').contains(&b))
        );
    }
}
