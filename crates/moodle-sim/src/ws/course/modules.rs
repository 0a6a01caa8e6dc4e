//! Single modules and sections: `core_course_get_course_module`, `core_course_delete_modules`,
//! `core_course_edit_module`, `core_course_edit_section` (`course/externallib.php`).

use serde::Deserialize;
use serde_json::{Value, json};

use super::modinfo::{self, in_modinfo, section_cms};
use crate::errors::WsError;
use crate::external::desc::*;
use crate::state::{ContextLevel, ModInstance, SYSTEM_CONTEXT, module_type_id};
use crate::ws::{Call, FunctionDef, params};

pub(super) fn functions() -> Vec<FunctionDef> {
    vec![
        FunctionDef {
            name: "core_course_get_course_module",
            params: || single(vec![("cmid", int())]),
            returns: || {
                Some(single(vec![
                    ("cm", cm_structure()),
                    ("warnings", warnings()),
                ]))
            },
            run: get_course_module,
            write: false,
        },
        FunctionDef {
            name: "core_course_delete_modules",
            params: || single(vec![("cmids", multiple(int().not_null()))]),
            returns: || None,
            run: delete_modules,
            write: true,
        },
        FunctionDef {
            name: "core_course_edit_module",
            params: || {
                single(vec![
                    ("action", alpha()),
                    ("id", int()),
                    ("sectionreturn", int().default(Value::Null)),
                ])
            },
            returns: || Some(raw()),
            run: edit_module,
            write: true,
        },
        FunctionDef {
            name: "core_course_edit_section",
            params: || {
                single(vec![
                    ("action", alpha()),
                    ("id", int()),
                    ("sectionreturn", int().default(Value::Null)),
                ])
            },
            returns: || Some(raw()),
            run: edit_section,
            write: true,
        },
    ]
}

fn cm_structure() -> Desc {
    single(vec![
        ("id", int()),
        ("course", int()),
        ("module", int()),
        ("name", raw()),
        ("modname", component()),
        ("instance", int()),
        ("section", int()),
        ("sectionnum", int()),
        ("groupmode", int()),
        ("groupingid", int()),
        ("completion", int()),
        ("idnumber", raw().optional()),
        ("added", int().optional()),
        ("score", int().optional()),
        ("indent", int().optional()),
        ("visible", int().optional()),
        ("visibleoncoursepage", int().optional()),
        ("visibleold", int().optional()),
        ("completiongradeitemnumber", int().optional()),
        ("completionpassgrade", int().optional()),
        ("completionview", int().optional()),
        ("completionexpected", int().optional()),
        ("showdescription", int().optional()),
        ("downloadcontent", int().optional()),
        ("availability", raw().optional()),
        ("grade", float().optional()),
        ("scale", text().optional()),
        ("gradepass", raw().optional()),
        ("gradecat", int().optional()),
        (
            "advancedgrading",
            multiple(single(vec![("area", area()), ("method", component())])).optional(),
        ),
        (
            "outcomes",
            multiple(single(vec![
                ("id", alphanumext()),
                ("name", raw()),
                ("scale", text()),
            ]))
            .optional(),
        ),
    ])
}

#[derive(Deserialize)]
struct CmidParam {
    cmid: i64,
}

