//! `moodle-bridge check`: prints the validated configuration (secrets masked), then asks the
//! configured Moodle who the token is, which functions its service lacks for each part of
//! the bridge (and how to add them), whether the companion plugins are there, and what the
//! site's Moodle release and plugin version mean for the bridge (`check/versions.rs`). Exits
//! non-zero when Moodle cannot be used or a required function is missing.

mod versions;

use std::process::ExitCode;

use moodle_ws::Function;
use moodle_ws::functions::site::SiteInfo;
use moodle_ws::functions::{category, course, enrol, local_bridge, message, site, user};

use crate::config::Config;

/// A function the bridge calls, and what for.
struct Needed {
    function: Function,
    used_for: &'static str,
}

/// What the gateway (`docs/contracts/gateway.md`) calls.
const GATEWAY: &[Needed] = &[
    Needed {
        function: site::GET_SITE_INFO,
        used_for: "GET /api/moodle/siteinfo, readiness",
    },
    Needed {
        function: course::GET_COURSES,
        used_for: "GET /api/moodle/courses, PATCH answers",
    },
    Needed {
        function: course::GET_COURSES_BY_FIELD,
        used_for: "GET /api/moodle/courses?category=",
    },
    Needed {
        function: course::SEARCH_COURSES,
        used_for: "GET /api/moodle/courses?search=",
    },
    Needed {
        function: course::CREATE_COURSES,
        used_for: "POST /api/moodle/courses",
    },
    Needed {
        function: course::UPDATE_COURSES,
        used_for: "PATCH /api/moodle/courses/{id}",
    },
    Needed {
        function: user::GET_USERS_BY_FIELD,
        used_for: "GET /api/moodle/users/by-field",
    },
    Needed {
        function: enrol::ENROL_USERS,
        used_for: "POST /api/moodle/enrol",
    },
    Needed {
        function: message::GET_POPUP_NOTIFICATIONS,
        used_for: "GET /api/moodle/notifications",
    },
    Needed {
        function: message::GET_UNREAD_POPUP_NOTIFICATION_COUNT,
        used_for: "GET /api/moodle/notifications/unread-count",
    },
];

/// What the publisher calls with its users' tokens (of `MOODLE_SERVICE`); reported, not
/// required, since the bridge's own token may belong to another service.
const PUBLISHER: &[Needed] = &[
    Needed {
        function: category::GET_CATEGORIES,
        used_for: "push: find the category path",
    },
    Needed {
        function: category::CREATE_CATEGORIES,
        used_for: "push: make missing categories",
    },
    Needed {
        function: course::GET_COURSES_BY_FIELD,
        used_for: "push: find the course by idnumber",
    },
    Needed {
        function: course::CREATE_COURSES,
        used_for: "push: create the course",
    },
    Needed {
        function: course::UPDATE_COURSES,
        used_for: "push: update the course",
    },
    Needed {
        function: local_bridge::CREATE_PAGE,
        used_for: "push: page, quiz and question-paper assets",
    },
    Needed {
        function: local_bridge::CREATE_RESOURCE,
        used_for: "push: file assets",
    },
    Needed {
        function: local_bridge::CREATE_URL,
        used_for: "push: url assets",
    },
    Needed {
        function: local_bridge::CREATE_FORUM,
        used_for: "push: forum assets",
    },
    Needed {
        function: local_bridge::UPDATE_MODULE,
        used_for: "push: changed assets",
    },
    Needed {
        function: local_bridge::FIND_MODULES_BY_IDNUMBER,
        used_for: "push: find what an earlier attempt made",
    },
];

/// The functions the gateway calls.
pub fn gateway_functions() -> impl Iterator<Item = Function> {
    GATEWAY.iter().map(|n| n.function)
}

/// Companion plugins, each detected by one of its functions.
const PLUGINS: &[(&str, Function, &str)] = &[
    (
        "local_bridge",
        local_bridge::CREATE_RESOURCE,
        "POST /api/moodle/files/attach",
    ),
    (
        "local_logintoken",
        moodle_ws::functions::logintoken::VALIDATE_TOKEN,
        "token login",
    ),
];

