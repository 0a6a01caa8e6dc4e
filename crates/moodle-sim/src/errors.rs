//! Moodle's exceptions as the stand-in raises them: class, errorcode, message and
//! debuginfo, worded exactly as Moodle 4.5's language strings word them.
//!
//! The web service server turns a [`WsError`] into the REST error body; the AJAX-style
//! scripts (`login/token.php`, `webservice/upload.php`, `webservice/pluginfile.php`) turn it
//! into `{error, errorcode, stacktrace, debuginfo, reproductionlink}`.

/// A Moodle exception.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{exception} ({errorcode}): {message}")]
pub struct WsError {
    /// PHP class name, e.g. `core\exception\moodle_exception`.
    pub exception: String,
    /// Moodle's errorcode (the language string key).
    pub errorcode: String,
    /// The translated message.
    pub message: String,
    /// Developer detail, only shown when debugging is on.
    pub debuginfo: Option<Box<str>>,
    /// HTTP status for the AJAX-style scripts (404 for `send_file_not_found`).
    pub http_status: u16,
    /// The PHP stack trace the AJAX-style scripts print in developer debugging mode.
    pub stacktrace: Option<Box<str>>,
}

const MOODLE_EXCEPTION: &str = "core\\exception\\moodle_exception";
const INVALID_PARAMETER: &str = "core\\exception\\invalid_parameter_exception";
const CODING_EXCEPTION: &str = "core\\exception\\coding_exception";

impl WsError {
    /// A `moodle_exception` with a code and message.
    pub fn moodle(errorcode: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(MOODLE_EXCEPTION, errorcode, message)
    }

    /// An exception of a given class.
    pub fn new(
        exception: impl Into<String>,
        errorcode: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        WsError {
            exception: exception.into(),
            errorcode: errorcode.into(),
            message: message.into(),
            debuginfo: None,
            http_status: 200,
            stacktrace: None,
        }
    }

    /// Adds developer debug information.
    pub fn with_debuginfo(mut self, debuginfo: impl Into<String>) -> Self {
        self.debuginfo = Some(debuginfo.into().into_boxed_str());
        self
    }

    /// `moodle_exception('invalidtoken', 'webservice')`.
    pub fn invalid_token() -> Self {
        Self::moodle("invalidtoken", "Invalid token - token not found")
    }

    /// `webservice_access_exception` with its detail in debuginfo.
    pub fn access(debuginfo: impl Into<String>) -> Self {
        Self::new(
            "webservice_access_exception",
            "accessexception",
            "Access control exception",
        )
        .with_debuginfo(debuginfo)
    }

    /// `invalid_parameter_exception($debuginfo)`.
    pub fn invalid_parameter(debuginfo: impl Into<String>) -> Self {
        Self::new(
            INVALID_PARAMETER,
            "invalidparameter",
            "Invalid parameter value detected",
        )
        .with_debuginfo(debuginfo)
    }

    /// Whether this is an `invalid_parameter_exception`.
    pub fn is_invalid_parameter(&self) -> bool {
        self.exception == INVALID_PARAMETER
    }

    /// `dml_missing_record_exception` naming its table, with the query as debuginfo, as Moodle
    /// 4.5 always raises it and 5.0 with debugging on (`Site::missing_record` decides); its
    /// error code depends on the table (`lib/dmllib.php`): `invalidcoursemodule` for
    /// `course_modules`, `invaliduser` for `user`, else `invalidrecord`.
    pub fn missing_record(table: &str, debuginfo: impl Into<String>) -> Self {
        let (code, message) = match table {
            "course_modules" => ("invalidcoursemodule", "Invalid course module ID".to_owned()),
            "user" => ("invaliduser", "Invalid user".to_owned()),
            _ => (
                "invalidrecord",
                format!("Can't find data record in database table {table}."),
            ),
        };
        Self::new("dml_missing_record_exception", code, message).with_debuginfo(debuginfo)
    }

    /// `dml_missing_record_exception` naming no table: `invalidrecordunknown`.
    pub fn missing_record_unknown(debuginfo: impl Into<String>) -> Self {
        Self::new(
            "dml_missing_record_exception",
            "invalidrecordunknown",
            "Can't find data record in database.",
        )
        .with_debuginfo(debuginfo)
    }

    /// [`WsError::missing_record`] for a `get_record('table', ['id' => $id], MUST_EXIST)`.
    pub fn missing_record_by_id(table: &str, id: i64) -> Self {
        Self::missing_record(table, Self::record_by_id_query(table, id))
    }

