//! The file manager's credential after a launch: a short-lived token the page sends in the
//! `X-Launch-Token` header (never a cookie: the page runs in Moodle's iframe, where browsers
//! drop third-party cookies), bound to the launch's platform, deployment, context, user and
//! roles; and download tickets, one file's short-lived permission to be fetched by a plain
//! link (so the browser streams a download instead of holding it in page memory).
//!
//! Both are HS256 with a key derived from `SECRET_KEY` by HKDF for this purpose alone, so an
//! API token can never pass as a launch token or the other way round.

use std::time::Duration;

use hkdf::Hkdf;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use moodle_ws::Secret;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::storage::hex;

/// HKDF `info` of the launch-token key.
const KEY_INFO: &[u8] = b"moodle-bridge lti-launch-token hs256 v1";
/// `iss` of launch tokens and tickets.
const ISSUER: &str = "moodle-bridge/lti";
/// `aud` of launch tokens.
const AUDIENCE: &str = "moodle-bridge/file-manager";
/// `aud` of download tickets.
const TICKET_AUDIENCE: &str = "moodle-bridge/download";
/// How long a download ticket is valid.
const TICKET_TTL_SECS: i64 = 300;

/// What a launch token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchClaims {
    /// The launching user (the platform's `sub`; Moodle: the user id).
    pub sub: String,
    /// The registration (platform) the launch came from.
    pub reg: String,
    /// The deployment.
    pub dep: String,
    /// The LTI context id (Moodle: the course id).
    pub ctx: String,
    /// The Moodle course id, when the context id is one.
    pub course: Option<i64>,
    /// The resource link launched (whose line item a score goes to by default); absent in
    /// deep-linking launches and in tokens made before it was added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rlid: Option<String>,
    /// The user's roles, as far as the file manager cares.
    pub roles: RoleFlags,
    /// The user's name, when the platform shares it.
    pub name: Option<String>,
    /// The platform's origin: the only site that may frame the file manager.
    pub origin: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
    /// Unique id.
    pub jti: String,
}

impl LaunchClaims {
    /// Whether the roles allow the file manager (administrators and instructors).
    pub fn is_staff(&self) -> bool {
        self.roles.administrator || self.roles.instructor
    }
}

/// The roles that matter here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RoleFlags {
    /// Administrator (context, institution or system).
    pub administrator: bool,
    /// Instructor (context or institution).
    pub instructor: bool,
    /// Learner.
    pub learner: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct Envelope<T> {
    iss: String,
    aud: String,
    #[serde(flatten)]
    body: T,
}

/// What a download ticket says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketClaims {
    /// The stored file.
    pub file: String,
    /// The registration and context of the launch it was made for.
    pub reg: String,
    /// The context.
    pub ctx: String,
    /// Expires at (Unix seconds).
    pub exp: i64,
}

/// Why a launch token or ticket is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LaunchTokenError {
    /// Not a token of this bridge (another key, another purpose, forged or malformed).
    #[error("the launch token is not valid")]
    Invalid,
    /// Its time is over.
    #[error("the launch token has expired; open the tool from Moodle again")]
    Expired,
    /// Its platform or deployment is no longer registered here (`moodle-bridge lti remove`,
    /// or a registration update that dropped the deployment).
    #[error("the tool's deployment this launch came from is no longer registered")]
    DeploymentRemoved,
    /// The registrations cannot be read now.
    #[error("launch tokens cannot be checked now; try again shortly")]
    Unavailable,
}

/// Issues and checks launch tokens and download tickets.
#[derive(Clone)]
pub struct LaunchTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
    ttl: Duration,
}

