//! Who is calling: API bearer tokens (JWT) from three sources, their scopes, and the
//! per-subject rate limit. Plain Rust; the HTTP layer (`http/auth.rs`) only reads the
//! header and turns [`AuthError`] into a response.
//!
//! Sources, told apart by the token's header:
//! - the bridge's own tokens (`moodle-bridge token create`): HS256 with a key derived from
//!   `SECRET_KEY`, `kid` naming it, `iss`/`aud` `moodle-bridge`, `exp` required;
//! - tokens signed with the shared secret `AUTH_HS256_SECRET` (how the seeds' applications
//!   sign their users' tokens): HS256, `sub` and `exp` required, `iss`/`aud` checked when
//!   `AUTH_HS256_ISSUER`/`AUTH_HS256_AUDIENCE` are set;
//! - an identity provider's tokens (RS/PS/ES/EdDSA) checked against its JWKS, with `iss`,
//!   `aud` and `exp` required.
//!
//! Every kind honours `nbf`, and any token can be revoked (`revocations.rs`).

mod jwks;
mod own;
mod rate_limit;
pub mod revocations;
mod verified;

use std::sync::Arc;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

pub use crate::scopes::{Scope, Scopes};
pub use jwks::Jwks;
pub use own::{IssuedToken, OwnKey};
pub use rate_limit::RateLimiter;
pub use revocations::Revocations;

use crate::config::AuthConfig;
use verified::{Checked, Verified};

/// Where a token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// Made by `moodle-bridge token create`.
    Bridge,
    /// Signed with `AUTH_HS256_SECRET`.
    SharedSecret,
    /// Signed by the identity provider at `AUTH_JWKS_URL`.
    IdentityProvider,
}

impl TokenSource {
    /// A short name for logs and the audit log.
    pub fn name(self) -> &'static str {
        match self {
            TokenSource::Bridge => "bridge",
            TokenSource::SharedSecret => "shared-secret",
            TokenSource::IdentityProvider => "identity-provider",
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's `sub`.
    pub subject: String,
    /// What it may do.
    pub scopes: Scopes,
    /// Which source vouched for it.
    pub source: TokenSource,
}

impl Principal {
    /// The rate-limit and audit key: source and subject.
    pub fn key(&self) -> String {
        format!("{}:{}", self.source.name(), self.subject)
    }
}

/// Why a request is not authenticated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer …` header.
    #[error("missing bearer token")]
    Missing,
    /// Not a JWT, or claims of the wrong type.
    #[error("malformed bearer token")]
    Malformed,
    /// The signature does not match.
    #[error("bearer token signature is invalid")]
    BadSignature,
    /// `exp` is in the past.
    #[error("bearer token has expired")]
    Expired,
    /// `nbf` is in the future.
    #[error("bearer token is not valid yet")]
    NotYetValid,
    /// A claim the source requires is missing (`sub`, `exp`, `iss`, `aud`).
    #[error("bearer token lacks the {0} claim")]
    MissingClaim(String),
    /// `iss` or `aud` names someone else.
    #[error("bearer token was issued by or for someone else")]
    WrongParty,
    /// The key id is not among the source's keys (or names a retired bridge key).
    #[error("bearer token is signed with an unknown key")]
    UnknownKey,
    /// No configured source accepts this algorithm.
    #[error("bearer tokens signed with {0} are not accepted")]
    UnsupportedAlgorithm(String),
    /// The token (or every token of its subject) was revoked.
    #[error("bearer token was revoked")]
    Revoked,
    /// The identity provider's keys could not be fetched.
    #[error("the identity provider's keys cannot be fetched")]
    IdentityProviderUnreachable,
}

impl AuthError {
    /// A machine-readable reason for `error.details.reason`.
    pub fn reason(&self) -> &'static str {
        match self {
            AuthError::Missing => "missing_token",
            AuthError::Malformed => "malformed",
            AuthError::BadSignature => "bad_signature",
            AuthError::Expired => "expired",
            AuthError::NotYetValid => "not_yet_valid",
            AuthError::MissingClaim(_) => "missing_claim",
            AuthError::WrongParty => "wrong_issuer_or_audience",
            AuthError::UnknownKey => "unknown_key",
            AuthError::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            AuthError::IdentityProviderUnreachable => "identity_provider_unreachable",
            AuthError::Revoked => "revoked",
        }
    }
}

