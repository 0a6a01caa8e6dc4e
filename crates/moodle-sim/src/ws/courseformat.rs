//! The reactive course editor's functions: `core_courseformat_update_course`,
//! `core_courseformat_get_state`, `core_courseformat_new_module` and the deprecated
//! `core_courseformat_create_module` (`course/format/classes/external/`,
//! `core_courseformat\stateactions`). They answer a JSON string holding the course state
//! or a list of state updates, as Moodle does.

use serde::Deserialize;
use serde_json::{Value, json};

mod updates;

use super::course_state::{cm_fields, cm_in_state, course_fields, section_fields, section_shown};
use super::{Call, FunctionDef, params};
use crate::errors::WsError;
use crate::external::desc::*;
use crate::state::{ContextLevel, ModInstance, NewModule, SYSTEM_CONTEXT, State};
use updates::{Updates, put_cms_and_delegated_sections, put_sections_and_cms};

pub(super) fn functions() -> Vec<FunctionDef> {
    vec![
        FunctionDef {
            name: "core_courseformat_update_course",
            params: || {
                single(vec![
                    ("action", alphanumext()),
                    ("courseid", int()),
                    ("ids", multiple(int()).default(json!([]))),
                    ("targetsectionid", int().default(Value::Null)),
                    ("targetcmid", int().default(Value::Null)),
                ])
            },
            returns: || Some(raw()),
            run: update_course,
            // update_course.php runs the action in no transaction: what an action changed
            // before it failed stays.
            write: false,
        },
        FunctionDef {
            name: "core_courseformat_get_state",
            params: || single(vec![("courseid", int())]),
            returns: || Some(raw()),
            run: get_state,
            write: false,
        },
        FunctionDef {
            name: "core_courseformat_new_module",
            params: || {
                single(vec![
                    ("courseid", int()),
                    ("modname", alphanumext()),
                    ("targetsectionid", int()),
                    ("targetcmid", int().default(Value::Null)),
                ])
            },
            returns: || Some(raw()),
            run: new_module,
            write: true,
        },
        FunctionDef {
            name: "core_courseformat_create_module",
            params: || {
                single(vec![
                    ("courseid", int()),
                    ("modname", alphanumext()),
                    ("targetsectionnum", int()),
                    ("targetcmid", int().default(Value::Null)),
                ])
            },
            returns: || Some(raw()),
            run: create_module,
            write: true,
        },
    ]
}

/// `json_encode()` of a value, as the functions return it.
fn encoded(value: &Value) -> Value {
    Value::from(String::from_utf8_lossy(&crate::php_json::encode(value)).into_owned())
}

/// `validate_context()` of the course, then the course format's modinfo (which makes the
/// module contexts still missing).
fn course_context(call: &mut Call<'_>, courseid: i64) -> Result<i64, WsError> {
    let ctx = call
        .state
        .context_id(ContextLevel::Course, courseid)
        .ok_or_else(|| {
            call.state
                .site
                .missing_record("context", format!("course {courseid}"))
        })?;
    call.state
        .validate_course_context(call.userid, courseid, call.now)?;
    call.state.ensure_module_contexts(courseid);
    Ok(ctx)
}

#[derive(Deserialize)]
struct UpdateParams {
    action: String,
    courseid: i64,
    ids: Vec<i64>,
    targetsectionid: Option<i64>,
}

