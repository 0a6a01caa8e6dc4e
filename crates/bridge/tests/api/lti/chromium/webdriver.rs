//! Just enough W3C WebDriver (<https://www.w3.org/TR/webdriver2/>) over plain HTTP to drive
//! headless Chromium through chromedriver: a session, navigation, elements, frames and
//! windows, scripts and screenshots. Every command's error names the command and carries
//! the driver's message, so a failing step says which one and why.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

/// The key of an element reference in WebDriver's JSON (W3C, "web element identifier").
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long [`Session::wait`] waits by default.
pub const WAIT: Duration = Duration::from_secs(20);

/// A chromedriver process on a free port, stopped on drop.
pub struct Driver {
    url: String,
    http: reqwest::Client,
    _child: tokio::process::Child,
}

impl Driver {
    /// Starts `chromedriver` on a free loopback port and waits until it answers `/status`.
    pub async fn start(chromedriver: &Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = tokio::process::Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let driver = Driver {
            url: format!("http://127.0.0.1:{port}"),
            http: crate::helpers::http_client(),
            _child: child,
        };
        let started = Instant::now();
        loop {
            let ready = driver
                .http
                .get(format!("{}/status", driver.url))
                .send()
                .await
                .ok()
                .filter(|r| r.status().is_success());
            if ready.is_some() {
                return driver;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "chromedriver did not answer on port {port} within 15 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A new browser session with these `goog:chromeOptions`.
    pub async fn session(&self, chrome_options: Value) -> Session {
        let answer = send(
            &self.http,
            reqwest::Method::POST,
            &format!("{}/session", self.url),
            Some(json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": chrome_options,
                "timeouts": {"script": 30_000, "pageLoad": 30_000},
            }}})),
            "new session",
        )
        .await;
        let id = answer["sessionId"].as_str().expect("a session id");
        Session {
            http: self.http.clone(),
            url: format!("{}/session/{id}", self.url),
        }
    }
}

/// An element reference.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Element {
    fn json(&self) -> Value {
        json!({ ELEMENT_KEY: self.0 })
    }
}

/// One browser session; ended on [`Session::quit`] (chromedriver's exit ends it too).
pub struct Session {
    http: reqwest::Client,
    url: String,
}

/// One command; its `value`, or the driver's error and message.
async fn try_send(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
) -> Result<Value, String> {
    let mut request = http.request(method, url);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let text = response.text().await.map_err(|e| e.to_string())?;
    let answer: Value = serde_json::from_str(&text).map_err(|_| format!("not JSON: {text}"))?;
    if status.is_success() {
        Ok(answer["value"].clone())
    } else {
        Err(format!(
            "{status} {} {}",
            answer["value"]["error"], answer["value"]["message"]
        ))
    }
}

async fn send(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
    what: &str,
) -> Value {
    try_send(http, method, url, body)
        .await
        .unwrap_or_else(|e| panic!("WebDriver {what}: {e}"))
}

impl Session {
    async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        send(
            &self.http,
            method,
            &format!("{}{path}", self.url),
            body,
            path,
        )
        .await
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.command(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Value {
        self.command(reqwest::Method::GET, path, None).await
    }

    /// Navigates the current window.
    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    /// The current window's URL.
    pub async fn current_url(&self) -> String {
        self.get("/url")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The first element matching a CSS selector, if any.
    pub async fn try_find(&self, css: &str) -> Option<Element> {
        let found = self
            .post("/elements", json!({"using": "css selector", "value": css}))
            .await;
        found
            .as_array()
            .and_then(|all| all.first())
            .and_then(|e| e[ELEMENT_KEY].as_str())
            .map(|id| Element(id.to_owned()))
    }

    /// The first element matching a CSS selector.
    ///
    /// # Panics
    /// When none does, with the page's address and text.
    pub async fn find(&self, css: &str) -> Element {
        if let Some(found) = self.try_find(css).await {
            return found;
        }
        let url = self.current_url().await;
        let text = self
            .execute("return document.documentElement.outerHTML", Vec::new())
            .await;
        panic!("no element matches {css:?} at {url}: {text}");
    }

    /// Clicks an element.
    pub async fn click(&self, element: &Element) {
        self.post(&format!("/element/{}/click", element.0), json!({}))
            .await;
    }

    /// Types into an element (for a file input: the file's path).
    pub async fn send_keys(&self, element: &Element, text: &str) {
        self.post(
            &format!("/element/{}/value", element.0),
            json!({ "text": text }),
        )
        .await;
    }

    /// An element's rendered text.
    pub async fn text(&self, element: &Element) -> String {
        self.get(&format!("/element/{}/text", element.0))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Runs a script (`arguments[i]` are `args`; elements pass as references); its value.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
            .await
    }

    /// Runs `script` (which returns a value) until the value is truthy; that value.
    ///
    /// # Panics
    /// After `WAIT`, naming `what` and the last value.
    pub async fn wait(&self, what: &str, script: &str) -> Value {
        let started = Instant::now();
        loop {
            // While a frame navigates its document may be gone for a moment: try again.
            let value = try_send(
                &self.http,
                reqwest::Method::POST,
                &format!("{}/execute/sync", self.url),
                Some(json!({ "script": script, "args": [] })),
            )
            .await
            .unwrap_or(Value::Null);
            let truthy = match &value {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::String(s) => !s.is_empty(),
                Value::Number(n) => n.as_f64() != Some(0.0),
                _ => true,
            };
            if truthy {
                return value;
            }
            if started.elapsed() > WAIT {
                let url = self.current_url().await;
                let body = try_send(
                    &self.http,
                    reqwest::Method::POST,
                    &format!("{}/execute/sync", self.url),
                    Some(json!({
                        "script": "return document.body ? document.body.innerText : ''",
                        "args": [],
                    })),
                )
                .await
                .unwrap_or_else(Value::String);
                panic!("waited {WAIT:?} for {what}; at {url}, the page says: {body}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Switches into a frame element (`None`: back to the top-level document).
    pub async fn switch_to_frame(&self, frame: Option<&Element>) {
        let id = frame.map_or(Value::Null, Element::json);
        self.post("/frame", json!({ "id": id })).await;
    }

    /// The handles of the session's windows.
    pub async fn windows(&self) -> Vec<String> {
        self.get("/window/handles")
            .await
            .as_array()
            .map(|all| {
                all.iter()
                    .filter_map(|h| h.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Makes a window the current one.
    pub async fn switch_to_window(&self, handle: &str) {
        self.post("/window", json!({ "handle": handle })).await;
    }

    /// A PNG of the current window's viewport.
    pub async fn screenshot(&self) -> Vec<u8> {
        let data = self.get("/screenshot").await;
        base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap_or_default())
            .expect("a base64 screenshot")
    }

    /// A Chrome DevTools Protocol command (chromedriver's `goog/cdp/execute`).
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.post("/goog/cdp/execute", json!({ "cmd": cmd, "params": params }))
            .await
    }

    /// Ends the session (closes the browser).
    pub async fn quit(self) {
        self.command(reqwest::Method::DELETE, "", None).await;
    }
}
