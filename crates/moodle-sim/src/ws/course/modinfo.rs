//! What `get_fast_modinfo()` and the module plugins know about a course module: which
//! modules a course shows, their icons, purposes, custom data, dates and exported
//! contents, and the HTML the course renderer makes of a module.

use serde_json::{Value, json};

use crate::state::{ContextLevel, CourseModule, ModInstance, Section, State, mimetype_icon};
use crate::version::MoodleVersion;

/// Module types disabled on a stock Moodle 4.5 (`modules.visible = 0`): their course
/// modules exist but `get_fast_modinfo()` leaves them out. 4.5's mod/subsection/db/install.php
/// disables subsections at install; 5.0 has no such script, so they are on.
const DISABLED_MODULES_4_5: [&str; 1] = ["subsection"];

/// Whether a course module is part of the course's modinfo on a site of a Moodle version.
pub fn in_modinfo(moodle: MoodleVersion, cm: &CourseModule) -> bool {
    moodle.at_least_5_0() || !DISABLED_MODULES_4_5.contains(&cm.modname.as_str())
}

/// The course modules of a section in display order, as modinfo lists them.
pub fn section_cms<'a>(state: &'a State, section: &Section) -> Vec<&'a CourseModule> {
    section
        .sequence
        .iter()
        .filter_map(|id| state.cms.get(id))
        .filter(|cm| in_modinfo(state.site.moodle, cm))
        .collect()
}

/// `get_section_name()`: the stored name, or the format's default.
pub fn section_name(state: &State, section: &Section) -> String {
    if let Some(name) = section.name.as_deref().filter(|n| !n.is_empty()) {
        return name.to_owned();
    }
    if section.section == 0 {
        return "General".to_owned();
    }
    let weeks = state
        .courses
        .get(&section.course)
        .filter(|c| c.format == "weeks")
        .map(|c| c.startdate);
    match weeks {
        Some(start) => {
            // format_weeks: "1 September - 7 September" for the section's week.
            let first = start + (section.section - 1) * 7 * 86_400;
            let last = first + 6 * 86_400;
            format!("{} - {}", day_month(first), day_month(last))
        }
        None => "New section".to_owned(),
    }
}

fn day_month(timestamp: i64) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let days = timestamp.div_euclid(86_400) + 719_468;
    let era = days.div_euclid(146_097);
    let doe = days.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let _ = era;
    format!(
        "{day} {}",
        MONTHS[usize::try_from(month - 1).unwrap_or_default()]
    )
}

/// The module's singular and plural names.
pub fn module_names(modname: &str) -> (&'static str, &'static str) {
    match modname {
        "page" => ("Page", "Pages"),
        "forum" => ("Forum", "Forums"),
        "url" => ("URL", "URLs"),
        "resource" => ("File", "Files"),
        "label" => ("Text and media area", "Text and media areas"),
        "assign" => ("Assignment", "Assignments"),
        "subsection" => ("Subsection", "Subsections"),
        "lti" => ("External tool", "External tools"),
        "quiz" => ("Quiz", "Quizzes"),
        _ => ("Activity", "Activities"),
    }
}

/// `FEATURE_CAN_DISPLAY` of a module (Moodle 5.0): whether it may be shown on the course page;
/// only question banks may not (5.0's mod/qbank/lib.php).
pub fn can_display(modname: &str) -> bool {
    modname != "qbank"
}

/// `FEATURE_MOD_PURPOSE` of a module.
pub fn purpose(modname: &str) -> &'static str {
    match modname {
        "forum" => "collaboration",
        "assign" | "quiz" => "assessment",
        "lti" => "other",
        _ => "content",
    }
}

/// The main file of a resource.
pub fn resource_file<'a>(
    state: &'a State,
    cm: &CourseModule,
) -> Option<&'a crate::state::StoredFile> {
    let ctx = state.context_id(ContextLevel::Module, cm.id)?;
    state
        .area_files(ctx, "mod_resource", "content", 0)
        .into_iter()
        .filter(|f| !f.is_dir())
        .min_by_key(|f| (-f.sortorder, f.id))
}

/// `$cm->get_icon_url()`.
pub fn icon_url(state: &State, cm: &CourseModule) -> String {
    if cm.modname == "resource" {
        let icon = resource_file(state, cm)
            .and_then(|f| f.mimetype.as_deref())
            .map_or("f/unknown", mimetype_icon);
        return format!("{}?filtericon=1", state.image_url("core", icon));
    }
    format!("{}?filtericon=1", state.image_url(&cm.modname, "monologo"))
}

/// `$cm->url`: the module's view page (labels have none).
pub fn view_url(state: &State, cm: &CourseModule) -> Option<String> {
    (cm.modname != "label" && cm.modname != "subsection").then(|| {
        format!(
            "{}/mod/{}/view.php?id={}",
            state.site.wwwroot, cm.modname, cm.id
        )
    })
}

