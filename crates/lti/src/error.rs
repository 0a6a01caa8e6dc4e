//! Every way an operation of this crate fails, one enum per operation and one variant per
//! event: [`LoginError`] (login initiation), [`LaunchError`] (the id_token checks, each its
//! own variant), [`KeyError`] (tool keys), [`JwksError`] (platform key sets), [`ServiceError`]
//! (access tokens, AGS, NRPS), [`DeepLinkingError`], [`RegistrationError`] (dynamic
//! registration), [`ToolError`] and [`StoreError`] (the bridge's stores).
//!
//! Messages are short, lowercase and safe to show: no token, key or registration token ever
//! enters one, and URLs are dropped from transport errors (`reqwest::Error::without_url`).
//! Turning errors into HTTP answers is the bridge's job; [`LaunchError::kind`] says what kind
//! of failure a launch error is.

/// A store (the bridge's database, or [`crate::MemoryStore`]) failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("lti store failed: {message}")]
pub struct StoreError {
    message: String,
}

impl StoreError {
    /// A failure described by `message` (which must not contain secrets).
    pub fn new(message: impl Into<String>) -> StoreError {
        StoreError {
            message: message.into(),
        }
    }

    /// The description given by the store.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Why a login initiation (the platform's first request) was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// A required parameter is absent or empty.
    #[error("login initiation is missing `{0}`")]
    MissingParam(&'static str),
    /// `target_link_uri` is not a URL of this tool.
    #[error("target_link_uri is not a URL of this tool")]
    ForeignTargetLinkUri,
    /// No registration matches the issuer (and client id, when sent).
    #[error("no registration for issuer {issuer} and client id {}", client_id.as_deref().unwrap_or("(not sent)"))]
    UnknownRegistration {
        /// The `iss` parameter.
        issuer: String,
        /// The `client_id` parameter, if sent.
        client_id: Option<String>,
    },
    /// Several registrations share the issuer and the platform sent no `client_id`.
    #[error("several registrations for issuer {issuer}; the platform must send client_id")]
    AmbiguousIssuer {
        /// The `iss` parameter.
        issuer: String,
    },
    /// `lti_deployment_id` names a deployment the registration does not have.
    #[error("deployment {deployment_id} is not registered")]
    UnknownDeployment {
        /// The `lti_deployment_id` parameter.
        deployment_id: String,
    },
    /// The random source failed.
    #[error("no random bytes for state and nonce")]
    Random,
    /// A store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why an id_token (a launch) was refused: one variant per check of the 1EdTech Security
/// Framework §5.1.3 and LTI Core §5.3, in the order [`crate::LaunchValidator`] runs them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LaunchError {
    /// The platform answered the authentication request with an error (`error` form field).
    #[error("the platform refused the login: {error}")]
    PlatformError {
        /// The OAuth error code (`invalid_request`, `access_denied`, …).
        error: String,
        /// `error_description`, if sent.
        description: Option<String>,
    },
    /// No `id_token` was posted.
    #[error("no id_token was posted")]
    MissingIdToken,
    /// No `state` was posted.
    #[error("no state was posted")]
    MissingState,
    /// This browser holds no state (no cookie, no platform storage offered at login).
    #[error("this browser holds no login state")]
    StateNotBound,
    /// The posted state is not the one bound to this browser.
    #[error("the posted state is not this browser's")]
    StateMismatch,
    /// The state was never issued (or was forgotten long ago).
    #[error("unknown state")]
    StateUnknown,
    /// The state was already used by an earlier launch.
    #[error("the state was already used")]
    StateReused,
    /// The state is older than its lifetime (5 minutes by default).
    #[error("the state has expired")]
    StateExpired,
    /// The registration the login was made for no longer exists.
    #[error("the registration of this login no longer exists")]
    UnknownRegistration,
    /// The token is not three base64url parts with a JSON header.
    #[error("the id_token is not a compact JWS")]
    Malformed,
    /// `alg` is `none`.
    #[error("unsigned id_token (alg none)")]
    AlgorithmNone,
    /// `alg` is anything but RS256 (HMAC included).
    #[error("algorithm {alg} is not allowed; only RS256")]
    AlgorithmNotAllowed {
        /// The header's `alg`.
        alg: String,
    },
    /// The header has no `kid` (Security Framework §6.3).
    #[error("the id_token header has no kid")]
    MissingKid,
    /// No key with this `kid` in the platform's key set, even after refetching it.
    #[error("the platform has no key {kid}")]
    UnknownKid {
        /// The header's `kid`.
        kid: String,
    },
    /// The platform's key set could not be fetched.
    #[error("platform keys unavailable: {0}")]
    JwksUnavailable(#[source] JwksError),
    /// The signature does not verify with the platform's key.
    #[error("bad signature")]
    BadSignature,
    /// The payload is not a JSON object of the expected shape.
    #[error("invalid claim {claim}")]
    InvalidClaim {
        /// The claim (path) that did not parse.
        claim: String,
    },
    /// `iss` is not the registration's issuer.
    #[error("wrong issuer")]
    WrongIssuer,
    /// `aud` does not contain the registration's client id.
    #[error("wrong audience")]
    WrongAudience,
    /// `aud` has several values and no `azp`.
    #[error("several audiences and no azp")]
    AzpMissing,
    /// `azp` is not the registration's client id.
    #[error("azp is not this tool's client id")]
    AzpMismatch,
    /// `exp` has passed (beyond the clock skew).
    #[error("the id_token has expired")]
    Expired,
    /// `iat` lies in the future (beyond the clock skew).
    #[error("the id_token is issued in the future")]
    IssuedInFuture,
    /// The nonce was seen in an earlier launch.
    #[error("the nonce was already used")]
    NonceReplayed,
    /// The nonce is not the one issued with this state.
    #[error("the nonce does not match the login's")]
    NonceMismatch,
    /// `…/claim/version` is not `1.3.0`.
    #[error("lti version {version} is not 1.3.0")]
    WrongVersion {
        /// The claim's value.
        version: String,
    },
    /// `…/claim/message_type` is not one this tool handles.
    #[error("message type {message_type} is not supported")]
    UnsupportedMessageType {
        /// The claim's value.
        message_type: String,
    },
    /// `…/claim/deployment_id` is not registered for the registration.
    #[error("deployment {deployment_id} is not registered")]
    UnknownDeployment {
        /// The claim's value.
        deployment_id: String,
    },
    /// A claim the message type requires is absent or empty.
    #[error("missing claim {claim}")]
    MissingClaim {
        /// The claim (short name, e.g. `resource_link.id`).
        claim: &'static str,
    },
    /// A store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl LaunchError {
    /// The variant's name (`"StateMismatch"`), for logs, metrics and the fixture tests.
    pub fn code(&self) -> &'static str {
        match self {
            LaunchError::PlatformError { .. } => "PlatformError",
            LaunchError::MissingIdToken => "MissingIdToken",
            LaunchError::MissingState => "MissingState",
            LaunchError::StateNotBound => "StateNotBound",
            LaunchError::StateMismatch => "StateMismatch",
            LaunchError::StateUnknown => "StateUnknown",
            LaunchError::StateReused => "StateReused",
            LaunchError::StateExpired => "StateExpired",
            LaunchError::UnknownRegistration => "UnknownRegistration",
            LaunchError::Malformed => "Malformed",
            LaunchError::AlgorithmNone => "AlgorithmNone",
            LaunchError::AlgorithmNotAllowed { .. } => "AlgorithmNotAllowed",
            LaunchError::MissingKid => "MissingKid",
            LaunchError::UnknownKid { .. } => "UnknownKid",
            LaunchError::JwksUnavailable(_) => "JwksUnavailable",
            LaunchError::BadSignature => "BadSignature",
            LaunchError::InvalidClaim { .. } => "InvalidClaim",
            LaunchError::WrongIssuer => "WrongIssuer",
            LaunchError::WrongAudience => "WrongAudience",
            LaunchError::AzpMissing => "AzpMissing",
            LaunchError::AzpMismatch => "AzpMismatch",
            LaunchError::Expired => "Expired",
            LaunchError::IssuedInFuture => "IssuedInFuture",
            LaunchError::NonceReplayed => "NonceReplayed",
            LaunchError::NonceMismatch => "NonceMismatch",
            LaunchError::WrongVersion { .. } => "WrongVersion",
            LaunchError::UnsupportedMessageType { .. } => "UnsupportedMessageType",
            LaunchError::UnknownDeployment { .. } => "UnknownDeployment",
            LaunchError::MissingClaim { .. } => "MissingClaim",
            LaunchError::Store(_) => "Store",
        }
    }

    /// What kind of failure this is: the tool could not check (the platform's keys or a
    /// store unavailable), the post is not a launch at all, or the launch was checked and
    /// refused (Security Framework §5.1.3).
    pub fn kind(&self) -> LaunchErrorKind {
        match self {
            LaunchError::JwksUnavailable(_) | LaunchError::Store(_) => LaunchErrorKind::Unavailable,
            LaunchError::MissingIdToken | LaunchError::MissingState | LaunchError::Malformed => {
                LaunchErrorKind::Malformed
            }
            _ => LaunchErrorKind::Refused,
        }
    }
}

/// The kinds of [`LaunchError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaunchErrorKind {
    /// The checks could not run (the platform's key set or a store unavailable).
    Unavailable,
    /// The post is not a launch (no id_token or state, not a JWT).
    Malformed,
    /// A check failed: the launch is refused.
    Refused,
}

