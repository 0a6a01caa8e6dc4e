//! The HTTP side's limits: body sizes, the request timeout, which peers are trusted to say
//! who the client is (`TRUSTED_PROXIES`), the file manager's multipart bounds, the per-address
//! rate limit of the public LTI routes and the bounds on server-sent event streams. Every
//! input an anonymous or authenticated caller sends has one of these as its bound.

use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;

use super::{Env, Problems};

/// HTTP limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// `MAX_BODY_BYTES`: largest JSON body (default 1 MiB).
    pub max_body_bytes: usize,
    /// `MAX_UPLOAD_BYTES`: largest upload (default 512 MiB).
    pub max_upload_bytes: usize,
    /// `REQUEST_TIMEOUT_SECONDS`: longest time a request may take, uploads excepted
    /// (default 60).
    pub request_timeout: Duration,
    /// `TRUSTED_PROXIES`: peers (CIDRs) whose `Forwarded` / `X-Forwarded-For` is believed
    /// (default none: the connecting peer is the client).
    pub trusted_proxies: Vec<IpNet>,
    /// `UPLOAD_FILES_MAX_PARTS`: parts (files and fields) in one `/upload_files` body
    /// (default 20).
    pub upload_max_parts: usize,
    /// `UPLOAD_FILES_MAX_TOTAL_MB`: bytes of one `/upload_files` body (default 1024 MiB).
    pub upload_max_total_bytes: u64,
    /// `LTI_RATE_LIMIT_PER_MINUTE`: `/lti/login` and `/lti/launch` requests per client address
    /// and minute (default 120; 0: off).
    pub lti_per_minute: u32,
    /// `EVENT_STREAMS_PER_SUBJECT`: open server-sent event streams per caller (default 5).
    pub streams_per_subject: usize,
    /// `EVENT_STREAM_MAX_SECONDS`: longest life of one event stream (default 3600).
    pub stream_max_duration: Duration,
}

impl HttpConfig {
    /// Whether `peer` is a trusted proxy.
    pub fn is_trusted_proxy(&self, peer: IpAddr) -> bool {
        let peer = peer.to_canonical();
        self.trusted_proxies.iter().any(|net| net.contains(&peer))
    }
}

/// The HTTP limits from `env`, problems added to `p`.
pub(crate) fn http_config(env: &Env, p: &mut Problems) -> HttpConfig {
    let trusted_proxies = p.parse(env, "TRUSTED_PROXIES", Vec::new(), parse_proxies);
    HttpConfig {
        max_body_bytes: p.number(env, "MAX_BODY_BYTES", 1 << 20, 1024..=(64 << 20)),
        max_upload_bytes: p.number(env, "MAX_UPLOAD_BYTES", 512 << 20, 1024..=(64 << 30)),
        request_timeout: Duration::from_secs(p.number(
            env,
            "REQUEST_TIMEOUT_SECONDS",
            60u64,
            1..=3600,
        )),
        trusted_proxies,
        upload_max_parts: p.number(env, "UPLOAD_FILES_MAX_PARTS", 20, 1..=1000),
        upload_max_total_bytes: p.number(env, "UPLOAD_FILES_MAX_TOTAL_MB", 1024u64, 1..=1 << 20)
            << 20,
        lti_per_minute: p.number(env, "LTI_RATE_LIMIT_PER_MINUTE", 120, 0..=1_000_000),
        streams_per_subject: p.number(env, "EVENT_STREAMS_PER_SUBJECT", 5, 1..=1000),
        stream_max_duration: Duration::from_secs(p.number(
            env,
            "EVENT_STREAM_MAX_SECONDS",
            3600u64,
            1..=86_400,
        )),
    }
}

/// `10.0.0.0/8, 192.168.1.7, ::1`: networks or single addresses.
fn parse_proxies(raw: &str) -> Result<Vec<IpNet>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map(|net| net.trunc())
                .map_err(|_| {
                    format!("{item:?} is not an address or network, e.g. 10.0.0.0/8 or 192.0.2.7")
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_take_networks_and_single_addresses() {
        let env = Env::from_pairs([("TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7 ,::1")]);
        let mut p = Problems::default();
        let c = http_config(&env, &mut p);
        assert!(p.is_empty(), "{p}");
        assert!(c.is_trusted_proxy("10.1.2.3".parse().expect("ip")));
        assert!(c.is_trusted_proxy("192.0.2.7".parse().expect("ip")));
        assert!(!c.is_trusted_proxy("192.0.2.8".parse().expect("ip")));
        assert!(c.is_trusted_proxy("::1".parse().expect("ip")));
        assert!(
            c.is_trusted_proxy("::ffff:10.0.0.1".parse().expect("ip")),
            "an IPv4 peer seen on an IPv6 socket"
        );
    }

    #[test]
    fn a_bad_proxy_entry_names_the_variable_and_the_entry() {
        let env = Env::from_pairs([("TRUSTED_PROXIES", "10.0.0.0/8, proxy.local")]);
        let mut p = Problems::default();
        let c = http_config(&env, &mut p);
        assert_eq!(p.names(), ["TRUSTED_PROXIES"]);
        assert!(p.to_string().contains("proxy.local"), "{p}");
        assert!(
            c.trusted_proxies.is_empty(),
            "nothing is trusted on a bad value"
        );
    }

    #[test]
    fn by_default_no_peer_is_trusted_and_uploads_are_bounded() {
        let mut p = Problems::default();
        let c = http_config(&Env::default(), &mut p);
        assert!(p.is_empty());
        assert!(!c.is_trusted_proxy("127.0.0.1".parse().expect("ip")));
        assert_eq!(c.upload_max_parts, 20);
        assert_eq!(c.upload_max_total_bytes, 1 << 30);
    }
}
