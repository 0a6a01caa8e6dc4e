//! The reactive course editor's state objects (`core_courseformat\output\local\state\
//! {course,section,cm}`), shared by the `core_courseformat_*` functions.

use serde_json::{Value, json};

use super::course::{can_display, module_names, section_cms, section_name, view_url};
use crate::state::{ContextLevel, CourseModule, SYSTEM_CONTEXT, Section, State};

/// `state\course::export_for_template()`.
pub fn course_fields(state: &State, userid: i64, courseid: i64) -> Value {
    let sections = state.course_sections(courseid);
    let numsections = sections.iter().map(|s| s.section).max().unwrap_or(0);
    let course = state.courses.get(&courseid);
    let highlighted = if course.is_some_and(|c| c.format == "weeks") {
        "Current week"
    } else {
        "Highlighted"
    };
    let admin = state.users.get(&userid).is_some_and(|u| u.siteadmin);
    let (maxbytes, maxbytestext) = if admin {
        (-1, "Unlimited".to_owned())
    } else {
        let site = state.site.php_upload_max;
        let limit = course.map_or(site, |c| {
            if c.maxbytes > 0 {
                c.maxbytes.min(site)
            } else {
                site
            }
        });
        (limit, crate::external::format::display_size(limit))
    };
    json!({
        "id": courseid.to_string(),
        "numsections": numsections,
        "sectionlist": sections
            .iter()
            .filter(|s| section_shown(state, userid, s))
            .map(|s| s.id.to_string())
            .collect::<Vec<_>>(),
        "editmode": false,
        "highlighted": highlighted,
        "maxsections": crate::state::MAX_SECTIONS.to_string(),
        "baseurl": format!("{}/course/view.php?id={courseid}", state.site.wwwroot),
        "statekey": format!("{}_{}", course.map_or(0, |c| c.cacherev), course.map_or(0, |c| c.timemodified)),
        "maxbytes": maxbytes,
        "maxbytestext": maxbytestext,
    })
}

/// `section_info::uservisible`: the section is visible, or the user may see hidden sections.
pub fn section_uservisible(state: &State, userid: i64, section: &Section) -> bool {
    section.visible
        || state.has_capability(
            userid,
            "moodle/course:viewhiddensections",
            course_context(state, section.course),
        )
}

/// `format_base::is_section_visible()`: a section the user may see, or a hidden one the course
/// shows as not available (hidden sections not hidden completely).
pub fn section_shown(state: &State, userid: i64, section: &Section) -> bool {
    let hides_hidden = state
        .courses
        .get(&section.course)
        .is_none_or(|c| c.format_options.hiddensections != 0);
    section_uservisible(state, userid, section) || (!section.visible && !hides_hidden)
}

/// `cm_info::uservisible`: visible in a visible section, or the user may see hidden activities.
fn cm_uservisible(state: &State, userid: i64, cm: &CourseModule) -> bool {
    let in_visible_section = state.sections.get(&cm.section).is_none_or(|s| s.visible);
    (cm.visible && in_visible_section) || can_view_hidden_activities(state, userid, cm)
}

fn can_view_hidden_activities(state: &State, userid: i64, cm: &CourseModule) -> bool {
    let ctx = state
        .context_id(ContextLevel::Module, cm.id)
        .unwrap_or_else(|| course_context(state, cm.course));
    state.has_capability(userid, "moodle/course:viewhiddenactivities", ctx)
}

/// `cm_info::is_visible_on_course_page()`: available to the user, and not stealth unless the
/// user may see hidden activities.
pub fn cm_on_course_page(state: &State, userid: i64, cm: &CourseModule) -> bool {
    cm_uservisible(state, userid, cm)
        && (cm.visibleoncoursepage || can_view_hidden_activities(state, userid, cm))
}

/// Whether `core_courseformat_get_state` lists a module: on the course page for the user;
/// from Moodle 5.0 also when stealth, and only of a type that may display there (5.0's
/// course/format/classes/external/get_state.php).
pub fn cm_in_state(state: &State, userid: i64, cm: &CourseModule) -> bool {
    if !state.site.moodle.at_least_5_0() {
        return cm_on_course_page(state, userid, cm);
    }
    let stealth = cm.visible && !cm.visibleoncoursepage;
    (cm_on_course_page(state, userid, cm) || stealth) && can_display(&cm.modname)
}

