//! The field-level allowances of the conformance comparison, each with its reason: redacted
//! secrets, timestamps, times fixed at seeding, lists Moodle returns in no set order, and the
//! values Moodle generates. Everything not listed here is compared exactly.

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
    ("lastmodified", "newest timemodified of a module's files"),
];

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
            .chain(TIMESTAMP_PREFERENCES)
            .map(|(_, why)| *why)
            .chain(UNORDERED_LISTS.iter().map(|u| u.why))
            .chain(GENERATED_IDS.iter().map(|g| g.why));
        for why in reasons {
            assert!(why.len() > 10, "a rule without a reason: {why:?}");
        }
    }
}
