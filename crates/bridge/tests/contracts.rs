//! The contracts in `docs/contracts/` stay findable: every contract file is listed in
//! `docs/contracts/README.md` and every file listed there exists, and the code, the READMEs,
//! the plugins and the scripts name contracts, never the numbers the original requirement
//! texts had while the bridge was built (those texts are not in the repository).

use std::fs;
use std::path::{Path, PathBuf};

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where numbered references must not appear, from the workspace root.
const SCANNED: [&str; 5] = ["README.md", "crates", "moodle-plugin", "scripts", ".ci"];

/// Folders not scanned: build output, and the applied migrations, which must never be edited
/// (sqlx checksums each applied migration; a changed comment stops existing databases from
/// starting), so their comments keep the old numbers.
const SKIPPED_DIRS: [&str; 3] = ["target", "migrations", "node_modules"];

/// The lines of `text` that name a requirement text by number, in any case: the word "seed",
/// optionally "s", an optional space, hyphen or underscore, then three digits starting with 0
/// (the test below spells them out).
fn numbered_references(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let lower = line.to_ascii_lowercase();
        let bytes = lower.as_bytes();
        let hit = lower.match_indices("seed").any(|(at, _)| {
            let mut i = at + 4;
            if bytes.get(i) == Some(&b's') {
                i += 1;
            }
            if matches!(bytes.get(i), Some(b' ' | b'-' | b'_')) {
                i += 1;
            }
            bytes.get(i) == Some(&b'0')
                && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_digit)
        });
        if hit {
            found.push((n + 1, line.trim().to_owned()));
        }
    }
    found
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let skipped = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| SKIPPED_DIRS.contains(&n));
        if skipped {
            return;
        }
        let Ok(entries) = fs::read_dir(path) else {
            return;
        };
        for entry in entries.flatten() {
            collect(&entry.path(), out);
        }
    } else if path.is_file() {
        out.push(path.to_owned());
    }
}

#[test]
fn the_reference_finder_sees_every_spelling_of_a_numbered_requirement() {
    // Built from pieces so this file holds no reference itself.
    let seed = ["se", "ed"].concat();
    for spelling in [" 001", "s 002", "-004", "_000", "s 002/003"] {
        let text = format!("x\nthe gateway of {seed}{spelling} answers\n");
        assert_eq!(
            numbered_references(&text),
            [(2, format!("the gateway of {seed}{spelling} answers"))],
            "{seed}{spelling}"
        );
    }
    for fine in [
        "seed.php builds the site",
        "a seeded site",
        "the seeds' tokens",
        "seed 1",
    ] {
        assert!(numbered_references(fine).is_empty(), "{fine}");
    }
}

#[test]
fn no_code_readme_plugin_or_script_names_a_requirement_by_number() {
    let root = root();
    let mut files = Vec::new();
    for start in SCANNED {
        collect(&root.join(start), &mut files);
    }
    assert!(
        files.len() > 100,
        "the scan found only {} files under {}",
        files.len(),
        root.display()
    );
    let mut offenders = Vec::new();
    for file in &files {
        // Binary files (images, archives) are not read.
        let Ok(text) = fs::read_to_string(file) else {
            continue;
        };
        for (line, content) in numbered_references(&text) {
            let shown = file.strip_prefix(&root).unwrap_or(file).display();
            offenders.push(format!("{shown}:{line}: {content}"));
        }
    }
    assert!(
        offenders.is_empty(),
        "name the contract instead (docs/contracts/README.md lists them):\n{}",
        offenders.join("\n")
    );
}

#[test]
fn every_contract_file_is_listed_in_the_contracts_readme_and_every_listed_file_exists() {
    let dir = root().join("docs/contracts");
    let readme = fs::read_to_string(dir.join("README.md")).expect("docs/contracts/README.md");
    let mut contracts: Vec<String> = fs::read_dir(&dir)
        .expect("docs/contracts")
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| n.ends_with(".md") && n != "README.md")
        .collect();
    contracts.sort();
    assert!(
        contracts.len() >= 5,
        "one contract per part, found {contracts:?}"
    );
    for name in &contracts {
        assert!(
            readme.contains(&format!("]({name})")),
            "docs/contracts/README.md does not link {name}"
        );
    }
    // Every local link of the README names a contract file that exists.
    for (at, _) in readme.match_indices("](") {
        let target: String = readme[at + 2..].chars().take_while(|c| *c != ')').collect();
        if target.ends_with(".md") && !target.contains('/') {
            assert!(
                dir.join(&target).is_file(),
                "docs/contracts/README.md links {target}, which does not exist"
            );
        }
    }
}
