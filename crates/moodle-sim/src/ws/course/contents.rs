//! `core_course_get_contents`: a course's sections and the modules a user sees in them.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::super::{Call, FunctionDef, params};
use super::modinfo::{
    activity_dates, can_display, customdata, export_contents, icon_url, module_names, purpose,
    section_cms, section_name, view_url,
};
use super::output::last_section_number;
use crate::errors::WsError;
use crate::external::desc::*;
use crate::state::{ContextLevel, SYSTEM_CONTEXT};
use crate::version::MoodleVersion;

pub(super) fn functions(version: MoodleVersion) -> Vec<FunctionDef> {
    vec![FunctionDef {
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
        returns: for_version!(version, |v| Some(multiple(section_structure(v)))),
        run: get_contents,
        write: false,
    }]
}

fn section_structure(version: MoodleVersion) -> Desc {
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
    let mut module = vec![
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
    ];
    if version.at_least_5_0() {
        // 5.0's course/externallib.php: `candisplay` after `noviewlink`.
        let at = module
            .iter()
            .position(|(k, _)| *k == "completion")
            .unwrap_or(module.len());
        module.insert(at, ("candisplay", boolean().optional()));
    }
    let module = single(module);
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
    let course = call
        .state
        .courses
        .get(&p.courseid)
        .cloned()
        .ok_or_else(|| call.state.site.missing_record_by_id("course", p.courseid))?;
    call.state
        .require_course_login(call.userid, course.id, call.now)
        .map_err(|e| WsError::context_not_valid("course", course.id, &e))?;
    call.state.ensure_module_contexts(course.id);
    let state = &*call.state;
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
                if state.site.moodle.at_least_5_0() {
                    // 5.0's course/externallib.php: plugin_supports(FEATURE_CAN_DISPLAY).
                    m["candisplay"] = Value::from(can_display(&cm.modname));
                }
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
        // format_base::is_section_visible(): a section the user may not see is left out
        // when the format hides hidden sections completely; else shown without modules (and
        // without its summary when hidden).
        let hides_hidden = course.format_options.hiddensections != 0;
        if !uservisible && hides_hidden {
            if f.sectionid.is_some_and(|id| id == section.id) || f.sectionnumber.is_some() {
                break;
            }
            continue;
        }
        let summary = if uservisible || section.visible {
            section.summary.clone()
        } else {
            String::new()
        };
        // A delegated section's name carries its component for the app (core_useragent::
        // is_moodle_app(): "MoodleMobile" in the user agent).
        let name = match &section.component {
            Some(component)
                if call
                    .request
                    .user_agent
                    .to_ascii_lowercase()
                    .contains("moodlemobile") =>
            {
                format!(
                    "<span class=\"course-{component}\">{}</span>",
                    section_name(state, section)
                )
            }
            _ => section_name(state, section),
        };
        out.push(json!({
            "id": section.id,
            "name": name,
            "visible": i64::from(section.visible),
            "summary": summary,
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
