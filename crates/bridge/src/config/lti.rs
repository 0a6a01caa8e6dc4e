//! The LTI tool's and the file manager's settings (the file-manager contract,
//! `docs/contracts/file-manager.md`): the platform the contract's `LTI_*` variables describe,
//! the tool's key (`PRIVATE_KEY_PEM`/`PUBLIC_KEY_PEM`, or the `_B64` forms), the bridge's
//! public address, launch tokens, key rotation, dynamic registration, the file size limit and
//! development mode.

use std::time::Duration;

use moodle_ws::Secret;
use url::Url;

use super::{Env, MoodleConfig, Problems};

/// The tool's settings.
#[derive(Debug, Clone)]
pub struct LtiConfig {
    /// `PUBLIC_URL`: the bridge's address as browsers and platforms reach it (`config.json`,
    /// redirect URIs); `None` = `http://<BIND>` once the port is known (`0.0.0.0` → `127.0.0.1`).
    pub public_url: Option<Url>,
    /// The platform of the `LTI_*` variables, registered as `default` at start.
    pub registration: Option<EnvRegistration>,
    /// `PRIVATE_KEY_PEM` (or `PRIVATE_KEY_B64`): the tool's signing key; `None` = made once
    /// and kept, sealed, in the database.
    pub private_key: Option<Secret>,
    /// `LTI_KEY_OVERLAP`: how long `moodle-bridge keys rotate` keeps the old key published
    /// (default `7d`).
    pub key_overlap: Duration,
    /// `LAUNCH_TOKEN_TTL`: how long the file manager's launch token is valid (default `1h`).
    pub launch_token_ttl: Duration,
    /// `LTI_DYNAMIC_REGISTRATION_ISSUERS`: which platforms may register themselves through
    /// `/lti/register` (default: the `MOODLE_BASE_URL` site and `LTI_ISSUER`; `*` any; `off`).
    pub dynamic_registration: DynamicRegistrationPolicy,
    /// `MAX_UPLOAD_MB`: the largest file the file manager copies or accepts (default 512).
    pub max_file_bytes: u64,
    /// `BRIDGE_DEV`: development routes (`/test_session`, `/test_moodle_api`,
    /// `/debug_routes`, `/launch_test`); on in the demo, off (404) otherwise.
    pub dev: bool,
}

/// The seed's one platform: `LTI_ISSUER`, `LTI_CLIENT_ID`, `LTI_DEPLOYMENT_ID`,
/// `LTI_AUTH_LOGIN_URL`, `LTI_AUTH_TOKEN_URL`, `LTI_KEY_SET_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvRegistration {
    /// The issuer.
    pub issuer: String,
    /// The client id.
    pub client_id: String,
    /// The deployment ids (comma-separated in the variable).
    pub deployments: Vec<String>,
    /// The OIDC authentication endpoint (default: Moodle's `/mod/lti/auth.php` below the issuer).
    pub auth_login_url: Url,
    /// The token endpoint (default `/mod/lti/token.php`).
    pub token_url: Url,
    /// The platform's key set (default `/mod/lti/certs.php`).
    pub jwks_url: Url,
}

/// Which platforms may use dynamic registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DynamicRegistrationPolicy {
    /// None: `/lti/register` answers 403.
    Off,
    /// Any platform.
    Any,
    /// Platforms whose issuer, configuration URL and endpoints lie under one of these.
    Issuers(Vec<Url>),
}

impl DynamicRegistrationPolicy {
    /// Whether `url` (a configuration URL, an issuer or an endpoint) may be fetched or
    /// trusted: parsed, on an allowed prefix's origin and under its whole path segments
    /// (`lti::is_under`), never compared as strings.
    pub fn allows(&self, url: &str) -> bool {
        match self {
            DynamicRegistrationPolicy::Off => false,
            DynamicRegistrationPolicy::Any => true,
            DynamicRegistrationPolicy::Issuers(prefixes) => {
                Url::parse(url).is_ok_and(|url| prefixes.iter().any(|p| ::lti::is_under(&url, p)))
            }
        }
    }
}

const LTI_NAMES: [&str; 6] = [
    "LTI_ISSUER",
    "LTI_CLIENT_ID",
    "LTI_DEPLOYMENT_ID",
    "LTI_AUTH_LOGIN_URL",
    "LTI_AUTH_TOKEN_URL",
    "LTI_KEY_SET_URL",
];

