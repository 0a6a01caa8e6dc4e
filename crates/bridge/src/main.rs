//! `moodle-bridge`: parses the command line and runs the command (see `bridge::cli`).

use std::process::ExitCode;

use clap::Parser as _;

/// mimalloc: faster than glibc's malloc for the many small, short-lived allocations of a
/// request (`scripts/bench-gateway`, `scripts/bench-lti`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // The TLS provider of clients this crate does not build itself (object_store's S3 client).
    let _ = rustls::crypto::ring::default_provider().install_default();
    match bridge::cli::run(bridge::cli::Cli::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("moodle-bridge: {e:#}");
            ExitCode::FAILURE
        }
    }
}