fn course_context(state: &State, courseid: i64) -> i64 {
    state
        .context_id(ContextLevel::Course, courseid)
        .unwrap_or(SYSTEM_CONTEXT)
}

/// `state\section::export_for_template()`.
pub fn section_fields(state: &State, userid: i64, section: &Section) -> Value {
    let marker = state.courses.get(&section.course).map_or(0, |c| c.marker);
    let uservisible = section_uservisible(state, userid, section);
    // sectiondelegatemodule::get_parent_section(): the section holding the subsection module.
    let parent = state
        .delegating_cm(section)
        .filter(|cm| super::course::in_modinfo(state.site.moodle, cm))
        .map(|cm| cm.section.to_string());
    let cmlist: Vec<String> = section_cms(state, section)
        .into_iter()
        .filter(|cm| {
            uservisible
                && cm_on_course_page(state, userid, cm)
                && (!state.site.moodle.at_least_5_0() || can_display(&cm.modname))
        })
        .map(|cm| cm.id.to_string())
        .collect();
    let sectionurl = json!(format!(
        "{}/course/section.php?id={}",
        state.site.wwwroot, section.id
    ));
    let mut fields: Vec<(&str, Value)> = vec![
        ("id", json!(section.id.to_string())),
        ("section", json!(section.section)),
        ("number", json!(section.section)),
        ("title", json!(section_name(state, section))),
        ("hassummary", json!(!section.summary.is_empty())),
        ("rawtitle", json!(section.name)),
        ("cmlist", json!(cmlist)),
        ("visible", json!(section.visible)),
    ];
    let five = state.site.moodle.at_least_5_0();
    if !five {
        fields.push(("sectionurl", sectionurl.clone()));
    }
    fields.extend([
        ("current", json!(marker != 0 && marker == section.section)),
        ("indexcollapsed", json!(false)),
        ("contentcollapsed", json!(false)),
        ("hasrestrictions", json!(false)),
        // is_bulk_editable(): every section but the first.
        ("bulkeditable", json!(section.section != 0)),
        ("component", json!(section.component)),
        ("itemid", json!(section.itemid)),
        ("parentsectionid", json!(parent)),
    ]);
    // 5.0's state\section gives the URL last, and only for a section the user may see.
    if five && uservisible {
        fields.push(("sectionurl", sectionurl));
    }
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// `state\cm::export_for_template()` for a user.
pub fn cm_fields(state: &State, userid: i64, cm: &CourseModule) -> Value {
    let (singular, _) = module_names(&cm.modname);
    let sectionnumber = state.sections.get(&cm.section).map_or(0, |s| s.section);
    let delegated = state
        .delegated_section(cm)
        .filter(|_| super::course::in_modinfo(state.site.moodle, cm));
    let mut fields = json!({
        "id": cm.id.to_string(),
        "anchor": format!("module-{}", cm.id),
        "name": cm.name,
        "visible": cm.visible,
        "stealth": cm.visible && !cm.visibleoncoursepage,
        "sectionid": cm.section.to_string(),
        "sectionnumber": sectionnumber,
        "uservisible": cm_uservisible(state, userid, cm),
        "hascmrestrictions": false,
        "modname": singular,
        "indent": cm.indent,
        "groupmode": cm.groupmode,
        "module": cm.modname,
        "plugin": format!("mod_{}", cm.modname),
        "hasdelegatedsection": delegated.is_some(),
    });
    if let Some(section) = delegated {
        fields["delegatesectionid"] = json!(section.id.to_string());
    }
    // Visible and available to all (no restrictions here).
    fields["accessvisible"] = json!(cm.visible);
    // The URL only for modules that have one (not labels or subsections).
    if let Some(url) = view_url(state, cm) {
        fields["url"] = json!(url);
    }
    // completion_info::is_tracked_user(): enrolled with moodle/course:isincompletionreports.
    let ctx = course_context(state, cm.course);
    fields["istrackeduser"] = json!(
        state.is_enrolled(userid, cm.course, crate::state::now())
            && state.has_capability(userid, "moodle/course:isincompletionreports", ctx)
    );
    fields["allowstealth"] = json!(false);
    fields
}
