//! Shared setup: a running stand-in, clients for its seeded tokens, a closed port, and a
//! capturing server that records raw requests.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use moodle_sim::{Sim, SimConfig};
use moodle_ws::{Client, ClientBuilder};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// A stand-in on an ephemeral loopback port.
pub async fn sim() -> Sim {
    Sim::start(SimConfig::default())
        .await
        .expect("the stand-in starts")
}

/// A seeded token.
pub fn token(sim: &Sim, role: &str) -> String {
    sim.token(role)
        .unwrap_or_else(|| panic!("no seeded token {role}"))
}

/// A client with default settings for a seeded role.
pub fn client(sim: &Sim, role: &str) -> Client {
    builder(sim, role).build().expect("client builds")
}

/// A builder for a seeded role, to adjust before building.
pub fn builder(sim: &Sim, role: &str) -> ClientBuilder {
    Client::builder(sim.url()).token(token(sim, role))
}

/// A loopback address nothing listens on (bound, then released).
pub fn closed_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    addr
}

/// A server that records each raw request and answers every one the same way.
pub struct Capture {
    /// `http://127.0.0.1:port`.
    pub url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Capture {
    /// The raw requests so far (head and body, lossy UTF-8).
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("lock").clone()
    }
}

/// Starts a capturing server answering `status` with `content_type` and `body`; with
/// `echo`, the body is followed by the request body it answers (like a careless proxy page).
pub async fn capture(
    status: &'static str,
    content_type: &'static str,
    body: String,
    echo: bool,
) -> Capture {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let seen = seen.clone();
            let body = body.clone();
            tokio::spawn(async move {
                let request = read_request(&mut socket).await;
                seen.lock().expect("lock").push(request.clone());
                let mut answer = body;
                if echo {
                    answer.push_str(request.split("\r\n\r\n").nth(1).unwrap_or_default());
                }
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    answer.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    Capture { url, requests }
}

/// One HTTP/1.1 request as text, read until its body is complete (or 2 s of silence).
pub async fn read_request(socket: &mut (impl tokio::io::AsyncRead + Unpin)) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(2), socket.read(&mut chunk)).await
        else {
            break;
        };
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                break;
            }
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}
