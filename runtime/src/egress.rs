//! The egress guard: what a request to a URL someone outside the operators
//! chose (a consumer's webhook) may connect to.
//!
//! An address is refused when it is not on the public internet — loopback,
//! unspecified, private (RFC 1918, unique local `fc00::/7`), link-local,
//! shared (carrier-grade NAT, `100.64.0.0/10`), multicast, broadcast,
//! documentation, benchmarking and other special-purpose ranges of the IANA
//! registries (RFC 6890), cloud metadata endpoints — and IPv6 forms that
//! carry such an IPv4 address (IPv4-mapped `::ffff:0:0/96`, NAT64
//! `64:ff9b::/96`, 6to4 `2002::/16`). The operator's allow-list
//! (`SLUICE_WEBHOOK_ALLOW_NETWORKS`, CIDRs) lifts the refusal for the
//! networks it names.
//!
//! The check is made on the address actually connected to, so that a name
//! resolving to a public address when the URL is checked and to
//! `127.0.0.1` when it is used (DNS rebinding) gets nowhere: [`client`]
//! builds a reqwest client whose resolver drops forbidden addresses
//! ([`GuardedResolver`]), which takes no proxy from the environment and
//! follows no redirect; reqwest does not resolve IP-literal hosts, so
//! [`check_destination`] checks those before the request is sent.
//! [`check_url`] refuses at creation time what is plainly forbidden without
//! resolving anything.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use ipnet::IpNet;
use url::{Host, Url};

/// The setting that allows networks; named in every refusal.
pub const ALLOW_SETTING: &str = "SLUICE_WEBHOOK_ALLOW_NETWORKS";

/// Forbidden ranges and what each is, most specific first (the first match
/// names the refusal). Sources: the IANA IPv4 and IPv6 Special-Purpose
/// Address Registries (RFC 6890 and its updates), RFC 1918, RFC 6598
/// (shared address space), RFC 4193 (unique local), RFC 9637 (`3fff::/20`),
/// and the providers' documented metadata endpoints (AWS, GCP, Azure,
/// Oracle: `169.254.169.254`; AWS ECS: `169.254.170.2`; AWS IPv6:
/// `fd00:ec2::254`; Alibaba: `100.100.100.200`).
const FORBIDDEN: &[(&str, &str)] = &[
    ("169.254.169.254/32", "a cloud metadata address"),
    ("169.254.170.2/32", "a cloud metadata address"),
    ("100.100.100.200/32", "a cloud metadata address"),
    ("fd00:ec2::254/128", "a cloud metadata address"),
    ("255.255.255.255/32", "the broadcast address"),
    ("0.0.0.0/32", "the unspecified address"),
    ("0.0.0.0/8", "a \"this network\" address"),
    ("10.0.0.0/8", "a private address"),
    ("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", "a link-local address"),
    ("172.16.0.0/12", "a private address"),
    ("192.0.0.0/24", "an IETF protocol assignment address"),
    ("192.0.2.0/24", "a documentation address"),
    ("192.88.99.0/24", "a 6to4 relay anycast address"),
    ("192.168.0.0/16", "a private address"),
    ("198.18.0.0/15", "a benchmarking address"),
    ("198.51.100.0/24", "a documentation address"),
    ("203.0.113.0/24", "a documentation address"),
    ("224.0.0.0/4", "a multicast address"),
    ("240.0.0.0/4", "a reserved address"),
    ("::/128", "the unspecified address"),
    ("::1/128", "a loopback address"),
    ("::/96", "an IPv4-compatible (deprecated) address"),
    ("64:ff9b:1::/48", "a local-use NAT64 address"),
    ("100::/64", "a discard-only address"),
    ("2001:2::/48", "a benchmarking address"),
    ("2001:db8::/32", "a documentation address"),
    ("3fff::/20", "a documentation address"),
    ("fc00::/7", "a private (unique local) address"),
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a site-local (deprecated) address"),
    ("ff00::/8", "a multicast address"),
];

static FORBIDDEN_NETS: LazyLock<Vec<(IpNet, &'static str)>> = LazyLock::new(|| {
    FORBIDDEN
        .iter()
        .map(|(net, what)| (net.parse().expect("the forbidden table parses"), *what))
        .collect()
});

/// Why an address may not be connected to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forbidden {
    /// The address as it was met (an IPv6 form is kept as it was).
    pub address: IpAddr,
    /// What it is: `"a loopback address"`, `"a cloud metadata address"` …
    pub what: &'static str,
}

