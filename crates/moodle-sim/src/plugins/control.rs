//! `/__sim/plugins/*`: the fixtures `scripts/real-moodle-plugins` makes on a real site with
//! `scripts/lib/real-moodle-plugins-setup.php`, answered in the same JSON so the same checks run
//! against both: `POST setup`, `POST config {"name", "value"}`, `DELETE attempts`,
//! `GET events`; and for `local_bridge`'s event outbox: `POST changes {"origin", "userid",
//! "changes": [...]}` (changes made outside web services, [`AdminChange`]) and
//! `POST purge-events {"before"}` (what the purge task does).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AdminChange;
use crate::endpoints::Shared;
use crate::fixture::random_token;
use crate::state::{
    ContextLevel, Enrolment, NewFile, NewUser, SYSTEM_CONTEXT, State as Db, Token, now,
};

/// The routes.
pub(super) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/__sim/plugins/setup", post(setup))
        .route("/__sim/plugins/config", post(configure))
        .route("/__sim/plugins/attempts", delete(reset_attempts))
        .route("/__sim/plugins/events", get(events))
        .route("/__sim/plugins/changes", post(changes))
        .route("/__sim/plugins/purge-events", post(purge_events))
}

/// `setup`: the suspended user, an editing teacher of PHYS101 whose enrolment is suspended, a
/// private file of teacher1, the checks' tokens, default settings, no failed attempts, and what
/// this site calls a missing record.
async fn setup(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let mut db = shared.db();
    let now = now();
    // The PHP setup runs from the command line as the admin.
    db.plugins.outbox.begin("cli", 2);
    let suspended = check_user(&mut db, "ltsuspended", "Sam", "Suspended", now);
    if let Some(u) = db.users.get_mut(&suspended) {
        u.suspended = true;
    }
    db.plugins.sessions.retain(|_, s| s.userid != suspended);

    // The role assignment stays while the enrolment is suspended.
    let ltteacher = check_user(&mut db, "ltteacher", "Lee", "Lapsed", now);
    let physics = db
        .courses
        .values()
        .find(|c| c.shortname == "PHYS101")
        .map(|c| c.id);
    let editingteacher = db
        .roles
        .values()
        .find(|r| r.shortname == "editingteacher")
        .map(|r| r.id);
    if let Some(enrolid) = physics.and_then(|c| db.manual_instance(c)) {
        db.enrol_user(
            Enrolment {
                enrolid,
                userid: ltteacher,
                roleid: editingteacher,
                timestart: 0,
                timeend: 0,
                suspended: true,
            },
            now,
        );
    }
    let teacher1_file = teacher_private_file(&mut db);
    if db.plugins.installed.logintoken {
        super::logintoken::default_settings(&mut db.plugins);
        db.plugins
            .set_config("local_logintoken", "maxfailedattempts", "1000");
    }
    if db.plugins.installed.bridge {
        super::bridge::default_settings(&mut db.plugins);
    }
    db.plugins.failed_attempts.clear();

    let mut tokens: BTreeMap<String, String> = db
        .tokens
        .values()
        .filter_map(|t| {
            t.name
                .strip_prefix("moodle-real ")
                .map(|role| (role.to_owned(), t.token.clone()))
        })
        .collect();
    let id_of = |db: &Db, name: &str| db.users.values().find(|u| u.username == name).map(|u| u.id);
    let wanted = [
        ("admin_logintoken", "admin", LOGINTOKEN, 0, ""),
        ("teacher1_logintoken", "teacher1", LOGINTOKEN, 0, ""),
        ("student1_logintoken", "student1", LOGINTOKEN, 0, ""),
        ("student2_expired", "student2", LOGINTOKEN, now - 3600, ""),
        (
            "student3_iprestricted",
            "student3",
            LOGINTOKEN,
            0,
            "10.0.0.0/8",
        ),
        ("suspended_logintoken", "ltsuspended", LOGINTOKEN, 0, ""),
        ("suspended_bridge", "ltsuspended", "bridge", 0, ""),
        ("ltteacher_bridge", "ltteacher", "bridge", 0, ""),
    ];
    for (role, username, service, validuntil, iprestriction) in wanted {
        let Some(userid) = id_of(&db, username) else {
            continue;
        };
        let restrictions = (validuntil, iprestriction);
        if let Some(token) = check_token(&mut db, role, userid, service, restrictions, now) {
            tokens.insert(role.to_owned(), token);
        }
    }
    let functions: Vec<String> = db
        .services
        .values()
        .find(|s| s.shortname == "bridge")
        .map(|s| {
            s.functions
                .iter()
                .filter(|f| f.starts_with("local_logintoken_") || f.starts_with("local_bridge_"))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let missing: BTreeMap<&str, String> = ["course", "user", "course_modules"]
        .into_iter()
        .map(|table| {
            (
                table,
                super::missing_record(&db, table, String::new()).errorcode,
            )
        })
        .collect();
    db.plugins.outbox.end_request();
    Json(json!({
        "tokens": tokens,
        "suspended_userid": suspended,
        "bridge_functions": functions,
        "teacher1_private_fileid": teacher1_file,
        "missing_record": missing,
        // The stand-in's courses have no subsection fixture: the subsection checks run on real
        // sites with mod_subsection enabled (Moodle 5.0 by default).
        "subsection_section": Value::Null,
        "release": db.site.release,
    }))
}

/// The plugin's own service.
const LOGINTOKEN: &str = "local_logintoken";

/// A manual-auth user made once by username (`check_user()` of the PHP setup); its id.
fn check_user(db: &mut Db, username: &str, firstname: &str, lastname: &str, now: i64) -> i64 {
    if let Some(u) = db
        .users
        .values()
        .find(|u| u.username == username && !u.deleted)
    {
        return u.id;
    }
    db.create_user(
        NewUser {
            username: username.to_owned(),
            password: "Checks123!x".to_owned(),
            firstname: firstname.to_owned(),
            lastname: lastname.to_owned(),
            email: format!("{username}@example.com"),
            idnumber: String::new(),
            auth: "manual".to_owned(),
            lang: "en".to_owned(),
        },
        now,
    )
}

/// teacher1's private file `/teacher_notes.txt`, made once; its id (0 without teacher1).
fn teacher_private_file(db: &mut Db) -> i64 {
    let Some(teacher) = db
        .users
        .values()
        .find(|u| u.username == "teacher1")
        .map(|u| u.id)
    else {
        return 0;
    };
    let Some(ctx) = db.context_id(ContextLevel::User, teacher) else {
        return 0;
    };
    if let Some(f) = db.find_file(ctx, "user", "private", 0, "/", "teacher_notes.txt") {
        return f.id;
    }
    db.create_file(
        NewFile {
            contextid: ctx,
            component: "user",
            filearea: "private",
            itemid: 0,
            filepath: "/",
            filename: "teacher_notes.txt",
            userid: Some(teacher),
            author: None,
            license: None,
            source: None,
        },
        Arc::from(&b"Teacher's own notes.\n"[..]),
    )
}

/// A token of a service named for a check, made once and then kept with the given
/// restrictions, (valid until, IP restriction) (`check_token()` of the PHP setup).
fn check_token(
    db: &mut Db,
    role: &str,
    userid: i64,
    service: &str,
    (validuntil, iprestriction): (i64, &str),
    now: i64,
) -> Option<String> {
    let serviceid = db.services.values().find(|s| s.shortname == service)?.id;
    let name = format!("moodle-bridge-check {role}");
    if let Some(t) = db
        .tokens
        .values_mut()
        .find(|t| t.name == name && t.userid == userid)
    {
        t.validuntil = validuntil;
        t.iprestriction = iprestriction.to_owned();
        t.serviceid = serviceid;
        return Some(t.token.clone());
    }
    let token = random_token();
    db.tokens.insert(
        token.clone(),
        Token {
            token: token.clone(),
            userid,
            serviceid,
            contextid: SYSTEM_CONTEXT,
            validuntil,
            iprestriction: iprestriction.to_owned(),
            privatetoken: None,
            timecreated: now,
            lastaccess: 0,
            name,
        },
    );
    Some(token)
}

/// A setting to change: `name` is `plugin/name`, or a `local_logintoken` setting.
#[derive(Debug, Deserialize)]
struct Setting {
    name: String,
    value: String,
}

async fn configure(State(shared): State<Arc<Shared>>, Json(s): Json<Setting>) -> Json<Value> {
    let (plugin, name) = s
        .name
        .split_once('/')
        .unwrap_or(("local_logintoken", s.name.as_str()));
    shared.db().plugins.set_config(plugin, name, &s.value);
    Json(json!({"plugin": plugin, "name": name, "value": s.value}))
}

async fn reset_attempts(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.db().plugins.failed_attempts.clear();
    Json(json!({"reset": true}))
}

async fn events(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({"login_failed": shared.db().plugins.events.len()}))
}

/// Changes made outside web services, in one request of the given origin and user.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Changes {
    /// `cli` (a script, cron) or `web` (an admin page).
    origin: String,
    /// `$USER->id` (2: the seeded admin).
    userid: i64,
    changes: Vec<AdminChange>,
}

