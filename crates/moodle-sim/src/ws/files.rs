//! Files: `core_files_get_files`, `core_files_upload` (`files/externallib.php`) and
//! `core_user_add_user_private_files`, with the access rules of Moodle's file browser:
//! private and draft areas belong to their owner only, submission files to their author
//! and graders.

use std::sync::Arc;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Call, FunctionDef, params};
use crate::errors::WsError;
use crate::external::desc::*;
use crate::external::param::{ParamType, php_string};
use crate::state::{Context, ContextLevel, State, StoredFile, files::NewFile};

pub(super) fn functions() -> Vec<FunctionDef> {
    vec![
        FunctionDef {
            name: "core_files_get_files",
            params: || {
                single(vec![
                    ("contextid", int()),
                    ("component", text()),
                    ("filearea", text()),
                    ("itemid", int()),
                    ("filepath", path()),
                    ("filename", text()),
                    ("modified", int().default(Value::Null)),
                    ("contextlevel", alpha().default(Value::Null)),
                    ("instanceid", int().default(Value::Null)),
                ])
            },
            returns: || {
                let location = |extra: Vec<(&'static str, Desc)>| {
                    let mut keys = vec![
                        ("contextid", int()),
                        ("component", component()),
                        ("filearea", area()),
                        ("itemid", int()),
                        ("filepath", text()),
                        ("filename", text()),
                    ];
                    keys.extend(extra);
                    single(keys)
                };
                Some(single(vec![
                    ("parents", multiple(location(vec![]))),
                    (
                        "files",
                        multiple(location(vec![
                            ("isdir", boolean()),
                            ("url", text()),
                            ("timemodified", int()),
                            ("timecreated", int().optional()),
                            ("filesize", int().optional()),
                            ("author", text().optional()),
                            ("license", text().optional()),
                        ])),
                    ),
                ]))
            },
            run: get_files,
            write: false,
        },
        FunctionDef {
            name: "core_files_upload",
            params: || {
                single(vec![
                    ("contextid", int().default(Value::Null)),
                    ("component", component()),
                    ("filearea", area()),
                    ("itemid", int()),
                    ("filepath", path()),
                    ("filename", file()),
                    ("filecontent", text()),
                    ("contextlevel", alpha().default(Value::Null)),
                    ("instanceid", int().default(Value::Null)),
                ])
            },
            returns: || {
                Some(single(vec![
                    ("contextid", int()),
                    ("component", component()),
                    ("filearea", area()),
                    ("itemid", int()),
                    ("filepath", text()),
                    ("filename", file()),
                    ("url", text()),
                ]))
            },
            run: upload,
            write: true,
        },
        FunctionDef {
            name: "core_user_add_user_private_files",
            params: || single(vec![("draftid", int())]),
            returns: || None,
            run: add_user_private_files,
            write: true,
        },
    ]
}

/// `external_api::get_context_from_params()`.
fn context_from_params(
    s: &State,
    contextid: Option<i64>,
    level: Option<&str>,
    instanceid: Option<i64>,
) -> Result<Option<Context>, WsError> {
    if let Some(id) = contextid.filter(|id| *id != 0) {
        return Ok(s.contexts.get(&id).cloned());
    }
    match (level, instanceid) {
        (Some(level), Some(instance)) if !level.is_empty() => {
            let level = match level {
                "system" | "10" => ContextLevel::System,
                "user" | "30" => ContextLevel::User,
                "coursecat" | "40" => ContextLevel::Category,
                "course" | "50" => ContextLevel::Course,
                "module" | "70" => ContextLevel::Module,
                "block" | "80" => ContextLevel::Block,
                other => {
                    return Err(WsError::invalid_parameter(format!(
                        "Invalid context level = {other}"
                    )));
                }
            };
            Ok(s.context_of(level, instance).cloned())
        }
        _ => Err(WsError::invalid_parameter(
            "Missing parameters, please provide either context level with instance id or contextid",
        )),
    }
}

