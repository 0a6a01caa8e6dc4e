//! HTTPS served by the bridge itself (`TLS_CERT_FILE`, `TLS_KEY_FILE`), with certificates
//! made here by a test CA: the configured certificate is served, the client's address still
//! reaches the audit log, plain HTTP is not answered on the HTTPS port, and a renewed
//! certificate written over the files is served without a restart.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use serde_json::json;

use crate::helpers::{Options, spawn_app_with};

/// A certificate authority made for one test.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl TestCa {
    /// A new CA named `name`.
    pub fn new(name: &str) -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().expect("key");
        TestCa {
            issuer: CertifiedIssuer::self_signed(params, key).expect("CA"),
        }
    }

    /// A server certificate for `localhost` and 127.0.0.1: (chain PEM, key PEM).
    pub fn server_certificate(&self) -> (String, String) {
        let params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("params");
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &self.issuer).expect("signed");
        (
            format!("{}{}", cert.pem(), self.issuer.pem()),
            key.serialize_pem(),
        )
    }

    /// An HTTPS client that trusts this CA only, and opens a new connection per request.
    pub fn client(&self) -> reqwest::Client {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.issuer.der().clone()).expect("root");
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        reqwest::Client::builder()
            .tls_backend_preconfigured(config)
            .pool_max_idle_per_host(0)
            .build()
            .expect("client")
    }
}

/// Writes the chain and key into `dir`: (cert file, key file).
fn write_pair(dir: &Path, (chain, key): &(String, String)) -> (PathBuf, PathBuf) {
    let (cert_file, key_file) = (dir.join("fullchain.pem"), dir.join("privkey.pem"));
    std::fs::write(&cert_file, chain).expect("cert");
    std::fs::write(&key_file, key).expect("key");
    (cert_file, key_file)
}

#[tokio::test]
async fn https_serves_the_configured_certificate_and_a_renewed_one_without_a_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let (first, renewed) = (TestCa::new("first CA"), TestCa::new("renewing CA"));
    let (cert_file, key_file) = write_pair(dir.path(), &first.server_certificate());
    let app = spawn_app_with(
        Options::default()
            .env("TLS_CERT_FILE", &cert_file.display().to_string())
            .env("TLS_KEY_FILE", &key_file.display().to_string()),
    )
    .await;
    let https = app.url.replacen("http://", "https://", 1);

    let health = first
        .client()
        .get(format!("{https}/health"))
        .send()
        .await
        .expect("HTTPS answers");
    assert_eq!(health.status(), 200);
    let plain = app.http.get(format!("{}/health", app.url)).send().await;
    assert!(
        plain.is_err(),
        "plain HTTP is not answered on the HTTPS port: {plain:?}"
    );
    assert!(
        renewed
            .client()
            .get(format!("{https}/health"))
            .send()
            .await
            .is_err(),
        "a client that trusts another CA is refused"
    );

    // The peer address reaches the handlers over TLS as over plain HTTP.
    let created = first
        .client()
        .post(format!("{https}/api/moodle/courses"))
        .bearer_auth(&app.token)
        .header("content-type", "application/json")
        .body(json!({"fullname": "Over TLS", "shortname": "TLS1", "categoryid": 1}).to_string())
        .send()
        .await
        .expect("answers");
    assert_eq!(created.status(), 200);
    let db = bridge::db::Db::connect(&app.database_url)
        .await
        .expect("db");
    let entries = bridge::audit::AuditLog::new(db.clone())
        .since(0, 10)
        .await
        .expect("audit");
    db.close().await;
    let entry = entries
        .iter()
        .find(|e| e.route == "POST /api/moodle/courses")
        .expect("the write is audited");
    assert_eq!(entry.client_address.as_deref(), Some("127.0.0.1"));

    // Certificates renew: the new files are served by the running service.
    write_pair(dir.path(), &renewed.server_certificate());
    let mut served_renewed = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if renewed
            .client()
            .get(format!("{https}/health"))
            .send()
            .await
            .is_ok()
        {
            served_renewed = true;
            break;
        }
    }
    assert!(
        served_renewed,
        "the renewed certificate is served within 10 s"
    );
    assert!(
        first
            .client()
            .get(format!("{https}/health"))
            .send()
            .await
            .is_err(),
        "the old certificate is no longer served"
    );
}

#[tokio::test]
async fn a_key_that_is_not_the_certificates_stops_the_start_naming_the_variable() {
    let dir = tempfile::tempdir().expect("dir");
    let ca = TestCa::new("CA");
    let (chain, _) = ca.server_certificate();
    let (_, other_key) = ca.server_certificate();
    let (cert_file, key_file) = write_pair(dir.path(), &(chain, other_key));
    let env = bridge::config::Env::from_pairs([
        ("MOODLE_BASE_URL", "http://127.0.0.1:9"),
        ("MOODLE_TOKEN", "0123456789abcdef0123456789abcdef"),
        ("SECRET_KEY", crate::helpers::SECRET_KEY),
        ("BIND", "127.0.0.1:0"),
        ("DATA_DIR", &dir.path().display().to_string()),
        ("TLS_CERT_FILE", &cert_file.display().to_string()),
        ("TLS_KEY_FILE", &key_file.display().to_string()),
    ]);
    let config = bridge::config::Config::from_env(
        &env,
        bridge::config::Needs {
            moodle: true,
            secret_key: true,
        },
    )
    .expect("valid settings");
    let Err(e) = bridge::app::App::build(&config).await else {
        panic!("the start must stop");
    };
    let text = e.to_string();
    assert!(
        text.starts_with("TLS_KEY_FILE ") && text.contains("is not the key of the certificate"),
        "{text}"
    );
}
