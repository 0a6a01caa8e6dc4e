//! Logging: `tracing` to standard error, JSON lines by default (`LOG_FORMAT=text` for
//! people), filtered by `LOG_LEVEL`. `MOODLE_DEBUG=true` adds the Moodle client's debug
//! events: function names, parameter names (never values), durations and retries. Standard
//! output stays free for commands' answers (tokens, `check`, `audit`).

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; a second call (tests) keeps the first.
pub fn init(log_level: &str, json: bool, moodle_debug: bool) {
    let mut filter = EnvFilter::try_new(log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    if moodle_debug && let Ok(directive) = "moodle_ws=debug".parse() {
        filter = filter.add_directive(directive);
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true);
    let installed = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.with_ansi(false).try_init()
    };
    // Already installed (a test that started two apps): the first subscriber stays.
    drop(installed);
}
