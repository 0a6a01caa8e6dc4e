//! The activity steps, one Moodle call each, through the companion plugin `local_bridge`
//! (Moodle has no core web service that makes a page, file, URL, forum or quiz): find
//! activities by ID number, make one, change one (a quiz's questions only when asked),
//! retire one (hide it and free its ID number, delete it, or only free its ID number). A
//! File's bytes go to the user's draft area first (`webservice/upload.php`). Many new
//! activities at once are `batch.rs`'s.

use std::collections::HashMap;

use futures_util::StreamExt as _;
use moodle_ws::functions::local_bridge::{
    self, CreatedModule, ModuleFields, NewForum, NewPage, NewQuiz, NewResource, NewUrl, Placement,
    QuizFields, QuizSettings,
};
use moodle_ws::upload::{UploadFile, UploadOptions};
use moodle_ws::{Endpoint, ErrorKind, ItemWarnings as _};
use serde_json::json;
use tokio_util::io::StreamReader;

use super::plan::Item;
use super::render::{Activity, Body};
use super::steps::{Steps, unexpected};
use crate::config::DeleteMode;
use crate::courses::Courses;
use crate::courses::FileMeta;
use moodle_ws::functions::text_format::HTML as FORMAT_HTML;

/// ID numbers per look-up call (each is one form field; Moodle's `max_input_vars` is 5000).
const FIND_CHUNK: usize = 200;

/// The plugin functions every push needs (plugin 1.0).
pub const PLUGIN_FUNCTIONS: [moodle_ws::Function; 6] = [
    local_bridge::CREATE_PAGE,
    local_bridge::CREATE_RESOURCE,
    local_bridge::CREATE_URL,
    local_bridge::CREATE_FORUM,
    local_bridge::UPDATE_MODULE,
    local_bridge::FIND_MODULES_BY_IDNUMBER,
];

/// The plugin functions that make quizzes (plugin 1.1).
pub const QUIZ_FUNCTIONS: [moodle_ws::Function; 2] =
    [local_bridge::CREATE_QUIZ, local_bridge::UPDATE_QUIZ];

/// The companion plugin's component name.
pub const PLUGIN: &str = "local_bridge";

/// Whether an error says the activity (or its course) is not there any more: Moodle 4.x
/// names the table (`invalidcoursemodule`, `invalidrecord`), 5.0 says `invalidrecordunknown`.
pub fn is_gone(e: &moodle_ws::Error) -> bool {
    matches!(e.kind(), ErrorKind::MissingRecord | ErrorKind::NotFound)
        || matches!(
            e.moodle_errorcode(),
            Some("invalidcoursemodule" | "invalidrecord" | "invalidrecordunknown")
        )
}