async fn changes(
    State(shared): State<Arc<Shared>>,
    Json(request): Json<Changes>,
) -> (StatusCode, Json<Value>) {
    let origin = match request.origin.as_str() {
        "cli" => "cli",
        "web" => "web",
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "origin: cli or web"})),
            );
        }
    };
    let mut db = shared.db();
    // All or nothing, as one transaction.
    let mut tx = db.clone();
    tx.plugins.outbox.begin(origin, request.userid);
    let mut result = Ok(());
    for change in &request.changes {
        result = tx.admin_change(change);
        if result.is_err() {
            break;
        }
    }
    tx.plugins.outbox.end_request();
    match result {
        Ok(()) => {
            *db = tx;
            (StatusCode::OK, Json(json!({"done": true})))
        }
        Err(e) => (StatusCode::BAD_REQUEST, Json(json!({"error": e}))),
    }
}

/// The purge task's work with a given cut-off: events added before `before` go.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Purge {
    before: i64,
}

async fn purge_events(State(shared): State<Arc<Shared>>, Json(p): Json<Purge>) -> Json<Value> {
    let mut db = shared.db();
    let purged = db.plugins.outbox.purge(p.before);
    Json(json!({"purged": purged, "purgedthrough": db.plugins.outbox.purged_through}))
}
