-- Moodle events for applications (issue 15): every event the bridge read from a Moodle site's
-- outbox (local_bridge_get_events), normalised, once. Its id orders all events of all sites
-- and is the cursor of the event stream (Last-Event-ID) and of replays.
CREATE TABLE moodle_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The LMS site it came from (LMS_SITES name; `default` is MOODLE_BASE_URL).
    site TEXT NOT NULL,
    -- The id of the row in the site's outbox: what was read up to.
    moodle_id BIGINT NOT NULL,
    -- The normalised type (`course.created`, `enrolment.created`, …).
    event_type TEXT NOT NULL,
    -- Unix milliseconds, when the bridge stored it (retention and replays by time count
    -- from it; when it happened in Moodle is in the payload).
    stored_at_ms BIGINT NOT NULL,
    course_id BIGINT,
    user_id BIGINT,
    -- `bridge` when one of the bridge's own writes caused it, else `moodle`.
    origin TEXT NOT NULL,
    -- The normalised event as delivered (JSON).
    payload TEXT NOT NULL,
    UNIQUE (site, moodle_id)
);
CREATE INDEX moodle_events_stored ON moodle_events (stored_at_ms);
