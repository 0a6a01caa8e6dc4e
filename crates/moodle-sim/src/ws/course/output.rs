//! The course records `core_course_get_courses` and `core_course_get_courses_by_field`
//! return, and their descriptions.

use serde_json::{Map, Value, json};

use crate::external::desc::*;
use crate::external::format::{format_string, format_text};
use crate::state::{COURSE_CONTACT_ROLE, ContextLevel, Course, SITE_ID, State};

/// Filters enabled on the site, all inherited.
const FILTERS: [&str; 6] = [
    "displayh5p",
    "activitynames",
    "mathjaxloader",
    "emoticon",
    "urltolink",
    "mediaplugin",
];

/// `core_course_external::get_courses_returns()` element.
pub fn get_courses_structure() -> Desc {
    single(vec![
        ("id", int()),
        ("shortname", raw()),
        ("categoryid", int()),
        ("categorysortorder", int().optional()),
        ("fullname", raw()),
        ("displayname", raw()),
        ("idnumber", raw().optional()),
        ("summary", raw()),
        ("summaryformat", int()),
        ("format", plugin()),
        ("showgrades", int().optional()),
        ("newsitems", int().optional()),
        ("startdate", int()),
        ("enddate", int()),
        ("numsections", int().optional()),
        ("maxbytes", int().optional()),
        ("showreports", int().optional()),
        ("visible", int().optional()),
        ("hiddensections", int().optional()),
        ("groupmode", int().optional()),
        ("groupmodeforce", int().optional()),
        ("defaultgroupingid", int().optional()),
        ("timecreated", int().optional()),
        ("timemodified", int().optional()),
        ("enablecompletion", int().optional()),
        ("completionnotify", int().optional()),
        ("lang", safedir().optional()),
        ("forcetheme", plugin().optional()),
        (
            "courseformatoptions",
            multiple(single(vec![("name", alphanumext()), ("value", raw())])).optional(),
        ),
        ("showactivitydates", boolean()),
        ("showcompletionconditions", boolean()),
        (
            "customfields",
            multiple(single(vec![
                ("name", raw()),
                ("shortname", alphanumext()),
                ("type", component()),
                ("valueraw", raw()),
                ("value", raw()),
            ]))
            .optional(),
        ),
    ])
}

/// `course_get_format($course)->get_format_options()`.
fn format_options(course: &Course) -> Vec<(&'static str, Value)> {
    match course.format.as_str() {
        "site" => vec![("numsections", json!(course.format_options.numsections))],
        _ => {
            let mut list = vec![
                (
                    "hiddensections",
                    json!(course.format_options.hiddensections),
                ),
                ("coursedisplay", json!(course.format_options.coursedisplay)),
            ];
            if let Some(a) = course.format_options.automaticenddate {
                list.push(("automaticenddate", json!(a)));
            }
            list
        }
    }
}

/// The last section number (`get_last_section_number()`).
pub fn last_section_number(state: &State, course: &Course) -> i64 {
    if course.id == SITE_ID {
        return course.format_options.numsections;
    }
    state
        .course_sections(course.id)
        .iter()
        .map(|s| s.section)
        .max()
        .unwrap_or(0)
}

