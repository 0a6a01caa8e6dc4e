//! The recordings of a real Moodle 4.5.6 (`testdata/moodle-transcripts/*.jsonl`, format in
//! that folder's README): which folder to read, the record format, and (in `replay.rs`,
//! with the LTI credentials in `lti.rs`) replaying a record's request over HTTP against a
//! site (the stand-in or a real Moodle) with that site's tokens, sessions and the ids it
//! generated. It does not judge the answers (`conformance/compare.rs`).

mod lti;
mod replay;

pub use lti::{login, set_cookie};
pub use replay::{Answer, Replayer, Site, file_content};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use moodle_sim::MoodleVersion;
use serde::Deserialize;
use serde_json::{Map, Value};

/// The `$CFG->wwwroot` of the recipe's site of a Moodle version (`../shared/real-moodle/`:
/// 4.5 on port 8081, 5.0 on 8082), where that version's recordings were made; the replayed
/// site's own wwwroot is mapped to it.
pub fn recorded_wwwroot(version: MoodleVersion) -> &'static str {
    match version {
        MoodleVersion::V4_5 => "http://127.0.0.1:8081",
        MoodleVersion::V5_0 => "http://127.0.0.1:8082",
    }
}

/// One recorded exchange (one line of a `.jsonl` recording).
#[derive(Debug, Clone, Deserialize)]
pub struct Record {
    /// Order within the file; later cases see the effects of earlier ones.
    pub seq: u64,
    /// Short name of the case.
    pub case: String,
    /// The REST `wsfunction`, if any.
    #[serde(default)]
    pub function: Option<String>,
    /// HTTP method.
    pub method: String,
    /// URL path, slash arguments included.
    pub path: String,
    /// Query parameters.
    #[serde(default)]
    pub query: Option<Map<String, Value>>,
    /// Form body (or, for JSON requests, the JSON body).
    #[serde(default)]
    pub params: Option<Value>,
    /// Multipart uploads (content not stored, only its size).
    #[serde(default)]
    pub files: Option<Vec<FileMeta>>,
    /// Request headers that matter (User-Agent, Accept, Content-Type).
    #[serde(default)]
    pub request_headers: Option<Map<String, Value>>,
    /// Whose credential was used (`admin_bridge`, …, `invalid`, `none`).
    pub token_role: String,
    /// HTTP status.
    pub status: u16,
    /// `Content-Type` of the answer.
    pub content_type: String,
    /// The answer's body: text, or base64 for binary files.
    pub body: String,
    /// `utf-8` or `base64`.
    pub body_encoding: String,
    /// Response headers that matter (`Location`, `Link`, …).
    #[serde(default)]
    pub response_headers: Option<Map<String, Value>>,
    /// (LTI) the auto-posting form of the answer: `action`, `method`, `fields`.
    #[serde(default)]
    pub form: Option<Value>,
    /// (LTI) the JWT of the exchange, decoded: `{header, claims}`.
    #[serde(default)]
    pub decoded_jwt: Option<Value>,
}

impl Record {
    /// The function name for REST calls, the path otherwise; rules are keyed by it.
    pub fn endpoint(&self) -> &str {
        self.function.as_deref().unwrap_or(&self.path)
    }
}

/// One uploaded file of a multipart request.
#[derive(Debug, Clone, Deserialize)]
pub struct FileMeta {
    /// Form field name.
    pub field: String,
    /// File name sent.
    pub filename: String,
    /// Size in bytes.
    pub size: usize,
    /// Content type of the part.
    #[serde(default)]
    pub content_type: Option<String>,
}

/// A line that is no exchange with Moodle: what the recorder saw elsewhere (the LTI
/// recording's requests that reached the tool), with the recorder's note.
#[derive(Debug, Clone, Deserialize)]
pub struct Observation {
    /// Order within the file.
    pub seq: u64,
    /// Short name of the case.
    pub case: String,
    /// The recorder's summary.
    #[serde(default)]
    pub note: Option<String>,
}

/// A recording file, its records in `seq` order.
#[derive(Debug)]
pub struct Transcript {
    /// File name, e.g. `real-moodle-4.5.6.jsonl`.
    pub name: String,
    /// The records, sorted by `seq`.
    pub records: Vec<Record>,
    /// Lines that are no exchange with Moodle.
    pub observations: Vec<Observation>,
}