impl From<jsonwebtoken::errors::Error> for AuthError {
    fn from(e: jsonwebtoken::errors::Error) -> Self {
        match e.kind() {
            ErrorKind::InvalidSignature => AuthError::BadSignature,
            ErrorKind::ExpiredSignature => AuthError::Expired,
            ErrorKind::ImmatureSignature => AuthError::NotYetValid,
            ErrorKind::MissingRequiredClaim(c) => AuthError::MissingClaim(c.clone()),
            ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience => AuthError::WrongParty,
            ErrorKind::InvalidAlgorithm => AuthError::UnsupportedAlgorithm("this key".to_owned()),
            _ => AuthError::Malformed,
        }
    }
}

/// Checks bearer tokens against the configured sources.
pub struct Authenticator {
    own: Option<OwnKey>,
    shared: Option<(DecodingKey, Validation)>,
    idp: Option<Jwks>,
    default_scopes: Scopes,
    revocations: Option<Arc<Revocations>>,
    verified: Verified,
}

impl Authenticator {
    /// The sources `config` and `own` enable.
    pub fn new(config: &AuthConfig, own: Option<OwnKey>, http: reqwest::Client) -> Authenticator {
        Authenticator {
            own,
            shared: config.hs256_secret.as_ref().map(|s| {
                (
                    DecodingKey::from_secret(s.expose().as_bytes()),
                    shared_validation(config),
                )
            }),
            idp: config.identity_provider.clone().map(|p| Jwks::new(p, http)),
            default_scopes: config.default_scopes,
            revocations: None,
            verified: Verified::new(),
        }
    }

    /// The same, refusing tokens that `revocations` lists.
    pub fn with_revocations(mut self, revocations: Arc<Revocations>) -> Authenticator {
        self.revocations = Some(revocations);
        self
    }

    /// Verifies `token` and says who it belongs to.
    ///
    /// # Errors
    /// [`AuthError`] naming the first check that failed.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        let checked = match self.verified.get(token) {
            Some(checked) => checked,
            None => self.verified.remember(token, self.check(token).await?),
        };
        if let Some(revocations) = &self.revocations
            && revocations.is_revoked(
                checked.principal.source,
                &checked.principal.subject,
                checked.jti.as_deref(),
                checked.issued_at,
            )
        {
            return Err(AuthError::Revoked);
        }
        Ok(checked.principal.clone())
    }

    /// Every check of a token but revocation.
    async fn check(&self, token: &str) -> Result<Checked, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Malformed)?;
        let (claims, source) = match (header.alg, header.kid.as_deref()) {
            (Algorithm::HS256, Some(kid)) if OwnKey::is_own_kid(kid) => {
                let own = self.own.as_ref().ok_or(AuthError::UnknownKey)?;
                (own.verify(token, kid)?, TokenSource::Bridge)
            }
            (Algorithm::HS256, _) => {
                let (key, validation) = self
                    .shared
                    .as_ref()
                    .ok_or_else(|| AuthError::UnsupportedAlgorithm("HS256".to_owned()))?;
                (
                    jsonwebtoken::decode::<Map<String, Value>>(token, key, validation)?.claims,
                    TokenSource::SharedSecret,
                )
            }
            (alg, kid) => {
                let idp = self
                    .idp
                    .as_ref()
                    .ok_or_else(|| AuthError::UnsupportedAlgorithm(format!("{alg:?}")))?;
                (
                    idp.verify(token, alg, kid).await?,
                    TokenSource::IdentityProvider,
                )
            }
        };
        let subject = match claims.get("sub") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(AuthError::MissingClaim("sub".to_owned())),
        };
        Ok(Checked {
            principal: Principal {
                subject,
                scopes: Scopes::from_claims(&claims).unwrap_or(self.default_scopes),
                source,
            },
            jti: claims.get("jti").and_then(Value::as_str).map(str::to_owned),
            issued_at: claims.get("iat").and_then(Value::as_i64),
            // Every HS256 token has one (required); without it, it is not remembered.
            expires_at: claims
                .get("exp")
                .and_then(Value::as_i64)
                .unwrap_or(i64::MIN),
        })
    }
}

/// How shared-secret tokens are checked: HS256 only, `sub` and `exp` required (a token that
/// never expires cannot be taken back), `nbf` honoured, and `iss`/`aud` when configured (else
/// the secret alone is the trust).
fn shared_validation(config: &AuthConfig) -> Validation {
    let mut validation = Validation::new(Algorithm::HS256);
    let mut required = vec!["sub", "exp"];
    validation.validate_nbf = true;
    match &config.hs256_issuer {
        Some(issuer) => {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        None => validation.iss = None,
    }
    match &config.hs256_audience {
        Some(audience) => {
            validation.set_audience(&[audience]);
            required.push("aud");
        }
        None => validation.validate_aud = false,
    }
    validation.set_required_spec_claims(&required);
    validation
}

#[cfg(test)]
mod tests;