#[derive(Deserialize)]
struct GetFilesParams {
    contextid: i64,
    component: String,
    filearea: String,
    itemid: i64,
    filepath: String,
    filename: Option<String>,
    modified: Option<i64>,
    contextlevel: Option<String>,
    instanceid: Option<i64>,
}

/// Whether the user may browse an area (`file_browser::get_file_info()` returning a node).
fn may_browse(
    s: &State,
    userid: i64,
    ctx: &Context,
    component: &str,
    filearea: &str,
    itemid: i64,
    now: i64,
) -> bool {
    match (ctx.level, component, filearea) {
        (ContextLevel::User, "user", "private" | "draft") => ctx.instanceid == userid,
        (ContextLevel::Module, "assignsubmission_file", "submission_files") => {
            let Some(cm) = s.cms.get(&ctx.instanceid) else {
                return false;
            };
            let own = s
                .submissions
                .get(&itemid)
                .is_some_and(|sub| sub.userid == userid);
            s.require_course_login(userid, cm.course, now).is_ok()
                && (own || s.has_capability(userid, "mod/assign:grade", ctx.id))
        }
        // resource_get_file_info(): only for who may manage the course's files.
        // file_info_context_course::get_area_course_summary() and overview files: course
        // updaters only.
        (ContextLevel::Course, "course", "summary" | "overviewfiles") => {
            s.has_capability(userid, "moodle/course:update", ctx.id)
        }
        (ContextLevel::Module, "mod_resource", "content") => {
            s.cms.get(&ctx.instanceid).is_some_and(|cm| {
                s.require_course_login(userid, cm.course, now).is_ok()
                    && s.has_capability(userid, "moodle/course:managefiles", ctx.id)
            })
        }
        _ => false,
    }
}

/// A file browser node's `get_params()` with its visible name as `filename`.
fn node(contextid: i64, area: Option<(&str, &str, i64, &str)>, name: &str) -> Value {
    match area {
        Some((component, filearea, itemid, filepath)) => json!({
            "contextid": contextid, "component": component, "filearea": filearea,
            "itemid": itemid, "filepath": filepath, "filename": name,
        }),
        None => json!({
            "contextid": contextid, "component": null, "filearea": null, "itemid": null,
            "filepath": null, "filename": name,
        }),
    }
}

