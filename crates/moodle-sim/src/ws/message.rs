//! Notifications: `message_popup_get_popup_notifications`,
//! `message_popup_get_unread_popup_notification_count` (`message/output/popup/externallib.php`)
//! and `core_message_get_unread_notification_count`.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Call, FunctionDef, params};
use crate::errors::WsError;
use crate::external::desc::html_escape;
use crate::external::desc::*;
use crate::state::{Notification, SYSTEM_CONTEXT, State};

mod messages;

pub(super) fn functions() -> Vec<FunctionDef> {
    vec![
        messages::function(),
        FunctionDef {
            name: "message_popup_get_popup_notifications",
            params: || {
                single(vec![
                    ("useridto", int()),
                    ("newestfirst", boolean().default(true)),
                    ("limit", int().default(0)),
                    ("offset", int().default(0)),
                ])
            },
            returns: || {
                Some(single(vec![
                    ("notifications", multiple(notification_structure())),
                    ("unreadcount", int()),
                ]))
            },
            run: get_popup_notifications,
            write: false,
        },
        FunctionDef {
            name: "message_popup_get_unread_popup_notification_count",
            params: || single(vec![("useridto", int())]),
            returns: || Some(int()),
            run: unread_count,
            write: false,
        },
        FunctionDef {
            name: "core_message_get_unread_notification_count",
            params: || single(vec![("useridto", int())]),
            returns: || Some(int()),
            run: unread_count,
            write: false,
        },
    ]
}

fn notification_structure() -> Desc {
    single(vec![
        ("id", int()),
        ("useridfrom", int()),
        ("useridto", int()),
        ("subject", text()),
        ("shortenedsubject", text()),
        ("text", raw()),
        ("fullmessage", raw()),
        ("fullmessageformat", int()),
        ("fullmessagehtml", raw()),
        ("smallmessage", raw()),
        ("contexturl", raw()),
        ("contexturlname", text()),
        ("timecreated", int()),
        ("timecreatedpretty", text()),
        ("timeread", int()),
        ("read", boolean()),
        ("deleted", boolean()),
        ("iconurl", url()),
        ("component", text().optional()),
        ("eventtype", text().optional()),
        ("customdata", raw().optional()),
    ])
}

#[derive(Deserialize)]
struct PopupParams {
    useridto: i64,
    newestfirst: bool,
    limit: i64,
    offset: i64,
}

/// `message_popup_get_popup_notifications`'s user: 0 is the caller; another user needs
/// `moodle/site:readallmessages`; the id must be a real user's (`core_user::is_real_user()`),
/// whose record the API then loads with `MUST_EXIST`.
fn popup_target(call: &Call<'_>, useridto: i64) -> Result<i64, WsError> {
    let target = if useridto == 0 { call.userid } else { useridto };
    if target != call.userid && !call.has_capability("moodle/site:readallmessages", SYSTEM_CONTEXT)
    {
        return Err(WsError::moodle("accessdenied", "Access denied"));
    }
    if target <= 0 {
        return Err(WsError::moodle("invaliduser", "Invalid user"));
    }
    call.state.must_exist_user(target)?;
    Ok(target)
}

/// The unread counts' user: a real user's record must exist (`MUST_EXIST`), a negative id is
/// no user; then 0 or someone else needs `moodle/site:readallmessages` (0 counts nothing).
fn count_target(call: &Call<'_>, useridto: i64) -> Result<i64, WsError> {
    if useridto != 0 {
        if useridto < 0 {
            return Err(WsError::moodle("invaliduser", "Invalid user"));
        }
        call.state.must_exist_user(useridto)?;
    }
    if useridto != call.userid
        && !call.has_capability("moodle/site:readallmessages", SYSTEM_CONTEXT)
    {
        return Err(WsError::moodle("accessdenied", "Access denied"));
    }
    Ok(useridto)
}

