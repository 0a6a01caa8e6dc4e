//! What each asset becomes in Moodle, rendered from its typed content ([`Content`]): page →
//! Page, file → File, url → URL, forum → Forum, quiz → Quiz (questions with their marks,
//! `quiz.rs`), question paper → Quiz, or with `mode: "page"` a Page with the questions
//! written out for people (numbered, options lettered, points shown, answers never shown).
//! On a site whose `local_bridge` predates the quiz functions, quizzes become such Pages too.
//! Also the hashes of what is pushed, so an unchanged asset is not written again: a quiz's
//! questions are hashed apart from its name and settings (Moodle refuses to replace the
//! questions of a quiz learners have attempted, not to rename it).

use moodle_ws::functions::local_bridge::Question as QuizQuestion;
use serde_json::json;
use sha2::{Digest as _, Sha256};

use super::plan::Item;
use crate::courses::AssetType;
use crate::courses::{
    Content, FileMeta, Invalid, PaperMode, QuestionType, Questions, TextFormat, UrlDisplay,
};
use crate::html::escape;
use crate::storage::hex;

use moodle_ws::functions::text_format::{HTML as FORMAT_HTML, MARKDOWN as FORMAT_MARKDOWN};

/// An activity to make or update.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    /// Its name.
    pub name: String,
    /// Its description (HTML).
    pub intro: String,
    /// What it holds.
    pub body: Body,
}

/// The module and what is special to it.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// `mod_page`.
    Page {
        /// The text.
        content: String,
        /// Its Moodle format.
        format: i64,
    },
    /// `mod_resource`.
    File(FileMeta),
    /// `mod_url`.
    Url {
        /// The address.
        externalurl: String,
        /// `RESOURCELIB_DISPLAY_*`.
        display: i64,
    },
    /// `mod_forum`.
    Forum {
        /// The forum type.
        kind: String,
    },
    /// `mod_quiz`, its questions in order.
    Quiz {
        /// The questions, as `local_bridge` takes them.
        questions: Vec<QuizQuestion>,
    },
}

impl Activity {
    /// Moodle's module name.
    pub fn modname(&self) -> &'static str {
        match self.body {
            Body::Page { .. } => "page",
            Body::File(_) => "resource",
            Body::Url { .. } => "url",
            Body::Forum { .. } => "forum",
            Body::Quiz { .. } => "quiz",
        }
    }

    /// SHA-256 of everything pushed but a quiz's questions, as hex.
    pub fn hash(&self) -> String {
        let body = match &self.body {
            Body::Page { content, format } => json!(["page", content, format]),
            Body::File(f) => json!(["resource", f.filename, f.sha256]),
            Body::Url {
                externalurl,
                display,
            } => json!(["url", externalurl, display]),
            Body::Forum { kind } => json!(["forum", kind]),
            Body::Quiz { .. } => json!(["quiz"]),
        };
        sha256(&json!([self.name, self.intro, body]).to_string())
    }

    /// SHA-256 of a quiz's questions, as hex; `None` for other activities.
    pub fn questions_hash(&self) -> Option<String> {
        match &self.body {
            Body::Quiz { questions } => Some(sha256(
                &serde_json::to_string(questions).unwrap_or_default(),
            )),
            _ => None,
        }
    }
}

