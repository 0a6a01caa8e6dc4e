//! Replaying recorded requests against a site over HTTP.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

use super::lti::{Credentials, RESIGNED_FIELDS, foreign_registration_token, resign};
use super::{IdMap, Record};

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
    /// Every header, names in lower case.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Answer {
    /// A header's value (the first, when repeated).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends recorded requests to one site.
pub struct Replayer {
    client: reqwest::Client,
    site: Site,
    lti: Credentials,
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
        Ok(Replayer {
            client,
            site,
            lti: Credentials::default(),
        })
    }

    /// The site's wwwroot.
    pub fn url(&self) -> &str {
        &self.site.url
    }

    /// Sends a record's request: the site's token for `<TOKEN>` (for the LTI roles the
    /// tool's access token, the registration token, a browser session with its session key
    /// for `<SESSKEY>`), the site's generated ids for recorded ones, tool-signed JWTs
    /// re-signed (`lti.rs`), uploads as multipart parts of the recorded sizes.
    pub async fn send(&mut self, record: &Record, ids: &IdMap) -> Result<Answer, String> {
        let site = self.site.url.trim_end_matches('/').to_owned();
        let role = record.token_role.as_str();
        let session = if role.ends_with("_session") {
            Some(self.lti.session(&self.client, &site, role).await?)
        } else {
            None
        };
        let token = match role {
            "none" | "invalid" => None,
            "tool" => self.lti.tool_token.clone(),
            "registration_token" => self.lti.registration_token.clone(),
            _ if session.is_some() => None,
            role => Some(
                self.site
                    .tokens
                    .get(role)
                    .cloned()
                    .ok_or_else(|| format!("the site has no token for role {role}"))?,
            ),
        };
        let registration = self.lti.registration_token.clone().unwrap_or_default();
        let value = |v: &Value| {
            let mut text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if let Some(t) = &token {
                text = text.replace("<TOKEN>", t);
            }
            if let Some(s) = &session {
                text = text.replace("<SESSKEY>", &s.sesskey);
            }
            text = text
                .replace("<REGISTRATION_TOKEN>", &registration)
                .replace("<FOREIGN_JWT>", &foreign_registration_token());
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
        if let Some(s) = &session {
            request = request.header("Cookie", &s.cookie);
        }
        let mut json_body = false;
        for (name, v) in record.request_headers.iter().flatten() {
            json_body |= name.eq_ignore_ascii_case("content-type") && value(v).contains("json");
            request = request.header(name.as_str(), value(v));
        }
        let params = record.params.clone().unwrap_or(Value::Null);
        let fields: Vec<(String, String)> = match &params {
            Value::Object(map) if !json_body => map
                .iter()
                .map(|(k, v)| {
                    let v = value(v);
                    let v = if RESIGNED_FIELDS.contains(&k.as_str()) {
                        resign(&v, &site)
                    } else {
                        v
                    };
                    (k.clone(), v)
                })
                .collect(),
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
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("reading the body: {}", e.without_url()))?
            .to_vec();
        let answer = Answer {
            status,
            content_type,
            headers,
            body,
        };
        self.lti.learn(
            &record.path,
            status,
            answer.header("location"),
            &answer.body,
        );
        Ok(answer)
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
