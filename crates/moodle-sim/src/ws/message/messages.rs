//! `core_message_get_messages` (`message/externallib.php`): the notifications (the stand-in
//! keeps no conversations) to and from a user, read, unread or both, by creation time; the
//! caller must be one of the two or may read all messages.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{message_text, notification_icon};
use crate::errors::WsError;
use crate::external::desc::*;
use crate::external::param::{ParamType, php_string};
use crate::state::{Notification, SYSTEM_CONTEXT};
use crate::ws::{Call, FunctionDef, params};

pub(super) fn function() -> FunctionDef {
    FunctionDef {
        name: "core_message_get_messages",
        params: || {
            single(vec![
                ("useridto", int()),
                ("useridfrom", int().default(0)),
                ("type", alpha().default("both")),
                ("read", int().default(1)),
                ("newestfirst", boolean().default(true)),
                ("limitfrom", int().default(0)),
                ("limitnum", int().default(0)),
            ])
        },
        returns: || {
            Some(single(vec![
                (
                    "messages",
                    multiple(single(vec![
                        ("id", int()),
                        ("useridfrom", int()),
                        ("useridto", int()),
                        ("subject", text()),
                        ("text", raw()),
                        ("fullmessage", raw()),
                        ("fullmessageformat", int()),
                        ("fullmessagehtml", raw()),
                        ("smallmessage", raw()),
                        ("notification", int()),
                        ("contexturl", raw()),
                        ("contexturlname", text()),
                        ("timecreated", int()),
                        ("timeread", int()),
                        ("usertofullname", text()),
                        ("userfromfullname", text()),
                        ("component", text().optional()),
                        ("eventtype", text().optional()),
                        ("customdata", raw().optional()),
                        ("iconurl", url().optional()),
                    ])),
                ),
                ("warnings", warnings()),
            ]))
        },
        run: get_messages,
        write: false,
    }
}

#[derive(Deserialize)]
struct Params {
    useridto: i64,
    useridfrom: i64,
    #[serde(rename = "type")]
    kind: String,
    read: i64,
    newestfirst: bool,
    limitfrom: i64,
    limitnum: i64,
}

/// `fullname()` of a user or of the no-reply user (-10).
fn fullname(call: &Call<'_>, userid: i64) -> String {
    match call.state.users.get(&userid) {
        Some(u) => format!("{} {}", u.firstname, u.lastname),
        None if userid == -10 => "Do not reply to this email ".to_owned(),
        None => String::new(),
    }
}

fn get_messages(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: Params = params(p)?;
    if !["notifications", "conversations", "both"].contains(&p.kind.as_str()) {
        return Err(WsError::invalid_parameter(format!(
            "Invalid value for type parameter (value: {}),allowed values are: notifications,conversations,both",
            p.kind
        )));
    }
    if p.useridto != 0 {
        if p.useridto < 0 {
            return Err(WsError::moodle("invaliduser", "Invalid user"));
        }
        call.state.must_exist_user(p.useridto)?;
    }
    if p.useridfrom > 0 {
        call.state.must_exist_user(p.useridfrom)?;
    }
    if p.useridto != call.userid
        && p.useridfrom != call.userid
        && !call.has_capability("moodle/site:readallmessages", SYSTEM_CONTEXT)
    {
        return Err(WsError::moodle("accessdenied", "Access denied"));
    }
    let mut list: Vec<&Notification> = if p.kind == "conversations" {
        Vec::new()
    } else {
        call.state
            .notifications
            .values()
            .filter(|n| p.useridto == 0 || n.useridto == p.useridto)
            .filter(|n| p.useridfrom == 0 || n.useridfrom == p.useridfrom)
            .filter(|n| match p.read {
                1 => n.timeread.is_some(),
                0 => n.timeread.is_none(),
                _ => true,
            })
            .collect()
    };
    // ORDER BY mr.timecreated ASC|DESC; rows of one time in table order.
    list.sort_by(|a, b| {
        let t = a.timecreated.cmp(&b.timecreated);
        (if p.newestfirst { t.reverse() } else { t }).then(a.id.cmp(&b.id))
    });
    let from = usize::try_from(p.limitfrom.max(0)).unwrap_or(0);
    let take = usize::try_from(p.limitnum)
        .ok()
        .filter(|n| *n > 0)
        .unwrap_or(usize::MAX);
    let messages: Vec<Value> = list
        .into_iter()
        .skip(from)
        .take(take)
        .map(|n| {
            json!({
                "id": n.id,
                "useridfrom": n.useridfrom,
                "useridto": n.useridto,
                "subject": php_string(&ParamType::Text.clean(&json!(n.subject), "")),
                "text": message_text(n),
                "fullmessage": n.fullmessage,
                "fullmessageformat": n.fullmessageformat,
                "fullmessagehtml": n.fullmessagehtml,
                "smallmessage": n.smallmessage,
                "notification": 1,
                "contexturl": n.contexturl,
                "contexturlname": n.contexturlname,
                "timecreated": n.timecreated,
                "timeread": n.timeread,
                "usertofullname": fullname(call, n.useridto),
                "userfromfullname": fullname(call, n.useridfrom),
                "component": n.component,
                "eventtype": n.eventtype,
                "customdata": n.customdata,
                "iconurl": notification_icon(call.state, n),
            })
        })
        .collect();
    Ok(json!({"messages": messages, "warnings": []}))
}
