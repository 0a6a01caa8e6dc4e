//! The recordings of a real Moodle 4.5.6 (`testdata/moodle-transcripts/*.jsonl`, format in
//! that folder's README): which folder to read, the record format, and replaying a record's
//! request over HTTP against a site (the stand-in or a real Moodle) with that site's tokens
//! and the draft item ids it generated. It does not judge the answers (`conformance/compare.rs`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};

/// The recorded site's `$CFG->wwwroot`; the replayed site's own wwwroot is mapped to it.
pub const RECORDED_WWWROOT: &str = "http://127.0.0.1:8081";

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

/// A recording file, its records in `seq` order.
#[derive(Debug)]
pub struct Transcript {
    /// File name, e.g. `real-moodle-4.5.6.jsonl`.
    pub name: String,
    /// The records, sorted by `seq`.
    pub records: Vec<Record>,
}

impl Transcript {
    /// Whether the file was recorded with Moodle's developer debugging on.
    pub fn recorded_with_debugging(&self) -> bool {
        self.name.contains("debug-errors")
    }
}

/// The folder of recordings to replay and why it was chosen.
pub struct Folder {
    /// The folder.
    pub path: PathBuf,
    /// How it was chosen.
    pub source: &'static str,
}

/// `MOODLE_TRANSCRIPTS_DIR`; else `../shared/moodle-transcripts` next to the workspace
/// (where new recordings appear); else the copy committed in `testdata/` (CI).
pub fn folder() -> Folder {
    if let Some(dir) = std::env::var_os("MOODLE_TRANSCRIPTS_DIR") {
        return Folder {
            path: PathBuf::from(dir),
            source: "MOODLE_TRANSCRIPTS_DIR",
        };
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = manifest
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| manifest.join("../.."));
    let shared = workspace.join("../shared/moodle-transcripts");
    if let Ok(shared) = shared.canonicalize() {
        return Folder {
            path: shared,
            source: "shared recordings next to the workspace",
        };
    }
    Folder {
        path: workspace.join("testdata/moodle-transcripts"),
        source: "the workspace's committed copy",
    }
}

/// Every REST recording in a folder: each `*.jsonl` except the LTI ones, by file name.
pub fn load_rest_transcripts(dir: &Path) -> Result<Vec<Transcript>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".jsonl") && !n.contains("-lti"))
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
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let record: Record =
            serde_json::from_str(line).map_err(|e| format!("{name} line {}: {e}", n + 1))?;
        records.push(record);
    }
    records.sort_by_key(|r| r.seq);
    if let Some(w) = records.windows(2).find(|w| w[0].seq == w[1].seq) {
        return Err(format!("{name}: seq {} appears twice", w[0].seq));
    }
    Ok(Transcript {
        name: name.to_owned(),
        records,
    })
}

/// Recorded draft item ids mapped to the ones the replayed site generated instead.
#[derive(Debug, Default, Clone)]
pub struct IdMap(BTreeMap<String, String>);

impl IdMap {
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

