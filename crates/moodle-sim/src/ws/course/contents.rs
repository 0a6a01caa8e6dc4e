//! Course contents and modules: `core_course_get_contents`, `core_course_get_course_module`,
//! `core_course_delete_modules`, `core_course_edit_module`, `core_course_edit_section`.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::super::{Call, FunctionDef, params};
use super::modinfo::{
    self, activity_dates, customdata, export_contents, icon_url, in_modinfo, module_names, purpose,
    section_cms, section_name, view_url,
};
use super::output::last_section_number;
use crate::errors::WsError;
use crate::external::desc::*;
use crate::state::{ContextLevel, ModInstance, SYSTEM_CONTEXT, module_type_id};

pub(super) fn functions() -> Vec<FunctionDef> {
    vec![
        FunctionDef {
            name: "core_course_get_contents",
            params: || {
                single(vec![
                    ("courseid", int()),
                    (
                        "options",
                        multiple(single(vec![("name", alphanum()), ("value", raw())]))
                            .default(json!([])),
                    ),
                ])
            },
            returns: || Some(multiple(section_structure())),
            run: get_contents,
            write: false,
        },
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

fn section_structure() -> Desc {
    let content = single(vec![
        ("type", text()),
        ("filename", file()),
        ("filepath", path()),
        ("filesize", int()),
        ("fileurl", url().optional()),
        ("content", raw().optional()),
        ("timecreated", int()),
        ("timemodified", int()),
        ("sortorder", int()),
        ("mimetype", raw().optional()),
        ("isexternalfile", boolean().optional()),
        ("repositorytype", plugin().optional()),
        ("userid", int()),
        ("author", text()),
        ("license", text()),
    ]);
    let module = single(vec![
        ("id", int()),
        ("url", url().optional()),
        ("name", raw()),
        ("instance", int().optional()),
        ("contextid", int().optional()),
        ("description", raw().optional()),
        ("visible", int().optional()),
        ("uservisible", boolean().optional()),
        ("availabilityinfo", raw().optional()),
        ("visibleoncoursepage", int().optional()),
        ("modicon", url()),
        ("modname", plugin()),
        ("purpose", alpha()),
        ("branded", boolean().optional()),
        ("modplural", text()),
        ("availability", raw().optional()),
        ("indent", int()),
        ("onclick", raw().optional()),
        ("afterlink", raw().optional()),
        (
            "activitybadge",
            single(vec![
                ("badgecontent", text().optional()),
                ("badgestyle", text().optional()),
                ("badgeurl", url().optional()),
                ("badgeelementid", alphanumext().optional()),
            ])
            .optional(),
        ),
        ("customdata", raw().optional()),
        ("noviewlink", boolean().optional()),
        ("completion", int().optional()),
        ("downloadcontent", int().optional()),
        (
            "dates",
            multiple(single(vec![
                ("label", text()),
                ("timestamp", int()),
                ("relativeto", int().optional()),
                ("dataid", notags().optional()),
            ]))
            .default(json!([])),
        ),
        ("groupmode", int().optional()),
        ("contents", multiple(content).default(json!([]))),
        (
            "contentsinfo",
            single(vec![
                ("filescount", int()),
                ("filessize", int()),
                ("lastmodified", int()),
                ("mimetypes", multiple(raw())),
                ("repositorytype", plugin().optional()),
            ])
            .optional(),
        ),
    ]);
    single(vec![
        ("id", int()),
        ("name", raw()),
        ("visible", int().optional()),
        ("summary", raw()),
        ("summaryformat", int()),
        ("section", int().optional()),
        ("hiddenbynumsections", int().optional()),
        ("uservisible", boolean().optional()),
        ("availabilityinfo", raw().optional()),
        ("component", component().optional()),
        ("itemid", int().optional()),
        ("modules", multiple(module)),
    ])
}

#[derive(Deserialize)]
struct ContentsParams {
    courseid: i64,
    options: Vec<ContentsOption>,
}

#[derive(Deserialize)]
struct ContentsOption {
    name: String,
    value: Value,
}

/// The `options` of `core_course_get_contents`, each first occurrence wins.
#[derive(Default)]
struct Filters {
    excludemodules: bool,
    excludecontents: bool,
    sectionid: Option<i64>,
    sectionnumber: Option<i64>,
    cmid: Option<i64>,
    modname: Option<String>,
    modid: Option<i64>,
}

fn filters(options: &[ContentsOption]) -> Result<Filters, WsError> {
    use crate::external::param::{ParamType, php_string};
    let mut f = Filters::default();
    let mut seen = std::collections::HashSet::new();
    for o in options {
        let name = o.name.trim();
        if !seen.insert(name.to_owned()) {
            continue;
        }
        let bool_value = || ParamType::Bool.clean(&o.value, "").as_i64() == Some(1);
        let int_value = || crate::external::param::php_intval(&php_string(&o.value));
        match name {
            "excludemodules" => f.excludemodules = bool_value(),
            "excludecontents" => f.excludecontents = bool_value(),
            "includestealthmodules" => {}
            "sectionid" => f.sectionid = Some(int_value()),
            "sectionnumber" => f.sectionnumber = Some(int_value()),
            "cmid" => f.cmid = Some(int_value()),
            "modid" => f.modid = Some(int_value()),
            "modname" => {
                let v = ParamType::Plugin.clean(&o.value, "");
                match v.as_str().filter(|s| !s.is_empty()) {
                    Some(s) => f.modname = Some(s.to_owned()),
                    None => return Err(invalid_param(name)),
                }
            }
            other => return Err(invalid_param(other)),
        }
    }
    Ok(f)
}

fn invalid_param(name: &str) -> WsError {
    WsError::moodle(
        "errorinvalidparam",
        format!("The param \"{name}\" is invalid."),
    )
}

fn get_contents(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: ContentsParams = params(p)?;
    let f = filters(&p.options)?;
    let state = &*call.state;
    let course = state
        .courses
        .get(&p.courseid)
        .cloned()
        .ok_or_else(|| WsError::missing_record_by_id("course", p.courseid))?;
    state
        .require_course_login(call.userid, course.id, call.now)
        .map_err(|e| WsError::context_not_valid("course", course.id, &e))?;
    let ctx = state
        .context_id(ContextLevel::Course, course.id)
        .unwrap_or(SYSTEM_CONTEXT);
    let can_update = state.has_capability(call.userid, "moodle/course:update", ctx);
    if !(can_update
        || course.visible
        || state.has_capability(call.userid, "moodle/course:viewhiddencourses", ctx))
    {
        return Ok(json!([]));
    }
    let last = last_section_number(state, &course);
    let can_view_hidden_sections =
        state.has_capability(call.userid, "moodle/course:viewhiddensections", ctx);
    let mut out = Vec::new();
    for section in state.course_sections(course.id) {
        if f.sectionid.is_some_and(|id| id != 0 && id != section.id) {
            continue;
        }
        if f.sectionnumber.is_some_and(|n| n != section.section) {
            continue;
        }
        let uservisible = section.visible || can_view_hidden_sections;
        let mut modules = Vec::new();
        if !f.excludemodules && uservisible {
            for cm in section_cms(state, section) {
                if f.cmid.is_some_and(|id| id != 0 && id != cm.id) {
                    continue;
                }
                if let Some(name) = &f.modname
                    && (&cm.modname != name || f.modid.is_some_and(|id| id != cm.instance))
                {
                    continue;
                }
                let cm_ctx = state
                    .context_id(ContextLevel::Module, cm.id)
                    .unwrap_or(SYSTEM_CONTEXT);
                let can_view_hidden =
                    state.has_capability(call.userid, "moodle/course:viewhiddenactivities", cm_ctx);
                let cm_uservisible = (cm.visible && section.visible) || can_view_hidden;
                if !(cm_uservisible || (cm.visible && cm.visibleoncoursepage)) {
                    continue;
                }
                let (_, plural) = module_names(&cm.modname);
                let noviewlink = cm.modname == "label";
                let mut m = json!({
                    "id": cm.id,
                    "name": cm.name,
                    "instance": cm.instance,
                    "contextid": cm_ctx,
                    "modname": cm.modname,
                    "modplural": plural,
                    "modicon": icon_url(state, cm),
                    "purpose": purpose(&cm.modname),
                    "branded": false,
                    "indent": cm.indent,
                    "onclick": "",
                    "afterlink": null,
                    "customdata": customdata(state, cm),
                    "completion": cm.completion,
                    "downloadcontent": 1,
                    "noviewlink": noviewlink,
                    "dates": activity_dates(cm, call.now),
                    "groupmode": cm.groupmode,
                    "visible": i64::from(cm.visible),
                    "visibleoncoursepage": i64::from(cm.visibleoncoursepage),
                    "uservisible": cm_uservisible,
                });
                if matches!(cm.modname.as_str(), "forum" | "resource") {
                    m["activitybadge"] = json!({});
                }
                if cm.showdescription || noviewlink {
                    m["description"] =
                        Value::from(format!("<div class=\"no-overflow\">{}</div>", cm.intro));
                }
                if let Some(url) = view_url(state, cm) {
                    m["url"] = Value::from(url);
                }
                if can_view_hidden || can_update {
                    m["availability"] = Value::Null;
                }
                if cm_uservisible && let Some(contents) = export_contents(state, cm) {
                    let mut info = Map::new();
                    info.insert("filescount".into(), json!(contents.len()));
                    let size: i64 = contents.iter().filter_map(|c| c["filesize"].as_i64()).sum();
                    info.insert("filessize".into(), json!(size));
                    let last_modified = contents
                        .iter()
                        .filter_map(|c| c["timemodified"].as_i64())
                        .max()
                        .unwrap_or(0);
                    info.insert("lastmodified".into(), json!(last_modified));
                    let mut mimetypes: Vec<String> = Vec::new();
                    for c in &contents {
                        if let Some(mt) = c.get("mimetype").and_then(Value::as_str)
                            && !mimetypes.iter().any(|m| m == mt)
                        {
                            mimetypes.push(mt.to_owned());
                        }
                    }
                    info.insert("mimetypes".into(), json!(mimetypes));
                    info.insert("repositorytype".into(), json!(""));
                    m["contentsinfo"] = Value::Object(info);
                    m["contents"] = if f.excludecontents {
                        json!([])
                    } else {
                        Value::Array(contents)
                    };
                }
                let found = f.cmid.is_some_and(|id| id == cm.id)
                    || (f.modname.is_some() && f.modid.is_some_and(|id| id == cm.instance));
                modules.push(m);
                if found {
                    break;
                }
            }
        }
        out.push(json!({
            "id": section.id,
            "name": section_name(state, section),
            "visible": i64::from(section.visible),
            "summary": section.summary,
            "summaryformat": section.summaryformat,
            "section": section.section,
            "hiddenbynumsections": i64::from(section.section > last),
            "uservisible": uservisible,
            "component": section.component,
            "itemid": section.itemid,
            "modules": modules,
        }));
        if f.sectionid.is_some_and(|id| id == section.id) || f.sectionnumber.is_some() {
            break;
        }
    }
    Ok(Value::Array(out))
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
        .ok_or_else(|| WsError::missing_record_by_id("course_modules", p.cmid))?;
    state.validate_module_context(call.userid, cm.id, call.now)?;
    let ctx = state
        .context_id(ContextLevel::Module, cm.id)
        .unwrap_or(SYSTEM_CONTEXT);
    let sectionnum = state.sections.get(&cm.section).map_or(0, |s| s.section);
    let mut info = json!({
        "id": cm.id,
        "course": cm.course,
        "module": module_type_id(&cm.modname),
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
            .ok_or_else(|| WsError::missing_record_by_id("course_modules", cmid))?;
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
        .filter(in_modinfo)
        .ok_or_else(|| WsError::missing_record_by_id("course_modules", p.id))?;
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
        call.state.delete_module(cm.id);
        return Ok(json!(""));
    }
    let Some(stored) = call.state.cms.get_mut(&cm.id) else {
        return Err(WsError::missing_record_by_id("course_modules", cm.id));
    };
    match p.action.as_str() {
        "hide" | "show" | "stealth" => {
            stored.visible = p.action != "hide";
            stored.visibleold = stored.visible;
            stored.visibleoncoursepage = p.action != "stealth";
        }
        "groupsseparate" => stored.groupmode = 1,
        "groupsvisible" => stored.groupmode = 2,
        "groupsnone" => stored.groupmode = 0,
        "moveright" => stored.indent += 1,
        _ => stored.indent = (stored.indent - 1).max(0),
    }
    let cm = call.state.cms.get(&cm.id).cloned().unwrap_or(cm);
    Ok(Value::from(modinfo::cm_html(call.state, &cm)))
}

fn edit_section(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: EditParams = params(p)?;
    let section = call
        .state
        .sections
        .get(&p.id)
        .cloned()
        .ok_or_else(|| WsError::missing_record_by_id("course_sections", p.id))?;
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
            let mut modules = Map::new();
            let refreshed = call
                .state
                .sections
                .get(&section.id)
                .cloned()
                .unwrap_or(section);
            for cm in section_cms(call.state, &refreshed) {
                modules.insert(
                    cm.id.to_string(),
                    Value::from(modinfo::cm_html(call.state, cm)),
                );
            }
            let modules = if modules.is_empty() {
                json!([])
            } else {
                Value::Object(modules)
            };
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
