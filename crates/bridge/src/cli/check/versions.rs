//! What `check` says about the site's Moodle release and `local_bridge` version: whether the
//! bridge supports the release, what differs on it that the bridge relies on (and what the
//! bridge does about it), and which features an older `local_bridge` lacks.

use std::fmt::Write as _;

use moodle_ws::functions::site::SiteInfo;

/// The oldest Moodle the plugins and the bridge support (4.2: `core_external` classes).
const OLDEST: (u32, u32) = (4, 2);
/// The newest release line proved on a real site.
const NEWEST_PROVED: (u32, u32) = (5, 0);

/// `local_bridge` functions that came after its first release, and what lacks without them.
const PLUGIN_FEATURES: &[(&str, &str)] = &[
    (
        "local_bridge_create_modules",
        "batch pushes (one call per course instead of one per activity)",
    ),
    (
        "local_bridge_create_quiz",
        "quiz assets pushed as Moodle quizzes",
    ),
    (
        "local_bridge_get_events",
        "webhooks and the event stream (Moodle's events)",
    ),
];

/// `4.5.6+ (Build: 20250811)` → `(4, 5)`.
pub fn release_line(release: &str) -> Option<(u32, u32)> {
    let mut parts = release
        .trim()
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// The release lines and the `local_bridge` part of the report.
pub fn report(info: &SiteInfo, text: &mut String) {
    let release = info.release.as_deref().unwrap_or("");
    match release_line(release) {
        None => {
            let _ = writeln!(
                text,
                "  release:       unknown (the site did not say); the bridge supports Moodle 4.2 and later"
            );
        }
        Some(line) if line < OLDEST => {
            let _ = writeln!(
                text,
                "  release:       {}.{} is NOT supported: the plugins and the bridge need Moodle {}.{} or later",
                line.0, line.1, OLDEST.0, OLDEST.1
            );
        }
        Some(line) => {
            let support = if line > NEWEST_PROVED {
                format!(
                    "newer than the newest proved ({}.{}): run scripts/real-moodle-suite against it before relying on it",
                    NEWEST_PROVED.0, NEWEST_PROVED.1
                )
            } else if line >= (4, 5) {
                "supported, proved on a real site".to_owned()
            } else {
                "supported (the plugins declare it; the real-Moodle suite ran on 4.5 and 5.0)"
                    .to_owned()
            };
            let _ = writeln!(text, "  release:       {}.{}: {support}", line.0, line.1);
            for note in differences(line) {
                let _ = writeln!(text, "    - {note}");
            }
        }
    }
    let plugin_version = info
        .functions
        .iter()
        .find(|f| f.name.starts_with("local_bridge_"))
        .map(|f| f.version.clone());
    if let Some(version) = plugin_version {
        let lacking: Vec<&(&str, &str)> = PLUGIN_FEATURES
            .iter()
            .filter(|(f, _)| !info.functions.iter().any(|g| g.name == *f))
            .collect();
        if lacking.is_empty() {
            let _ = writeln!(
                text,
                "  local_bridge:  version {version}, every feature's function in the service"
            );
        } else {
            let _ = writeln!(
                text,
                "  local_bridge:  version {version}; without these functions in the service (upgrade the plugin, then add them):"
            );
            for (function, feature) in lacking {
                let _ = writeln!(text, "    {function:<52} for {feature}");
            }
        }
    }
}

/// What differs on a release line that the bridge relies on, and what it does about it.
fn differences(line: (u32, u32)) -> Vec<&'static str> {
    let mut notes = Vec::new();
    if line >= (5, 0) {
        notes.push("missing records are `invalidrecordunknown`: the bridge answers 404 `invalidrecord` as on 4.5");
        notes.push("subsections (mod_subsection) are on by default: course contents carry delegated sections and subsection modules (without url)");
        notes.push("question banks live in mod_qbank: quiz questions go to the quiz's own bank (local_bridge_create_quiz)");
        notes.push(
            "a quiz attempt is graded after it is submitted: events carry quiz_attempt.graded too",
        );
        notes.push("mod_chat and mod_survey are gone: nothing of the bridge uses them");
    }
    if line < (4, 5) {
        notes.push("LTI dynamic registration and the file manager were proved on 4.5 and 5.0 only");
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(release: &str, functions: &[&str]) -> SiteInfo {
        let functions: Vec<_> = functions
            .iter()
            .map(|f| serde_json::json!({"name": f, "version": "2026122000"}))
            .collect();
        serde_json::from_value(serde_json::json!({
            "sitename": "S", "siteurl": "http://s", "username": "u", "userid": 2,
            "release": release, "functions": functions,
        }))
        .expect("site info")
    }

    #[test]
    fn release_lines_are_read_from_moodles_release_strings() {
        assert_eq!(release_line("4.5.6+ (Build: 20250811)"), Some((4, 5)));
        assert_eq!(release_line("5.0.2 (Build: 20250811)"), Some((5, 0)));
        assert_eq!(release_line("5.1dev (Build: 20251001)"), Some((5, 1)));
        assert_eq!(release_line(""), None);
    }

    #[test]
    fn each_release_says_its_support_and_differences_and_an_old_plugin_its_gaps() {
        let mut text = String::new();
        report(
            &info("5.0.2 (Build: 20250811)", &["local_bridge_create_page"]),
            &mut text,
        );
        assert!(text.contains("5.0: supported, proved"), "{text}");
        assert!(text.contains("mod_qbank"), "{text}");
        assert!(text.contains("local_bridge_get_events"), "{text}");
        assert!(text.contains("local_bridge_create_modules"), "{text}");

        let mut text = String::new();
        report(&info("4.1.9 (Build: 20240101)", &[]), &mut text);
        assert!(text.contains("4.1 is NOT supported"), "{text}");
        assert!(
            !text.contains("local_bridge:"),
            "no plugin, no plugin line: {text}"
        );

        let mut text = String::new();
        report(
            &info(
                "5.2 (Build: 20260401)",
                &[
                    "local_bridge_create_modules",
                    "local_bridge_create_quiz",
                    "local_bridge_get_events",
                ],
            ),
            &mut text,
        );
        assert!(text.contains("newer than the newest proved"), "{text}");
        assert!(text.contains("every feature's function"), "{text}");

        let mut text = String::new();
        report(&info("4.5.6+ (Build: 20250811)", &[]), &mut text);
        assert!(!text.contains("mod_qbank"), "no 5.0 notes on 4.5: {text}");
    }
}
