//! Course writes: `core_course_create_courses`, `core_course_update_courses`,
//! `core_course_delete_courses` (`course/externallib.php`, `create_course()`,
//! `update_course()`, `delete_course()`).

use serde::Deserialize;
use serde_json::{Value, json};

use super::course_context;
use crate::errors::WsError;
use crate::external::desc::*;
use crate::external::param::php_empty;
use crate::state::{ContextLevel, NewCourse, SITE_ID};
use crate::version::MoodleVersion;
use crate::ws::{Call, FunctionDef, params};

pub(super) fn functions(version: MoodleVersion) -> Vec<FunctionDef> {
    vec![
        FunctionDef {
            name: "core_course_create_courses",
            params: for_version!(version, |v| create_courses_params(v)),
            returns: || Some(multiple(single(vec![("id", int()), ("shortname", raw())]))),
            run: create_courses,
            write: true,
        },
        FunctionDef {
            name: "core_course_update_courses",
            params: update_courses_params,
            returns: || Some(single(vec![("warnings", warnings())])),
            run: update_courses,
            write: false,
        },
        FunctionDef {
            name: "core_course_delete_courses",
            params: || single(vec![("courseids", multiple(int()))]),
            returns: || Some(single(vec![("warnings", warnings())])),
            run: delete_courses,
            write: false,
        },
    ]
}

fn create_courses_params(version: MoodleVersion) -> Desc {
    single(vec![(
        "courses",
        multiple(single(vec![
            ("fullname", text()),
            ("shortname", text()),
            ("categoryid", int()),
            ("idnumber", raw().optional()),
            ("summary", raw().optional()),
            ("summaryformat", int().default(1)),
            ("format", plugin().default("topics")),
            ("showgrades", int().default(1)),
            ("newsitems", int().default(5)),
            ("startdate", int().optional()),
            ("enddate", int().optional()),
            ("numsections", int().optional()),
            ("maxbytes", int().default(0)),
            ("showreports", int().default(0)),
            // 5.0's course/externallib.php defaults it to $courseconfig->visible (1), so a
            // course made without it is visible even in a hidden category; 4.5's
            // create_course() gives such a course its category's visibility.
            (
                "visible",
                if version.at_least_5_0() {
                    int().default(1)
                } else {
                    int().optional()
                },
            ),
            ("hiddensections", int().optional()),
            ("groupmode", int().default(0)),
            ("groupmodeforce", int().default(0)),
            ("defaultgroupingid", int().default(0)),
            ("enablecompletion", int().optional()),
            ("completionnotify", int().optional()),
            ("lang", safedir().optional()),
            ("forcetheme", plugin().optional()),
            ("courseformatoptions", format_options_desc().optional()),
            (
                "customfields",
                multiple(single(vec![("shortname", alphanumext()), ("value", raw())])).optional(),
            ),
        ])),
    )])
}

fn format_options_desc() -> Desc {
    multiple(single(vec![("name", alphanumext()), ("value", raw())]))
}

#[derive(Deserialize)]
struct CreateCourses {
    courses: Vec<CourseFields>,
}

/// The fields of a course in create and update requests.
#[derive(Deserialize, Default)]
struct CourseFields {
    id: Option<i64>,
    fullname: Option<String>,
    shortname: Option<String>,
    categoryid: Option<i64>,
    idnumber: Option<String>,
    summary: Option<String>,
    summaryformat: Option<i64>,
    format: Option<String>,
    showgrades: Option<i64>,
    newsitems: Option<i64>,
    startdate: Option<i64>,
    enddate: Option<i64>,
    numsections: Option<i64>,
    maxbytes: Option<i64>,
    showreports: Option<i64>,
    visible: Option<i64>,
    hiddensections: Option<i64>,
    groupmode: Option<i64>,
    groupmodeforce: Option<i64>,
    defaultgroupingid: Option<i64>,
    enablecompletion: Option<i64>,
    completionnotify: Option<i64>,
    lang: Option<String>,
    #[serde(default)]
    courseformatoptions: Vec<FormatOption>,
}

