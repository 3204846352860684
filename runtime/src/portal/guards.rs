//! Per-client allowances of the portal's unauthenticated endpoints: sign-up
//! and every mail they send, counted per client IP (an IPv6 client by its
//! subnet, as elsewhere) and per recipient address, so that no one can
//! flood the mailer or bomb someone's inbox through it. Counts are per
//! node (GCRA, the `governor` crate); a cluster of N nodes allows N times
//! as much at most.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// The allowances, each per hour (settings `SLUICE_PORTAL_SIGNUPS_PER_HOUR`,
/// `SLUICE_PORTAL_MAILS_PER_HOUR`, `SLUICE_PORTAL_MAILS_PER_ADDRESS_PER_HOUR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortalLimits {
    /// Sign-ups one client network may make (default 10).
    pub signups_per_hour: u32,
    /// Mails one client network may cause (default 20).
    pub mails_per_hour: u32,
    /// Mails one address may receive (default 5).
    pub mails_per_address_per_hour: u32,
}

impl Default for PortalLimits {
    fn default() -> Self {
        Self {
            signups_per_hour: 10,
            mails_per_hour: 20,
            mails_per_address_per_hour: 5,
        }
    }
}

/// The live counters.
pub struct Guards {
    signups: DefaultKeyedRateLimiter<String>,
    mails: DefaultKeyedRateLimiter<String>,
    recipients: DefaultKeyedRateLimiter<String>,
    ipv6_prefix: u8,
    limits: PortalLimits,
}

impl std::fmt::Debug for Guards {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guards").finish_non_exhaustive()
    }
}

fn hourly(n: u32) -> Quota {
    Quota::per_hour(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN))
}

impl Guards {
    /// Counters for `limits`; IPv6 clients count by their `/ipv6_prefix`.
    pub fn new(limits: PortalLimits, ipv6_prefix: u8) -> Self {
        Self {
            signups: RateLimiter::keyed(hourly(limits.signups_per_hour)),
            mails: RateLimiter::keyed(hourly(limits.mails_per_hour)),
            recipients: RateLimiter::keyed(hourly(limits.mails_per_address_per_hour)),
            ipv6_prefix,
            limits,
        }
    }

    /// The allowances these guards count against.
    pub fn limits(&self) -> PortalLimits {
        self.limits
    }

    fn network(&self, ip: IpAddr) -> String {
        crate::edge::client::network_key(ip, self.ipv6_prefix)
    }

    /// Counts a sign-up from `ip`; `false` when its allowance is used up.
    pub fn signup(&self, ip: IpAddr) -> bool {
        self.signups.check_key(&self.network(ip)).is_ok()
    }

    /// Counts a mail `ip` causes to `address`; `false` when either
    /// allowance is used up (then nothing is sent).
    pub fn mail(&self, ip: IpAddr, address: &str) -> bool {
        self.mails.check_key(&self.network(ip)).is_ok()
            && self.recipients.check_key(&address.to_string()).is_ok()
    }

    /// Drops the state of keys that are back to a full allowance.
    pub fn forget_idle(&self) {
        self.signups.retain_recent();
        self.mails.retain_recent();
        self.recipients.retain_recent();
    }

    /// Calls [`Self::forget_idle`] every minute until the guards are
    /// dropped, so one-off clients do not accumulate.
    pub fn spawn_upkeep(self: &std::sync::Arc<Self>) {
        let guards = std::sync::Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                let Some(guards) = guards.upgrade() else {
                    return;
                };
                guards.forget_idle();
            }
        });
    }
}
