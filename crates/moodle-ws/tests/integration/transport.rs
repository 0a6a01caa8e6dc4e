//! How REST calls travel: HTTPS with the site's certificate checked against the trusted
//! roots, HTTP/1.1 or HTTP/2 as ALPN decides, and through a proxy when the environment
//! names one (reqwest carries them then; `rest_http.rs` connects directly only).

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::{TokioExecutor, TokioIo};
use moodle_ws::{Client, Error};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use crate::helpers::{capture, read_request};

const TOKEN: &str = "0123456789abcdef0123456789abcdef";
const SITE_INFO: &str =
    r#"{"sitename":"S","username":"u","userid":7,"siteurl":"https://127.0.0.1","functions":[]}"#;

/// A certificate authority made for one test, and a server certificate it signed for
/// 127.0.0.1.
struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl TestCa {
    fn new() -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "moodle-ws test CA");
        let key = KeyPair::generate().expect("key");
        TestCa {
            issuer: CertifiedIssuer::self_signed(params, key).expect("CA"),
        }
    }

    fn root_der(&self) -> Vec<u8> {
        self.issuer.der().to_vec()
    }

    /// A TLS server configuration for 127.0.0.1 offering the `alpn` protocols.
    fn server(&self, alpn: &[&[u8]]) -> rustls::ServerConfig {
        let params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("params");
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &self.issuer).expect("signed");
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone(), self.issuer.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .expect("server config");
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        config
    }
}

/// An HTTPS site on loopback answering every request with [`SITE_INFO`]; records the
/// protocol of each connection ("h2" or "http/1.1"). Returns its URL and the record.
async fn https_site(config: rustls::ServerConfig) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("https://{}", listener.local_addr().expect("addr"));
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let protocols = Arc::new(Mutex::new(Vec::new()));
    let seen = protocols.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (acceptor, seen) = (acceptor.clone(), seen.clone());
            tokio::spawn(async move {
                // A refused handshake (the client did not trust us) ends here.
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return;
                };
                let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                seen.lock()
                    .expect("lock")
                    .push(if h2 { "h2" } else { "http/1.1" }.to_owned());
                if h2 {
                    let answer = hyper::service::service_fn(|_request| async {
                        Ok::<_, Infallible>(
                            http::Response::builder()
                                .header("content-type", "application/json")
                                .body(Full::new(Bytes::from_static(SITE_INFO.as_bytes())))
                                .expect("response"),
                        )
                    });
                    let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), answer)
                        .await;
                } else {
                    let _ = read_request(&mut tls).await;
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        SITE_INFO.len()
                    );
                    let _ = tls.write_all(head.as_bytes()).await;
                    let _ = tls.write_all(SITE_INFO.as_bytes()).await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    (url, protocols)
}

#[tokio::test]
async fn rest_calls_reach_an_https_site_over_http1_or_http2_as_alpn_decides() {
    let ca = TestCa::new();
    for (offered, expected) in [
        (vec![&b"http/1.1"[..]], "http/1.1"),
        (vec![&b"h2"[..], &b"http/1.1"[..]], "h2"),
    ] {
        let (url, protocols) = https_site(ca.server(&offered)).await;
        let moodle = Client::builder(&url)
            .token(TOKEN)
            .add_root_certificate_der(ca.root_der())
            .build()
            .expect("client");
        let info = moodle.get_site_info().await.expect("site info over https");
        assert_eq!(info.userid, 7);
        assert_eq!(*protocols.lock().expect("lock"), vec![expected.to_owned()]);
    }
}

#[tokio::test]
async fn an_https_site_whose_certificate_no_trusted_root_signed_is_refused() {
    let (url, _) = https_site(TestCa::new().server(&[b"http/1.1"])).await;
    // Trusts another CA (and the OS store, which knows neither).
    let moodle = Client::builder(&url)
        .token(TOKEN)
        .add_root_certificate_der(TestCa::new().root_der())
        .max_retries(0)
        .build()
        .expect("client");
    let err = moodle.get_site_info().await.expect_err("untrusted site");
    assert!(
        matches!(&err, Error::Connect { reason } if reason.contains("certificate")),
        "{err:?}"
    );
}

