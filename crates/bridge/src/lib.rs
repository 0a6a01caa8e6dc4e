#![doc = include_str!("../README.md")]
//!
//! Module map: `config` (settings from the environment), `app` (assembly, serving),
//! `http` (routes, layers, handlers), `gateway` (the gateway's operations), `auth` (bearer
//! tokens, scopes, rate limit), `audit` (who changed what), `db` (pool, migrations), `storage` (files), `crypto` (secrets at rest), `tls` (HTTPS served directly),
//! `health` (readiness), `metrics`, `telemetry` (logging), `token_login` (token login's
//! bridge side), the publisher (`courses` local store, `lms` sites and
//! sessions, `publish` pushes, `jobs` persisted work), `scopes` (what a token may do),
//! `state` (what every handler reaches), `streams` (bounds on event streams), `cli` (commands,
//! with `cli::demo` and `cli::check`).
//! What each part keeps compatible with the applications written for its original
//! requirements: `docs/contracts/`.

pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod courses;
pub mod crypto;
pub mod db;
pub mod file_manager;
pub mod gateway;
pub mod health;
pub mod html;
pub mod http;
pub mod jobs;
pub mod lms;
pub mod lti_store;
pub mod lti_tool;
pub mod metrics;
pub mod moodle;
pub mod publish;
pub mod scopes;
pub mod state;
pub mod storage;
pub mod streams;
pub mod telemetry;
pub mod tls;
pub mod token_login;
pub mod webhooks;
