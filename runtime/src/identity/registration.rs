//! Dynamic client registration (RFC 7591): what it allows
//! (`SLUICE_CLIENT_REGISTRATION`, off by default) and how often one client
//! address may register (per node, GCRA via `governor`, as the portal's
//! sign-up allowance).

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// The settings of `POST /authorization/register`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationSettings {
    /// Whether anyone may register a client (`SLUICE_CLIENT_REGISTRATION`,
    /// `open` or `off`; default off).
    pub open: bool,
    /// The API scopes a registered client may ask for
    /// (`SLUICE_CLIENT_REGISTRATION_SCOPES`, comma-separated; default none:
    /// only `openid`, `profile` and `email`). A user still grants only what
    /// their roles allow.
    pub scopes: Vec<String>,
    /// Registrations per client address (an IPv6 client's subnet) and hour
    /// (`SLUICE_CLIENT_REGISTRATIONS_PER_HOUR`, default 10).
    pub per_hour: u32,
}

impl Default for RegistrationSettings {
    fn default() -> Self {
        Self {
            open: false,
            scopes: Vec::new(),
            per_hour: 10,
        }
    }
}

/// The per-address allowance of registrations on this node.
pub struct Registrations {
    limiter: DefaultKeyedRateLimiter<String>,
    ipv6_prefix: u8,
}

impl std::fmt::Debug for Registrations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registrations").finish_non_exhaustive()
    }
}

impl Registrations {
    /// `per_hour` registrations per address (at least 1), counting IPv6
    /// clients by their `/ipv6_prefix` subnet.
    pub fn new(per_hour: u32, ipv6_prefix: u8) -> Self {
        let quota = Quota::per_hour(NonZeroU32::new(per_hour.max(1)).unwrap_or(NonZeroU32::MIN));
        Self {
            limiter: RateLimiter::keyed(quota),
            ipv6_prefix,
        }
    }

    /// Takes one registration from `ip`'s allowance; whether there was one.
    pub fn allow(&self, ip: IpAddr) -> bool {
        let key = crate::edge::client::network_key(ip, self.ipv6_prefix);
        let allowed = self.limiter.check_key(&key).is_ok();
        self.limiter.retain_recent();
        allowed
    }
}
