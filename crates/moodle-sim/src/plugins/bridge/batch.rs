//! `local_bridge_create_modules` (`classes/external/create_modules.php`,
//! `classes/local/module_batch.php`): many activities of one course in one call. Each item is
//! checked as its create function would check it and fails alone; an item whose ID number an
//! activity of the same type has is `existed`; the rest are made together. (The stand-in's
//! state is one transaction per call and nothing fails while an item is made, so the PHP
//! plugin's one-by-one recovery has no counterpart here.)

use serde::Deserialize;
use serde_json::{Value, json};

use super::questions::{self, QuestionInput};
use super::quiz::{self, Settings};
use super::writer::{self, Common};
use crate::errors::WsError;
use crate::external::desc::*;
use crate::external::param::{ParamType, strip_tags};
use crate::state::ModInstance;
use crate::ws::{Call, FunctionDef, params};

/// Most items in one call.
const MAX_MODULES: usize = 50;

/// Each module's own item fields, in `OWN_FIELDS` order: (field, required).
const OWN_FIELDS: [(&str, &[(&str, bool)]); 5] = [
    ("page", &[("content", true), ("contentformat", false)]),
    ("url", &[("externalurl", true), ("display", false)]),
    ("resource", &[("draftitemid", true), ("display", false)]),
    ("forum", &[("type", false)]),
    (
        "quiz",
        &[
            ("questions", true),
            ("grade", false),
            ("attempts", false),
            ("grademethod", false),
            ("timeopen", false),
            ("timeclose", false),
            ("timelimit", false),
            ("questionsperpage", false),
            ("shuffleanswers", false),
        ],
    ),
];

/// The function.
pub(super) fn functions() -> Vec<FunctionDef> {
    vec![FunctionDef {
        name: "local_bridge_create_modules",
        params: || {
            let mut item = vec![
                ("modname", alpha()),
                ("idnumber", raw()),
                ("name", raw()),
                ("section", int().default(0)),
                ("intro", raw().default("")),
                ("introformat", int().default(1)),
                ("visible", boolean().default(true)),
                ("content", raw().optional()),
                ("contentformat", int().optional()),
                ("externalurl", raw().optional()),
                ("display", int().optional()),
                ("draftitemid", int().optional()),
                ("type", alpha().optional()),
                ("questions", multiple(questions::question_desc()).optional()),
            ];
            item.extend(quiz::settings_desc(true));
            single(vec![
                ("courseid", int()),
                ("modules", multiple(single(item))),
            ])
        },
        returns: || {
            Some(single(vec![
                (
                    "modules",
                    multiple(single(vec![
                        ("idnumber", raw()),
                        ("status", alpha()),
                        ("modname", alpha()),
                        ("cmid", int()),
                        ("instanceid", int()),
                        ("section", int()),
                        ("name", text()),
                        ("visible", boolean()),
                        ("url", raw()),
                        ("errorcode", alphanumext()),
                        ("message", raw()),
                    ])),
                ),
                ("warnings", warnings()),
            ]))
        },
        run: create_modules,
        write: true,
    }]
}

/// A checked item and how to make it.
enum Plan {
    /// Page, URL, File or Forum.
    Module(ModInstance, Option<i64>),
    /// A quiz with its questions.
    Quiz(Settings, Vec<QuestionInput>),
}