fn get_popup_notifications(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: PopupParams = params(p)?;
    let target = popup_target(call, p.useridto)?;
    let s = &*call.state;
    let mut list: Vec<&Notification> = s
        .notifications
        .values()
        .filter(|n| n.useridto == target)
        .collect();
    // ORDER BY timecreated, timeread, id (all in the same direction).
    list.sort_by_key(|n| (n.timecreated, n.timeread, n.id));
    if p.newestfirst {
        list.reverse();
    }
    let offset = usize::try_from(p.offset.max(0)).unwrap_or(0);
    let rows = list.into_iter().skip(offset);
    let rows: Vec<&Notification> = if p.limit > 0 {
        rows.take(usize::try_from(p.limit).unwrap_or(usize::MAX))
            .collect()
    } else {
        rows.collect()
    };
    let notifications: Vec<Value> = rows.into_iter().map(|n| export(s, n, call.now)).collect();
    Ok(json!({"notifications": notifications, "unreadcount": unread(s, target)}))
}

fn unread(s: &State, userid: i64) -> usize {
    s.notifications
        .values()
        .filter(|n| n.useridto == userid && n.timeread.is_none())
        .count()
}

#[derive(Deserialize)]
struct CountParams {
    useridto: i64,
}

fn unread_count(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: CountParams = params(p)?;
    let target = count_target(call, p.useridto)?;
    Ok(json!(unread(call.state, target)))
}

/// `popup_notification::export_for_template()`.
fn export(s: &State, n: &Notification, now: i64) -> Value {
    let iconurl = notification_icon(s, n);
    json!({
        "id": n.id,
        "useridfrom": n.useridfrom,
        "useridto": n.useridto,
        "subject": n.subject,
        "shortenedsubject": shorten(&n.subject, 125),
        "text": message_text(n),
        "fullmessage": n.fullmessage,
        "fullmessageformat": n.fullmessageformat,
        "fullmessagehtml": n.fullmessagehtml,
        "smallmessage": n.smallmessage,
        "contexturl": n.contexturl,
        "contexturlname": n.contexturlname,
        "timecreated": n.timecreated,
        "timecreatedpretty": format!("{} ago", format_time(now - n.timecreated)),
        "timeread": n.timeread,
        "read": n.timeread.is_some(),
        "deleted": false,
        "iconurl": iconurl,
        "component": n.component,
        "eventtype": n.eventtype,
        "customdata": n.customdata,
    })
}

/// A notification's icon: the module's monologo, else `i/marker`.
fn notification_icon(s: &State, n: &Notification) -> String {
    if n.component.starts_with("mod_") {
        s.image_url(&n.component, "monologo")
    } else {
        s.image_url("core", "i/marker")
    }
}

/// `message_format_message_text()`: the short message (or the full text) as HTML.
fn message_text(n: &Notification) -> String {
    let (text, html) = match n.smallmessage.as_deref().filter(|s| !s.is_empty()) {
        Some(small) => (small, false),
        None if n.fullmessageformat == 1 && !n.fullmessagehtml.is_empty() => {
            (n.fullmessagehtml.as_str(), true)
        }
        None => (n.fullmessage.as_str(), false),
    };
    if html {
        return text.to_owned();
    }
    let paragraphs: Vec<String> = text
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!("<p>{}</p>", html_escape(p.trim()).replace('\n', "<br />\n")))
        .collect();
    paragraphs.join("\n")
}

/// `shorten_text($text, $ideal)` for plain text: cut at a word boundary with an ellipsis.
fn shorten(text: &str, ideal: usize) -> String {
    if text.chars().count() <= ideal {
        return text.to_owned();
    }
    let cut: String = text.chars().take(ideal - 3).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{cut}...")
}

/// `format_time()`: "4 mins 15 secs".
fn format_time(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let units = [
        (86_400 * 365, "year", "years"),
        (86_400, "day", "days"),
        (3_600, "hour", "hours"),
        (60, "min", "mins"),
        (1, "sec", "secs"),
    ];
    let mut rest = seconds;
    let mut parts = Vec::new();
    for (size, one, many) in units {
        let n = rest / size;
        rest %= size;
        if n > 0 && parts.len() < 2 {
            parts.push(format!("{n} {}", if n == 1 { one } else { many }));
        }
    }
    if parts.is_empty() {
        "now".to_owned()
    } else {
        parts.join(" ")
    }
}
