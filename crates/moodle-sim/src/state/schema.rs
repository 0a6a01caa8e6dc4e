//! Column limits of Moodle's tables (`lib/db/install.xml`, `TYPE="char" LENGTH=…`): a value
//! longer than its column makes PostgreSQL refuse the write, which Moodle reports as
//! `dml_write_exception`. The check runs before the row takes an id, as PostgreSQL rejects
//! the bound value before it evaluates the id's default. The limits are 4.5's; 5.0 widened some.

use crate::errors::WsError;
use crate::version::MoodleVersion;

/// (table, column, length in characters) in Moodle 4.5.
const CHAR_COLUMNS: &[(&str, &str, usize)] = &[
    ("course", "fullname", 254),
    ("course", "shortname", 255),
    ("course", "idnumber", 100),
    ("course", "format", 21),
    ("course", "lang", 30),
    ("course", "theme", 50),
    ("user", "auth", 20),
    ("user", "username", 100),
    ("user", "idnumber", 255),
    ("user", "firstname", 100),
    ("user", "lastname", 100),
    ("user", "email", 100),
    ("user", "phone1", 20),
    ("user", "phone2", 20),
    ("user", "institution", 255),
    ("user", "department", 255),
    ("user", "address", 255),
    ("user", "city", 120),
    ("user", "country", 2),
    ("user", "lang", 30),
    ("user", "theme", 50),
    ("user", "timezone", 100),
    ("user", "middlename", 255),
    ("user", "alternatename", 255),
    ("user", "firstnamephonetic", 255),
    ("user", "lastnamephonetic", 255),
    ("course_sections", "name", 255),
    ("files", "filepath", 255),
    ("files", "filename", 255),
    ("files", "author", 255),
];

/// The columns Moodle 5.0 widened (5.0's lib/db/install.xml; its lib/db/upgrade.php step
/// 2024111500 changes the precision of course.fullname to 1333).
const WIDER_IN_5_0: &[(&str, &str, usize)] = &[("course", "fullname", 1333)];

/// Checks the values of a row about to be written to a table of a site of a Moodle version.
///
/// # Errors
/// `dmlwriteexception` naming the first column whose value is too long.
pub fn check_row(
    moodle: MoodleVersion,
    table: &str,
    values: &[(&str, &str)],
) -> Result<(), WsError> {
    let wider: &[(&str, &str, usize)] = if moodle.at_least_5_0() {
        WIDER_IN_5_0
    } else {
        &[]
    };
    for (column, value) in values {
        let limit = wider
            .iter()
            .chain(CHAR_COLUMNS)
            .find(|(t, c, _)| *t == table && c == column)
            .map(|(_, _, n)| *n);
        if let Some(n) = limit
            && value.chars().count() > n
        {
            return Err(WsError::dml_write(format!(
                "ERROR:  value too long for type character varying({n})"
            )));
        }
    }
    Ok(())
}
