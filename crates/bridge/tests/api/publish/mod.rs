//! The publisher (`docs/contracts/publisher.md`, `publisher-sync.md`) against the stand-in: the
//! local store, LMS logins and
//! tokens, pushes and what they make in Moodle, re-sync, jobs, the circuit breaker, a push
//! killed mid-way and resumed, and the command line.

mod auto;
mod batch;
mod binary;
mod courses;
mod database;
mod deletes;
mod enrol;
pub mod helpers;
mod inline;
mod lms;
mod moodle_side;
mod push;
mod quiz;
mod resilience;
mod sync;
