//! The body of `POST /api/courses/{course_id}/push-to-lms` and what the publisher contract
//! (`docs/contracts/publisher.md`) refuses in it with 422: another export format, no or unknown
//! asset names (listed), a named asset of a type `asset_type` does not list. The bridge's
//! addition `enrol` is checked in `enrol.rs`.

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use utoipa::ToSchema;

use super::enrol::EnrolRequest;
use super::{PublishError, Publisher};
use crate::courses::{Asset, AssetType};

/// `POST /api/courses/{course_id}/push-to-lms`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    /// The assets to push, by name.
    pub asset_names: Vec<String>,
    /// The types the client means to send (a list, or one name); a named asset of another
    /// type is refused.
    #[serde(deserialize_with = "one_or_many")]
    #[schema(value_type = Vec<String>)]
    pub asset_type: Vec<String>,
    /// A Moodle course to update instead of the one the bridge made (a number, or its text).
    #[serde(default, deserialize_with = "course_id")]
    #[schema(value_type = Option<String>)]
    pub lms_course_id: Option<i64>,
    /// Whether students see the course (default yes).
    #[serde(default = "yes")]
    pub publish: bool,
    /// `lms_standard` (default) or `moodle`: both make Moodle activities.
    #[serde(default = "lms_standard")]
    pub export_format: String,
    /// Users to enrol in the Moodle course with the push (the bridge's addition).
    #[serde(default)]
    pub enrol: Vec<EnrolRequest>,
}

pub(super) fn yes() -> bool {
    true
}

fn lms_standard() -> String {
    "lms_standard".to_owned()
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

pub(super) fn course_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 1)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom("must be a Moodle course id")),
        Some(Value::Number(n)) => n
            .as_i64()
            .filter(|n| *n > 1)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom("must be a Moodle course id")),
        Some(_) => Err(serde::de::Error::custom("must be a Moodle course id")),
    }
}

impl Publisher {
    /// Refuses what the publisher contract refuses with 422: another export format, no or unknown
    /// asset names, a named asset of a type not listed.
    pub(super) fn check_request(
        &self,
        assets: &[Asset],
        r: &PushRequest,
    ) -> Result<Vec<String>, PublishError> {
        if !matches!(r.export_format.as_str(), "lms_standard" | "moodle") {
            return Err(PublishError::Invalid {
                field: "export_format".to_owned(),
                reason: format!("must be lms_standard or moodle (got {:?})", r.export_format),
            });
        }
        if let Some(t) = r.asset_type.iter().find(|t| AssetType::parse(t).is_none()) {
            return Err(PublishError::Invalid {
                field: "asset_type".to_owned(),
                reason: format!(
                    "unknown type {t:?}; known: page, file, url, forum, quiz, question-paper"
                ),
            });
        }
        if r.asset_names.is_empty() {
            return Err(PublishError::Invalid {
                field: "asset_names".to_owned(),
                reason: "name at least one asset".to_owned(),
            });
        }
        let mut names: Vec<String> = Vec::new();
        let mut unknown = Vec::new();
        for name in &r.asset_names {
            match assets.iter().find(|a| &a.name == name) {
                None => unknown.push(name.clone()),
                Some(a) if !r.asset_type.iter().any(|t| t == a.kind.as_str()) => {
                    return Err(PublishError::Invalid {
                        field: "asset_type".to_owned(),
                        reason: format!(
                            "asset {name:?} is a {}, which asset_type does not list",
                            a.kind.as_str()
                        ),
                    });
                }
                Some(_) if names.contains(name) => {}
                Some(_) => names.push(name.clone()),
            }
        }
        if !unknown.is_empty() {
            return Err(PublishError::UnknownAssets(unknown));
        }
        Ok(names)
    }
}
