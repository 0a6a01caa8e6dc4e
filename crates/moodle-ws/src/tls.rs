//! TLS for the client: rustls with the `ring` crypto provider (not aws-lc-rs: no C/CMake
//! toolchain needed, a smaller build) and the operating system's trust store through
//! `rustls-platform-verifier`.
//!
//! Why the platform verifier and not a baked-in root list (webpki-roots): Moodle sites at
//! schools often sit behind a private or enterprise CA installed in the OS store, which a
//! compiled-in Mozilla list would reject; the store is updated with the OS rather than
//! with our releases; and reqwest's `rustls-no-provider` feature already depends on this
//! crate, so it adds nothing to the build. Extra roots can be added per client.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;

use crate::error::Error;

/// A rustls client configuration for reqwest's `tls_backend_preconfigured`, for other HTTP
/// clients of an application that should trust what this crate trusts.
///
/// When the OS store cannot be read (a minimal container) and `https_site` is false, an
/// empty trust store is used, so such a client still works and refuses every https peer.
///
/// # Errors
/// [`Error::InvalidRequest`] when rustls cannot be set up, or the OS store cannot be read
/// and `https_site` is true.
pub fn config(extra_roots: &[Vec<u8>], https_site: bool) -> Result<rustls::ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots: Vec<CertificateDer<'static>> = extra_roots
        .iter()
        .map(|der| CertificateDer::from(der.clone()))
        .collect();
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(&e))?;
    let mut config =
        match rustls_platform_verifier::Verifier::new_with_extra_roots(roots.clone(), provider) {
            Ok(verifier) => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_no_client_auth(),
            Err(e) if https_site => return Err(tls_error(&e)),
            Err(e) => {
                tracing::debug!(error = %e, "no OS trust store; https peers will be refused");
                let mut store = rustls::RootCertStore::empty();
                store.add_parsable_certificates(roots);
                builder.with_root_certificates(store).with_no_client_auth()
            }
        };
    // reqwest leaves ALPN to a preconfigured TLS config.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

fn tls_error(e: &rustls::Error) -> Error {
    Error::InvalidRequest {
        reason: format!("tls setup failed: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_with_ring_and_offers_h2() {
        let config = config(&[], false).expect("tls config");
        assert_eq!(config.alpn_protocols[0], b"h2");
        assert!(
            config
                .crypto_provider()
                .cipher_suites
                .iter()
                .any(|s| format!("{:?}", s.suite()).contains("TLS13"))
        );
    }
}