/// Runs the check and prints its report.
///
/// # Errors
/// Only when the Moodle client cannot be built from the configuration.
pub async fn run(config: &Config) -> anyhow::Result<ExitCode> {
    let Some(moodle) = config.moodle.as_ref() else {
        anyhow::bail!("MOODLE_BASE_URL is required");
    };
    println!("Configuration");
    println!("  Moodle:        {}", moodle.base_url);
    println!("  token:         {}", mask(moodle.token.expose()));
    println!("  service:       {}", moodle.service);
    println!(
        "  timeout:       {} ms, {} retries for reads",
        moodle.timeout.as_millis(),
        moodle.max_retries
    );
    println!("  database:      {}", mask_url(&config.database_url));
    println!("  storage:       {}", config.storage_url);
    println!("  listen:        {}", config.bind);
    println!(
        "  CORS origins:  {}",
        if config.cors_origins.is_empty() {
            "none".to_owned()
        } else {
            config.cors_origins.join(", ")
        }
    );
    // One attempt: `check` says what it finds, it does not wait out a flaky site.
    let policy = crate::moodle::Policy {
        max_retries: 0,
        ..moodle.policy()
    };
    let client = crate::moodle::Clients::new(None).build(
        moodle.base_url.as_str(),
        Some(moodle.token.clone()),
        policy,
    )?;
    println!();
    let info = match client.get_site_info().await {
        Ok(info) => info,
        Err(e) => {
            println!("Moodle: cannot be used: {e}");
            if e.kind() == moodle_ws::ErrorKind::Auth {
                println!(
                    "  The token is unknown or expired: create one under Site administration > Server > Web services > Manage tokens."
                );
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    let report = report(&info);
    print!("{report}");
    Ok(if report.missing_required == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The Moodle part of the report.
struct Report {
    text: String,
    missing_required: usize,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

fn report(info: &SiteInfo) -> Report {
    use std::fmt::Write as _;
    let mut text = String::new();
    let _ = writeln!(text, "Moodle");
    let _ = writeln!(
        text,
        "  site:          {} ({})",
        info.sitename, info.siteurl
    );
    let _ = writeln!(
        text,
        "  version:       {} ({})",
        info.release.as_deref().unwrap_or("?"),
        info.version.as_deref().unwrap_or("?")
    );
    versions::report(info, &mut text);
    let _ = writeln!(
        text,
        "  user:          {} (id {})",
        info.username, info.userid
    );
    let _ = writeln!(
        text,
        "  uploads:       {}",
        if info.uploadfiles == Some(true) {
            "allowed"
        } else {
            "NOT allowed for this service (POST /api/moodle/files/upload will fail)"
        }
    );
    let missing: Vec<&Needed> = GATEWAY
        .iter()
        .filter(|n| !info.has_function(n.function))
        .collect();
    if missing.is_empty() {
        let _ = writeln!(
            text,
            "  functions:     all {} the gateway needs are in the token's service",
            GATEWAY.len()
        );
    } else {
        let _ = writeln!(
            text,
            "  functions:     {} missing from the token's service:",
            missing.len()
        );
        for n in &missing {
            let _ = writeln!(text, "    {:<52} for {}", n.function, n.used_for);
        }
        let _ = writeln!(
            text,
            "    Add them under Site administration > Server > Web services > External services > (the token's service) > Functions."
        );
    }
    let publisher: Vec<&Needed> = PUBLISHER
        .iter()
        .filter(|n| !info.has_function(n.function))
        .collect();
    if publisher.is_empty() {
        let _ = writeln!(
            text,
            "  publisher:     all {} functions a push needs are in this token's service",
            PUBLISHER.len()
        );
    } else {
        let _ = writeln!(
            text,
            "  publisher:     {} missing from this token's service (pushes use users' tokens of MOODLE_SERVICE, which needs them too):",
            publisher.len()
        );
        for n in &publisher {
            let _ = writeln!(text, "    {:<52} for {}", n.function, n.used_for);
        }
    }
    for (plugin, function, used_for) in PLUGINS {
        let state = if info.has_function(*function) {
            "installed and in the token's service".to_owned()
        } else {
            format!(
                "not available (needed for {used_for}); install moodle-plugin/{plugin} and add its functions to the service"
            )
        };
        let _ = writeln!(text, "  {plugin:<15}{state}");
    }
    Report {
        text,
        missing_required: missing.len(),
    }
}

/// The first and last four characters of a secret.
fn mask(secret: &str) -> String {
    let n = secret.chars().count();
    if n <= 8 {
        return "****".to_owned();
    }
    let head: String = secret.chars().take(4).collect();
    let tail: String = secret.chars().skip(n - 4).collect();
    format!("{head}…{tail}")
}

/// A database URL with its password masked.
fn mask_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("****"));
            u.to_string()
        }
        _ => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_functions_are_listed_with_their_use_and_fail_the_check() {
        let info: SiteInfo = serde_json::from_value(serde_json::json!({
            "sitename": "S", "siteurl": "http://s", "username": "u", "userid": 2,
            "functions": [{"name": site::GET_SITE_INFO.name(), "version": "1"}]
        }))
        .expect("site info");
        let r = report(&info);
        assert_eq!(r.missing_required, GATEWAY.len() - 1);
        assert!(r.text.contains("core_course_create_courses"), "{r}");
        assert!(r.text.contains("local_bridge   not available"), "{r}");
        assert!(r.text.contains("publisher:     11 missing"), "{r}");
    }

    #[test]
    fn secrets_are_masked() {
        assert_eq!(mask("0123456789abcdef"), "0123…cdef");
        assert_eq!(mask_url("postgres://u:pw@h/db"), "postgres://u:****@h/db");
    }
}