impl fmt::Display for Forbidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is {}", self.address, self.what)
    }
}

/// The IPv4 address an IPv6 one carries for routing — IPv4-mapped
/// (`::ffff:a.b.c.d`), NAT64 well-known prefix (`64:ff9b::a.b.c.d`,
/// RFC 6052) or 6to4 (`2002:aabb:ccdd::/48`, RFC 3056) — if any.
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = v6.segments();
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let o = v6.octets();
        return Some(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    if s[0] == 0x2002 {
        let [a, b] = s[1].to_be_bytes();
        let [c, d] = s[2].to_be_bytes();
        return Some(Ipv4Addr::new(a, b, c, d));
    }
    None
}

/// What `address` is when it may not be connected to by default (see the
/// module's documentation), or `None` for a public address. IPv6 forms of
/// an IPv4 address are judged by the IPv4 address they carry.
pub fn classify(address: IpAddr) -> Option<&'static str> {
    let judged = match address {
        IpAddr::V6(v6) => embedded_v4(v6).map_or(address, IpAddr::V4),
        IpAddr::V4(_) => address,
    };
    FORBIDDEN_NETS
        .iter()
        .find(|(net, _)| net.contains(&judged))
        .map(|(_, what)| *what)
}

/// Whether `allow` names `address`, in the form it was met or as the IPv4
/// address an IPv6 form carries (so `127.0.0.0/8` allows `::ffff:127.0.0.1`).
fn allowed(address: IpAddr, allow: &[IpNet]) -> bool {
    let v4 = match address {
        IpAddr::V6(v6) => embedded_v4(v6).map(IpAddr::V4),
        IpAddr::V4(_) => None,
    };
    allow
        .iter()
        .any(|net| net.contains(&address) || v4.is_some_and(|v4| net.contains(&v4)))
}

/// Checks `address` against the policy: `Err` names what it is when it is
/// forbidden and `allow` does not name it.
///
/// # Errors
/// [`Forbidden`] for an address the guard refuses.
pub fn check(address: IpAddr, allow: &[IpNet]) -> Result<(), Forbidden> {
    match classify(address) {
        Some(what) if !allowed(address, allow) => Err(Forbidden { address, what }),
        _ => Ok(()),
    }
}

/// Parses `SLUICE_WEBHOOK_ALLOW_NETWORKS`: comma-separated networks in CIDR
/// notation (`127.0.0.0/8,fd00::/8`) or single addresses; empty: none. An
/// IPv4-mapped IPv6 network is read as the IPv4 network it stands for.
///
/// # Errors
/// A message naming the entry that is neither.
pub fn parse_networks(list: &str) -> Result<Vec<IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|text| {
            text.parse::<IpNet>()
                .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
                .map(|net| canonical(net.trunc()))
                .map_err(|_| {
                    format!(
                        "{text:?} is neither a network in CIDR notation (10.0.0.0/8) nor an address"
                    )
                })
        })
        .collect()
}

/// The IPv4 network an IPv4-mapped IPv6 network (`::ffff:10.0.0.0/104`)
/// stands for (`10.0.0.0/8`), else `net`: addresses are matched in both
/// forms, networks in their IPv4 one.
fn canonical(net: IpNet) -> IpNet {
    if let IpNet::V6(v6) = net
        && v6.prefix_len() >= 96
        && let Some(v4) = v6.addr().to_ipv4_mapped()
        && let Ok(mapped) = ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96)
    {
        return IpNet::V4(mapped);
    }
    net
}

/// A delivery the guard stopped: its text is what the attempt records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The name that was resolved; `None` for an IP-literal host.
    pub name: Option<String>,
    /// The forbidden addresses it stood for (one for an IP literal).
    pub addresses: Vec<Forbidden>,
}

impl fmt::Display for Refused {
    /// `refused: 127.0.0.1 is a loopback address; set
    /// SLUICE_WEBHOOK_ALLOW_NETWORKS to allow it`, or for a name
    /// `refused: localhost resolves to 127.0.0.1 (a loopback address) and
    /// ::1 (a loopback address); set … to allow them`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            None => {
                let reasons: Vec<String> = self.addresses.iter().map(ToString::to_string).collect();
                write!(f, "refused: {}", reasons.join(", "))?;
            }
            Some(name) => {
                let reasons: Vec<String> = self
                    .addresses
                    .iter()
                    .map(|a| format!("{} ({})", a.address, a.what))
                    .collect();
                write!(f, "refused: {name} resolves to {}", reasons.join(" and "))?;
            }
        }
        let them = if self.addresses.len() > 1 {
            "them"
        } else {
            "it"
        };
        write!(f, "; set {ALLOW_SETTING} to allow {them}")
    }
}