#[derive(Deserialize)]
struct FormatOption {
    name: String,
    value: Value,
}

impl CourseFields {
    /// A course format option given either directly or in `courseformatoptions`.
    fn option(&self, name: &str) -> Option<i64> {
        self.courseformatoptions
            .iter()
            .rev()
            .find(|o| o.name == name)
            .map(|o| {
                crate::external::param::php_intval(&crate::external::param::php_string(&o.value))
            })
    }
}

fn create_courses(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: CreateCourses = params(p)?;
    let mut created = Vec::new();
    for c in p.courses {
        let categoryid = c.categoryid.unwrap_or_default();
        let Some(cat_ctx) = call.state.context_id(ContextLevel::Category, categoryid) else {
            return Err(WsError::moodle(
                "errorcatcontextnotvalid",
                format!(
                    "You cannot execute functions in the category context (category id:{categoryid}). The context error message was: Invalid parameter value detected"
                ),
            ));
        };
        call.require_capability("moodle/course:create", cat_ctx)?;
        let fullname = c.fullname.clone().unwrap_or_default();
        let shortname = c.shortname.clone().unwrap_or_default();
        for (field, value) in [("fullname", &fullname), ("shortname", &shortname)] {
            if value.trim().is_empty() {
                return Err(WsError::moodle(
                    "errorinvalidparam",
                    format!("The param \"{field}\" is invalid."),
                ));
            }
        }
        if let Some(lang) = &c.lang
            && lang != "en"
        {
            return Err(WsError::moodle(
                "errorinvalidparam",
                "The param \"lang\" is invalid.",
            ));
        }
        let summaryformat = WsError::validate_format(c.summaryformat.unwrap_or(1))?;
        check_unique(call, None, Some(&shortname), c.idnumber.as_deref())?;
        let startdate = c
            .startdate
            .unwrap_or(call.now - call.now.rem_euclid(86_400));
        let enddate = c
            .enddate
            .unwrap_or(startdate + crate::state::DEFAULT_COURSE_DURATION);
        validate_dates(startdate, enddate)?;
        crate::state::schema::check_row(
            call.state.site.moodle,
            "course",
            &[
                ("fullname", &fullname),
                ("shortname", &shortname),
                ("idnumber", c.idnumber.as_deref().unwrap_or_default()),
                ("format", c.format.as_deref().unwrap_or_default()),
            ],
        )?;
        let mut new = NewCourse::new(&fullname, &shortname, categoryid, call.now);
        // usergetmidnight(time()) in the server's timezone (UTC here); the end a course
        // duration later ($courseconfig->courseenddateenabled).
        new.startdate = startdate;
        new.enddate = Some(enddate);
        new.idnumber = c.idnumber.clone().unwrap_or_default();
        new.summary = c.summary.clone().unwrap_or_default();
        new.summaryformat = summaryformat;
        new.format = c.format.clone().unwrap_or_else(|| "topics".to_owned());
        new.showgrades = c.showgrades.unwrap_or(1);
        new.newsitems = c.newsitems.unwrap_or(5);
        // Moodle: create_course() makes sections 0..=$data->numsections, and the web service
        // passes no default, so a course created without it has only section 0.
        new.numsections = c.option("numsections").or(c.numsections).unwrap_or(0);
        new.hiddensections = c.option("hiddensections").or(c.hiddensections).unwrap_or(1);
        new.coursedisplay = c.option("coursedisplay").unwrap_or(0);
        new.maxbytes = c.maxbytes.unwrap_or(0);
        new.showreports = c.showreports.unwrap_or(0);
        let may_set_visibility = call.has_capability("moodle/course:visibility", cat_ctx);
        let category_visible = call
            .state
            .categories
            .get(&categoryid)
            .is_none_or(|cat| cat.visible);
        // Without moodle/course:visibility the category's visibility is forced; create_course()
        // gives a course without `visible` its category's.
        new.visible = match c.visible {
            Some(v) if may_set_visibility => v != 0,
            _ => category_visible,
        };
        new.groupmode = c.groupmode.unwrap_or(0);
        new.groupmodeforce = c.groupmodeforce.unwrap_or(0);
        new.defaultgroupingid = c.defaultgroupingid.unwrap_or(0);
        new.enablecompletion = c.enablecompletion.unwrap_or(1);
        new.completionnotify = c.completionnotify.unwrap_or(0);
        new.lang = c.lang.clone().unwrap_or_default();
        let id = call.state.create_course(new, call.now);
        created.push(json!({"id": id, "shortname": shortname}));
    }
    Ok(Value::Array(created))
}