impl Transcript {
    /// Whether the file was recorded with Moodle's developer debugging on: its name says
    /// `debug` (`real-moodle-4.5.6-debug-errors.jsonl`, `…-debug.jsonl`).
    pub fn recorded_with_debugging(&self) -> bool {
        self.name.contains("debug")
    }

    /// The Moodle it was recorded on, from its name (`MoodleVersion::of_recording`).
    pub fn moodle(&self) -> MoodleVersion {
        MoodleVersion::of_recording(&self.name)
    }

    /// The recorded site's wwwroot.
    pub fn recorded_wwwroot(&self) -> &'static str {
        recorded_wwwroot(self.moodle())
    }

    /// Whether it records Moodle as an LTI platform (`*-lti.jsonl`).
    pub fn is_lti(&self) -> bool {
        self.name.contains("-lti")
    }
}

/// A folder of recordings and why it is read.
pub struct Folder {
    /// The folder.
    pub path: PathBuf,
    /// Why it is read.
    pub source: &'static str,
}

/// The folders of recordings to replay: `MOODLE_TRANSCRIPTS_DIR` alone when it is set (an
/// unseen set of recordings is measured on its own); else `../shared/moodle-transcripts` next
/// to the workspace (where new shared recordings appear) and the workspace's
/// `testdata/moodle-transcripts` (the committed copy and the recordings made by
/// `scripts/record-moodle`).
pub fn folders() -> Vec<Folder> {
    if let Some(dir) = std::env::var_os("MOODLE_TRANSCRIPTS_DIR") {
        return vec![Folder {
            path: PathBuf::from(dir),
            source: "MOODLE_TRANSCRIPTS_DIR",
        }];
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = manifest
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| manifest.join("../.."));
    let mut found = Vec::new();
    // A worktree sits one level deeper than the lead's checkout; the shared folder is next to either.
    for shared in [
        workspace.join("../shared/moodle-transcripts"),
        workspace.join("../../shared/moodle-transcripts"),
    ] {
        if let Ok(path) = shared.canonicalize() {
            found.push(Folder {
                path,
                source: "shared recordings next to the workspace",
            });
            break;
        }
    }
    found.push(Folder {
        path: workspace.join("testdata/moodle-transcripts"),
        source: "the workspace's recordings",
    });
    found
}

/// Every recording of the folders (`*.jsonl`, the LTI ones included), by file name; a name in
/// more than one folder is read from the first.
pub fn load_all(folders: &[Folder]) -> Result<Vec<Transcript>, String> {
    let mut files: Vec<Transcript> = Vec::new();
    for folder in folders {
        for file in load_transcripts(&folder.path)? {
            if !files.iter().any(|f| f.name == file.name) {
                files.push(file);
            }
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// Every recording in a folder (`*.jsonl`, the LTI ones included), by file name.
pub fn load_transcripts(dir: &Path) -> Result<Vec<Transcript>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".jsonl"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|name| load(&dir.join(name), name))
        .collect()
}

fn load(path: &Path, name: &str) -> Result<Transcript, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut records = Vec::new();
    let mut observations = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let at = |e: serde_json::Error| format!("{name} line {}: {e}", n + 1);
        let value: Value = serde_json::from_str(line).map_err(at)?;
        if value.get("method").is_none_or(Value::is_null) {
            observations.push(serde_json::from_value::<Observation>(value).map_err(at)?);
        } else {
            records.push(serde_json::from_value::<Record>(value).map_err(at)?);
        }
    }
    records.sort_by_key(|r| r.seq);
    let mut seqs: Vec<u64> = records
        .iter()
        .map(|r| r.seq)
        .chain(observations.iter().map(|o| o.seq))
        .collect();
    seqs.sort_unstable();
    if let Some(w) = seqs.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!("{name}: seq {} appears twice", w[0]));
    }
    Ok(Transcript {
        name: name.to_owned(),
        records,
        observations,
    })
}

/// Recorded generated values mapped to the ones the replayed site generated instead: draft
/// item ids and LTI launch ids (whole digit runs), and generated texts such as a
/// registration's client id.
#[derive(Debug, Default, Clone)]
pub struct IdMap(BTreeMap<String, String>, BTreeMap<String, String>);

