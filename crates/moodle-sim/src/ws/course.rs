//! Courses: `core_course_get_courses`, `core_course_get_courses_by_field`,
//! `core_course_search_courses`, `core_course_create_courses`, `core_course_update_courses`,
//! `core_course_delete_courses` (`course/externallib.php`). Course contents and modules are
//! in `course/contents.rs`.

mod contents;
mod modinfo;
mod modules;
mod output;
mod write;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Call, FunctionDef, params};
use crate::errors::WsError;
use crate::external::desc::*;
use crate::state::{ContextLevel, Course, SITE_ID, SYSTEM_CONTEXT};
use crate::version::MoodleVersion;
pub(super) use modinfo::{
    can_display, in_modinfo, module_names, section_cms, section_name, view_url,
};
use output::{
    course_by_field_structure, course_by_field_value, get_courses_structure, get_courses_value,
};

pub(super) fn functions(version: MoodleVersion) -> Vec<FunctionDef> {
    let mut list = vec![
        FunctionDef {
            name: "core_course_get_courses",
            params: || {
                single(vec![(
                    "options",
                    single(vec![("ids", multiple(int()).optional())]).default(json!({})),
                )])
            },
            returns: || Some(multiple(get_courses_structure())),
            run: get_courses,
            write: false,
        },
        FunctionDef {
            name: "core_course_get_courses_by_field",
            params: || {
                single(vec![
                    ("field", alpha().default("")),
                    ("value", raw().default("")),
                ])
            },
            returns: || {
                Some(single(vec![
                    ("courses", multiple(course_by_field_structure())),
                    ("warnings", warnings()),
                ]))
            },
            run: get_courses_by_field,
            write: false,
        },
        FunctionDef {
            name: "core_course_search_courses",
            params: || {
                single(vec![
                    ("criterianame", alpha()),
                    ("criteriavalue", raw()),
                    ("page", int().default(0)),
                    ("perpage", int().default(0)),
                    ("requiredcapabilities", multiple(raw()).default(json!([]))),
                    ("limittoenrolled", boolean().default(false)),
                    ("onlywithcompletion", boolean().default(false)),
                ])
            },
            returns: || {
                Some(single(vec![
                    ("total", int()),
                    ("courses", multiple(course_by_field_structure())),
                    ("warnings", warnings()),
                ]))
            },
            run: search_courses,
            write: false,
        },
    ];
    list.extend(write::functions(version));
    list.extend(contents::functions(version));
    list.extend(modules::functions());
    list
}

pub(super) fn course_context(call: &Call<'_>, courseid: i64) -> i64 {
    call.state
        .context_id(ContextLevel::Course, courseid)
        .unwrap_or(SYSTEM_CONTEXT)
}

#[derive(Deserialize)]
struct GetCoursesParams {
    options: GetCoursesOptions,
}

#[derive(Deserialize)]
struct GetCoursesOptions {
    #[serde(default)]
    ids: Vec<i64>,
}

fn get_courses(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: GetCoursesParams = params(p)?;
    let courses: Vec<Course> = if p.options.ids.is_empty() {
        call.state.courses.values().cloned().collect()
    } else {
        call.state
            .courses
            .values()
            .filter(|c| p.options.ids.contains(&c.id))
            .cloned()
            .collect()
    };
    let mut out = Vec::new();
    for course in courses {
        let ctx = course_context(call, course.id);
        call.state
            .require_course_login(call.userid, course.id, call.now)
            .map_err(|e| WsError::context_not_valid("course", course.id, &e))?;
        // course_get_format($course)->get_last_section_number() builds the modinfo.
        call.state.ensure_module_contexts(course.id);
        if course.id != SITE_ID {
            call.require_capability("moodle/course:view", ctx)?;
        }
        let admin = call.has_capability("moodle/course:update", ctx);
        if admin || course.visible || call.has_capability("moodle/course:viewhiddencourses", ctx) {
            out.push(get_courses_value(call.state, &course, admin));
        }
    }
    Ok(Value::Array(out))
}

#[derive(Deserialize)]
struct ByFieldParams {
    field: String,
    value: Value,
}

