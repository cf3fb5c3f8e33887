//! Rate limits shared by every instance through Redis: the generic cell rate
//! algorithm (GCRA) in one Lua script, so each check is one atomic round
//! trip and the budget is the same whichever instance a request reaches.
//!
//! A budget of `n` per minute lets a burst of `n` through, then one every
//! `60/n` s, as the in-process limiter (governor) does. Redis keeps one key
//! per IP or tenant holding its "theoretical arrival time", which expires as
//! soon as the budget is full again. The time is Redis's own (`TIME`), so
//! instances with drifting clocks agree.
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisError, Script};
use service_kit::secret::Secret;

/// GCRA. KEYS[1]: the budget's key. ARGV[1]: ms between two requests at the
/// sustained rate; ARGV[2]: ms of burst tolerance, (burst − 1) × ARGV[1].
/// Returns 0 when the request may pass (and counts it), else the ms to wait.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - now - tolerance
if wait > 0 then return wait end
local next_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', next_tat - now)
return 0
";

/// Where the shared budgets live: `REDIS_URL` and `REDIS_KEY_PREFIX`.
#[derive(Clone, Debug)]
pub struct SharedLimitSettings {
    /// `redis://[:password@]host:port[/db]`: may hold a password.
    pub url: Secret,
    /// Put before every key (default `connectauth:`), so one Redis can serve
    /// several deployments.
    pub key_prefix: String,
}

/// The connection to Redis and the script. Connecting is lazy and retried
/// by the connection manager; a check that cannot reach Redis in time
/// returns the error and the caller falls back to its own limiter.
pub struct SharedLimits {
    connection: ConnectionManager,
    script: Script,
    key_prefix: String,
}

/// How long a check waits for Redis before the caller decides alone.
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(250);
const CONNECTION_TIMEOUT: Duration = Duration::from_millis(500);

impl SharedLimits {
    pub fn new(settings: &SharedLimitSettings) -> Result<Self, RedisError> {
        let client = Client::open(settings.url.expose())?;
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_connection_timeout(Some(CONNECTION_TIMEOUT))
            .set_number_of_retries(1);
        Ok(Self {
            connection: ConnectionManager::new_lazy_with_config(client, config)?,
            script: Script::new(GCRA),
            key_prefix: settings.key_prefix.clone(),
        })
    }

    /// `Ok(None)`: the request may pass. `Ok(Some(wait))`: over budget.
    pub async fn check(
        &self,
        budget: &str,
        key: &str,
        per_minute: u32,
    ) -> Result<Option<Duration>, RedisError> {
        let interval_ms = 60_000 / u64::from(per_minute.max(1));
        let tolerance_ms = interval_ms * u64::from(per_minute.max(1) - 1);
        let mut connection = self.connection.clone();
        let wait_ms: u64 = self
            .script
            .key(format!("{}ratelimit:{budget}:{key}", self.key_prefix))
            .arg(interval_ms)
            .arg(tolerance_ms)
            .invoke_async(&mut connection)
            .await?;
        Ok((wait_ms > 0).then(|| Duration::from_millis(wait_ms)))
    }
}