/// `core_files_external::get_files()` over `file_browser::get_file_info()`: the node named
/// by the parameters (a context, an area's directory or a file; paths cleaned as
/// `file_storage::get_file()` cleans them), its parents up to the root, and its children
/// (directories, then files, each sorted) newer than `modified`.
fn get_files(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: GetFilesParams = params(p)?;
    let s = &*call.state;
    let ctx = if p.contextid == 0 {
        s.contexts.get(&crate::state::SYSTEM_CONTEXT).cloned()
    } else {
        let id = (p.contextid != -1).then_some(p.contextid);
        context_from_params(s, id, p.contextlevel.as_deref(), p.instanceid)?
    };
    let Some(ctx) = ctx else {
        return Err(WsError::invalid_parameter("Context does not exist"));
    };
    let empty = json!({"parents": [], "files": []});
    let modified = p.modified;
    let newer = |t: i64| modified.is_none_or(|m| m < t);
    // file_info_context_user dispatches to get_area_{component}_{filearea}() with PHP's
    // method_exists(), which ignores case; the area methods then use their own names.
    let mut p = p;
    if ctx.level == ContextLevel::User {
        p.component = p.component.to_lowercase();
        p.filearea = p.filearea.to_lowercase();
    }
    if p.component.is_empty() && p.filearea.is_empty() {
        return Ok(context_node(s, call.userid, &ctx, call.now));
    }
    if !may_browse(
        s,
        call.userid,
        &ctx,
        &p.component,
        &p.filearea,
        p.itemid,
        call.now,
    ) {
        return Ok(empty);
    }
    // file_storage::get_file(): PARAM_PATH and PARAM_FILE, then slashes around the path.
    let clean = |ty: ParamType, v: &str| php_string(&ty.clean(&json!(v), ""));
    let mut filepath = if p.filepath.is_empty() {
        "/".to_owned()
    } else {
        clean(ParamType::Path, &p.filepath)
    };
    if !filepath.starts_with('/') {
        filepath.insert(0, '/');
    }
    if !filepath.ends_with('/') {
        filepath.push('/');
    }
    let filename = clean(ParamType::File, p.filename.as_deref().unwrap_or_default());
    let area = s.area_files(ctx.id, &p.component, &p.filearea, p.itemid);
    let user_area = ctx.level == ContextLevel::User;
    let draft = p.filearea == "draft";
    let target_file = (!filename.is_empty() && filename != ".")
        .then(|| {
            area.iter()
                .find(|f| !f.is_dir() && f.filepath == filepath && f.filename == filename)
        })
        .flatten();
    let target_dir = filepath == "/" || area.iter().any(|f| f.is_dir() && f.filepath == filepath);
    if (!filename.is_empty() && filename != "." && target_file.is_none()) || !target_dir {
        return Ok(empty);
    }
    // Parents: the context and its owner for private files, nothing above a draft area's
    // root (it is browsed on its own), then the directories above.
    let mut parents = Vec::new();
    if user_area {
        if !draft {
            let owner = s
                .users
                .get(&ctx.instanceid)
                .map(crate::state::User::fullname)
                .unwrap_or_default();
            parents.push(node(crate::state::SYSTEM_CONTEXT, None, "System"));
            parents.push(node(ctx.id, None, &owner));
        }
        let area_node = |dir: &str, name: &str| {
            node(
                ctx.id,
                Some((&p.component, &p.filearea, p.itemid, dir)),
                name,
            )
        };
        let parts: Vec<&str> = filepath.split('/').filter(|x| !x.is_empty()).collect();
        // Directories above the node; for a file, its own directory too.
        let above = if target_file.is_some() {
            parts.len() + 1
        } else {
            parts.len()
        };
        let mut dir = String::from("/");
        for depth in 0..above {
            if depth > 0 {
                dir.push_str(parts[depth - 1]);
                dir.push('/');
            }
            let name = if depth == 0 {
                area_name(&p.filearea).to_owned()
            } else {
                parts[depth - 1].to_owned()
            };
            parents.push(area_node(&dir, &name));
        }
    }
    if ctx.level == ContextLevel::Course {
        // The course's node and those above it: the system, then each category on its path.
        parents.push(node(crate::state::SYSTEM_CONTEXT, None, "System"));
        if let Some(course) = s.courses.get(&ctx.instanceid) {
            let path = s
                .categories
                .get(&course.category)
                .map(|c| c.path.clone())
                .unwrap_or_default();
            for catid in path.split('/').filter_map(|x| x.parse::<i64>().ok()) {
                if let (Some(cat), Some(cctx)) = (
                    s.categories.get(&catid),
                    s.context_id(ContextLevel::Category, catid),
                ) {
                    parents.push(node(cctx, None, &cat.name));
                }
            }
            parents.push(node(ctx.id, None, &course.fullname));
        }
    }
    if target_file.is_some() {
        return Ok(json!({"parents": parents, "files": []}));
    }
    let mut dirs: Vec<&StoredFile> = area
        .iter()
        .copied()
        .filter(|f| f.is_dir() && f.filepath != filepath && parent_dir(&f.filepath) == filepath)
        .collect();
    dirs.sort_by(|a, b| a.filepath.cmp(&b.filepath));
    let mut files: Vec<&StoredFile> = area
        .iter()
        .copied()
        .filter(|f| !f.is_dir() && f.filepath == filepath)
        .collect();
    files.sort_by(|a, b| a.filename.cmp(&b.filename));
    let mut list = Vec::new();
    for d in dirs.into_iter().filter(|d| newer(d.timemodified)) {
        let name = d
            .filepath
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default();
        list.push(json!({
            "contextid": d.contextid, "component": d.component, "filearea": d.filearea, "itemid": d.itemid,
            "filepath": d.filepath, "filename": name, "isdir": true, "url": null,
            "timemodified": d.timemodified, "timecreated": d.timecreated, "filesize": 0, "author": null, "license": null,
        }));
    }
    for f in files.into_iter().filter(|f| newer(f.timemodified)) {
        list.push(json!({
            "contextid": f.contextid, "component": f.component, "filearea": f.filearea, "itemid": f.itemid,
            "filepath": f.filepath, "filename": f.filename, "isdir": false, "url": file_url(s, f),
            "timemodified": f.timemodified, "timecreated": f.timecreated, "filesize": f.filesize(),
            "author": f.author, "license": f.license,
        }));
    }
    Ok(json!({"parents": parents, "files": list}))
}

