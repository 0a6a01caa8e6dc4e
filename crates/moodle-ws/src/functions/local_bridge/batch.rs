//! `local_bridge_create_modules`: many Page, URL, Forum, File and Quiz activities of one
//! course in one call. Each item is idempotent by its (required) ID number: an activity of the
//! same type with that ID number is answered [`ItemStatus::Existed`], not made again; a bad
//! item fails alone ([`ItemStatus::Failed`] with the code its create function would give); the
//! rest are made in one transaction.
//!
//! Limits: at most [`MAX_MODULES`] items per call, and the call's form fields must stay under
//! PHP's `max_input_vars` (Moodle requires at least 5000 on PHP 8), so [`batches`] splits a
//! list by both, at [`MAX_FIELDS`] fields.

use crate::functions::Function;
use serde::{Deserialize, Serialize};

use super::quiz::{NewQuiz, Question, QuizSettings};
use super::{NewForum, NewPage, NewResource, NewUrl, Placement};
use crate::client::Client;
use crate::encode::encode;
use crate::error::{DecodeReason, Error, Warning};
use crate::functions::{ItemWarnings, lenient};

/// `local_bridge_create_modules`.
pub const CREATE_MODULES: Function = Function::write("local_bridge_create_modules");

/// Most items the plugin takes in one call (`module_batch::MAX_MODULES`).
pub const MAX_MODULES: usize = 50;

/// Most form fields [`batches`] puts in one call: below PHP's `max_input_vars` of 5000 with
/// room for the reserved fields.
pub const MAX_FIELDS: usize = 4000;

/// One activity to make in a batch: the parameters of its create function without
/// `courseid`, plus `modname`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchItem {
    /// `page`, `url`, `forum`, `resource` or `quiz`.
    pub modname: &'static str,
    /// ID number, required: unique in the course, at most 100 characters.
    pub idnumber: String,
    /// Activity name.
    pub name: String,
    /// Section number (default 0); it must exist.
    pub section: Option<i64>,
    /// Description.
    pub intro: Option<String>,
    /// Description format.
    pub introformat: Option<i64>,
    /// Shown to students.
    pub visible: Option<bool>,
    /// Page: content.
    pub content: Option<String>,
    /// Page: content format.
    pub contentformat: Option<i64>,
    /// URL: the address.
    pub externalurl: Option<String>,
    /// URL and File: display mode.
    pub display: Option<i64>,
    /// File: draft item id of the token user's uploaded files.
    pub draftitemid: Option<i64>,
    /// Forum: type.
    #[serde(rename = "type")]
    pub forumtype: Option<String>,
    /// Quiz: the questions.
    pub questions: Vec<Question>,
    /// Quiz: settings.
    #[serde(flatten)]
    pub settings: QuizSettings,
}

impl BatchItem {
    fn from_placement(modname: &'static str, p: &Placement, idnumber: String) -> Self {
        BatchItem {
            modname,
            idnumber,
            name: p.name.clone(),
            section: p.section,
            intro: p.intro.clone(),
            introformat: p.introformat,
            visible: p.visible,
            content: None,
            contentformat: None,
            externalurl: None,
            display: None,
            draftitemid: None,
            forumtype: None,
            questions: Vec::new(),
            settings: QuizSettings::default(),
        }
    }

    /// A Page (its placement's ID number is the item's).
    pub fn page(page: &NewPage) -> Self {
        let idnumber = page.placement.idnumber.clone().unwrap_or_default();
        BatchItem {
            content: Some(page.content.clone()),
            contentformat: page.contentformat,
            ..BatchItem::from_placement("page", &page.placement, idnumber)
        }
    }

    /// A URL.
    pub fn url(url: &NewUrl) -> Self {
        let idnumber = url.placement.idnumber.clone().unwrap_or_default();
        BatchItem {
            externalurl: Some(url.externalurl.clone()),
            display: url.display,
            ..BatchItem::from_placement("url", &url.placement, idnumber)
        }
    }

