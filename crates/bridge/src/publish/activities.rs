//! The activity steps, through the companion plugin `local_bridge` (Moodle has no core web
//! service that makes a page, file, URL or forum): find activities by ID number, make one,
//! change one. A File's bytes go to the user's draft area first (`webservice/upload.php`).

use std::collections::HashMap;

use futures_util::StreamExt as _;
use moodle_ws::functions::local_bridge::{
    self, CreatedModule, ModuleFields, NewForum, NewPage, NewResource, NewUrl, Placement,
};
use moodle_ws::upload::{UploadFile, UploadOptions};
use moodle_ws::{Endpoint, ItemWarnings as _};
use serde_json::json;
use tokio_util::io::StreamReader;

use super::render::{Activity, Body};
use super::steps::{Steps, unexpected};
use crate::courses::{Asset, Courses};

/// Moodle's `FORMAT_HTML`, the format of descriptions.
const INTRO_FORMAT: i64 = 1;
/// ID numbers per look-up call (each is one form field; Moodle's `max_input_vars` is 5000).
const FIND_CHUNK: usize = 200;

/// The plugin functions a push needs, whatever its assets.
pub const PLUGIN_FUNCTIONS: [moodle_ws::Function; 6] = [
    local_bridge::CREATE_PAGE,
    local_bridge::CREATE_RESOURCE,
    local_bridge::CREATE_URL,
    local_bridge::CREATE_FORUM,
    local_bridge::UPDATE_MODULE,
    local_bridge::FIND_MODULES_BY_IDNUMBER,
];

/// The companion plugin's component name.
pub const PLUGIN: &str = "local_bridge";

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

    async fn find_module(
        &self,
        courseid: i64,
        idnumber: &str,
    ) -> Result<Option<CreatedModule>, moodle_ws::Error> {
        Ok(self
            .find_modules(courseid, &[idnumber.to_owned()])
            .await?
            .remove(idnumber))
    }

    /// Makes the activity; answers it and whether it was there already (made by an earlier,
    /// unanswered attempt or a push running beside this one), in which case the caller
    /// updates it.
    pub async fn create_activity(
        &self,
        courseid: i64,
        idnumber: &str,
        activity: &Activity,
        asset: &Asset,
        courses: &Courses,
    ) -> Result<(CreatedModule, bool), moodle_ws::Error> {
        let placement = Placement {
            intro: Some(activity.intro.clone()),
            introformat: Some(INTRO_FORMAT),
            idnumber: Some(idnumber.to_owned()),
            ..Placement::new(courseid, activity.name.clone())
        };
        let ids = json!({"course_id": asset.course_id, "asset": asset.name, "moodle_course_id": courseid, "idnumber": idnumber});
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
            Body::File { .. } => {
                let draftitemid = self.upload(asset, &activity.body, courses).await?;
                let resource = NewResource {
                    intro: placement.intro,
                    introformat: placement.introformat,
                    idnumber: placement.idnumber,
                    ..NewResource::new(courseid, activity.name.clone(), draftitemid)
                };
                self.write(
                    local_bridge::CREATE_RESOURCE.name(),
                    &ids,
                    || async { client.create_resource(&resource).await.map(Some) },
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

    /// Changes an activity to match the asset.
    ///
    /// # Errors
    /// `invalidcoursemodule` when it was deleted in Moodle (the caller makes it again).
    pub async fn update_activity(
        &self,
        cmid: i64,
        activity: &Activity,
        asset: &Asset,
        courses: &Courses,
    ) -> Result<CreatedModule, moodle_ws::Error> {
        let mut fields = ModuleFields {
            name: Some(activity.name.clone()),
            intro: Some(activity.intro.clone()),
            introformat: Some(INTRO_FORMAT),
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
            Body::Forum { .. } => {}
            Body::File { .. } => {
                fields.draftitemid = Some(self.upload(asset, &activity.body, courses).await?);
            }
        }
        let ids = json!({"course_id": asset.course_id, "asset": asset.name, "cmid": cmid});
        let client = self.client;
        // Setting the same values twice is harmless: nothing to look up before repeating.
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

    /// Streams a file asset into a fresh draft area of the user; answers its item id.
    async fn upload(
        &self,
        asset: &Asset,
        body: &Body,
        courses: &Courses,
    ) -> Result<i64, moodle_ws::Error> {
        let Body::File {
            filename,
            content_type,
            size,
            ..
        } = body
        else {
            return Err(unexpected("not a file"));
        };
        let ids = json!({"course_id": asset.course_id, "asset": asset.name, "filename": filename});
        // A draft area is the user's scratch space, emptied by Moodle's cron: an unanswered
        // upload is simply made again.
        self.write(
            Endpoint::Upload.path(),
            &ids,
            || async {
                let stream = courses.open_file(asset).await.map_err(|e| {
                    moodle_ws::Error::InvalidRequest {
                        reason: format!("the stored file cannot be read: {e}"),
                    }
                })?;
                let reader = StreamReader::new(stream.map(|r| r.map_err(std::io::Error::other)));
                let mut file = UploadFile::from_reader(filename.clone(), reader).with_length(*size);
                if !content_type.is_empty() {
                    file = file.with_content_type(content_type.clone());
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
