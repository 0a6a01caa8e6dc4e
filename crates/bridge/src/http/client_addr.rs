//! Who the client is on the network: the connecting peer, or — when the peer is one of
//! `TRUSTED_PROXIES` — the first address in its forwarding header that is not a trusted
//! proxy, read from the nearest hop outwards. Per-address rate limits, the audit log and the
//! request logs use this address, so behind one load balancer one client's failed token
//! logins do not lock out the others, and a client cannot pick its own address by sending
//! the header itself (only the hops a trusted proxy appended are believed).
//!
//! `X-Forwarded-For` is read (nginx, HAProxy and cloud load balancers append to it); without
//! it, RFC 7239 `Forwarded`. A proxy that sets only `Forwarded` must drop a client's
//! `X-Forwarded-For`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

use crate::config::HttpConfig;

/// The client's address, put in the request's extensions by the outermost middleware.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    /// The address the outermost middleware worked out; the bare peer if it did not run; the
    /// unspecified address when the server was started without connection info.
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<ClientAddr>()
            .copied()
            .or_else(|| {
                parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|ConnectInfo(peer)| ClientAddr(peer.ip().to_canonical()))
            })
            .unwrap_or(ClientAddr(IpAddr::V4(Ipv4Addr::UNSPECIFIED))))
    }
}

/// The client behind `peer`.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, config: &HttpConfig) -> IpAddr {
    let peer = peer.to_canonical();
    if !config.is_trusted_proxy(peer) {
        return peer;
    }
    let hops = forwarded_hops(headers);
    let mut nearest = peer;
    for hop in hops.iter().rev() {
        match hop {
            Some(ip) if config.is_trusted_proxy(*ip) => nearest = *ip,
            Some(ip) => return *ip,
            // An unreadable hop (`unknown`, an obfuscated name): nothing beyond it can be
            // believed, so the last proxy that vouched for itself is the client as far as
            // the bridge can tell.
            None => return nearest,
        }
    }
    nearest
}

/// The hops of the forwarding header, the original client first.
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let xff: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if !xff.is_empty() {
        return xff
            .iter()
            .flat_map(|v| v.split(','))
            .map(|hop| parse_node(hop.trim()))
            .collect();
    }
    headers
        .get_all("forwarded")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|element| {
            element
                .split(';')
                .filter_map(|pair| pair.split_once('='))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                .and_then(|(_, node)| parse_node(node.trim().trim_matches('"')))
        })
        .collect()
}

/// `192.0.2.7`, `192.0.2.7:4711`, `2001:db8::1`, `[2001:db8::1]:4711`.
fn parse_node(node: &str) -> Option<IpAddr> {
    let ip = node
        .parse::<IpAddr>()
        .ok()
        .or_else(|| node.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            node.strip_prefix('[')
                .and_then(|rest| rest.split(']').next())
                .and_then(|inner| inner.parse::<IpAddr>().ok())
        })?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;
    use crate::config::{Env, Problems};

    fn config(proxies: &str) -> HttpConfig {
        let mut p = Problems::default();
        let c =
            crate::config::http_config(&Env::from_pairs([("TRUSTED_PROXIES", proxies)]), &mut p);
        assert!(p.is_empty(), "{p}");
        c
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_str(value).expect("ascii"));
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let c = config("10.0.0.0/8");
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(
            client_address(ip("198.51.100.4"), &h, &c),
            ip("198.51.100.4")
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_first_untrusted_hop_from_the_right_is_the_client() {
        let c = config("10.0.0.0/8");
        // The client sent a forged entry; the proxy appended the address it saw.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9")]);
        assert_eq!(client_address(ip("10.0.0.2"), &h, &c), ip("203.0.113.9"));
        // Two trusted proxies in a row.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9, 10.0.0.7")]);
        assert_eq!(client_address(ip("10.0.0.2"), &h, &c), ip("203.0.113.9"));
        // Several header lines count as one list.
        let h = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-for", "203.0.113.9"),
        ]);
        assert_eq!(client_address(ip("10.0.0.2"), &h, &c), ip("203.0.113.9"));
    }

    #[test]
    fn forwarded_is_read_when_there_is_no_x_forwarded_for() {
        let c = config("10.0.0.0/8");
        let h = headers(&[(
            "forwarded",
            "for=1.2.3.4, for=\"[2001:db8::7]:4711\";proto=https",
        )]);
        assert_eq!(client_address(ip("10.0.0.2"), &h, &c), ip("2001:db8::7"));
        let h = headers(&[("forwarded", "for=198.51.100.17:8080;by=10.0.0.2")]);
        assert_eq!(client_address(ip("10.0.0.2"), &h, &c), ip("198.51.100.17"));
    }

    #[test]
    fn an_unreadable_hop_stops_the_walk_at_the_last_proxy() {
        let c = config("10.0.0.0/8");
        let h = headers(&[("x-forwarded-for", "203.0.113.9, unknown, 10.0.0.7")]);
        assert_eq!(client_address(ip("10.0.0.2"), &h, &c), ip("10.0.0.7"));
        let h = headers(&[]);
        assert_eq!(client_address(ip("10.0.0.2"), &h, &c), ip("10.0.0.2"));
    }
}