/// `course_validate_dates()`: an end date, when set, not before the start.
fn validate_dates(startdate: i64, enddate: i64) -> Result<(), WsError> {
    if enddate > 0 && enddate < startdate {
        return Err(WsError::moodle(
            "enddatebeforestartdate",
            "The course end date must be after the start date.",
        ));
    }
    Ok(())
}

/// `create_course()`/`update_course()` uniqueness of short name and ID number.
fn check_unique(
    call: &Call<'_>,
    except: Option<i64>,
    shortname: Option<&str>,
    idnumber: Option<&str>,
) -> Result<(), WsError> {
    let others = || call.state.courses.values().filter(|c| Some(c.id) != except);
    if let Some(s) = shortname
        && others().any(|c| c.shortname == s)
    {
        return Err(WsError::moodle(
            "shortnametaken",
            format!("Short name is already used for another course ({s})"),
        ));
    }
    if let Some(i) = idnumber.filter(|i| !i.is_empty())
        && others().any(|c| c.idnumber == i)
    {
        return Err(WsError::moodle(
            "courseidnumbertaken",
            format!("ID number is already used for another course ({i})"),
        ));
    }
    Ok(())
}

fn update_courses_params() -> Desc {
    single(vec![(
        "courses",
        multiple(single(vec![
            ("id", int()),
            ("fullname", text().optional()),
            ("shortname", text().optional()),
            ("categoryid", int().optional()),
            ("idnumber", raw().optional()),
            ("summary", raw().optional()),
            ("summaryformat", int().optional()),
            ("format", plugin().optional()),
            ("showgrades", int().optional()),
            ("newsitems", int().optional()),
            ("startdate", int().optional()),
            ("enddate", int().optional()),
            ("numsections", int().optional()),
            ("maxbytes", int().optional()),
            ("showreports", int().optional()),
            ("visible", int().optional()),
            ("hiddensections", int().optional()),
            ("groupmode", int().optional()),
            ("groupmodeforce", int().optional()),
            ("defaultgroupingid", int().optional()),
            ("enablecompletion", int().optional()),
            ("completionnotify", int().optional()),
            ("lang", safedir().optional()),
            ("forcetheme", plugin().optional()),
            ("courseformatoptions", format_options_desc().optional()),
            (
                "customfields",
                multiple(single(vec![("shortname", alphanumext()), ("value", raw())])).optional(),
            ),
        ])),
    )])
}

fn update_courses(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: CreateCourses = params(p)?;
    let mut warnings = Vec::new();
    for c in p.courses {
        let id = c.id.unwrap_or_default();
        if let Err(e) = update_one(call, &c) {
            warnings.push(json!({"item": "course", "itemid": id, "warningcode": e.errorcode, "message": e.message}));
        }
    }
    Ok(json!({"warnings": warnings}))
}

