//! Which Moodle the stand-in answers as: 4.5 (the LTS line, the default) or 5.0. One setting
//! (`SimConfig::moodle_version`, `moodle-sim --moodle-version`), kept in `Site::moodle`; every
//! rule that differs between the two asks it, where Moodle 5.0 has the difference. It owns the
//! version strings the site reports and the variable that picks the version for a whole test
//! run ([`VERSION_ENV`]); which functions each version has is `functions.rs`'s.

use std::fmt;
use std::str::FromStr;

/// The environment variable naming the version: `moodle-sim` reads it (as
/// `--moodle-version`) and so do the bridge's tests ([`MoodleVersion::from_env`]), so one
/// `MOODLE_SIM_MOODLE_VERSION=5.0` runs a test suite against the 5.0 stand-in.
pub const VERSION_ENV: &str = "MOODLE_SIM_MOODLE_VERSION";

/// A Moodle branch the stand-in can answer as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum MoodleVersion {
    /// Moodle 4.5.6 (Build: 20250811), `$version` 2024100706: the recorded LTS site.
    #[default]
    V4_5,
    /// Moodle 5.0.6+ (Build: 20260403), `$version` 2025041406.11: the recipe's 5.0 site.
    V5_0,
}

impl MoodleVersion {
    /// Every version, oldest first.
    pub const ALL: [MoodleVersion; 2] = [MoodleVersion::V4_5, MoodleVersion::V5_0];

    /// The branch, as `--moodle-version` takes it: `4.5`, `5.0`.
    pub fn branch(self) -> &'static str {
        match self {
            MoodleVersion::V4_5 => "4.5",
            MoodleVersion::V5_0 => "5.0",
        }
    }

    /// `$CFG->release`, as `core_webservice_get_site_info` reports it.
    pub fn release(self) -> &'static str {
        match self {
            MoodleVersion::V4_5 => "4.5.6 (Build: 20250811)",
            // A weekly build: the release carries a `+` and the build date of the weekly.
            MoodleVersion::V5_0 => "5.0.6+ (Build: 20260403)",
        }
    }

    /// `$CFG->version`: an integer for a release, a decimal for a weekly build.
    pub fn version(self) -> &'static str {
        match self {
            MoodleVersion::V4_5 => "2024100706",
            MoodleVersion::V5_0 => "2025041406.11",
        }
    }

    /// Whether this is Moodle 5.0 or later.
    pub fn at_least_5_0(self) -> bool {
        self >= MoodleVersion::V5_0
    }

    /// The version [`VERSION_ENV`] names; 4.5 (the default) when it is unset or empty.
    ///
    /// # Errors
    /// When it names a version the stand-in does not have: a typo must not quietly run the
    /// tests against 4.5.
    pub fn from_env() -> Result<MoodleVersion, UnknownVersion> {
        match std::env::var(VERSION_ENV) {
            Ok(v) if !v.trim().is_empty() => v.parse(),
            Ok(_) | Err(std::env::VarError::NotPresent) => Ok(MoodleVersion::default()),
            Err(std::env::VarError::NotUnicode(v)) => {
                Err(UnknownVersion(v.to_string_lossy().into_owned()))
            }
        }
    }

    /// The version a recording was made on, from its file name: one whose name contains `5.0`
    /// (`real-moodle-5.0-courses.jsonl`) is from 5.0, any other from 4.5.
    pub fn of_recording(file_name: &str) -> MoodleVersion {
        if file_name.contains("5.0") {
            MoodleVersion::V5_0
        } else {
            MoodleVersion::V4_5
        }
    }
}

impl fmt::Display for MoodleVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.branch())
    }
}

/// A `--moodle-version` value that is not a supported branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownVersion(pub String);

impl fmt::Display for UnknownVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown Moodle version {:?} (supported: 4.5, 5.0)",
            self.0
        )
    }
}

impl std::error::Error for UnknownVersion {}

impl FromStr for MoodleVersion {
    type Err = UnknownVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MoodleVersion::ALL
            .into_iter()
            .find(|v| v.branch() == s.trim())
            .ok_or_else(|| UnknownVersion(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branches_parse_and_others_are_refused() {
        assert_eq!("4.5".parse(), Ok(MoodleVersion::V4_5));
        assert_eq!("5.0".parse(), Ok(MoodleVersion::V5_0));
        assert_eq!(
            "4.4".parse::<MoodleVersion>(),
            Err(UnknownVersion("4.4".to_owned()))
        );
    }

    #[test]
    fn a_recording_is_5_0_only_when_its_name_says_so() {
        assert_eq!(
            MoodleVersion::of_recording("real-moodle-5.0-courses.jsonl"),
            MoodleVersion::V5_0
        );
        assert_eq!(
            MoodleVersion::of_recording("real-moodle-4.5.6-courses.jsonl"),
            MoodleVersion::V4_5
        );
        assert_eq!(
            MoodleVersion::of_recording("hand-made.jsonl"),
            MoodleVersion::V4_5
        );
    }
}