pub(super) fn lti_config(env: &Env, p: &mut Problems, moodle: Option<&MoodleConfig>) -> LtiConfig {
    let public_url = env.get("PUBLIC_URL").and_then(|raw| match Url::parse(raw) {
        Ok(u)
            if matches!(u.scheme(), "http" | "https")
                && u.host().is_some()
                && u.query().is_none()
                && u.fragment().is_none() =>
        {
            Some(u)
        }
        _ => {
            p.push(
                "PUBLIC_URL",
                format!("must be the bridge's http(s) address, e.g. https://bridge.example.org (got {raw:?})"),
            );
            None
        }
    });
    let registration = env_registration(env, p);
    let private_key = tool_key(env, p);
    let duration = |p: &mut Problems, name: &str, default: Duration, min: u64, max: u64| {
        p.parse(env, name, default, |raw| {
            humantime::parse_duration(raw)
                .ok()
                .filter(|d| (min..=max).contains(&d.as_secs()))
                .ok_or_else(|| {
                    format!(
                        "must be a duration from {} to {}, e.g. {}",
                        humantime::format_duration(Duration::from_secs(min)),
                        humantime::format_duration(Duration::from_secs(max)),
                        humantime::format_duration(default)
                    )
                })
        })
    };
    let key_overlap = duration(
        p,
        "LTI_KEY_OVERLAP",
        Duration::from_secs(7 * 86_400),
        0,
        365 * 86_400,
    );
    let launch_token_ttl = duration(p, "LAUNCH_TOKEN_TTL", Duration::from_secs(3600), 60, 86_400);
    let dynamic_registration = dynamic_policy(env, p, moodle, registration.as_ref());
    let max_mb: u64 = p.number(env, "MAX_UPLOAD_MB", 512, 1..=1_048_576);
    LtiConfig {
        public_url,
        registration,
        private_key,
        key_overlap,
        launch_token_ttl,
        dynamic_registration,
        max_file_bytes: max_mb * 1024 * 1024,
        dev: p.flag(env, "BRIDGE_DEV", false),
    }
}

fn env_registration(env: &Env, p: &mut Problems) -> Option<EnvRegistration> {
    if LTI_NAMES.iter().all(|n| env.get(n).is_none()) {
        return None;
    }
    let mut missing = false;
    for name in ["LTI_ISSUER", "LTI_CLIENT_ID", "LTI_DEPLOYMENT_ID"] {
        if env.get(name).is_none() {
            p.push(
                name,
                "required when any LTI_* variable is set (the platform the tool is registered with)",
            );
            missing = true;
        }
    }
    let issuer = env
        .get("LTI_ISSUER")
        .unwrap_or_default()
        .trim_end_matches('/');
    let issuer_ok = Url::parse(issuer)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if !issuer.is_empty() && !issuer_ok {
        p.push("LTI_ISSUER", format!("must be the platform's http(s) address, e.g. https://moodle.example.org (got {issuer:?})"));
    }
    let endpoint = |p: &mut Problems, name: &str, moodle_path: &str| -> Option<Url> {
        match env.get(name) {
            Some(raw) => match Url::parse(raw) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
                _ => {
                    p.push(name, format!("must be an http(s) URL (got {raw:?})"));
                    None
                }
            },
            None => Url::parse(&format!("{issuer}/mod/lti/{moodle_path}")).ok(),
        }
    };
    let auth_login_url = endpoint(p, "LTI_AUTH_LOGIN_URL", "auth.php");
    let token_url = endpoint(p, "LTI_AUTH_TOKEN_URL", "token.php");
    let jwks_url = endpoint(p, "LTI_KEY_SET_URL", "certs.php");
    let deployments: Vec<String> = env
        .get("LTI_DEPLOYMENT_ID")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
        .collect();
    if deployments.iter().any(|d| d.len() > 255) {
        p.push(
            "LTI_DEPLOYMENT_ID",
            "a deployment id is at most 255 characters",
        );
    }
    if missing || !issuer_ok {
        return None;
    }
    Some(EnvRegistration {
        issuer: issuer.to_owned(),
        client_id: env.get("LTI_CLIENT_ID").unwrap_or_default().to_owned(),
        deployments,
        auth_login_url: auth_login_url?,
        token_url: token_url?,
        jwks_url: jwks_url?,
    })
}

/// The tool key from the environment, checked: it parses, its size is supported, and a
/// public key given beside it is its pair.
fn tool_key(env: &Env, p: &mut Problems) -> Option<Secret> {
    let private = env
        .first(&["PRIVATE_KEY_PEM", "PRIVATE_KEY_B64"])
        .map(|(n, v)| (n, v.to_owned()));
    let public = env.first(&["PUBLIC_KEY_PEM", "PUBLIC_KEY_B64"]);
    let (name, text) = match (private, public) {
        (None, None) => return None,
        (None, Some((name, _))) => {
            p.push(name, "given without PRIVATE_KEY_PEM (or PRIVATE_KEY_B64)");
            return None;
        }
        (Some(private), _) => private,
    };
    let key = match lti::ToolKey::from_pem(&text) {
        Ok(key) => key,
        Err(e) => {
            p.push(name, e.to_string());
            return None;
        }
    };
    if let Some((public_name, public_text)) = public
        && let Err(e) = key.check_public_pem(public_text)
    {
        p.push(public_name, e.to_string());
        return None;
    }
    Some(Secret::new(text))
}

