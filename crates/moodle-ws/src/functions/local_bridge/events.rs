//! `local_bridge_get_events` (plugin 1.2+): the events the plugin recorded after a cursor, in
//! order, those the token's user may see, each with its origin (a web-service write, which
//! service, whether through the calling token; or a browser, command-line or restore change).
//! The contract is `moodle-plugin/local_bridge/README.md`, "Events".
//!
//! A reader keeps the last [`EventPage::lastid`] and asks again from there; [`EventPage::more`]
//! says rows are already waiting. Events are returned once per cursor position, so a reader
//! that stores the cursor after handling a page sees each event once (at least once if it
//! crashes between the two).

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::client::Client;
use crate::error::{Error, Warning};
use crate::functions::{Function, lenient};

/// `local_bridge_get_events`.
pub const GET_EVENTS: Function = Function::read("local_bridge_get_events");

/// Most events one call returns (`get_events::MAX_LIMIT`).
pub const MAX_LIMIT: u32 = 500;

/// What happened, from the event's Moodle class.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// `\core\event\course_created`.
    CourseCreated,
    /// `\core\event\course_updated`.
    CourseUpdated,
    /// `\core\event\course_deleted`.
    CourseDeleted,
    /// `\core\event\course_module_created`.
    ModuleCreated,
    /// `\core\event\course_module_updated`.
    ModuleUpdated,
    /// `\core\event\course_module_deleted`.
    ModuleDeleted,
    /// `\core\event\user_enrolment_created`.
    UserEnrolled,
    /// `\core\event\user_enrolment_updated`.
    EnrolmentUpdated,
    /// `\core\event\user_enrolment_deleted`.
    UserUnenrolled,
    /// `\core\event\role_assigned`.
    RoleAssigned,
    /// `\core\event\role_unassigned`.
    RoleUnassigned,
    /// `\core\event\user_created`.
    UserCreated,
    /// `\core\event\user_updated`.
    UserUpdated,
    /// `\core\event\user_deleted`.
    UserDeleted,
    /// `\mod_assign\event\assessable_submitted`.
    SubmissionSubmitted,
    /// `\core\event\user_graded`.
    UserGraded,
    /// `\mod_quiz\event\attempt_submitted`.
    QuizAttemptSubmitted,
    /// `\mod_quiz\event\attempt_graded` (Moodle 5.0+).
    QuizAttemptGraded,
    /// An event class a newer plugin records.
    Other(String),
}

/// The event classes of [`EventKind`], in its order.
const CLASSES: [(&str, EventKind); 18] = [
    ("\\core\\event\\course_created", EventKind::CourseCreated),
    ("\\core\\event\\course_updated", EventKind::CourseUpdated),
    ("\\core\\event\\course_deleted", EventKind::CourseDeleted),
    (
        "\\core\\event\\course_module_created",
        EventKind::ModuleCreated,
    ),
    (
        "\\core\\event\\course_module_updated",
        EventKind::ModuleUpdated,
    ),
    (
        "\\core\\event\\course_module_deleted",
        EventKind::ModuleDeleted,
    ),
    (
        "\\core\\event\\user_enrolment_created",
        EventKind::UserEnrolled,
    ),
    (
        "\\core\\event\\user_enrolment_updated",
        EventKind::EnrolmentUpdated,
    ),
    (
        "\\core\\event\\user_enrolment_deleted",
        EventKind::UserUnenrolled,
    ),
    ("\\core\\event\\role_assigned", EventKind::RoleAssigned),
    ("\\core\\event\\role_unassigned", EventKind::RoleUnassigned),
    ("\\core\\event\\user_created", EventKind::UserCreated),
    ("\\core\\event\\user_updated", EventKind::UserUpdated),
    ("\\core\\event\\user_deleted", EventKind::UserDeleted),
    (
        "\\mod_assign\\event\\assessable_submitted",
        EventKind::SubmissionSubmitted,
    ),
    ("\\core\\event\\user_graded", EventKind::UserGraded),
    (
        "\\mod_quiz\\event\\attempt_submitted",
        EventKind::QuizAttemptSubmitted,
    ),
    (
        "\\mod_quiz\\event\\attempt_graded",
        EventKind::QuizAttemptGraded,
    ),
];

