//! The `local_bridge_*` web-service functions (`classes/external/`), each in the order its PHP
//! class works: `validate_parameters`, the context, the capabilities, the values, then the
//! work.

use serde::Deserialize;
use serde_json::{Value, json};

use super::writer::{self, Changes, Common, MODULES};
use super::{create_parameters, files, module_fields, module_result};
use crate::errors::WsError;
use crate::external::desc::*;
use crate::state::{ContextLevel, ModInstance};
use crate::ws::{Call, FunctionDef, params};

/// The functions of `db/services.php`.
pub(in crate::plugins) fn functions() -> Vec<FunctionDef> {
    vec![
        FunctionDef {
            name: "local_bridge_create_page",
            params: || {
                create_parameters(vec![
                    ("content", raw()),
                    ("contentformat", int().default(1)),
                ])
            },
            returns: || Some(module_result()),
            run: create_page,
            write: true,
        },
        FunctionDef {
            name: "local_bridge_create_resource",
            params: || {
                create_parameters(vec![("draftitemid", int()), ("display", int().default(0))])
            },
            returns: || Some(module_result()),
            run: create_resource,
            write: true,
        },
        FunctionDef {
            name: "local_bridge_create_url",
            params: || {
                create_parameters(vec![("externalurl", url()), ("display", int().default(0))])
            },
            returns: || Some(module_result()),
            run: create_url,
            write: true,
        },
        FunctionDef {
            name: "local_bridge_create_forum",
            params: || create_parameters(vec![("type", alpha().default("general"))]),
            returns: || Some(module_result()),
            run: create_forum,
            write: true,
        },
        FunctionDef {
            name: "local_bridge_update_module",
            params: || {
                single(vec![
                    ("cmid", int()),
                    (
                        "fields",
                        single(vec![
                            ("name", text().optional()),
                            ("intro", raw().optional()),
                            ("introformat", int().optional()),
                            ("idnumber", raw().optional()),
                            ("visible", boolean().optional()),
                            ("content", raw().optional()),
                            ("contentformat", int().optional()),
                            ("externalurl", url().optional()),
                            ("display", int().optional()),
                            ("draftitemid", int().optional()),
                        ])
                        .default(json!({})),
                    ),
                ])
            },
            returns: || Some(module_result()),
            run: update_module,
            write: true,
        },
        FunctionDef {
            name: "local_bridge_find_modules_by_idnumber",
            params: || single(vec![("courseid", int()), ("idnumbers", multiple(raw()))]),
            returns: || {
                Some(single(vec![
                    ("modules", multiple(single(module_fields()))),
                    ("warnings", warnings()),
                ]))
            },
            run: find_modules_by_idnumber,
            write: false,
        },
        FunctionDef {
            name: "local_bridge_list_user_files",
            params: || {
                single(vec![
                    ("courseid", int()),
                    ("userid", int()),
                    ("includeprivate", boolean().default(true)),
                    ("includesubmissions", boolean().default(true)),
                ])
            },
            returns: || Some(files::list_returns()),
            run: files::list_user_files,
            write: false,
        },
    ]
}

/// The opening every create function shares: the course, its context, the capabilities of
/// `course/modedit.php`, then the shared values.
fn begin_create(call: &Call<'_>, modname: &str, common: &Common) -> Result<(), WsError> {
    let ctx = writer::course_context(call.state, common.courseid)?;
    call.state
        .validate_course_context(call.userid, common.courseid, call.now)?;
    call.require_capability("moodle/course:manageactivities", ctx)?;
    call.require_capability(&format!("mod/{modname}:addinstance"), ctx)?;
    writer::check_common(
        Some(&common.name),
        Some(common.introformat),
        Some(&common.idnumber),
    )
}

fn create_page(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    #[derive(Deserialize)]
    struct Own {
        content: String,
        contentformat: i64,
    }
    let common: Common = params(p.clone())?;
    let own: Own = params(p)?;
    begin_create(call, "page", &common)?;
    writer::check_format("contentformat", own.contentformat)?;
    let kind = ModInstance::Page {
        content: own.content,
    };
    writer::create_checked(call, &common, kind, None)
}

fn create_resource(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    #[derive(Deserialize)]
    struct Own {
        draftitemid: i64,
        display: i64,
    }
    let common: Common = params(p.clone())?;
    let own: Own = params(p)?;
    begin_create(call, "resource", &common)?;
    writer::check_display("resource", own.display)?;
    let kind = ModInstance::Resource {
        display: own.display,
    };
    writer::create_checked(call, &common, kind, Some(own.draftitemid))
}

