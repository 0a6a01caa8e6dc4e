//! An asset's content as types ([`Content`]): what the JSON of `asset_content` becomes once
//! it is checked, and what the publisher renders into Moodle. Parsed once — when a request
//! brings it, or when a push loads the stored row — and never looked at as JSON again.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::assets::{
    AssetType, Forum, Invalid, Link, Page, ROOT, forum, invalid, link, page, questions,
};
use super::questions::Questions;

/// A file asset's stored description (the bytes are in the bridge's storage).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMeta {
    /// The name the file had when uploaded.
    pub filename: String,
    /// Its content type.
    #[serde(default)]
    pub content_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, hex.
    pub sha256: String,
}

/// The checked content of an asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Content {
    /// A page.
    Page(Page),
    /// A file (made by the bridge from the upload).
    File(FileMeta),
    /// A link.
    Url(Link),
    /// A forum.
    Forum(Forum),
    /// A quiz or a question paper.
    Questions(Questions),
}

impl Content {
    /// Checks `content` against the schema of `kind` and answers it typed.
    ///
    /// # Errors
    /// [`Invalid`] naming the first field at fault.
    pub fn parse(kind: AssetType, content: &Value) -> Result<Content, Invalid> {
        Ok(match kind {
            AssetType::Page => Content::Page(page(content)?),
            AssetType::File => Content::File(file(content)?),
            AssetType::Url => Content::Url(link(content)?),
            AssetType::Forum => Content::Forum(forum(content)?),
            AssetType::Quiz => {
                let set = questions(content)?;
                if set.mode.is_some() {
                    return Err(invalid(
                        format!("{ROOT}.mode"),
                        "only question papers have a mode (a quiz is always a Moodle quiz)",
                    ));
                }
                Content::Questions(set)
            }
            AssetType::QuestionPaper => Content::Questions(questions(content)?),
        })
    }

    /// Whether this content fits an asset of `kind`.
    pub fn fits(&self, kind: AssetType) -> bool {
        matches!(
            (self, kind),
            (Content::Page(_), AssetType::Page)
                | (Content::File(_), AssetType::File)
                | (Content::Url(_), AssetType::Url)
                | (Content::Forum(_), AssetType::Forum)
                | (
                    Content::Questions(_),
                    AssetType::Quiz | AssetType::QuestionPaper
                )
        )
    }
}

/// A stored file description.
fn file(content: &Value) -> Result<FileMeta, Invalid> {
    serde_json::from_value(content.clone())
        .map_err(|_| invalid(ROOT, "the file asset has no stored file"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_is_typed_once_and_round_trips_through_serde() {
        let quiz = Content::parse(
            AssetType::Quiz,
            &json!({"questions": [{"type": "truefalse", "text": "Sky blue?", "answer": true}]}),
        )
        .expect("quiz");
        let again: Content =
            serde_json::from_value(serde_json::to_value(&quiz).expect("json")).expect("back");
        assert_eq!(again, quiz);
        assert!(quiz.fits(AssetType::QuestionPaper) && !quiz.fits(AssetType::Page));
        let file = Content::parse(
            AssetType::File,
            &json!({"filename": "a.pdf", "content_type": "application/pdf", "size": 3, "sha256": "ab"}),
        )
        .expect("file");
        assert!(matches!(file, Content::File(FileMeta { size: 3, .. })));
        assert_eq!(
            Content::parse(AssetType::File, &json!({})).expect_err("no file"),
            invalid(ROOT, "the file asset has no stored file")
        );
    }

    #[test]
    fn only_a_question_paper_has_a_mode() {
        let paper = json!({"mode": "page", "questions": [{"type": "essay", "text": "Why?"}]});
        assert!(Content::parse(AssetType::QuestionPaper, &paper).is_ok());
        assert_eq!(
            Content::parse(AssetType::Quiz, &paper)
                .expect_err("quiz")
                .field,
            "asset_content.mode"
        );
    }
}
