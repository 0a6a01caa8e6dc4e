//! Files: uploads into a Moodle draft area (`webservice/upload.php`, streamed as they
//! arrive) and File activities made from a draft area, which needs the companion plugin
//! `local_bridge`.
//!
//! Moodle: `upload.php` stores every file in the token user's `user/draft` area and reads
//! neither `contextid` nor `component`/`filearea`; the bridge accepts the seed's fields,
//! checks they name that area, and says so instead of pretending to place files elsewhere.

use std::pin::Pin;

use moodle_ws::functions::local_bridge::{self, NewResource};
use moodle_ws::functions::site;
use moodle_ws::upload::{UploadFile, UploadOptions};
use moodle_ws::{Endpoint, ItemWarnings as _};
use serde::Deserialize;
use serde_json::json;
use tokio::io::AsyncRead;
use utoipa::ToSchema;

use super::replies::{AttachedFile, DraftFile, DraftUpload};
use super::requests::Flag;
use super::{Gateway, GatewayError, Reply};
use crate::audit::Actor;

/// Where an upload goes, from the form fields beside the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadTarget {
    /// `contextid` (accepted for the seed's clients; Moodle uses the token user's context).
    pub contextid: Option<i64>,
    /// `component`: only `user`.
    pub component: Option<String>,
    /// `filearea`: only `draft`.
    pub filearea: Option<String>,
    /// `itemid`: an existing draft area to add to.
    pub itemid: Option<i64>,
    /// `filepath`: the folder in the draft area (`/` by default).
    pub filepath: Option<String>,
}

impl UploadTarget {
    /// Sets a form field; unknown names and bad values are refused.
    ///
    /// # Errors
    /// [`GatewayError::Invalid`] naming the field.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), GatewayError> {
        let value = value.trim();
        let id = |field: &str| {
            value
                .parse::<i64>()
                .ok()
                .filter(|v| *v > 0)
                .ok_or_else(|| GatewayError::invalid(field, "must be a positive whole number"))
        };
        match name {
            "contextid" => self.contextid = Some(id("contextid")?),
            "itemid" => self.itemid = Some(id("itemid")?),
            "component" if value == "user" => self.component = Some(value.to_owned()),
            "component" => {
                return Err(GatewayError::invalid(
                    "component",
                    "must be user: Moodle's upload.php stores files in the uploader's draft area only",
                ));
            }
            "filearea" if value == "draft" => self.filearea = Some(value.to_owned()),
            "filearea" => {
                return Err(GatewayError::invalid(
                    "filearea",
                    "must be draft: Moodle's upload.php stores files in the uploader's draft area only; use /api/moodle/files/attach to place them",
                ));
            }
            "filepath"
                if value.starts_with('/')
                    && value.ends_with('/')
                    && !value.contains("..")
                    && value.len() <= 255 =>
            {
                self.filepath = Some(value.to_owned());
            }
            "filepath" => {
                return Err(GatewayError::invalid(
                    "filepath",
                    "must be a folder path like /docs/ without ..",
                ));
            }
            other => {
                return Err(GatewayError::invalid(
                    other,
                    "is not a field of this form (file, contextid, component, filearea, itemid, filepath)",
                ));
            }
        }
        Ok(())
    }
}

/// One file being uploaded.
pub struct DraftUploadInput {
    /// The name the client gave it.
    pub filename: String,
    /// Its content type, when given.
    pub content_type: Option<String>,
    /// Its bytes, read as they are sent on.
    pub body: Pin<Box<dyn AsyncRead + Send>>,
}

/// `POST /api/moodle/files/attach`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachFile {
    /// The course.
    pub courseid: i64,
    /// The draft item id `files/upload` answered.
    pub draftitemid: i64,
    /// The activity's name.
    pub name: String,
    /// Description (HTML).
    pub intro: Option<String>,
    /// Section number (default 0, the general section).
    pub section: Option<i64>,
    /// ID number, unique among the course's activities.
    pub idnumber: Option<String>,
    /// Shown to students (default yes).
    #[schema(value_type = Option<bool>)]
    pub visible: Option<Flag>,
    /// Display mode (Moodle's `RESOURCELIB_DISPLAY_*`; default automatic).
    pub display: Option<i64>,
}

