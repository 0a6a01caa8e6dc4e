//! The return descriptions of the assignment functions (`mod/assign/externallib.php`).

use crate::external::desc::*;
use crate::version::MoodleVersion;

pub(super) fn files_structure() -> Desc {
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

pub(super) fn course_structure(version: MoodleVersion) -> Desc {
    let mut assignment = vec![
        ("id", int()),
        ("cmid", int()),
        ("course", int()),
        ("name", raw()),
        ("nosubmissions", int()),
        ("submissiondrafts", int()),
        ("sendnotifications", int()),
        ("sendlatenotifications", int()),
        ("sendstudentnotifications", int()),
        ("duedate", int()),
        ("allowsubmissionsfromdate", int()),
        ("grade", int()),
        ("timemodified", int()),
        ("completionsubmit", int()),
        ("cutoffdate", int()),
        ("gradingduedate", int()),
        ("teamsubmission", int()),
        ("requireallteammemberssubmit", int()),
        ("teamsubmissiongroupingid", int()),
        ("blindmarking", int()),
        ("hidegrader", int()),
        ("revealidentities", int()),
        ("attemptreopenmethod", text()),
        ("maxattempts", int()),
        ("markingworkflow", int()),
        ("markingallocation", int()),
        ("markinganonymous", int()),
        ("requiresubmissionstatement", int()),
        ("preventsubmissionnotingroup", int().optional()),
        ("submissionstatement", raw().optional()),
        ("submissionstatementformat", int().optional()),
        (
            "configs",
            multiple(single(vec![
                ("id", int().optional()),
                ("assignment", int().optional()),
                ("plugin", text()),
                ("subtype", text()),
                ("name", text()),
                ("value", text()),
            ])),
        ),
        ("intro", raw().optional()),
        ("introformat", int().optional()),
        ("introfiles", files_structure().optional()),
        ("introattachments", files_structure().optional()),
        ("activity", raw().optional()),
        ("activityformat", int().optional()),
        ("activityattachments", files_structure().optional()),
        ("timelimit", int().optional()),
        ("submissionattachments", int().optional()),
    ];
    if version.at_least_5_0() {
        // 5.0's mod/assign/externallib.php: the late-submission penalty, after `grade`.
        let at = assignment
            .iter()
            .position(|(k, _)| *k == "timemodified")
            .unwrap_or(assignment.len());
        assignment.insert(at, ("gradepenalty", int()));
    }
    single(vec![
        ("id", int()),
        ("fullname", raw()),
        ("shortname", raw()),
        ("timemodified", int()),
        ("assignments", multiple(single(assignment))),
    ])
}

pub(super) fn plugin_structure() -> Desc {
    single(vec![
        ("type", text()),
        ("name", text()),
        (
            "fileareas",
            multiple(single(vec![
                ("area", text()),
                ("files", files_structure().optional()),
            ]))
            .optional(),
        ),
        (
            "editorfields",
            multiple(single(vec![
                ("name", text()),
                ("description", raw()),
                ("text", raw()),
                ("format", int()),
            ]))
            .optional(),
        ),
    ])
}

pub(super) fn submission_structure(status: bool) -> Desc {
    let mut keys = vec![
        ("id", int()),
        ("userid", int()),
        ("attemptnumber", int()),
        ("timecreated", int()),
        ("timemodified", int()),
        ("timestarted", int().optional()),
        ("status", text()),
        ("groupid", int()),
    ];
    if status {
        keys.push(("assignment", int().optional()));
        keys.push(("latest", int().optional()));
    }
    keys.push(("plugins", multiple(plugin_structure()).optional()));
    if !status {
        keys.push(("gradingstatus", alpha().optional()));
    }
    single(keys)
}

pub(super) fn grade_structure(with_assignment: bool) -> Desc {
    let mut keys = vec![("id", int())];
    if with_assignment {
        keys.push(("assignment", int().optional()));
    }
    keys.extend([
        ("userid", int()),
        ("attemptnumber", int()),
        ("timecreated", int()),
        ("timemodified", int()),
        ("grader", int()),
        ("grade", text()),
    ]);
    single(keys)
}

pub(super) fn submission_status_structure() -> Desc {
    single(vec![
        (
            "gradingsummary",
            single(vec![
                ("participantcount", int()),
                ("submissiondraftscount", int()),
                ("submissionsenabled", boolean()),
                ("submissionssubmittedcount", int()),
                ("submissionsneedgradingcount", int()),
                ("warnofungroupedusers", alpha()),
            ])
            .optional(),
        ),
        (
            "lastattempt",
            single(vec![
                ("submission", submission_structure(true).optional()),
                ("teamsubmission", submission_structure(true).optional()),
                ("submissiongroup", int().optional()),
                (
                    "submissiongroupmemberswhoneedtosubmit",
                    multiple(int()).optional(),
                ),
                ("submissionsenabled", boolean()),
                ("locked", boolean()),
                ("graded", boolean()),
                ("canedit", boolean()),
                ("caneditowner", boolean()),
                ("cansubmit", boolean()),
                ("extensionduedate", int()),
                ("timelimit", int().optional()),
                ("blindmarking", boolean()),
                ("gradingstatus", alphanumext()),
                ("usergroups", multiple(int())),
            ])
            .optional(),
        ),
        (
            "feedback",
            single(vec![
                ("grade", grade_structure(true).optional()),
                ("gradefordisplay", raw()),
                ("gradeddate", int()),
                ("plugins", multiple(plugin_structure()).optional()),
            ])
            .optional(),
        ),
        (
            "assignmentdata",
            single(vec![
                (
                    "attachments",
                    single(vec![
                        ("intro", files_structure().optional()),
                        ("activity", files_structure().optional()),
                    ])
                    .optional(),
                ),
                ("activity", raw().optional()),
                ("activityformat", int().optional()),
            ])
            .optional(),
        ),
        ("warnings", warnings()),
    ])
}
