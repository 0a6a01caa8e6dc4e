//! The stand-in never panics: random form bodies, parameter names and values, and paths
//! thrown at every endpoint always get an HTTP answer, and the server keeps serving.

use proptest::prelude::*;
use proptest::test_runner::TestRunner;

use crate::support::Site;

/// Parameter names in PHP's bracket syntax, with the odd cases PHP tolerates.
fn param_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("wstoken".to_owned()),
        Just("wsfunction".to_owned()),
        Just("moodlewsrestformat".to_owned()),
        "[a-z]{1,8}",
        "[a-z]{1,6}(\\[[a-z0-9]{0,4}\\]){1,4}",
        "[\\[\\]a-z0-9 .%]{0,12}",
    ]
}

fn form_body() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((param_name(), ".{0,24}"), 0..12)
}

fn function_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("core_webservice_get_site_info"),
        Just("core_course_get_contents"),
        Just("core_course_create_courses"),
        Just("core_course_update_courses"),
        Just("core_courseformat_update_course"),
        Just("core_user_create_users"),
        Just("core_user_get_users_by_field"),
        Just("core_files_get_files"),
        Just("core_files_upload"),
        Just("mod_assign_get_submissions"),
        Just("enrol_manual_enrol_users"),
        Just("message_popup_get_popup_notifications"),
    ]
    .prop_map(str::to_owned)
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/webservice/rest/server.php".to_owned()),
        Just("/login/token.php".to_owned()),
        Just("/webservice/upload.php".to_owned()),
        "/webservice/pluginfile.php(/[a-z0-9_.%]{0,10}){0,7}",
    ]
}

#[test]
fn random_requests_always_get_an_answer() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let site = rt.block_on(Site::start());
    let token = site.token("admin_bridge");
    let mut runner = TestRunner::default();
    let strategy = (path(), function_name(), form_body(), any::<bool>());
    runner
        .run(&strategy, |(path, function, body, with_token)| {
            let mut form = body;
            form.push(("wsfunction".to_owned(), function));
            if with_token {
                form.push(("wstoken".to_owned(), token.clone()));
                form.push(("token".to_owned(), token.clone()));
            }
            let url = format!("{}{path}", site.sim.url());
            let status = rt.block_on(async {
                let resp = site.http.post(&url).form(&form).send().await?;
                let status = resp.status();
                resp.bytes().await?;
                Ok::<_, reqwest::Error>(status)
            });
            let status = status.map_err(|e| TestCaseError::fail(format!("{url}: {e}")))?;
            prop_assert!(
                matches!(status.as_u16(), 200 | 404 | 413 | 416),
                "{url} answered {status}"
            );
            Ok(())
        })
        .expect("no request made the stand-in fail");
    // Still serving after everything.
    let info = rt.block_on(site.call(&token, "core_webservice_get_site_info", &[]));
    assert_eq!(info["sitename"], "Moodle Real Test Site");
}