    /// A Forum.
    pub fn forum(forum: &NewForum) -> Self {
        let idnumber = forum.placement.idnumber.clone().unwrap_or_default();
        BatchItem {
            forumtype: forum.kind.clone(),
            ..BatchItem::from_placement("forum", &forum.placement, idnumber)
        }
    }

    /// A File from a draft area.
    pub fn resource(resource: &NewResource) -> Self {
        let placement = Placement {
            courseid: resource.courseid,
            section: resource.section,
            name: resource.name.clone(),
            intro: resource.intro.clone(),
            introformat: resource.introformat,
            idnumber: resource.idnumber.clone(),
            visible: resource.visible,
        };
        BatchItem {
            draftitemid: Some(resource.draftitemid),
            display: resource.display,
            ..BatchItem::from_placement(
                "resource",
                &placement,
                resource.idnumber.clone().unwrap_or_default(),
            )
        }
    }

    /// A Quiz with its questions.
    pub fn quiz(quiz: &NewQuiz) -> Self {
        let idnumber = quiz.placement.idnumber.clone().unwrap_or_default();
        BatchItem {
            questions: quiz.questions.clone(),
            settings: quiz.settings.clone(),
            ..BatchItem::from_placement("quiz", &quiz.placement, idnumber)
        }
    }

    /// How many form fields the item takes.
    fn fields(&self) -> usize {
        encode(&Wrapped { item: self }).map_or(usize::MAX, |p| p.len())
    }
}

#[derive(Serialize)]
struct Wrapped<'a> {
    item: &'a BatchItem,
}

/// What happened to one item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemStatus {
    /// Made by this call.
    Created,
    /// An activity of this type already had the ID number: returned, not made again.
    Existed,
    /// Not made; see the item's `errorcode` and `message`.
    #[default]
    Failed,
}

/// One item's result, in the order of the items.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ItemResult {
    /// The item's ID number.
    #[serde(deserialize_with = "lenient::string")]
    pub idnumber: String,
    /// Created, existed or failed.
    pub status: ItemStatus,
    /// Module name.
    #[serde(deserialize_with = "lenient::string")]
    pub modname: String,
    /// Course module id (0 when failed).
    #[serde(deserialize_with = "lenient::int")]
    pub cmid: i64,
    /// Instance id (0 when failed).
    #[serde(deserialize_with = "lenient::int")]
    pub instanceid: i64,
    /// Section number.
    #[serde(deserialize_with = "lenient::int")]
    pub section: i64,
    /// Activity name.
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// Shown to students.
    #[serde(deserialize_with = "lenient::boolean")]
    pub visible: bool,
    /// The activity's page (`""` when failed).
    #[serde(deserialize_with = "lenient::string")]
    pub url: String,
    /// Why it failed: the code its create function would give (`invalidparameter`,
    /// `invalidquestion`, `duplicateidnumber`, `duplicateidnumberincall`, `sectionnotfound`,
    /// `nopermissions`, `invaliddraftitemid`, `unsupportedmodule`, …); `""` otherwise.
    #[serde(deserialize_with = "lenient::string")]
    pub errorcode: String,
    /// Why, in words (a value check's detail included).
    #[serde(deserialize_with = "lenient::string")]
    pub message: String,
}

/// The answer of `local_bridge_create_modules`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct CreatedModules {
    /// One result per item, in order.
    #[serde(deserialize_with = "lenient::list")]
    pub modules: Vec<ItemResult>,
    /// One warning per failed item (`item` = its ID number, `warningcode` = its code).
    #[serde(deserialize_with = "lenient::list")]
    pub warnings: Vec<Warning>,
}

impl ItemWarnings for CreatedModules {
    fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
}

