//! Rate limits: the rule of highest priority among those matching a request
//! decides, and each caller — the token's user, else its app, else the
//! client IP — gets its own allowance under that rule. Counting is a GCRA
//! (`governor`): a rule of N requests per W seconds admits a burst of N and
//! refills one request every W/N seconds.
//!
//! Counts live in a [`RateStore`]: this node's memory ([`MemoryRateStore`],
//! the default) or Redis, shared by a cluster's nodes
//! ([`RedisRateStore`], `SLUICE_RATE_LIMIT_STORE=redis://…`).
//! Response headers follow the IETF draft "RateLimit header fields for
//! HTTP" (`RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`) and
//! `Retry-After` (RFC 9110 §10.2.3).

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use axum::http::{HeaderMap, HeaderValue};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::{Quota, RateLimiter};
use sqlx::AnyPool;

pub use super::rate_limit_redis::{FailurePolicy, RedisRateStore};
use crate::edge::client::network_key;
use crate::identity::Caller;
use crate::store::rate_limits::{self, RateLimitRow};

/// The decision for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// The rule's request allowance per window.
    pub limit: u32,
    /// Requests the caller may still make at once after this one.
    pub remaining: u32,
    /// Seconds until the allowance is full again.
    pub reset_secs: u64,
    /// When refused: seconds until a request would be admitted.
    pub retry_after_secs: u64,
    /// The shared store could not be asked and its policy is `closed`:
    /// refused with 503, not 429.
    pub unavailable: bool,
}

impl Decision {
    /// Adds the `RateLimit-*` headers (and `Retry-After` when refused).
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        headers.insert("ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("ratelimit-reset", HeaderValue::from(self.reset_secs));
        if !self.allowed {
            headers.insert(
                axum::http::header::RETRY_AFTER,
                HeaderValue::from(self.retry_after_secs),
            );
        }
    }
}

/// Where counts are kept.
pub enum RateStore {
    /// In this node's memory.
    Memory(MemoryRateStore),
    /// In Redis, shared by every node using it (and by the token
    /// endpoint's failure counts, [`crate::edge::ip_rules::SharedCounts`]).
    Redis(Arc<RedisRateStore>),
}

impl RateStore {
    /// Counts one request of `caller` under `rule` and decides.
    pub async fn check(&self, rule: &RateLimitRow, caller: &str) -> Decision {
        match self {
            Self::Memory(store) => store.check(rule, caller),
            Self::Redis(store) => store.check(rule, caller).await,
        }
    }

    /// Replaces the set of rules; counts of unchanged rules carry over.
    fn set_rules(&self, rules: &[RateLimitRow]) {
        if let Self::Memory(store) = self {
            store.set_rules(rules);
        }
    }

    /// Drops the state of callers whose allowance is full (memory upkeep;
    /// Redis expires its keys itself).
    fn forget_idle(&self) {
        if let Self::Memory(store) = self {
            store.forget_idle();
        }
    }
}

type Limiter = RateLimiter<
    String,
    governor::state::keyed::DefaultKeyedStateStore<String>,
    DefaultClock,
    StateInformationMiddleware,
>;

/// Counts in this node's memory, one keyed GCRA limiter per rule.
#[derive(Default)]
pub struct MemoryRateStore {
    limiters: ArcSwap<HashMap<String, (RateLimitRow, Arc<Limiter>)>>,
}

fn quota(rule: &RateLimitRow) -> Option<Quota> {
    let requests = NonZeroU32::new(u32::try_from(rule.requests).ok()?)?;
    let window = Duration::from_secs(u64::try_from(rule.window_seconds).ok()?);
    Some(Quota::with_period(window / requests.get())?.allow_burst(requests))
}

