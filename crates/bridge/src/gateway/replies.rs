//! The `data` of the gateway's write answers (`docs/contracts/gateway.md`). Reads pass Moodle's own
//! objects through and are described in the OpenAPI document as Moodle objects.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /api/moodle/courses`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedCourse {
    /// The new course's id.
    pub id: i64,
    /// Its short name.
    pub shortname: String,
}

/// `POST /api/moodle/enrol`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Enrolled {
    /// How many enrolments were made.
    pub enrolled: usize,
}

/// `GET /api/moodle/notifications` (read from Moodle's answer, passed on as sent).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Notifications {
    /// Moodle's notification objects, newest first.
    #[schema(value_type = Vec<Object>)]
    pub notifications: super::Raw,
    /// Unread notifications in total.
    pub unreadcount: i64,
}

/// `GET /api/moodle/notifications/unread-count`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnreadCount {
    /// Unread popup notifications.
    pub count: i64,
}

/// A file stored in a draft area.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DraftFile {
    /// Stored name (Moodle cleans it).
    pub filename: String,
    /// Folder in the draft area.
    pub filepath: String,
    /// Size in bytes.
    pub filesize: i64,
    /// The draft item id.
    pub itemid: i64,
    /// The uploader's user context.
    pub contextid: i64,
    /// Always `user`.
    pub component: String,
    /// Always `draft`.
    pub filearea: String,
    /// Author.
    pub author: String,
    /// Licence short name.
    pub license: String,
}

/// `POST /api/moodle/files/upload`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DraftUpload {
    /// The draft item id, for `files/attach`.
    pub itemid: Option<i64>,
    /// The stored files.
    pub files: Vec<DraftFile>,
}

/// `POST /api/moodle/files/attach`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttachedFile {
    /// The new File activity's course module id.
    pub cmid: i64,
    /// Its `resource` instance id.
    pub instance: i64,
}