/// Splits items into calls of at most [`MAX_MODULES`] items and [`MAX_FIELDS`] form fields
/// (the call's `courseid` included), in order. An item bigger than [`MAX_FIELDS`] on its own
/// gets a call of its own (the site may still take it if its `max_input_vars` is higher).
pub fn batches(items: &[BatchItem]) -> Vec<&[BatchItem]> {
    // `courseid` is a field of every call besides the items'.
    const BUDGET: usize = MAX_FIELDS - 1;
    let mut out = Vec::new();
    let (mut start, mut fields) = (0, 0usize);
    for (i, item) in items.iter().enumerate() {
        let size = item.fields();
        if i > start && (i - start >= MAX_MODULES || fields.saturating_add(size) > BUDGET) {
            out.push(&items[start..i]);
            start = i;
            fields = 0;
        }
        fields = fields.saturating_add(size);
    }
    if start < items.len() {
        out.push(&items[start..]);
    }
    out
}

#[derive(Serialize)]
struct Params<'a> {
    courseid: i64,
    modules: &'a [BatchItem],
}

impl Client {
    /// Makes the items in one call (see the module docs). Never retried: sending the same
    /// items again is safe, every item made before answers `existed`.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for more than [`MAX_MODULES`] items or [`MAX_FIELDS`] fields
    /// (split with [`batches`]); [`Error::Decode`] when the answer does not hold one result
    /// per item, in order (a site whose `max_input_vars` cut the request short); for the whole
    /// call: `invalidrecord` (course), `requireloginerror`, `nopermissions`
    /// (`moodle/course:manageactivities`), `toomanymodules`, `invalidparameter` (a value of the
    /// wrong type). Per-item failures are results, not errors.
    pub async fn create_modules(
        &self,
        courseid: i64,
        items: &[BatchItem],
    ) -> Result<CreatedModules, Error> {
        if items.len() > MAX_MODULES {
            return Err(Error::InvalidRequest {
                reason: format!(
                    "{} activities in one create_modules call; at most {MAX_MODULES}",
                    items.len()
                ),
            });
        }
        let params = Params {
            courseid,
            modules: items,
        };
        let fields = encode(&params)?.len();
        if fields > MAX_FIELDS && items.len() > 1 {
            return Err(Error::InvalidRequest {
                reason: format!(
                    "{fields} form fields in one create_modules call; at most {MAX_FIELDS}"
                ),
            });
        }
        let answer: CreatedModules = self.call(CREATE_MODULES, &params).await?;
        let answered: Vec<&str> = answer.modules.iter().map(|m| m.idnumber.as_str()).collect();
        let sent: Vec<&str> = items.iter().map(|i| i.idnumber.as_str()).collect();
        if answered != sent {
            return Err(Error::Decode {
                reason: DecodeReason::UnexpectedShape,
                snippet: format!(
                    "create_modules answered {} results for {} items",
                    answered.len(),
                    sent.len()
                ),
            });
        }
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_batch_fits_the_field_limit_with_its_courseid() {
        // Quizzes sized so that a whole number of them fill 4000 fields exactly: one more than
        // a call may carry with its `courseid`.
        let quiz = |questions: usize| {
            let mut placement = Placement::new(2, "q");
            placement.idnumber = Some("q".to_owned());
            BatchItem::quiz(&NewQuiz {
                placement,
                questions: (0..questions)
                    .map(|n| Question::essay(format!("Q{n}")))
                    .collect(),
                settings: QuizSettings::default(),
            })
        };
        let exact = (1..200)
            .map(quiz)
            .find(|q| {
                let size = q.fields();
                MAX_FIELDS.is_multiple_of(size) && MAX_FIELDS / size <= MAX_MODULES
            })
            .expect("a quiz size that divides the limit");
        let items = vec![exact; 60];
        for batch in batches(&items) {
            let params = Params {
                courseid: 2,
                modules: batch,
            };
            let fields = encode(&params).expect("encodes").len();
            assert!(
                fields <= MAX_FIELDS,
                "{fields} fields in {} items",
                batch.len()
            );
        }
    }
}
