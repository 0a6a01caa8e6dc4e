//! Asset types and the schema of each type's `asset_content`, checked on every write so a
//! push never meets content it cannot render. A refusal names the field
//! (`asset_content.questions[2].options`) and says what is wrong with it.
//!
//! | type | `asset_content` |
//! |---|---|
//! | `page` | the page as text (HTML), or `{text, format: html\|markdown}` |
//! | `file` | made by the bridge from the upload: `{filename, content_type, size, sha256}` |
//! | `url` | `{url, display?: auto\|embed\|open\|popup}` |
//! | `forum` | `{intro, type?: general\|eachuser\|single\|qanda\|blog}` |
//! | `quiz`, `question-paper` | `{intro?, questions: [{type: multichoice\|truefalse\|shortanswer\|essay, text, options?, answer?, points?}]}` |

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

pub use super::content::{Content, FileMeta};
pub use super::questions::{PaperMode, Question, QuestionType, Questions, questions};

/// What an asset is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AssetType {
    /// A page of HTML or markdown.
    Page,
    /// An uploaded file.
    File,
    /// A link.
    Url,
    /// A discussion forum.
    Forum,
    /// A quiz.
    Quiz,
    /// A question paper.
    QuestionPaper,
}

impl AssetType {
    /// Every type.
    pub const ALL: [AssetType; 6] = [
        AssetType::Page,
        AssetType::File,
        AssetType::Url,
        AssetType::Forum,
        AssetType::Quiz,
        AssetType::QuestionPaper,
    ];

    /// The seed's name (`question-paper`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            AssetType::Page => "page",
            AssetType::File => "file",
            AssetType::Url => "url",
            AssetType::Forum => "forum",
            AssetType::Quiz => "quiz",
            AssetType::QuestionPaper => "question-paper",
        }
    }

    /// The type with this name.
    pub fn parse(raw: &str) -> Option<AssetType> {
        AssetType::ALL.into_iter().find(|t| t.as_str() == raw)
    }
}

/// Page text format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextFormat {
    /// HTML.
    #[default]
    Html,
    /// Markdown (Moodle renders it itself).
    Markdown,
}

/// A page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// The text.
    pub text: String,
    /// Its format.
    pub format: TextFormat,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageObject {
    text: String,
    #[serde(default)]
    format: TextFormat,
}

/// How Moodle shows a link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UrlDisplay {
    /// Moodle decides.
    #[default]
    Auto,
    /// In a frame on the page.
    Embed,
    /// In the same window.
    Open,
    /// In a pop-up.
    Popup,
}

/// A link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// The address (http, https or ftp).
    pub url: String,
    /// How it is shown.
    #[serde(default)]
    pub display: UrlDisplay,
}

/// A forum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Forum {
    /// Its description (HTML).
    pub intro: String,
    /// Moodle's forum type.
    #[serde(rename = "type", default = "general")]
    pub kind: String,
}

fn general() -> String {
    "general".to_owned()
}

/// The forum types Moodle lets a teacher make (not `news`: each course has its own).
pub const FORUM_TYPES: [&str; 5] = ["general", "eachuser", "single", "qanda", "blog"];

/// A content problem: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// `asset_content…`.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

