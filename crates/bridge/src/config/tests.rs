use super::*;
use crate::scopes::Scopes;

const SERVE: Needs = Needs {
    moodle: true,
    secret_key: true,
};

fn valid() -> Vec<(&'static str, &'static str)> {
    vec![
        ("MOODLE_BASE_URL", "https://moodle.example.org/moodle"),
        ("MOODLE_TOKEN", "0123456789abcdef0123456789abcdef"),
        ("SECRET_KEY", "k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y"),
    ]
}

#[test]
fn the_seed_names_give_a_working_configuration_with_seed_defaults() {
    let c = Config::from_env(&Env::from_pairs(valid()), SERVE).expect("valid");
    let m = c.moodle.clone().expect("moodle");
    assert_eq!(m.base_url.as_str(), "https://moodle.example.org/moodle");
    assert_eq!(m.timeout, Duration::from_millis(15_000));
    assert_eq!(m.max_retries, 2);
    assert!(!m.debug);
    assert_eq!(c.lms.timeout, Duration::from_secs(30));
    assert_eq!(c.lms.retry_attempts, 3);
    assert_eq!(c.database_url, "sqlite://data/bridge.db?mode=rwc");
    assert!(c.cors_origins.is_empty(), "no origin allowed by default");
    assert_eq!(
        c.auth.default_scopes,
        Scopes::READ,
        "a token naming no scope cannot write"
    );
    assert_eq!(m.enrol_role_ids, [5]);
}

#[test]
fn aliases_are_accepted_and_must_agree() {
    let env = Env::from_pairs([
        ("LMS_BASE_URL", "http://lms.example.org"),
        ("MOODLE_API_TOKEN", "abcdefabcdefabcdef"),
        ("SECRET_KEY", "k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y"),
    ]);
    let c = Config::from_env(&env, SERVE).expect("aliases");
    assert_eq!(
        c.moodle.expect("moodle").base_url.as_str(),
        "http://lms.example.org/"
    );
    let mut pairs = valid();
    pairs.push(("MOODLE_URL", "https://other.example.org"));
    let err = Config::from_env(&Env::from_pairs(pairs), SERVE).expect_err("disagree");
    assert_eq!(err.names(), ["MOODLE_URL"]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let env = Env::from_pairs([
        ("MOODLE_BASE_URL", "htp:/x"),
        ("MOODLE_TIMEOUT_MS", "soon"),
        ("MOODLE_DEBUG", "maybe"),
        ("BIND", "everywhere"),
        ("CORS_ORIGINS", "https://ok.example.org, *"),
        ("AUTH_JWKS_URL", "https://idp.example.org/jwks"),
        ("AUTH_DEFAULT_SCOPES", "moodle:read admin"),
    ]);
    let err = Config::from_env(&env, SERVE).expect_err("invalid");
    let mut names = err.names();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "AUTH_AUDIENCE",
            "AUTH_DEFAULT_SCOPES",
            "AUTH_ISSUER",
            "BIND",
            "CORS_ORIGINS",
            "MOODLE_BASE_URL",
            "MOODLE_DEBUG",
            "MOODLE_TIMEOUT_MS",
            "MOODLE_TOKEN",
            "SECRET_KEY",
        ]
    );
    let text = err.to_string();
    assert!(
        text.starts_with("moodle-bridge cannot start: 10 configuration problems"),
        "{text}"
    );
}

#[test]
fn commands_without_moodle_do_not_ask_for_it() {
    let env = Env::from_pairs([("DATABASE_URL", "postgres://u@localhost/db")]);
    let c = Config::from_env(
        &env,
        Needs {
            moodle: false,
            secret_key: false,
        },
    )
    .expect("migrate needs only the database");
    assert!(c.moodle.is_none());
    assert_eq!(c.database_url, "postgres://u@localhost/db");
}

#[test]
fn cors_origins_are_normalised_and_the_secret_is_never_printed() {
    let mut pairs = valid();
    pairs.push((
        "CORS_ORIGINS",
        "https://App.example.org/, http://localhost:5173",
    ));
    let c = Config::from_env(&Env::from_pairs(pairs), SERVE).expect("valid");
    assert_eq!(
        c.cors_origins,
        ["https://app.example.org", "http://localhost:5173"]
    );
    let shown = format!("{c:?}");
    assert!(!shown.contains("0123456789abcdef"), "{shown}");
    assert!(!shown.contains("k3y-k3y"), "{shown}");
}
