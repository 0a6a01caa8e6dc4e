//! The query strings of the webhook routes: a page of deliveries, and which events a stream
//! sends.

use serde::Deserialize;
use utoipa::IntoParams;

/// Which deliveries to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesQuery {
    /// Only deliveries of events before this one (`evt_…`): the next page.
    pub before: Option<String>,
    /// At most this many (default 50, at most 500).
    pub limit: Option<i64>,
}

/// Which events a stream sends.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    /// Types, comma-separated (`course.*,grade.updated`; default every type).
    pub types: Option<String>,
    /// Only this course's events.
    pub course_id: Option<i64>,
    /// Also events the bridge's own writes caused (default false).
    pub include_bridge_events: Option<bool>,
    /// Start after this event (`evt_…`); the `Last-Event-ID` header wins. Without either,
    /// the stream starts with the next event.
    pub after: Option<String>,
}