/// Set in the copy of this test binary that runs as the proxied client.
const PROXY_CHILD: &str = "MOODLE_WS_TEST_PROXY_CHILD";

#[tokio::test]
async fn rest_calls_go_through_a_proxy_the_environment_names() {
    if std::env::var_os(PROXY_CHILD).is_some() {
        // The child: a site whose name does not resolve, reachable through the proxy only.
        let moodle = Client::new("http://moodle.invalid/moodle", TOKEN).expect("client");
        let info = moodle
            .get_site_info()
            .await
            .expect("site info via the proxy");
        assert_eq!(info.userid, 7);
        return;
    }
    // The parent: the proxy, and this same test run again in a process whose environment
    // names it (the environment is read once per client, so a process of its own).
    let proxy = capture("200 OK", "application/json", SITE_INFO.to_owned(), false).await;
    let exe = std::env::current_exe().expect("test binary");
    let proxy_url = proxy.url.clone();
    let child = tokio::task::spawn_blocking(move || {
        std::process::Command::new(exe)
            .args([
                "--exact",
                "transport::rest_calls_go_through_a_proxy_the_environment_names",
                "--nocapture",
            ])
            .env(PROXY_CHILD, "1")
            .env("HTTP_PROXY", &proxy_url)
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .output()
            .expect("child test")
    })
    .await
    .expect("child");
    let out = String::from_utf8_lossy(&child.stdout);
    assert!(
        child.status.success() && out.contains("1 passed"),
        "{out}{}",
        String::from_utf8_lossy(&child.stderr)
    );
    let requests = proxy.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(
        requests[0].starts_with("POST http://moodle.invalid/moodle/webservice/rest/server.php "),
        "{}",
        requests[0]
    );
}

/// Site info whose `sitename` makes the answer `len` bytes long.
fn site_info_of_length(len: usize) -> String {
    let shell = SITE_INFO.replace(r#""S""#, r#""""#);
    let name = "x".repeat(len - shell.len());
    SITE_INFO.replace(r#""S""#, &format!("\"{name}\""))
}

#[tokio::test]
async fn an_answer_longer_than_the_clients_limit_is_refused_and_one_at_the_limit_is_read() {
    let limit = 64 * 1024;
    for (len, refused) in [(limit, false), (limit + 1, true), (4 * limit, true)] {
        let body = site_info_of_length(len);
        assert_eq!(body.len(), len);
        let site = capture("200 OK", "application/json", body, false).await;
        let moodle = Client::builder(format!("{}/moodle", site.url))
            .token(TOKEN)
            .max_answer_bytes(limit as u64)
            .build()
            .expect("client");
        let outcome = moodle.get_site_info().await;
        if refused {
            let err = outcome.expect_err("over the limit");
            assert!(
                matches!(err, Error::AnswerTooLarge { limit: l } if l == limit as u64),
                "{err:?}"
            );
            assert_eq!(err.kind(), moodle_ws::ErrorKind::BadResponse);
            // Not a transport failure: not repeated, though site info is a read.
            assert_eq!(site.requests().len(), 1);
        } else {
            assert_eq!(outcome.expect("at the limit").userid, 7);
        }
    }
}

#[tokio::test]
async fn a_token_login_answer_longer_than_the_clients_limit_is_refused() {
    let body = format!(r#"{{"token":"{}"}}"#, "a".repeat(8192));
    let site = capture("200 OK", "application/json", body, false).await;
    let moodle = Client::builder(format!("{}/moodle", site.url))
        .max_answer_bytes(4096)
        .build()
        .expect("client");
    let err = moodle
        .login("student1", &moodle_ws::Secret::new("pw"), "bridge")
        .await
        .expect_err("over the limit");
    assert!(
        matches!(err, Error::AnswerTooLarge { limit: 4096 }),
        "{err:?}"
    );
}