fn create_url(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    #[derive(Deserialize)]
    struct Own {
        externalurl: String,
        display: i64,
    }
    let common: Common = params(p.clone())?;
    let own: Own = params(p)?;
    begin_create(call, "url", &common)?;
    writer::check_display("url", own.display)?;
    let kind = ModInstance::Url {
        externalurl: own.externalurl,
        display: own.display,
    };
    writer::create_checked(call, &common, kind, None)
}

fn create_forum(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    #[derive(Deserialize)]
    struct Own {
        #[serde(rename = "type")]
        forumtype: String,
    }
    let common: Common = params(p.clone())?;
    let own: Own = params(p)?;
    begin_create(call, "forum", &common)?;
    writer::check_forum_type(&own.forumtype)?;
    let kind = ModInstance::Forum {
        forumtype: own.forumtype,
        trackingtype: 1,
    };
    writer::create_checked(call, &common, kind, None)
}

fn update_module(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    #[derive(Deserialize)]
    struct UpdateParams {
        cmid: i64,
        fields: Changes,
    }
    let p: UpdateParams = params(p)?;
    let Some(cm) = call.state.cms.get(&p.cmid).cloned() else {
        return Err(crate::plugins::missing_record(
            call.state,
            "course_modules",
            format!(
                "SELECT id FROM {{course_modules}} WHERE id = ?\n[array (\n  0 => {},\n)]",
                p.cmid
            ),
        ));
    };
    let ctx = call
        .state
        .context_id(ContextLevel::Module, cm.id)
        .unwrap_or_default();
    call.state
        .validate_module_context(call.userid, cm.id, call.now)?;
    call.require_capability("moodle/course:manageactivities", ctx)?;
    if !MODULES.contains(&cm.modname.as_str()) {
        return Err(WsError::moodle(
            "unsupportedmodule",
            format!(
                "Activities of type {} cannot be made or changed with this function; only page, resource, url, forum and quiz can.",
                cm.modname
            ),
        ));
    }
    let changes = p.fields;
    writer::check_fields_apply(&cm.modname, &changes)?;
    writer::check_common(
        changes.name.as_deref(),
        changes.introformat,
        changes.idnumber.as_deref(),
    )?;
    if let Some(format) = changes.contentformat {
        writer::check_format("contentformat", format)?;
    }
    if let Some(display) = changes.display {
        writer::check_display(&cm.modname, display)?;
    }
    if changes.visible.is_some_and(|v| v != cm.visible) {
        call.require_capability("moodle/course:activityvisibility", ctx)?;
    }
    writer::update_checked(call, cm.id, changes)
}

fn find_modules_by_idnumber(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    #[derive(Deserialize)]
    struct FindParams {
        courseid: i64,
        idnumbers: Vec<String>,
    }
    let p: FindParams = params(p)?;
    let ctx = writer::course_context(call.state, p.courseid)?;
    call.state
        .validate_course_context(call.userid, p.courseid, call.now)?;
    call.require_capability("moodle/course:manageactivities", ctx)?;
    // array_unique(): the first of each value, in order.
    let mut wanted: Vec<String> = Vec::new();
    for idnumber in p.idnumbers {
        if !wanted.contains(&idnumber) {
            wanted.push(idnumber);
        }
    }
    if wanted.iter().any(String::is_empty) {
        return Err(WsError::invalid_parameter(
            "idnumbers: an ID number cannot be empty",
        ));
    }
    let state = &*call.state;
    let found: Vec<&crate::state::CourseModule> = state
        .cms
        .values()
        .filter(|cm| {
            cm.course == p.courseid
                && cm
                    .idnumber
                    .as_ref()
                    .is_some_and(|i| !i.is_empty() && wanted.contains(i))
        })
        .collect();
    let modules: Vec<Value> = found
        .iter()
        .map(|cm| writer::export(state, cm.id))
        .collect();
    let warnings: Vec<Value> = wanted
        .iter()
        .filter(|w| !found.iter().any(|cm| cm.idnumber.as_ref() == Some(*w)))
        .map(|w| {
            json!({
                "item": w,
                "warningcode": "idnumbernotfound",
                "message": format!("No activity in this course has the ID number \"{w}\"."),
            })
        })
        .collect();
    Ok(json!({"modules": modules, "warnings": warnings}))
}