fn create_modules(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    #[derive(Deserialize)]
    struct P {
        courseid: i64,
        modules: Vec<Value>,
    }
    let p: P = params(p)?;
    let ctx = writer::course_context(call.state, p.courseid)?;
    call.state
        .validate_course_context(call.userid, p.courseid, call.now)?;
    call.require_capability("moodle/course:manageactivities", ctx)?;
    if p.modules.len() > MAX_MODULES {
        return Err(WsError::moodle(
            "toomanymodules",
            format!(
                "At most {MAX_MODULES} activities can be made in one call; this call has {}.",
                p.modules.len()
            ),
        ));
    }
    let mut results: Vec<Option<Value>> = vec![None; p.modules.len()];
    let mut plans: Vec<(usize, Common, Plan)> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut question_caps: Option<Result<(), WsError>> = None;
    for (i, item) in p.modules.iter().enumerate() {
        let idnumber = item["idnumber"].as_str().unwrap_or_default().to_owned();
        let modname = item["modname"].as_str().unwrap_or_default().to_owned();
        let outcome = (|| {
            if seen.contains(&idnumber) {
                return Err(WsError::moodle(
                    "duplicateidnumberincall",
                    format!(
                        "The ID number \"{idnumber}\" is given to more than one activity in this call; only the first is made."
                    ),
                ));
            }
            seen.push(idnumber.clone());
            let existing = call.state.cms.values().find(|cm| {
                cm.course == p.courseid
                    && !idnumber.is_empty()
                    && cm.idnumber.as_deref() == Some(idnumber.as_str())
            });
            if let Some(cm) = existing {
                if cm.modname == modname {
                    return Ok(Some(writer::export(call.state, cm.id)));
                }
                return Err(WsError::moodle(
                    "duplicateidnumber",
                    format!(
                        "The ID number \"{idnumber}\" is already used in this course by course module {}.",
                        cm.id
                    ),
                ));
            }
            let (common, plan) = check_item(call, p.courseid, item, &mut question_caps)?;
            plans.push((i, common, plan));
            Ok(None)
        })();
        results[i] = match outcome {
            Ok(Some(module)) => Some(result(item, "existed", Some(&module), "", "")),
            Ok(None) => None,
            Err(e) => Some(failure(item, &e)),
        };
    }
    for (i, common, plan) in plans {
        let module = match plan {
            Plan::Module(kind, draft) => writer::create_checked(call, &common, kind, draft)?,
            Plan::Quiz(settings, list) => quiz::create(call, &common, &settings, &list)?,
        };
        results[i] = Some(result(&p.modules[i], "created", Some(&module), "", ""));
    }
    let modules: Vec<Value> = results.into_iter().flatten().collect();
    let warnings: Vec<Value> = modules
        .iter()
        .filter(|m| m["status"] == "failed")
        .map(|m| {
            json!({"item": strip_tags(m["idnumber"].as_str().unwrap_or_default()),
                "warningcode": m["errorcode"], "message": m["message"]})
        })
        .collect();
    Ok(json!({"modules": modules, "warnings": warnings}))
}

