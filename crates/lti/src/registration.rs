//! Platform registrations: [`Registration`] (what the tool knows about one platform + client
//! id) and LTI Dynamic Registration 1.0 ([`DynamicRegistration`]): fetch the platform's
//! OpenID configuration, check it, POST the tool's registration with the registration token
//! and turn the answer into a `Registration` for the bridge to store, then answer the
//! administrator's browser with [`close_page_html`].
//!
//! Moodle (3.10+) sends `openid_configuration` and a single-use `registration_token`; the
//! new tool stays *pending* in Moodle until an administrator activates it.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

use crate::error::RegistrationError;
use crate::http::{ReadError, read_limited, transport_reason};
use crate::tool::Tool;

/// The lti-platform-configuration claim of an OpenID configuration.
pub const PLATFORM_CONFIGURATION_CLAIM: &str =
    "https://purl.imsglobal.org/spec/lti-platform-configuration";
/// The lti-tool-configuration claim of a registration.
pub const TOOL_CONFIGURATION_CLAIM: &str = "https://purl.imsglobal.org/spec/lti-tool-configuration";

/// The largest configuration or registration answer read.
const MAX_BYTES: usize = 256 * 1024;

/// One platform registration: the platform's issuer and endpoints, the client id it gave
/// the tool, and the deployments it made. `id` is the bridge's own key (its database row), so
/// it can map a launch to its other settings (the platform's web-service URL and token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// The bridge's id for this registration.
    pub id: String,
    /// The platform's issuer (Moodle: `$CFG->wwwroot`, "Platform ID").
    pub issuer: String,
    /// The client id the platform gave the tool.
    pub client_id: String,
    /// The OIDC authentication endpoint (Moodle: `/mod/lti/auth.php`).
    pub auth_login_url: Url,
    /// The OAuth token endpoint (Moodle: `/mod/lti/token.php`).
    pub access_token_url: Url,
    /// The platform's JWKS (Moodle: `/mod/lti/certs.php`).
    pub jwks_url: Url,
    /// The `aud` of client assertions when it is not the token URL (OpenID
    /// `authorization_server`); `None` = the token URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_audience: Option<String>,
    /// The deployment ids accepted (Moodle: the tool type id, `"1"`).
    pub deployments: Vec<String>,
}

impl Registration {
    /// A registration with Moodle's endpoints below `wwwroot` (which is also the issuer).
    ///
    /// # Errors
    /// [`url::ParseError`] when `wwwroot` is not an absolute URL.
    pub fn moodle(
        id: &str,
        wwwroot: &str,
        client_id: &str,
        deployments: &[&str],
    ) -> Result<Registration, url::ParseError> {
        let root = wwwroot.trim_end_matches('/');
        let endpoint = |path: &str| Url::parse(&format!("{root}/mod/lti/{path}"));
        Ok(Registration {
            id: id.to_owned(),
            issuer: root.to_owned(),
            client_id: client_id.to_owned(),
            auth_login_url: endpoint("auth.php")?,
            access_token_url: endpoint("token.php")?,
            jwks_url: endpoint("certs.php")?,
            token_audience: None,
            deployments: deployments.iter().map(|d| (*d).to_owned()).collect(),
        })
    }

    /// Whether `deployment_id` is one of this registration's deployments.
    pub fn has_deployment(&self, deployment_id: &str) -> bool {
        self.deployments.iter().any(|d| d == deployment_id)
    }
}

/// A platform's OpenID configuration, as far as dynamic registration needs it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlatformConfiguration {
    /// The issuer.
    pub issuer: String,
    /// The OIDC authentication endpoint.
    pub authorization_endpoint: Url,
    /// The token endpoint.
    pub token_endpoint: Url,
    /// The platform's JWKS.
    pub jwks_uri: Url,
    /// Where the registration is POSTed.
    pub registration_endpoint: Url,
    /// The scopes the platform knows.
    #[serde(default)]
    pub scopes_supported: Vec<String>,
    /// The client-assertion audience, when not the token endpoint.
    #[serde(default)]
    pub authorization_server: Option<String>,
    /// `product_family_code` of the lti-platform-configuration claim (`moodle`).
    pub product_family_code: String,
    /// `version` of that claim (Moodle: `4.5.6 (Build: 20250811)`).
    pub version: Option<String>,
    /// Message types the platform supports.
    pub messages_supported: Vec<String>,
}

