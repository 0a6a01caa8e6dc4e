//! The companion plugin `local_bridge` (`moodle-plugin/local_bridge`): activities made
//! from a draft area or from values, where Moodle's own web services cannot make them.
//! Sites without the plugin answer these calls with `accessexception` or `invalidrecord`;
//! check [`SiteInfo::has_function`](super::site::SiteInfo::has_function) first.

use serde::{Deserialize, Serialize};

use super::lenient;
use crate::client::Client;
use crate::error::{Error, Warning};
use crate::functions::ItemWarnings;

/// `local_bridge_create_resource`.
pub const CREATE_RESOURCE: &str = "local_bridge_create_resource";

/// A File activity to make from the files of one of the token user's draft areas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewResource {
    /// The course.
    pub courseid: i64,
    /// The section number (0 = the general section); it must exist.
    pub section: Option<i64>,
    /// The activity's name.
    pub name: String,
    /// The draft item id `webservice/upload.php` answered.
    pub draftitemid: i64,
    /// Display mode (`RESOURCELIB_DISPLAY_*`, 0 = automatic).
    pub display: Option<i64>,
    /// Description.
    pub intro: Option<String>,
    /// Description format (1 = HTML).
    pub introformat: Option<i64>,
    /// ID number, unique among the course's activities.
    pub idnumber: Option<String>,
    /// Shown to students.
    pub visible: Option<bool>,
}

impl NewResource {
    /// A File activity named `name` in section 0 of `courseid` from draft area `draftitemid`.
    pub fn new(courseid: i64, name: impl Into<String>, draftitemid: i64) -> Self {
        NewResource {
            courseid,
            section: None,
            name: name.into(),
            draftitemid,
            display: None,
            intro: None,
            introformat: None,
            idnumber: None,
            visible: None,
        }
    }
}

/// An activity the plugin made or changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct CreatedModule {
    /// Course module id.
    #[serde(deserialize_with = "lenient::int")]
    pub cmid: i64,
    /// Instance id in the module's table.
    #[serde(deserialize_with = "lenient::int")]
    pub instanceid: i64,
    /// Course id.
    #[serde(deserialize_with = "lenient::int")]
    pub courseid: i64,
    /// Section number.
    #[serde(deserialize_with = "lenient::int")]
    pub section: i64,
    /// Module name (`resource`, `page`, …).
    #[serde(deserialize_with = "lenient::string")]
    pub modname: String,
    /// Activity name.
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// ID number (empty when none).
    #[serde(deserialize_with = "lenient::string")]
    pub idnumber: String,
    /// Shown to students.
    #[serde(deserialize_with = "lenient::boolean")]
    pub visible: bool,
    /// The activity's page.
    #[serde(deserialize_with = "lenient::string")]
    pub url: String,
    /// Per-item warnings.
    #[serde(deserialize_with = "lenient::list")]
    pub warnings: Vec<Warning>,
}

impl ItemWarnings for CreatedModule {
    fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
}

impl Client {
    /// Makes a File activity from a draft area. Never retried.
    ///
    /// # Errors
    /// `invalidrecord`/`accessexception` without the plugin; the plugin's errors
    /// (`nopermissions`, an empty draft area, a missing section, a taken ID number).
    pub async fn create_resource(&self, resource: &NewResource) -> Result<CreatedModule, Error> {
        self.call(CREATE_RESOURCE, resource).await
    }
}
