#![doc = include_str!("../README.md")]
//!
//! Module map: `client` (Client, ClientBuilder, the REST call), `answer` (an answer kept
//! as JSON text), `encode` (bracket
//! notation), `decode` (answers to values or errors), `error`, `retry`, `breaker`,
//! `transport` (attempts and the retry loop), `rest_http` (the REST calls' hyper client),
//! `observe` (a metrics hook), `secret`, `tls`, `login`, `upload`, `download`, and
//! `functions/` (typed functions, one file per Moodle area).

mod answer;
mod breaker;
mod client;
mod decode;
pub mod download;
pub mod encode;
mod error;
pub mod functions;
pub mod login;
mod observe;
mod rest_http;
pub mod retry;
mod secret;
#[cfg(test)]
mod testdata;
pub mod tls;
mod transport;
pub mod upload;

pub use answer::JsonAnswer;
pub use breaker::{BreakerConfig, BreakerState};
pub use client::{Client, ClientBuilder, DEFAULT_MAX_ANSWER_BYTES};
pub use encode::{Params, encode};
pub use error::{DebugInfo, DecodeReason, Endpoint, Error, ErrorKind, Warning, warnings_to_error};
pub use functions::{Function, ItemWarnings, Warnings};
pub use observe::{CallObserver, CallRecord};
pub use secret::Secret;
