//! The checks of `token_checker` and `rate_limiter`: may this token log in, and may this
//! address still try. A refusal carries the seed's `error`/`message` pair, a stable reason
//! code and an HTTP status (`login_exception`).

use super::PLUGIN;
use crate::endpoints::ajax::address_in_subnet;
use crate::plugins::PluginData;
use crate::plugins::data::FailedAttempts;
use crate::state::{SYSTEM_CONTEXT, State, Token, User};

/// A refused token login (`login_exception`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Refusal {
    /// Stable reason code, also the answer's `errorcode`.
    pub reason: &'static str,
    /// HTTP status.
    pub status: u16,
    /// The user the token or key belongs to, when known.
    pub relateduserid: Option<i64>,
}

/// The `err_<reason>` and `err_<reason>_desc` strings of `lang/en/local_logintoken.php`.
const STRINGS: &[(&str, &str, &str)] = &[
    (
        "adminrefused",
        "Administrator login refused",
        "Site administrators cannot be logged in with a token on this site",
    ),
    (
        "httpsrequired",
        "HTTPS required",
        "Token login is only accepted over HTTPS on this site",
    ),
    (
        "invalidkey",
        "Invalid login key",
        "The login key is invalid, expired, already used or not for this address",
    ),
    (
        "invalidsesskey",
        "Confirmation expired",
        "The confirmation does not carry this browser session's key; open the link again",
    ),
    (
        "invalidtoken",
        "Invalid token",
        "The provided wstoken is invalid or expired",
    ),
    (
        "iprestricted",
        "Address not allowed",
        "This token cannot be used from your IP address",
    ),
    (
        "logindisabled",
        "Token login disabled",
        "Token login is disabled on this site",
    ),
    (
        "loginrefused",
        "Login refused",
        "The user of this token cannot log in with a token",
    ),
    (
        "missingtoken",
        "Missing token",
        "The wstoken parameter is required",
    ),
    (
        "ratelimited",
        "Too many attempts",
        "Too many failed token logins from your address; try again later",
    ),
    (
        "servicenotallowed",
        "Service not allowed",
        "Tokens of this web service cannot be used to log in",
    ),
    (
        "tokenexpired",
        "Invalid token",
        "The provided wstoken is invalid or expired",
    ),
    (
        "tokeninurl",
        "Token in URL",
        "Send the token in the POST body (field wstoken), not in the address",
    ),
    (
        "unknownfunction",
        "Unknown function",
        "Only local_logintoken_validate_token can be called here",
    ),
    (
        "usersuspended",
        "User suspended",
        "The account of this token's user is suspended",
    ),
];

impl Refusal {
    /// A refusal without a known user.
    pub fn new(reason: &'static str, status: u16) -> Self {
        Refusal {
            reason,
            status,
            relateduserid: None,
        }
    }

    /// A refusal of a token or key of a known user.
    pub fn of(reason: &'static str, status: u16, userid: i64) -> Self {
        Refusal {
            relateduserid: Some(userid),
            ..Refusal::new(reason, status)
        }
    }

    fn strings(&self) -> (&'static str, &'static str) {
        STRINGS
            .iter()
            .find(|(r, _, _)| *r == self.reason)
            .map_or(("", ""), |(_, title, desc)| (*title, *desc))
    }

    /// The `error` of the answer.
    pub fn title(&self) -> &'static str {
        self.strings().0
    }

    /// The `message` of the answer.
    pub fn description(&self) -> &'static str {
        self.strings().1
    }

    /// Whether the refusal counts against the address (`counts_as_attempt()`).
    pub fn counts_as_attempt(&self) -> bool {
        !matches!(
            self.reason,
            "missingtoken"
                | "httpsrequired"
                | "logindisabled"
                | "unknownfunction"
                | "ratelimited"
                | "tokeninurl"
                | "invalidsesskey"
        )
    }
}

/// `token_checker` for one request.
pub(super) struct Checker<'a> {
    /// The site.
    pub state: &'a State,
    /// The client's address.
    pub remote_addr: &'a str,
    /// The time of the request.
    pub now: i64,
}