fn update_course(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: UpdateParams = params(p)?;
    let ctx = course_context(call, p.courseid)?;
    let format = call
        .state
        .courses
        .get(&p.courseid)
        .map_or("topics", |c| c.format.as_str())
        .to_owned();
    let mut updates = Updates::default();
    match p.action.as_str() {
        "section_add" => {
            call.require_capability("moodle/course:update", ctx)?;
            let last = last_number(call.state, p.courseid);
            if last >= crate::state::MAX_SECTIONS {
                return Err(WsError::moodle(
                    "maxsectionslimit",
                    format!(
                        "Sorry, but the limit of sections is {}",
                        crate::state::MAX_SECTIONS
                    ),
                ));
            }
            let position = match p.targetsectionid {
                Some(target) => {
                    call.require_capability("moodle/course:movesections", ctx)?;
                    let section = target_section(call.state, p.courseid, target)?;
                    section + 1
                }
                None => last + 1,
            };
            insert_section(call.state, p.courseid, position, call.now);
            updates.course_state(call, p.courseid);
        }
        "section_delete" => {
            call.require_capability("moodle/course:update", ctx)?;
            call.require_capability("moodle/course:movesections", ctx)?;
            for id in &p.ids {
                target_section(call.state, p.courseid, *id)?;
            }
            for id in &p.ids {
                let sequence = call
                    .state
                    .sections
                    .get(id)
                    .map(|s| s.sequence.clone())
                    .unwrap_or_default();
                for cmid in sequence {
                    // course_delete_section() deletes each module with course_delete_module().
                    call.state
                        .emit(crate::plugins::Change::ModuleDeleting(cmid));
                    call.state.delete_module(cmid);
                    updates.remove("cm", cmid);
                }
                call.state.sections.remove(id);
                updates.remove("section", *id);
            }
            renumber_sections(call.state, p.courseid);
            updates.course_state(call, p.courseid);
        }
        "section_hide" | "section_show" => {
            // set_section_visibility(): the sections are validated, then
            // require_all_capabilities([update, sectionvisibility]).
            for id in &p.ids {
                target_section(call.state, p.courseid, *id)?;
            }
            call.require_capability("moodle/course:update", ctx)?;
            call.require_capability("moodle/course:sectionvisibility", ctx)?;
            let visible = p.action == "section_show";
            for id in &p.ids {
                if let Some(section) = call.state.sections.get_mut(id) {
                    section.visible = visible;
                }
                let sequence = call
                    .state
                    .sections
                    .get(id)
                    .map(|s| s.sequence.clone())
                    .unwrap_or_default();
                for cmid in sequence {
                    if let Some(cm) = call.state.cms.get_mut(&cmid) {
                        if visible {
                            cm.visible = cm.visibleold;
                        } else {
                            cm.visibleold = cm.visible;
                            cm.visible = false;
                        }
                    }
                }
            }
            put_sections_and_cms(call, &mut updates, &p.ids);
        }
        "cm_hide" | "cm_show" | "cm_stealth" => {
            let cms = target_cms(call, p.courseid, &p.ids, "moodle/course:activityvisibility")?;
            for cmid in &cms {
                call.state.set_cm_visibility(
                    *cmid,
                    p.action != "cm_hide",
                    p.action != "cm_stealth",
                );
                call.state
                    .emit(crate::plugins::Change::ModuleUpdated(*cmid));
            }
            // set_cm_visibility(): each module, then the sections subsections delegate.
            put_cms_and_delegated_sections(call, &mut updates, &cms)?;
        }
        "cm_moveleft" | "cm_moveright" | "cm_nogroups" | "cm_visiblegroups"
        | "cm_separategroups" => {
            let cms = target_cms(call, p.courseid, &p.ids, "moodle/course:manageactivities")?;
            for cmid in &cms {
                if let Some(cm) = call.state.cms.get_mut(cmid) {
                    match p.action.as_str() {
                        "cm_moveleft" => cm.indent = (cm.indent - 1).max(0),
                        "cm_moveright" => cm.indent += 1,
                        "cm_nogroups" => cm.groupmode = 0,
                        "cm_separategroups" => cm.groupmode = 1,
                        _ => cm.groupmode = 2,
                    }
                }
            }
            for cmid in &cms {
                // set_cm_indentation() and set_cm_groupmode() trigger course_module_updated.
                call.state
                    .emit(crate::plugins::Change::ModuleUpdated(*cmid));
                if let Some(cm) = call.state.cms.get(cmid) {
                    updates.put_cm(call, cm);
                }
            }
        }
        "cm_delete" => {
            let cms = target_cms(call, p.courseid, &p.ids, "moodle/course:manageactivities")?;
            let sections: Vec<i64> = cms
                .iter()
                .filter_map(|id| call.state.cms.get(id).map(|c| c.section))
                .collect();
            for cmid in &cms {
                call.state
                    .emit(crate::plugins::Change::ModuleDeleting(*cmid));
                call.state.delete_module(*cmid);
                updates.remove("cm", *cmid);
            }
            for sectionid in sections {
                if let Some(section) = call.state.sections.get(&sectionid) {
                    updates.put_section(call, section);
                }
            }
        }
        "section_move_after" => {
            let Some(target) = p.targetsectionid else {
                return Err(WsError::literal(
                    "Action section_move_after requires targetsectionid",
                ));
            };
            for id in &p.ids {
                target_section(call.state, p.courseid, *id)?;
            }
            call.require_capability("moodle/course:movesections", ctx)?;
            let target_number = target_section(call.state, p.courseid, target)?;
            for id in &p.ids {
                let number = target_section(call.state, p.courseid, *id)?;
                move_section_to(call.state, p.courseid, number, target_number + 1);
            }
            // section_state() of the moved sections and the target (with their modules),
            // then every other section, then the course.
            let mut affected: Vec<i64> = p.ids.clone();
            affected.push(target);
            updates.section_state(call, &affected);
            for section in call.state.course_sections(p.courseid) {
                if !affected.contains(&section.id) {
                    updates.put_section(call, section);
                }
            }
            updates.put("course", course_fields(call.state, call.userid, p.courseid));
        }
        "course_state" => updates.course_state(call, p.courseid),
        other => {
            return Err(WsError::literal(format!(
                "Invalid course state action {other} in {}",
                // The format's own actions class, else core's (weeks has none).
                if format == "topics" {
                    "format_topics\\courseformat\\stateactions"
                } else {
                    "core_courseformat\\stateactions"
                }
            )));
        }
    }
    Ok(encoded(&Value::Array(updates.0)))
}

