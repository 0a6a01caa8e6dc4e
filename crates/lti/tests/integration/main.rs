//! The lti crate against a stand-in Moodle 4.5 platform on loopback HTTP: the launch attack
//! suite (fixture folders), login-to-launch flows, the platform key cache, access tokens and
//! AGS, NRPS paging, and dynamic registration.

mod ags;
mod helpers;
mod jwks;
mod launch_fixtures;
mod launch_flow;
mod nrps;
mod registration;
mod seams;
mod stub;
