//! A webhook receiver for tests: an HTTP server on a loopback port that answers as told
//! (accept, fail with a status, or hang) and keeps every delivery it was sent, with its
//! headers, to be checked against the subscription's secret.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;

/// How the receiver answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 200.
    Accept,
    /// This status, without keeping the delivery as received.
    Fail(u16),
    /// 200 after this many milliseconds (the delivery is kept as it arrives).
    Slow(u64),
}

/// One delivery as received.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// `webhook-id`.
    pub id: String,
    /// `webhook-timestamp`.
    pub timestamp: i64,
    /// `webhook-signature`.
    pub signature: String,
    /// The raw body.
    pub body: Bytes,
    /// The body as JSON.
    pub event: Value,
}

impl Delivery {
    /// Whether the signature is right for `secret`.
    pub fn verifies(&self, secret: &str) -> bool {
        bridge::webhooks::signing::verify(
            secret,
            &self.id,
            self.timestamp,
            &self.body,
            &self.signature,
        )
    }
}

#[derive(Default)]
struct Inner {
    mode: Option<Mode>,
    received: Vec<Delivery>,
    refused: usize,
}

/// A running receiver.
#[derive(Clone)]
pub struct Receiver {
    /// `http://127.0.0.1:port/hook`.
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

impl Receiver {
    /// Starts one that accepts.
    pub async fn start() -> Receiver {
        let inner = Arc::new(Mutex::new(Inner {
            mode: Some(Mode::Accept),
            ..Inner::default()
        }));
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind the receiver");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            url: format!("http://{addr}/hook"),
            inner,
        }
    }

    /// Changes how it answers.
    pub fn set(&self, mode: Mode) {
        self.inner.lock().expect("lock").mode = Some(mode);
    }

    /// Everything accepted so far, in arrival order.
    pub fn received(&self) -> Vec<Delivery> {
        self.inner.lock().expect("lock").received.clone()
    }

    /// How many tries it refused.
    pub fn refused(&self) -> usize {
        self.inner.lock().expect("lock").refused
    }

    /// Waits until `done` holds for what was accepted (at most `within`), and answers it.
    pub async fn wait_for(
        &self,
        within: Duration,
        done: impl Fn(&[Delivery]) -> bool,
    ) -> Vec<Delivery> {
        let until = tokio::time::Instant::now() + within;
        loop {
            let got = self.received();
            if done(&got) || tokio::time::Instant::now() >= until {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn receive(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let delay = {
        let mut inner = inner.lock().expect("lock");
        if let Some(Mode::Fail(status)) = inner.mode {
            inner.refused += 1;
            return StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        }
        inner.received.push(Delivery {
            id: header("webhook-id"),
            timestamp: header("webhook-timestamp").parse().unwrap_or(0),
            signature: header("webhook-signature"),
            event: serde_json::from_slice(&body).unwrap_or(Value::Null),
            body,
        });
        match inner.mode {
            Some(Mode::Slow(ms)) => ms,
            _ => 0,
        }
    };
    tokio::time::sleep(Duration::from_millis(delay)).await;
    StatusCode::OK
}