impl EventKind {
    /// The kind of a Moodle event class name.
    pub fn from_eventname(eventname: &str) -> EventKind {
        CLASSES
            .iter()
            .find(|(name, _)| *name == eventname)
            .map_or_else(
                || EventKind::Other(eventname.to_owned()),
                |(_, k)| k.clone(),
            )
    }

    /// The Moodle event class name.
    pub fn eventname(&self) -> &str {
        match self {
            EventKind::Other(name) => name,
            kind => CLASSES
                .iter()
                .find(|(_, k)| k == kind)
                .map_or("", |(name, _)| name),
        }
    }
}

/// Where a change came from (the standard log's `origin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// A web-service request (`ws`): see [`Event::service`] and [`Event::viacallertoken`].
    #[serde(rename = "ws")]
    WebService,
    /// A browser request, AJAX included (`web`).
    Web,
    /// A command-line script or cron task (`cli`), adhoc tasks a web-service call queued
    /// included.
    Cli,
    /// A course restore (`restore`).
    Restore,
    /// Something a newer Moodle reports.
    #[serde(other)]
    Unknown,
}

/// One recorded event.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Event {
    /// Increasing: the cursor.
    #[serde(deserialize_with = "lenient::int")]
    pub id: i64,
    /// Moodle's event class, e.g. `\core\event\course_created`; see [`Event::kind`].
    #[serde(deserialize_with = "lenient::string")]
    pub eventname: String,
    /// Id of the object in its table (course, course module, user enrolment, role, user,
    /// submission, grade, quiz attempt).
    #[serde(default, deserialize_with = "lenient::int")]
    pub objectid: i64,
    /// Course (0 above course level).
    #[serde(default, deserialize_with = "lenient::int")]
    pub courseid: i64,
    /// Context (it may be gone since).
    #[serde(default, deserialize_with = "lenient::int")]
    pub contextid: i64,
    /// Context level (50 course, 70 activity, 30 user, 40 category, 10 system).
    #[serde(default, deserialize_with = "lenient::int")]
    pub contextlevel: i64,
    /// Id of the context's object (the course module id for activities).
    #[serde(default, deserialize_with = "lenient::int")]
    pub contextinstanceid: i64,
    /// Who acted (0: nobody logged in, -1: the system, e.g. a course total recomputed).
    #[serde(default, deserialize_with = "lenient::int")]
    pub userid: i64,
    /// The user it concerns (0: none).
    #[serde(default, deserialize_with = "lenient::int")]
    pub relateduserid: i64,
    /// When it happened (Unix seconds).
    #[serde(default, deserialize_with = "lenient::int")]
    pub timecreated: i64,
    /// Where the change came from.
    pub origin: Origin,
    /// Short name of the web service the change came through (`""` when none).
    #[serde(default, deserialize_with = "lenient::string")]
    pub service: String,
    /// The change came through the very token that read it: the reader's own write.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub viacallertoken: bool,
    /// The event's data (the plugin's JSON object; see [`Event::data`]).
    #[serde(default, deserialize_with = "json_object")]
    pub other: Map<String, Value>,
}