    /// The debuginfo of a `get_record('table', ['id' => $id], MUST_EXIST)` failure.
    pub fn record_by_id_query(table: &str, id: i64) -> String {
        format!("SELECT * FROM {{{table}}} WHERE id = ?\n[array (\n  0 => {id},\n)]")
    }

    /// `coding_exception($message, $debuginfo)`.
    pub fn coding(message: &str) -> Self {
        Self::new(
            CODING_EXCEPTION,
            "codingerror",
            format!("Coding error detected, it must be fixed by a programmer: {message}"),
        )
    }

    /// `required_capability_exception` for a capability's display name.
    pub fn no_permissions(capability_name: &str) -> Self {
        Self::new(
            "core\\exception\\required_capability_exception",
            "nopermissions",
            format!(
                "Sorry, but you do not currently have permissions to do that ({capability_name})."
            ),
        )
    }

    /// `require_login_exception('Course or activity not accessible.')`.
    pub fn require_login() -> Self {
        Self::new(
            "core\\exception\\require_login_exception",
            "requireloginerror",
            "Course or activity not accessible.",
        )
    }

    /// `require_login_exception($debuginfo)` with `require_login()`'s reason ("Not enrolled",
    /// "Course is hidden", "Activity is hidden").
    pub fn require_login_because(reason: &str) -> Self {
        Self::require_login().with_debuginfo(reason)
    }

    /// What `external_api::validate_context()` makes of a failure in a context.
    pub fn context_not_valid(level: &str, instanceid: i64, cause: &WsError) -> Self {
        let code = match level {
            "course" => "errorcoursecontextnotvalid",
            "coursecat" => "errorcatcontextnotvalid",
            "module" => "errormodulecontextnotvalid",
            _ => "errorcontextnotvalid",
        };
        let what = match level {
            "coursecat" => format!("category context (category id:{instanceid})"),
            "module" => format!("module context (module id:{instanceid})"),
            "course" => format!("course context (course id:{instanceid})"),
            other => format!("{other} context"),
        };
        // new moodle_exception($code, 'webservice', '', $exceptionparam): the cause's message
        // only, not its debuginfo.
        Self::moodle(
            code,
            format!(
                "You cannot execute functions in the {what}. The context error message was: {}",
                cause.message
            ),
        )
    }

    /// `moodle_exception` raised with a literal message as errorcode (as `new
    /// moodle_exception('Some text')` does): Moodle prints `error/<code>` as the message.
    pub fn literal(text: impl Into<String>) -> Self {
        let text = text.into();
        Self::moodle(text.clone(), format!("error/{text}"))
    }

    /// Records where in Moodle's PHP the exception was thrown, for debugging-mode bodies.
    pub fn thrown_at(mut self, stacktrace: impl Into<String>) -> Self {
        self.stacktrace = Some(stacktrace.into().into_boxed_str());
        self
    }

    /// `send_file_not_found()`: HTTP 404 from the file-serving scripts.
    pub fn file_not_found() -> Self {
        let mut err = Self::moodle(
            "filenotfound",
            "Sorry, the requested file could not be found",
        );
        err.http_status = 404;
        err
    }

    /// `dml_read_exception`: the database refused a query (PostgreSQL rejects, e.g., `''`
    /// compared with an integer column).
    pub fn dml_read(debuginfo: impl Into<String>) -> Self {
        Self::new(
            "dml_read_exception",
            "dmlreadexception",
            "Error reading from database",
        )
        .with_debuginfo(debuginfo)
    }

    /// `dml_write_exception`: the database refused a write (a value longer than its column).
    pub fn dml_write(debuginfo: impl Into<String>) -> Self {
        Self::new(
            "dml_write_exception",
            "dmlwriteexception",
            "Error writing to database",
        )
        .with_debuginfo(debuginfo)
    }

    /// `util::validate_format()`: only HTML, Moodle, plain and Markdown formats.
    ///
    /// # Errors
    /// `formatnotsupported` (its string is missing from the language pack, so Moodle prints
    /// `webservice/formatnotsupported`).
    pub fn validate_format(format: i64) -> Result<i64, Self> {
        if [0, 1, 2, 4].contains(&format) {
            Ok(format)
        } else {
            Err(
                Self::moodle("formatnotsupported", "webservice/formatnotsupported").with_debuginfo(
                    format!("The format with value={format} is not supported by this Moodle site"),
                ),
            )
        }
    }

    /// `required_param()` failing for a missing parameter.
    pub fn missing_param(name: &str) -> Self {
        Self::moodle(
            "missingparam",
            format!("A required parameter ({name}) was missing"),
        )
    }
}
