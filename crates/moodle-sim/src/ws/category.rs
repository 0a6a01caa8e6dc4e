//! Course categories: `core_course_get_categories`, `core_course_create_categories`
//! (`course/externallib.php`, `core_course_category::create()`).

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Call, FunctionDef, params};
use crate::errors::WsError;
use crate::external::desc::*;
use crate::external::format::{format_string, format_text};
use crate::external::param::{ParamType, php_empty, php_intval, php_string};
use crate::state::{Category, ContextLevel, SYSTEM_CONTEXT};

pub(super) fn functions() -> Vec<FunctionDef> {
    vec![
        FunctionDef {
            name: "core_course_get_categories",
            params: || {
                single(vec![
                    (
                        "criteria",
                        multiple(single(vec![("key", alpha()), ("value", raw())]))
                            .default(json!([])),
                    ),
                    ("addsubcategories", boolean().default(1)),
                ])
            },
            returns: || {
                Some(multiple(single(vec![
                    ("id", int()),
                    ("name", raw()),
                    ("idnumber", raw().optional()),
                    ("description", raw()),
                    ("descriptionformat", int()),
                    ("parent", int()),
                    ("sortorder", int()),
                    ("coursecount", int()),
                    ("visible", int().optional()),
                    ("visibleold", int().optional()),
                    ("timemodified", int().optional()),
                    ("depth", int()),
                    ("path", text()),
                    ("theme", theme().optional()),
                ])))
            },
            run: get_categories,
            write: false,
        },
        FunctionDef {
            name: "core_course_create_categories",
            params: || {
                single(vec![(
                    "categories",
                    multiple(single(vec![
                        ("name", text()),
                        ("parent", int().default(0)),
                        ("idnumber", raw().optional()),
                        ("description", raw().optional()),
                        ("descriptionformat", int().default(1)),
                        ("theme", theme().optional()),
                    ])),
                )])
            },
            returns: || Some(multiple(single(vec![("id", int()), ("name", raw())]))),
            run: create_categories,
            write: true,
        },
    ]
}

#[derive(Deserialize)]
struct GetParams {
    criteria: Vec<Criterion>,
    addsubcategories: bool,
}

#[derive(Deserialize)]
struct Criterion {
    key: String,
    value: Value,
}

fn criteria_error(detail: &str) -> WsError {
    WsError::moodle(
        "criteriaerror",
        "Missing permissions to search on a criterion.",
    )
    .with_debuginfo(detail)
}

/// One search criterion as a predicate.
type CategoryFilter = Box<dyn Fn(&Category) -> bool>;

