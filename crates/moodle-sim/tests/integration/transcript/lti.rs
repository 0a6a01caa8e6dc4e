//! What replaying the LTI recording needs beyond web-service tokens: browser sessions
//! (`*_session` roles: a form login through `/login/index.php`, the session key read from the
//! page's `M.cfg` as a browser script would), the credentials the site hands out during the
//! replay (the tool's access token from `token.php`, the registration token from
//! `startltiadvregistration.php`'s redirect), and the tool-signed JWTs of the requests.
//!
//! Tool-signed JWTs (`RESIGNED_FIELDS`) cannot be sent as recorded: they were signed with the
//! recorder's throw-away tool key (not in the recording) and expired minutes after recording
//! (Moodle checks `exp` with no leeway). They are sent with the recorded header and claims,
//! re-signed with the test tool key (same `kid`, its JWKS served by the test tool), `iat`
//! moved to now with the recorded lifetime kept, and the recorded wwwroot in claims written
//! as the replayed site's. A registration token "not signed by the platform"
//! (`<FOREIGN_JWT>`) is made with the test tool key.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::recorded_wwwroot;
use crate::lti::tool::{self, TOOL_KID};
use moodle_sim::MoodleVersion;

/// Request fields holding a tool-signed JWT, re-signed before sending.
pub const RESIGNED_FIELDS: &[&str] = &["client_assertion", "JWT"];

/// A logged-in browser: its cookie and session key.
#[derive(Debug, Clone)]
pub struct Session {
    /// `MoodleSession=…`.
    pub cookie: String,
    /// `sesskey()`.
    pub sesskey: String,
}

/// The LTI credentials of one replay.
#[derive(Debug, Default)]
pub struct Credentials {
    sessions: HashMap<String, Session>,
    /// The tool's access token, once `token.php` issued one.
    pub tool_token: Option<String>,
    /// The registration token, once a registration started.
    pub registration_token: Option<String>,
}

/// The seeded password of a user (`fixture.rs`).
fn password(username: &str) -> &'static str {
    match username {
        "admin" => moodle_sim::fixture::ADMIN_PASSWORD,
        "teacher1" => moodle_sim::fixture::TEACHER_PASSWORD,
        _ => moodle_sim::fixture::STUDENT_PASSWORD,
    }
}

/// The `MoodleSession` cookie a response sets, if any.
pub fn set_cookie(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|c| c.starts_with("MoodleSession="))
        .map(str::to_owned)
}

/// Logs a user in through the login form; the session and its key.
pub async fn login(
    client: &reqwest::Client,
    site: &str,
    username: &str,
) -> Result<Session, String> {
    let page = client
        .get(format!("{site}/login/index.php"))
        .send()
        .await
        .map_err(|e| format!("login page: {e}"))?;
    let mut cookie = set_cookie(page.headers()).unwrap_or_default();
    let html = page.text().await.map_err(|e| format!("login page: {e}"))?;
    let logintoken = crate::lti::html::hidden_inputs(&html)
        .into_iter()
        .find(|(n, _)| n == "logintoken")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let resp = client
        .post(format!("{site}/login/index.php"))
        .header("Cookie", &cookie)
        .form(&[
            ("username", username),
            ("password", password(username)),
            ("logintoken", &logintoken),
        ])
        .send()
        .await
        .map_err(|e| format!("login: {e}"))?;
    cookie = set_cookie(resp.headers()).ok_or_else(|| {
        format!(
            "login of {username}: no new session (HTTP {})",
            resp.status()
        )
    })?;
    let my = client
        .get(format!("{site}/my/"))
        .header("Cookie", &cookie)
        .send()
        .await
        .map_err(|e| format!("dashboard: {e}"))?;
    let html = my.text().await.map_err(|e| format!("dashboard: {e}"))?;
    let sesskey = html
        .split("\"sesskey\":\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("login of {username}: no sesskey on /my/"))?
        .to_owned();
    Ok(Session { cookie, sesskey })
}

impl Credentials {
    /// The session of a `<user>_session` role, logging in on first use.
    pub async fn session(
        &mut self,
        client: &reqwest::Client,
        site: &str,
        role: &str,
    ) -> Result<Session, String> {
        if let Some(s) = self.sessions.get(role) {
            return Ok(s.clone());
        }
        let username = role.strip_suffix("_session").unwrap_or(role);
        let session = login(client, site, username).await?;
        self.sessions.insert(role.to_owned(), session.clone());
        Ok(session)
    }

    /// Learns the credentials an answer hands out.
    pub fn learn(&mut self, path: &str, status: u16, location: Option<&str>, body: &[u8]) {
        if path == "/mod/lti/token.php" && status == 200 {
            let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            if let Some(t) = json["access_token"].as_str() {
                self.tool_token = Some(t.to_owned());
            }
        }
        if let Some(token) = location
            .and_then(|l| l.split("registration_token=").nth(1))
            .map(|t| t.split('&').next().unwrap_or(t))
        {
            self.registration_token = Some(token.to_owned());
        }
    }
}

/// A recorded tool-signed JWT, re-signed for the replay (see the module documentation).
pub fn resign(recorded: &str, site: &str) -> String {
    let part = |i: usize| -> Value {
        recorded
            .split('.')
            .nth(i)
            .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null)
    };
    let (header, mut claims) = (part(0), part(1));
    let kid = header["kid"].as_str().unwrap_or(TOOL_KID).to_owned();
    let now = tool::now();
    if let (Some(iat), Some(exp)) = (claims["iat"].as_i64(), claims["exp"].as_i64()) {
        claims["iat"] = now.into();
        claims["exp"] = (now + (exp - iat)).into();
    }
    // The LTI recording is the 4.5 site's.
    let text = claims
        .to_string()
        .replace(recorded_wwwroot(MoodleVersion::V4_5), site);
    let claims: Value = serde_json::from_str(&text).unwrap_or(claims);
    tool::sign(&claims, &kid)
}

/// A registration token signed by a key that is not the platform's.
pub fn foreign_registration_token() -> String {
    let now = tool::now();
    tool::sign(
        &json!({"sub": "foreignclient01", "scope": "reg", "iat": now, "exp": now + 3600}),
        TOOL_KID,
    )
}
