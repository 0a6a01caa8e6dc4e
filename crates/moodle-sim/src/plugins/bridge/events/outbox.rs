//! The stand-in's event outbox (`local_bridge_events`): the published rows, in id order, the
//! purge and the reader's walk over them (`outbox::settled_after()`), and the origin of the
//! request in progress. Staging does not exist here: a web-service call runs on a copy of the
//! state that is kept only when it succeeds, so a failed call leaves no row, as a rolled-back
//! transaction leaves no published row on Moodle.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::state::ContextLevel;

/// Seconds a reader waits at a missing id before passing it (`outbox::HOLD`).
pub const HOLD: i64 = 10;

/// A row of `local_bridge_events`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    /// The readers' cursor.
    pub id: i64,
    /// Moodle event class, e.g. `\core\event\course_created`.
    pub eventname: &'static str,
    /// Object id.
    pub objectid: i64,
    /// Course id (0 above course level).
    pub courseid: i64,
    /// Context id.
    pub contextid: i64,
    /// Context level.
    pub contextlevel: i64,
    /// Id of the context's object.
    pub contextinstanceid: i64,
    /// Who acted (-1: the system).
    pub userid: i64,
    /// The user it concerns.
    pub relateduserid: i64,
    /// The event data that goes out, in the plugin's key order.
    pub other: Map<String, Value>,
    /// `ws`, `web`, `cli` or `restore`.
    pub origin: &'static str,
    /// The token of a web-service change (the stand-in keeps the token where Moodle keeps
    /// `external_tokens.id`; it is compared, never returned).
    pub token: Option<String>,
    /// Short name of that token's service.
    pub service: String,
    /// When it happened.
    pub timecreated: i64,
    /// When it was published.
    pub timeadded: i64,
}

/// Where the request in progress comes from (`origin::current()` and `$USER`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestOrigin {
    /// `ws`, `web`, `cli` or `restore`.
    pub origin: &'static str,
    /// The web-service token, for `ws`.
    pub token: Option<String>,
    /// Its service's short name.
    pub service: String,
    /// `$USER->id` (0: nobody logged in).
    pub userid: i64,
}

impl Default for RequestOrigin {
    /// A browser request by nobody logged in (LTI service calls, public pages).
    fn default() -> Self {
        RequestOrigin {
            origin: "web",
            token: None,
            service: String::new(),
            userid: 0,
        }
    }
}

/// The outbox and what the emitter needs of the gradebook.
#[derive(Debug, Clone, Default)]
pub struct Outbox {
    /// Published rows, by id.
    pub rows: BTreeMap<i64, EventRow>,
    /// The last id given.
    pub last_id: i64,
    /// `local_bridge/purgedthrough`: the highest id the purge deleted.
    pub purged_through: i64,
    /// The request in progress.
    pub request: RequestOrigin,
    /// Grade items the stand-in does not keep elsewhere (assignments, course totals): (itemtype,
    /// module, instance) → `grade_items.id`.
    pub grade_items: BTreeMap<(&'static str, &'static str, i64), i64>,
    /// `grade_grades.id` by (item, user).
    pub grade_grades: BTreeMap<(i64, i64), i64>,
}

impl Outbox {
    /// Publishes a row: the next id, the request's origin, the time.
    pub fn publish(&mut self, mut row: EventRow, now: i64) {
        self.last_id += 1;
        row.id = self.last_id;
        row.origin = self.request.origin;
        row.token.clone_from(&self.request.token);
        row.service.clone_from(&self.request.service);
        row.timecreated = now;
        row.timeadded = now;
        self.rows.insert(row.id, row);
    }

    /// A web-service request by a token's user starts (`webservice_function_called`).
    pub fn begin_ws(&mut self, token: &str, service: &str, userid: i64) {
        self.request = RequestOrigin {
            origin: "ws",
            token: Some(token.to_owned()),
            service: service.to_owned(),
            userid,
        };
    }

    /// A browser request by a logged-in user, or a command-line script run as a user.
    pub fn begin(&mut self, origin: &'static str, userid: i64) {
        self.request = RequestOrigin {
            origin,
            userid,
            ..RequestOrigin::default()
        };
    }

    /// The request ended: what follows is a browser request by nobody until told otherwise.
    pub fn end_request(&mut self) {
        self.request = RequestOrigin::default();
    }

    /// `outbox::purge()`: deletes the rows added before a time; how many.
    pub fn purge(&mut self, before: i64) -> usize {
        let Some(maxid) = self
            .rows
            .values()
            .filter(|r| r.timeadded < before)
            .map(|r| r.id)
            .max()
        else {
            return 0;
        };
        let count = self.rows.range(..=maxid).count();
        self.rows = self.rows.split_off(&(maxid + 1));
        self.purged_through = self.purged_through.max(maxid);
        count
    }

