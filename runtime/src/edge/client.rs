//! The client's address: the TCP peer, or — when the peer is a trusted
//! proxy (`SLUICE_TRUSTED_PROXIES`) — the address the proxies recorded in
//! the one header the operator names (`SLUICE_CLIENT_IP_HEADER`,
//! `X-Forwarded-For` unless told otherwise). IPv4-mapped IPv6 addresses
//! become IPv4 here, the one place the address is determined, so IPv4 rules
//! hold them; [`network_of`] groups IPv6 clients by their subnet for bans
//! and per-address limits.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, header};
use forwarded_header_value::{ForwardedStanza, Identifier};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

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
                    .map(|c| Self(c.0.ip().to_canonical()))
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

/// A network in CIDR notation, or one address as a /32 or /128; an
/// IPv4-mapped IPv6 network (`::ffff:10.0.0.0/104`) is its IPv4 network
/// (`10.0.0.0/8`), since client addresses are compared in that form.
///
/// # Errors
/// A message naming the text.
pub fn parse_network(text: &str) -> Result<IpNet, String> {
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map(|net| canonical_network(net.trunc()))
        .map_err(|_| {
            format!(
                "{text:?} is neither a network in CIDR notation (203.0.113.0/24) nor an address"
            )
        })
}

/// The IPv4 network an IPv4-mapped IPv6 network stands for, else `net`.
fn canonical_network(net: IpNet) -> IpNet {
    if let IpNet::V6(v6) = net
        && v6.prefix_len() >= 96
        && let Some(v4) = v6.addr().to_ipv4_mapped()
        && let Ok(mapped) = Ipv4Net::new(v4, v6.prefix_len() - 96)
    {
        return IpNet::V4(mapped);
    }
    net
}

/// How the proxies in front record the client: the request header they
/// append hops to (`SLUICE_CLIENT_IP_HEADER`, default `x-forwarded-for`).
/// `forwarded` is read as RFC 7239 (`for=` of each element); any other
/// header as `X-Forwarded-For` is: comma-separated addresses, each
/// optionally with a port (`203.0.113.7:4711`, `[2001:db8::1]:4711`), so a
/// single-address header such as `x-real-ip` works too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardingHeader(HeaderName);

impl Default for ForwardingHeader {
    fn default() -> Self {
        Self(HeaderName::from_static("x-forwarded-for"))
    }
}

impl std::str::FromStr for ForwardingHeader {
    type Err = String;

    /// A header name, case-insensitive.
    fn from_str(name: &str) -> Result<Self, String> {
        HeaderName::from_bytes(name.trim().as_bytes())
            .map(Self)
            .map_err(|_| {
                format!(
                    "{name:?} is not a header name; use the header your proxy appends the \
                     client's address to, e.g. x-forwarded-for or forwarded"
                )
            })
    }
}

impl std::fmt::Display for ForwardingHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl ForwardingHeader {
    /// The header's name.
    pub fn name(&self) -> &HeaderName {
        &self.0
    }

    /// The address one element of the header names; `None` for an element
    /// without one (`unknown`, an obfuscated node, no `for=`) or that does
    /// not parse.
    fn hop(&self, element: &str) -> Option<IpAddr> {
        if self.0 == header::FORWARDED {
            element.parse::<ForwardedStanza>().ok()?.forwarded_for_ip()
        } else {
            element.parse::<Identifier>().ok()?.ip()
        }
    }
}