/// A context's node: the system context lists the top categories the user may see and the
/// front page; a user's own context sits under the system; other contexts are not browsed.
fn context_node(s: &State, userid: i64, ctx: &Context, now: i64) -> Value {
    let child = |contextid: i64, name: &str| {
        json!({
            "contextid": contextid, "component": null, "filearea": null, "itemid": null,
            "filepath": null, "filename": name, "isdir": true, "url": null,
            "timemodified": null, "timecreated": null, "filesize": 0, "author": null, "license": null,
        })
    };
    match ctx.level {
        ContextLevel::System => {
            let mut cats: Vec<&crate::state::Category> =
                s.categories.values().filter(|c| c.parent == 0).collect();
            cats.sort_by_key(|c| c.sortorder);
            let mut files: Vec<Value> = cats
                .into_iter()
                .filter_map(|c| {
                    let cctx = s.context_id(ContextLevel::Category, c.id)?;
                    (c.visible
                        || s.has_capability(userid, "moodle/category:viewhiddencategories", cctx))
                    .then(|| child(cctx, &c.name))
                })
                .collect();
            if let Some(front) = s.context_id(ContextLevel::Course, crate::state::SITE_ID)
                && s.require_course_login(userid, crate::state::SITE_ID, now)
                    .is_ok()
            {
                files.push(child(front, "Site home"));
            }
            json!({"parents": [], "files": files})
        }
        ContextLevel::User if ctx.instanceid == userid => {
            json!({"parents": [node(crate::state::SYSTEM_CONTEXT, None, "System")], "files": []})
        }
        _ => json!({"parents": [], "files": []}),
    }
}

/// The visible name of an area's root (`areauserpersonal`, `areauserdraft`).
fn area_name(filearea: &str) -> &'static str {
    match filearea {
        "private" => "Private files",
        "draft" => "Drafts",
        _ => "Files",
    }
}

fn parent_dir(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some((head, _)) => format!("{head}/"),
        None => "/".to_owned(),
    }
}

/// The URL Moodle's file browser gives a file (`pluginfile.php`, no item id for private
/// files, `draftfile.php` for drafts).
pub fn file_url(s: &State, f: &StoredFile) -> String {
    let root = &s.site.wwwroot;
    // moodle_url::make_file_url(): each path segment rawurlencode()d.
    let path = rawurlencode_path(&format!("{}{}", f.filepath, f.filename));
    match f.filearea.as_str() {
        "private" => format!("{root}/pluginfile.php/{}/user/private{path}", f.contextid),
        "draft" => format!(
            "{root}/draftfile.php/{}/user/draft/{}{path}",
            f.contextid, f.itemid
        ),
        _ => format!(
            "{root}/pluginfile.php/{}/{}/{}/{}{path}",
            f.contextid, f.component, f.filearea, f.itemid
        ),
    }
}