impl MemoryRateStore {
    /// Counts one request of `caller` under `rule` and decides.
    pub fn check(&self, rule: &RateLimitRow, caller: &str) -> Decision {
        let limiters = self.limiters.load();
        let Some((_, limiter)) = limiters.get(&rule.name) else {
            // Rules are installed before they are matched; a rule without a
            // limiter has an unusable quota and limits nothing.
            return Decision {
                allowed: true,
                limit: 0,
                remaining: 0,
                reset_secs: 0,
                retry_after_secs: 0,
                unavailable: false,
            };
        };
        let limit = u32::try_from(rule.requests).unwrap_or(u32::MAX);
        let interval =
            Duration::from_secs(u64::try_from(rule.window_seconds).unwrap_or(0)) / limit.max(1);
        let key = caller.to_string();
        match limiter.check_key(&key) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                Decision {
                    allowed: true,
                    limit,
                    remaining,
                    reset_secs: ceil_secs(interval * (limit - remaining.min(limit))),
                    retry_after_secs: 0,
                    unavailable: false,
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(limiter.clock().now());
                Decision {
                    allowed: false,
                    limit,
                    remaining: 0,
                    reset_secs: ceil_secs(interval * limit),
                    retry_after_secs: ceil_secs(wait).max(1),
                    unavailable: false,
                }
            }
        }
    }

    /// Replaces the set of rules; counts of unchanged rules carry over.
    pub fn set_rules(&self, rules: &[RateLimitRow]) {
        let current = self.limiters.load();
        let next = rules
            .iter()
            .filter_map(|rule| {
                let same = current.get(&rule.name).filter(|(old, _)| {
                    old.requests == rule.requests && old.window_seconds == rule.window_seconds
                });
                let limiter = match same {
                    Some((_, limiter)) => limiter.clone(),
                    None => Arc::new(
                        RateLimiter::keyed(quota(rule)?)
                            .with_middleware::<StateInformationMiddleware>(),
                    ),
                };
                Some((rule.name.clone(), (rule.clone(), limiter)))
            })
            .collect();
        self.limiters.store(Arc::new(next));
    }

    /// Drops the state of callers whose allowance is full.
    pub fn forget_idle(&self) {
        for (_, limiter) in self.limiters.load().values() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// The rules in force and the store counting against them.
pub struct RateLimits {
    rules: ArcSwap<Vec<RateLimitRow>>,
    store: RateStore,
    ipv6_prefix: u8,
}

impl RateLimits {
    /// Rate limits counted in `store`, with no rules until [`Self::reload`];
    /// anonymous IPv6 callers are counted by their `/ipv6_prefix`
    /// (`SLUICE_IPV6_PREFIX`).
    pub fn new(store: RateStore, ipv6_prefix: u8) -> Self {
        Self {
            rules: ArcSwap::default(),
            store,
            ipv6_prefix,
        }
    }

    /// Reads the rules from the control plane and puts them in force.
    ///
    /// # Errors
    /// On database failure.
    pub async fn reload(&self, db: &AnyPool) -> sqlx::Result<()> {
        let rules = rate_limits::list(db).await?;
        self.store.set_rules(&rules);
        self.rules.store(Arc::new(rules));
        Ok(())
    }

    /// The rules in force on this node, highest priority first.
    pub fn rules(&self) -> Arc<Vec<RateLimitRow>> {
        self.rules.load_full()
    }

    /// Counts a request to `operation` by `caller` from `ip`; `None` when
    /// no rule matches. Without a user or app, the caller is `ip`'s network
    /// ([`crate::edge::client::network_of`]: an IPv6 client's subnet).
    pub async fn check(
        &self,
        operation: &str,
        caller: Option<&Caller>,
        ip: IpAddr,
    ) -> Option<Decision> {
        let rules = self.rules.load_full();
        let rule = rules.iter().find(|r| matches(r, operation, caller))?;
        let key = match caller {
            Some(Caller { user: Some(u), .. }) => format!("user:{u}"),
            Some(Caller { app: Some(a), .. }) => format!("app:{a}"),
            _ => format!("ip:{}", network_key(ip, self.ipv6_prefix)),
        };
        // A span only when a rule applies: no rule, nothing was checked.
        let span = tracing::info_span!(
            target: crate::telemetry::TRACE_TARGET,
            "rate limit",
            sluice.rate_limit.rule = %rule.name,
        );
        Some(tracing::Instrument::instrument(self.store.check(rule, &key), span).await)
    }

    /// Counts an anonymous request from `ip` (an address's text) to the
    /// platform's own `endpoint` (e.g. the token endpoint) under the rules
    /// that match an anonymous request to no operation; it has an allowance
    /// of its own, apart from the IP's calls to operations, and counts an
    /// IPv6 client by its subnet as [`Self::check`] does.
    pub async fn check_endpoint(&self, endpoint: &str, ip: &str) -> Option<Decision> {
        let rules = self.rules.load_full();
        let rule = rules
            .iter()
            .find(|r| r.operation.is_none() && matches(r, endpoint, None))?;
        let caller = ip
            .parse::<IpAddr>()
            .map_or_else(|_| ip.to_string(), |ip| network_key(ip, self.ipv6_prefix));
        Some(
            self.store
                .check(rule, &format!("{endpoint}:ip:{caller}"))
                .await,
        )
    }

    /// Drops idle callers' state every minute until the process ends.
    pub fn spawn_upkeep(self: &Arc<Self>) {
        let limits = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(60)).await;
                let Some(limits) = limits.upgrade() else {
                    return;
                };
                limits.store.forget_idle();
            }
        });
    }
}

fn matches(rule: &RateLimitRow, operation: &str, caller: Option<&Caller>) -> bool {
    let same =
        |want: &Option<String>, have: Option<&str>| want.as_deref().is_none_or(|w| have == Some(w));
    same(&rule.operation, Some(operation))
        && same(&rule.app, caller.and_then(|c| c.app.as_deref()))
        && same(&rule.user, caller.and_then(|c| c.user.as_deref()))
        && rule.anonymous.is_none_or(|anon| anon == caller.is_none())
}
