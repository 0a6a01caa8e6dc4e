//! `local\module_writer`: the checks the activity form would make, then the activity made or
//! changed the way `create_module()` / `update_module()` change the tables, and the activity
//! as the plugin's functions return it.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::errors::WsError;
use crate::state::{ContextLevel, ModInstance, NewFile, NewModule, State, StoredFile};
use crate::ws::Call;

/// The modules the plugin creates and updates.
pub(super) const MODULES: [&str; 5] = ["page", "resource", "url", "forum", "quiz"];
/// Forum types a forum may be created with.
const FORUM_TYPES: [&str; 5] = ["general", "eachuser", "single", "qanda", "blog"];
/// Longest ID number (`course_modules.idnumber`).
const IDNUMBER_MAX: usize = 100;
/// Longest activity name.
const NAME_MAX: usize = 255;

/// The parameters every create function shares.
#[derive(Debug, Deserialize)]
pub(super) struct Common {
    pub courseid: i64,
    pub section: i64,
    pub name: String,
    pub intro: String,
    pub introformat: i64,
    pub idnumber: String,
    pub visible: bool,
}

/// The `fields` of `local_bridge_update_module`, each optional.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Changes {
    pub name: Option<String>,
    pub intro: Option<String>,
    pub introformat: Option<i64>,
    pub idnumber: Option<String>,
    pub visible: Option<bool>,
    pub content: Option<String>,
    pub contentformat: Option<i64>,
    pub externalurl: Option<String>,
    pub display: Option<i64>,
    pub draftitemid: Option<i64>,
}

impl Changes {
    /// The fields given, in the order of the parameter description.
    fn given(&self) -> Vec<&'static str> {
        [
            ("name", self.name.is_some()),
            ("intro", self.intro.is_some()),
            ("introformat", self.introformat.is_some()),
            ("idnumber", self.idnumber.is_some()),
            ("visible", self.visible.is_some()),
            ("content", self.content.is_some()),
            ("contentformat", self.contentformat.is_some()),
            ("externalurl", self.externalurl.is_some()),
            ("display", self.display.is_some()),
            ("draftitemid", self.draftitemid.is_some()),
        ]
        .into_iter()
        .filter_map(|(field, given)| given.then_some(field))
        .collect()
    }
}

/// `get_course($courseid)` and the course's context id.
///
/// # Errors
/// `invalidrecord` for a course that does not exist.
pub(super) fn course_context(state: &State, courseid: i64) -> Result<i64, WsError> {
    if !state.courses.contains_key(&courseid) {
        return Err(crate::plugins::missing_record(
            state,
            "course",
            format!("SELECT * FROM {{course}} WHERE id = ?\n[array (\n  0 => {courseid},\n)]"),
        ));
    }
    state
        .context_id(ContextLevel::Course, courseid)
        .ok_or_else(|| WsError::missing_record_by_id("context", courseid))
}

/// `check_common()`: name length, description format, ID number length.
pub(super) fn check_common(
    name: Option<&str>,
    introformat: Option<i64>,
    idnumber: Option<&str>,
) -> Result<(), WsError> {
    if let Some(name) = name {
        let blank = name
            .trim_matches([' ', '\t', '\n', '\r', '\0', '\x0B'])
            .is_empty();
        if blank || name.chars().count() > NAME_MAX {
            return Err(WsError::invalid_parameter(format!(
                "name: must be 1 to {NAME_MAX} characters long"
            )));
        }
    }
    if let Some(format) = introformat {
        check_format("introformat", format)?;
    }
    if idnumber.is_some_and(|i| i.chars().count() > IDNUMBER_MAX) {
        return Err(WsError::invalid_parameter(format!(
            "idnumber: longer than {IDNUMBER_MAX} characters"
        )));
    }
    Ok(())
}

/// `check_format()`: FORMAT_MOODLE, HTML, PLAIN or MARKDOWN.
pub(super) fn check_format(field: &str, format: i64) -> Result<(), WsError> {
    if [0, 1, 2, 4].contains(&format) {
        Ok(())
    } else {
        Err(WsError::invalid_parameter(format!(
            "{field}: unknown text format {format}"
        )))
    }
}

/// `check_display()`: the module's `displayoptions` site defaults.
pub(super) fn check_display(modname: &str, display: i64) -> Result<(), WsError> {
    let allowed: &[i64] = match modname {
        "url" => &[0, 1, 5, 6],
        _ => &[0, 1, 4, 5, 6],
    };
    if allowed.contains(&display) {
        return Ok(());
    }
    let list: Vec<String> = allowed.iter().map(i64::to_string).collect();
    Err(WsError::invalid_parameter(format!(
        "display: {display} is not allowed for {modname} (allowed: {})",
        list.join(", ")
    )))
}