/// The typed data of an event.
#[derive(Debug, Clone, PartialEq)]
pub enum EventData {
    /// Course events: the course's names (after the change; before it for a deletion).
    Course {
        /// Full name.
        fullname: String,
        /// Short name.
        shortname: String,
    },
    /// Activity events.
    Module {
        /// `page`, `quiz`, …
        modulename: String,
        /// Id in the module's table.
        instanceid: i64,
        /// Name (absent for a deletion).
        name: Option<String>,
    },
    /// Enrolment events: the enrolment method (`manual`, `self`, …).
    Enrolment {
        /// The enrolment plugin.
        enrol: String,
    },
    /// Role events; the role id is [`Event::objectid`].
    Role {
        /// `role_assignments.id`.
        assignmentid: i64,
        /// The role's short name (`student`, `editingteacher`, …).
        roleshortname: String,
        /// The component that made the assignment (`""`: by hand or a manual enrolment).
        component: String,
    },
    /// A submission: whether it can still be edited (`false` after "submit for grading").
    Submission {
        /// `submission_editable`.
        editable: bool,
    },
    /// A grade written to the gradebook.
    Grade {
        /// `grade_items.id`.
        itemid: i64,
        /// `mod`, `manual`, `course`, `category`.
        itemtype: String,
        /// The module of a `mod` item (`assign`, `quiz`, `lti`), else `""`.
        itemmodule: String,
        /// The module instance (the course for a course total).
        iteminstance: i64,
        /// The final grade, `None` when removed.
        finalgrade: Option<f64>,
    },
    /// A quiz attempt; the attempt id is [`Event::objectid`].
    QuizAttempt {
        /// `quiz.id`.
        quizid: i64,
    },
    /// User events carry no data (no username or e-mail goes out); so do unknown kinds.
    None,
}

impl Event {
    /// What happened.
    pub fn kind(&self) -> EventKind {
        EventKind::from_eventname(&self.eventname)
    }

    /// The event's data, typed by its kind.
    pub fn data(&self) -> EventData {
        let o = &self.other;
        let s = |k: &str| {
            o.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let i = |k: &str| o.get(k).and_then(Value::as_i64).unwrap_or_default();
        match self.kind() {
            EventKind::CourseCreated | EventKind::CourseUpdated | EventKind::CourseDeleted => {
                EventData::Course {
                    fullname: s("fullname"),
                    shortname: s("shortname"),
                }
            }
            EventKind::ModuleCreated | EventKind::ModuleUpdated | EventKind::ModuleDeleted => {
                EventData::Module {
                    modulename: s("modulename"),
                    instanceid: i("instanceid"),
                    name: o.get("name").and_then(Value::as_str).map(str::to_owned),
                }
            }
            EventKind::UserEnrolled | EventKind::EnrolmentUpdated | EventKind::UserUnenrolled => {
                EventData::Enrolment { enrol: s("enrol") }
            }
            EventKind::RoleAssigned | EventKind::RoleUnassigned => EventData::Role {
                assignmentid: i("id"),
                roleshortname: s("roleshortname"),
                component: s("component"),
            },
            EventKind::SubmissionSubmitted => EventData::Submission {
                editable: o
                    .get("submission_editable")
                    .and_then(Value::as_bool)
                    .unwrap_or_default(),
            },
            EventKind::UserGraded => EventData::Grade {
                itemid: i("itemid"),
                itemtype: s("itemtype"),
                itemmodule: s("itemmodule"),
                iteminstance: i("iteminstance"),
                finalgrade: o.get("finalgrade").and_then(Value::as_f64),
            },
            EventKind::QuizAttemptSubmitted | EventKind::QuizAttemptGraded => {
                EventData::QuizAttempt {
                    quizid: i("quizid"),
                }
            }
            _ => EventData::None,
        }
    }
}

/// One answer of `local_bridge_get_events`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EventPage {
    /// The events after the cursor the caller may see, in id order.
    #[serde(default, deserialize_with = "lenient::list")]
    pub events: Vec<Event>,
    /// The cursor to ask from next: the last id read, visible to the caller or not.
    #[serde(deserialize_with = "lenient::int")]
    pub lastid: i64,
    /// More events are already waiting after [`EventPage::lastid`]: ask again now.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub more: bool,
    /// The highest id recorded so far (for lag: `newestid - lastid`).
    #[serde(default, deserialize_with = "lenient::int")]
    pub newestid: i64,
    /// `eventspurged` when events after the cursor were deleted unread.
    #[serde(default, deserialize_with = "lenient::list")]
    pub warnings: Vec<Warning>,
}

