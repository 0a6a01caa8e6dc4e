//! The browser session side of `auth/logintoken.php`: the request's `MoodleSession`, whether
//! somebody else is logged in in it (`login_manager::other_user_logged_in()`), its `sesskey`,
//! and the new session a login opens (`login_manager::log_in()`). Session records are the
//! site's (`PluginData::sessions`, shared with the stand-in's login page); a session's
//! `sesskey` lives with its page data (`LtiData::sessions`).

use axum::http::{HeaderMap, header};

use crate::lti::WebSession;
use crate::plugins::Session;
use crate::state::{State as Db, User};

/// Moodle's session cookie.
pub(super) const SESSION_COOKIE: &str = "MoodleSession";

/// `login_manager::other_user_logged_in()`: the browser's session and its user, when that is a
/// logged-in user other than `user`.
pub(super) fn other_user_logged_in(
    db: &Db,
    session: Option<&str>,
    user: &User,
) -> Option<(String, User)> {
    let sid = session?;
    let session = db.plugins.sessions.get(sid)?;
    let current = db.live_user(session.userid)?;
    (current.id != user.id && current.username != "guest")
        .then(|| (sid.to_owned(), current.clone()))
}

/// The session's `sesskey()` (`random_string(10)`), made on first use; the site's pages share it.
pub(super) fn sesskey(db: &mut Db, sid: &str) -> String {
    db.lti
        .sessions
        .entry(sid.to_owned())
        .or_insert_with(|| WebSession {
            sesskey: random_string(10),
            logintoken: random_string(32),
            ..WebSession::default()
        })
        .sesskey
        .clone()
}

/// `random_string()`: letters and digits.
fn random_string(len: usize) -> String {
    use rand::Rng as _;
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
        .collect()
}

/// `login_manager::log_in()`: `complete_user_login()` gives the browser a new session id,
/// ending the one it had.
pub(super) fn log_in(db: &mut Db, user: &User, session: Option<&str>, now: i64) -> String {
    if let Some(old) = session {
        db.plugins.sessions.remove(old);
        db.lti.sessions.remove(old);
    }
    let sid = session_id();
    db.plugins.sessions.insert(
        sid.clone(),
        Session {
            userid: user.id,
            timecreated: now,
        },
    );
    sid
}

/// A PHP session id: 26 characters of `[0-9a-v]`.
fn session_id() -> String {
    use rand::Rng as _;
    let mut rng = rand::rng();
    (0..26)
        .map(|_| char::from(b"0123456789abcdefghijklmnopqrstuv"[rng.random_range(0..32)]))
        .collect()
}

pub(super) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// `require_logout()`: the session ends and the browser gets a new, empty one (not logged in);
/// its id.
pub(super) fn log_out(db: &mut Db, sid: &str, now: i64) -> String {
    db.plugins.sessions.remove(sid);
    db.lti.sessions.remove(sid);
    let new = session_id();
    db.plugins.sessions.insert(
        new.clone(),
        Session {
            userid: 0,
            timecreated: now,
        },
    );
    new
}
