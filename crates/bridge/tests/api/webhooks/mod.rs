//! Moodle's events to applications: subscriptions (`/api/webhooks`), deliveries from the
//! stand-in's outbox to a local receiver (signed, in order, once, across a receiver outage, a
//! killed bridge and two instances), echo suppression, refused targets, and the event stream.

mod delivery;
pub mod receiver;
mod stream;
mod subscriptions;
