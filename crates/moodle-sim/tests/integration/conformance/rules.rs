//! The field-level allowances of the conformance comparison, each with its reason: redacted
//! secrets, timestamps, times fixed at seeding, lists Moodle returns in no set order, and the
//! values Moodle generates; for the LTI recording also the values each site generates for
//! itself (compared by form), the headers compared, and how theme pages, auto-posting forms
//! and JWTs are compared (`lti.rs`). Everything not listed here is compared exactly. How the
//! replay sends what it cannot send as recorded (sessions, tool-signed JWTs) is in
//! `transcript/lti.rs`.

/// Redactions in the recordings (transcripts README): such a recorded string matches any string.
pub const PLACEHOLDERS: &[&str] = &[
    "<TOKEN>",
    "<PRIVATEACCESSKEY>",
    "<SESSKEY>",
    "<COOKIE>",
    "<LOGINTOKEN>",
    "<REGISTRATION_TOKEN>",
];

/// Keys whose values are times taken when the replay runs (or derived from them); compared
/// by type only (number with number, null with null, string with string).
pub const TIMESTAMP_KEYS: &[(&str, &str)] = &[
    (
        "timecreated",
        "time() when the row was written; rows made by the replay carry the replay's time",
    ),
    (
        "timemodified",
        "time() of the last change; the replay changes courses, files and users",
    ),
    ("timestarted", "time a timed submission attempt started"),
    (
        "added",
        "time() a course module was added (cm 9 is added by the replay)",
    ),
    (
        "firstaccess",
        "access tracking: set when the user first uses the site",
    ),
    (
        "lastaccess",
        "access tracking: updated by web-service calls",
    ),
    ("lastcourseaccess", "access tracking per course"),
    (
        "lastlogin",
        "previous login time; login/token.php logs the user in",
    ),
    (
        "currentlogin",
        "login time; login/token.php logs the user in",
    ),
    ("timeaccess", "access tracking per course"),
    (
        "timeread",
        "time a notification was read (null while unread: null vs number still differs)",
    ),
    (
        "timecreatedpretty",
        "'4 mins 15 secs ago': the age of a notification at call time",
    ),
    (
        "cacherev",
        "course cache revision: time() of the last course change",
    ),
    (
        "statekey",
        "course format state key '<cacherev>_<section cache revision>', both times",
    ),
    ("gradeddate", "time of grading, the grade's timemodified"),
    (
        "avscantime",
        "seconds the antivirus scan of an upload took (5.0's webservice/upload.php), measured per request",
    ),
    ("lastmodified", "newest timemodified of a module's files"),
    (
        "iat",
        "JWT issue time: the replay's clock (exp - iat is compared exactly, lti.rs)",
    ),
    ("exp", "JWT expiry: the replay's clock, see iat"),
];

/// A placeholder the LTI recording put inside a longer string (a session key in a return
/// URL, the registration token in a redirect): there it stands for a non-empty run of the
/// characters Moodle makes that value from.
pub struct EmbeddedPlaceholder {
    /// The placeholder.
    pub text: &'static str,
    /// The characters of the value it hides.
    pub chars: fn(char) -> bool,
    /// Where the value comes from.
    pub why: &'static str,
}

fn jwt_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// Placeholders matched inside strings; whole-string placeholders are `PLACEHOLDERS`.
pub const EMBEDDED_PLACEHOLDERS: &[EmbeddedPlaceholder] = &[
    EmbeddedPlaceholder {
        text: "<SESSKEY>",
        chars: |c| c.is_ascii_alphanumeric(),
        why: "sesskey(): random_string(10) per browser session (in launch return URLs)",
    },
    EmbeddedPlaceholder {
        text: "<REGISTRATION_TOKEN>",
        chars: jwt_char,
        why: "the registration token in the redirect to the tool: a JWT signed at that moment, compared decoded (lti.rs)",
    },
];