fn dynamic_policy(
    env: &Env,
    p: &mut Problems,
    moodle: Option<&MoodleConfig>,
    registration: Option<&EnvRegistration>,
) -> DynamicRegistrationPolicy {
    let name = "LTI_DYNAMIC_REGISTRATION_ISSUERS";
    match env.get(name) {
        Some("*") => DynamicRegistrationPolicy::Any,
        Some(off) if off.eq_ignore_ascii_case("off") || off.eq_ignore_ascii_case("none") => {
            DynamicRegistrationPolicy::Off
        }
        Some(list) => {
            let mut prefixes = Vec::new();
            for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                match Url::parse(item) {
                    Ok(u)
                        if matches!(u.scheme(), "http" | "https")
                            && u.host().is_some()
                            && u.query().is_none()
                            && u.fragment().is_none() =>
                    {
                        prefixes.push(u);
                    }
                    _ => p.push(name, format!("{item:?} is not a platform address like https://moodle.example.org (or use * or off)")),
                }
            }
            DynamicRegistrationPolicy::Issuers(prefixes)
        }
        None => DynamicRegistrationPolicy::Issuers(
            moodle
                .map(|m| m.base_url.clone())
                .into_iter()
                .chain(registration.and_then(|r| Url::parse(&r.issuer).ok()))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> (LtiConfig, Problems) {
        let env = Env::from_pairs(pairs.iter().copied());
        let mut p = Problems::default();
        let c = lti_config(&env, &mut p, None);
        (c, p)
    }

    #[test]
    fn the_seed_variables_make_a_registration_with_moodles_endpoints() {
        let (c, p) = config(&[
            ("LTI_ISSUER", "https://moodle.example.org/"),
            ("LTI_CLIENT_ID", "9jaP3Q6PNFuPzAg"),
            ("LTI_DEPLOYMENT_ID", "1, 7"),
        ]);
        assert!(p.is_empty(), "{p}");
        let r = c.registration.expect("registration");
        assert_eq!(r.issuer, "https://moodle.example.org");
        assert_eq!(r.deployments, ["1", "7"]);
        assert_eq!(
            r.auth_login_url.as_str(),
            "https://moodle.example.org/mod/lti/auth.php"
        );
        assert_eq!(r.jwks_url.path(), "/mod/lti/certs.php");
        assert_eq!(
            c.dynamic_registration,
            DynamicRegistrationPolicy::Issuers(vec![
                Url::parse("https://moodle.example.org").expect("url")
            ])
        );
        assert_eq!(c.max_file_bytes, 512 << 20);
        assert!(!c.dev);
    }

    #[test]
    fn every_problem_names_its_variable() {
        let (_, p) = config(&[
            ("LTI_CLIENT_ID", "x"),
            ("LTI_KEY_SET_URL", "ftp://x"),
            ("PUBLIC_URL", "bridge.example.org"),
            ("PUBLIC_KEY_PEM", "-----BEGIN PUBLIC KEY-----"),
            ("MAX_UPLOAD_MB", "0"),
            ("LAUNCH_TOKEN_TTL", "5s"),
            ("LTI_DYNAMIC_REGISTRATION_ISSUERS", "moodle"),
        ]);
        assert_eq!(
            p.names(),
            [
                "PUBLIC_URL",
                "LTI_ISSUER",
                "LTI_DEPLOYMENT_ID",
                "LTI_KEY_SET_URL",
                "PUBLIC_KEY_PEM",
                "LAUNCH_TOKEN_TTL",
                "LTI_DYNAMIC_REGISTRATION_ISSUERS",
                "MAX_UPLOAD_MB",
            ]
        );
    }

    #[test]
    fn a_public_key_must_belong_to_the_private_key() {
        let a = lti::ToolKey::generate().expect("key");
        let b = lti::ToolKey::generate().expect("key");
        let private = a.private_pem().expect("pem");
        let (c, p) = config(&[
            ("PRIVATE_KEY_PEM", private.expose()),
            ("PUBLIC_KEY_PEM", &a.public_pem().expect("pem")),
        ]);
        assert!(p.is_empty(), "{p}");
        assert!(c.private_key.is_some());
        let (_, p) = config(&[
            ("PRIVATE_KEY_PEM", private.expose()),
            ("PUBLIC_KEY_PEM", &b.public_pem().expect("pem")),
        ]);
        assert_eq!(p.names(), ["PUBLIC_KEY_PEM"]);
        assert!(p.to_string().contains("does not belong"), "{p}");
    }

    #[test]
    fn dynamic_registration_prefixes_match_whole_path_segments() {
        let policy = DynamicRegistrationPolicy::Issuers(vec![
            Url::parse("https://m.example/moodle").expect("url"),
        ]);
        assert!(policy.allows("https://m.example/moodle/mod/lti/openid-configuration.php"));
        assert!(!policy.allows("https://m.example/moodle/../evil/openid.json"));
        assert!(!policy.allows("http://m.example/moodle/x"));
        assert!(!policy.allows("https://m.example:444/moodle/x"));
        assert!(!policy.allows("https://m.example/moodle-evil/mod/lti/openid-configuration.php"));
        assert!(!policy.allows("https://m.example.evil/moodle/x"));
        assert!(DynamicRegistrationPolicy::Any.allows("https://anything"));
        assert!(!DynamicRegistrationPolicy::Off.allows("https://m.example/moodle/x"));
    }
}