/// One course of `core_course_get_courses`, with the fields only course updaters see.
pub fn get_courses_value(state: &State, course: &Course, admin: bool) -> Value {
    let options = format_options(course);
    let (summary, summaryformat) = format_text(&course.summary, course.summaryformat);
    let mut v = json!({
        "id": course.id,
        "fullname": format_string(&course.fullname),
        "shortname": format_string(&course.shortname),
        "displayname": format_string(&course.fullname),
        "categoryid": course.category,
        "summary": summary,
        "summaryformat": summaryformat,
        "format": course.format,
        "startdate": course.startdate,
        "enddate": course.enddate,
        "showactivitydates": course.showactivitydates,
        "showcompletionconditions": course.showcompletionconditions,
    });
    if let Some((_, n)) = options.iter().find(|(k, _)| *k == "numsections") {
        v["numsections"] = n.clone();
    }
    if admin {
        let extra = json!({
            "categorysortorder": course.sortorder,
            "idnumber": course.idnumber,
            "showgrades": course.showgrades,
            "showreports": course.showreports,
            "newsitems": course.newsitems,
            "visible": i64::from(course.visible),
            "maxbytes": course.maxbytes,
            "numsections": last_section_number(state, course),
            "groupmode": course.groupmode,
            "groupmodeforce": course.groupmodeforce,
            "defaultgroupingid": course.defaultgroupingid,
            "lang": course.lang,
            "timecreated": course.timecreated,
            "timemodified": course.timemodified,
            "forcetheme": course.theme,
            "enablecompletion": course.enablecompletion,
            "completionnotify": course.completionnotify,
            "courseformatoptions": options.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>(),
        });
        merge(&mut v, extra);
        if let Some((_, h)) = options.iter().find(|(k, _)| *k == "hiddensections") {
            v["hiddensections"] = h.clone();
        }
    }
    v
}

/// `get_course_structure(false)` of `core_course_get_courses_by_field`.
pub fn course_by_field_structure() -> Desc {
    let files = || {
        multiple(single(vec![
            ("filename", file().optional()),
            ("filepath", path().optional()),
            ("filesize", int().optional()),
            ("fileurl", url().optional()),
            ("timemodified", int().optional()),
            ("mimetype", raw().optional()),
            ("isexternalfile", boolean().optional()),
            ("repositorytype", plugin().optional()),
            ("icon", raw().optional()),
        ]))
    };
    single(vec![
        ("id", int()),
        ("fullname", raw()),
        ("displayname", raw()),
        ("shortname", raw()),
        ("courseimage", url().optional()),
        ("categoryid", int()),
        ("categoryname", raw()),
        ("sortorder", int().optional()),
        ("summary", raw()),
        ("summaryformat", int()),
        ("summaryfiles", files().optional()),
        ("overviewfiles", files()),
        ("showactivitydates", boolean()),
        ("showcompletionconditions", boolean()),
        (
            "contacts",
            multiple(single(vec![("id", int()), ("fullname", notags())])),
        ),
        ("enrollmentmethods", multiple(plugin())),
        (
            "customfields",
            multiple(single(vec![
                ("name", raw()),
                ("shortname", raw()),
                ("type", alphanumext()),
                ("valueraw", raw()),
                ("value", raw()),
            ]))
            .optional(),
        ),
        ("idnumber", raw().optional()),
        ("format", plugin().optional()),
        ("showgrades", int().optional()),
        ("newsitems", int().optional()),
        ("startdate", int().optional()),
        ("enddate", int().optional()),
        ("maxbytes", int().optional()),
        ("showreports", int().optional()),
        ("visible", int().optional()),
        ("groupmode", int().optional()),
        ("groupmodeforce", int().optional()),
        ("defaultgroupingid", int().optional()),
        ("enablecompletion", int().optional()),
        ("completionnotify", int().optional()),
        ("lang", safedir().optional()),
        ("theme", plugin().optional()),
        ("marker", int().optional()),
        ("legacyfiles", int().optional()),
        ("calendartype", plugin().optional()),
        ("timecreated", int().optional()),
        ("timemodified", int().optional()),
        ("requested", int().optional()),
        ("cacherev", int().optional()),
        (
            "filters",
            multiple(single(vec![
                ("filter", plugin()),
                ("localstate", int()),
                ("inheritedstate", int()),
            ]))
            .optional(),
        ),
        (
            "courseformatoptions",
            multiple(single(vec![("name", raw()), ("value", raw())])).optional(),
        ),
        ("communicationroomname", text().optional()),
        ("communicationroomurl", raw().optional()),
    ])
}