/// PHP's `rawurlencode()` of each segment of a path, the slashes kept.
pub fn rawurlencode_path(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            segment
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                        char::from(b).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[derive(Deserialize)]
struct UploadParams {
    contextid: Option<i64>,
    component: String,
    filearea: String,
    itemid: i64,
    filepath: String,
    filename: String,
    filecontent: String,
    contextlevel: Option<String>,
    instanceid: Option<i64>,
}

fn upload(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: UploadParams = params(p)?;
    if !(p.component == "user" && p.filearea == "draft") {
        return Err(WsError::coding(
            "File can be uploaded to user draft area only",
        ));
    }
    let content = base64::engine::general_purpose::STANDARD
        .decode(p.filecontent.trim())
        .unwrap_or_default();
    let filepath = if p.filepath.is_empty() {
        "/".to_owned()
    } else {
        p.filepath.clone()
    };
    let ctx = context_from_params(
        call.state,
        p.contextid,
        p.contextlevel.as_deref(),
        p.instanceid,
    )?
    .ok_or_else(|| WsError::invalid_parameter("Context does not exist"))?;
    // The draft area of the calling user only.
    if !(ctx.level == ContextLevel::User && ctx.instanceid == call.userid) {
        return Err(WsError::moodle("nofile", "No file was uploaded"));
    }
    let itemid = if p.itemid <= 0 {
        call.state.unused_draft_itemid(ctx.id)
    } else {
        p.itemid
    };
    let filename = if p.filename.is_empty() {
        format!("wsupload{}.tmp", call.now)
    } else {
        p.filename.clone()
    };
    if call
        .state
        .find_file(ctx.id, "user", "draft", itemid, &filepath, &filename)
        .is_some()
    {
        // new moodle_exception('fileexist'): no such string in the error component.
        return Err(WsError::moodle("fileexist", "error/fileexist"));
    }
    // file_info_stored::create_file_from_pathname(): no owner, author or licence, the type
    // by extension only.
    let id = call.state.create_file(
        NewFile {
            contextid: ctx.id,
            component: "user",
            filearea: "draft",
            itemid,
            filepath: &filepath,
            filename: &filename,
            userid: None,
            author: None,
            license: None,
            source: None,
        },
        Arc::from(content),
    );
    if let Some(f) = call.state.files.get_mut(&id) {
        f.mimetype = Some(crate::state::mimetype_for(&filename).to_owned());
    }
    let f = call
        .state
        .files
        .get(&id)
        .cloned()
        .ok_or_else(|| WsError::moodle("nofile", "No file was uploaded"))?;
    Ok(json!({
        "contextid": f.contextid, "component": "user", "filearea": "draft", "itemid": itemid,
        "filepath": filepath, "filename": filename, "url": file_url(call.state, &f),
    }))
}

#[derive(Deserialize)]
struct PrivateParams {
    draftid: i64,
}

fn add_user_private_files(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: PrivateParams = params(p)?;
    let ctx = call
        .state
        .context_id(ContextLevel::User, call.userid)
        .ok_or_else(|| WsError::invalid_parameter("Context does not exist"))?;
    call.require_capability("moodle/user:manageownfiles", ctx)?;
    let draft: Vec<StoredFile> = call
        .state
        .area_files(ctx, "user", "draft", p.draftid)
        .into_iter()
        .filter(|f| !f.is_dir())
        .cloned()
        .collect();
    if draft.is_empty() {
        return Err(WsError::coding(
            "Nothing to merge or area does not belong to current user",
        ));
    }
    let quota = call.state.site.userquota;
    if !call.is_siteadmin() && quota > 0 {
        let used: i64 = call
            .state
            .area_files(ctx, "user", "private", 0)
            .iter()
            .map(|f| f.filesize())
            .sum();
        let added: i64 = draft.iter().map(StoredFile::filesize).sum();
        if used + added > quota {
            return Err(WsError::moodle(
                "maxareabytes",
                "The file is larger than the space remaining in this area.",
            ));
        }
    }
    // file_merge_files_from_draft_area_into_filearea(): draft files replace same-named ones.
    for f in draft {
        let existing = call
            .state
            .find_file(ctx, "user", "private", 0, &f.filepath, &f.filename)
            .map(|e| e.id);
        if let Some(id) = existing {
            call.state.files.remove(&id);
        }
        call.state.create_file(
            NewFile {
                contextid: ctx,
                component: "user",
                filearea: "private",
                itemid: 0,
                filepath: &f.filepath,
                filename: &f.filename,
                userid: f.userid,
                author: f.author.clone(),
                license: f.license.clone(),
                source: f.source.clone(),
            },
            f.content.clone(),
        );
    }
    Ok(Value::Null)
}
