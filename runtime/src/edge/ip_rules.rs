//! IP rules in memory: the rows of `ip_rules`, reloaded after every
//! change (on every node of a cluster), checked before authentication.
//!
//! Among the unexpired rules whose network holds the address, the most
//! specific (longest prefix) decides, `deny` winning a tie; when none
//! holds it, the address passes unless the scope has an allow list: `allow`
//! rules that are not exceptions inside a `deny` rule's network. Global rules apply to every request but
//! `/system`; an operation's rules to requests routed to it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

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

/// The rules and the failure counts of the token endpoint.
pub struct IpRules {
    rules: ArcSwap<RuleSet>,
    failures: moka::sync::Cache<IpAddr, Arc<AtomicU32>>,
    ban: BanSettings,
}

impl IpRules {
    /// Loads the rules from the control plane.
    ///
    /// # Errors
    /// On database failure.
    pub async fn load(db: &AnyPool, ban: BanSettings) -> sqlx::Result<Self> {
        let rules = Self {
            rules: ArcSwap::default(),
            failures: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(ban.window_secs.max(1)))
                .build(),
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
                format!(
                    "{ip} is banned until {} after too many failed token requests (rule {:?}); an admin can lift it with DELETE /admin/ip-rules/{}",
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

    /// Counts a failed token request from `ip`; `true` when it reaches the
    /// ban threshold (the count then starts again).
    pub fn failed_token_request(&self, ip: IpAddr) -> bool {
        if self.ban.attempts == 0 {
            return false;
        }
        let count = self.failures.get_with(ip, || Arc::new(AtomicU32::new(0)));
        if count.fetch_add(1, Ordering::Relaxed) + 1 >= self.ban.attempts {
            self.failures.invalidate(&ip);
            return true;
        }
        false
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

/// The ban row for `ip`: a deny rule for its /32 (or /128) that expires.
pub fn ban_row(ip: IpAddr, ban: BanSettings) -> IpRuleRow {
    let now = crate::store::now();
    let name = format!("ban-{}", ip.to_string().replace([':', '.'], "-"));
    IpRuleRow {
        name,
        cidr: IpNet::from(ip).to_string(),
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
