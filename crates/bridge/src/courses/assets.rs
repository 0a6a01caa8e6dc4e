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

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::invalid::{Invalid, ROOT, invalid, typed};

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