fn last_number(state: &State, courseid: i64) -> i64 {
    state
        .course_sections(courseid)
        .iter()
        .map(|s| s.section)
        .max()
        .unwrap_or(0)
}

/// `stateactions::validate_sections()`: the section belongs to the course.
fn target_section(state: &State, courseid: i64, sectionid: i64) -> Result<i64, WsError> {
    state
        .sections
        .get(&sectionid)
        .filter(|s| s.course == courseid)
        .map(|s| s.section)
        .ok_or_else(|| {
            WsError::moodle(
                "unexpectedsection",
                format!("Section {sectionid} is not part of the course"),
            )
        })
}

/// `stateactions::validate_cms()` plus the capability each module needs.
fn target_cms(
    call: &Call<'_>,
    courseid: i64,
    ids: &[i64],
    capability: &str,
) -> Result<Vec<i64>, WsError> {
    for id in ids {
        let cm = call
            .state
            .cms
            .get(id)
            .filter(|cm| cm.course == courseid)
            .ok_or_else(|| {
                WsError::moodle(
                    "unexpectedcm",
                    format!("Course module {id} is not part of the course"),
                )
            })?;
        let ctx = call
            .state
            .context_id(ContextLevel::Module, cm.id)
            .unwrap_or(SYSTEM_CONTEXT);
        call.require_capability(capability, ctx)?;
    }
    Ok(ids.to_vec())
}

/// `course_create_section($course, $position)`: a new section at a number, later sections
/// moving down.
fn insert_section(state: &mut State, courseid: i64, position: i64, now: i64) -> i64 {
    for section in state
        .sections
        .values_mut()
        .filter(|s| s.course == courseid && s.section >= position)
    {
        section.section += 1;
    }
    state.create_section(courseid, position, now)
}

