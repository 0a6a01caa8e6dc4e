//! Where a webhook may be delivered: an `http(s)` URL without credentials, whose host is not a
//! loopback, private, link-local, shared, unspecified, multicast or documentation address —
//! checked when the subscription is saved (literal addresses) and again for every address
//! the name resolves to when a delivery connects ([`PublicOnly`], so a name that later
//! resolves inward is refused too). `WEBHOOK_ALLOW_PRIVATE_TARGETS` lifts the address rule
//! (tests, closed networks). Deliveries never follow redirects.

use std::net::{IpAddr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Why a URL cannot receive webhooks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Not an absolute http(s) URL, or one with a user name or password.
    #[error("url must be an http(s) URL without credentials")]
    NotHttp,
    /// A loopback, private or otherwise internal address.
    #[error("url points to an internal address ({0}); webhooks go to public addresses")]
    Internal(String),
}

/// Whether an address is one a webhook must not reach.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                // Shared address space (RFC 6598) and benchmarking (RFC 2544).
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (18..20).contains(&b))
                || a == 0
                || a >= 240
        }
        IpAddr::V6(v6) => {
            let seg = v6.segments();
            let embedded = |hi: u16, lo: u16| {
                is_internal(IpAddr::V4(std::net::Ipv4Addr::from(
                    (u32::from(hi) << 16) | u32::from(lo),
                )))
            };
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // Unique local (fc00::/7) and link-local (fe80::/10).
                || (seg[0] & 0xfe00) == 0xfc00
                || (seg[0] & 0xffc0) == 0xfe80
                // IPv4-compatible (::/96) and NAT64 (64:ff9b::/96) forms of an internal IPv4
                // address.
                || (seg[..6] == [0; 6] && embedded(seg[6], seg[7]))
                || (seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] && embedded(seg[6], seg[7]))
                // 6to4 (2002::/16) of an internal IPv4 address.
                || (seg[0] == 0x2002 && embedded(seg[1], seg[2]))
        }
    }
}

/// Checks a target URL as it is saved.
///
/// # Errors
/// [`TargetError`].
pub fn check(raw: &str, allow_private: bool) -> Result<Url, TargetError> {
    let url = Url::parse(raw.trim()).map_err(|_| TargetError::NotHttp)?;
    if !matches!(url.scheme(), "http" | "https")
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(TargetError::NotHttp);
    }
    let literal = match url.host() {
        None => return Err(TargetError::NotHttp),
        Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if !allow_private && (d == "localhost" || d.ends_with(".localhost")) {
                return Err(TargetError::Internal(d));
            }
            None
        }
    };
    if let Some(ip) = literal
        && !allow_private
        && is_internal(ip)
    {
        return Err(TargetError::Internal(ip.to_string()));
    }
    Ok(url)
}

/// The resolver deliveries connect through: the system's answers, without internal addresses
/// (unless allowed). A name with only internal addresses fails to resolve.
#[derive(Debug, Clone, Copy)]
pub struct PublicOnly {
    /// `WEBHOOK_ALLOW_PRIVATE_TARGETS`.
    pub allow_private: bool,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allow_private || !is_internal(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_and_odd_targets_are_refused() {
        for bad in [
            "http://127.0.0.1/hook",
            "http://10.1.2.3/",
            "http://192.168.0.5/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[64:ff9b::a00:1]/",
            "http://[2002:c0a8:1::1]/",
            "http://[::10.0.0.1]/",
            "http://0.0.0.0/",
            "http://100.64.0.1/",
            "http://localhost:8080/",
            "http://app.localhost/",
        ] {
            assert!(
                matches!(check(bad, false), Err(TargetError::Internal(_))),
                "{bad}"
            );
        }
        for bad in [
            "ftp://example.org/",
            "https://user:pw@example.org/",
            "not a url",
        ] {
            assert_eq!(check(bad, false), Err(TargetError::NotHttp), "{bad}");
        }
        assert!(check("https://hooks.example.org/moodle", false).is_ok());
        assert!(check("http://93.184.216.34/", false).is_ok());
        assert!(
            check("http://127.0.0.1:9/hook", true).is_ok(),
            "allowed when configured"
        );
    }

    #[tokio::test]
    async fn names_resolving_inward_do_not_resolve() {
        let strict = PublicOnly {
            allow_private: false,
        };
        let name: Name = "localhost".parse().expect("name");
        assert!(strict.resolve(name).await.is_err());
        let open = PublicOnly {
            allow_private: true,
        };
        let name: Name = "localhost".parse().expect("name");
        assert!(open.resolve(name).await.is_ok());
    }
}