impl EventPage {
    /// The highest id the retention deleted before this reader saw it, when its cursor fell
    /// behind (the `eventspurged` warning).
    pub fn purged_through(&self) -> Option<i64> {
        self.warnings
            .iter()
            .find(|w| w.warningcode == "eventspurged")
            .and_then(|w| w.itemid)
    }
}

/// `other`: a JSON object sent as a string; anything else is no data.
fn json_object<'de, D: Deserializer<'de>>(d: D) -> Result<Map<String, Value>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => match serde_json::from_str(&s) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        },
        Value::Object(map) => map,
        _ => Map::new(),
    })
}

#[derive(serde::Serialize)]
struct Params {
    afterid: i64,
    limit: u32,
}

impl Client {
    /// The events after `after_id` (0: from the oldest kept), at most `limit` (1 to
    /// [`MAX_LIMIT`]). A read: retried on transport failures.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a limit out of range or a negative cursor, before any
    /// request; `accessexception` when the function is not in the token's service,
    /// `invalidrecord` on a site whose plugin is older than 1.2.
    ///
    /// # Example
    /// ```no_run
    /// # async fn run(client: moodle_ws::Client) -> Result<(), moodle_ws::Error> {
    /// let mut cursor = 0;
    /// loop {
    ///     let page = client.get_events(cursor, 100).await?;
    ///     for event in &page.events {
    ///         println!("{} {:?} {:?}", event.id, event.kind(), event.data());
    ///     }
    ///     cursor = page.lastid;
    ///     if !page.more {
    ///         break;
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_events(&self, after_id: i64, limit: u32) -> Result<EventPage, Error> {
        if !(1..=MAX_LIMIT).contains(&limit) || after_id < 0 {
            return Err(Error::InvalidRequest {
                reason: format!(
                    "get_events: limit must be 1 to {MAX_LIMIT} and after_id 0 or more (got {limit}, {after_id})"
                ),
            });
        }
        self.call(
            GET_EVENTS,
            &Params {
                afterid: after_id,
                limit,
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_kinds_round_trip_their_class_names_and_keep_unknown_ones() {
        for (name, kind) in &CLASSES {
            assert_eq!(&EventKind::from_eventname(name), kind);
            assert_eq!(kind.eventname(), *name);
        }
        let other = EventKind::from_eventname("\\core\\event\\group_created");
        assert_eq!(other.eventname(), "\\core\\event\\group_created");
    }

    #[test]
    fn an_event_decodes_with_its_data_from_the_json_string() {
        let event: Event = serde_json::from_value(serde_json::json!({
            "id": 7, "eventname": "\\core\\event\\user_graded", "objectid": 3, "courseid": 2,
            "contextid": 13, "contextlevel": 50, "contextinstanceid": 2, "userid": -1,
            "relateduserid": 5, "timecreated": 1, "origin": "ws", "service": "bridge",
            "viacallertoken": false,
            "other": "{\"itemid\":1,\"itemtype\":\"course\",\"itemmodule\":\"\",\"iteminstance\":2,\"finalgrade\":71}"
        }))
        .expect("decodes");
        assert_eq!(event.kind(), EventKind::UserGraded);
        assert_eq!(event.origin, Origin::WebService);
        assert_eq!(
            event.data(),
            EventData::Grade {
                itemid: 1,
                itemtype: "course".to_owned(),
                itemmodule: String::new(),
                iteminstance: 2,
                finalgrade: Some(71.0),
            }
        );
        let odd: Event = serde_json::from_value(serde_json::json!({
            "id": 8, "eventname": "\\core\\event\\user_created", "origin": "webhook", "other": "not json"
        }))
        .expect("decodes");
        assert_eq!((odd.origin, odd.data()), (Origin::Unknown, EventData::None));
    }
}