    /// `outbox::newest_id()`.
    pub fn newest_id(&self) -> i64 {
        self.rows
            .keys()
            .next_back()
            .copied()
            .unwrap_or(0)
            .max(self.purged_through)
    }

    /// `outbox::settled_after()`: the rows after a cursor a reader may pass, and whether it
    /// stopped at a missing id whose next row is younger than [`HOLD`] (not before the first
    /// row for a reader starting from 0).
    pub fn settled_after(&self, afterid: i64, max: usize, now: i64) -> (Vec<&EventRow>, bool) {
        let mut previous = afterid;
        let mut settled = Vec::new();
        for row in self
            .rows
            .range(afterid.saturating_add(1)..)
            .map(|(_, r)| r)
            .take(max)
        {
            // A reader starting from 0 does not wait for ids before the first row.
            let missing = row.id > previous + 1 && !(previous == 0 && settled.is_empty());
            if missing && row.id - 1 > self.purged_through && row.timeadded > now - HOLD {
                return (settled, true);
            }
            settled.push(row);
            previous = row.id;
        }
        (settled, false)
    }
}

/// An outbox row before it is published: `at` is (course, context, level, instance).
pub(super) fn row(
    eventname: &'static str,
    objectid: i64,
    (courseid, contextid, level, instanceid): (i64, i64, ContextLevel, i64),
    userid: i64,
    relateduserid: i64,
    other: Value,
) -> EventRow {
    EventRow {
        id: 0,
        eventname,
        objectid,
        courseid,
        contextid,
        contextlevel: level as i64,
        contextinstanceid: instanceid,
        userid,
        relateduserid,
        other: match other {
            Value::Object(map) => map,
            _ => Map::new(),
        },
        origin: "web",
        token: None,
        service: String::new(),
        timecreated: 0,
        timeadded: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, timeadded: i64) -> EventRow {
        EventRow {
            id,
            eventname: "\\core\\event\\course_created",
            objectid: 0,
            courseid: 0,
            contextid: 0,
            contextlevel: 50,
            contextinstanceid: 0,
            userid: 2,
            relateduserid: 0,
            other: Map::new(),
            origin: "ws",
            token: None,
            service: String::new(),
            timecreated: timeadded,
            timeadded,
        }
    }

    #[test]
    fn a_reader_waits_at_a_missing_id_until_the_next_row_is_older_than_the_hold() {
        let mut outbox = Outbox::default();
        for (id, t) in [(1, 100), (2, 100), (4, 105)] {
            outbox.rows.insert(id, row(id, t));
        }
        let (rows, held) = outbox.settled_after(0, 10, 106);
        assert_eq!(
            (rows.iter().map(|r| r.id).collect::<Vec<_>>(), held),
            (vec![1, 2], true)
        );
        let (rows, held) = outbox.settled_after(0, 10, 105 + HOLD);
        assert_eq!(
            (rows.iter().map(|r| r.id).collect::<Vec<_>>(), held),
            (vec![1, 2, 4], false)
        );
    }

    #[test]
    fn a_reader_from_zero_does_not_wait_for_ids_before_the_first_row() {
        let mut outbox = Outbox::default();
        outbox.rows.insert(5, row(5, 100));
        let (rows, held) = outbox.settled_after(0, 10, 101);
        assert_eq!(
            (rows.iter().map(|r| r.id).collect::<Vec<_>>(), held),
            (vec![5], false)
        );
        let (rows, held) = outbox.settled_after(2, 10, 101);
        assert_eq!(
            (rows.len(), held),
            (0, true),
            "a reader at 2 waits for 3 and 4"
        );
    }

    #[test]
    fn purged_ids_are_not_waited_for_and_newest_id_remembers_them() {
        let mut outbox = Outbox::default();
        for (id, t) in [(1, 100), (2, 200), (3, 300)] {
            outbox.rows.insert(id, row(id, t));
        }
        outbox.last_id = 3;
        assert_eq!(outbox.purge(250), 2);
        assert_eq!(outbox.purged_through, 2);
        let (rows, held) = outbox.settled_after(0, 10, 301);
        assert_eq!(
            (rows.iter().map(|r| r.id).collect::<Vec<_>>(), held),
            (vec![3], false)
        );
        assert_eq!(outbox.purge(1000), 1);
        assert_eq!(outbox.newest_id(), 3);
    }
}