/// How a value each site generates for itself is compared.
#[derive(Debug, Clone, Copy)]
pub enum Format {
    /// That many lower-case hex digits.
    Hex(usize),
    /// base64url of the same length.
    Base64UrlSameLength,
    /// Equal once the last run of digits is blanked (numbers: same type).
    RandomDigits,
    /// That many letters and digits.
    Alnum(usize),
    /// PHP's upload temporary file (`/tmp/php` and six letters or digits) where the recording
    /// has one; any other value exactly.
    PhpUploadTmpName,
}

/// A value a site generates for itself, compared by its form.
pub struct FormatRule {
    /// The endpoint paths it applies to (a prefix).
    pub at: &'static str,
    /// The key holding it.
    pub key: &'static str,
    /// Its form.
    pub format: Format,
    /// Where Moodle makes it.
    pub why: &'static str,
}

/// The values each site makes itself (LTI keys and ids, PHP's temporary upload names).
pub const FORMAT_RULES: &[FormatRule] = &[
    FormatRule {
        at: "/webservice/upload.php",
        key: "filepath",
        format: Format::PhpUploadTmpName,
        why: "upload.php answers a refused file (filenameexist) with its $_FILES record, whose \
              tmp_name PHP makes at random per request; a stored file's path is compared exactly",
    },
    FormatRule {
        at: "/mod/lti/",
        key: "kid",
        format: Format::Hex(20),
        why: "mod_lti_verify_private_key(): the platform key's id, bin2hex(10 random bytes) at install",
    },
    FormatRule {
        at: "/mod/lti/certs.php",
        key: "n",
        format: Format::Base64UrlSameLength,
        why: "the platform key's modulus: every site makes its own 2048-bit key at install",
    },
    FormatRule {
        at: "/mod/lti/",
        key: "hash",
        format: Format::Hex(64),
        why: "lti_build_sourcedid(): SHA-256 salted with the activity's random servicesalt",
    },
    FormatRule {
        at: "/mod/lti/",
        key: "launchid",
        format: Format::RandomDigits,
        why: "lti_build_sourcedid(): mt_rand(); lti_build_login_request(): rand() in the launch id",
    },
    FormatRule {
        at: "/mod/lti/startltiadvregistration.php",
        key: "sub",
        format: Format::Alnum(15),
        why: "registration_helper::new_clientid(): random_string(15), carried into the registration (IdMap)",
    },
];

/// Response headers compared (URL normalised, embedded placeholders allowed): they carry
/// protocol data. The others (caching, compression, framing) are the web server's and
/// PHP's and are not compared.
pub const COMPARED_HEADERS: &[(&str, &str)] = &[
    ("location", "dynamic registration's redirect to the tool"),
    ("link", "NRPS paging (rel=\"next\")"),
];

/// How a Moodle theme page is compared (`lti/html.rs::page_parts`).
pub const THEME_PAGES: &str = "a boost theme page (error page, deep-linking return, registration choice) is compared by \
     the parts that carry data — title, error message and its code link, the data handed to \
     mod_lti/contentitem_return, data-href buttons, table cells, hidden inputs — not byte for \
     byte: the theme's markup, scripts and strings are not the stand-in's";

/// Keys holding times that seed.php computes from the time it ran (`time() + 14 days`):
/// exact against the stand-in (seeded with the recorded times), by type only against a real
/// site seeded at another time. Treated alike inside strings: the theme revision in image
/// URLs, and dates written out in texts made at seeding ("Sat, 21 Nov 2026, 11:19 PM" in
/// the assignment notifications).
pub const SEED_TIME_KEYS: &[(&str, &str)] = &[
    ("duedate", "seed.php: due now + 14 days (21 for the essay)"),
    (
        "allowsubmissionsfromdate",
        "seed.php: open since now - 1 day",
    ),
    (
        "timestamp",
        "core_course_get_contents dates[]: the assignment's open and due dates",
    ),
];