impl Steps<'_> {
    /// The activities of a Moodle course with these ID numbers, by ID number (the lowest
    /// course module id where several share one).
    pub async fn find_modules(
        &self,
        courseid: i64,
        idnumbers: &[String],
    ) -> Result<HashMap<String, CreatedModule>, moodle_ws::Error> {
        let mut found: HashMap<String, CreatedModule> = HashMap::new();
        for chunk in idnumbers.chunks(FIND_CHUNK) {
            let answer = self
                .client
                .find_modules_by_idnumber(courseid, chunk)
                .await?;
            for m in answer.modules {
                match found.get(&m.idnumber) {
                    Some(existing) if existing.cmid <= m.cmid => {}
                    _ => {
                        found.insert(m.idnumber.clone(), m);
                    }
                }
            }
        }
        Ok(found)
    }

    /// The activity with this ID number.
    pub async fn find_module(
        &self,
        courseid: i64,
        idnumber: &str,
    ) -> Result<Option<CreatedModule>, moodle_ws::Error> {
        Ok(self
            .find_modules(courseid, &[idnumber.to_owned()])
            .await?
            .remove(idnumber))
    }

    /// Makes the activity with its own create function; answers it and whether it was
    /// there already (made by an earlier, unanswered attempt or a push running beside this
    /// one), in which case the caller updates it.
    pub async fn create_activity(
        &self,
        courseid: i64,
        idnumber: &str,
        activity: &Activity,
        item: &Item,
    ) -> Result<(CreatedModule, bool), moodle_ws::Error> {
        let placement = placement(courseid, idnumber, activity);
        let ids = json!({"course_id": self.course_id, "asset": item.key, "moodle_course_id": courseid, "idnumber": idnumber});
        let client = self.client;
        let check = || async {
            self.find_module(courseid, idnumber)
                .await
                .map(|m| m.map(Some))
        };
        let made = match &activity.body {
            Body::Page { content, format } => {
                let page = NewPage {
                    placement,
                    content: content.clone(),
                    contentformat: Some(*format),
                };
                self.write(
                    local_bridge::CREATE_PAGE.name(),
                    &ids,
                    || async { client.create_page(&page).await.map(Some) },
                    check,
                )
                .await
            }
            Body::Url {
                externalurl,
                display,
            } => {
                let url = NewUrl {
                    placement,
                    externalurl: externalurl.clone(),
                    display: Some(*display),
                };
                self.write(
                    local_bridge::CREATE_URL.name(),
                    &ids,
                    || async { client.create_url(&url).await.map(Some) },
                    check,
                )
                .await
            }
            Body::Forum { kind } => {
                let forum = NewForum {
                    placement,
                    kind: Some(kind.clone()),
                };
                self.write(
                    local_bridge::CREATE_FORUM.name(),
                    &ids,
                    || async { client.create_forum(&forum).await.map(Some) },
                    check,
                )
                .await
            }
            Body::File(meta) => {
                let draftitemid = self.upload(item, meta).await?;
                let resource = resource(courseid, idnumber, activity, draftitemid);
                self.write(
                    local_bridge::CREATE_RESOURCE.name(),
                    &ids,
                    || async { client.create_resource(&resource).await.map(Some) },
                    check,
                )
                .await
            }
            Body::Quiz { questions } => {
                let quiz = NewQuiz {
                    placement,
                    questions: questions.clone(),
                    settings: QuizSettings::default(),
                };
                self.write(
                    local_bridge::CREATE_QUIZ.name(),
                    &ids,
                    || async { client.create_quiz(&quiz).await.map(|q| Some(q.module)) },
                    check,
                )
                .await
            }
        };
        match made {
            Ok(Some(m)) => Ok((m.fail_on_warnings()?, false)),
            Ok(None) => Err(unexpected("the activity was not made")),
            Err(e) if e.moodle_errorcode() == Some("duplicateidnumber") => {
                let found = self.find_module(courseid, idnumber).await?;
                found.map(|m| (m, true)).ok_or(e)
            }
            Err(e) => Err(e),
        }
    }

    /// Changes an activity to match the asset; a quiz's questions are sent only with
    /// `questions` (they replace all of the quiz's, which Moodle refuses once learners have
    /// attempted it: `quizhasattempts`).
    ///
    /// # Errors
    /// `invalidcoursemodule` (or 5.0's `invalidrecordunknown`) when it was deleted in Moodle.
    pub async fn update_activity(
        &self,
        cmid: i64,
        activity: &Activity,
        item: &Item,
        questions: bool,
    ) -> Result<CreatedModule, moodle_ws::Error> {
        let ids = json!({"course_id": self.course_id, "asset": item.key, "cmid": cmid, "questions": questions});
        let client = self.client;
        if let Body::Quiz { questions: set } = &activity.body {
            let fields = QuizFields {
                name: Some(activity.name.clone()),
                intro: Some(activity.intro.clone()),
                introformat: Some(FORMAT_HTML),
                ..QuizFields::default()
            };
            let sent = questions.then_some(set.as_slice());
            // Setting the same values twice is harmless: nothing to look up before repeating.
            return self
                .write(
                    local_bridge::UPDATE_QUIZ.name(),
                    &ids,
                    || async {
                        client
                            .update_quiz(cmid, &fields, sent)
                            .await
                            .map(|q| q.module)?
                            .fail_on_warnings()
                    },
                    || async { Ok(None) },
                )
                .await;
        }
        let mut fields = ModuleFields {
            name: Some(activity.name.clone()),
            intro: Some(activity.intro.clone()),
            introformat: Some(FORMAT_HTML),
            ..ModuleFields::default()
        };
        match &activity.body {
            Body::Page { content, format } => {
                fields.content = Some(content.clone());
                fields.contentformat = Some(*format);
            }
            Body::Url {
                externalurl,
                display,
            } => {
                fields.externalurl = Some(externalurl.clone());
                fields.display = Some(*display);
            }
            // The plugin cannot change a forum's type; name and description follow the asset.
            Body::Forum { .. } | Body::Quiz { .. } => {}
            Body::File(meta) => {
                fields.draftitemid = Some(self.upload(item, meta).await?);
            }
        }
        self.write(
            local_bridge::UPDATE_MODULE.name(),
            &ids,
            || async {
                client
                    .update_module(cmid, &fields)
                    .await?
                    .fail_on_warnings()
            },
            || async { Ok(None) },
        )
        .await
    }

    /// Takes an activity out of the way, per `LMS_DELETE_MODE`: hidden with its ID number
    /// freed (`hide`), deleted (`delete`), or — when `free` — only its ID number freed (`keep`,
    /// for an activity replaced by one of another type under the same ID number); `keep`
    /// without `free` leaves it alone. An activity already gone is done.
    pub async fn retire(
        &self,
        cmid: i64,
        mode: DeleteMode,
        free: bool,
    ) -> Result<(), moodle_ws::Error> {
        let ids = json!({"course_id": self.course_id, "cmid": cmid, "mode": mode.as_str()});
        let client = self.client;
        let fields = match mode {
            DeleteMode::Delete => {
                let done = self
                    .write(
                        moodle_ws::functions::course::DELETE_MODULES.name(),
                        &ids,
                        || async { client.delete_modules(&[cmid]).await.map(Some) },
                        || async { Ok(None) },
                    )
                    .await;
                return match done {
                    Err(e) if is_gone(&e) => Ok(()),
                    other => other.map(drop),
                };
            }
            DeleteMode::Hide => ModuleFields {
                visible: Some(false),
                idnumber: Some(String::new()),
                ..ModuleFields::default()
            },
            DeleteMode::Keep if free => ModuleFields {
                idnumber: Some(String::new()),
                ..ModuleFields::default()
            },
            DeleteMode::Keep => return Ok(()),
        };
        let done = self
            .write(
                local_bridge::UPDATE_MODULE.name(),
                &ids,
                || async { client.update_module(cmid, &fields).await.map(Some) },
                || async { Ok(None) },
            )
            .await;
        match done {
            Err(e) if is_gone(&e) => Ok(()),
            other => other.map(drop),
        }
    }

    /// Streams a file asset into a fresh draft area of the user; answers its item id.
    pub async fn upload(&self, item: &Item, meta: &FileMeta) -> Result<i64, moodle_ws::Error> {
        let ids =
            json!({"course_id": self.course_id, "asset": item.key, "filename": meta.filename});
        let courses: &Courses = self.courses;
        // A draft area is the user's scratch space, emptied by Moodle's cron: an unanswered
        // upload is simply made again.
        self.write(
            Endpoint::Upload.path(),
            &ids,
            || async {
                let stream = courses
                    .open_file(item.storage_key.as_deref())
                    .await
                    .map_err(|e| moodle_ws::Error::InvalidRequest {
                        reason: format!("the stored file cannot be read: {e}"),
                    })?;
                let reader = StreamReader::new(stream.map(|r| r.map_err(std::io::Error::other)));
                let mut file =
                    UploadFile::from_reader(meta.filename.clone(), reader).with_length(meta.size);
                if !meta.content_type.is_empty() {
                    file = file.with_content_type(meta.content_type.clone());
                }
                let stored = self
                    .client
                    .upload_to_draft(vec![file], UploadOptions::default())
                    .await?
                    .fail_on_rejected()?;
                stored
                    .itemid
                    .ok_or_else(|| unexpected("webservice/upload.php answered no draft item id"))
            },
            || async { Ok(None) },
        )
        .await
    }
}

/// Where a new activity goes and what it is called.
pub fn placement(courseid: i64, idnumber: &str, activity: &Activity) -> Placement {
    Placement {
        intro: Some(activity.intro.clone()),
        introformat: Some(FORMAT_HTML),
        idnumber: Some(idnumber.to_owned()),
        ..Placement::new(courseid, activity.name.clone())
    }
}

/// A File activity from a draft area.
pub fn resource(
    courseid: i64,
    idnumber: &str,
    activity: &Activity,
    draftitemid: i64,
) -> NewResource {
    NewResource {
        intro: Some(activity.intro.clone()),
        introformat: Some(FORMAT_HTML),
        idnumber: Some(idnumber.to_owned()),
        ..NewResource::new(courseid, activity.name.clone(), draftitemid)
    }
}
