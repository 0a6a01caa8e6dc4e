//! The publisher (`docs/contracts/publisher.md`, `publisher-sync.md`) against the stand-in: the
//! local store, LMS logins and
//! tokens, pushes and what they make in Moodle, re-sync, jobs, the circuit breaker, a push
//! killed mid-way and resumed, and the command line.

mod binary;
mod courses;
mod database;
pub mod helpers;
mod lms;
mod moodle_side;
mod push;
mod resilience;
mod sync;