impl IdMap {
    /// Records that the site generated the text `actual` where Moodle generated `recorded`.
    pub fn insert_text(&mut self, recorded: String, actual: String) {
        if recorded != actual && !recorded.is_empty() {
            self.1.insert(recorded, actual);
        }
    }

    /// The replayed site's id for a recorded one.
    pub fn get(&self, recorded: &str) -> Option<&str> {
        self.0.get(recorded).map(String::as_str)
    }

    /// Whether an id of the replayed site is already the counterpart of a recorded one.
    pub fn is_target(&self, actual: &str) -> bool {
        self.0.values().any(|v| v == actual)
    }

    /// Records that the site generated `actual` where Moodle generated `recorded`.
    pub fn insert(&mut self, recorded: String, actual: String) {
        self.0.insert(recorded, actual);
    }

    /// Replaces every recorded id in a text (only whole digit runs) and every recorded
    /// generated text by the site's.
    pub fn apply(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for (recorded, actual) in &self.1 {
            if text.contains(recorded.as_str()) {
                text = text.replace(recorded.as_str(), actual);
            }
        }
        if self.0.is_empty() {
            return text;
        }
        let text = text.as_str();
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
            out.push_str(&rest[..start]);
            let digits = &rest[start..];
            let end = digits
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(digits.len());
            let run = &digits[..end];
            out.push_str(self.get(run).unwrap_or(run));
            rest = &digits[end..];
        }
        out.push_str(rest);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_generated_text_is_replaced_by_the_sites() {
        let mut ids = IdMap::default();
        ids.insert_text("5jLipYFGEBKAXEX".into(), "abcdefghijklmno".into());
        assert_eq!(
            ids.apply(r#"{"client_id":"5jLipYFGEBKAXEX"}"#),
            r#"{"client_id":"abcdefghijklmno"}"#
        );
    }

    #[test]
    fn a_synthesized_upload_has_exactly_the_recorded_size() {
        assert_eq!(file_content("x.txt", 1), b"x".to_vec());
        assert_eq!(file_content("lab_copy.pdf", 635).len(), 635);
        assert_eq!(file_content("a", 5), b"a a a".to_vec());
    }

    #[test]
    fn recorded_draft_ids_are_replaced_only_as_whole_numbers() {
        let mut ids = IdMap::default();
        ids.insert("493234851".into(), "111".into());
        assert_eq!(
            ids.apply("/draftfile.php/17/user/draft/493234851/a.txt"),
            "/draftfile.php/17/user/draft/111/a.txt"
        );
        assert_eq!(ids.apply("4932348510 1493234851"), "4932348510 1493234851");
        assert_eq!(ids.apply("493234851"), "111");
    }

    #[test]
    fn every_recording_loads_with_records_in_seq_order_and_observations_apart() {
        let dir =
            std::env::temp_dir().join(format!("moodle-sim-transcripts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let line = |seq: u64| {
            format!(
                r#"{{"seq":{seq},"case":"c{seq}","function":null,"method":"GET","path":"/","token_role":"none","status":200,"content_type":"text/plain","body":"","body_encoding":"utf-8"}}"#
            )
        };
        std::fs::write(dir.join("b.jsonl"), format!("{}\n{}\n", line(2), line(1))).expect("write");
        let seen = r#"{"seq":2,"case":"tool_side","method":null,"path":null,"token_role":"none","status":null,"content_type":null,"body":"[]"}"#;
        std::fs::write(dir.join("a-lti.jsonl"), format!("{}\n{seen}\n", line(1))).expect("write");
        std::fs::write(dir.join("notes.md"), "x").expect("write");
        let files = load_transcripts(&dir).expect("loads");
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(files.len(), 2);
        assert_eq!(
            (files[0].name.as_str(), files[0].is_lti()),
            ("a-lti.jsonl", true)
        );
        assert_eq!(
            (files[0].records.len(), files[0].observations.len()),
            (1, 1)
        );
        assert_eq!(files[1].name, "b.jsonl");
        assert_eq!(
            files[1].records.iter().map(|r| r.seq).collect::<Vec<_>>(),
            vec![1, 2]
        );
    }
}
