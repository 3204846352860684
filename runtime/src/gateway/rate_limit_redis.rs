//! Rate-limit counts in Redis (`SLUICE_RATE_LIMIT_STORE=redis://…`), so a
//! caller's allowance is one across every node of a cluster. The same GCRA
//! as the memory store, run as one Lua script per check (atomic in Redis)
//! on Redis's own clock, so nodes with skewed clocks still agree.
//!
//! When Redis cannot be reached the configured [`FailurePolicy`] decides,
//! and a warning is logged at most once a minute.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::Script;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::rate_limit::Decision;
use crate::store::rate_limits::RateLimitRow;

// The setting is plain data and lives with the others in `config`.
pub use crate::config::FailurePolicy;

/// GCRA over a theoretical arrival time (TAT) in ms per key. ARGV: emission
/// interval (ms per request), burst (requests). Returns {allowed (0/1),
/// remaining, reset_ms, retry_after_ms}.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local horizon = burst * interval
if new_tat - now > horizon then
  return {0, 0, tat - now, new_tat - now - horizon}
end
redis.call('SET', KEYS[1], new_tat, 'PX', new_tat - now)
return {1, math.floor((horizon - (new_tat - now)) / interval), new_tat - now, 0}
";

/// Counts a failure in a window that starts at the first one. KEYS: the
/// count. ARGV: window (ms), threshold. Returns 1 when the count reaches
/// the threshold (and starts it again), else 0: of nodes counting at once,
/// exactly one sees the threshold.
const FAILURES: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if n >= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
";

/// How long a node waits before trying an unreachable Redis again.
const RECONNECT_EVERY: Duration = Duration::from_secs(1);

/// How often the unreachable-Redis warning may be logged.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// Counts in Redis, shared by every node pointing at it.
pub struct RedisRateStore {
    client: redis::Client,
    script: Script,
    failures: Script,
    policy: FailurePolicy,
    connection: tokio::sync::Mutex<Option<ConnectionManager>>,
    last_attempt: Mutex<Option<Instant>>,
    last_warning: Mutex<Option<Instant>>,
}

impl RedisRateStore {
    /// A store on the Redis at `url`; connects on first use, so a node
    /// starts while Redis is down (and applies `policy` meanwhile).
    ///
    /// # Errors
    /// When `url` is not a Redis URL.
    pub fn new(url: &str, policy: FailurePolicy) -> anyhow::Result<Self> {
        Ok(Self {
            client: redis::Client::open(url)?,
            script: Script::new(GCRA),
            failures: Script::new(FAILURES),
            policy,
            connection: tokio::sync::Mutex::default(),
            last_attempt: Mutex::default(),
            last_warning: Mutex::default(),
        })
    }

    /// Counts one request of `caller` under `rule` and decides.
    pub async fn check(&self, rule: &RateLimitRow, caller: &str) -> Decision {
        let limit = u32::try_from(rule.requests).unwrap_or(u32::MAX).max(1);
        let interval_ms = (rule.window_seconds.max(0) * 1000 / i64::from(limit)).max(1);
        // The rule's shape is in the key: a changed rule starts afresh, as
        // in the memory store.
        let key = format!(
            "sluice:rate:{}:{}/{}:{caller}",
            rule.name, rule.requests, rule.window_seconds
        );
        match self.run(&key, interval_ms, limit).await {
            Ok((allowed, remaining, reset_ms, retry_ms)) => Decision {
                allowed: allowed == 1,
                limit,
                remaining: u32::try_from(remaining).unwrap_or(0),
                reset_secs: ceil_secs(reset_ms),
                retry_after_secs: if allowed == 1 {
                    0
                } else {
                    ceil_secs(retry_ms).max(1)
                },
                unavailable: false,
            },
            Err(e) => {
                self.warn(&e);
                Decision {
                    allowed: self.policy == FailurePolicy::Open,
                    limit,
                    remaining: 0,
                    reset_secs: 0,
                    retry_after_secs: 1,
                    unavailable: self.policy == FailurePolicy::Closed,
                }
            }
        }
    }

    async fn run(
        &self,
        key: &str,
        interval_ms: i64,
        burst: u32,
    ) -> anyhow::Result<(i64, i64, i64, i64)> {
        let mut connection = self.connection().await?;
        let answer: (i64, i64, i64, i64) = self
            .script
            .key(key)
            .arg(interval_ms)
            .arg(burst)
            .invoke_async(&mut connection)
            .await?;
        Ok(answer)
    }

    /// Counts one failure under `key` (the token endpoint's brute-force
    /// protection), in a window of `window_ms` from the key's first
    /// failure; `true` when the count reaches `threshold`, which starts it
    /// again. Not subject to the failure policy: the caller decides.
    ///
    /// # Errors
    /// When Redis cannot be asked.
    pub async fn count_failure(
        &self,
        key: &str,
        window_ms: u64,
        threshold: u32,
    ) -> anyhow::Result<bool> {
        let mut connection = self.connection().await?;
        let reached: i64 = self
            .failures
            .key(key)
            .arg(window_ms.max(1))
            .arg(threshold.max(1))
            .invoke_async(&mut connection)
            .await?;
        Ok(reached == 1)
    }

    /// The shared connection, made on first use.
    async fn connection(&self) -> anyhow::Result<ConnectionManager> {
        let mut slot = self.connection.lock().await;
        if slot.is_none() {
            *slot = Some(self.connect().await?);
        }
        Ok(slot.clone().expect("connected above"))
    }

    /// Connects, at most once per [`RECONNECT_EVERY`], so requests do not
    /// each wait for a dead server.
    async fn connect(&self) -> anyhow::Result<ConnectionManager> {
        {
            let mut last = self
                .last_attempt
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if last.is_some_and(|at| at.elapsed() < RECONNECT_EVERY) {
                anyhow::bail!("Redis was unreachable less than a second ago");
            }
            *last = Some(Instant::now());
        }
        let timeout = Duration::from_millis(250);
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1);
        Ok(ConnectionManager::new_with_config(self.client.clone(), config).await?)
    }

    fn warn(&self, error: &anyhow::Error) {
        let mut last = self
            .last_warning
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_none_or(|at| at.elapsed() >= WARN_EVERY) {
            *last = Some(Instant::now());
            tracing::warn!(
                error = %error,
                policy = ?self.policy,
                "the rate-limit store (Redis) is unreachable; requests are {} until it is back",
                if self.policy == FailurePolicy::Open { "admitted" } else { "refused with 503" }
            );
        }
    }
}

fn ceil_secs(ms: i64) -> u64 {
    u64::try_from(ms.max(0)).unwrap_or(0).div_ceil(1000)
}

impl crate::edge::ip_rules::FailureCounter for RedisRateStore {
    fn count_failure<'a>(
        &'a self,
        key: &'a str,
        window_ms: u64,
        threshold: u32,
    ) -> futures_util::future::BoxFuture<'a, anyhow::Result<bool>> {
        Box::pin(RedisRateStore::count_failure(
            self, key, window_ms, threshold,
        ))
    }
}
