//! The inputs of the course store and the checks of their plain fields (names, paths);
//! asset content has its own schemas in `assets.rs`.

use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{AssetType, CourseError};

/// Depth and length limits of category paths and names.
pub(super) const MAX_DEPTH: usize = 10;
pub(super) const MAX_NAME: usize = 255;
/// Moodle's activity names are at most 255 characters; asset names also go in URLs.
pub(super) const MAX_ASSET_NAME: usize = 255;

/// `POST /api/courses`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCourse {
    /// Full name.
    pub name: String,
    /// Description (HTML).
    #[serde(default)]
    pub description: String,
    /// Category names from the top, joined by `/` (e.g. `Science/Physics`); empty: Moodle's
    /// default category.
    #[serde(default)]
    pub category_path: String,
    /// Short name for Moodle (default: the name).
    #[serde(default)]
    pub shortname: Option<String>,
    /// Push local changes to Moodle by itself (`LMS_AUTO_SYNC` when left out).
    #[serde(default)]
    pub auto_sync: Option<bool>,
}

/// `PATCH /api/courses/{id}`: the fields to change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourseChanges {
    /// Full name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Category path.
    pub category_path: Option<String>,
    /// Short name.
    pub shortname: Option<String>,
    /// Automatic sync: `true`, `false`, or `null` to follow `LMS_AUTO_SYNC`.
    #[serde(default, deserialize_with = "setting")]
    #[schema(value_type = Option<bool>)]
    pub auto_sync: Option<Option<bool>>,
}

/// A field that may be left out (`None`), set to `null` (`Some(None)`) or given.
fn setting<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<bool>>, D::Error> {
    Option::<bool>::deserialize(d).map(Some)
}

/// `POST /api/courses/{id}/assets` as JSON (every type but `file`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAsset {
    /// The name, unique in the course.
    pub asset_name: String,
    /// The type.
    pub asset_type: AssetType,
    /// The content, in the type's schema.
    #[schema(value_type = Object)]
    pub asset_content: Value,
}

/// `PATCH /api/courses/{id}/assets/{name}` as JSON.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetChanges {
    /// The new content, in the type's schema (the new type's, when `asset_type` is given).
    #[schema(value_type = Object)]
    pub asset_content: Value,
    /// A new type (not `file`, nor for a file asset): the next push replaces its activity.
    #[serde(default)]
    pub asset_type: Option<AssetType>,
}

/// A trimmed, non-empty text of at most `max` characters.
pub(super) fn text(field: &str, raw: &str, max: usize) -> Result<String, CourseError> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(CourseError::invalid(
            field,
            format!("must be 1 to {max} characters, no control characters"),
        ));
    }
    Ok(t.to_owned())
}

/// An asset name: also a path segment, so no `/`.
pub(super) fn asset_name(raw: &str) -> Result<String, CourseError> {
    let name = text("asset_name", raw, MAX_ASSET_NAME)?;
    if name.contains('/') {
        return Err(CourseError::invalid("asset_name", "must not contain /"));
    }
    Ok(name)
}

/// `Science / Physics/` → `Science/Physics`.
pub(super) fn category_path(raw: &str) -> Result<String, CourseError> {
    let parts: Vec<&str> = raw
        .split('/')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() > MAX_DEPTH
        || parts
            .iter()
            .any(|p| p.chars().count() > MAX_NAME || p.chars().any(char::is_control))
    {
        return Err(CourseError::invalid(
            "category_path",
            format!(
                "must be at most {MAX_DEPTH} category names of at most {MAX_NAME} characters, joined by /"
            ),
        ));
    }
    Ok(parts.join("/"))
}

pub(super) fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_paths_are_normalised_and_limited() {
        assert_eq!(
            category_path(" Science / Physics/ ").expect("ok"),
            "Science/Physics"
        );
        assert_eq!(category_path("").expect("ok"), "");
        assert!(category_path(&"a/".repeat(11)).is_err());
        assert!(asset_name("a/b").is_err());
        assert!(asset_name("  ").is_err());
    }
}
