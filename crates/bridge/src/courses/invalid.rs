//! A refusal of asset content that names the field at fault (`asset_content.questions[2].options`),
//! and the typed reading of a field that produces it.

use serde::de::DeserializeOwned;
use serde_json::Value;

/// A content problem: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// `asset_content…`.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

/// A refusal of `field` for `reason`.
pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Invalid {
    Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// The field every content path starts from.
pub const ROOT: &str = "asset_content";

/// Deserializes with the path of the first problem, under `asset_content`.
pub fn typed<T: DeserializeOwned>(content: &Value) -> Result<T, Invalid> {
    serde_path_to_error::deserialize(content).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let field = match (path.as_str(), missing) {
            ("." | "", Some(name)) => format!("{ROOT}.{name}"),
            (parent, Some(name)) => format!("{ROOT}.{parent}.{name}"),
            ("." | "", None) => ROOT.to_owned(),
            (p, None) => format!("{ROOT}.{p}"),
        };
        invalid(field, message)
    })
}