/// `plan()`: the item checked as its create function would check it.
fn check_item(
    call: &Call<'_>,
    courseid: i64,
    item: &Value,
    question_caps: &mut Option<Result<(), WsError>>,
) -> Result<(Common, Plan), WsError> {
    let modname = item["modname"].as_str().unwrap_or_default();
    let Some((_, own)) = OWN_FIELDS.iter().find(|(m, _)| *m == modname) else {
        return Err(WsError::moodle(
            "unsupportedmodule",
            format!(
                "Activities of type {modname} cannot be made or changed with this function; only page, resource, url, forum and quiz can."
            ),
        ));
    };
    let idnumber = item["idnumber"].as_str().unwrap_or_default();
    if idnumber.is_empty() {
        return Err(WsError::invalid_parameter("idnumber: every item needs one"));
    }
    let ctx = writer::course_context(call.state, courseid)?;
    call.require_capability("moodle/course:manageactivities", ctx)?;
    call.require_capability(&format!("mod/{modname}:addinstance"), ctx)?;
    for (_, fields) in OWN_FIELDS {
        for (field, _) in fields {
            if item.get(*field).is_some() && !own.iter().any(|(f, _)| f == field) {
                return Err(WsError::invalid_parameter(format!(
                    "{field}: does not apply to a {modname}"
                )));
            }
        }
    }
    if let Some((field, _)) = own
        .iter()
        .find(|(f, required)| *required && item.get(*f).is_none())
    {
        return Err(WsError::invalid_parameter(format!(
            "{field}: required for a {modname}"
        )));
    }
    let name = item["name"].as_str().unwrap_or_default();
    if ParamType::Text.validate(&json!(name), "").is_none() {
        return Err(WsError::invalid_parameter("name: no HTML allowed"));
    }
    let mut fields = item.clone();
    fields["courseid"] = json!(courseid);
    let common: Common = params(fields)?;
    writer::check_common(
        Some(&common.name),
        Some(common.introformat),
        Some(&common.idnumber),
    )?;
    let int = |k: &str, default: i64| item[k].as_i64().unwrap_or(default);
    let plan = match modname {
        "page" => {
            writer::check_format("contentformat", int("contentformat", 1))?;
            let content = item["content"].as_str().unwrap_or_default().to_owned();
            Plan::Module(ModInstance::Page { content }, None)
        }
        "url" => {
            let url = item["externalurl"].as_str().unwrap_or_default();
            if url.is_empty() || ParamType::Url.validate(&json!(url), "").is_none() {
                return Err(WsError::invalid_parameter(
                    "externalurl: not an http(s) or ftp URL",
                ));
            }
            writer::check_display("url", int("display", 0))?;
            let kind = ModInstance::Url {
                externalurl: url.to_owned(),
                display: int("display", 0),
            };
            Plan::Module(kind, None)
        }
        "resource" => {
            writer::check_display("resource", int("display", 0))?;
            let kind = ModInstance::Resource {
                display: int("display", 0),
            };
            Plan::Module(kind, Some(int("draftitemid", 0)))
        }
        "forum" => {
            let forumtype = item["type"].as_str().unwrap_or("general").to_owned();
            writer::check_forum_type(&forumtype)?;
            let kind = ModInstance::Forum {
                forumtype,
                trackingtype: 1,
            };
            Plan::Module(kind, None)
        }
        _ => {
            let caps =
                question_caps.get_or_insert_with(|| quiz::require_question_caps(call, courseid));
            caps.clone()?;
            let mut settings: Settings = params(item.clone())?;
            let defaults = Settings {
                grade: Some(0.0),
                attempts: Some(0),
                grademethod: Some(1),
                timeopen: Some(0),
                timeclose: Some(0),
                timelimit: Some(0),
                questionsperpage: Some(1),
                shuffleanswers: Some(true),
            };
            settings.grade = settings.grade.or(defaults.grade);
            settings.attempts = settings.attempts.or(defaults.attempts);
            settings.grademethod = settings.grademethod.or(defaults.grademethod);
            settings.timeopen = settings.timeopen.or(defaults.timeopen);
            settings.timeclose = settings.timeclose.or(defaults.timeclose);
            settings.timelimit = settings.timelimit.or(defaults.timelimit);
            settings.questionsperpage = settings.questionsperpage.or(defaults.questionsperpage);
            settings.shuffleanswers = settings.shuffleanswers.or(defaults.shuffleanswers);
            let list: Vec<QuestionInput> = params(item["questions"].clone())?;
            quiz::check_new(&settings, &list)?;
            Plan::Quiz(settings, list)
        }
    };
    if call
        .state
        .section_by_number(courseid, common.section)
        .is_none()
    {
        return Err(WsError::moodle(
            "sectionnotfound",
            format!("The course has no section {}.", common.section),
        ));
    }
    if let Plan::Module(_, Some(draft)) = &plan {
        writer::require_draft_files(call.state, call.userid, *draft)?;
    }
    Ok((common, plan))
}

/// One item's result.
fn result(item: &Value, status: &str, module: Option<&Value>, code: &str, message: &str) -> Value {
    let from = |key: &str, fallback: Value| {
        module.map_or(fallback.clone(), |m| {
            m.get(key).cloned().unwrap_or(fallback)
        })
    };
    json!({
        "idnumber": item["idnumber"],
        "status": status,
        "modname": from("modname", item["modname"].clone()),
        "cmid": from("cmid", json!(0)),
        "instanceid": from("instanceid", json!(0)),
        "section": from("section", item["section"].clone()),
        "name": from("name", json!(strip_tags(item["name"].as_str().unwrap_or_default()))),
        "visible": from("visible", item["visible"].clone()),
        "url": from("url", json!("")),
        "errorcode": code,
        "message": message,
    })
}

/// `failure()`: the error's code and message, with a value check's detail.
fn failure(item: &Value, e: &WsError) -> Value {
    let mut message = e.message.clone();
    if e.is_invalid_parameter()
        && let Some(detail) = e.debuginfo.as_deref().filter(|d| !d.is_empty())
        && !message.contains(detail)
    {
        message = format!("{message} ({detail})");
    }
    result(item, "failed", None, &e.errorcode, &message)
}
