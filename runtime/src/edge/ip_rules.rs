//! IP rules in memory: the rows of `ip_rules`, reloaded after every
//! change (on every node of a cluster), checked before authentication.
//!
//! Among the unexpired rules whose network holds the address, the most
//! specific (longest prefix) decides, `deny` winning a tie; when none
//! holds it, the address passes unless the scope has an allow list: `allow`
//! rules that are not exceptions inside a `deny` rule's network. Global rules apply to every request but
//! `/system`; an operation's rules to requests routed to it.
//!
//! Failed token requests are counted per client network
//! ([`crate::edge::client::network_of`]): in the store a cluster's nodes
//! share when there is one ([`SharedCounts`]), so N nodes ban after the
//! same number of failures as one; else in this node's memory.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use axum::http::StatusCode;
use ipnet::IpNet;
use sqlx::AnyPool;

use crate::error::ApiError;
use crate::store::ip_rules::{self, IpRuleRow};

/// Brute-force protection of `/authorization/token`
/// (`SLUICE_TOKEN_BAN_*`).
#[derive(Debug, Clone, Copy)]
pub struct BanSettings {
    /// Failed token requests (wrong secret, password or refresh token) from
    /// one address that earn a ban (`SLUICE_TOKEN_BAN_ATTEMPTS`, default
    /// 10; 0 turns bans off).
    pub attempts: u32,
    /// The window the failures are counted in, seconds
    /// (`SLUICE_TOKEN_BAN_WINDOW_SECS`, default 300).
    pub window_secs: u64,
    /// How long a ban lasts, seconds (`SLUICE_TOKEN_BAN_SECS`, default 900).
    pub ban_secs: u64,
}

impl Default for BanSettings {
    fn default() -> Self {
        Self {
            attempts: 10,
            window_secs: 300,
            ban_secs: 900,
        }
    }
}

struct Rule {
    name: String,
    net: IpNet,
    allow: bool,
    expires_ms: Option<i64>,
    ban: bool,
}

#[derive(Default)]
struct RuleSet {
    global: Vec<Rule>,
    by_operation: HashMap<String, Vec<Rule>>,
}

/// A shared counter of failures in a window, handed in from above (the
/// rate limits' Redis store implements it), so this module needs no
/// knowledge of the store.
pub trait FailureCounter: Send + Sync {
    /// Counts one failure under `key`; `true` when `threshold` failures
    /// fell within the last `window_ms` (the count then starts again).
    ///
    /// # Errors
    /// When the store cannot be reached.
    fn count_failure<'a>(
        &'a self,
        key: &'a str,
        window_ms: u64,
        threshold: u32,
    ) -> futures_util::future::BoxFuture<'a, anyhow::Result<bool>>;
}

/// A store of failed-request counts that every node of a cluster reads.
pub enum SharedCounts {
    /// The Redis of the rate limits (`SLUICE_RATE_LIMIT_STORE=redis://…`).
    Redis(Arc<dyn FailureCounter>),
    /// The PostgreSQL control plane (table `ip_failures`).
    ControlPlane(AnyPool),
}

impl SharedCounts {
    /// Counts one failure of `network`; `true` when it reaches `ban`'s
    /// attempts within its window (the count then starts again).
    async fn count(&self, network: IpNet, ban: BanSettings) -> anyhow::Result<bool> {
        let window_ms = ban.window_secs.max(1).saturating_mul(1000);
        match self {
            Self::Redis(redis) => {
                redis
                    .count_failure(
                        &format!("sluice:failures:{network}"),
                        window_ms,
                        ban.attempts,
                    )
                    .await
            }
            Self::ControlPlane(db) => {
                let network = network.to_string();
                let now = crate::store::now_ms();
                let window_ms = i64::try_from(window_ms).unwrap_or(i64::MAX / 2);
                let count = ip_rules::count_failure(db, &network, now, window_ms).await?;
                if count < i64::from(ban.attempts) {
                    return Ok(false);
                }
                ip_rules::forget_failures(db, &network).await?;
                Ok(true)
            }
        }
    }
}

/// How often a shared store that cannot be reached is warned about.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// The rules and the failure counts of the token endpoint.
pub struct IpRules {
    rules: ArcSwap<RuleSet>,
    /// This node's counts: all of them without a shared store, those made
    /// while it is unreachable with one.
    failures: moka::sync::Cache<IpNet, Arc<AtomicU32>>,
    shared: Option<SharedCounts>,
    last_warning: Mutex<Option<Instant>>,
    ban: BanSettings,
}

