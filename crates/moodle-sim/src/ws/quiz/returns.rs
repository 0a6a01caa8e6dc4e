//! The parameter and return descriptions of mod_quiz's web-service functions
//! (`mod/quiz/classes/external.php`): the quiz, attempt and question structures.

use serde_json::json;

use crate::external::desc::*;
use crate::version::MoodleVersion;

/// `new external_files()`.
fn files() -> Desc {
    multiple(single(vec![
        ("filename", file().optional()),
        ("filepath", path().optional()),
        ("filesize", int().optional()),
        ("fileurl", url().optional()),
        ("timemodified", int().optional()),
        ("mimetype", raw().optional()),
        ("isexternalfile", boolean().optional()),
        ("repositorytype", plugin().optional()),
        ("icon", raw().optional()),
    ]))
}

/// The `preflightdata` parameter.
pub(super) fn preflightdata() -> Desc {
    multiple(single(vec![("name", alphanumext()), ("value", raw())])).default(json!([]))
}

/// One quiz of `get_quizzes_by_courses_returns()`: the standard course module elements
/// (`helper_for_get_mods_by_courses`, intro optional) and the quiz's own fields.
pub(super) fn quiz_structure(version: MoodleVersion) -> Desc {
    let mut keys = vec![
        ("id", int()),
        ("coursemodule", int()),
        ("course", int()),
        ("name", raw()),
        ("intro", raw().optional()),
        ("introformat", int().optional()),
        ("introfiles", files().optional()),
        ("section", int().optional()),
        ("visible", boolean().optional()),
        ("groupmode", int().optional()),
        ("groupingid", int().optional()),
        ("lang", safedir().optional()),
    ];
    let ints = ["timeopen", "timeclose", "timelimit"];
    keys.extend(ints.iter().map(|k| (*k, int().optional())));
    keys.push(("overduehandling", alpha().optional()));
    keys.push(("graceperiod", int().optional()));
    keys.push(("preferredbehaviour", alphanumext().optional()));
    for k in [
        "canredoquestions",
        "attempts",
        "attemptonlast",
        "grademethod",
        "decimalpoints",
        "questiondecimalpoints",
        "reviewattempt",
        "reviewcorrectness",
        "reviewmaxmarks",
        "reviewmarks",
        "reviewspecificfeedback",
        "reviewgeneralfeedback",
        "reviewrightanswer",
        "reviewoverallfeedback",
        "questionsperpage",
    ] {
        keys.push((k, int().optional()));
    }
    keys.push(("navmethod", alpha().optional()));
    keys.push(("shuffleanswers", int().optional()));
    keys.push(("sumgrades", float().optional()));
    keys.push(("grade", float().optional()));
    keys.push(("timecreated", int().optional()));
    keys.push(("timemodified", int().optional()));
    keys.push(("password", raw().optional()));
    keys.push(("subnet", raw().optional()));
    keys.push(("browsersecurity", alphanumext().optional()));
    for k in [
        "delay1",
        "delay2",
        "showuserpicture",
        "showblocks",
        "completionattemptsexhausted",
        "completionpass",
        "allowofflineattempts",
        "autosaveperiod",
        "hasfeedback",
        "hasquestions",
    ] {
        keys.push((k, int().optional()));
    }
    if version.at_least_5_0() {
        // 5.0's mod/quiz/classes/external.php: whether attempts are pre-created, shown to those
        // who may manage the quiz; the column is null unless the site's precreateperiod
        // setting is unlocked, so it is left out of the answers as a null optional value is.
        keys.push(("precreateattempts", int().optional()));
    }
    single(keys)
}

/// `attempt_structure()`: every field optional, so an empty attempt is `[]`.
pub(super) fn attempt_structure() -> Desc {
    single(vec![
        ("id", int().optional()),
        ("quiz", int().optional()),
        ("userid", int().optional()),
        ("attempt", int().optional()),
        ("uniqueid", int().optional()),
        ("layout", raw().optional()),
        ("currentpage", int().optional()),
        ("preview", int().optional()),
        ("state", alpha().optional()),
        ("timestart", int().optional()),
        ("timefinish", int().optional()),
        ("timemodified", int().optional()),
        ("timemodifiedoffline", int().optional()),
        ("timecheckstate", int().optional()),
        ("sumgrades", float().optional()),
        (
            "gradeitemmarks",
            multiple(single(vec![
                ("name", raw()),
                ("grade", float()),
                ("maxgrade", float()),
            ]))
            .optional(),
        ),
        ("gradednotificationsenttime", int().optional()),
    ])
}

/// `question_structure()`.
pub(super) fn question_structure() -> Desc {
    single(vec![
        ("slot", int()),
        ("type", alphanumext()),
        ("page", int()),
        ("questionnumber", raw()),
        ("number", int().optional()),
        ("html", raw()),
        (
            "responsefileareas",
            multiple(single(vec![
                ("area", notags()),
                ("files", files().optional()),
            ]))
            .optional(),
        ),
        ("sequencecheck", int().optional()),
        ("lastactiontime", int().optional()),
        ("hasautosavedstep", boolean().optional()),
        ("flagged", boolean()),
        ("state", alpha().optional()),
        ("stateclass", notags().optional()),
        ("status", raw().optional()),
        ("blockedbyprevious", boolean().optional()),
        ("mark", raw().optional()),
        ("maxmark", float().optional()),
        ("settings", raw().optional()),
    ])
}
