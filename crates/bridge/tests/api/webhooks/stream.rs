//! `/api/events/stream`: Moodle's events as server-sent events, filtered, resumed with
//! `Last-Event-ID`.
