//! `.env.example` lists exactly the variables the code reads. The code's list is not kept by
//! hand: it is what the configuration asks its `Env` for (every name, set or not, aliases
//! included) while reading a full configuration, what the command line's flags fall back to
//! (clap's `env = …`), and what the source reads straight from the process environment
//! (`std::env::var("…")`); S3 settings the example names must be ones the S3 client reads.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::str::FromStr as _;

use bridge::config::{Config, Env, Needs};
use clap::CommandFactory as _;

/// Variables the code reads that are not settings, and why.
const NOT_SETTINGS: &[(&str, &str)] = &[(
    "USER",
    "the login name a command runs under, recorded as the operator in the audit log",
)];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The names `.env.example` lists, set (`NAME=`) or shown with their default (`#NAME=`).
fn example_names() -> BTreeSet<String> {
    let text = std::fs::read_to_string(workspace().join(".env.example")).expect(".env.example");
    text.lines()
        .filter_map(|line| {
            let line = line.strip_prefix('#').unwrap_or(line);
            let (name, _) = line.split_once('=')?;
            let ok = !name.is_empty()
                && name.starts_with(|c: char| c.is_ascii_uppercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "_<>".contains(c));
            ok.then(|| name.to_owned())
        })
        .collect()
}

/// What the configuration asks for, reading an empty environment and one with a Moodle site,
/// an extra publisher site (named `<NAME>` in the example) and every part switched on.
fn config_names() -> BTreeSet<String> {
    let needs = Needs {
        moodle: true,
        secret_key: true,
    };
    let empty = Env::default();
    let _ = Config::from_env(&empty, needs);
    let full = Env::from_pairs([
        ("MOODLE_BASE_URL", "https://moodle.example.org"),
        ("MOODLE_TOKEN", "0123456789abcdef0123456789abcdef"),
        ("SECRET_KEY", "0123456789abcdef0123456789abcdef0123"),
        ("LMS_SITES", "name=https://other.example.org"),
        ("LTI_ISSUER", "https://moodle.example.org"),
    ]);
    let _ = Config::from_env(&full, needs);
    empty
        .asked()
        .into_iter()
        .chain(full.asked())
        .map(|n| n.replace("LMS_SITE_NAME_", "LMS_SITE_<NAME>_"))
        .collect()
}

/// The variables command-line flags fall back to.
fn flag_names() -> BTreeSet<String> {
    fn walk(cmd: &clap::Command, out: &mut BTreeSet<String>) {
        for arg in cmd.get_arguments() {
            if let Some(env) = arg.get_env() {
                out.insert(env.to_string_lossy().into_owned());
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, out);
        }
    }
    let mut out = BTreeSet::new();
    walk(&bridge::cli::Cli::command(), &mut out);
    out
}

/// `std::env::var("NAME")` / `var_os("NAME")` anywhere in the bridge's source.
fn process_names() -> BTreeSet<String> {
    fn walk(dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).expect("src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("source");
                for call in ["env::var(\"", "env::var_os(\""] {
                    for (at, _) in text.match_indices(call) {
                        let rest = &text[at + call.len()..];
                        if let Some(end) = rest.find('"') {
                            out.insert(rest[..end].to_owned());
                        }
                    }
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    out
}

/// A variable the S3 client (object_store's `AmazonS3Builder::from_env`) takes.
fn s3_client_reads(name: &str) -> bool {
    name.starts_with("AWS_")
        && object_store::aws::AmazonS3ConfigKey::from_str(&name.to_ascii_lowercase()).is_ok()
}

#[test]
fn the_example_configuration_lists_every_variable_the_code_reads_and_no_other() {
    let listed = example_names();
    let not_settings: BTreeSet<String> =
        NOT_SETTINGS.iter().map(|(n, _)| (*n).to_owned()).collect();
    let read: BTreeSet<String> = config_names()
        .into_iter()
        .chain(flag_names())
        .chain(process_names())
        .filter(|n| !not_settings.contains(n))
        .collect();
    assert!(
        read.len() > 80 && read.contains("TLS_CERT_FILE") && read.contains("WEBHOOK_WORKERS"),
        "the list read from the code is too short to be real: {read:?}"
    );
    let missing: Vec<&String> = read.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "the code reads these variables but .env.example does not list them: {missing:?}"
    );
    let unknown: Vec<&String> = listed
        .difference(&read)
        .filter(|n| !s3_client_reads(n))
        .collect();
    assert!(
        unknown.is_empty(),
        ".env.example lists variables the code does not read: {unknown:?}"
    );
}
