//! HTTPS served by the bridge itself: the certificate and key of `TLS_CERT_FILE` /
//! `TLS_KEY_FILE` (PEM), loaded at start and reloaded while the service runs when either
//! file changes (checked every two seconds) or on SIGHUP, so a renewed certificate is served
//! without a restart. A renewal that cannot be loaded (a half-written file, a key that is not
//! the certificate's) is logged and the previous certificate stays. The accepting side is in
//! `tls/listener.rs`; plain HTTP (behind a TLS proxy) does not come here.

pub mod listener;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::sync::watch;

use crate::config::TlsConfig;

/// How often the files' modification times are compared.
const POLL: Duration = Duration::from_secs(2);

/// Why the certificate cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file cannot be read.
    #[error("{name} {path}: cannot be read: {source}")]
    Read {
        /// The variable naming the file.
        name: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file holds no usable PEM item of the kind expected.
    #[error("{name} {path}: {why}")]
    Pem {
        /// The variable naming the file.
        name: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// rustls cannot be set up (no safe protocol version).
    #[error("TLS setup failed: {0}")]
    Setup(String),
    /// The key does not belong to the certificate, or rustls refuses it.
    #[error("TLS_KEY_FILE {path}: {why}")]
    Key {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
}

/// What identifies a version of the two files: modification time and size of each.
type Stamp = [Option<(SystemTime, u64)>; 2];

/// The certificate being served, and where it comes from.
#[derive(Debug)]
pub struct Certificates {
    files: TlsConfig,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
    stamp: Mutex<Stamp>,
}

impl Certificates {
    /// Loads the certificate chain and key of `files`.
    ///
    /// # Errors
    /// [`TlsError`] naming the file at fault.
    pub fn load(files: &TlsConfig) -> Result<Arc<Certificates>, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let stamp = stamp(files);
        let key = read(files, &provider)?;
        Ok(Arc::new(Certificates {
            files: files.clone(),
            provider,
            current: RwLock::new(Arc::new(key)),
            stamp: Mutex::new(stamp),
        }))
    }

    /// How many certificates the served chain has (leaf first).
    pub fn chain_len(&self) -> usize {
        self.current.read().map_or(0, |k| k.cert.len())
    }

    /// The certificate file.
    pub fn cert_file(&self) -> &Path {
        &self.files.cert_file
    }

    /// Reads the files again when their modification time or size changed (or always, with
    /// `force`); on success the next handshakes get the new certificate.
    ///
    /// # Errors
    /// [`TlsError`]: the previous certificate stays in use, and the same version of the
    /// files is not tried again until it changes.
    pub fn reload(&self, force: bool) -> Result<bool, TlsError> {
        let now = stamp(&self.files);
        {
            let Ok(mut seen) = self.stamp.lock() else {
                return Ok(false);
            };
            if !force && *seen == now {
                return Ok(false);
            }
            *seen = now;
        }
        let key = read(&self.files, &self.provider)?;
        if let Ok(mut current) = self.current.write() {
            *current = Arc::new(key);
        }
        Ok(true)
    }

    /// A rustls server configuration that serves the current certificate (HTTP/1.1).
    ///
    /// # Errors
    /// [`TlsError::Setup`] when the provider offers no safe protocol version.
    pub fn server_config(self: &Arc<Self>) -> Result<rustls::ServerConfig, TlsError> {
        let mut config = rustls::ServerConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Setup(e.to_string()))?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }

    /// Reloads the files when they change or on SIGHUP until `stop` turns true.
    pub async fn watch(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut hangup = hangup();
        loop {
            let force = tokio::select! {
                _ = tick.tick() => false,
                () = next(&mut hangup) => true,
                _ = stop.changed() => return,
            };
            match self.reload(force) {
                Ok(false) => {}
                Ok(true) => tracing::info!(
                    cert = %self.files.cert_file.display(),
                    "TLS certificate reloaded"
                ),
                Err(e) => tracing::warn!(
                    error = %e,
                    "TLS certificate not reloaded; the previous one is still served"
                ),
            }
        }
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok().map(|k| k.clone())
    }
}