impl PlatformConfiguration {
    /// The four endpoints, each with its name in the document.
    pub fn endpoints(&self) -> [(&'static str, &Url); 4] {
        [
            ("authorization_endpoint", &self.authorization_endpoint),
            ("token_endpoint", &self.token_endpoint),
            ("jwks_uri", &self.jwks_uri),
            ("registration_endpoint", &self.registration_endpoint),
        ]
    }
}

/// What a successful dynamic registration gives.
#[derive(Clone, Debug, PartialEq)]
pub struct RegistrationOutcome {
    /// The registration to store.
    pub registration: Registration,
    /// The platform's configuration.
    pub platform: PlatformConfiguration,
    /// The scopes the platform granted.
    pub scopes: Vec<String>,
}

/// Dynamic registration of one [`Tool`] with platforms.
#[derive(Clone, Debug)]
pub struct DynamicRegistration {
    http: reqwest::Client,
    tool: Tool,
    timeout: Duration,
}

impl DynamicRegistration {
    /// Registers `tool`, making requests with `http`.
    pub fn new(http: reqwest::Client, tool: Tool) -> DynamicRegistration {
        DynamicRegistration {
            http,
            tool,
            timeout: Duration::from_secs(10),
        }
    }

    /// The whole flow: fetch and check the configuration, POST the registration, and build
    /// the [`Registration`] (with `registration_id` as its id) from the answer.
    ///
    /// # Errors
    /// Every [`RegistrationError`]; [`RegistrationError::Rejected`] carries Moodle's reason
    /// (`token_already_used`, `missing_registration_token`).
    pub async fn register(
        &self,
        openid_configuration: &str,
        registration_token: Option<&str>,
        registration_id: &str,
    ) -> Result<RegistrationOutcome, RegistrationError> {
        let platform = self.fetch_configuration(openid_configuration).await?;
        self.register_with(platform, registration_token, registration_id)
            .await
    }

    /// The second half of [`DynamicRegistration::register`]: POSTs the registration to a
    /// configuration fetched (and checked by the caller's own policy) before.
    ///
    /// # Errors
    /// `Transport`, `Rejected`, `InvalidResponse`.
    pub async fn register_with(
        &self,
        platform: PlatformConfiguration,
        registration_token: Option<&str>,
        registration_id: &str,
    ) -> Result<RegistrationOutcome, RegistrationError> {
        let body = self.registration_request(&platform);
        let mut request = self
            .http
            .post(platform.registration_endpoint.clone())
            .timeout(self.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body.to_string());
        if let Some(token) = registration_token.filter(|t| !t.is_empty()) {
            request = request.bearer_auth(token);
        }
        let (status, answer) = self.send(request).await?;
        if !(200..300).contains(&status) {
            return Err(RegistrationError::Rejected {
                status,
                reason: refusal_reason(&answer),
            });
        }
        let answer: Value =
            serde_json::from_slice(&answer).map_err(|e| invalid_response(&e.to_string()))?;
        let client_id =
            json_string(&answer["client_id"]).ok_or_else(|| invalid_response("no client_id"))?;
        let deployments = json_string(&answer[TOOL_CONFIGURATION_CLAIM]["deployment_id"])
            .into_iter()
            .collect();
        let scopes = answer["scope"]
            .as_str()
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        let registration = Registration {
            id: registration_id.to_owned(),
            issuer: platform.issuer.clone(),
            client_id,
            auth_login_url: platform.authorization_endpoint.clone(),
            access_token_url: platform.token_endpoint.clone(),
            jwks_url: platform.jwks_uri.clone(),
            token_audience: platform.authorization_server.clone(),
            deployments,
        };
        Ok(RegistrationOutcome {
            registration,
            platform,
            scopes,
        })
    }

