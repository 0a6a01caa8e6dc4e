//! `/__sim/plugins/*`: the fixtures `scripts/real-moodle-plugins` makes on a real site with
//! `scripts/lib/real-moodle-plugins-setup.php`, answered in the same JSON so the same checks run
//! against both: `POST setup`, `POST config {"name", "value"}`, `DELETE attempts`,
//! `GET events`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::endpoints::Shared;
use crate::fixture::random_token;
use crate::state::{NewUser, SYSTEM_CONTEXT, State as Db, Token, now};

/// The routes.
pub(super) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/__sim/plugins/setup", post(setup))
        .route("/__sim/plugins/config", post(configure))
        .route("/__sim/plugins/attempts", delete(reset_attempts))
        .route("/__sim/plugins/events", get(events))
}

/// `setup`: the suspended user, the checks' tokens, default settings, no failed attempts.
async fn setup(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let mut db = shared.db();
    let now = now();
    let suspended = match db.users.values().find(|u| u.username == "ltsuspended") {
        Some(u) => u.id,
        None => db.create_user(
            NewUser {
                username: "ltsuspended".to_owned(),
                password: "Suspended123!x".to_owned(),
                firstname: "Sam".to_owned(),
                lastname: "Suspended".to_owned(),
                email: "ltsuspended@example.com".to_owned(),
                idnumber: String::new(),
                auth: "manual".to_owned(),
                lang: "en".to_owned(),
            },
            now,
        ),
    };
    if let Some(u) = db.users.get_mut(&suspended) {
        u.suspended = true;
    }
    db.plugins.sessions.retain(|_, s| s.userid != suspended);
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
        ("admin_logintoken", "admin", 0, ""),
        ("teacher1_logintoken", "teacher1", 0, ""),
        ("student1_logintoken", "student1", 0, ""),
        ("student2_expired", "student2", now - 3600, ""),
        ("student3_iprestricted", "student3", 0, "10.0.0.0/8"),
        ("suspended_logintoken", "ltsuspended", 0, ""),
    ];
    for (role, username, validuntil, iprestriction) in wanted {
        let Some(userid) = id_of(&db, username) else {
            continue;
        };
        if let Some(token) = check_token(&mut db, role, userid, validuntil, iprestriction, now) {
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
    Json(json!({
        "tokens": tokens,
        "suspended_userid": suspended,
        "bridge_functions": functions,
    }))
}

/// A Login Token service token named for a check, made once and then kept with the given
/// restrictions (`check_token()` of the PHP setup).
fn check_token(
    db: &mut Db,
    role: &str,
    userid: i64,
    validuntil: i64,
    iprestriction: &str,
    now: i64,
) -> Option<String> {
    let serviceid = db
        .services
        .values()
        .find(|s| s.shortname == "local_logintoken")?
        .id;
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