/// Keys holding a day computed from the time their object was made: a course made without a
/// start date starts at midnight of that day. A course made by the replay is made on another
/// day than the recording's, so these are compared relative to midnight of the object's own
/// `timecreated` (else `timemodified`, which core_enrol_get_users_courses answers instead):
/// equal as recorded, or equal to that day as the recording was to its own.
pub const DAY_RELATIVE_KEYS: &[(&str, &str)] = &[
    (
        "startdate",
        "core_course_create_courses without startdate: usergetmidnight(time()), the day it ran",
    ),
    (
        "enddate",
        "without enddate: the start date plus the site's course duration (365 days)",
    ),
];

/// The keys whose time anchors [`DAY_RELATIVE_KEYS`] in the same object, in order of choice.
pub const DAY_ANCHOR_KEYS: [&str; 2] = ["timecreated", "timemodified"];

/// User preferences whose `value` is a time (`{"name": …, "value": …}` pairs).
pub const TIMESTAMP_PREFERENCES: &[(&str, &str)] = &[
    (
        "_lastloaded",
        "time() the preferences were loaded into the session cache",
    ),
    (
        "last_time_enrolments_synced",
        "time() of the enrolment sync at the last login",
    ),
];

/// A list Moodle returns in no guaranteed order, compared as a set keyed by `id`.
pub struct UnorderedList {
    /// The function answering it.
    pub function: &'static str,
    /// Path to the list from the body's root; `[]` stands for any list index.
    pub path: &'static [&'static str],
    /// The key identifying an element.
    pub id: &'static str,
    /// Why its order is not guaranteed.
    pub why: &'static str,
}

/// The lists compared by id; every other list is compared in order.
pub const UNORDERED_LISTS: &[UnorderedList] = &[
    UnorderedList {
        function: "core_course_get_courses",
        path: &[],
        id: "id",
        why: "get_courses() has no ORDER BY by id: database (heap) order, changed by updates",
    },
    UnorderedList {
        function: "core_webservice_get_site_info",
        path: &["functions"],
        id: "name",
        why: "the service's functions come from a join without ORDER BY: PostgreSQL's plan \
              decides (insertion order on the recorded site, by name on a site whose statistics \
              favour another join)",
    },
    UnorderedList {
        function: "mod_assign_get_submissions",
        path: &["assignments", "[]", "submissions"],
        id: "id",
        why: "the submissions query has no ORDER BY: database (heap) order",
    },
];

/// A value Moodle generates at random: carried from the case that made it to later cases.
pub struct GeneratedId {
    /// The function or endpoint path answering it.
    pub at: &'static str,
    /// Path to the value from the body's root; `[]` stands for any list index.
    pub path: &'static [&'static str],
    /// Where Moodle makes it.
    pub why: &'static str,
}

/// The only generated values: draft area item ids.
pub const GENERATED_IDS: &[GeneratedId] = &[
    GeneratedId {
        at: "/webservice/upload.php",
        path: &["[]", "itemid"],
        why: "file_get_unused_draft_itemid(): a random draft item id per upload without itemid",
    },
    GeneratedId {
        at: "core_files_upload",
        path: &["itemid"],
        why: "file_get_unused_draft_itemid() when itemid 0 is passed",
    },
];

/// How times fixed at seeding (`SEED_TIME_KEYS`, theme revisions) are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedTimes {
    /// The site was seeded with the recorded times (the stand-in): exactly.
    Recorded,
    /// The site was seeded at its own time (a real Moodle): by type only.
    Own,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_allowance_states_its_reason() {
        let reasons = TIMESTAMP_KEYS
            .iter()
            .chain(SEED_TIME_KEYS)
            .chain(DAY_RELATIVE_KEYS)
            .chain(TIMESTAMP_PREFERENCES)
            .map(|(_, why)| *why)
            .chain(UNORDERED_LISTS.iter().map(|u| u.why))
            .chain(GENERATED_IDS.iter().map(|g| g.why))
            .chain(EMBEDDED_PLACEHOLDERS.iter().map(|p| p.why))
            .chain(FORMAT_RULES.iter().map(|f| f.why))
            .chain(COMPARED_HEADERS.iter().map(|(_, why)| *why))
            .chain([THEME_PAGES]);
        for why in reasons {
            assert!(why.len() > 10, "a rule without a reason: {why:?}");
        }
    }
}
