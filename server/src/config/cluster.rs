//! Several nodes through one Redis (`REDIS_URL` and friends): [`ClusterConfig`], with the
//! URL's password kept out of `Debug`.

use super::error::ConfigError;
use super::flags::Settings;
use super::redact::redact_url;
use std::fmt;
use std::time::Duration;

/// How a node joins the others (`REDIS_URL` and friends).
#[derive(Clone)]
pub struct ClusterConfig {
    /// The shared Redis.
    pub redis_url: String,
    /// Prefix of every key and channel.
    pub prefix: String,
    /// How long a silent node counts as alive.
    pub node_ttl: Duration,
}

impl fmt::Debug for ClusterConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusterConfig")
            .field("redis_url", &redact_url(&self.redis_url))
            .field("prefix", &self.prefix)
            .field("node_ttl", &self.node_ttl)
            .finish()
    }
}

/// The cluster settings; `None` (one node, delivery in process) when `REDIS_URL` is unset
/// or blank.
pub(super) fn resolve(s: &Settings) -> Result<Option<ClusterConfig>, ConfigError> {
    match s.redis_url.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(url) => {
            let ok = url::Url::parse(url)
                .is_ok_and(|u| matches!(u.scheme(), "redis" | "rediss") && u.has_host());
            if !ok {
                return Err(ConfigError::RedisUrl(redact_url(url)));
            }
            if s.node_ttl_ms < 1000 {
                return Err(ConfigError::TooSmall("PARLEY_NODE_TTL_MS", 1000));
            }
            Ok(Some(ClusterConfig {
                redis_url: url.to_owned(),
                prefix: s.redis_prefix.clone(),
                node_ttl: Duration::from_millis(s.node_ttl_ms),
            }))
        }
    }
}
