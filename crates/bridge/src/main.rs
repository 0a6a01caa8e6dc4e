//! `moodle-bridge`: parses the command line and runs the command (see `bridge::cli`).

use std::process::ExitCode;

use clap::Parser as _;

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