/// One course of `update_courses()`: the external function's checks, then `update_course()`,
/// which writes the row before it looks up a new category's context, so a missing category
/// leaves the course pointing at it (no transaction).
fn update_one(call: &mut Call<'_>, c: &CourseFields) -> Result<(), WsError> {
    let id = c.id.unwrap_or_default();
    let Some(ctx) = call.state.context_id(ContextLevel::Course, id) else {
        return Err(call.state.site.missing_record_by_id("course", id));
    };
    call.state
        .validate_course_context(call.userid, id, call.now)?;
    let old = call
        .state
        .courses
        .get(&id)
        .cloned()
        .ok_or_else(|| call.state.site.missing_record_by_id("course", id))?;
    call.require_capability("moodle/course:update", ctx)?;
    let changed = |new: &Option<String>, old: &str| new.as_deref().is_some_and(|n| n != old);
    let category = c.categoryid.filter(|cat| *cat != old.category);
    if category.is_some() {
        call.require_capability("moodle/course:changecategory", ctx)?;
    }
    if changed(&c.fullname, &old.fullname) {
        call.require_capability("moodle/course:changefullname", ctx)?;
        if c.fullname.as_deref().is_some_and(|f| f.trim().is_empty()) {
            return Err(WsError::moodle(
                "errorinvalidparam",
                "The param \"fullname\" is invalid.",
            ));
        }
    }
    if changed(&c.shortname, &old.shortname) {
        call.require_capability("moodle/course:changeshortname", ctx)?;
        if c.shortname.as_deref().is_some_and(|f| f.trim().is_empty()) {
            return Err(WsError::moodle(
                "errorinvalidparam",
                "The param \"shortname\" is invalid.",
            ));
        }
    }
    if changed(&c.idnumber, &old.idnumber) {
        call.require_capability("moodle/course:changeidnumber", ctx)?;
    }
    if changed(&c.summary, &old.summary) {
        call.require_capability("moodle/course:changesummary", ctx)?;
    }
    if let Some(f) = c.summaryformat.filter(|f| *f != old.summaryformat) {
        call.require_capability("moodle/course:changesummary", ctx)?;
        WsError::validate_format(f)?;
    }
    if c.visible.is_some_and(|v| (v != 0) != old.visible) {
        call.require_capability("moodle/course:visibility", ctx)?;
    }
    if let Some(lang) = c.lang.as_deref().filter(|l| *l != old.lang) {
        call.require_capability("moodle/course:setforcedlanguage", ctx)?;
        if lang != "en" {
            return Err(WsError::moodle(
                "errorinvalidparam",
                "The param \"lang\" is invalid.",
            ));
        }
    }
    // update_course()
    if id == SITE_ID {
        return Err(WsError::moodle("invalidcourse", "Invalid course"));
    }
    let others = |f: &dyn Fn(&crate::state::Course) -> bool| {
        call.state.courses.values().any(|o| o.id != id && f(o))
    };
    if let Some(sn) = c
        .shortname
        .as_deref()
        .filter(|s| !s.is_empty() && *s != old.shortname)
        && others(&|o| o.shortname == sn)
    {
        return Err(WsError::moodle(
            "shortnametaken",
            format!("Short name is already used for another course ({sn})"),
        ));
    }
    if let Some(i) = c
        .idnumber
        .as_deref()
        .filter(|i| !php_empty(&Value::from(*i)) && *i != old.idnumber)
        && others(&|o| o.idnumber == i)
    {
        return Err(WsError::moodle(
            "courseidnumbertaken",
            format!("ID number is already used for another course ({i})"),
        ));
    }
    if let (Some(start), Some(end)) = (c.startdate, c.enddate) {
        validate_dates(start, end)?;
    }
    crate::state::schema::check_row(
        call.state.site.moodle,
        "course",
        &[
            ("fullname", c.fullname.as_deref().unwrap_or_default()),
            ("shortname", c.shortname.as_deref().unwrap_or_default()),
            ("idnumber", c.idnumber.as_deref().unwrap_or_default()),
            ("format", c.format.as_deref().unwrap_or_default()),
        ],
    )?;
    let movecat = category.filter(|cat| *cat != 0);
    let target_visible = movecat
        .and_then(|cat| call.state.categories.get(&cat))
        .is_none_or(|cat| cat.visible);
    let now = call.now;
    let Some(course) = call.state.courses.get_mut(&id) else {
        return Err(call.state.site.missing_record_by_id("course", id));
    };
    macro_rules! set {
        ($field:ident) => {
            if let Some(v) = &c.$field {
                course.$field = v.clone();
            }
        };
    }
    set!(fullname);
    set!(shortname);
    set!(idnumber);
    set!(summary);
    set!(summaryformat);
    set!(format);
    set!(showgrades);
    set!(newsitems);
    set!(startdate);
    set!(enddate);
    set!(showreports);
    set!(groupmode);
    set!(groupmodeforce);
    set!(defaultgroupingid);
    set!(enablecompletion);
    set!(completionnotify);
    set!(lang);
    if let Some(cat) = movecat {
        course.category = cat;
    }
    match c.visible {
        Some(v) if (v != 0) != old.visible => {
            course.visible = v != 0;
            course.visibleold = v != 0;
        }
        _ if movecat.is_some() && !target_visible => course.visible = false,
        _ => {}
    }
    if let Some(max) = c.maxbytes {
        course.maxbytes = max;
    }
    if let Some(h) = c.option("hiddensections").or(c.hiddensections) {
        course.format_options.hiddensections = h;
    }
    if let Some(d) = c.option("coursedisplay") {
        course.format_options.coursedisplay = d;
    }
    course.timemodified = now;
    let numsections = c.option("numsections").or(c.numsections);
    let newsitems = course.newsitems;
    // update_course(): missing sections up to numsections are created.
    if let Some(n) = numsections {
        let existing = call
            .state
            .course_sections(id)
            .iter()
            .map(|s| s.section)
            .max()
            .unwrap_or(-1);
        for number in existing + 1..=n {
            call.state.create_section(id, number, now);
        }
    }
    if let Some(cat) = movecat {
        // context_coursecat::instance($course->category) for update_moved().
        let Some(parent) = call.state.context_id(ContextLevel::Category, cat) else {
            return Err(call
                .state
                .site
                .missing_record_by_id("course_categories", cat));
        };
        call.state.move_context(ctx, parent);
        call.state.fix_course_sortorder();
    }
    call.state.emit(crate::plugins::Change::CourseUpdated(id));
    // mod_forum's course_updated observer adds the news forum when announcements are on.
    let has_news = call
        .state
        .cms
        .values()
        .any(|cm| cm.course == id && matches!(&cm.kind, crate::state::ModInstance::Forum { forumtype, .. } if forumtype == "news"));
    if newsitems > 0 && !has_news {
        call.state.add_news_forum(id, now);
    }
    Ok(())
}

