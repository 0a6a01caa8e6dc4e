//! Bearer tokens already checked: an HS256 token (the bridge's own or the shared secret's)
//! that passed every check is remembered until its `exp`, at most five minutes, so an
//! application's repeated requests with one token skip the JWT parsing (about a tenth of a
//! gateway request's CPU, `scripts/bench-gateway`). What a token says cannot change while it
//! is valid and both keys come from the configuration (a new key means a restart), so the
//! answer is the same; revocation is still checked on every request (`auth.rs`). Failures
//! are never remembered, identity-provider tokens never (their keys rotate), and the memory
//! is bounded by the tokens' total length.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Principal, TokenSource};

/// The longest any entry is kept.
const MAX_AGE: Duration = Duration::from_secs(300);
/// The most bytes of tokens kept (with a fixed allowance per entry for the rest).
const MAX_BYTES: u64 = 8 * 1024 * 1024;
/// Longer tokens are checked every time instead (HS256 tokens are a few hundred bytes).
const MAX_TOKEN_BYTES: usize = 4096;
/// What an entry costs besides its token, for the bound.
const ENTRY_OVERHEAD: u32 = 256;

/// A token that passed every check except revocation, and what revocation needs.
#[derive(Debug)]
pub(super) struct Checked {
    pub principal: Principal,
    pub jti: Option<String>,
    pub issued_at: Option<i64>,
    /// `exp`, Unix seconds: past it the token is checked again (and refused).
    pub expires_at: i64,
}

/// The cache.
pub(super) struct Verified {
    entries: moka::sync::Cache<Box<str>, std::sync::Arc<Checked>>,
}

impl Verified {
    pub fn new() -> Verified {
        Verified {
            entries: moka::sync::Cache::<Box<str>, std::sync::Arc<Checked>>::builder()
                .max_capacity(MAX_BYTES)
                .weigher(|token, _| {
                    u32::try_from(token.len())
                        .unwrap_or(u32::MAX)
                        .saturating_add(ENTRY_OVERHEAD)
                })
                .time_to_live(MAX_AGE)
                .build(),
        }
    }

    /// The earlier check of `token`, while the token has not expired.
    pub fn get(&self, token: &str) -> Option<std::sync::Arc<Checked>> {
        let checked = self.entries.get(token)?;
        (now() < checked.expires_at).then_some(checked)
    }

    /// Remembers a token that passed; identity-provider tokens and long ones are not kept.
    pub fn remember(&self, token: &str, checked: Checked) -> std::sync::Arc<Checked> {
        let checked = std::sync::Arc::new(checked);
        if checked.principal.source != TokenSource::IdentityProvider
            && token.len() <= MAX_TOKEN_BYTES
            && now() < checked.expires_at
        {
            self.entries.insert(token.into(), checked.clone());
        }
        checked
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Scopes;

    fn checked(source: TokenSource, expires_at: i64) -> Checked {
        Checked {
            principal: Principal {
                subject: "app".to_owned(),
                scopes: Scopes::NONE,
                source,
            },
            jti: None,
            issued_at: None,
            expires_at,
        }
    }

    #[test]
    fn a_checked_token_is_remembered_until_it_expires() {
        let cache = Verified::new();
        cache.remember("valid", checked(TokenSource::Bridge, now() + 60));
        cache.remember("expired", checked(TokenSource::Bridge, now() - 1));
        assert!(cache.get("valid").is_some());
        assert!(cache.get("expired").is_none());
        assert!(cache.get("other").is_none());
    }

    #[test]
    fn identity_provider_tokens_and_long_tokens_are_never_remembered() {
        let cache = Verified::new();
        cache.remember("idp", checked(TokenSource::IdentityProvider, now() + 60));
        let long = "x".repeat(MAX_TOKEN_BYTES + 1);
        cache.remember(&long, checked(TokenSource::SharedSecret, now() + 60));
        assert!(cache.get("idp").is_none());
        assert!(cache.get(&long).is_none());
    }
}
