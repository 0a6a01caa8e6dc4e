//! Who may call the API: the bridge's own tokens, a shared secret's (`AUTH_HS256_*`), an
//! identity provider's (`AUTH_JWKS_URL`, `AUTH_ISSUER`, `AUTH_AUDIENCE`), the scopes a token
//! without a scope claim gets, the per-caller rate limit and what token login grants.

use std::time::Duration;

use moodle_ws::Secret;
use url::Url;

use super::{Env, Problems};
use crate::scopes::Scopes;

/// Token sources, default scopes and the rate limit.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// `AUTH_HS256_SECRET`: the shared secret the seeds' applications sign user tokens with.
    pub hs256_secret: Option<Secret>,
    /// `AUTH_HS256_ISSUER`: the `iss` shared-secret tokens must carry, when set.
    pub hs256_issuer: Option<String>,
    /// `AUTH_HS256_AUDIENCE`: the `aud` shared-secret tokens must name, when set.
    pub hs256_audience: Option<String>,
    /// `AUTH_JWKS_URL`, `AUTH_ISSUER`, `AUTH_AUDIENCE`: an external identity provider.
    pub identity_provider: Option<IdentityProvider>,
    /// `AUTH_DEFAULT_SCOPES`: scopes of a token without a scope claim (default `moodle:read`:
    /// a token that names no scope cannot write).
    pub default_scopes: Scopes,
    /// `RATE_LIMIT_PER_MINUTE`: requests per token subject and minute (default 600; 0: off).
    pub rate_per_minute: u32,
    /// `RATE_LIMIT_BURST`: requests allowed at once above the steady rate (default 60).
    pub rate_burst: u32,
    /// Token login (`/api/auth/*`).
    pub token_login: TokenLoginConfig,
}

/// What token login grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenLoginConfig {
    /// `AUTH_TOKEN_LOGIN_SCOPES`: scopes of the API tokens it issues (default none: they name
    /// the user, and the gateway acts with the bridge's own Moodle token).
    pub scopes: Scopes,
    /// `AUTH_TOKEN_LOGIN_TTL`: how long they are valid (default `8h`).
    pub ttl: Duration,
    /// `AUTH_TOKEN_LOGIN_PER_MINUTE`: attempts per client address and minute (default 30).
    pub per_minute: u32,
}

/// An external identity provider whose RS/ES/EdDSA tokens are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityProvider {
    /// Where its keys are published.
    pub jwks_url: Url,
    /// The `iss` its tokens carry.
    pub issuer: String,
    /// The `aud` its tokens must name.
    pub audience: String,
}

pub(super) fn auth_config(env: &Env, p: &mut Problems) -> AuthConfig {
    let hs256_secret = env.get("AUTH_HS256_SECRET").and_then(|s| {
        if s.len() < 16 {
            p.push("AUTH_HS256_SECRET", "must be at least 16 characters");
            None
        } else {
            Some(Secret::new(s))
        }
    });
    let names = ["AUTH_JWKS_URL", "AUTH_ISSUER", "AUTH_AUDIENCE"];
    let values: Vec<Option<&str>> = names.iter().map(|n| env.get(n)).collect();
    let identity_provider = match values.as_slice() {
        [None, None, None] => None,
        [Some(url), Some(issuer), Some(audience)] => match Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Some(IdentityProvider {
                jwks_url: u,
                issuer: (*issuer).to_owned(),
                audience: (*audience).to_owned(),
            }),
            _ => {
                p.push(
                    "AUTH_JWKS_URL",
                    format!("must be an http(s) URL (got {url:?})"),
                );
                None
            }
        },
        _ => {
            for (name, value) in names.iter().zip(&values) {
                if value.is_none() {
                    p.push(
                        *name,
                        "required when any of AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE is set",
                    );
                }
            }
            None
        }
    };
    let default_scopes = p.parse(env, "AUTH_DEFAULT_SCOPES", Scopes::READ, |raw| {
        Scopes::parse_list(raw)
            .map_err(|s| format!("unknown scope {s:?}; known: {}", Scopes::KNOWN))
    });
    let hs256_issuer = env.get("AUTH_HS256_ISSUER").map(str::to_owned);
    let hs256_audience = env.get("AUTH_HS256_AUDIENCE").map(str::to_owned);
    if hs256_secret.is_none() {
        for (name, value) in [
            ("AUTH_HS256_ISSUER", &hs256_issuer),
            ("AUTH_HS256_AUDIENCE", &hs256_audience),
        ] {
            if value.is_some() {
                p.push(name, "only means something with AUTH_HS256_SECRET");
            }
        }
    }
    AuthConfig {
        hs256_secret,
        hs256_issuer,
        hs256_audience,
        identity_provider,
        default_scopes,
        rate_per_minute: p.number(env, "RATE_LIMIT_PER_MINUTE", 600u32, 0..=1_000_000),
        rate_burst: p.number(env, "RATE_LIMIT_BURST", 60u32, 1..=1_000_000),
        token_login: TokenLoginConfig {
            scopes: p.parse(env, "AUTH_TOKEN_LOGIN_SCOPES", Scopes::NONE, |raw| {
                Scopes::parse_list(raw)
                    .map_err(|s| format!("unknown scope {s:?}; known: {}", Scopes::KNOWN))
            }),
            ttl: p.parse(
                env,
                "AUTH_TOKEN_LOGIN_TTL",
                Duration::from_secs(8 * 3600),
                |raw| {
                    humantime::parse_duration(raw)
                        .ok()
                        .filter(|d| {
                            *d >= Duration::from_secs(60) && *d <= Duration::from_secs(30 * 86_400)
                        })
                        .ok_or_else(|| "must be a duration from 1m to 30d, e.g. 8h".to_owned())
                },
            ),
            per_minute: p.number(env, "AUTH_TOKEN_LOGIN_PER_MINUTE", 30u32, 0..=100_000),
        },
    }
}