#[derive(Deserialize)]
struct DeleteCourses {
    courseids: Vec<i64>,
}

fn delete_courses(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: DeleteCourses = params(p)?;
    let mut warnings = Vec::new();
    for id in p.courseids {
        if !call.state.courses.contains_key(&id) {
            warnings.push(json!({
                "item": "course", "itemid": id,
                "warningcode": "unknowncourseidnumber", "message": format!("Unknown course ID {id}"),
            }));
            continue;
        }
        call.state
            .validate_course_context(call.userid, id, call.now)?;
        let ctx = course_context(call, id);
        // can_delete_course(): the delete capability (or a course the user just created).
        if !call.has_capability("moodle/course:delete", ctx) {
            warnings.push(json!({
                "item": "course", "itemid": id,
                "warningcode": "cannotdeletecourse",
                "message": format!("You do not have the permission to delete this course{id}"),
            }));
            continue;
        }
        // delete_course() refuses the site course.
        if id == SITE_ID {
            warnings.push(json!({
                "item": "course", "itemid": id,
                "warningcode": "cannotdeletecategorycourse",
                "message": format!("Course {id} failed to be deleted"),
            }));
            continue;
        }
        call.state.delete_course(id);
    }
    call.state.fix_course_sortorder();
    Ok(json!({"warnings": warnings}))
}
