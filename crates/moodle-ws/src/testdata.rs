//! The recorded Moodle 4.5.6 exchanges (`testdata/moodle-transcripts`), for unit tests.

use serde_json::Value;

/// One recorded exchange.
pub(crate) struct Record {
    pub(crate) file: &'static str,
    pub(crate) seq: u64,
    pub(crate) function: Option<String>,
    pub(crate) path: String,
    pub(crate) status: u16,
    pub(crate) body: String,
}

impl Record {
    /// The body as JSON, when it is JSON.
    pub(crate) fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// Whether the body is an error object of either shape.
    pub(crate) fn is_error(&self) -> bool {
        self.json()
            .is_some_and(|v| v.get("exception").is_some() || v.get("errorcode").is_some())
    }
}

fn load(name: &'static str) -> Vec<Record> {
    let path = format!(
        "{}/../../testdata/moodle-transcripts/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let v: Value = serde_json::from_str(line).expect("a JSON record");
            let base64 = v["body_encoding"].as_str() == Some("base64");
            Record {
                file: name,
                seq: v["seq"].as_u64().expect("seq"),
                function: v["function"].as_str().map(str::to_owned),
                path: v["path"].as_str().unwrap_or_default().to_owned(),
                status: u16::try_from(v["status"].as_u64().unwrap_or(0)).unwrap_or(0),
                body: if base64 {
                    String::new()
                } else {
                    v["body"].as_str().unwrap_or_default().to_owned()
                },
            }
        })
        .collect()
}

/// Every REST/endpoint record (production and debug recordings).
pub(crate) fn records() -> Vec<Record> {
    let mut all = load("real-moodle-4.5.6.jsonl");
    all.extend(load("real-moodle-4.5.6-debug-errors.jsonl"));
    all
}

/// One record of the production recording by sequence number.
pub(crate) fn seq(n: u64) -> Record {
    load("real-moodle-4.5.6.jsonl")
        .into_iter()
        .find(|r| r.seq == n)
        .unwrap_or_else(|| panic!("no record {n}"))
}