/// `$cm->customdata`, JSON-encoded as `get_course_contents()` returns it.
pub fn customdata(state: &State, cm: &CourseModule) -> String {
    let value = match &cm.kind {
        ModInstance::Forum { trackingtype, .. } => {
            json!({"trackingtype": trackingtype.to_string()})
        }
        ModInstance::Url {
            externalurl,
            display,
        } => {
            json!({"display": url_display(externalurl, *display), "filtericon": true})
        }
        ModInstance::Resource { display } => {
            let mimetype = resource_file(state, cm)
                .and_then(|f| f.mimetype.clone())
                .unwrap_or_default();
            json!({
                "filtericon": true,
                "displayoptions": "a:1:{s:10:\"printintro\";i:0;}",
                "display": resource_display(&mimetype, *display),
            })
        }
        // assign_get_coursemodule_info(): each date only when set.
        ModInstance::Assign(a) => {
            let mut data = serde_json::Map::new();
            if a.duedate != 0 {
                data.insert("duedate".into(), json!(a.duedate));
            }
            if a.cutoffdate != 0 {
                data.insert("cutoffdate".into(), json!(a.cutoffdate.to_string()));
            }
            if a.allowsubmissionsfromdate != 0 {
                data.insert(
                    "allowsubmissionsfromdate".into(),
                    json!(a.allowsubmissionsfromdate.to_string()),
                );
            }
            Value::Object(data)
        }
        // subsection_get_coursemodule_info(): the id of the section it delegates.
        ModInstance::Subsection => state.delegated_section(cm).map_or_else(
            || json!(""),
            |section| json!({"sectionid": section.id.to_string()}),
        ),
        ModInstance::Page { .. } | ModInstance::Label | ModInstance::Lti => json!(""),
        ModInstance::Quiz(q) => crate::ws::quiz::customdata(q),
    };
    value.to_string()
}

/// `url_get_final_display_type()`.
fn url_display(externalurl: &str, display: i64) -> i64 {
    if display != 0 {
        return display;
    }
    let last = externalurl
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .rsplit('/')
        .next()
        .unwrap_or_default();
    let mimetype = if last.contains('.') {
        crate::state::mimetype_for(last)
    } else {
        "document/unknown"
    };
    match mimetype {
        "application/zip" | "application/pdf" | "text/html" | "document/unknown" => 4,
        m if m.starts_with("image/") || m.starts_with("video/") || m == "audio/mp3" => 1,
        _ => 5,
    }
}

/// `resource_get_final_display_type()`.
fn resource_display(mimetype: &str, display: i64) -> i64 {
    if display != 0 {
        return display;
    }
    match mimetype {
        "" | "application/zip" => 4,
        m if m.starts_with("image/")
            || m == "text/html"
            || m.starts_with("video/")
            || m.starts_with("audio/") =>
        {
            1
        }
        _ => 5,
    }
}

/// `\core\activity_dates::get_dates_for_module()`.
pub fn activity_dates(cm: &CourseModule, now: i64) -> Vec<Value> {
    match &cm.kind {
        ModInstance::Assign(a) => {
            let mut dates = Vec::new();
            if a.allowsubmissionsfromdate > 0 {
                let label = if a.allowsubmissionsfromdate > now {
                    "Opens:"
                } else {
                    "Opened:"
                };
                dates.push(json!({"label": label, "timestamp": a.allowsubmissionsfromdate, "dataid": "allowsubmissionsfromdate"}));
            }
            if a.duedate > 0 {
                dates.push(json!({"label": "Due:", "timestamp": a.duedate, "dataid": "duedate"}));
            }
            dates
        }
        ModInstance::Quiz(q) => crate::ws::quiz::activity_dates(q, now),
        _ => Vec::new(),
    }
}

/// `<mod>_export_contents()`: the module's files or link for `core_course_get_contents`.
pub fn export_contents(state: &State, cm: &CourseModule) -> Option<Vec<Value>> {
    let ctx = state.context_id(ContextLevel::Module, cm.id)?;
    let root = &state.site.wwwroot;
    match &cm.kind {
        ModInstance::Page { .. } => Some(vec![json!({
            "type": "file",
            "filename": "index.html",
            "filepath": "/",
            "filesize": 0,
            "fileurl": format!("{root}/webservice/pluginfile.php/{ctx}/mod_page/content/index.html?forcedownload=1"),
            "timecreated": null,
            "timemodified": cm.timemodified,
            "sortorder": 1,
            "userid": null,
            "author": null,
            "license": null,
        })]),
        ModInstance::Url { externalurl, .. } => Some(vec![json!({
            "type": "url",
            "filename": cm.name,
            "filepath": null,
            "filesize": 0,
            "fileurl": externalurl,
            "timecreated": null,
            "timemodified": cm.timemodified,
            "sortorder": null,
            "userid": null,
            "author": null,
            "license": null,
        })]),
        ModInstance::Resource { .. } => Some(
            state
                .area_files(ctx, "mod_resource", "content", 0)
                .into_iter()
                .filter(|f| !f.is_dir())
                .map(|f| {
                    json!({
                        "type": "file",
                        "filename": f.filename,
                        "filepath": f.filepath,
                        "filesize": f.filesize(),
                        "fileurl": format!("{root}/webservice/pluginfile.php/{ctx}/mod_resource/content/0{}{}?forcedownload=1", f.filepath, f.filename),
                        "timecreated": f.timecreated,
                        "timemodified": f.timemodified,
                        "sortorder": f.sortorder,
                        "mimetype": f.mimetype,
                        "isexternalfile": false,
                        "userid": f.userid,
                        "author": f.author,
                        "license": f.license,
                    })
                })
                .collect(),
        ),
        _ => None,
    }
}