impl Checker<'_> {
    /// `require_enabled()`.
    pub fn require_enabled(&self) -> Result<(), Refusal> {
        if self.state.plugins.get_config_int(PLUGIN, "enabled") == 0 {
            return Err(Refusal::new("logindisabled", 403));
        }
        Ok(())
    }

    /// `require_https()`.
    pub fn require_https(&self, https: bool) -> Result<(), Refusal> {
        if self.state.plugins.get_config_int(PLUGIN, "requirehttps") != 0 && !https {
            return Err(Refusal::new("httpsrequired", 403));
        }
        Ok(())
    }

    /// `check_token()`: the token and its user, or why they may not log in.
    pub fn check_token(&self, token: &str) -> Result<(Token, User), Refusal> {
        if token.is_empty() {
            return Err(Refusal::new("missingtoken", 400));
        }
        let Some(record) = self.state.tokens.get(token) else {
            return Err(Refusal::new("invalidtoken", 401));
        };
        let userid = record.userid;
        if record.validuntil != 0 && record.validuntil < self.now {
            return Err(Refusal::of("tokenexpired", 401, userid));
        }
        if !record.iprestriction.is_empty()
            && !address_in_subnet(self.remote_addr, &record.iprestriction)
        {
            return Err(Refusal::of("iprestricted", 403, userid));
        }
        let allowed = allowed_services(&self.state.plugins);
        let service_ok = self
            .state
            .services
            .get(&record.serviceid)
            .is_some_and(|s| s.enabled && allowed.iter().any(|a| *a == s.shortname));
        if !service_ok {
            return Err(Refusal::of("servicenotallowed", 403, userid));
        }
        // The stand-in has no `external_services_users`: nobody is listed for a restricted
        // service, so its tokens cannot log in.
        if self
            .state
            .services
            .get(&record.serviceid)
            .is_some_and(|s| s.restrictedusers)
        {
            return Err(Refusal::of("servicenotallowed", 403, userid));
        }
        let Some(user) = self.state.live_user(userid) else {
            return Err(Refusal::new("invalidtoken", 401));
        };
        self.check_user(user)?;
        Ok((record.clone(), user.clone()))
    }

    /// `check_may_log_in()`: no site administrator while the site refuses them.
    pub fn check_may_log_in(&self, user: &User) -> Result<(), Refusal> {
        if refuses_admins(&self.state.plugins) && user.siteadmin {
            return Err(Refusal::of("adminrefused", 403, user.id));
        }
        Ok(())
    }

    /// `check_user()`: active, confirmed, with an enabled login method and the capability.
    pub fn check_user(&self, user: &User) -> Result<(), Refusal> {
        if user.deleted {
            return Err(Refusal::new("invalidtoken", 401));
        }
        if user.suspended {
            return Err(Refusal::of("usersuspended", 403, user.id));
        }
        // The recorded site enables `email` besides the always-enabled `manual` (and `nologin`,
        // which never logs in).
        let auth_enabled = matches!(user.auth.as_str(), "manual" | "email");
        if user.username == "guest" || !user.confirmed || !auth_enabled {
            return Err(Refusal::of("loginrefused", 403, user.id));
        }
        if !self
            .state
            .has_capability(user.id, "local/logintoken:usetoken", SYSTEM_CONTEXT)
        {
            return Err(Refusal::of("loginrefused", 403, user.id));
        }
        Ok(())
    }
}

/// `token_checker::is_service_allowed()`.
pub(super) fn is_service_allowed(data: &PluginData, shortname: &str) -> bool {
    allowed_services(data).contains(&shortname)
}

/// `token_checker::refuses_admins()`.
pub(super) fn refuses_admins(data: &PluginData) -> bool {
    data.get_config_int(PLUGIN, "refuseadmins") != 0
}

/// `token_checker::allowed_services()`.
fn allowed_services(data: &PluginData) -> Vec<&str> {
    data.get_config(PLUGIN, "allowedservices")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// `rate_limiter::window()`.
fn window(data: &PluginData) -> i64 {
    let window = data.get_config_int(PLUGIN, "lockoutwindow");
    if window > 0 { window } else { 15 * 60 }
}

/// `rate_limiter::current()`: the address's failures in the current window.
fn current(data: &PluginData, addr: &str, now: i64) -> Option<FailedAttempts> {
    data.failed_attempts
        .get(addr)
        .copied()
        .filter(|e| now - e.first < window(data))
}

/// `rate_limiter::retry_after()`: seconds until the address may try again, 0 when free.
pub(super) fn retry_after(data: &PluginData, addr: &str, now: i64) -> i64 {
    let max = data.get_config_int(PLUGIN, "maxfailedattempts");
    match current(data, addr, now) {
        Some(e) if max > 0 && e.count >= max => (e.first + window(data) - now).max(1),
        _ => 0,
    }
}

/// `rate_limiter::record_failure()`.
pub(super) fn record_failure(data: &mut PluginData, addr: &str, now: i64) {
    let mut entry = current(data, addr, now).unwrap_or(FailedAttempts {
        count: 0,
        first: now,
    });
    entry.count += 1;
    data.failed_attempts.insert(addr.to_owned(), entry);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limited(max: &str) -> PluginData {
        let mut data = PluginData::default();
        super::super::default_settings(&mut data);
        data.set_config(PLUGIN, "maxfailedattempts", max);
        data
    }

    #[test]
    fn an_address_is_locked_out_after_the_maximum_until_the_window_ends() {
        let mut data = limited("2");
        record_failure(&mut data, "10.0.0.1", 1000);
        assert_eq!(retry_after(&data, "10.0.0.1", 1001), 0);
        record_failure(&mut data, "10.0.0.1", 1001);
        assert_eq!(retry_after(&data, "10.0.0.1", 1002), 898);
        assert_eq!(retry_after(&data, "10.0.0.2", 1002), 0, "per address");
        assert_eq!(retry_after(&data, "10.0.0.1", 1900), 0, "window over");
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let mut data = limited("0");
        for t in 0..50 {
            record_failure(&mut data, "a", t);
        }
        assert_eq!(retry_after(&data, "a", 51), 0);
    }

    #[test]
    fn configuration_refusals_do_not_count_as_attempts() {
        assert!(!Refusal::new("httpsrequired", 403).counts_as_attempt());
        assert!(!Refusal::new("missingtoken", 400).counts_as_attempt());
        assert!(Refusal::new("invalidtoken", 401).counts_as_attempt());
        assert_eq!(
            Refusal::new("tokenexpired", 401).description(),
            "The provided wstoken is invalid or expired"
        );
    }
}
