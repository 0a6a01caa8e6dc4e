//! The floor of the gateway benchmark (`scripts/bench-gateway`, path `floor`): the bridge's
//! HTTP stack with nothing of the bridge in it. `GET /api/moodle/siteinfo` and
//! `/api/moodle/courses` become the web-service POST the gateway makes, sent with the HTTP
//! client the bridge uses, and Moodle's answer goes back as it came: no authentication, no
//! JSON read, no envelope, no metrics, no logs. What the bridge costs above this is its own
//! work; what this costs above nginx is the libraries'.
//!
//! `FLOOR_CLIENT=hyper` sends with a plain hyper-util client instead of reqwest, which
//! measures what replacing reqwest for REST calls would gain.
//!
//! ```text
//! cargo run --release -p bridge --example floor_proxy -- http://127.0.0.1:PORT TOKEN 127.0.0.1:0
//! ```
//! prints `listening on 127.0.0.1:<port>`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

enum Upstream {
    Reqwest(reqwest::Client),
    Hyper(Box<HyperClient<HttpConnector, Full<Bytes>>>),
}

struct Floor {
    upstream: Upstream,
    rest: url::Url,
    rest_uri: http::Uri,
    token: String,
}

async fn forward(State(floor): State<Arc<Floor>>, Path(what): Path<String>) -> Response {
    let function = match what.as_str() {
        "siteinfo" => "core_webservice_get_site_info",
        "courses" => "core_course_get_courses",
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let body = Bytes::from(
        form_urlencoded::Serializer::new(String::with_capacity(128))
            .append_pair("wstoken", &floor.token)
            .append_pair("wsfunction", function)
            .append_pair("moodlewsrestformat", "json")
            .finish(),
    );
    let answer = match &floor.upstream {
        Upstream::Reqwest(client) => {
            let sent = client
                .post(floor.rest.clone())
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .timeout(Duration::from_secs(15))
                .body(body)
                .send()
                .await;
            match sent {
                Ok(response) => response.bytes().await.ok(),
                Err(_) => None,
            }
        }
        Upstream::Hyper(client) => {
            let request = http::Request::post(floor.rest_uri.clone())
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Full::new(body))
                .expect("a valid request");
            match tokio::time::timeout(Duration::from_secs(15), client.request(request)).await {
                Ok(Ok(response)) => response
                    .into_body()
                    .collect()
                    .await
                    .ok()
                    .map(|b| b.to_bytes()),
                _ => None,
            }
        }
    };
    match answer {
        Some(bytes) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            Body::from(bytes),
        )
            .into_response(),
        None => StatusCode::BAD_GATEWAY.into_response(),
    }
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(base), Some(token), Some(bind)) = (args.next(), args.next(), args.next()) else {
        eprintln!("usage: floor_proxy MOODLE_URL TOKEN BIND_ADDRESS");
        std::process::exit(2);
    };
    let rest = url::Url::parse(&format!(
        "{}/webservice/rest/server.php",
        base.trim_end_matches('/')
    ))
    .expect("a valid Moodle URL");
    let upstream = match std::env::var("FLOOR_CLIENT").as_deref() {
        Ok("hyper") => {
            let mut connector = HttpConnector::new();
            connector.set_nodelay(true);
            Upstream::Hyper(Box::new(
                HyperClient::builder(TokioExecutor::new()).build(connector),
            ))
        }
        _ => Upstream::Reqwest(
            // As moodle-ws builds its client.
            reqwest::Client::builder()
                .tls_backend_preconfigured(moodle_ws::tls::config(&[], false).expect("tls"))
                .connect_timeout(Duration::from_secs(15))
                .tcp_nodelay(true)
                .pool_idle_timeout(Duration::from_secs(60))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client"),
        ),
    };
    let floor = Arc::new(Floor {
        upstream,
        rest_uri: rest.as_str().parse().expect("a valid URI"),
        rest,
        token,
    });
    let router = Router::new()
        .route("/api/moodle/{what}", axum::routing::get(forward))
        .with_state(floor);
    let listener = tokio::net::TcpListener::bind(bind.parse::<SocketAddr>().expect("an address"))
        .await
        .expect("bind");
    println!("listening on {}", listener.local_addr().expect("address"));
    axum::serve(listener, router).await.expect("serve");
}