impl IpRules {
    /// Loads the rules from the control plane; failures are counted in
    /// `shared` when given, else in this node's memory.
    ///
    /// # Errors
    /// On database failure.
    pub async fn load(
        db: &AnyPool,
        ban: BanSettings,
        shared: Option<SharedCounts>,
    ) -> sqlx::Result<Self> {
        let rules = Self {
            rules: ArcSwap::default(),
            failures: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(ban.window_secs.max(1)))
                .build(),
            shared,
            last_warning: Mutex::default(),
            ban,
        };
        rules.reload(db).await?;
        Ok(rules)
    }

    /// Reads the rules again (after a change here or on another node).
    ///
    /// # Errors
    /// On database failure.
    pub async fn reload(&self, db: &AnyPool) -> sqlx::Result<()> {
        let mut set = RuleSet::default();
        for row in ip_rules::list(db).await? {
            let Ok(net) = row.cidr.parse::<IpNet>() else {
                tracing::warn!(rule = %row.name, cidr = %row.cidr, "IP rule with a bad network skipped");
                continue;
            };
            let rule = Rule {
                net,
                allow: row.effect == "allow",
                expires_ms: row.expires_ms,
                ban: row.source == "ban",
                name: row.name,
            };
            match row.operation {
                Some(op) => set.by_operation.entry(op).or_default().push(rule),
                None => set.global.push(rule),
            }
        }
        self.rules.store(Arc::new(set));
        Ok(())
    }

    /// Checks `ip` against the global rules (`operation` `None`) or those
    /// of `operation`.
    ///
    /// # Errors
    /// 403 problem naming the rule (or the allow list) that refused it.
    pub fn check(&self, operation: Option<&str>, ip: IpAddr) -> Result<(), ApiError> {
        let set = self.rules.load();
        let rules = match operation {
            None => &set.global,
            Some(op) => match set.by_operation.get(op) {
                Some(rules) => rules,
                None => return Ok(()),
            },
        };
        if rules.is_empty() {
            return Ok(());
        }
        let now = crate::store::now_ms();
        let live = || {
            rules
                .iter()
                .filter(|r| r.expires_ms.is_none_or(|e| e > now))
        };
        let decisive = live()
            .filter(|r| r.net.contains(&ip))
            .max_by_key(|r| (r.net.prefix_len(), !r.allow));
        let scope = operation.map_or_else(
            || "this server".to_string(),
            |op| format!("operation {op:?}"),
        );
        match decisive {
            Some(rule) if rule.allow => Ok(()),
            Some(rule) => Err(denied(if rule.ban {
                let within = if rule.net.prefix_len() < rule.net.max_prefix_len() {
                    format!(" (network {})", rule.net)
                } else {
                    String::new()
                };
                format!(
                    "{ip}{within} is banned until {} after too many failed token requests (rule {:?}); an admin can lift it with DELETE /admin/ip-rules/{}",
                    rule.expires_ms
                        .map(crate::store::ms_to_rfc3339)
                        .unwrap_or_default(),
                    rule.name,
                    rule.name
                )
            } else {
                format!(
                    "requests from {ip} to {scope} are refused by IP rule {:?}",
                    rule.name
                )
            })),
            // An allow rule inside a deny rule's network is an exception
            // to it; any other allow rule makes the scope an allow list.
            None if live()
                .any(|r| r.allow && !live().any(|d| !d.allow && d.net.contains(&r.net))) =>
            {
                Err(denied(format!("{ip} is not on the allow list of {scope}")))
            }
            None => Ok(()),
        }
    }

    /// Counts a failed token request from `network` (the client's
    /// [`crate::edge::client::network_of`]); `true` when it reaches the ban
    /// threshold (the count then starts again). With a shared store the
    /// count is the cluster's; while that store cannot be reached, this
    /// node's.
    pub async fn failed_token_request(&self, network: IpNet) -> bool {
        if self.ban.attempts == 0 {
            return false;
        }
        if let Some(shared) = &self.shared {
            match shared.count(network, self.ban).await {
                Ok(reached) => return reached,
                Err(e) => self.warn(&e),
            }
        }
        let count = self
            .failures
            .get_with(network, || Arc::new(AtomicU32::new(0)));
        if count.fetch_add(1, Ordering::Relaxed) + 1 >= self.ban.attempts {
            self.failures.invalidate(&network);
            return true;
        }
        false
    }

    fn warn(&self, error: &anyhow::Error) {
        let mut last = self
            .last_warning
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_none_or(|at| at.elapsed() >= WARN_EVERY) {
            *last = Some(Instant::now());
            tracing::warn!(
                error = ?error,
                "failed token requests cannot be counted in the shared store; \
                 this node counts them alone until it is back"
            );
        }
    }

    /// The ban settings.
    pub fn ban_settings(&self) -> BanSettings {
        self.ban
    }
}

fn denied(detail: String) -> ApiError {
    ApiError::Custom {
        status: StatusCode::FORBIDDEN,
        slug: "ip-denied",
        title: "Requests from this address are refused",
        detail,
        fuel_used: None,
    }
}

/// The ban row for `network` (a client's
/// [`crate::edge::client::network_of`]): a deny rule that expires, named
/// after the network (`ban-192-0-2-66`, `ban-2001-db8-1-2---64`).
pub fn ban_row(network: IpNet, ban: BanSettings) -> IpRuleRow {
    let now = crate::store::now();
    let label = if network.prefix_len() == network.max_prefix_len() {
        network.addr().to_string()
    } else {
        network.to_string()
    };
    let name = format!("ban-{}", label.replace([':', '.', '/'], "-"));
    IpRuleRow {
        name,
        cidr: network.to_string(),
        effect: "deny".into(),
        operation: None,
        expires_ms: Some(
            crate::store::now_ms()
                .saturating_add(i64::try_from(ban.ban_secs).unwrap_or(i64::MAX / 2) * 1000),
        ),
        source: "ban".into(),
        description: format!(
            "{} failed token requests within {} s",
            ban.attempts, ban.window_secs
        ),
        created_at: now.clone(),
        updated_at: now,
    }
}