/// Reads and checks the chain and key.
fn read(files: &TlsConfig, provider: &CryptoProvider) -> Result<CertifiedKey, TlsError> {
    let cert_text = read_file("TLS_CERT_FILE", &files.cert_file)?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_text)
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::Pem {
            name: "TLS_CERT_FILE",
            path: files.cert_file.clone(),
            why: format!("not a PEM certificate chain ({e})"),
        })?;
    if chain.is_empty() {
        return Err(TlsError::Pem {
            name: "TLS_CERT_FILE",
            path: files.cert_file.clone(),
            why: "holds no certificate (expected -----BEGIN CERTIFICATE-----)".to_owned(),
        });
    }
    let key_text = read_file("TLS_KEY_FILE", &files.key_file)?;
    let key = PrivateKeyDer::from_pem_slice(&key_text).map_err(|e| TlsError::Pem {
        name: "TLS_KEY_FILE",
        path: files.key_file.clone(),
        why: format!("holds no PEM private key ({e})"),
    })?;
    CertifiedKey::from_der(chain, key, provider).map_err(|e| TlsError::Key {
        path: files.key_file.clone(),
        why: match e {
            rustls::Error::InconsistentKeys(_) => {
                "is not the key of the certificate in TLS_CERT_FILE".to_owned()
            }
            other => format!("cannot be used ({other})"),
        },
    })
}

fn read_file(name: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        name,
        path: path.to_owned(),
        source,
    })
}

fn stamp(files: &TlsConfig) -> Stamp {
    [&files.cert_file, &files.key_file].map(|path| {
        std::fs::metadata(path)
            .ok()
            .and_then(|m| Some((m.modified().ok()?, m.len())))
    })
}

#[cfg(unix)]
type Hangup = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangup = ();

#[cfg(unix)]
fn hangup() -> Hangup {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok()
}
#[cfg(not(unix))]
fn hangup() -> Hangup {}

#[cfg(unix)]
async fn next(hangup: &mut Hangup) {
    let received = match hangup {
        Some(signal) => signal.recv().await.is_some(),
        None => false,
    };
    if !received {
        std::future::pending::<()>().await;
    }
}
#[cfg(not(unix))]
async fn next(_: &mut Hangup) {
    std::future::pending().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(dir: &Path) -> (TlsConfig, [String; 2]) {
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
            .expect("params")
            .self_signed(&key)
            .expect("cert");
        let files = TlsConfig {
            cert_file: dir.join("cert.pem"),
            key_file: dir.join("key.pem"),
        };
        (files, [cert.pem(), key.serialize_pem()])
    }

    fn served(certs: &Certificates) -> Vec<u8> {
        certs.current.read().expect("lock").cert[0].to_vec()
    }

    #[test]
    fn a_renewal_that_cannot_be_loaded_keeps_the_previous_certificate() {
        let dir = tempfile::tempdir().expect("dir");
        let (files, [cert, key]) = pair(dir.path());
        std::fs::write(&files.cert_file, &cert).expect("write");
        std::fs::write(&files.key_file, &key).expect("write");
        let certs = Certificates::load(&files).expect("loads");
        let before = served(&certs);
        assert!(!certs.reload(false).expect("unchanged"), "nothing changed");

        // A new certificate whose key has not been written yet.
        let (_, [new_cert, new_key]) = pair(dir.path());
        std::fs::write(&files.cert_file, &new_cert).expect("write");
        let e = certs
            .reload(false)
            .expect_err("the key is not the certificate's");
        assert!(
            e.to_string().contains("is not the key of the certificate"),
            "{e}"
        );
        assert_eq!(
            served(&certs),
            before,
            "the previous certificate is still served"
        );

        std::fs::write(&files.key_file, &new_key).expect("write");
        assert!(certs.reload(false).expect("the pair is complete"));
        assert_ne!(served(&certs), before, "the new certificate is served");
    }

    #[test]
    fn a_file_without_a_certificate_is_named_in_the_error() {
        let dir = tempfile::tempdir().expect("dir");
        let (files, [_, key]) = pair(dir.path());
        std::fs::write(&files.cert_file, &key).expect("write");
        std::fs::write(&files.key_file, &key).expect("write");
        let e = Certificates::load(&files).expect_err("no certificate");
        assert!(e.to_string().starts_with("TLS_CERT_FILE "), "{e}");
    }
}