/// `move_section_to()` with `reorder_sections()`: the section numbered `origin` goes to
/// `destination` (before the section there when moving up, after it when moving down); the
/// others keep their order and all are numbered again from 0.
fn move_section_to(state: &mut State, courseid: i64, origin: i64, destination: i64) {
    if destination < 1 || origin < 1 {
        return;
    }
    let order: Vec<(i64, i64)> = state
        .course_sections(courseid)
        .iter()
        .map(|s| (s.id, s.section))
        .collect();
    let Some(moved) = order.iter().find(|(_, n)| *n == origin).map(|(id, _)| *id) else {
        return;
    };
    let mut rest: Vec<(i64, i64)> = order.into_iter().filter(|(id, _)| *id != moved).collect();
    let at = match rest.iter().position(|(_, n)| *n == destination) {
        Some(i) if destination < origin => i,
        Some(i) => i + 1,
        None => rest.len(),
    };
    rest.insert(at, (moved, origin));
    for (number, (id, _)) in rest.into_iter().enumerate() {
        if let Some(s) = state.sections.get_mut(&id) {
            s.section = i64::try_from(number).unwrap_or(0);
        }
    }
}

fn renumber_sections(state: &mut State, courseid: i64) {
    let ids: Vec<i64> = state
        .course_sections(courseid)
        .iter()
        .map(|s| s.id)
        .collect();
    for (number, id) in ids.into_iter().enumerate() {
        if let Some(section) = state.sections.get_mut(&id) {
            section.section = i64::try_from(number).unwrap_or_default();
        }
    }
}

#[derive(Deserialize)]
struct StateParams {
    courseid: i64,
}

fn get_state(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: StateParams = params(p)?;
    course_context(call, p.courseid)?;
    let s: &State = call.state;
    // get_state.php: the sections the user may see on the course page, then the modules.
    let sections: Vec<Value> = s
        .course_sections(p.courseid)
        .into_iter()
        .filter(|section| section_shown(s, call.userid, section))
        .map(|section| section_fields(s, call.userid, section))
        .collect();
    let cms: Vec<Value> = s
        .course_sections(p.courseid)
        .into_iter()
        .flat_map(|section| super::course::section_cms(s, section))
        .filter(|cm| cm_in_state(s, call.userid, cm))
        .map(|cm| cm_fields(s, call.userid, cm))
        .collect();
    Ok(encoded(&json!({
        "course": course_fields(s, call.userid, p.courseid),
        "section": sections,
        "cm": cms,
    })))
}

#[derive(Deserialize)]
struct NewModuleParams {
    courseid: i64,
    modname: String,
    targetsectionid: Option<i64>,
    targetsectionnum: Option<i64>,
}

fn new_module(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    quick_create(call, params(p)?)
}

fn create_module(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    quick_create(call, params(p)?)
}

/// Modules with `FEATURE_QUICKCREATE` in a stock Moodle 4.5.
const QUICK_CREATE: [&str; 1] = ["subsection"];

fn quick_create(call: &mut Call<'_>, p: NewModuleParams) -> Result<Value, WsError> {
    let ctx = course_context(call, p.courseid)?;
    if !QUICK_CREATE.contains(&p.modname.as_str()) {
        return Err(WsError::literal(format!(
            "Module {} does not support quick creation",
            p.modname
        )));
    }
    call.require_capability("moodle/course:update", ctx)?;
    call.require_capability("moodle/course:manageactivities", ctx)?;
    call.require_capability(&format!("mod/{}:addinstance", p.modname), ctx)?;
    let section = match (p.targetsectionid, p.targetsectionnum) {
        (Some(id), _) => target_section(call.state, p.courseid, id)?,
        (None, Some(num)) => num,
        (None, None) => 0,
    };
    let cmid = call.state.add_module(
        NewModule {
            course: p.courseid,
            section,
            name: "New subsection".to_owned(),
            intro: String::new(),
            idnumber: None,
            visible: true,
            showdescription: false,
            kind: ModInstance::Subsection,
        },
        call.now,
    );
    // mod_subsection delegates a section of its own, added at the end of the course.
    let instance = call.state.cms.get(&cmid).map_or(0, |cm| cm.instance);
    let number = last_number(call.state, p.courseid) + 1;
    let sectionid = call.state.create_section(p.courseid, number, call.now);
    if let Some(s) = call.state.sections.get_mut(&sectionid) {
        s.name = Some("New subsection".to_owned());
        s.component = Some("mod_subsection".to_owned());
        s.itemid = Some(instance);
    }
    let mut updates = Updates::default();
    updates.course_state(call, p.courseid);
    Ok(encoded(&Value::Array(updates.0)))
}
