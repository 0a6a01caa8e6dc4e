//! `Tool`: what the tool says about itself — title, description and the URLs the bridge
//! serves (`/lti/login`, `/lti/launch`, `/lti/deeplink`, `/.well-known/jwks.json`) — and the
//! `config.json` document made from it. Serving those routes is the bridge's job.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use url::Url;

use crate::error::ToolError;

/// AGS scope: line items, read and write.
pub const SCOPE_LINEITEM: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem";
/// AGS scope: line items, read only.
pub const SCOPE_LINEITEM_READONLY: &str =
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly";
/// AGS scope: results, read only.
pub const SCOPE_RESULT_READONLY: &str =
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly";
/// AGS scope: scores, write.
pub const SCOPE_SCORE: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
/// NRPS scope: course memberships, read only.
pub const SCOPE_NRPS: &str =
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";

/// The tool's identity and endpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tool {
    /// The name platforms show (Moodle: "Tool name").
    pub title: String,
    /// A sentence about the tool.
    pub description: String,
    /// The public base URL (scheme, host, port, optional path prefix).
    pub base_url: Url,
    /// OIDC login initiation URL (Moodle: "Initiate login URL").
    pub login_url: Url,
    /// Launch URL: `redirect_uri` and default `target_link_uri` (Moodle: "Tool URL").
    pub launch_url: Url,
    /// Deep-linking launch URL (Moodle: "Content Selection URL").
    pub deep_link_url: Url,
    /// The tool's JWKS (Moodle: "Public keyset").
    pub jwks_url: Url,
    /// An icon for the platform's tool list.
    pub logo_url: Option<Url>,
    /// Service scopes asked for (default: AGS line items, results, scores; NRPS).
    pub scopes: Vec<String>,
    /// User claims asked for at registration (default: iss, sub, name, given/family name, email).
    pub claims: Vec<String>,
    /// Custom parameters the platform should send with every launch.
    pub custom_parameters: BTreeMap<String, String>,
    /// The deep-linking menu label.
    pub deep_link_label: String,
}

