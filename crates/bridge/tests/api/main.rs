//! The bridge over HTTP against the Moodle stand-in (`moodle_sim::Sim`): every route, every
//! Moodle error a route can meet, injected faults, authentication and scopes, CORS, bodies,
//! operations routes, the audit log, logs, and the binary's configuration errors; the
//! publisher in `publish/`.

mod audit;
mod auth;
mod binary;
mod env_example;
mod errors;
mod fault_suite;
mod faults;
mod fuzz;
mod helpers;
mod http;
mod limits;
mod lti;
mod operations;
mod publish;
mod real_moodle;
mod routes;
mod schema;
mod security;
mod tls;
mod token_login;
mod tokens;
mod webhooks;
