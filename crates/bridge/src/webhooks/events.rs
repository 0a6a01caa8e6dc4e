//! Moodle's events in one shape for applications: the catalogue (which Moodle event becomes
//! which type), and [`Event`], what a webhook delivers and the event stream sends:
//! `{id, type, occurred_at, site, course_id?, user_id?, object, origin, moodle}`.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

/// The catalogue: Moodle's event class, the type applications see, and the Moodle table of
/// the changed object (`object.kind`).
pub const CATALOGUE: [(&str, &str, &str); 18] = [
    ("\\core\\event\\course_created", "course.created", "course"),
    ("\\core\\event\\course_updated", "course.updated", "course"),
    ("\\core\\event\\course_deleted", "course.deleted", "course"),
    (
        "\\core\\event\\course_module_created",
        "course_module.created",
        "course_modules",
    ),
    (
        "\\core\\event\\course_module_updated",
        "course_module.updated",
        "course_modules",
    ),
    (
        "\\core\\event\\course_module_deleted",
        "course_module.deleted",
        "course_modules",
    ),
    (
        "\\core\\event\\user_enrolment_created",
        "enrolment.created",
        "user_enrolments",
    ),
    (
        "\\core\\event\\user_enrolment_updated",
        "enrolment.updated",
        "user_enrolments",
    ),
    (
        "\\core\\event\\user_enrolment_deleted",
        "enrolment.deleted",
        "user_enrolments",
    ),
    ("\\core\\event\\role_assigned", "role.assigned", "role"),
    ("\\core\\event\\role_unassigned", "role.unassigned", "role"),
    ("\\core\\event\\user_created", "user.created", "user"),
    ("\\core\\event\\user_updated", "user.updated", "user"),
    ("\\core\\event\\user_deleted", "user.deleted", "user"),
    (
        "\\mod_assign\\event\\assessable_submitted",
        "submission.submitted",
        "assign_submission",
    ),
    (
        "\\core\\event\\user_graded",
        "grade.updated",
        "grade_grades",
    ),
    (
        "\\mod_quiz\\event\\attempt_submitted",
        "quiz_attempt.submitted",
        "quiz_attempts",
    ),
    // Moodle 5.0 and later: the attempt is graded after it is submitted (MDL-68806).
    (
        "\\mod_quiz\\event\\attempt_graded",
        "quiz_attempt.graded",
        "quiz_attempts",
    ),
];

/// The type and object table of a Moodle event class, when the catalogue has it.
pub fn event_type(eventname: &str) -> Option<(&'static str, &'static str)> {
    let name = format!("\\{}", eventname.trim_start_matches('\\'));
    CATALOGUE
        .iter()
        .find(|(moodle, _, _)| *moodle == name)
        .map(|(_, t, table)| (*t, *table))
}

/// Whether `t` is a type of the catalogue.
pub fn is_known_type(t: &str) -> bool {
    CATALOGUE.iter().any(|(_, known, _)| *known == t)
}

/// Whether a subscription's (or a stream's) type — `*`, a group `course.*` or a type —
/// takes type `t`.
pub fn type_matches(wanted: &str, t: &str) -> bool {
    wanted == "*"
        || wanted == t
        || wanted
            .strip_suffix(".*")
            .is_some_and(|group| t.split_once('.').is_some_and(|(g, _)| g == group))
}

/// Whether an event goes to a subscription or stream of these `types`, this course (if
/// any) and with or without the bridge's own events.
pub fn selects(types: &[String], course_id: Option<i64>, include_bridge: bool, e: &Event) -> bool {
    types.iter().any(|t| type_matches(t, &e.event_type))
        && course_id.is_none_or(|c| e.course_id == Some(c))
        && (include_bridge || e.origin != Origin::Bridge)
}

/// Who caused an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Something in Moodle (a person in the browser, a task, another web-service client).
    Moodle,
    /// One of the bridge's own writes (its gateway, publisher or file manager).
    Bridge,
}

impl Origin {
    /// Its name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Moodle => "moodle",
            Origin::Bridge => "bridge",
        }
    }
}

/// One row of a site's outbox, as `local_bridge_get_events` answers it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    /// The outbox id (increasing).
    pub id: i64,
    /// Moodle's event class (`\core\event\course_created`).
    pub eventname: String,
    /// The changed record's id (0: none).
    pub objectid: i64,
    /// The course (0 above course level).
    pub courseid: i64,
    /// The context.
    pub contextid: i64,
    /// Who acted (0 none, −1 the system).
    pub userid: i64,
    /// Whom it concerns (the enrolled, graded, submitting user; 0 none).
    pub relateduserid: i64,
    /// When (Unix seconds).
    pub timecreated: i64,
    /// How the change came: `ws`, `web`, `cli` or `restore`.
    pub channel: String,
    /// Whether it came through the bridge's own token (the one reading the outbox).
    pub via_bridge: bool,
    /// The event's own data (`other`), as the plugin passes it on.
    pub other: Value,
}

