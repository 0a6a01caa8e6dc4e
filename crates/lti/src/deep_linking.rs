//! Deep Linking 2.0 responses: the signed `LtiDeepLinkingResponse` JWT (iss = client id, aud
//! = platform issuer, fresh nonce, the request's deployment id, `data` echoed) with its
//! content items, and the page that form-posts it (field `JWT`) to `deep_link_return_url`.
//!
//! Moodle (`mod/lti/contentitem_return.php`) checks the signature with the tool's key and that
//! `iss` is the client id; it accepts `ltiResourceLink` items only, turns `custom` into the
//! activity's custom parameters and `lineItem` into a grade item (when grades are accepted),
//! and launches `url` — which must then be in the tool's Redirection URI(s) or on its domain.

use std::collections::BTreeMap;

use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::claims::{Launch, MessageType};
use crate::error::{DeepLinkingError, KeyError};
use crate::html::auto_post_form;
use crate::jwt::B64;
use crate::keys::KeySet;

/// Lifetime of a response JWT (as the recorded tool and packback use).
const RESPONSE_LIFETIME_SECS: i64 = 600;

/// A grade column created with a resource link (`lineItem`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineItemSpec {
    /// The maximum score.
    pub score_maximum: f64,
    /// The column title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The tool's id for the graded thing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// A tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

/// An `ltiResourceLink` content item.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceLinkItem {
    /// The activity name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The launch URL (default: the tool's launch URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Custom parameters sent with each launch of the link.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom: BTreeMap<String, String>,
    /// A grade column to create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_item: Option<LineItemSpec>,
}

/// A `link` content item (a plain URL).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkItem {
    /// The URL.
    pub url: String,
    /// The title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// One content item of a response.
#[derive(Clone, Debug, PartialEq)]
pub enum ContentItem {
    /// `ltiResourceLink` (the only type Moodle accepts).
    LtiResourceLink(ResourceLinkItem),
    /// `link`.
    Link(LinkItem),
    /// Any other item, as JSON with its `type` member.
    Other(Map<String, Value>),
}

impl ContentItem {
    /// The item's `type`.
    pub fn item_type(&self) -> &str {
        match self {
            ContentItem::LtiResourceLink(_) => "ltiResourceLink",
            ContentItem::Link(_) => "link",
            ContentItem::Other(map) => map.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }

    fn to_json(&self) -> Value {
        let (kind, body) = match self {
            ContentItem::LtiResourceLink(item) => ("ltiResourceLink", serde_json::to_value(item)),
            ContentItem::Link(item) => ("link", serde_json::to_value(item)),
            ContentItem::Other(map) => return Value::Object(map.clone()),
        };
        let mut object = Map::new();
        object.insert("type".to_owned(), Value::from(kind));
        if let Ok(Value::Object(members)) = body {
            object.extend(members);
        }
        Value::Object(object)
    }
}

/// A deep-linking response: the items picked, and optional messages for the user and log.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeepLinkingResponse {
    /// The content items (may be empty: "nothing picked").
    pub items: Vec<ContentItem>,
    /// A message to show the user.
    pub msg: Option<String>,
    /// A message to log.
    pub log: Option<String>,
    /// An error to show the user.
    pub errormsg: Option<String>,
    /// An error to log.
    pub errorlog: Option<String>,
}

impl DeepLinkingResponse {
    /// A response with `items`.
    pub fn new(items: Vec<ContentItem>) -> DeepLinkingResponse {
        DeepLinkingResponse {
            items,
            ..DeepLinkingResponse::default()
        }
    }

    /// The response claims for `launch` (a deep-linking request) at `now`.
    ///
    /// # Errors
    /// [`DeepLinkingError::NotDeepLinking`], [`DeepLinkingError::TypeNotAccepted`],
    /// [`DeepLinkingError::MultipleNotAccepted`], [`DeepLinkingError::Key`] (no random nonce).
    pub fn claims(&self, launch: &Launch, now: i64) -> Result<Value, DeepLinkingError> {
        let settings = match (&launch.message_type, &launch.deep_linking) {
            (MessageType::DeepLinking, Some(settings)) => settings,
            _ => return Err(DeepLinkingError::NotDeepLinking),
        };
        if let Some(item) = self
            .items
            .iter()
            .find(|i| !settings.accept_types.iter().any(|t| t == i.item_type()))
        {
            return Err(DeepLinkingError::TypeNotAccepted {
                item_type: item.item_type().to_owned(),
            });
        }
        if self.items.len() > 1 && settings.accept_multiple == Some(false) {
            return Err(DeepLinkingError::MultipleNotAccepted);
        }
        let mut nonce = [0u8; 16];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| KeyError::Signing)?;
        let mut claims = json!({
            "iss": launch.client_id,
            "aud": launch.issuer,
            "iat": now,
            "exp": now + RESPONSE_LIFETIME_SECS,
            "nonce": B64.encode(nonce),
            "https://purl.imsglobal.org/spec/lti/claim/deployment_id": launch.deployment_id,
            "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiDeepLinkingResponse",
            "https://purl.imsglobal.org/spec/lti/claim/version": crate::LTI_VERSION,
            "https://purl.imsglobal.org/spec/lti-dl/claim/content_items":
                self.items.iter().map(ContentItem::to_json).collect::<Vec<_>>(),
        });
        if let Some(data) = &settings.data {
            claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] = data.clone();
        }
        for (name, value) in [
            ("msg", &self.msg),
            ("log", &self.log),
            ("errormsg", &self.errormsg),
            ("errorlog", &self.errorlog),
        ] {
            if let Some(value) = value {
                claims[format!("https://purl.imsglobal.org/spec/lti-dl/claim/{name}")] =
                    json!(value);
            }
        }
        Ok(claims)
    }

    /// The signed response JWT.
    ///
    /// # Errors
    /// As [`DeepLinkingResponse::claims`], and signing errors.
    pub fn jwt(
        &self,
        keys: &KeySet,
        launch: &Launch,
        now: i64,
    ) -> Result<String, DeepLinkingError> {
        Ok(keys.sign_jwt(&self.claims(launch, now)?)?)
    }

    /// The page that posts the signed response to the platform's `deep_link_return_url`.
    ///
    /// # Errors
    /// As [`DeepLinkingResponse::jwt`].
    pub fn form_page(
        &self,
        keys: &KeySet,
        launch: &Launch,
        now: i64,
    ) -> Result<String, DeepLinkingError> {
        let jwt = self.jwt(keys, launch, now)?;
        let return_url = launch
            .deep_linking
            .as_ref()
            .map(|s| s.deep_link_return_url.as_str())
            .ok_or(DeepLinkingError::NotDeepLinking)?;
        Ok(auto_submit_form(return_url, &jwt))
    }
}

/// A page that posts `jwt` as the `JWT` form field to `return_url` when it loads.
pub fn auto_submit_form(return_url: &str, jwt: &str) -> String {
    auto_post_form(return_url, &[("JWT", jwt)])
}

#[cfg(test)]
mod tests;
