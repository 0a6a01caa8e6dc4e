//! `core_user_get_users` (`user/externallib.php`): users matching every criterion (exact
//! `id`, `idnumber`, `username`, `auth`; case-insensitive `LIKE` on `email`, `firstname`,
//! `lastname`), each returned only when the caller may see every searched field; unknown
//! keys are warnings, a key given twice an exception.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{details_any_context, user_description};
use crate::errors::WsError;
use crate::external::desc::*;
use crate::external::param::{ParamType, php_empty, php_string};
use crate::ws::{Call, FunctionDef, params};

pub(super) fn function() -> FunctionDef {
    FunctionDef {
        name: "core_user_get_users",
        params: || {
            single(vec![(
                "criteria",
                multiple(single(vec![("key", alpha()), ("value", raw())])),
            )])
        },
        returns: || {
            Some(single(vec![
                ("users", multiple(user_description())),
                ("warnings", warnings()),
            ]))
        },
        run: get_users,
        write: false,
    }
}

#[derive(Deserialize)]
struct Params {
    criteria: Vec<Criterion>,
}

#[derive(Deserialize)]
struct Criterion {
    key: String,
    value: Value,
}

/// `$DB->sql_like($field, $value, false)`: `%` and `_` wildcards, `\` escapes, any case.
fn like(value: &str, pattern: &str) -> bool {
    fn go(v: &[char], p: &[char]) -> bool {
        match p.split_first() {
            None => v.is_empty(),
            Some(('%', rest)) => (0..=v.len()).any(|i| go(&v[i..], rest)),
            Some(('_', rest)) => !v.is_empty() && go(&v[1..], rest),
            Some(('\\', rest)) if !rest.is_empty() => {
                !v.is_empty() && v[0] == rest[0] && go(&v[1..], &rest[1..])
            }
            Some((c, rest)) => !v.is_empty() && v[0] == *c && go(&v[1..], rest),
        }
    }
    let v: Vec<char> = value.to_lowercase().chars().collect();
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    go(&v, &p)
}

fn get_users(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: Params = params(p)?;
    let mut used = std::collections::HashSet::new();
    let mut warnings = Vec::new();
    let mut valid: Vec<(String, String)> = Vec::new();
    for c in &p.criteria {
        if !used.insert(c.key.clone()) {
            return Err(WsError::moodle("keyalreadyset", "error/keyalreadyset")
                .with_debuginfo(format!("The key {} can only be sent once", c.key)));
        }
        let ty = match c.key.as_str() {
            "id" => ParamType::Int,
            "idnumber" => ParamType::Raw,
            "username" => ParamType::Username,
            "email" => ParamType::RawTrimmed,
            "auth" => ParamType::Auth,
            "firstname" | "lastname" => ParamType::NoTags,
            other => {
                warnings.push(json!({
                    "item": other,
                    "warningcode": "invalidfieldparameter",
                    "message": format!("The search key '{other}' is not supported, look at the web service documentation"),
                }));
                continue;
            }
        };
        valid.push((c.key.clone(), php_string(&ty.clean(&c.value, ""))));
    }
    let s = &*call.state;
    let mut users = Vec::new();
    for user in s.users.values().filter(|u| !u.deleted) {
        let matches = valid.iter().all(|(key, value)| match key.as_str() {
            "id" => user.id.to_string() == *value,
            "idnumber" => user.idnumber == *value,
            "username" => user.username == *value,
            "auth" => user.auth == *value,
            "email" => like(&user.email, value),
            "firstname" => like(&user.firstname, value),
            _ => like(&user.lastname, value),
        });
        if !matches {
            continue;
        }
        if let Some(d) = details_any_context(s, call.userid, user, call.now) {
            let shown = valid
                .iter()
                .all(|(key, _)| d.get(key.as_str()).is_some_and(|v| !php_empty(v)));
            if shown {
                users.push(d);
            }
        }
    }
    Ok(json!({"users": users, "warnings": warnings}))
}
