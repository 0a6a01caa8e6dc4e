//! The site's configuration (`$CFG`, `$SITE`) and what follows from it alone: the Moodle
//! version it runs and its developer debugging decide how a missing record is reported.

use crate::errors::WsError;
use crate::version::MoodleVersion;

/// Site configuration (`$CFG`, `$SITE`).
#[derive(Debug, Clone)]
pub struct Site {
    /// `$CFG->wwwroot`, set when the server is bound.
    pub wwwroot: String,
    /// `$SITE->fullname`.
    pub fullname: String,
    /// `$SITE->shortname`.
    pub shortname: String,
    /// `$SITE->summary`.
    pub summary: String,
    /// Which Moodle the site runs; `release` and `version` are its.
    pub moodle: MoodleVersion,
    /// `$CFG->release`.
    pub release: String,
    /// `$CFG->version`.
    pub version: String,
    /// `$CFG->themerev`, part of every theme image URL.
    pub themerev: i64,
    /// `$CFG->userquota`.
    pub userquota: i64,
    /// `$CFG->maxbytes` (0 = PHP's limit, see `php_upload_max`).
    pub maxbytes: i64,
    /// PHP's `upload_max_filesize`.
    pub php_upload_max: i64,
    /// `$CFG->debugdeveloper`: error bodies carry debuginfo and stack traces.
    pub debug: bool,
    /// `$CFG->maintenance_enabled`.
    pub maintenance: bool,
    /// `$CFG->enablewebservices`.
    pub webservices: bool,
    /// `$CFG->enablemobilewebservice`.
    pub mobile_webservices: bool,
}

impl Site {
    /// `new dml_missing_record_exception($table, $sql)` as this site raises it: the table's own
    /// code (`invalidrecord` naming the table, `invaliduser`, `invalidcoursemodule`), or, from
    /// Moodle 5.0 on when debugging is off, `invalidrecordunknown` naming no table (5.0's
    /// `lib/dmllib.php` drops the table name unless `debugging()`).
    pub fn missing_record(&self, table: &str, debuginfo: impl Into<String>) -> WsError {
        if self.moodle.at_least_5_0() && !self.debug {
            WsError::missing_record_unknown(debuginfo)
        } else {
            WsError::missing_record(table, debuginfo)
        }
    }

    /// [`Site::missing_record`] for a `get_record('table', ['id' => $id], MUST_EXIST)`.
    pub fn missing_record_by_id(&self, table: &str, id: i64) -> WsError {
        self.missing_record(table, WsError::record_by_id_query(table, id))
    }
}