impl std::fmt::Debug for LaunchTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LaunchTokens")
            .field("kid", &self.kid)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl LaunchTokens {
    /// The tokens of this `SECRET_KEY`, valid for `ttl`.
    pub fn derive(secret_key: &Secret, ttl: Duration) -> LaunchTokens {
        let mut key = [0u8; 32];
        Hkdf::<Sha256>::new(None, secret_key.expose().as_bytes())
            .expand(KEY_INFO, &mut key)
            .unwrap_or_else(|_| unreachable!("32 bytes is a valid HKDF-SHA256 output length"));
        LaunchTokens {
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            kid: format!("lt-{}", &hex(&Sha256::digest(key))[..12]),
            ttl,
        }
    }

    /// How long a token is valid.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Signs `claims` (their `iat`, `exp` and `jti` are set here, from `now`).
    ///
    /// # Errors
    /// Only if signing fails, which HS256 with a 32-byte key does not.
    pub fn issue(
        &self,
        mut claims: LaunchClaims,
        now: i64,
    ) -> Result<(String, LaunchClaims), jsonwebtoken::errors::Error> {
        claims.iat = now;
        claims.exp = now.saturating_add(i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX));
        claims.jti = uuid::Uuid::new_v4().simple().to_string();
        let token = self.sign(AUDIENCE, &claims)?;
        Ok((token, claims))
    }

    /// Checks a launch token.
    ///
    /// # Errors
    /// [`LaunchTokenError`].
    pub fn verify(&self, token: &str) -> Result<LaunchClaims, LaunchTokenError> {
        self.check(token, AUDIENCE)
    }

    /// A ticket to download `file` in the launch's context, valid for five minutes.
    ///
    /// # Errors
    /// Only if signing fails.
    pub fn ticket(
        &self,
        claims: &LaunchClaims,
        file: &str,
        now: i64,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        self.sign(
            TICKET_AUDIENCE,
            &TicketClaims {
                file: file.to_owned(),
                reg: claims.reg.clone(),
                ctx: claims.ctx.clone(),
                exp: now + TICKET_TTL_SECS,
            },
        )
    }

    /// Checks a download ticket.
    ///
    /// # Errors
    /// [`LaunchTokenError`].
    pub fn verify_ticket(&self, ticket: &str) -> Result<TicketClaims, LaunchTokenError> {
        self.check(ticket, TICKET_AUDIENCE)
    }

    fn sign<T: Serialize>(
        &self,
        aud: &str,
        body: &T,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        let envelope = Envelope {
            iss: ISSUER.to_owned(),
            aud: aud.to_owned(),
            body,
        };
        jsonwebtoken::encode(&header, &envelope, &self.encoding)
    }

    fn check<T: for<'de> Deserialize<'de>>(
        &self,
        token: &str,
        aud: &str,
    ) -> Result<T, LaunchTokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| LaunchTokenError::Invalid)?;
        if header.alg != Algorithm::HS256 || header.kid.as_deref() != Some(self.kid.as_str()) {
            return Err(LaunchTokenError::Invalid);
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[aud]);
        validation.leeway = 0;
        jsonwebtoken::decode::<Envelope<T>>(token, &self.decoding, &validation)
            .map(|d| d.claims.body)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => LaunchTokenError::Expired,
                _ => LaunchTokenError::Invalid,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(secret: &str) -> LaunchTokens {
        LaunchTokens::derive(&Secret::new(secret), Duration::from_secs(3600))
    }

    fn claims() -> LaunchClaims {
        LaunchClaims {
            sub: "3".to_owned(),
            reg: "default".to_owned(),
            dep: "1".to_owned(),
            ctx: "2".to_owned(),
            course: Some(2),
            rlid: Some("1".to_owned()),
            roles: RoleFlags {
                instructor: true,
                ..RoleFlags::default()
            },
            name: None,
            origin: "http://127.0.0.1:8081".to_owned(),
            iat: 0,
            exp: 0,
            jti: String::new(),
        }
    }

    fn now() -> i64 {
        i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("time")
                .as_secs(),
        )
        .expect("fits")
    }

    #[test]
    fn a_token_carries_its_binding_and_only_this_key_accepts_it() {
        let t = tokens("0123456789abcdef0123456789abcdef-a");
        let (token, issued) = t.issue(claims(), now()).expect("issue");
        assert_eq!(issued.exp - issued.iat, 3600);
        let back = t.verify(&token).expect("valid");
        assert_eq!(back, issued);
        assert!(back.is_staff());
        assert_eq!(
            tokens("0123456789abcdef0123456789abcdef-b").verify(&token),
            Err(LaunchTokenError::Invalid)
        );
        let mut tampered = token.clone();
        tampered.insert(tampered.len() - 3, 'x');
        assert_eq!(t.verify(&tampered), Err(LaunchTokenError::Invalid));
    }

    #[test]
    fn an_old_token_is_expired_and_a_ticket_is_not_a_token() {
        let t = tokens("0123456789abcdef0123456789abcdef-a");
        let (old, _) = t.issue(claims(), now() - 7200).expect("issue");
        assert_eq!(t.verify(&old), Err(LaunchTokenError::Expired));
        let ticket = t.ticket(&claims(), "f1", now()).expect("ticket");
        assert_eq!(t.verify(&ticket), Err(LaunchTokenError::Invalid));
        let back = t.verify_ticket(&ticket).expect("ticket");
        assert_eq!((back.file.as_str(), back.ctx.as_str()), ("f1", "2"));
        let (token, _) = t.issue(claims(), now()).expect("issue");
        assert_eq!(t.verify_ticket(&token), Err(LaunchTokenError::Invalid));
    }

    #[test]
    fn an_api_token_is_not_a_launch_token() {
        let secret = Secret::new("0123456789abcdef0123456789abcdef-a");
        let api = crate::auth::OwnKey::derive(&secret)
            .issue(
                "x",
                crate::auth::Scopes::READ_WRITE,
                Duration::from_secs(60),
            )
            .expect("api token");
        let t = LaunchTokens::derive(&secret, Duration::from_secs(60));
        assert_eq!(t.verify(api.token.expose()), Err(LaunchTokenError::Invalid));
    }
}
