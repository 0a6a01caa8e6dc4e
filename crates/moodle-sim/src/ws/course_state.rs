//! The reactive course editor's state objects (`core_courseformat\output\local\state\
//! {course,section,cm}`), shared by the `core_courseformat_*` functions.

use serde_json::{Value, json};

use super::course::{module_names, section_cms, section_name, view_url};
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
        "sectionlist": sections.iter().map(|s| s.id.to_string()).collect::<Vec<_>>(),
        "editmode": false,
        "highlighted": highlighted,
        "maxsections": crate::state::MAX_SECTIONS.to_string(),
        "baseurl": format!("{}/course/view.php?id={courseid}", state.site.wwwroot),
        "statekey": format!("{}_{}", course.map_or(0, |c| c.cacherev), course.map_or(0, |c| c.timemodified)),
        "maxbytes": maxbytes,
        "maxbytestext": maxbytestext,
    })
}

/// `state\section::export_for_template()`.
pub fn section_fields(state: &State, userid: i64, section: &Section) -> Value {
    let ctx = state
        .context_id(ContextLevel::Course, section.course)
        .unwrap_or(SYSTEM_CONTEXT);
    let marker = state.courses.get(&section.course).map_or(0, |c| c.marker);
    let editor = state.has_capability(userid, "moodle/course:update", ctx);
    let parent = section
        .component
        .as_deref()
        .filter(|c| *c == "mod_subsection")
        .and_then(|_| {
            state
                .cms
                .values()
                .find(|cm| cm.modname == "subsection" && Some(cm.instance) == section.itemid)
                .filter(|cm| super::course::in_modinfo(state.site.moodle, cm))
                .map(|cm| cm.section.to_string())
        });
    json!({
        "id": section.id.to_string(),
        "section": section.section,
        "number": section.section,
        "title": section_name(state, section),
        "hassummary": !section.summary.is_empty(),
        "rawtitle": section.name,
        "cmlist": section_cms(state, section).iter().map(|cm| cm.id.to_string()).collect::<Vec<_>>(),
        "visible": section.visible,
        "sectionurl": format!("{}/course/section.php?id={}", state.site.wwwroot, section.id),
        "current": marker != 0 && marker == section.section,
        "indexcollapsed": false,
        "contentcollapsed": false,
        "hasrestrictions": false,
        "bulkeditable": editor && section.section != 0,
        "component": section.component,
        "itemid": section.itemid,
        "parentsectionid": parent,
    })
}

/// `state\cm::export_for_template()`.
pub fn cm_fields(state: &State, cm: &CourseModule) -> Value {
    let (singular, _) = module_names(&cm.modname);
    let sectionnumber = state.sections.get(&cm.section).map_or(0, |s| s.section);
    let mut fields = json!({
        "id": cm.id.to_string(),
        "anchor": format!("module-{}", cm.id),
        "name": cm.name,
        "visible": cm.visible,
        "stealth": cm.visible && !cm.visibleoncoursepage,
        "sectionid": cm.section.to_string(),
        "sectionnumber": sectionnumber,
        "uservisible": true,
        "hascmrestrictions": false,
        "modname": singular,
        "indent": cm.indent,
        "groupmode": cm.groupmode,
        "module": cm.modname,
        "plugin": format!("mod_{}", cm.modname),
        "hasdelegatedsection": cm.modname == "subsection",
        // Visible and available to all (no restrictions here).
        "accessvisible": cm.visible,
        "istrackeduser": false,
        "allowstealth": false,
    });
    // The URL only for modules that have one (not labels or subsections).
    if let Some(url) = view_url(state, cm) {
        fields["url"] = json!(url);
    }
    fields
}
