//! Sections delegated to a module (`core_courseformat\sectiondelegatemodule`; mod_subsection is
//! the only such module in core): finding a subsection's section, and what changing or
//! deleting the module does to it (course/format/classes/local/cmactions.php
//! `update_delegated()`, mod/subsection/lib.php `subsection_delete_instance()`). Whether
//! subsections show at all is the module's enabled state (`ws/course/modinfo.rs`).

use super::{CourseModule, Section, State};

/// The component that delegates sections to its modules.
pub const SUBSECTION_COMPONENT: &str = "mod_subsection";

impl State {
    /// The section a course module delegates (`cm_info::get_delegated_section_info()`).
    pub fn delegated_section(&self, cm: &CourseModule) -> Option<&Section> {
        if cm.modname != "subsection" {
            return None;
        }
        self.sections.values().find(|s| {
            s.course == cm.course
                && s.component.as_deref() == Some(SUBSECTION_COMPONENT)
                && s.itemid == Some(cm.instance)
        })
    }

    /// The module a delegated section belongs to (`sectiondelegatemodule::get_cm()`).
    pub fn delegating_cm(&self, section: &Section) -> Option<&CourseModule> {
        if section.component.as_deref() != Some(SUBSECTION_COMPONENT) {
            return None;
        }
        self.cms.values().find(|cm| {
            cm.course == section.course
                && cm.modname == "subsection"
                && Some(cm.instance) == section.itemid
        })
    }

    /// `cmactions::set_visibility()`: the module's visibility, then its delegated section's
    /// (`update_delegated()` with `visible` and `visibleold`).
    pub fn set_cm_visibility(&mut self, cmid: i64, visible: bool, visibleoncoursepage: bool) {
        let Some(cm) = self.cms.get_mut(&cmid) else {
            return;
        };
        cm.visible = visible;
        cm.visibleold = visible;
        cm.visibleoncoursepage = visibleoncoursepage;
        let cm = cm.clone();
        let delegated = self.delegated_section(&cm).map(|s| s.id);
        if let Some(section) = delegated.and_then(|id| self.sections.get_mut(&id)) {
            section.visible = visible;
        }
    }

    /// `subsection_delete_instance()`: deleting a subsection deletes the section it delegates
    /// (`sectionactions::delete()`: its modules, then the section; later sections move up).
    pub(super) fn delete_delegated_section(&mut self, cm: &CourseModule) {
        let Some(section) = self.delegated_section(cm).cloned() else {
            return;
        };
        for cmid in &section.sequence {
            self.delete_module(*cmid);
        }
        self.sections.remove(&section.id);
        for s in self
            .sections
            .values_mut()
            .filter(|s| s.course == section.course && s.section > section.section)
        {
            s.section -= 1;
        }
    }
}