    /// Replaces every recorded id in a text (only whole digit runs) by the site's id.
    pub fn apply(&self, text: &str) -> String {
        if self.0.is_empty() {
            return text.to_owned();
        }
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

/// A site to replay against.
pub struct Site {
    /// Its wwwroot, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    /// Its tokens by the recordings' `token_role` names.
    pub tokens: HashMap<String, String>,
}

/// What the site answered.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type` header (empty when missing).
    pub content_type: String,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// Sends recorded requests to one site.
pub struct Replayer {
    client: reqwest::Client,
    site: Site,
}

impl Replayer {
    /// A replayer for a site; redirects are not followed (the recordings show the first answer).
    pub fn new(site: Site) -> Result<Replayer, String> {
        // reqwest is built with `rustls-no-provider`: a provider must be installed before
        // a client is built, even for plain http.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| format!("http client: {e}"))?;
        Ok(Replayer { client, site })
    }

    /// The site's wwwroot.
    pub fn url(&self) -> &str {
        &self.site.url
    }

    /// Sends a record's request: the site's token for `<TOKEN>`, the site's draft item ids
    /// for recorded ones, uploads as multipart parts of the recorded sizes.
    pub async fn send(&self, record: &Record, ids: &IdMap) -> Result<Answer, String> {
        let token = match record.token_role.as_str() {
            "none" | "invalid" => None,
            role => Some(
                self.site
                    .tokens
                    .get(role)
                    .ok_or_else(|| format!("the site has no token for role {role}"))?,
            ),
        };
        let value = |v: &Value| {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let text = match token {
                Some(t) => text.replace("<TOKEN>", t),
                None => text,
            };
            ids.apply(&text)
        };
        let mut url = format!("{}{}", self.site.url.trim_end_matches('/'), record.path);
        let query: Vec<(String, String)> = record
            .query
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), value(v)))
            .collect();
        if !query.is_empty() {
            let encoded = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&query)
                .finish();
            url = format!("{url}?{encoded}");
        }
        let method = reqwest::Method::from_bytes(record.method.as_bytes())
            .map_err(|_| format!("unknown method {}", record.method))?;
        let mut request = self.client.request(method, url);
        let mut json_body = false;
        for (name, v) in record.request_headers.iter().flatten() {
            json_body |= name.eq_ignore_ascii_case("content-type") && value(v).contains("json");
            request = request.header(name.as_str(), value(v));
        }
        let params = record.params.clone().unwrap_or(Value::Null);
        let fields: Vec<(String, String)> = match &params {
            Value::Object(map) if !json_body => {
                map.iter().map(|(k, v)| (k.clone(), value(v))).collect()
            }
            _ => Vec::new(),
        };
        let files = record.files.as_deref().unwrap_or_default();
        if !files.is_empty() {
            let mut form = reqwest::multipart::Form::new();
            for (k, v) in fields {
                form = form.text(k, v);
            }
            for f in files {
                let part = reqwest::multipart::Part::bytes(file_content(&f.filename, f.size))
                    .file_name(f.filename.clone())
                    .mime_str(
                        f.content_type
                            .as_deref()
                            .unwrap_or("application/octet-stream"),
                    )
                    .map_err(|e| format!("content type of {}: {e}", f.filename))?;
                form = form.part(f.field.clone(), part);
            }
            request = request.multipart(form);
        } else if json_body && !params.is_null() {
            request = request.body(ids.apply(&params.to_string()));
        } else if !fields.is_empty() {
            let body = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&fields)
                .finish();
            request = request
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body);
        }
        // Without the URL: it may carry a token.
        let response = request
            .send()
            .await
            .map_err(|e| format!("request failed: {}", e.without_url()))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("reading the body: {}", e.without_url()))?
            .to_vec();
        Ok(Answer {
            status,
            content_type,
            body,
        })
    }
}

/// A stand-in for an uploaded file: its name repeated, cut to the recorded size (as
/// `../shared/real-moodle/replay.py` makes them).
pub fn file_content(filename: &str, size: usize) -> Vec<u8> {
    format!("{filename} ")
        .into_bytes()
        .into_iter()
        .cycle()
        .take(size)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn lti_recordings_are_not_replayed_and_records_come_in_seq_order() {
        let dir =
            std::env::temp_dir().join(format!("moodle-sim-transcripts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let line = |seq: u64| {
            format!(
                r#"{{"seq":{seq},"case":"c{seq}","function":null,"method":"GET","path":"/","token_role":"none","status":200,"content_type":"text/plain","body":"","body_encoding":"utf-8"}}"#
            )
        };
        std::fs::write(dir.join("b.jsonl"), format!("{}\n{}\n", line(2), line(1))).expect("write");
        std::fs::write(dir.join("a-lti.jsonl"), line(1)).expect("write");
        std::fs::write(dir.join("notes.md"), "x").expect("write");
        let files = load_rest_transcripts(&dir).expect("loads");
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].name, "b.jsonl");
        assert_eq!(
            files[0].records.iter().map(|r| r.seq).collect::<Vec<_>>(),
            vec![1, 2]
        );
    }
}
