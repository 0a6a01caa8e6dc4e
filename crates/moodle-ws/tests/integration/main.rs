//! The client against the Moodle stand-in (`moodle_sim::Sim`) over loopback HTTP: typed
//! functions, every error variant, every injected fault, retries, the circuit breaker,
//! token login, streamed upload and download, and secrets; and the transport itself (HTTPS,
//! HTTP/2, proxies) against small servers of its own.

mod breaker;
mod faults;
mod files;
mod functions;
mod helpers;
mod login;
mod rest;
mod secrets;
mod transport;