/// Why a tool key could not be loaded, made or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is neither a PEM private key nor base64 of one.
    #[error("not an RSA private key in PEM (PKCS#1 or PKCS#8): {reason}")]
    InvalidPrivateKey {
        /// What the parser said (never key material).
        reason: String,
    },
    /// The text is neither a PEM public key nor base64 of one.
    #[error("not an RSA public key in PEM: {reason}")]
    InvalidPublicKey {
        /// What the parser said.
        reason: String,
    },
    /// The public key given beside the private key is not its pair.
    #[error("the public key does not belong to the private key")]
    PublicKeyMismatch,
    /// Tool keys must have 2048 to 4096 bits (ring's signing range).
    #[error("tool keys must have 2048 to 4096 bits (got {bits})")]
    UnsupportedSize {
        /// The key's size.
        bits: usize,
    },
    /// Key generation failed.
    #[error("rsa key generation failed")]
    Generation,
    /// Signing failed (no random bytes for blinding).
    #[error("signing failed")]
    Signing,
}

/// Why a platform's key set (JWKS) could not be used.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum JwksError {
    /// The set has no usable key with this id, even after a refetch.
    #[error("no key {kid} in the platform's key set")]
    UnknownKid {
        /// The key id asked for.
        kid: String,
    },
    /// The request failed (connection, timeout).
    #[error("key set request failed: {reason}")]
    Unreachable {
        /// The transport error, without URL.
        reason: String,
    },
    /// The platform answered with an HTTP error.
    #[error("key set request answered http {status}")]
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// The document is larger than the limit.
    #[error("key set larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The document is not a JWKS.
    #[error("not a key set: {reason}")]
    NotJwks {
        /// What the parser said.
        reason: String,
    },
}

