//! HTTPS served by the bridge itself: `TLS_CERT_FILE` and `TLS_KEY_FILE` (PEM), both or
//! neither. Only the names are read here; the files are loaded (and reloaded when they
//! change) by `crate::tls`, at start and by `moodle-bridge config check`.

use std::path::PathBuf;

use super::{Env, Problems};

/// Where the certificate and its key are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    /// `TLS_CERT_FILE`: the certificate chain, leaf first (PEM; e.g. certbot's
    /// `fullchain.pem`).
    pub cert_file: PathBuf,
    /// `TLS_KEY_FILE`: its private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key_file: PathBuf,
}

/// The TLS files from `env` (`None`: plain HTTP), problems added to `p`.
pub(super) fn tls_config(env: &Env, p: &mut Problems) -> Option<TlsConfig> {
    match (env.get("TLS_CERT_FILE"), env.get("TLS_KEY_FILE")) {
        (None, None) => None,
        (Some(cert), Some(key)) => Some(TlsConfig {
            cert_file: PathBuf::from(cert),
            key_file: PathBuf::from(key),
        }),
        (Some(_), None) => {
            p.push(
                "TLS_KEY_FILE",
                "required with TLS_CERT_FILE (the certificate's private key, PEM)",
            );
            None
        }
        (None, Some(_)) => {
            p.push(
                "TLS_CERT_FILE",
                "required with TLS_KEY_FILE (the certificate chain, PEM)",
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_files_come_together_or_not_at_all() {
        let mut p = Problems::default();
        assert_eq!(tls_config(&Env::default(), &mut p), None);
        let both = Env::from_pairs([("TLS_CERT_FILE", "/c.pem"), ("TLS_KEY_FILE", "/k.pem")]);
        let tls = tls_config(&both, &mut p).expect("both set");
        assert_eq!(tls.key_file, PathBuf::from("/k.pem"));
        assert!(p.is_empty());
        tls_config(&Env::from_pairs([("TLS_CERT_FILE", "/c.pem")]), &mut p);
        assert_eq!(p.names(), ["TLS_KEY_FILE"]);
    }
}