impl std::error::Error for Refused {}

/// The [`Refused`] somewhere in `error`'s chain of sources, if the guard
/// is why a request failed.
pub fn refusal<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a Refused> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused);
        }
        current = e.source();
    }
    None
}

/// A reqwest resolver that resolves with the system resolver
/// (`getaddrinfo`, through tokio) and keeps only addresses the policy
/// allows; when none remain it fails with [`Refused`].
#[derive(Debug, Clone, Default)]
pub struct GuardedResolver {
    allow: Arc<[IpNet]>,
}

impl GuardedResolver {
    /// A resolver allowing, beyond public addresses, the networks `allow`.
    pub fn new(allow: &[IpNet]) -> Self {
        Self {
            allow: allow.into(),
        }
    }
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(resolve_guarded(
            name.as_str().to_string(),
            self.allow.clone(),
        ))
    }
}

/// Resolves `host` and keeps the addresses `allow` permits; [`Refused`]
/// when none remain.
async fn resolve_guarded(
    host: String,
    allow: Arc<[IpNet]>,
) -> Result<reqwest::dns::Addrs, Box<dyn std::error::Error + Send + Sync>> {
    let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
    let mut refused = Vec::new();
    let mut kept = Vec::new();
    for addr in found {
        match check(addr.ip(), &allow) {
            Ok(()) => kept.push(addr),
            Err(why) => {
                if !refused.contains(&why) {
                    refused.push(why);
                }
            }
        }
    }
    if !kept.is_empty() {
        return Ok(Box::new(kept.into_iter()));
    }
    if refused.is_empty() {
        return Err(format!("{host} resolves to no address").into());
    }
    Err(Refused {
        name: Some(host),
        addresses: refused,
    }
    .into())
}

/// The client for guarded deliveries: the [`GuardedResolver`] of `allow`,
/// no proxy (a proxy would connect for us, unchecked), no redirect (the
/// 3xx is the answer), `timeout` for the whole exchange.
///
/// # Errors
/// When the TLS backend cannot be set up.
pub fn client(allow: &[IpNet], timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(GuardedResolver::new(allow)))
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .build()
}