fn sha256(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// The activity for an item; `quizzes` says whether the site's plugin makes quizzes.
///
/// # Errors
/// [`Invalid`] when the content does not fit its type, or a quiz cannot be made of it (a
/// question without its right answer, more than Moodle takes).
pub fn activity(item: &Item, quizzes: bool) -> Result<Activity, Invalid> {
    let content = item.content.as_ref().map_err(Clone::clone)?;
    let (intro, body) = match content {
        Content::Page(page) => {
            let format = match page.format {
                TextFormat::Html => FORMAT_HTML,
                TextFormat::Markdown => FORMAT_MARKDOWN,
            };
            (
                String::new(),
                Body::Page {
                    content: page.text.clone(),
                    format,
                },
            )
        }
        Content::File(meta) => (String::new(), Body::File(meta.clone())),
        Content::Url(link) => {
            // Moodle's RESOURCELIB_DISPLAY_AUTO, _EMBED, _OPEN, _POPUP.
            let display = match link.display {
                UrlDisplay::Auto => 0,
                UrlDisplay::Embed => 1,
                UrlDisplay::Open => 5,
                UrlDisplay::Popup => 6,
            };
            (
                String::new(),
                Body::Url {
                    externalurl: link.url.trim().to_owned(),
                    display,
                },
            )
        }
        Content::Forum(forum) => (
            forum.intro.clone(),
            Body::Forum {
                kind: forum.kind.clone(),
            },
        ),
        Content::Questions(set) => {
            let printable = set.mode == Some(PaperMode::Page) || !quizzes;
            if printable {
                (
                    String::new(),
                    Body::Page {
                        content: questions_html(item.kind, set),
                        format: FORMAT_HTML,
                    },
                )
            } else {
                let intro = set
                    .intro
                    .as_deref()
                    .filter(|i| !i.trim().is_empty())
                    .map(|i| format!("<p>{}</p>", escape(i)))
                    .unwrap_or_default();
                (
                    intro,
                    Body::Quiz {
                        questions: super::quiz::questions(set)?,
                    },
                )
            }
        }
    };
    if !content.fits(item.kind) {
        return Err(Invalid {
            field: "asset_content".to_owned(),
            reason: format!("does not fit an asset of type {}", item.kind.as_str()),
        });
    }
    Ok(Activity {
        name: item.name.clone(),
        intro,
        body,
    })
}

/// The questions as HTML: a heading with the count and points, each question numbered with
/// its points, multichoice options lettered, a line to answer on.
pub fn questions_html(kind: AssetType, set: &Questions) -> String {
    let title = if kind == AssetType::Quiz {
        "Quiz"
    } else {
        "Question paper"
    };
    let total: f64 = set.questions.iter().filter_map(|q| q.points).sum();
    let mut html = String::with_capacity(256 * set.questions.len());
    html.push_str(&format!(
        "<div class=\"bridge-questions\"><p><strong>{title}</strong>: {} question{}",
        set.questions.len(),
        if set.questions.len() == 1 { "" } else { "s" }
    ));
    if total > 0.0 {
        html.push_str(&format!(", {} points", number(total)));
    }
    html.push_str("</p>\n");
    if let Some(intro) = set.intro.as_deref().filter(|i| !i.trim().is_empty()) {
        html.push_str(&format!("<p>{}</p>\n", escape(intro)));
    }
    for (i, q) in set.questions.iter().enumerate() {
        html.push_str(&format!(
            "<h4>Question {}</h4>\n<p>{}",
            i + 1,
            escape(&q.text)
        ));
        if let Some(p) = q.points {
            let unit = if (p - 1.0).abs() < f64::EPSILON {
                "point"
            } else {
                "points"
            };
            html.push_str(&format!(" <em>({} {unit})</em>", number(p)));
        }
        html.push_str("</p>\n");
        match q.kind {
            QuestionType::Multichoice => {
                html.push_str("<ul class=\"bridge-options\" style=\"list-style: none\">\n");
                for (j, option) in q.options.iter().flatten().enumerate() {
                    html.push_str(&format!("<li>{}. {}</li>\n", letter(j), escape(option)));
                }
                html.push_str("</ul>\n");
            }
            QuestionType::Truefalse => html.push_str("<p>True / False</p>\n"),
            QuestionType::Shortanswer => html.push_str("<p>Answer: ____________________</p>\n"),
            QuestionType::Essay => html.push_str("<p><em>Write your answer in full.</em></p>\n"),
        }
    }
    html.push_str("</div>");
    html
}

/// A, B, … Z.
fn letter(i: usize) -> char {
    char::from(b'A' + u8::try_from(i % 26).unwrap_or(0))
}

/// `2` for 2.0, `1.5` for 1.5.
fn number(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{n:.0}")
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn item(kind: AssetType, content: Value) -> Item {
        Item {
            asset_id: 1,
            key: "quiz1".to_owned(),
            name: "quiz1".to_owned(),
            external_id: None,
            kind,
            content: Content::parse(kind, &content),
            storage_key: None,
            version: 1,
        }
    }

    #[test]
    fn a_printable_paper_is_numbered_lettered_and_escaped_without_answers_or_json() {
        let paper = item(
            AssetType::QuestionPaper,
            json!({"mode": "page", "questions": [
                {"type": "multichoice", "text": "Capital of <France>?", "options": ["Paris", "Rome", "Oslo"], "answer": "Paris", "points": 2},
                {"type": "truefalse", "text": "Water is wet.", "answer": true, "points": 1},
                {"type": "essay", "text": "Discuss."}
            ]}),
        );
        let a = activity(&paper, true).expect("renders");
        let Body::Page { content, format } = &a.body else {
            panic!("a page: {a:?}");
        };
        assert_eq!(*format, 1);
        for part in [
            "Question paper</strong>: 3 questions, 3 points",
            "<h4>Question 1</h4>",
            "Capital of &lt;France&gt;? <em>(2 points)</em>",
            "<li>A. Paris</li>",
            "<li>C. Oslo</li>",
            "(1 point)",
            "True / False",
            "<h4>Question 3</h4>",
        ] {
            assert!(content.contains(part), "{part} in {content}");
        }
        assert!(
            !content.contains('{') && !content.contains("\"answer\""),
            "{content}"
        );
        assert_eq!(a.modname(), "page");
        assert_eq!(a.questions_hash(), None);
    }

    #[test]
    fn a_quiz_is_a_quiz_unless_the_plugin_cannot_make_one() {
        let quiz = item(
            AssetType::Quiz,
            json!({"intro": "Warm-up", "questions": [{"type": "truefalse", "text": "Sky blue?", "answer": true, "points": 2}]}),
        );
        let a = activity(&quiz, true).expect("quiz");
        assert_eq!((a.modname(), a.intro.as_str()), ("quiz", "<p>Warm-up</p>"));
        assert!(a.questions_hash().is_some());
        assert_eq!(activity(&quiz, false).expect("page").modname(), "page");
        let paper = item(
            AssetType::QuestionPaper,
            json!({"questions": [{"type": "essay", "text": "Why?"}]}),
        );
        assert_eq!(activity(&paper, true).expect("quiz").modname(), "quiz");
    }

    #[test]
    fn the_hashes_change_with_what_is_pushed_only() {
        let page = |text: &str| activity(&item(AssetType::Page, json!(text)), true).expect("page");
        assert_eq!(page("<p>a</p>").hash(), page("<p>a</p>").hash());
        assert_ne!(page("<p>a</p>").hash(), page("<p>b</p>").hash());
        let md = activity(
            &item(
                AssetType::Page,
                json!({"text": "# a", "format": "markdown"}),
            ),
            true,
        )
        .expect("md");
        assert_eq!(
            md.body,
            Body::Page {
                content: "# a".to_owned(),
                format: 4
            }
        );
        let quiz = |text: &str| {
            activity(
                &item(
                    AssetType::Quiz,
                    json!({"questions": [{"type": "shortanswer", "text": text, "answer": "4"}]}),
                ),
                true,
            )
            .expect("quiz")
        };
        assert_eq!(quiz("2+2?").hash(), quiz("2+3?").hash(), "settings alone");
        assert_ne!(quiz("2+2?").questions_hash(), quiz("2+3?").questions_hash());
        let mut renamed = quiz("2+2?");
        renamed.name = "Renamed".to_owned();
        assert_ne!(renamed.hash(), quiz("2+2?").hash());
        assert_eq!(renamed.questions_hash(), quiz("2+2?").questions_hash());
    }
}