/// Course contacts: users enrolled with a course-contact role (`get_course_contacts()`).
pub fn course_contacts(state: &State, course: &Course) -> Vec<Value> {
    let Some(ctx) = state.context_id(ContextLevel::Course, course.id) else {
        return Vec::new();
    };
    // preload_course_contacts(): ORDER BY r.sortorder, u.lastname, u.firstname, u.id.
    let mut users: Vec<&crate::state::User> = state
        .role_assignments
        .iter()
        .filter(|ra| ra.contextid == ctx && ra.roleid == COURSE_CONTACT_ROLE)
        .filter_map(|ra| state.live_user(ra.userid))
        .collect();
    users.sort_by(|a, b| (&a.lastname, &a.firstname, a.id).cmp(&(&b.lastname, &b.firstname, b.id)));
    users.dedup_by_key(|u| u.id);
    users
        .into_iter()
        .map(|u| json!({"id": u.id, "fullname": u.fullname()}))
        .collect()
}

/// One course of `core_course_get_courses_by_field`: public data for everyone, course
/// fields for those who can access it, manager fields for course updaters.
pub fn course_by_field_value(
    state: &State,
    course: &Course,
    accessible: bool,
    can_update: bool,
) -> Value {
    let ctx = state
        .context_id(ContextLevel::Course, course.id)
        .unwrap_or_default();
    let category = state.categories.get(&course.category);
    let methods: Vec<&str> = state
        .enrol_instances
        .values()
        .filter(|e| e.courseid == course.id && e.status == 0)
        .map(|e| e.enrol.as_str())
        .collect();
    let (summary, summaryformat) = format_text(&course.summary, course.summaryformat);
    let mut v = json!({
        "id": course.id,
        "fullname": format_string(&course.fullname),
        "displayname": format_string(&course.fullname),
        "shortname": format_string(&course.shortname),
        "courseimage": format!("{}/pluginfile.php/{ctx}/course/generated/course.svg", state.site.wwwroot),
        "categoryid": course.category,
        "categoryname": category.map_or(String::new(), |c| format_string(&c.name)),
        "sortorder": course.sortorder,
        "summary": summary,
        "summaryformat": summaryformat,
        "summaryfiles": [],
        "overviewfiles": [],
        "showactivitydates": course.showactivitydates,
        "showcompletionconditions": course.showcompletionconditions,
        "contacts": course_contacts(state, course),
        "enrollmentmethods": methods,
    });
    if !accessible {
        return v;
    }
    merge(
        &mut v,
        json!({
            "filters": FILTERS.iter().map(|f| json!({"filter": f, "localstate": 0, "inheritedstate": 1})).collect::<Vec<_>>(),
            "format": course.format,
            "showgrades": course.showgrades,
            "newsitems": course.newsitems,
            "startdate": course.startdate,
            "enddate": course.enddate,
            "maxbytes": course.maxbytes,
            "showreports": course.showreports,
            "visible": i64::from(course.visible),
            "groupmode": course.groupmode,
            "groupmodeforce": course.groupmodeforce,
            "defaultgroupingid": course.defaultgroupingid,
            "enablecompletion": course.enablecompletion,
            "completionnotify": course.completionnotify,
            "lang": course.lang,
            "theme": course.theme,
            "marker": course.marker,
        }),
    );
    if can_update {
        merge(
            &mut v,
            json!({
                "idnumber": course.idnumber,
                "legacyfiles": 0,
                "calendartype": "",
                "timecreated": course.timecreated,
                "timemodified": course.timemodified,
                "requested": 0,
                "cacherev": course.cacherev,
            }),
        );
    }
    // get_config_for_external(): the format's options plus its indentation setting.
    if course.format != "site" {
        let mut options: Vec<Value> = format_options(course)
            .into_iter()
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect();
        options.push(json!({"name": "indentation", "value": "1"}));
        v["courseformatoptions"] = Value::Array(options);
    }
    v
}

fn merge(target: &mut Value, extra: Value) {
    if let (Value::Object(t), Value::Object(e)) = (target, extra) {
        let e: Map<String, Value> = e;
        t.extend(e);
    }
}
