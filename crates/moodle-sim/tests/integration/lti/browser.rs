//! A browser for the tests: one Moodle session cookie (sent to the site only), no automatic
//! redirects, and the auto-posting forms submitted the way their script would.

use serde_json::Value;

use super::html;
use crate::transcript::{login, set_cookie};

/// An answer as the browser sees it.
#[derive(Debug)]
pub struct Page {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: String,
    /// `Location`, for redirects.
    pub location: Option<String>,
    /// Every `Set-Cookie` header.
    pub cookies: Vec<String>,
    /// The body.
    pub body: String,
}

impl Page {
    /// The page's auto-posting form (`action`, `method`, `fields`).
    pub fn form(&self) -> Value {
        html::form(&self.body)
            .unwrap_or_else(|| panic!("no form in: {}", &self.body[..self.body.len().min(400)]))
    }

    /// A field of the page's form.
    pub fn field(&self, name: &str) -> String {
        self.form()["fields"][name]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// A browser on one site.
pub struct Browser {
    http: reqwest::Client,
    /// The site's wwwroot.
    pub site: String,
    /// `MoodleSession=…`, once the site set one.
    pub cookie: Option<String>,
    /// The session key, for a logged-in browser.
    pub sesskey: String,
}

impl Browser {
    /// A browser without a session.
    pub fn new(site: &str) -> Browser {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .build()
                .expect("client"),
            site: site.trim_end_matches('/').to_owned(),
            cookie: None,
            sesskey: String::new(),
        }
    }

    /// A browser logged in as a seeded user through the login form.
    pub async fn login(site: &str, username: &str) -> Browser {
        let mut b = Browser::new(site);
        let s = login(&b.http, &b.site, username).await.expect("logs in");
        b.cookie = Some(s.cookie);
        b.sesskey = s.sesskey;
        b
    }

    fn url(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with("http") {
            path_or_url.to_owned()
        } else {
            format!("{}{path_or_url}", self.site)
        }
    }

    async fn send(&mut self, req: reqwest::RequestBuilder, to_site: bool) -> Page {
        let req = match (&self.cookie, to_site) {
            (Some(c), true) => req.header("Cookie", c),
            _ => req,
        };
        let resp = req.send().await.expect("request");
        if to_site && let Some(c) = set_cookie(resp.headers()) {
            self.cookie = Some(c);
        }
        let h = resp.headers();
        let text = |n: reqwest::header::HeaderName| {
            h.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned)
        };
        let page = Page {
            status: resp.status().as_u16(),
            content_type: text(reqwest::header::CONTENT_TYPE).unwrap_or_default(),
            location: text(reqwest::header::LOCATION),
            cookies: h
                .get_all(reqwest::header::SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok().map(str::to_owned))
                .collect(),
            body: String::new(),
        };
        Page {
            body: resp.text().await.expect("body"),
            ..page
        }
    }

    /// GET a page (the cookie goes along to the site only).
    pub async fn get(&mut self, path_or_url: &str) -> Page {
        let url = self.url(path_or_url);
        let to_site = url.starts_with(&self.site);
        let req = self.http.get(&url);
        self.send(req, to_site).await
    }

    /// POST form fields.
    pub async fn post(&mut self, path_or_url: &str, fields: &[(String, String)]) -> Page {
        let url = self.url(path_or_url);
        let to_site = url.starts_with(&self.site);
        let req = self.http.post(&url).form(fields);
        self.send(req, to_site).await
    }

    /// Submits a page's auto-posting form, as its script does.
    pub async fn submit(&mut self, page: &Page) -> Page {
        let form = page.form();
        let fields: Vec<(String, String)> = form["fields"]
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        self.post(form["action"].as_str().unwrap_or_default(), &fields)
            .await
    }
}