/// An event as applications receive it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Event {
    /// `evt_<n>`: unique, the same on every delivery of it (de-duplicate by it).
    pub id: String,
    /// The catalogue type (`course.created`, …).
    #[serde(rename = "type")]
    pub event_type: String,
    /// When it happened in Moodle (RFC 3339).
    pub occurred_at: String,
    /// The Moodle site (`default`, or an `LMS_SITES` name).
    pub site: String,
    /// The course it happened in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub course_id: Option<i64>,
    /// The user it concerns (the enrolled, graded or submitting user; the actor otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    /// What changed: `{kind, id, …}` (`kind` is Moodle's table).
    #[schema(value_type = Object)]
    pub object: Value,
    /// `bridge` when one of the bridge's own writes caused it, else `moodle`.
    pub origin: Origin,
    /// Moodle's own terms: `{eventname, objectid, contextid, userid, relateduserid, other}`.
    #[schema(value_type = Object)]
    pub moodle: Value,
}

/// The stream id of event number `n`.
pub fn event_id(n: i64) -> String {
    format!("evt_{n}")
}

/// The number of a stream id (`evt_12` or `12`).
pub fn event_number(id: &str) -> Option<i64> {
    id.trim()
        .strip_prefix("evt_")
        .unwrap_or(id.trim())
        .parse()
        .ok()
}

/// A row as an application sees it, numbered `n`; `None` for an event outside the catalogue.
pub fn normalise(site: &str, n: i64, row: &OutboxRow) -> Option<Event> {
    let (event_type, table) = event_type(&row.eventname)?;
    let mut object = json!({ "kind": table, "id": row.objectid });
    if let (Some(obj), Some(other)) = (object.as_object_mut(), row.other.as_object()) {
        for (k, v) in other {
            obj.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let concerned = if row.relateduserid > 0 {
        row.relateduserid
    } else {
        row.userid
    };
    Some(Event {
        id: event_id(n),
        event_type: event_type.to_owned(),
        occurred_at: crate::publish::status::rfc3339(row.timecreated.saturating_mul(1000)),
        site: site.to_owned(),
        course_id: Some(row.courseid).filter(|c| *c > 0),
        user_id: Some(concerned).filter(|u| *u > 0),
        object,
        origin: if row.via_bridge {
            Origin::Bridge
        } else {
            Origin::Moodle
        },
        moodle: json!({
            "eventname": row.eventname,
            "outbox_id": row.id,
            "objectid": row.objectid,
            "courseid": row.courseid,
            "contextid": row.contextid,
            "userid": row.userid,
            "relateduserid": row.relateduserid,
            "origin": row.channel,
            "other": row.other,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(eventname: &str) -> OutboxRow {
        OutboxRow {
            id: 41,
            eventname: eventname.to_owned(),
            objectid: 7,
            courseid: 2,
            contextid: 25,
            userid: 3,
            relateduserid: 4,
            timecreated: 1_780_000_000,
            channel: "ws".to_owned(),
            via_bridge: true,
            other: json!({"enrol": "manual"}),
        }
    }

    #[test]
    fn a_catalogue_event_becomes_the_shape_applications_get() {
        let e = normalise("default", 12, &row("\\core\\event\\user_enrolment_created"))
            .expect("in the catalogue");
        assert_eq!(e.id, "evt_12");
        assert_eq!(e.event_type, "enrolment.created");
        assert_eq!((e.course_id, e.user_id), (Some(2), Some(4)));
        assert_eq!(
            e.object,
            json!({"kind": "user_enrolments", "id": 7, "enrol": "manual"})
        );
        assert_eq!(e.origin, Origin::Bridge);
        assert_eq!(e.moodle["outbox_id"], 41);
        assert!(e.occurred_at.starts_with("2026-"), "{}", e.occurred_at);
        // Moodle's class names come with or without the leading backslash.
        assert!(normalise("default", 1, &row("core\\event\\course_created")).is_some());
    }

    #[test]
    fn events_outside_the_catalogue_are_left_out() {
        assert!(normalise("default", 1, &row("\\core\\event\\user_loggedin")).is_none());
        assert_eq!(event_number("evt_12"), Some(12));
        assert_eq!(event_number("12"), Some(12));
        assert_eq!(event_number("x"), None);
        assert!(is_known_type("grade.updated") && !is_known_type("grade.deleted"));
    }
}