/// The HTML the course renderer gives for a module (`course_section_updated_cm_item`).
pub fn cm_html(state: &State, cm: &CourseModule) -> String {
    let (singular, _) = module_names(&cm.modname);
    let hidden = !cm.visible;
    let icon = icon_url(state, cm);
    let url = view_url(state, cm).unwrap_or_default();
    let (id, name, modname, purpose) = (cm.id, &cm.name, &cm.modname, purpose(&cm.modname));
    // The template writes "focus-control {{#hidden}}hiddenactivity{{/hidden}}".
    let hidden_class = if hidden { " hiddenactivity" } else { " " };
    // Only modules with an activity badge (a forum's unread posts) get the badge markup.
    let badge = if cm.modname == "forum" {
        "                                                        <span\n                                                            \n                                                            class=\"ms-1\"\n                                                            \n                                                        >\n                                                            <span class=\"activitybadge badge rounded-pill \">\n                                                                    \n                                                            </span>\n                                                        </span>\n"
    } else {
        ""
    };
    let badges = if hidden {
        "                                        <div class=\"activity-badges my-1 d-flex align-self-start align-items-center\" data-region=\"visibility\">\n                                            <span class=\"badge rounded-pill bg-secondary text-dark\"><i class=\"icon fa-regular fa-eye-slash fa-fw \" aria-hidden=\"true\" ></i>Hidden from students</span>\n                                        </div>\n"
    } else {
        ""
    };
    // 5.0's templates (course/format/templates/local/content/section/cmitem.mustache,
    // cm/bulkselect.mustache) dropped the `activity-wrapper` class and moved to Bootstrap 5's
    // `visually-hidden`.
    let (wrapper, hidden_label) = if state.site.moodle.at_least_5_0() {
        ("", "visually-hidden")
    } else {
        (" activity-wrapper", "sr-only")
    };
    let head = format!(
        "<li\n    class=\"activity{wrapper} {modname} modtype_{modname}  hasinfo \"\n    id=\"module-{id}\"\n    data-for=\"cmitem\"\n    data-id=\"{id}\"\n>\n        <div class=\"activity-item focus-control{hidden_class}\" data-activityname=\"{name}\" data-region=\"activity-card\">\n                    <div class=\"bulkselect d-none\" data-for=\"cmBulkSelect\">\n                        <input\n                            id=\"cmCheckbox{id}\"\n                            type=\"checkbox\"\n                            data-id=\"{id}\"\n                            data-action=\"toggleSelectionCm\"\n                            data-bulkcheckbox=\"1\"\n                        >\n                        <label class=\"{hidden_label}\" for=\"cmCheckbox{id}\">\n                            Select activity {name}\n                        </label>\n                    </div>\n\n"
    );
    if cm.modname == "label" {
        // A label has no name or icon: its content shows in place of them.
        return format!(
            "{head}                <div class=\"activity-grid noname-grid\">\n                \n                \n                \n{badges}                \n                \n                \n                \n                        <div class=\"activity-altcontent text-break \">\n                            <div class=\"no-overflow\"><div class=\"no-overflow\">{}</div></div>\n                        </div>\n                \n                \n                </div>\n        </div>\n</li>",
            cm.intro
        );
    }
    format!(
        "{head}                <div class=\"activity-grid \">\n                \n                                            <div class=\"activity-icon activityiconcontainer smaller {purpose}  courseicon align-self-start me-2\">\n                                                <img\n                                                    src=\"{icon}\"\n                                                    class=\"activityicon \"\n                                                    data-region=\"activity-icon\"\n                                                    data-id=\"{id}\"\n                                                    alt=\"\"\n                                                    \n                                                >\n                                            </div>\n                                \n                                    <div class=\"activity-name-area activity-instance d-flex flex-column me-2\">\n                                        <div class=\"activitytitle  modtype_{modname} position-relative align-self-start\">\n                                            <div class=\"activityname\">\n                                                            <a href=\"{url}\" class=\" aalink stretched-link\" onclick=\"\">        <span class=\"instancename\">{name} <span class=\"accesshide \" > {singular}</span></span>    </a>\n                                                        \n{badge}                                            </div>\n                                        </div>\n                                    </div>\n                                \n                \n                \n{badges}                \n                \n                \n                \n                \n                \n                </div>\n        </div>\n</li>"
    )
}
