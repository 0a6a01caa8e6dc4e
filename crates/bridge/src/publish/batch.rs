//! Many new activities of one course in few calls: `local_bridge_create_modules` (plugin 1.1)
//! takes up to 50 items (`LMS_BATCH_SIZE`) and makes them in one transaction, the section's
//! list written in one request instead of one each. Every item carries its ID number, so an
//! unanswered call is simply sent again: what the first one made answers `existed`. Files are
//! uploaded to their draft areas first, a few at a time (each upload is a draft area of its
//! own, so they cannot race).

use moodle_ws::functions::local_bridge::{
    self, BatchItem, ItemStatus, NewForum, NewPage, NewQuiz, NewUrl, QuizSettings, batches,
};
use moodle_ws::{Error, Warning};
use serde_json::json;

use super::activities::{placement, resource};
use super::plan::Item;
use super::render::{Activity, Body};
use super::steps::Steps;

/// Uploads run at once in a batch push.
const UPLOADS_AT_ONCE: usize = 4;

/// A new activity to make.
pub struct NewActivity<'a> {
    /// Its item's position in the push.
    pub index: usize,
    /// The item.
    pub item: &'a Item,
    /// What to make.
    pub activity: &'a Activity,
    /// Its ID number.
    pub idnumber: String,
}

/// What became of a new activity.
#[derive(Debug)]
pub enum Made {
    /// Made now: its course module.
    Created(i64),
    /// An activity of its type already had its ID number (an earlier attempt made it): its
    /// course module, to be brought up to date.
    Existed(i64),
    /// Not made: why (the code its create function would give).
    Failed(Error),
}

impl Steps<'_> {
    /// Makes the activities in calls of at most `size` items; answers each one's fate by its
    /// position in the push. Only a failure of a whole call (Moodle unreachable, the course
    /// gone, no right to add activities) is an `Err`.
    pub async fn create_batched(
        &self,
        courseid: i64,
        news: &[NewActivity<'_>],
        size: usize,
    ) -> Result<Vec<(usize, Made)>, Error> {
        let mut out = Vec::with_capacity(news.len());
        let drafts = self.upload_all(news).await?;
        let mut items = Vec::with_capacity(news.len());
        let mut positions = Vec::with_capacity(news.len());
        for (new, draft) in news.iter().zip(drafts) {
            match draft {
                Err(e) => out.push((new.index, Made::Failed(e))),
                Ok(draft) => {
                    items.push(item(courseid, new, draft));
                    positions.push(new.index);
                }
            }
        }
        let mut done = 0;
        for chunk in batches(&items) {
            for part in chunk.chunks(size.max(1)) {
                let ids = json!({
                    "course_id": self.course_id,
                    "moodle_course_id": courseid,
                    "idnumbers": part.iter().map(|i| i.idnumber.as_str()).collect::<Vec<_>>(),
                });
                let client = self.client;
                // Sending the same items again is safe: every item made answers `existed`.
                let answer = self
                    .write(
                        local_bridge::CREATE_MODULES.name(),
                        &ids,
                        || async { client.create_modules(courseid, part).await.map(Some) },
                        || async { Ok(None) },
                    )
                    .await?
                    .ok_or_else(|| super::steps::unexpected("create_modules answered nothing"))?;
                for (result, index) in answer.modules.into_iter().zip(&positions[done..]) {
                    let made = match result.status {
                        ItemStatus::Created => Made::Created(result.cmid),
                        ItemStatus::Existed => Made::Existed(result.cmid),
                        ItemStatus::Failed => Made::Failed(Error::Warnings(vec![Warning {
                            item: Some(result.idnumber),
                            itemid: None,
                            warningcode: result.errorcode,
                            message: result.message,
                        }])),
                    };
                    out.push((*index, made));
                }
                done += part.len();
            }
        }
        Ok(out)
    }

    /// Uploads the files of the new activities, a few at a time; `None` for the others. An
    /// unreachable Moodle stops the push; another failure fails that item alone.
    async fn upload_all(
        &self,
        news: &[NewActivity<'_>],
    ) -> Result<Vec<Result<Option<i64>, Error>>, Error> {
        let mut uploads = Vec::with_capacity(news.len());
        for group in news.chunks(UPLOADS_AT_ONCE) {
            let mut running = Vec::with_capacity(group.len());
            for new in group {
                running.push(self.upload_for(new));
            }
            uploads.extend(futures_util::future::join_all(running).await);
        }
        let mut out = Vec::with_capacity(uploads.len());
        for upload in uploads {
            match upload {
                Err(e) if crate::lms::is_unreachable(&e) => return Err(e),
                other => out.push(other),
            }
        }
        Ok(out)
    }
}

impl Steps<'_> {
    /// The draft area of a new File activity; `None` for other activities.
    async fn upload_for(&self, new: &NewActivity<'_>) -> Result<Option<i64>, Error> {
        match &new.activity.body {
            Body::File(meta) => self.upload(new.item, meta).await.map(Some),
            _ => Ok(None),
        }
    }
}

/// The batch item of a new activity (a File with its draft area).
fn item(courseid: i64, new: &NewActivity<'_>, draft: Option<i64>) -> BatchItem {
    let activity = new.activity;
    let placement = placement(courseid, &new.idnumber, activity);
    match &activity.body {
        Body::Page { content, format } => BatchItem::page(&NewPage {
            placement,
            content: content.clone(),
            contentformat: Some(*format),
        }),
        Body::Url {
            externalurl,
            display,
        } => BatchItem::url(&NewUrl {
            placement,
            externalurl: externalurl.clone(),
            display: Some(*display),
        }),
        Body::Forum { kind } => BatchItem::forum(&NewForum {
            placement,
            kind: Some(kind.clone()),
        }),
        Body::File(_) => BatchItem::resource(&resource(
            courseid,
            &new.idnumber,
            activity,
            draft.unwrap_or_default(),
        )),
        Body::Quiz { questions } => BatchItem::quiz(&NewQuiz {
            placement,
            questions: questions.clone(),
            settings: QuizSettings::default(),
        }),
    }
}
