//! `local_bridge`'s event outbox as the stand-in runs it: [`emit`] writes the rows Moodle's
//! observers would (the state calls [`crate::state::State::emit`] where Moodle triggers a
//! catalogue event), [`outbox`] keeps them and the request's origin, [`grades`] knows what the
//! grade events need of the gradebook, [`read`] answers `local_bridge_get_events`, and
//! [`admin`] makes the changes the stand-in has no web-service function for.

pub mod admin;
pub mod emit;
pub mod grades;
pub mod outbox;
pub mod read;

pub use admin::AdminChange;
pub use emit::Change;
pub use grades::GradeItemRef;
pub use outbox::{EventRow, Outbox, RequestOrigin};
