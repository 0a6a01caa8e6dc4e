//! A small HTTP "browser" for launches over plain HTTP: a cookie jar per host (cookies do
//! not tell ports apart, as in browsers), redirects followed, and the auto-posted forms of
//! Moodle's and the bridge's pages found and submitted as their scripts would.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// A page as the browser got it.
#[derive(Debug, Clone)]
pub struct Page {
    /// Where it came from (after redirects).
    pub url: String,
    /// Its status.
    pub status: StatusCode,
    /// Its headers.
    pub headers: reqwest::header::HeaderMap,
    /// Its text.
    pub body: String,
}

/// A form found on a page.
#[derive(Debug, Clone)]
pub struct Form {
    /// Where it posts.
    pub action: String,
    /// Its fields.
    pub fields: Vec<(String, String)>,
}

impl Form {
    /// The value of a field.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of `name="…"` in a tag.
fn attr(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let needle = format!(" {name}=\"");
    let start = lower.find(&needle)? + needle.len();
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

impl Page {
    /// The form with this `id` or `name`.
    pub fn form(&self, id: &str) -> Option<Form> {
        let mut rest = self.body.as_str();
        while let Some(start) = rest.find("<form") {
            let end = rest[start..]
                .find("</form>")
                .map_or(rest.len(), |e| start + e);
            let chunk = &rest[start..end];
            let tag_end = chunk.find('>').unwrap_or(chunk.len());
            let tag = &chunk[..tag_end];
            if attr(tag, "id").as_deref() == Some(id) || attr(tag, "name").as_deref() == Some(id) {
                return Some(Form {
                    action: attr(tag, "action").unwrap_or_default(),
                    fields: inputs(chunk),
                });
            }
            rest = &rest[end..];
        }
        None
    }

    /// Every form on the page.
    pub fn forms(&self) -> Vec<Form> {
        self.body
            .split("<form")
            .skip(1)
            .map(|chunk| {
                let chunk = chunk.split("</form>").next().unwrap_or_default();
                let tag = &chunk[..chunk.find('>').unwrap_or(chunk.len())];
                Form {
                    action: attr(&format!(" {tag}"), "action").unwrap_or_default(),
                    fields: inputs(chunk),
                }
            })
            .collect()
    }

    /// The JSON of `<script type="application/json" id="…">`.
    pub fn json_block(&self, id: &str) -> Option<Value> {
        let marker = format!("id=\"{id}\">");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find("</script>")? + start;
        serde_json::from_str(&self.body[start..end]).ok()
    }

    /// The `src` of the iframe with this id.
    pub fn iframe_src(&self, id: &str) -> Option<String> {
        let start = self.body.find(&format!("id=\"{id}\""))?;
        let tag_start = self.body[..start].rfind("<iframe")?;
        let tag_end = self.body[tag_start..].find('>')? + tag_start;
        attr(&self.body[tag_start..tag_end], "src")
    }

    /// The `data-code` of the bridge's notice pages.
    pub fn code(&self) -> Option<String> {
        let start = self.body.find("data-code=\"")? + "data-code=\"".len();
        let end = self.body[start..].find('"')? + start;
        Some(self.body[start..end].to_owned())
    }
}

fn inputs(chunk: &str) -> Vec<(String, String)> {
    chunk
        .split("<input")
        .skip(1)
        .filter_map(|i| {
            let tag = format!(" {}", &i[..i.find('>').unwrap_or(i.len())]);
            Some((attr(&tag, "name")?, attr(&tag, "value").unwrap_or_default()))
        })
        .collect()
}

/// A browser: cookies by host, redirects followed.
pub struct Browser {
    http: reqwest::Client,
    jar: Mutex<HashMap<String, BTreeMap<String, String>>>,
}

impl Browser {
    /// A browser with an empty cookie jar.
    pub fn new() -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .tls_backend_preconfigured(moodle_ws::tls::config(&[], false).expect("tls"))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            jar: Mutex::new(HashMap::new()),
        }
    }

    fn host(url: &str) -> String {
        url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// The cookies the jar holds for `url`'s host.
    pub fn cookies(&self, url: &str) -> BTreeMap<String, String> {
        self.jar
            .lock()
            .expect("jar")
            .get(&Self::host(url))
            .cloned()
            .unwrap_or_default()
    }

    /// Forgets a cookie (as a browser refusing it would never have kept it).
    pub fn drop_cookies(&self, url: &str, prefix: &str) {
        if let Some(c) = self.jar.lock().expect("jar").get_mut(&Self::host(url)) {
            c.retain(|name, _| !name.starts_with(prefix));
        }
    }

    /// Sets a cookie for `url`'s host.
    pub fn set_cookie(&self, url: &str, name: &str, value: &str) {
        self.jar
            .lock()
            .expect("jar")
            .entry(Self::host(url))
            .or_default()
            .insert(name.to_owned(), value.to_owned());
    }

    fn keep(&self, url: &str, headers: &reqwest::header::HeaderMap) {
        let mut jar = self.jar.lock().expect("jar");
        let cookies = jar.entry(Self::host(url)).or_default();
        for value in headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            let mut parts = value.split(';');
            let Some((name, val)) = parts.next().and_then(|p| p.trim().split_once('=')) else {
                continue;
            };
            let expired = parts.any(|p| p.trim().eq_ignore_ascii_case("max-age=0"));
            if expired {
                cookies.remove(name);
            } else {
                cookies.insert(name.to_owned(), val.to_owned());
            }
        }
    }

    /// Sends a request with the jar's cookies, follows redirects, keeps cookies.
    pub async fn send(&self, method: Method, url: &str, form: Option<&[(String, String)]>) -> Page {
        let mut method = method;
        let mut url = url.to_owned();
        let mut form = form.map(<[(String, String)]>::to_vec);
        for _ in 0..10 {
            let cookie: String = self
                .cookies(&url)
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            let mut request = self.http.request(method.clone(), &url);
            if !cookie.is_empty() {
                request = request.header(COOKIE, cookie);
            }
            if let Some(fields) = &form {
                request = request
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(
                        form_urlencoded::Serializer::new(String::new())
                            .extend_pairs(fields.iter())
                            .finish(),
                    );
            }
            let response = request.send().await.expect("request");
            self.keep(&url, response.headers());
            let status = response.status();
            if status.is_redirection() {
                let location = response.headers()[LOCATION]
                    .to_str()
                    .expect("location")
                    .to_owned();
                url = url::Url::parse(&url)
                    .expect("url")
                    .join(&location)
                    .expect("join")
                    .to_string();
                method = Method::GET;
                form = None;
                continue;
            }
            let headers = response.headers().clone();
            let body = response.text().await.expect("body");
            return Page {
                url,
                status,
                headers,
                body,
            };
        }
        panic!("too many redirects");
    }

    /// GET.
    pub async fn get(&self, url: &str) -> Page {
        self.send(Method::GET, url, None).await
    }

    /// Submits a form found on a page (relative actions resolved against the page).
    pub async fn submit(&self, page: &Page, form: &Form) -> Page {
        let action = url::Url::parse(&page.url)
            .expect("url")
            .join(&form.action)
            .expect("action")
            .to_string();
        self.send(Method::POST, &action, Some(&form.fields)).await
    }
}
