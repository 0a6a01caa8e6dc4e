//! How a test of this workspace that cannot run says so. A skip is never silent: one line on
//! standard error and, when `TEST_SKIP_LOG` names a file (`scripts/test` sets it), one line
//! there, which `scripts/test` prints in its summary at the end of the run. With `CI=true`, a
//! missing dependency that `.ci/run` installs is a failure instead of a skip.

use std::io::Write as _;

/// Whether a missing dependency may be skipped anywhere, or only outside CI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dependency {
    /// Something `.ci/run` installs or starts (PostgreSQL, the S3 stand-in, php-cli,
    /// Chromium): missing in CI means the run is broken.
    InstalledByCi,
    /// Something no CI run has (a real Moodle site): always a skip.
    OptIn,
}

/// Records that `what` could not run because of `why`.
///
/// # Panics
/// With `CI=true` and a [`Dependency::InstalledByCi`]: a CI run must run every test it can.
pub fn skip(what: &str, why: &str, dependency: Dependency) {
    let line = format!("skipped: {what} ({why})");
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(
        !(in_ci && dependency == Dependency::InstalledByCi),
        "{line}: required with CI=true (.ci/run installs it)"
    );
    eprintln!("{line}");
    if let Some(path) = std::env::var_os("TEST_SKIP_LOG")
        && let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
    {
        let _ = writeln!(file, "{line}");
    }
}
