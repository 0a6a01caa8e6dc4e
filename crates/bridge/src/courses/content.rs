//! An asset's content as types ([`Content`]): what the JSON of `asset_content` becomes once
//! it is checked, and what the publisher renders into Moodle. Parsed once — when a request
//! brings it, or when a push loads the stored row — and never looked at as JSON again.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::assets::{AssetType, Forum, Link, Page, forum, link, page};
use super::invalid::{Invalid, ROOT, invalid};
use super::questions::{Questions, questions};

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

#[cfg(test)]
mod check_tests {
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