/// Why a call to a platform service (token endpoint, AGS, NRPS) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The launch carries no claim for this service (or not the needed URL).
    #[error("the platform offers no {service} for this launch")]
    NotOffered {
        /// What is missing (`line items URL`, `names and roles service`, …).
        service: &'static str,
    },
    /// The token endpoint refused the client assertion or the scopes (HTTP 400/401 with
    /// `{"error": …}`; Moodle: `invalid_scope`, `invalid_client`, `unsupported_grant_type`).
    #[error("the token endpoint refused: {error}")]
    TokenRejected {
        /// The OAuth error code.
        error: String,
    },
    /// The service refused the access token, also after fetching a new one.
    #[error("the platform refused the access token")]
    Unauthorized,
    /// A score with a timestamp not newer than the stored one (Moodle: HTTP 409 `[]`;
    /// Moodle compares whole seconds).
    #[error("the platform already has a score at least as new (http 409)")]
    ScoreNotNewer,
    /// A score refused as invalid: unknown or not gradable user, missing fields (Moodle:
    /// HTTP 400 `[]`).
    #[error(
        "the platform refused the score: unknown or not gradable user, or invalid score (http 400)"
    )]
    ScoreRejected,
    /// The resource does not exist (HTTP 404).
    #[error("not found at the platform (http 404)")]
    NotFound,
    /// Any other HTTP error.
    #[error("the platform answered http {status}")]
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// The request failed (connection, timeout).
    #[error("platform request failed: {reason}")]
    Transport {
        /// The transport error, without URL.
        reason: String,
    },
    /// The answer is not what the service specifies.
    #[error("unexpected answer from the platform: {reason}")]
    Decode {
        /// What did not parse.
        reason: String,
    },
    /// A URL from the launch or a `Link` header is not a valid URL.
    #[error("invalid service URL")]
    InvalidUrl,
    /// The client assertion could not be signed.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// Why a deep-linking response could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeepLinkingError {
    /// The launch is not an `LtiDeepLinkingRequest`.
    #[error("the launch is not a deep-linking request")]
    NotDeepLinking,
    /// A content item's type is not in `accept_types`.
    #[error("the platform does not accept content items of type {item_type}")]
    TypeNotAccepted {
        /// The item's type.
        item_type: String,
    },
    /// Several items and `accept_multiple` is false.
    #[error("the platform accepts one content item only")]
    MultipleNotAccepted,
    /// Signing failed.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// Why dynamic registration failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistrationError {
    /// `openid_configuration` is absent or not an http(s) URL.
    #[error("openid_configuration is not an http(s) URL")]
    InvalidConfigurationUrl,
    /// The platform configuration is unusable; `reason` names the field.
    #[error("platform configuration: {reason}")]
    InvalidConfiguration {
        /// What is wrong.
        reason: String,
    },
    /// The configuration's `issuer` is not a prefix of the configuration URL.
    #[error("the issuer {issuer} does not match the openid_configuration URL")]
    IssuerMismatch {
        /// The configuration's issuer.
        issuer: String,
    },
    /// An endpoint of the configuration (`jwks_uri`, `token_endpoint`, …) is not on the
    /// issuer's origin.
    #[error("the platform configuration's {endpoint} is not on the issuer's site")]
    ForeignEndpoint {
        /// The endpoint's name in the configuration.
        endpoint: &'static str,
    },
    /// The platform refused the registration (Moodle: 401 `missing_registration_token`,
    /// `token_already_used`; 404 for a foreign token).
    #[error("the platform refused the registration (http {status}{})", reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// Moodle's short reason or the OAuth `error`, when the body has one.
        reason: Option<String>,
    },
    /// The configuration or registration request failed.
    #[error("registration request failed: {reason}")]
    Transport {
        /// The transport error, without URL.
        reason: String,
    },
    /// The registration answer is not what the specification describes.
    #[error("registration answer: {reason}")]
    InvalidResponse {
        /// What is wrong.
        reason: String,
    },
}

/// Why a [`crate::Tool`] could not be configured.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ToolError {
    /// The base URL is not an absolute http(s) URL without query or fragment.
    #[error("tool base URL must be an absolute http(s) URL without query (got {0:?})")]
    InvalidBaseUrl(String),
}