/// The client's address for a request from `peer` with `headers`: the
/// peer itself unless it is in `trusted`; otherwise the hops the proxies
/// recorded in `header` (every line of it, in order) are read from the
/// nearest back, skipping trusted ones, and the first untrusted hop is the
/// client. Only the right end of the list is the proxies' own writing; what
/// lies left of the client's hop is whatever the client sent, so it is
/// never read (nor any other forwarding header: a client's own
/// `Forwarded: for=…` beside an `X-Forwarded-For` its proxy appends to is
/// ignored). An element without an address or that does not parse stops
/// the walk at the last address known. Every address is made canonical
/// (`::ffff:192.0.2.1` is `192.0.2.1`).
pub fn resolve(
    peer: IpAddr,
    headers: &HeaderMap,
    header: &ForwardingHeader,
    trusted: &[IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer.to_canonical();
    if !is_trusted(&client) {
        return client;
    }
    // Lines from the last, elements of each from the last: splitting at
    // every comma is safe from the right, where proxies wrote; a quoted
    // comma (or a stray quote) can only be in the client's part.
    let elements = headers
        .get_all(header.name())
        .iter()
        .rev()
        .flat_map(|line| line.to_str().unwrap_or("").rsplit(','))
        .map(str::trim)
        .filter(|element| !element.is_empty());
    for element in elements {
        let Some(ip) = header.hop(element) else {
            break;
        };
        client = ip.to_canonical();
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

/// The network `ip` is counted as for bans, failed-request counts and
/// per-address rate limits: an IPv4 address alone (/32), an IPv6 address's
/// `/ipv6_prefix` (`SLUICE_IPV6_PREFIX`, default 64) — one subscriber is
/// commonly given a whole /64 and can rotate through its addresses at will.
pub fn network_of(ip: IpAddr, ipv6_prefix: u8) -> IpNet {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpNet::V4(Ipv4Net::from(v4)),
        IpAddr::V6(v6) => Ipv6Net::new(v6, ipv6_prefix.min(128)).map_or_else(
            |_| IpNet::V6(Ipv6Net::from(v6)),
            |net| IpNet::V6(net.trunc()),
        ),
    }
}

/// [`network_of`] as the key text of a count: the IPv4 address
/// (`192.0.2.1`) or the IPv6 network (`2001:db8:1:2::/64`).
pub fn network_key(ip: IpAddr, ipv6_prefix: u8) -> String {
    match network_of(ip, ipv6_prefix) {
        IpNet::V4(net) => net.addr().to_string(),
        net @ IpNet::V6(_) => net.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn xff() -> ForwardingHeader {
        ForwardingHeader::default()
    }

    fn forwarded() -> ForwardingHeader {
        "Forwarded".parse().unwrap()
    }

    #[test]
    fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
        let trusted = parse_trusted("10.0.0.0/8").unwrap();
        let peer = ip("192.0.2.1");
        let spoofed = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(resolve(peer, &spoofed, &xff(), &trusted), peer);
    }

    #[test]
    fn the_first_untrusted_hop_from_the_right_is_the_client() {
        let trusted = parse_trusted("10.0.0.0/8, 127.0.0.1").unwrap();
        let peer = ip("127.0.0.1");
        // The client forged the leftmost entry; the proxies appended theirs.
        let chain = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.7, 10.1.2.3")]);
        assert_eq!(resolve(peer, &chain, &xff(), &trusted), ip("198.51.100.7"));
        // Lines in order, as if joined with commas.
        let lines = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "198.51.100.8:4711, 10.1.2.3"),
        ]);
        assert_eq!(resolve(peer, &lines, &xff(), &trusted), ip("198.51.100.8"));
        let rfc = headers(&[(
            "forwarded",
            "for=192.0.2.60;proto=http, for=\"[2001:db8:cafe::17]:4711\"",
        )]);
        assert_eq!(
            resolve(peer, &rfc, &forwarded(), &trusted),
            ip("2001:db8:cafe::17")
        );
    }

    #[test]
    fn only_the_named_header_is_read() {
        let trusted = parse_trusted("127.0.0.1").unwrap();
        let peer = ip("127.0.0.1");
        // The client sends its own Forwarded; the proxy appends to
        // X-Forwarded-For (behind a forged left-most entry).
        let both = headers(&[
            ("forwarded", "for=203.0.113.50"),
            ("x-forwarded-for", "198.51.100.1, 192.0.2.10"),
        ]);
        assert_eq!(resolve(peer, &both, &xff(), &trusted), ip("192.0.2.10"));
        // And the other way round when the proxy writes Forwarded.
        let both = headers(&[
            ("forwarded", "for=198.51.100.1, for=192.0.2.10;proto=https"),
            ("x-forwarded-for", "203.0.113.50"),
        ]);
        assert_eq!(
            resolve(peer, &both, &forwarded(), &trusted),
            ip("192.0.2.10")
        );
        // Neither header: the peer.
        let none = headers(&[("x-forwarded-for", "203.0.113.50")]);
        assert_eq!(resolve(peer, &none, &forwarded(), &trusted), peer);
    }

    #[test]
    fn garbage_left_of_the_proxys_entry_does_not_hide_the_client() {
        let trusted = parse_trusted("127.0.0.1").unwrap();
        let peer = ip("127.0.0.1");
        for (header, value) in [
            (xff(), "not-an-address, 192.0.2.10"),
            (xff(), "\"1.2.3.4, 192.0.2.10"),
            (forwarded(), "for=\"1.2.3.4, for=192.0.2.10"),
            (forwarded(), "nonsense;;=, for=192.0.2.10"),
        ] {
            let map = headers(&[(
                if header == xff() {
                    "x-forwarded-for"
                } else {
                    "forwarded"
                },
                value,
            )]);
            assert_eq!(
                resolve(peer, &map, &header, &trusted),
                ip("192.0.2.10"),
                "{value}"
            );
        }
        // An unknown hop right of every address stops at the proxy.
        let unknown = headers(&[("forwarded", "for=192.0.2.10, for=unknown")]);
        assert_eq!(resolve(peer, &unknown, &forwarded(), &trusted), peer);
    }

    #[test]
    fn ipv4_mapped_addresses_become_ipv4() {
        let trusted = parse_trusted("10.0.0.0/8").unwrap();
        // A dual-stack listener reports the proxy as mapped: still trusted.
        let peer = ip("::ffff:10.0.0.5");
        let chain = headers(&[("x-forwarded-for", "::ffff:192.0.2.1")]);
        assert_eq!(resolve(peer, &chain, &xff(), &trusted), ip("192.0.2.1"));
        assert_eq!(
            resolve(ip("::ffff:192.0.2.9"), &chain, &xff(), &trusted),
            ip("192.0.2.9")
        );
        assert_eq!(
            parse_network("::ffff:10.0.0.0/104").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(
            parse_network("::ffff:192.0.2.1").unwrap().to_string(),
            "192.0.2.1/32"
        );
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_subnet() {
        assert_eq!(network_key(ip("192.0.2.1"), 64), "192.0.2.1");
        assert_eq!(
            network_key(ip("2001:db8:1:2:aaaa::1"), 64),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            network_of(ip("2001:db8:1:2:aaaa::1"), 48).to_string(),
            "2001:db8:1::/48"
        );
        assert_eq!(
            network_of(ip("2001:db8::1"), 128).to_string(),
            "2001:db8::1/128"
        );
        assert_eq!(network_key(ip("::ffff:192.0.2.1"), 64), "192.0.2.1");
    }

    #[test]
    fn a_bad_network_or_header_is_refused_with_its_text() {
        assert!(
            parse_trusted("10.0.0.0/33")
                .unwrap_err()
                .contains("10.0.0.0/33")
        );
        assert_eq!(
            parse_network("10.1.2.3/8").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert!(
            "x forwarded"
                .parse::<ForwardingHeader>()
                .unwrap_err()
                .contains("x forwarded")
        );
    }
}