pub(super) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Invalid {
    Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

pub(super) const ROOT: &str = "asset_content";

/// Checks `content` against the schema of `kind` (not `file`: its content is made by the
/// bridge).
///
/// # Errors
/// [`Invalid`] naming the first field at fault.
pub fn check(kind: AssetType, content: &Value) -> Result<(), Invalid> {
    if kind == AssetType::File {
        return Err(invalid(
            ROOT,
            "file assets are uploaded as multipart/form-data (fields asset_name, asset_type=file, file)",
        ));
    }
    Content::parse(kind, content).map(drop)
}

/// A page's content.
///
/// # Errors
/// [`Invalid`].
pub fn page(content: &Value) -> Result<Page, Invalid> {
    let page = match content {
        Value::String(text) => Page {
            text: text.clone(),
            format: TextFormat::Html,
        },
        Value::Object(_) => {
            let p: PageObject = typed(content)?;
            Page {
                text: p.text,
                format: p.format,
            }
        }
        _ => {
            return Err(invalid(
                ROOT,
                "must be the page's text, or {\"text\", \"format\": \"html\"|\"markdown\"}",
            ));
        }
    };
    if page.text.trim().is_empty() {
        return Err(invalid(ROOT, "the page has no text"));
    }
    Ok(page)
}

/// A URL's content.
///
/// # Errors
/// [`Invalid`].
pub fn link(content: &Value) -> Result<Link, Invalid> {
    let link: Link = typed(content)?;
    match url::Url::parse(link.url.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https" | "ftp") && u.host().is_some() => Ok(link),
        _ => Err(invalid(
            format!("{ROOT}.url"),
            "must be an http, https or ftp address",
        )),
    }
}

/// A forum's content.
///
/// # Errors
/// [`Invalid`].
pub fn forum(content: &Value) -> Result<Forum, Invalid> {
    let forum: Forum = typed(content)?;
    if !FORUM_TYPES.contains(&forum.kind.as_str()) {
        return Err(invalid(
            format!("{ROOT}.type"),
            format!("must be one of {}", FORUM_TYPES.join(", ")),
        ));
    }
    Ok(forum)
}

/// Deserializes with the path of the first problem, under `asset_content`.
pub(super) fn typed<T: DeserializeOwned>(content: &Value) -> Result<T, Invalid> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(kind: AssetType, v: Value) -> String {
        check(kind, &v).expect_err("invalid").field
    }

    #[test]
    fn valid_content_of_every_type_passes() {
        check(AssetType::Page, &json!("<p>Hi</p>")).expect("html");
        check(
            AssetType::Page,
            &json!({"text": "# Hi", "format": "markdown"}),
        )
        .expect("md");
        check(
            AssetType::Url,
            &json!({"url": "https://example.org", "display": "popup"}),
        )
        .expect("url");
        check(AssetType::Forum, &json!({"intro": "Talk", "type": "qanda"})).expect("forum");
        check(
            AssetType::Quiz,
            &json!({"questions": [
                {"type": "multichoice", "text": "Capital?", "options": ["Paris", "Rome"], "answer": "Paris", "points": 2},
                {"type": "truefalse", "text": "Sky blue?", "answer": true},
                {"type": "shortanswer", "text": "2+2?", "answer": ["4", "four"]},
                {"type": "essay", "text": "Discuss."}
            ]}),
        )
        .expect("quiz");
    }

    #[test]
    fn refusals_name_the_field_at_fault() {
        assert_eq!(field(AssetType::Page, json!(12)), "asset_content");
        assert_eq!(
            field(AssetType::Page, json!({"text": "x", "colour": 1})),
            "asset_content.colour"
        );
        assert_eq!(
            field(AssetType::Url, json!({"url": "javascript:alert(1)"})),
            "asset_content.url"
        );
        assert_eq!(field(AssetType::Url, json!({})), "asset_content.url");
        assert_eq!(
            field(AssetType::Forum, json!({"intro": "x", "type": "news"})),
            "asset_content.type"
        );
        assert_eq!(
            field(
                AssetType::Quiz,
                json!({"questions": [{"type": "essay", "text": "a"}, {"type": "poll", "text": "b"}]})
            ),
            "asset_content.questions[1].type"
        );
        assert_eq!(
            field(
                AssetType::QuestionPaper,
                json!({"questions": [{"type": "multichoice", "text": "a"}]})
            ),
            "asset_content.questions[0].options"
        );
        assert_eq!(
            field(
                AssetType::Quiz,
                json!({"questions": [{"type": "multichoice", "text": "a", "options": ["x", "y"], "answer": 2}]})
            ),
            "asset_content.questions[0].answer"
        );
        assert_eq!(
            field(
                AssetType::Quiz,
                json!({"questions": [{"type": "truefalse", "text": "a", "options": ["x"]}]})
            ),
            "asset_content.questions[0].options"
        );
        assert_eq!(
            field(AssetType::Quiz, json!({"questions": []})),
            "asset_content.questions"
        );
        assert_eq!(field(AssetType::File, json!({})), "asset_content");
    }
}