impl Gateway {
    /// Streams one file into the token user's draft area; answers `{itemid, files}`.
    ///
    /// # Errors
    /// [`GatewayError::Invalid`] for an empty name; [`GatewayError::Moodle`] (a refused
    /// file as `fileoversized`/`filenameexist`, `userquotalimit`, …). Never retried.
    pub async fn upload_draft(
        &self,
        actor: &Actor,
        target: &UploadTarget,
        file: DraftUploadInput,
    ) -> Result<Reply, GatewayError> {
        let filename = file.filename.trim().to_owned();
        if filename.is_empty() || filename.len() > 255 {
            return Err(GatewayError::invalid(
                "file",
                "must have a file name of 1 to 255 characters",
            ));
        }
        let mut upload = UploadFile::from_reader(filename.clone(), file.body);
        if let Some(ct) = file.content_type {
            upload = upload.with_content_type(ct);
        }
        let options = UploadOptions {
            itemid: target.itemid,
            filepath: target.filepath.clone(),
        };
        let result = async {
            let stored = self
                .moodle
                .upload_to_draft(vec![upload], options)
                .await?
                .fail_on_rejected()?;
            let files = stored
                .files
                .into_iter()
                .map(|f| DraftFile {
                    filename: f.filename,
                    filepath: f.filepath,
                    filesize: f.filesize,
                    itemid: f.itemid,
                    contextid: f.contextid,
                    component: f.component,
                    filearea: f.filearea,
                    author: f.author,
                    license: f.license,
                })
                .collect();
            Ok(DraftUpload {
                itemid: stored.itemid,
                files,
            })
        }
        .await;
        let ids = match &result {
            Ok(u) => json!({"itemid": u.itemid, "filename": filename}),
            Err(_) => json!({"itemid": target.itemid, "filename": filename}),
        };
        self.audited(actor, Endpoint::Upload.path(), ids, result)
            .await
            .map(|v| Reply::of(&v))
    }

    /// Makes a File activity from a draft area with the companion plugin; answers
    /// `{cmid, instance}`.
    ///
    /// # Errors
    /// [`GatewayError::PluginRequired`] when the site does not offer
    /// `local_bridge_create_resource` to the token; [`GatewayError::Invalid`];
    /// [`GatewayError::Moodle`].
    pub async fn attach_file(
        &self,
        actor: &Actor,
        request: AttachFile,
    ) -> Result<Reply, GatewayError> {
        let resource = request.validate()?;
        let ids = json!({"courseid": resource.courseid, "draftitemid": resource.draftitemid});
        let result = async {
            self.require_function(
                local_bridge::CREATE_RESOURCE,
                "attaching a file",
                "local_bridge",
            )
            .await?;
            let created = self
                .moodle
                .create_resource(&resource)
                .await?
                .fail_on_warnings()?;
            self.cache.clear();
            Ok(AttachedFile {
                cmid: created.cmid,
                instance: created.instanceid,
            })
        }
        .await;
        let ids = match &result {
            Ok(a) => {
                json!({"courseid": resource.courseid, "draftitemid": resource.draftitemid, "cmid": a.cmid})
            }
            Err(_) => ids,
        };
        self.audited(actor, local_bridge::CREATE_RESOURCE.name(), ids, result)
            .await
            .map(|v| Reply::of(&v))
    }

    /// Fails with [`GatewayError::PluginRequired`] unless the token's service offers `function`.
    async fn require_function(
        &self,
        function: moodle_ws::Function,
        what: &'static str,
        plugin: &'static str,
    ) -> Result<(), GatewayError> {
        let info: site::SiteInfo = serde_json::from_slice(&self.site_info().await?.data)
            .map_err(|_| super::unexpected("site info is not the site info"))?;
        if info.has_function(function) {
            Ok(())
        } else {
            Err(GatewayError::PluginRequired {
                what,
                plugin,
                function,
            })
        }
    }
}

impl AttachFile {
    fn validate(self) -> Result<NewResource, GatewayError> {
        let positive = |field: &str, v: i64| {
            if v > 0 {
                Ok(v)
            } else {
                Err(GatewayError::invalid(field, "must be a positive id"))
            }
        };
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 255 {
            return Err(GatewayError::invalid("name", "must be 1 to 255 characters"));
        }
        if self.section.is_some_and(|s| s < 0) {
            return Err(GatewayError::invalid("section", "must not be negative"));
        }
        if self
            .idnumber
            .as_ref()
            .is_some_and(|i| i.chars().count() > 100)
        {
            return Err(GatewayError::invalid(
                "idnumber",
                "must be at most 100 characters",
            ));
        }
        Ok(NewResource {
            courseid: positive("courseid", self.courseid)?,
            section: self.section,
            name: name.to_owned(),
            draftitemid: positive("draftitemid", self.draftitemid)?,
            display: self.display,
            intro: self.intro,
            introformat: None,
            idnumber: self.idnumber,
            visible: self.visible.map(|f| f.0),
        })
    }
}