/// `check_forum_type()`.
pub(super) fn check_forum_type(forumtype: &str) -> Result<(), WsError> {
    if FORUM_TYPES.contains(&forumtype) {
        return Ok(());
    }
    Err(WsError::invalid_parameter(format!(
        "type: {forumtype} is not a forum type that can be created (allowed: {})",
        FORUM_TYPES.join(", ")
    )))
}

/// `require_unique_idnumber()`: Moodle does not enforce unique activity ID numbers, the
/// plugin does, so a caller finding an earlier attempt's activity by ID number finds one.
fn require_unique_idnumber(
    state: &State,
    courseid: i64,
    idnumber: &str,
    except: i64,
) -> Result<(), WsError> {
    if idnumber.is_empty() {
        return Ok(());
    }
    let existing = state.cms.values().find(|cm| {
        cm.course == courseid && cm.id != except && cm.idnumber.as_deref() == Some(idnumber)
    });
    match existing {
        Some(cm) => Err(WsError::moodle(
            "duplicateidnumber",
            format!(
                "The ID number \"{idnumber}\" is already used in this course by course module {}.",
                cm.id
            ),
        )),
        None => Ok(()),
    }
}

/// `require_draft_files()`: the caller's files in a draft area (never another user's: draft
/// areas live in their owner's user context).
pub(super) fn require_draft_files(
    state: &State,
    userid: i64,
    draftitemid: i64,
) -> Result<Vec<StoredFile>, WsError> {
    let files: Vec<StoredFile> = state
        .context_id(ContextLevel::User, userid)
        .filter(|_| draftitemid > 0)
        .map(|ctx| {
            state
                .area_files(ctx, "user", "draft", draftitemid)
                .into_iter()
                .filter(|f| !f.is_dir())
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    if files.is_empty() {
        return Err(WsError::moodle(
            "invaliddraftitemid",
            format!(
                "Draft area {draftitemid} holds none of your files. Upload the files with webservice/upload.php and pass the itemid it answers."
            ),
        ));
    }
    Ok(files)
}

/// `create_checked()`: section, ID number and draft checks, then `create_module()`.
pub(super) fn create_checked(
    call: &mut Call<'_>,
    common: &Common,
    kind: ModInstance,
    draftitemid: Option<i64>,
) -> Result<Value, WsError> {
    if call
        .state
        .section_by_number(common.courseid, common.section)
        .is_none()
    {
        return Err(WsError::moodle(
            "sectionnotfound",
            format!("The course has no section {}.", common.section),
        ));
    }
    require_unique_idnumber(call.state, common.courseid, &common.idnumber, 0)?;
    let draft = match draftitemid {
        Some(itemid) => Some(require_draft_files(call.state, call.userid, itemid)?),
        None => None,
    };
    let cmid = call.state.add_module(
        NewModule {
            course: common.courseid,
            section: common.section,
            name: common.name.clone(),
            intro: common.intro.clone(),
            idnumber: Some(common.idnumber.clone()),
            visible: common.visible,
            showdescription: false,
            kind,
        },
        call.now,
    );
    if let Some(files) = draft {
        save_resource_files(call.state, cmid, &files, call.userid);
    }
    Ok(with_warnings(export(call.state, cmid)))
}

/// `resource_set_mainfile()`: the draft's files become the activity's; a single file is the
/// main file.
fn save_resource_files(state: &mut State, cmid: i64, files: &[StoredFile], userid: i64) {
    let Some(ctx) = state.context_id(ContextLevel::Module, cmid) else {
        return;
    };
    state.delete_area_files(ctx, "mod_resource", "content", Some(0));
    let mut ids = Vec::new();
    for f in files {
        ids.push(state.create_file(
            NewFile {
                contextid: ctx,
                component: "mod_resource",
                filearea: "content",
                itemid: 0,
                filepath: &f.filepath,
                filename: &f.filename,
                userid: Some(userid),
                author: f.author.clone(),
                license: f.license.clone(),
                source: f.source.clone(),
            },
            Arc::clone(&f.content),
        ));
    }
    if let [only] = ids.as_slice()
        && let Some(file) = state.files.get_mut(only)
    {
        file.sortorder = 1;
    }
}

/// `check_fields_apply()`: fields of another module type are refused.
pub(super) fn check_fields_apply(modname: &str, changes: &Changes) -> Result<(), WsError> {
    let own: &[&str] = match modname {
        "page" => &["content", "contentformat"],
        "url" => &["externalurl", "display"],
        "resource" => &["display", "draftitemid"],
        _ => &[],
    };
    let shared = ["name", "intro", "introformat", "idnumber", "visible"];
    match changes
        .given()
        .into_iter()
        .find(|f| !shared.contains(f) && !own.contains(f))
    {
        Some(field) => Err(WsError::invalid_parameter(format!(
            "fields => {field}: does not apply to a {modname}"
        ))),
        None => Ok(()),
    }
}

/// `update_checked()`: ID number and draft checks, then `update_module()`.
pub(super) fn update_checked(
    call: &mut Call<'_>,
    cmid: i64,
    changes: Changes,
) -> Result<Value, WsError> {
    let course = call.state.cms.get(&cmid).map_or(0, |cm| cm.course);
    if let Some(idnumber) = &changes.idnumber {
        require_unique_idnumber(call.state, course, idnumber, cmid)?;
    }
    let draft = match changes.draftitemid {
        Some(itemid) => Some(require_draft_files(call.state, call.userid, itemid)?),
        None => None,
    };
    let now = call.now;
    if let Some(cm) = call.state.cms.get_mut(&cmid) {
        if let Some(name) = changes.name {
            cm.name = name;
        }
        if let Some(intro) = changes.intro {
            cm.intro = intro;
        }
        if let Some(visible) = changes.visible {
            cm.visible = visible;
            cm.visibleold = visible;
        }
        if let Some(idnumber) = changes.idnumber {
            cm.idnumber = Some(idnumber);
        }
        match &mut cm.kind {
            ModInstance::Page { content } => {
                if let Some(c) = changes.content {
                    *content = c;
                }
            }
            ModInstance::Url {
                externalurl,
                display,
            } => {
                if let Some(u) = changes.externalurl {
                    *externalurl = u;
                }
                if let Some(d) = changes.display {
                    *display = d;
                }
            }
            ModInstance::Resource { display } => {
                if let Some(d) = changes.display {
                    *display = d;
                }
            }
            _ => {}
        }
        cm.timemodified = now;
    }
    if let Some(files) = draft {
        save_resource_files(call.state, cmid, &files, call.userid);
    }
    // update_moduleinfo() triggers course_module_updated.
    call.state.emit(crate::plugins::Change::ModuleUpdated(cmid));
    Ok(with_warnings(export(call.state, cmid)))
}

/// `module_writer::export()`: an activity as the plugin's functions return it.
pub(super) fn export(state: &State, cmid: i64) -> Value {
    let Some(cm) = state.cms.get(&cmid) else {
        return Value::Null;
    };
    let section = state.sections.get(&cm.section).map_or(0, |s| s.section);
    json!({
        "cmid": cm.id,
        "instanceid": cm.instance,
        "courseid": cm.course,
        "section": section,
        "modname": cm.modname,
        "name": cm.name,
        "idnumber": cm.idnumber.clone().unwrap_or_default(),
        "visible": cm.visible,
        "url": format!("{}/mod/{}/view.php?id={}", state.site.wwwroot, cm.modname, cm.id),
    })
}

fn with_warnings(mut module: Value) -> Value {
    if let Value::Object(map) = &mut module {
        map.insert("warnings".to_owned(), json!([]));
    }
    module
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_values_are_checked_like_the_plugin() {
        assert!(check_common(Some("Week 1"), Some(1), Some("a")).is_ok());
        assert!(check_common(Some(" \t"), None, None).is_err());
        assert!(check_common(Some(&"x".repeat(256)), None, None).is_err());
        assert!(check_common(None, Some(3), None).is_err());
        assert!(check_common(None, None, Some(&"i".repeat(101))).is_err());
        assert!(check_common(None, None, Some(&"é".repeat(100))).is_ok());
    }

    #[test]
    fn display_modes_follow_the_site_defaults() {
        assert!(check_display("url", 6).is_ok());
        let err = check_display("url", 2).unwrap_err();
        assert_eq!(
            err.debuginfo.as_deref(),
            Some("display: 2 is not allowed for url (allowed: 0, 1, 5, 6)")
        );
        assert!(check_display("resource", 4).is_ok());
        assert!(check_forum_type("news").is_err());
    }

    #[test]
    fn fields_of_another_module_are_named() {
        let changes = Changes {
            name: Some("x".into()),
            externalurl: Some("https://x".into()),
            ..Changes::default()
        };
        let err = check_fields_apply("page", &changes).unwrap_err();
        assert_eq!(
            err.debuginfo.as_deref(),
            Some("fields => externalurl: does not apply to a page")
        );
        assert!(check_fields_apply("url", &changes).is_ok());
    }
}