fn get_courses_by_field(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    use crate::external::param::{ParamType, php_string};
    let p: ByFieldParams = params(p)?;
    let clean = |ty: ParamType| php_string(&ty.clean(&p.value, ""));
    let by_id = |state: &crate::state::State, pred: &dyn Fn(&Course) -> bool| -> Vec<Course> {
        state
            .courses
            .values()
            .filter(|c| pred(c))
            .cloned()
            .collect()
    };
    let courses: Vec<Course> = match p.field.as_str() {
        "" => by_id(call.state, &|_| true),
        "id" | "category" | "sectionid" => {
            let v = crate::external::param::php_intval(&clean(ParamType::Int));
            match p.field.as_str() {
                "id" => by_id(call.state, &|c| c.id == v),
                "category" => by_id(call.state, &|c| c.category == v),
                _ => {
                    let course = call.state.sections.get(&v).map(|s| s.course);
                    by_id(call.state, &|c| Some(c.id) == course)
                }
            }
        }
        "ids" => {
            // explode(',', PARAM_SEQUENCE) into an IN (…) on course.id, then
            // util::validate_courses() keeps the requested order without duplicates.
            let value = clean(ParamType::Sequence);
            let mut ids = crate::state::sql_int_list(value.split(','))?;
            let mut seen = std::collections::HashSet::new();
            ids.retain(|id| seen.insert(*id));
            ids.iter()
                .filter_map(|id| call.state.courses.get(id).cloned())
                .collect()
        }
        "shortname" => {
            let v = clean(ParamType::Text);
            by_id(call.state, &|c| c.shortname == v)
        }
        "idnumber" => {
            let v = clean(ParamType::Raw);
            by_id(call.state, &|c| c.idnumber == v)
        }
        _ => return Err(WsError::invalid_parameter("Invalid field name")),
    };
    Ok(json!({"courses": visible_course_list(call, courses), "warnings": []}))
}

/// The courses a user may see, each with the fields their access allows.
fn visible_course_list(call: &Call<'_>, courses: Vec<Course>) -> Vec<Value> {
    let mut out = Vec::new();
    for course in courses {
        let ctx = course_context(call, course.id);
        let can_update = call.has_capability("moodle/course:update", ctx);
        let can_view_hidden = call.has_capability("moodle/course:viewhiddencourses", ctx);
        if !course.visible && !can_view_hidden && !can_update {
            continue;
        }
        let accessible = call
            .state
            .require_course_login(call.userid, course.id, call.now)
            .is_ok();
        out.push(course_by_field_value(
            call.state, &course, accessible, can_update,
        ));
    }
    out
}

#[derive(Deserialize)]
struct SearchParams {
    criterianame: String,
    criteriavalue: String,
    page: i64,
    perpage: i64,
    limittoenrolled: bool,
}

fn search_courses(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: SearchParams = params(p)?;
    if p.criterianame != "search" {
        return Err(WsError::invalid_parameter(format!(
            "Invalid value for criterianame parameter: {}",
            p.criterianame
        )));
    }
    // core_course_category::search_courses(): every word must appear in the full name,
    // short name, idnumber or summary.
    let words: Vec<String> = p
        .criteriavalue
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    let matching: Vec<Course> = call
        .state
        .courses
        .values()
        .filter(|c| c.id != SITE_ID)
        .filter(|c| {
            let hay = format!(
                "{} {} {} {}",
                c.fullname, c.shortname, c.idnumber, c.summary
            )
            .to_lowercase();
            words.iter().all(|w| hay.contains(w.as_str()))
        })
        .filter(|c| !p.limittoenrolled || call.state.is_enrolled(call.userid, c.id, call.now))
        .cloned()
        .collect();
    // core_course_category::search_courses(): by sort order, the courses the user may see
    // (visible, or hidden ones they may view), each with its public information only.
    let mut matching = matching;
    matching.sort_by_key(|c| c.sortorder);
    let visible: Vec<Value> = matching
        .into_iter()
        .filter(|c| {
            let ctx = course_context(call, c.id);
            c.visible || call.has_capability("moodle/course:viewhiddencourses", ctx)
        })
        .map(|c| course_by_field_value(call.state, &c, false, false))
        .collect();
    let total = visible.len();
    let page: Vec<Value> = if p.perpage > 0 {
        let per = usize::try_from(p.perpage).unwrap_or(usize::MAX);
        let start = usize::try_from(p.page.max(0))
            .unwrap_or(0)
            .saturating_mul(per);
        visible.into_iter().skip(start).take(per).collect()
    } else {
        visible
    };
    Ok(json!({"total": total, "courses": page, "warnings": []}))
}
