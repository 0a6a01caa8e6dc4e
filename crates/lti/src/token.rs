//! Access tokens for platform services (LTI Advantage, Security Framework §4.1): the OAuth 2
//! client-credentials grant with a signed JWT assertion (RFC 7523), cached per registration
//! and scope set until shortly before expiry; and [`ServiceConnector::send`], which every
//! AGS/NRPS request goes through (bearer token, one retry with a new token after a 401, as
//! packback's `LtiServiceConnector` does).
//!
//! Moodle (`mod/lti/token.php`) answers the token JSON with `Content-Type: text/html` and
//! errors as HTTP 400 `{"error": …}`, so the body is parsed whatever its content type.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use serde::Deserialize;
use serde_json::json;

use crate::clock::Clock;
use crate::error::{KeyError, ServiceError};
use crate::http::{ReadError, read_limited, transport_reason};
use crate::jwt::B64;
use crate::keys::KeySet;
use crate::registration::Registration;

/// `client_assertion_type` of RFC 7523.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The largest token answer read.
const MAX_TOKEN_BYTES: usize = 64 * 1024;
/// Tokens are renewed this long before they expire.
const RENEW_MARGIN_SECS: i64 = 60;
/// Lifetime of a client assertion (the recording's tool used 300 s).
const ASSERTION_LIFETIME_SECS: i64 = 300;

/// A bearer access token; redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    value: Arc<str>,
    /// The scopes granted (the answer's `scope`, else those asked for).
    pub scopes: Vec<String>,
    /// When it expires (Unix seconds).
    pub expires_at: i64,
}

impl AccessToken {
    /// The token, for the one header that carries it.
    pub fn expose(&self) -> &str {
        &self.value
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("value", &"***")
            .field("scopes", &self.scopes)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    expires_in: Option<serde_json::Value>,
    scope: Option<String>,
    error: Option<String>,
}

/// Gets, caches and uses access tokens; share one per process.
pub struct ServiceConnector {
    http: reqwest::Client,
    keys: Arc<KeySet>,
    clock: Clock,
    timeout: Duration,
    cache: Mutex<HashMap<(String, String), AccessToken>>,
    random: SystemRandom,
}

impl ServiceConnector {
    /// A connector signing assertions with `keys` and sending with `http`.
    pub fn new(http: reqwest::Client, keys: Arc<KeySet>, clock: Clock) -> ServiceConnector {
        ServiceConnector {
            http,
            keys,
            clock,
            timeout: Duration::from_secs(15),
            cache: Mutex::new(HashMap::new()),
            random: SystemRandom::new(),
        }
    }

    /// The HTTP client (for callers that build their own service requests).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// A token for `scopes` at `registration`'s platform: the cached one while it has more
    /// than a minute left, else a new one.
    ///
    /// # Errors
    /// [`ServiceError::TokenRejected`] (HTTP 400/401 with an OAuth error), `Status`,
    /// `Transport`, `Decode`, `Key`.
    pub async fn access_token(
        &self,
        registration: &Registration,
        scopes: &[&str],
    ) -> Result<AccessToken, ServiceError> {
        let key = cache_key(registration, scopes);
        let now = self.clock.now();
        if let Some(token) = self.lock().get(&key)
            && token.expires_at - RENEW_MARGIN_SECS > now
        {
            return Ok(token.clone());
        }
        let token = self.fetch_token(registration, &key.1).await?;
        self.lock().insert(key, token.clone());
        Ok(token)
    }

    /// Forgets the cached token for `scopes` (after the platform refused it).
    pub fn forget(&self, registration: &Registration, scopes: &[&str]) {
        self.lock().remove(&cache_key(registration, scopes));
    }

    /// Sends a service request made by `build` with a bearer token for `scopes`; after a
    /// 401 it fetches a new token and tries once more.
    ///
    /// # Errors
    /// Token errors, [`ServiceError::Transport`], and [`ServiceError::Unauthorized`] when
    /// the new token is refused too.
    pub async fn send(
        &self,
        registration: &Registration,
        scopes: &[&str],
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ServiceError> {
        for attempt in 0..2 {
            let token = self.access_token(registration, scopes).await?;
            let response = build(&self.http)
                .bearer_auth(token.expose())
                .timeout(self.timeout)
                .send()
                .await
                .map_err(|e| ServiceError::Transport {
                    reason: transport_reason(e),
                })?;
            if response.status() != reqwest::StatusCode::UNAUTHORIZED {
                return Ok(response);
            }
            self.forget(registration, scopes);
            tracing::debug!(attempt, registration = %registration.id, "service refused the access token");
        }
        Err(ServiceError::Unauthorized)
    }

    /// The signed client assertion: iss = sub = client id, aud = the token URL (or the
    /// registration's token audience), iat, exp, a random jti.
    ///
    /// # Errors
    /// [`KeyError::Signing`].
    pub fn client_assertion(&self, registration: &Registration) -> Result<String, KeyError> {
        let now = self.clock.now();
        let mut jti = [0u8; 16];
        self.random.fill(&mut jti).map_err(|_| KeyError::Signing)?;
        let aud = registration
            .token_audience
            .clone()
            .unwrap_or_else(|| registration.access_token_url.to_string());
        self.keys.sign_jwt(&json!({
            "iss": registration.client_id,
            "sub": registration.client_id,
            "aud": aud,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_SECS,
            "jti": B64.encode(jti),
        }))
    }

    async fn fetch_token(
        &self,
        registration: &Registration,
        scope: &str,
    ) -> Result<AccessToken, ServiceError> {
        let assertion = self.client_assertion(registration)?;
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_assertion_type", JWT_BEARER)
            .append_pair("client_assertion", &assertion)
            .append_pair("scope", scope)
            .finish();
        let response = self
            .http
            .post(registration.access_token_url.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(self.timeout)
            .body(body)
            .send()
            .await
            .map_err(|e| ServiceError::Transport {
                reason: transport_reason(e),
            })?;
        let status = response.status().as_u16();
        let body = read_limited(response, MAX_TOKEN_BYTES)
            .await
            .map_err(|e| match e {
                ReadError::TooLarge => ServiceError::Decode {
                    reason: "token answer too large".to_owned(),
                },
                ReadError::Transport(reason) => ServiceError::Transport { reason },
            })?;
        let answer: Option<TokenAnswer> = serde_json::from_slice(&body).ok();
        if status != 200 {
            return Err(match answer.and_then(|a| a.error) {
                Some(error) if matches!(status, 400 | 401) => ServiceError::TokenRejected { error },
                _ => ServiceError::Status { status },
            });
        }
        let answer = answer.ok_or_else(|| ServiceError::Decode {
            reason: "token answer is not JSON".to_owned(),
        })?;
        let value = answer
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ServiceError::Decode {
                reason: "no access_token".to_owned(),
            })?;
        let expires_in = answer
            .expires_in
            .and_then(|v| {
                v.as_i64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            })
            .unwrap_or(3600);
        let scopes = answer
            .scope
            .unwrap_or_else(|| scope.to_owned())
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        Ok(AccessToken {
            value: Arc::from(value),
            scopes,
            expires_at: self.clock.now() + expires_in,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), AccessToken>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for ServiceConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceConnector")
            .field("cached_tokens", &self.lock().len())
            .finish_non_exhaustive()
    }
}

/// (registration id, the scopes sorted and deduplicated, space-separated).
fn cache_key(registration: &Registration, scopes: &[&str]) -> (String, String) {
    let mut sorted: Vec<&str> = scopes.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    (registration.id.clone(), sorted.join(" "))
}