impl Tool {
    /// A tool served under `base_url`, with the bridge's paths and default scopes/claims.
    ///
    /// # Errors
    /// [`ToolError::InvalidBaseUrl`] unless `base_url` is an absolute http(s) URL without
    /// query or fragment.
    pub fn new(title: &str, base_url: &str) -> Result<Tool, ToolError> {
        let invalid = || ToolError::InvalidBaseUrl(base_url.to_owned());
        let mut base = Url::parse(base_url).map_err(|_| invalid())?;
        if !matches!(base.scheme(), "http" | "https")
            || base.host_str().is_none()
            || base.query().is_some()
            || base.fragment().is_some()
        {
            return Err(invalid());
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let join = |path: &str| base.join(path).map_err(|_| invalid());
        Ok(Tool {
            title: title.to_owned(),
            description: String::new(),
            login_url: join("lti/login")?,
            launch_url: join("lti/launch")?,
            deep_link_url: join("lti/deeplink")?,
            jwks_url: join(".well-known/jwks.json")?,
            base_url: base,
            logo_url: None,
            scopes: [
                SCOPE_LINEITEM,
                SCOPE_LINEITEM_READONLY,
                SCOPE_RESULT_READONLY,
                SCOPE_SCORE,
                SCOPE_NRPS,
            ]
            .map(str::to_owned)
            .to_vec(),
            claims: ["iss", "sub", "name", "given_name", "family_name", "email"]
                .map(str::to_owned)
                .to_vec(),
            custom_parameters: BTreeMap::new(),
            deep_link_label: title.to_owned(),
        })
    }

    /// The same tool with a description.
    pub fn with_description(mut self, description: &str) -> Tool {
        self.description = description.to_owned();
        self
    }

    /// Every URL the platform may post an id_token to (Moodle: "Redirection URI(s)", one
    /// per line, matched exactly).
    pub fn redirect_uris(&self) -> [&Url; 2] {
        [&self.launch_url, &self.deep_link_url]
    }

    /// Whether `uri` is exactly one of [`Tool::redirect_uris`].
    pub fn is_redirect_uri(&self, uri: &str) -> bool {
        self.redirect_uris().iter().any(|u| u.as_str() == uri)
    }

    /// Whether `url` has the tool's origin (scheme, host and port).
    pub fn owns(&self, url: &Url) -> bool {
        url.origin() == self.base_url.origin()
    }

    /// Host and port, as dynamic registration's `domain`.
    pub fn domain(&self) -> String {
        match (self.base_url.host_str(), self.base_url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => String::new(),
        }
    }

    /// The tool's `config.json`: the values an administrator copies into the platform.
    pub fn config_json(&self) -> Value {
        json!({
            "title": self.title,
            "description": self.description,
            "oidc_initiation_url": self.login_url,
            "target_link_uri": self.launch_url,
            "redirect_uris": self.redirect_uris(),
            "public_jwk_url": self.jwks_url,
            "domain": self.domain(),
            "icon_url": self.logo_url,
            "scopes": self.scopes,
            "claims": self.claims,
            "custom_fields": self.custom_parameters,
            "messages": [
                {"type": "LtiResourceLinkRequest", "target_link_uri": self.launch_url},
                {
                    "type": "LtiDeepLinkingRequest",
                    "target_link_uri": self.deep_link_url,
                    "label": self.deep_link_label,
                },
            ],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_the_bridge_routes_under_a_path_prefix() {
        let tool = Tool::new("Bridge", "https://tools.example/bridge").unwrap();
        assert_eq!(
            tool.login_url.as_str(),
            "https://tools.example/bridge/lti/login"
        );
        assert_eq!(
            tool.launch_url.as_str(),
            "https://tools.example/bridge/lti/launch"
        );
        assert_eq!(
            tool.deep_link_url.as_str(),
            "https://tools.example/bridge/lti/deeplink"
        );
        assert_eq!(
            tool.jwks_url.as_str(),
            "https://tools.example/bridge/.well-known/jwks.json"
        );
        assert_eq!(tool.domain(), "tools.example");
    }

    #[test]
    fn a_base_url_with_query_or_other_scheme_is_refused() {
        for bad in [
            "ftp://x.example",
            "https://x.example/?a=1",
            "/relative",
            "https://x.example/#f",
        ] {
            assert!(Tool::new("T", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn config_json_has_what_moodle_asks_for() {
        let tool = Tool::new("Bridge LTI tool", "http://127.0.0.1:8090")
            .unwrap()
            .with_description("Moodle Bridge tool");
        let config = tool.config_json();
        assert_eq!(config["title"], "Bridge LTI tool");
        assert_eq!(config["description"], "Moodle Bridge tool");
        assert_eq!(
            config["oidc_initiation_url"],
            "http://127.0.0.1:8090/lti/login"
        );
        assert_eq!(
            config["target_link_uri"],
            "http://127.0.0.1:8090/lti/launch"
        );
        assert_eq!(
            config["redirect_uris"],
            json!([
                "http://127.0.0.1:8090/lti/launch",
                "http://127.0.0.1:8090/lti/deeplink"
            ])
        );
        assert_eq!(
            config["public_jwk_url"],
            "http://127.0.0.1:8090/.well-known/jwks.json"
        );
        assert_eq!(config["domain"], "127.0.0.1:8090");
        assert_eq!(config["scopes"].as_array().unwrap().len(), 5);
        assert_eq!(config["messages"][1]["type"], "LtiDeepLinkingRequest");
        assert_eq!(
            config["messages"][1]["target_link_uri"],
            "http://127.0.0.1:8090/lti/deeplink"
        );
    }

    #[test]
    fn only_exact_redirect_uris_match() {
        let tool = Tool::new("T", "http://127.0.0.1:8090").unwrap();
        assert!(tool.is_redirect_uri("http://127.0.0.1:8090/lti/launch"));
        assert!(!tool.is_redirect_uri("http://127.0.0.1:8090/lti/launch?unit=1"));
        assert!(tool.owns(&Url::parse("http://127.0.0.1:8090/lti/launch?unit=1").unwrap()));
        assert!(!tool.owns(&Url::parse("http://127.0.0.1:8091/lti/launch").unwrap()));
    }
}
