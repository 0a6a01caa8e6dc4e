//! The token never shows: not in `Debug`/`Display` of clients or errors, not in logs, not
//! in snippets of bodies that echo it.

use std::cell::RefCell;
use std::io::Write;
use std::sync::Once;
use std::time::Duration;

use moodle_sim::{Fault, FaultRule};
use moodle_ws::Client;
use moodle_ws::functions::user::UserField;
use tracing_subscriber::EnvFilter;

use crate::helpers::{builder, capture, closed_addr, sim, token};

thread_local! {
    static LOGS: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Writes log lines into the current thread's buffer: each `#[tokio::test]` runs its
/// client on its own thread, so parallel tests do not mix their logs.
struct ThreadLogs;

impl Write for ThreadLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.with(|l| l.borrow_mut().extend_from_slice(buf));
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One global subscriber for the binary (a scoped one races with callsite interest
/// caching when tests run in parallel).
fn capture_logs() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::new("moodle_ws=debug"))
            .with_writer(|| ThreadLogs)
            .with_ansi(false)
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
    LOGS.with(|l| l.borrow_mut().clear());
}

fn logs() -> String {
    LOGS.with(|l| String::from_utf8_lossy(&l.borrow()).into_owned())
}

fn assert_hidden(secret: &str, texts: &[String]) {
    for t in texts {
        assert!(!t.contains(secret), "secret leaked in: {t}");
    }
}

#[tokio::test]
async fn the_token_is_absent_from_client_and_error_output() {
    let sim = sim().await;
    let secret = token(&sim, "student1_bridge");
    let moodle = builder(&sim, "student1_bridge")
        .timeout(Duration::from_millis(200))
        .max_retries(0)
        .build()
        .expect("client");
    let mut texts = vec![format!("{moodle:?}")];

    sim.faults()
        .inject(FaultRule::always(Fault::Latency { ms: 600 }));
    let timeout = moodle.get_site_info().await.expect_err("timeout");
    sim.faults().clear();
    sim.faults()
        .inject(FaultRule::always(Fault::PhpWarning).times(1));
    let decode = moodle.get_site_info().await.expect_err("decode");
    let url = format!(
        "{}/webservice/pluginfile.php/17/user/private/nope.txt?token={secret}",
        sim.url()
    );
    let not_found = moodle.download(&url).await.expect_err("404");
    let foreign = moodle
        .download(&format!(
            "http://203.0.113.9/pluginfile.php/1/a.txt?token={secret}"
        ))
        .await
        .expect_err("foreign");
    let offline = Client::new(format!("http://{}", closed_addr()), secret.clone()).expect("client");
    let connect = offline.get_site_info().await.expect_err("refused");
    let offline_download = offline
        .download(&format!(
            "http://{}/pluginfile.php/1/a.txt?token={secret}",
            closed_addr()
        ))
        .await;
    for err in [timeout, decode, not_found, foreign, connect] {
        texts.push(err.to_string());
        texts.push(format!("{err:?}"));
    }
    texts.push(format!("{offline_download:?}"));
    texts.push(format!("{offline:?}"));
    assert_hidden(&secret, &texts);
}

#[tokio::test]
async fn bodies_that_echo_the_request_are_scrubbed() {
    let server = capture(
        "500 Internal Server Error",
        "text/html",
        "<h1>Oops</h1> request was: ".to_owned(),
        true,
    )
    .await;
    let secret = "feedfacecafebeef0123456789abcdef";
    let moodle = Client::builder(&server.url)
        .token(secret)
        .max_retries(0)
        .build()
        .expect("client");
    let err = moodle.get_site_info().await.expect_err("500");
    assert!(err.to_string().contains("request was"), "{err}");
    assert!(err.to_string().contains("[token]"), "{err}");
    assert_hidden(secret, &[err.to_string(), format!("{err:?}")]);
}

#[tokio::test]
async fn logs_record_function_parameter_names_and_outcome_but_no_values() {
    let sim = sim().await;
    let secret = token(&sim, "admin_bridge");
    capture_logs();
    let moodle = builder(&sim, "admin_bridge").build().expect("client");
    let _ = moodle
        .get_users_by_field(UserField::Username, &["student1", "zz-secret-value"])
        .await;
    sim.faults().inject(
        FaultRule::on_function(
            moodle_ws::functions::site::GET_SITE_INFO.name(),
            Fault::Status { status: 503 },
        )
        .times(1),
    );
    moodle.get_site_info().await.expect("after one retry");
    let text = logs();
    assert!(
        text.contains(moodle_ws::functions::user::GET_USERS_BY_FIELD.name()),
        "{text}"
    );
    assert!(text.contains(r#"params=["field", "values"]"#), "{text}");
    assert!(text.contains("elapsed_ms="), "{text}");
    assert!(text.contains("retries=1"), "{text}");
    assert!(text.contains("retrying moodle call"), "{text}");
    assert!(!text.contains("zz-secret-value"), "{text}");
    assert_hidden(&secret, &[text]);
}
