//! `login/token.php`: username, password and service shortname to a web-service token.
//!
//! Never retried: Moodle may create a token on the first attempt, and repeated failed
//! logins count against the account's lockout threshold.

use std::time::Instant;

use serde::Deserialize;

use crate::client::Client;
use crate::decode;
use crate::error::{DecodeReason, Endpoint, Error};
use crate::secret::Secret;

/// What `login/token.php` grants.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    /// The web-service token.
    pub token: Secret,
    /// The private token (only over https and for non-admins; used by the mobile app's
    /// auto-login).
    pub privatetoken: Option<Secret>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    privatetoken: Option<String>,
}

/// Reads token.php's answer.
fn parse_grant(body: &[u8], password: &Secret) -> Result<TokenGrant, Error> {
    let parsed: TokenAnswer = decode::endpoint(Endpoint::Token, body, Some(password))?;
    match parsed.token.filter(|t| !t.is_empty()) {
        Some(token) => Ok(TokenGrant {
            token: Secret::new(token),
            privatetoken: parsed
                .privatetoken
                .filter(|t| !t.is_empty())
                .map(Secret::new),
        }),
        None => Err(Error::Decode {
            reason: DecodeReason::UnexpectedShape,
            snippet: "login/token.php answered without a token".to_owned(),
        }),
    }
}

impl Client {
    /// Gets a token for `username` on the external service `service` (e.g.
    /// `moodle_mobile_app`). The client's own token is not used.
    ///
    /// # Errors
    /// [`Error::Endpoint`] with Moodle's code (`invalidlogin`, `servicenotavailable`,
    /// `missingparam`, `cannotcreatetoken`, `sitemaintenance`, …), or a transport error.
    pub async fn login(
        &self,
        username: &str,
        password: &Secret,
        service: &str,
    ) -> Result<TokenGrant, Error> {
        let started = Instant::now();
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("username", username)
            .append_pair("password", password.expose())
            .append_pair("service", service)
            .finish();
        let body = bytes::Bytes::from(body);
        let (outcome, retries) = self
            .with_retries(false, || {
                self.fetch(
                    self.form_post(&self.inner.urls.token, body.clone()),
                    Endpoint::Token,
                )
            })
            .await;
        let result = outcome.and_then(|answer| parse_grant(&answer.body, password));
        self.observe(
            Endpoint::Token.path(),
            started,
            retries,
            result.as_ref().err(),
        );
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match &result {
            Ok(_) => {
                tracing::debug!(endpoint = %Endpoint::Token, service, elapsed_ms, status = "ok", "moodle token login")
            }
            Err(e) => {
                tracing::debug!(endpoint = %Endpoint::Token, service, elapsed_ms, error = %e, "moodle token login failed")
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    #[test]
    fn recorded_grants_and_refusals_decode() {
        let pw = Secret::new("Student123!x");
        for seq in [1, 2, 7, 8] {
            let grant = parse_grant(testdata::seq(seq).body.as_bytes(), &pw).expect("grant");
            assert_eq!(grant.token.expose(), "<TOKEN>");
            assert!(grant.privatetoken.is_none());
            assert!(!format!("{grant:?}").contains("TOKEN"));
        }
        for (seq, code) in [
            (3, "invalidlogin"),
            (4, "invalidlogin"),
            (5, "missingparam"),
            (6, "servicenotavailable"),
        ] {
            match parse_grant(testdata::seq(seq).body.as_bytes(), &pw) {
                Err(Error::Endpoint {
                    endpoint: Endpoint::Token,
                    errorcode,
                    ..
                }) => assert_eq!(errorcode, code),
                other => panic!("seq {seq}: {other:?}"),
            }
        }
        assert!(matches!(
            parse_grant(br#"{"token":""}"#, &pw),
            Err(Error::Decode { .. })
        ));
    }
}