/// Checks the host of `url` when it is an IP literal, which reqwest
/// connects to without resolving; a name is checked by the client's
/// [`GuardedResolver`] when it connects.
///
/// # Errors
/// [`Refused`] for a literal the policy forbids.
pub fn check_destination(url: &Url, allow: &[IpNet]) -> Result<(), Refused> {
    let address = match url.host() {
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    check(address, allow).map_err(|why| Refused {
        name: None,
        addresses: vec![why],
    })
}

/// Checks a webhook URL a consumer asks for, before it is stored, without
/// resolving anything: an `http` or `https` URL with a host, no user name
/// or password, and no IP-literal host the policy forbids. A name is
/// checked on each delivery instead, on the address connected to.
///
/// # Errors
/// A sentence for the consumer saying what is wrong with the URL.
pub fn check_url(url: &str, allow: &[IpNet]) -> Result<Url, String> {
    let parsed = Url::parse(url).map_err(|e| format!("the url is not a valid URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "the url must use http or https, not {:?}",
            parsed.scheme()
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("the url must not carry a user name or password".into());
    }
    if parsed.host().is_none() {
        return Err("the url must name a host".into());
    }
    check_destination(&parsed, allow).map_err(|refused| match refused.addresses.first() {
        Some(why) => format!(
            "webhooks may not be delivered to {}: it is {}",
            why.address, why.what
        ),
        None => refused.to_string(),
    })?;
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn nets(list: &str) -> Vec<IpNet> {
        parse_networks(list).unwrap()
    }

    #[test]
    fn internal_addresses_of_both_families_and_their_ipv6_forms_are_named_for_what_they_are() {
        let table = [
            ("127.0.0.1", "a loopback address"),
            ("127.255.255.254", "a loopback address"),
            ("::1", "a loopback address"),
            ("0.0.0.0", "the unspecified address"),
            ("::", "the unspecified address"),
            ("0.1.2.3", "a \"this network\" address"),
            ("10.0.0.1", "a private address"),
            ("172.16.0.1", "a private address"),
            ("172.31.255.255", "a private address"),
            ("192.168.1.1", "a private address"),
            ("fc00::1", "a private (unique local) address"),
            ("fd12:3456::1", "a private (unique local) address"),
            ("169.254.1.1", "a link-local address"),
            ("fe80::1", "a link-local address"),
            ("100.64.0.1", "a shared (carrier-grade NAT) address"),
            ("100.127.255.255", "a shared (carrier-grade NAT) address"),
            ("224.0.0.1", "a multicast address"),
            ("239.255.255.250", "a multicast address"),
            ("ff02::1", "a multicast address"),
            ("255.255.255.255", "the broadcast address"),
            ("240.0.0.1", "a reserved address"),
            ("192.0.2.1", "a documentation address"),
            ("198.51.100.7", "a documentation address"),
            ("203.0.113.9", "a documentation address"),
            ("2001:db8::1", "a documentation address"),
            ("3fff::1", "a documentation address"),
            ("198.18.0.1", "a benchmarking address"),
            ("198.19.255.255", "a benchmarking address"),
            ("2001:2::1", "a benchmarking address"),
            ("192.0.0.8", "an IETF protocol assignment address"),
            ("100::1", "a discard-only address"),
            ("169.254.169.254", "a cloud metadata address"),
            ("169.254.170.2", "a cloud metadata address"),
            ("100.100.100.200", "a cloud metadata address"),
            ("fd00:ec2::254", "a cloud metadata address"),
            // IPv6 forms carrying an IPv4 address are judged by it.
            ("::ffff:127.0.0.1", "a loopback address"),
            ("::ffff:10.1.2.3", "a private address"),
            ("::ffff:169.254.169.254", "a cloud metadata address"),
            ("::ffff:0.0.0.0", "the unspecified address"),
            ("64:ff9b::7f00:1", "a loopback address"),
            ("64:ff9b::a9fe:a9fe", "a cloud metadata address"),
            ("2002:7f00:1::", "a loopback address"),
            ("2002:c0a8:101::1", "a private address"),
            ("::127.0.0.1", "an IPv4-compatible (deprecated) address"),
        ];
        for (address, what) in table {
            assert_eq!(classify(ip(address)), Some(what), "{address}");
        }
    }

    #[test]
    fn public_addresses_of_both_families_pass() {
        for address in [
            "8.8.8.8",
            "1.1.1.1",
            "11.0.0.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.1",
            "192.169.0.1",
            "198.20.0.1",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert_eq!(classify(ip(address)), None, "{address}");
            assert_eq!(check(ip(address), &[]), Ok(()), "{address}");
        }
    }

    #[test]
    fn the_allow_list_lifts_the_refusal_only_for_the_networks_it_names() {
        let allow = nets("127.0.0.0/8, fd00::/8,192.168.1.10");
        assert_eq!(check(ip("127.0.0.1"), &allow), Ok(()));
        assert_eq!(check(ip("::ffff:127.0.0.1"), &allow), Ok(()), "mapped form");
        assert_eq!(check(ip("fd12::1"), &allow), Ok(()));
        assert_eq!(check(ip("192.168.1.10"), &allow), Ok(()));
        assert_eq!(
            check(ip("192.168.1.11"), &allow),
            Err(Forbidden {
                address: ip("192.168.1.11"),
                what: "a private address"
            })
        );
        assert!(
            check(ip("::1"), &allow).is_err(),
            "::1 is not in 127.0.0.0/8"
        );
        assert!(check(ip("10.0.0.1"), &allow).is_err());
        assert!(check(ip("169.254.169.254"), &allow).is_err());
        // A mapped network in the list allows the IPv4 addresses it carries.
        let mapped = nets("::ffff:10.0.0.0/104");
        assert_eq!(check(ip("10.9.8.7"), &mapped), Ok(()));
    }

    #[test]
    fn the_allow_list_setting_takes_networks_and_addresses_and_names_a_bad_entry() {
        assert_eq!(parse_networks("").unwrap(), Vec::<IpNet>::new());
        assert_eq!(
            nets("10.1.2.3/8,::1"),
            vec![
                "10.0.0.0/8".parse::<IpNet>().unwrap(),
                "::1/128".parse().unwrap()
            ]
        );
        let error = parse_networks("127.0.0.0/8,localhost").unwrap_err();
        assert!(error.contains("\"localhost\""), "{error}");
    }

    #[test]
    fn a_refusal_says_what_the_address_is_and_which_setting_allows_it() {
        let url = Url::parse("http://127.0.0.1:9/hook").unwrap();
        let refused = check_destination(&url, &[]).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "refused: 127.0.0.1 is a loopback address; \
             set SLUICE_WEBHOOK_ALLOW_NETWORKS to allow it"
        );
        let url = Url::parse("http://[::ffff:a9fe:a9fe]/latest/meta-data").unwrap();
        assert_eq!(
            check_destination(&url, &[]).unwrap_err().to_string(),
            "refused: ::ffff:169.254.169.254 is a cloud metadata address; \
             set SLUICE_WEBHOOK_ALLOW_NETWORKS to allow it"
        );
        let named = Refused {
            name: Some("localhost".into()),
            addresses: vec![
                Forbidden {
                    address: ip("::1"),
                    what: "a loopback address",
                },
                Forbidden {
                    address: ip("127.0.0.1"),
                    what: "a loopback address",
                },
            ],
        };
        assert_eq!(
            named.to_string(),
            "refused: localhost resolves to ::1 (a loopback address) and 127.0.0.1 \
             (a loopback address); set SLUICE_WEBHOOK_ALLOW_NETWORKS to allow them"
        );
        assert!(check_destination(&Url::parse("http://localhost/").unwrap(), &[]).is_ok());
        let allowed = nets("127.0.0.0/8");
        assert!(check_destination(&Url::parse("http://127.0.0.1/").unwrap(), &allowed).is_ok());
    }

    #[test]
    fn urls_plainly_forbidden_are_refused_at_creation_with_a_sentence_for_the_consumer() {
        let refused = |url: &str| check_url(url, &[]).unwrap_err();
        assert!(refused("not a url").contains("not a valid URL"));
        assert!(refused("ftp://example.com/x").contains("http or https"));
        assert!(refused("file:///etc/passwd").contains("http or https"));
        assert!(refused("https://user:pw@example.com/").contains("user name or password"));
        assert!(refused("https://user@example.com/").contains("user name or password"));
        assert_eq!(
            refused("http://127.0.0.1:8080/hook"),
            "webhooks may not be delivered to 127.0.0.1: it is a loopback address"
        );
        // Spellings the URL parser reads as an address are judged as one.
        for spelled in [
            "http://2130706433/",
            "http://0x7f.1/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://0/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[fd00:ec2::254]/",
        ] {
            assert!(
                refused(spelled).starts_with("webhooks may not be delivered to"),
                "{spelled}"
            );
        }
        // Names are checked on each delivery instead, where they resolve.
        assert!(check_url("http://localhost:8080/hook", &[]).is_ok());
        assert!(check_url("https://hooks.example.com/in", &[]).is_ok());
        assert!(check_url("https://93.184.215.14/in", &[]).is_ok());
        assert!(check_url("http://127.0.0.1:8080/hook", &nets("127.0.0.0/8")).is_ok());
    }

    /// A listener on loopback answering each connection with a 204.
    async fn answering_listener() -> (u16, tokio::task::JoinHandle<usize>) {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let served = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buffer = [0u8; 4096];
            let _ = socket.read(&mut buffer).await.unwrap();
            socket
                .write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
                .await
                .unwrap();
            1
        });
        (port, served)
    }

    #[tokio::test]
    async fn the_guarded_client_refuses_a_name_resolving_to_loopback_and_connects_when_allowed() {
        let (port, served) = answering_listener().await;
        let timeout = Duration::from_secs(5);
        let guarded = client(&[], timeout).unwrap();
        let error = guarded
            .get(format!("http://localhost:{port}/"))
            .send()
            .await
            .unwrap_err();
        let refused = refusal(&error).expect("the guard refused it");
        assert_eq!(refused.name.as_deref(), Some("localhost"));
        assert!(
            refused
                .addresses
                .iter()
                .all(|a| a.what == "a loopback address"),
            "{refused}"
        );
        assert!(!served.is_finished(), "nothing connected");

        // Allowing 127.0.0.0/8 keeps 127.0.0.1 (and still drops ::1).
        let allowed = client(&nets("127.0.0.0/8"), timeout).unwrap();
        let answer = allowed
            .get(format!("http://localhost:{port}/"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 204);
        assert_eq!(served.await.unwrap(), 1);
    }
}