fn get_categories(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: GetParams = params(p)?;
    let system = SYSTEM_CONTEXT;
    let mut filters: Vec<CategoryFilter> = Vec::new();
    // Extra conditions the subcategories must meet too.
    let mut sub_filters: Vec<CategoryFilter> = Vec::new();
    // Keys already used ($conditions[$key]); `ids` adds placeholders, not its own key.
    let mut seen = std::collections::HashSet::new();
    for c in &p.criteria {
        let key = c.key.trim().to_owned();
        if seen.contains(&key) {
            continue;
        }
        let raw_value = php_string(&c.value);
        match key.as_str() {
            "id" | "parent" => {
                let v = php_intval(&raw_value);
                let by_parent = key == "parent";
                filters.push(Box::new(move |cat| {
                    (if by_parent { cat.parent } else { cat.id }) == v
                }));
            }
            "ids" => {
                let value = ParamType::Sequence.clean(&c.value, "");
                let ids = crate::state::sql_int_list(php_string(&value).split(','))?;
                filters.push(Box::new(move |cat| ids.contains(&cat.id)));
            }
            "idnumber" | "theme" if !call.has_capability("moodle/category:manage", system) => {
                return Err(criteria_error(&format!(
                    "You don't have the permissions to search on the \"{key}\" field."
                )));
            }
            "idnumber" => filters.push(Box::new(move |cat| {
                cat.idnumber.as_deref() == Some(raw_value.as_str())
            })),
            "theme" => {
                let theme = php_string(&ParamType::Theme.clean(&c.value, ""));
                let t = theme.clone();
                // A category without a forced theme has NULL, which equals nothing.
                filters.push(Box::new(move |cat| !cat.theme.is_empty() && cat.theme == t));
                sub_filters.push(Box::new(move |cat| {
                    !cat.theme.is_empty() && cat.theme == theme
                }));
            }
            "name" => {
                let name = php_string(&ParamType::Text.clean(&c.value, ""));
                filters.push(Box::new(move |cat| cat.name == name));
            }
            "visible" if !call.has_capability("moodle/category:viewhiddencategories", system) => {
                return Err(criteria_error(
                    "You don't have the permissions to search on the \"visible\" field.",
                ));
            }
            "visible" => {
                let v = php_intval(&raw_value);
                filters.push(Box::new(move |cat| i64::from(cat.visible) == v));
                sub_filters.push(Box::new(move |cat| i64::from(cat.visible) == v));
            }
            other => {
                return Err(criteria_error(&format!(
                    "You can not search on this criteria: {other}"
                )));
            }
        }
        if key != "ids" {
            seen.insert(key);
        }
    }
    let all: Vec<&Category> = call.state.categories.values().collect();
    let mut chosen: Vec<&Category> = if p.criteria.is_empty() {
        all.clone()
    } else {
        all.iter()
            .copied()
            .filter(|c| filters.iter().all(|f| f(c)))
            .collect()
    };
    if !p.criteria.is_empty() && p.addsubcategories {
        let parents: Vec<String> = chosen.iter().map(|c| format!("{}/", c.path)).collect();
        for cat in &all {
            if parents.iter().any(|prefix| cat.path.starts_with(prefix))
                && sub_filters.iter().all(|f| f(cat))
                && !chosen.iter().any(|c| c.id == cat.id)
            {
                chosen.push(cat);
            }
        }
    }
    chosen.sort_by(|a, b| a.path.cmp(&b.path));
    let mut out: Vec<Value> = Vec::new();
    let mut excluded: Vec<i64> = Vec::new();
    for cat in chosen {
        let parent_excluded = cat
            .path
            .split('/')
            .filter_map(|p| p.parse::<i64>().ok())
            .any(|id| id != cat.id && excluded.contains(&id));
        let ctx = call
            .state
            .context_id(ContextLevel::Category, cat.id)
            .unwrap_or(SYSTEM_CONTEXT);
        if parent_excluded
            || !(cat.visible || call.has_capability("moodle/category:viewhiddencategories", ctx))
        {
            excluded.push(cat.id);
            continue;
        }
        let (description, descriptionformat) = format_text(&cat.description, cat.descriptionformat);
        let mut info = json!({
            "id": cat.id,
            "name": format_string(&cat.name),
            "description": description,
            "descriptionformat": descriptionformat,
            "parent": cat.parent,
            "sortorder": cat.sortorder,
            "coursecount": cat.coursecount,
            "depth": cat.depth,
            "path": cat.path,
        });
        if call.has_capability("moodle/category:manage", ctx) {
            info["idnumber"] = json!(cat.idnumber);
            info["visible"] = json!(i64::from(cat.visible));
            info["visibleold"] = json!(i64::from(cat.visibleold));
            info["timemodified"] = json!(cat.timemodified);
            info["theme"] = json!(cat.theme);
        }
        out.push(info);
    }
    // compare_categories_by_sortorder: strcmp of the sort orders.
    out.sort_by(|a, b| a["sortorder"].to_string().cmp(&b["sortorder"].to_string()));
    Ok(Value::Array(out))
}

#[derive(Deserialize)]
struct CreateParams {
    categories: Vec<NewCategory>,
}

#[derive(Deserialize)]
struct NewCategory {
    name: String,
    parent: i64,
    idnumber: Option<String>,
    description: Option<String>,
    descriptionformat: i64,
}

/// Longest category name and ID number `core_course_category::create()` accepts.
const MAX_NAME: usize = 255;
const MAX_IDNUMBER: usize = 100;

fn create_categories(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: CreateParams = params(p)?;
    let mut created = Vec::new();
    for cat in p.categories {
        let ctx = if cat.parent != 0 {
            if !call.state.categories.contains_key(&cat.parent) {
                return Err(WsError::moodle("unknowcategory", "Category not known!"));
            }
            call.state
                .context_id(ContextLevel::Category, cat.parent)
                .unwrap_or(SYSTEM_CONTEXT)
        } else {
            SYSTEM_CONTEXT
        };
        call.require_capability("moodle/category:manage", ctx)?;
        WsError::validate_format(cat.descriptionformat)?;
        // core_course_category::create(): empty($data->name), lengths in characters, the
        // ID number only when given (else NULL), a forced theme only with
        // $CFG->allowcategorythemes (off).
        if php_empty(&Value::String(cat.name.clone())) {
            return Err(WsError::moodle(
                "categorynamerequired",
                "Category name is required",
            ));
        }
        if cat.name.chars().count() > MAX_NAME {
            return Err(WsError::moodle("categorytoolong", "Category name too long"));
        }
        if let Some(idnumber) = cat.idnumber.as_deref() {
            if idnumber.chars().count() > MAX_IDNUMBER {
                return Err(WsError::moodle("idnumbertoolong", "ID number is too long"));
            }
            if !idnumber.is_empty()
                && call
                    .state
                    .categories
                    .values()
                    .any(|c| c.idnumber.as_deref() == Some(idnumber))
            {
                return Err(WsError::moodle(
                    "categoryidnumbertaken",
                    "ID number is already used for another category",
                ));
            }
        }
        let id = call.state.create_category(
            &cat.name,
            cat.idnumber.as_deref(),
            cat.description.as_deref().unwrap_or_default(),
            cat.descriptionformat,
            cat.parent,
            call.now,
        );
        created.push(json!({"id": id, "name": format_string(&cat.name)}));
    }
    Ok(Value::Array(created))
}
