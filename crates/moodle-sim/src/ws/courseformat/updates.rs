//! The state updates (`core_courseformat\stateupdates`) the course format functions answer
//! with: which sections and modules each action puts, as the user sees them on the course page.

use serde_json::{Value, json};

use crate::errors::WsError;
use crate::state::{CourseModule, Section, State};
use crate::ws::Call;
use crate::ws::course_state::{
    cm_fields, cm_on_course_page, course_fields, section_fields, section_shown, section_uservisible,
};

/// The state updates (`core_courseformat\stateupdates`) an action produces.
#[derive(Default)]
pub(super) struct Updates(pub(super) Vec<Value>);

impl Updates {
    pub(super) fn put(&mut self, name: &str, fields: Value) {
        self.0
            .push(json!({"name": name, "action": "put", "fields": fields}));
    }

    pub(super) fn remove(&mut self, name: &str, id: i64) {
        self.0
            .push(json!({"name": name, "action": "remove", "fields": {"id": id.to_string()}}));
    }

    /// `stateupdates::add_section_put()`: a section the user may see on the course page; a
    /// delegated section brings its module along (`put_section_state_extra_updates()`).
    pub(super) fn put_section(&mut self, call: &Call<'_>, section: &Section) {
        let s: &State = call.state;
        if !section_shown(s, call.userid, section) {
            return;
        }
        self.put("section", section_fields(s, call.userid, section));
        if let Some(cm) = s
            .delegating_cm(section)
            .filter(|cm| crate::ws::course::in_modinfo(s.site.moodle, cm))
        {
            self.put_cm(call, cm);
        }
    }

    /// `stateupdates::add_cm_put()`: a module the user sees on the course page, in a section
    /// the user may see.
    pub(super) fn put_cm(&mut self, call: &Call<'_>, cm: &CourseModule) {
        let s: &State = call.state;
        let section_visible = s
            .sections
            .get(&cm.section)
            .is_some_and(|section| section_uservisible(s, call.userid, section));
        if section_visible && cm_on_course_page(s, call.userid, cm) {
            self.put("cm", cm_fields(s, call.userid, cm));
        }
    }

    /// `stateactions::section_state()`: the sections, then the modules on the course page in
    /// them.
    pub(super) fn section_state(&mut self, call: &Call<'_>, sections: &[i64]) {
        let s: &State = call.state;
        let mut cms = Vec::new();
        for id in sections {
            if let Some(section) = s.sections.get(id) {
                self.put_section(call, section);
                cms.extend(
                    crate::ws::course::section_cms(s, section)
                        .into_iter()
                        .filter(|cm| cm_on_course_page(s, call.userid, cm))
                        .map(|cm| cm.id),
                );
            }
        }
        for cmid in cms {
            if let Some(cm) = s.cms.get(&cmid) {
                self.put_cm(call, cm);
            }
        }
    }

    /// `stateactions::course_state()`: the course, then `section_state()` of every section.
    pub(super) fn course_state(&mut self, call: &Call<'_>, courseid: i64) {
        let s: &State = call.state;
        self.put("course", course_fields(s, call.userid, courseid));
        let ids: Vec<i64> = s.course_sections(courseid).iter().map(|x| x.id).collect();
        self.section_state(call, &ids);
    }
}

/// `stateactions::set_cm_visibility()`'s updates: the modules, then the sections the
/// subsections among them delegate. Moodle puts those by the position in its list of delegated
/// sections (`foreach ($delegatedsections as $sectionid => $section)`, 4.5 and 5.0 alike), not
/// by their ids: position 0 names no section, so a subsection's visibility change ends in
/// `sectionnotexist` once the modules are changed (the action runs in no transaction).
pub(super) fn put_cms_and_delegated_sections(
    call: &Call<'_>,
    updates: &mut Updates,
    cms: &[i64],
) -> Result<(), WsError> {
    let mut delegated = Vec::new();
    for cmid in cms {
        if let Some(cm) = call.state.cms.get(cmid) {
            updates.put_cm(call, cm);
            if let Some(section) = call
                .state
                .delegated_section(cm)
                .filter(|_| crate::ws::course::in_modinfo(call.state.site.moodle, cm))
                && !delegated.contains(&section.id)
            {
                delegated.push(section.id);
            }
        }
    }
    for position in 0..delegated.len() {
        let id = i64::try_from(position).unwrap_or_default();
        let course = cms
            .first()
            .and_then(|c| call.state.cms.get(c))
            .map_or(0, |cm| cm.course);
        match call.state.sections.get(&id).filter(|s| s.course == course) {
            Some(section) => updates.put_section(call, section),
            None => {
                return Err(WsError::moodle(
                    "sectionnotexist",
                    "This section does not exist",
                ));
            }
        }
    }
    Ok(())
}

pub(super) fn put_sections_and_cms(call: &Call<'_>, updates: &mut Updates, sections: &[i64]) {
    for id in sections {
        if let Some(section) = call.state.sections.get(id) {
            updates.put_section(call, section);
            for cm in crate::ws::course::section_cms(call.state, section) {
                updates.put_cm(call, cm);
            }
        }
    }
}