    /// Fetches the platform's OpenID configuration and checks it: issuer a prefix of the
    /// configuration URL (Dynamic Registration §3.5.1), the four endpoints on the issuer's
    /// origin, RS256 id_tokens,
    /// `private_key_jwt` and the lti-platform-configuration claim.
    ///
    /// # Errors
    /// [`RegistrationError::InvalidConfigurationUrl`], `Transport`, `Rejected` (HTTP error),
    /// `InvalidConfiguration`, `IssuerMismatch`, `ForeignEndpoint`.
    pub async fn fetch_configuration(
        &self,
        openid_configuration: &str,
    ) -> Result<PlatformConfiguration, RegistrationError> {
        let url = Url::parse(openid_configuration)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or(RegistrationError::InvalidConfigurationUrl)?;
        let request = self
            .http
            .get(url)
            .timeout(self.timeout)
            .header(reqwest::header::ACCEPT, "application/json");
        let (status, body) = self.send(request).await?;
        if status != 200 {
            return Err(RegistrationError::Rejected {
                status,
                reason: refusal_reason(&body),
            });
        }
        let document: Value =
            serde_json::from_slice(&body).map_err(|_| invalid_configuration("not JSON"))?;
        check_configuration(openid_configuration, &document)
    }

    /// The registration JSON the tool POSTs (OpenID Dynamic Client Registration with the
    /// lti-tool-configuration claim); scopes limited to those the platform supports.
    pub fn registration_request(&self, platform: &PlatformConfiguration) -> Value {
        let tool = &self.tool;
        let scope: Vec<&str> = tool
            .scopes
            .iter()
            .map(String::as_str)
            .filter(|s| {
                platform.scopes_supported.is_empty()
                    || platform.scopes_supported.iter().any(|p| p == s)
            })
            .collect();
        let mut messages = vec![];
        if platform
            .messages_supported
            .iter()
            .any(|m| m == "LtiDeepLinkingRequest")
        {
            messages.push(json!({
                "type": "LtiDeepLinkingRequest",
                "target_link_uri": tool.deep_link_url,
                "label": tool.deep_link_label,
            }));
        }
        let mut body = json!({
            "application_type": "web",
            "response_types": ["id_token"],
            "grant_types": ["implicit", "client_credentials"],
            "initiate_login_uri": tool.login_url,
            "redirect_uris": tool.redirect_uris(),
            "client_name": tool.title,
            "jwks_uri": tool.jwks_url,
            "token_endpoint_auth_method": "private_key_jwt",
            "scope": scope.join(" "),
            TOOL_CONFIGURATION_CLAIM: {
                "domain": tool.domain(),
                "description": tool.description,
                "target_link_uri": tool.launch_url,
                "custom_parameters": tool.custom_parameters,
                "claims": tool.claims,
                "messages": messages,
            },
        });
        if let Some(logo) = &tool.logo_url {
            body["logo_uri"] = json!(logo);
        }
        body
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<(u16, Vec<u8>), RegistrationError> {
        let response = request
            .send()
            .await
            .map_err(|e| RegistrationError::Transport {
                reason: transport_reason(e),
            })?;
        let status = response.status().as_u16();
        let body = read_limited(response, MAX_BYTES)
            .await
            .map_err(|e| match e {
                ReadError::TooLarge => invalid_response("answer too large"),
                ReadError::Transport(reason) => RegistrationError::Transport { reason },
            })?;
        Ok((status, body))
    }
}

/// The page that ends the registration in the administrator's browser: it tells the
/// platform (opener or parent window) to close the registration dialog.
pub fn close_page_html() -> String {
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Registered</title></head>\n\
     <body><p>The tool is registered. You can close this window.</p>\n\
     <script>(window.opener || window.parent).postMessage({subject: 'org.imsglobal.lti.close'}, '*');</script>\n\
     </body></html>\n"
        .to_owned()
}

/// Whether `url` lies under `base`: the same origin (scheme, host, port) and `base`'s path
/// segments, whole, at the start of `url`'s. `https://m.example/moodle` has
/// `https://m.example/moodle/mod/lti/auth.php` under it, but not `https://m.example/moodle2/…`,
/// `https://m.example.evil/…` or `http://m.example/moodle/…`. A query or fragment on `base`
/// puts nothing under it.
pub fn is_under(url: &Url, base: &Url) -> bool {
    if url.origin() != base.origin()
        || !url.origin().is_tuple()
        || base.query().is_some()
        || base.fragment().is_some()
    {
        return false;
    }
    let segments = |u: &Url| -> Vec<String> {
        u.path_segments()
            .map(|s| s.filter(|p| !p.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let (url, base) = (segments(url), segments(base));
    url.len() >= base.len() && url.iter().zip(&base).all(|(a, b)| a == b)
}

fn check_configuration(
    configuration_url: &str,
    document: &Value,
) -> Result<PlatformConfiguration, RegistrationError> {
    let issuer =
        json_string(&document["issuer"]).ok_or_else(|| invalid_configuration("no issuer"))?;
    // Dynamic Registration §3.5.1: the issuer is a prefix of the configuration URL. Compared
    // as parsed URLs, whole path segments, so `https://m.example` does not cover
    // `https://m.example.evil` and `/moodle` does not cover `/moodle2`.
    let issuer_url = Url::parse(&issuer)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| RegistrationError::IssuerMismatch {
            issuer: issuer.clone(),
        })?;
    let under_issuer = Url::parse(configuration_url).is_ok_and(|u| is_under(&u, &issuer_url));
    if !under_issuer {
        return Err(RegistrationError::IssuerMismatch { issuer });
    }
    // Every endpoint on the issuer's own origin: a configuration served from the platform's
    // site must not send the tool's trust (keys, tokens, the registration itself) elsewhere.
    let endpoint = |name: &'static str| {
        let url = json_string(&document[name])
            .and_then(|s| Url::parse(&s).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| invalid_configuration(&format!("{name} missing or not a URL")))?;
        if url.origin() != issuer_url.origin() {
            return Err(RegistrationError::ForeignEndpoint { endpoint: name });
        }
        Ok(url)
    };
    let strings = |value: &Value| -> Vec<String> {
        value
            .as_array()
            .map(|a| a.iter().filter_map(json_string).collect())
            .unwrap_or_default()
    };
    if !strings(&document["id_token_signing_alg_values_supported"])
        .iter()
        .any(|a| a == "RS256")
    {
        return Err(invalid_configuration(
            "id_token_signing_alg_values_supported lacks RS256",
        ));
    }
    let auth_methods = strings(&document["token_endpoint_auth_methods_supported"]);
    if !auth_methods.is_empty() && !auth_methods.iter().any(|m| m == "private_key_jwt") {
        return Err(invalid_configuration(
            "token endpoint does not take private_key_jwt",
        ));
    }
    let lti = &document[PLATFORM_CONFIGURATION_CLAIM];
    if !lti.is_object() {
        return Err(invalid_configuration("no lti-platform-configuration claim"));
    }
    let messages_supported = lti["messages_supported"]
        .as_array()
        .map(|a| a.iter().filter_map(|m| json_string(&m["type"])).collect())
        .unwrap_or_default();
    Ok(PlatformConfiguration {
        authorization_endpoint: endpoint("authorization_endpoint")?,
        token_endpoint: endpoint("token_endpoint")?,
        jwks_uri: endpoint("jwks_uri")?,
        registration_endpoint: endpoint("registration_endpoint")?,
        scopes_supported: strings(&document["scopes_supported"]),
        authorization_server: json_string(&document["authorization_server"]),
        product_family_code: json_string(&lti["product_family_code"]).unwrap_or_default(),
        version: json_string(&lti["version"]),
        messages_supported,
        issuer,
    })
}

/// A JSON string or number as text; `None` for anything else or an empty string.
fn json_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Moodle answers refusals as a bare word (`token_already_used`) or an HTML page; OAuth
/// servers as `{"error": …}`. Only short plain words are kept.
fn refusal_reason(body: &[u8]) -> Option<String> {
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        return json_string(&value["error"]);
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let plain = !text.is_empty()
        && text.len() <= 80
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-. ".contains(c));
    plain.then(|| text.to_owned())
}

fn invalid_configuration(reason: &str) -> RegistrationError {
    RegistrationError::InvalidConfiguration {
        reason: reason.to_owned(),
    }
}

fn invalid_response(reason: &str) -> RegistrationError {
    RegistrationError::InvalidResponse {
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests;
