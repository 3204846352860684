//! The client's address: the TCP peer, or — when the peer is a trusted
//! proxy (`SLUICE_TRUSTED_PROXIES`) — the address the proxies recorded in
//! `Forwarded` (RFC 7239) or, without it, `X-Forwarded-For`.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use forwarded_header_value::ForwardedHeaderValue;
use ipnet::IpNet;

/// The request header through which an action learns the client's
/// address (the WIT `context` record has no field for it; a header keeps
/// components built against `sluice:action@0.1.0` working). The host sets
/// it on every request and drops any value the client sent.
pub const CLIENT_IP_HEADER: &str = "sluice-client-ip";

/// The client address of a request, resolved once by the edge middleware
/// and kept in the request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of(parts))
    }
}

impl ClientIp {
    /// The address the edge middleware resolved, else the TCP peer, else
    /// the unspecified address (a request that never crossed a socket).
    pub fn of(parts: &Parts) -> Self {
        Self::from_extensions(&parts.extensions)
    }

    /// As [`ClientIp::of`], from a request's extensions.
    pub fn from_extensions(extensions: &axum::http::Extensions) -> Self {
        extensions
            .get::<ClientIp>()
            .copied()
            .or_else(|| {
                extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|c| Self(c.0.ip()))
            })
            .unwrap_or(Self(IpAddr::from([0, 0, 0, 0])))
    }
}

/// Parses `SLUICE_TRUSTED_PROXIES`: comma-separated networks (`10.0.0.0/8`)
/// or single addresses.
///
/// # Errors
/// The first entry that is neither.
pub fn parse_trusted(list: &str) -> Result<Vec<IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(parse_network)
        .collect()
}

/// A network in CIDR notation, or one address as a /32 or /128.
///
/// # Errors
/// A message naming the text.
pub fn parse_network(text: &str) -> Result<IpNet, String> {
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map(|net| net.trunc())
        .map_err(|_| {
            format!(
                "{text:?} is neither a network in CIDR notation (203.0.113.0/24) nor an address"
            )
        })
}

/// The client's address for a request from `peer` with `headers`: the
/// peer itself unless it is in `trusted`; otherwise the hops the proxies
/// recorded are read from the nearest back, skipping trusted ones, and the
/// first untrusted hop is the client. A hop without an address (`unknown`,
/// an obfuscated name) or a header that does not parse stops the walk at
/// the last address known.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let joined = |name: &str| {
        let values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        (!values.is_empty()).then(|| values.join(","))
    };
    let hops = if let Some(forwarded) = joined("forwarded") {
        ForwardedHeaderValue::from_forwarded(&forwarded)
    } else if let Some(xff) = joined("x-forwarded-for") {
        ForwardedHeaderValue::from_x_forwarded_for(&xff)
    } else {
        return peer;
    };
    let Ok(hops) = hops else {
        return peer;
    };
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.forwarded_for_ip() {
            Some(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            None => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(name: &'static str, value: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(name, HeaderValue::from_str(value).unwrap());
        map
    }

    #[test]
    fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
        let trusted = parse_trusted("10.0.0.0/8").unwrap();
        let peer: IpAddr = "192.0.2.1".parse().unwrap();
        let spoofed = headers("x-forwarded-for", "198.51.100.7");
        assert_eq!(resolve(peer, &spoofed, &trusted), peer);
    }

    #[test]
    fn the_first_untrusted_hop_from_the_right_is_the_client() {
        let trusted = parse_trusted("10.0.0.0/8, 127.0.0.1").unwrap();
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        // The client forged the leftmost entry; the proxies appended theirs.
        let chain = headers("x-forwarded-for", "1.1.1.1, 198.51.100.7, 10.1.2.3");
        assert_eq!(
            resolve(peer, &chain, &trusted),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        let forwarded = headers(
            "forwarded",
            "for=192.0.2.60;proto=http, for=\"[2001:db8:cafe::17]:4711\"",
        );
        assert_eq!(
            resolve(peer, &forwarded, &trusted),
            "2001:db8:cafe::17".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn a_bad_network_is_refused_with_its_text() {
        assert!(
            parse_trusted("10.0.0.0/33")
                .unwrap_err()
                .contains("10.0.0.0/33")
        );
        assert_eq!(
            parse_network("10.1.2.3/8").unwrap().to_string(),
            "10.0.0.0/8"
        );
    }
}