fn get_course_module(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: CmidParam = params(p)?;
    let state = &*call.state;
    let cm = state
        .cms
        .get(&p.cmid)
        .cloned()
        .ok_or_else(|| {
            // get_coursemodule_from_id(): the module name first, with get_field_sql(MUST_EXIST).
            WsError::missing_record_unknown(format!(
                "SELECT md.name\n{pad}FROM {{modules}} md\n{pad}JOIN {{course_modules}} cm ON cm.module = md.id\n{pad1}WHERE cm.id = :cmid\n[array (\n  'cmid' => {},\n)]",
                p.cmid,
                pad = " ".repeat(49),
                pad1 = " ".repeat(48),
            ))
        })?;
    state.validate_module_context(call.userid, cm.id, call.now)?;
    let ctx = state
        .context_id(ContextLevel::Module, cm.id)
        .unwrap_or(SYSTEM_CONTEXT);
    let sectionnum = state.sections.get(&cm.section).map_or(0, |s| s.section);
    let mut info = json!({
        "id": cm.id,
        "course": cm.course,
        "module": module_type_id(state.site.moodle, &cm.modname),
        "name": cm.name,
        "modname": cm.modname,
        "instance": cm.instance,
        "section": cm.section,
        "sectionnum": sectionnum,
        "groupmode": cm.groupmode,
        "groupingid": 0,
        "completion": cm.completion,
        "downloadcontent": 1,
    });
    if state.has_capability(call.userid, "moodle/course:manageactivities", ctx) {
        let extra = json!({
            "idnumber": cm.idnumber,
            "added": cm.added,
            "score": 0,
            "indent": cm.indent,
            "visible": i64::from(cm.visible),
            "visibleoncoursepage": i64::from(cm.visibleoncoursepage),
            "visibleold": i64::from(cm.visibleold),
            "completiongradeitemnumber": null,
            "completionpassgrade": 0,
            "completionview": 0,
            "completionexpected": 0,
            "showdescription": i64::from(cm.showdescription),
            "availability": null,
        });
        if let (Value::Object(i), Value::Object(e)) = (&mut info, extra) {
            i.extend(e);
        }
        match &cm.kind {
            ModInstance::Assign(a) => {
                info["grade"] = json!(a.grade);
                info["gradepass"] = json!("0.00");
                info["gradecat"] = json!(1);
                info["advancedgrading"] = json!([{"area": "submissions", "method": null}]);
            }
            ModInstance::Forum { .. } => {
                info["advancedgrading"] = json!([{"area": "forum", "method": null}]);
            }
            // mod_lti's grade and grade item are kept with the LTI tables (src/lti).
            ModInstance::Lti => {
                if let Some(lti) = state.lti.instances.get(&cm.instance) {
                    info["grade"] = json!(lti.grade);
                    if state.lti.instance_item(lti.id).is_some() {
                        info["gradepass"] = json!("0.00");
                        info["gradecat"] = json!(1);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(json!({"cm": info, "warnings": []}))
}

#[derive(Deserialize)]
struct CmidsParam {
    cmids: Vec<i64>,
}

fn delete_modules(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: CmidsParam = params(p)?;
    let mut checked = Vec::new();
    for cmid in p.cmids {
        let cm = call
            .state
            .cms
            .get(&cmid)
            .cloned()
            .ok_or_else(|| call.state.site.missing_record_by_id("course_modules", cmid))?;
        if !checked.contains(&cm.course) {
            call.state
                .validate_course_context(call.userid, cm.course, call.now)?;
            checked.push(cm.course);
        }
        let ctx = call
            .state
            .context_id(ContextLevel::Module, cmid)
            .unwrap_or(SYSTEM_CONTEXT);
        call.require_capability("moodle/course:manageactivities", ctx)?;
        call.state
            .emit(crate::plugins::Change::ModuleDeleting(cmid));
        call.state.delete_module(cmid);
    }
    Ok(Value::Null)
}

#[derive(Deserialize)]
struct EditParams {
    action: String,
    id: i64,
}

fn edit_module(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: EditParams = params(p)?;
    let cm = call
        .state
        .cms
        .get(&p.id)
        .cloned()
        .filter(|cm| in_modinfo(call.state.site.moodle, cm))
        // get_course_and_cm_from_cmid().
        .ok_or_else(|| {
            WsError::moodle(
                "invalidcoursemoduleid",
                format!("Invalid course module ID: {}", p.id),
            )
        })?;
    call.state
        .validate_module_context(call.userid, cm.id, call.now)?;
    let ctx = call
        .state
        .context_id(ContextLevel::Module, cm.id)
        .unwrap_or(SYSTEM_CONTEXT);
    let capability = match p.action.as_str() {
        "hide" | "show" | "stealth" => "moodle/course:activityvisibility",
        "groupsseparate" | "groupsvisible" | "groupsnone" | "moveleft" | "moveright" | "delete" => {
            "moodle/course:manageactivities"
        }
        _ => return Err(WsError::coding("Unrecognised action")),
    };
    call.require_capability(capability, ctx)?;
    if p.action == "delete" {
        call.state
            .emit(crate::plugins::Change::ModuleDeleting(cm.id));
        call.state.delete_module(cm.id);
        return Ok(json!(""));
    }
    if matches!(p.action.as_str(), "hide" | "show" | "stealth") {
        // set_coursemodule_visible(), which a subsection passes on to its section, then
        // course_module_updated (course/externallib.php).
        call.state
            .set_cm_visibility(cm.id, p.action != "hide", p.action != "stealth");
        call.state
            .emit(crate::plugins::Change::ModuleUpdated(cm.id));
        let cm = call.state.cms.get(&cm.id).cloned().unwrap_or(cm);
        return Ok(Value::from(modinfo::cm_html(call.state, &cm)));
    }
    let Some(stored) = call.state.cms.get_mut(&cm.id) else {
        return Err(call
            .state
            .site
            .missing_record_by_id("course_modules", cm.id));
    };
    match p.action.as_str() {
        "groupsseparate" => stored.groupmode = 1,
        "groupsvisible" => stored.groupmode = 2,
        "groupsnone" => stored.groupmode = 0,
        "moveright" => stored.indent += 1,
        _ => stored.indent = (stored.indent - 1).max(0),
    }
    let updated = call
        .state
        .cms
        .get(&cm.id)
        .cloned()
        .unwrap_or_else(|| cm.clone());
    // Moodle: the group mode when it changed (set_coursemodule_groupmode()).
    if p.action.starts_with("groups") && updated.groupmode != cm.groupmode {
        call.state
            .emit(crate::plugins::Change::ModuleUpdated(cm.id));
    }
    Ok(Value::from(modinfo::cm_html(call.state, &updated)))
}

fn edit_section(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: EditParams = params(p)?;
    let section = call.state.sections.get(&p.id).cloned().ok_or_else(|| {
        call.state
            .site
            .missing_record_by_id("course_sections", p.id)
    })?;
    call.state
        .validate_course_context(call.userid, section.course, call.now)?;
    let ctx = call
        .state
        .context_id(ContextLevel::Course, section.course)
        .unwrap_or(SYSTEM_CONTEXT);
    if section.section == 0 {
        return Err(WsError::moodle(
            "sectionactionnotsupported",
            format!("Section action \"{}\" not supported", p.action),
        ));
    }
    match p.action.as_str() {
        "hide" | "show" => {
            call.require_capability("moodle/course:sectionvisibility", ctx)?;
            let visible = p.action == "show";
            if let Some(s) = call.state.sections.get_mut(&section.id) {
                s.visible = visible;
            }
            // set_section_visible(): modules follow, remembering their own visibility.
            for cmid in &section.sequence {
                if let Some(cm) = call.state.cms.get_mut(cmid) {
                    if visible {
                        cm.visible = cm.visibleold;
                    } else {
                        cm.visibleold = cm.visible;
                        cm.visible = false;
                    }
                }
            }
            // get_section_modules_updated(): a list of the section's rendered modules.
            let refreshed = call
                .state
                .sections
                .get(&section.id)
                .cloned()
                .unwrap_or(section);
            let modules: Vec<Value> = section_cms(call.state, &refreshed)
                .into_iter()
                .map(|cm| Value::from(modinfo::cm_html(call.state, cm)))
                .collect();
            let rv = json!({"modules": modules, "section_availability": "<div class=\"section_availability\">\n</div>"});
            Ok(Value::from(
                String::from_utf8_lossy(&crate::php_json::encode(&rv)).into_owned(),
            ))
        }
        "setmarker" | "removemarker" => {
            call.require_capability("moodle/course:setcurrentsection", ctx)?;
            let marker = if p.action == "setmarker" {
                section.section
            } else {
                0
            };
            if let Some(c) = call.state.courses.get_mut(&section.course) {
                c.marker = marker;
            }
            Ok(Value::Null)
        }
        other => Err(WsError::moodle(
            "sectionactionnotsupported",
            format!("Section action \"{other}\" not supported"),
        )),
    }
}
