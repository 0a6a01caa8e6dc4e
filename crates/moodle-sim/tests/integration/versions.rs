//! The stand-in's two Moodle versions side by side: what each reports about itself and the
//! rules 5.0 changed that the recordings do not reach (a course made in a hidden category, a
//! missing record with and without debugging). The recorded differences are the conformance
//! test's.

use moodle_sim::{MoodleVersion, SimConfig};

use crate::support::{Site, errorcode};

async fn site(version: MoodleVersion) -> Site {
    Site::start_with(SimConfig {
        moodle_version: version,
        ..SimConfig::default()
    })
    .await
}

#[tokio::test]
async fn each_version_reports_its_release_and_version_in_site_info() {
    for (version, release, number) in [
        (MoodleVersion::V4_5, "4.5.6 (Build: 20250811)", "2024100706"),
        (
            MoodleVersion::V5_0,
            "5.0.6+ (Build: 20260403)",
            "2025041406.11",
        ),
    ] {
        let site = site(version).await;
        let info = site
            .call(
                &site.token("admin_bridge"),
                "core_webservice_get_site_info",
                &[],
            )
            .await;
        assert_eq!(info["release"], release);
        assert_eq!(info["version"], number);
    }
}

#[tokio::test]
async fn a_course_made_without_visible_in_a_hidden_category_is_visible_only_on_5_0() {
    for (version, visible) in [(MoodleVersion::V4_5, 0), (MoodleVersion::V5_0, 1)] {
        let site = site(version).await;
        site.sim.with_state(|s| {
            if let Some(category) = s.categories.get_mut(&2) {
                category.visible = false;
            }
        });
        let admin = site.token("admin_bridge");
        let made = site
            .call(
                &admin,
                "core_course_create_courses",
                &[
                    ("courses[0][fullname]", "Archived optics"),
                    ("courses[0][shortname]", "AOPT"),
                    ("courses[0][categoryid]", "2"),
                ],
            )
            .await;
        let id = made[0]["id"].to_string();
        let found = site
            .call(
                &admin,
                "core_course_get_courses_by_field",
                &[("field", "id"), ("value", &id)],
            )
            .await;
        assert_eq!(found["courses"][0]["visible"], visible, "on {version}");
    }
}

#[tokio::test]
async fn a_missing_record_names_its_table_on_5_0_only_with_debugging() {
    for (version, debug, code) in [
        (MoodleVersion::V4_5, false, "invalidrecord"),
        (MoodleVersion::V5_0, false, "invalidrecordunknown"),
        (MoodleVersion::V5_0, true, "invalidrecord"),
    ] {
        let site = site(version).await;
        site.sim.set_debug(debug);
        let answer = site
            .call(
                &site.token("admin_bridge"),
                "core_course_get_contents",
                &[("courseid", "999")],
            )
            .await;
        assert_eq!(
            errorcode(&answer),
            Some(code),
            "on {version}, debug {debug}"
        );
    }
}

#[tokio::test]
async fn functions_5_0_removed_are_unknown_there_and_outside_the_service_on_4_5() {
    for (version, code) in [
        (MoodleVersion::V4_5, "accessexception"),
        (MoodleVersion::V5_0, "invalidrecordunknown"),
    ] {
        let site = site(version).await;
        let answer = site
            .call(
                &site.token("admin_bridge"),
                "mod_survey_get_surveys_by_courses",
                &[],
            )
            .await;
        assert_eq!(errorcode(&answer), Some(code), "on {version}");
    }
}
