//! What each asset becomes in Moodle: page → Page, file → File, url → URL, forum → Forum,
//! and quiz / question paper → a Page with the questions written out for people (numbered,
//! options lettered, points shown, answers never shown, no JSON) until quizzes are
//! supported. Also the hash of what is pushed, so an unchanged asset is not written again.

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::courses::Asset;
use crate::courses::AssetType;
use crate::courses::assets::{self, Invalid, QuestionType, Questions, TextFormat, UrlDisplay};
use crate::storage::hex;

/// Moodle's text formats (`FORMAT_HTML`, `FORMAT_MARKDOWN`).
const FORMAT_HTML: i64 = 1;
const FORMAT_MARKDOWN: i64 = 4;

/// An activity to make or update.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    /// Its name (the asset's).
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
    File {
        /// The file's name.
        filename: String,
        /// Its type.
        content_type: String,
        /// Its size.
        size: u64,
        /// Its SHA-256.
        sha256: String,
    },
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
}

impl Activity {
    /// Moodle's module name.
    pub fn modname(&self) -> &'static str {
        match self.body {
            Body::Page { .. } => "page",
            Body::File { .. } => "resource",
            Body::Url { .. } => "url",
            Body::Forum { .. } => "forum",
        }
    }

    /// SHA-256 of everything pushed, as hex.
    pub fn hash(&self) -> String {
        let body = match &self.body {
            Body::Page { content, format } => json!(["page", content, format]),
            Body::File {
                filename, sha256, ..
            } => json!(["resource", filename, sha256]),
            Body::Url {
                externalurl,
                display,
            } => json!(["url", externalurl, display]),
            Body::Forum { kind } => json!(["forum", kind]),
        };
        let canonical = json!([self.name, self.intro, body]).to_string();
        hex(&Sha256::digest(canonical.as_bytes()))
    }
}

/// The activity for an asset.
///
/// # Errors
/// [`Invalid`] when stored content no longer fits its schema.
pub fn activity(asset: &Asset) -> Result<Activity, Invalid> {
    let (intro, body) = match asset.kind {
        AssetType::Page => {
            let page = assets::page(&asset.content)?;
            let format = match page.format {
                TextFormat::Html => FORMAT_HTML,
                TextFormat::Markdown => FORMAT_MARKDOWN,
            };
            (
                String::new(),
                Body::Page {
                    content: page.text,
                    format,
                },
            )
        }
        AssetType::File => (String::new(), file_body(&asset.content)?),
        AssetType::Url => {
            let link = assets::link(&asset.content)?;
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
        AssetType::Forum => {
            let forum = assets::forum(&asset.content)?;
            (forum.intro, Body::Forum { kind: forum.kind })
        }
        AssetType::Quiz | AssetType::QuestionPaper => {
            let set = assets::questions(&asset.content)?;
            (
                String::new(),
                Body::Page {
                    content: questions_html(asset.kind, &set),
                    format: FORMAT_HTML,
                },
            )
        }
    };
    Ok(Activity {
        name: asset.name.clone(),
        intro,
        body,
    })
}

fn file_body(content: &Value) -> Result<Body, Invalid> {
    let text = |key: &str| content.get(key).and_then(Value::as_str).map(str::to_owned);
    match (
        text("filename"),
        text("sha256"),
        content.get("size").and_then(Value::as_u64),
    ) {
        (Some(filename), Some(sha256), Some(size)) => Ok(Body::File {
            filename,
            content_type: text("content_type").unwrap_or_default(),
            size,
            sha256,
        }),
        _ => Err(Invalid {
            field: "asset_content".to_owned(),
            reason: "the file asset has no stored file".to_owned(),
        }),
    }
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

/// Text as HTML text.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(kind: AssetType, content: Value) -> Asset {
        Asset {
            id: 1,
            course_id: 1,
            name: "quiz1".to_owned(),
            kind,
            content,
            storage_key: None,
            version: 1,
            updated_at_ms: 0,
            updated_by: "t".to_owned(),
        }
    }

    #[test]
    fn questions_are_numbered_lettered_and_escaped_without_answers_or_json() {
        let quiz = asset(
            AssetType::Quiz,
            json!({"questions": [
                {"type": "multichoice", "text": "Capital of <France>?", "options": ["Paris", "Rome", "Oslo"], "answer": "Paris", "points": 2},
                {"type": "truefalse", "text": "Water is wet.", "answer": true, "points": 1},
                {"type": "essay", "text": "Discuss."}
            ]}),
        );
        let a = activity(&quiz).expect("renders");
        let Body::Page { content, format } = &a.body else {
            panic!("a page: {a:?}");
        };
        assert_eq!(*format, 1);
        for part in [
            "3 questions, 3 points",
            "<h4>Question 1</h4>",
            "Capital of &lt;France&gt;? <em>(2 points)</em>",
            "<li>A. Paris</li>",
            "<li>C. Oslo</li>",
            "<h4>Question 2</h4>",
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
    }

    #[test]
    fn the_hash_changes_with_what_is_pushed_only() {
        let page = |text: &str| activity(&asset(AssetType::Page, json!(text))).expect("page");
        assert_eq!(page("<p>a</p>").hash(), page("<p>a</p>").hash());
        assert_ne!(page("<p>a</p>").hash(), page("<p>b</p>").hash());
        let md = activity(&asset(
            AssetType::Page,
            json!({"text": "# a", "format": "markdown"}),
        ))
        .expect("md");
        assert_eq!(
            md.body,
            Body::Page {
                content: "# a".to_owned(),
                format: 4
            }
        );
        let url = activity(&asset(
            AssetType::Url,
            json!({"url": "https://x.org", "display": "popup"}),
        ))
        .expect("url");
        assert_eq!(
            url.body,
            Body::Url {
                externalurl: "https://x.org".to_owned(),
                display: 6
            }
        );
        assert_eq!(url.modname(), "url");
    }
}
