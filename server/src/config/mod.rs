//! Typed settings: command-line flags, each with an environment variable and a documented
//! default (see the README's configuration reference). A bad value stops start-up with an
//! error that names the setting; nothing here panics.
//!
//! Layout (every type is used as `crate::config::X`, re-exported here):
//! - `flags`: [`Settings`], the flags as clap reads them, with [`LogFormat`] and
//!   [`StorageKind`]; its `Debug` hides secrets.
//! - `resolved`: [`Settings::resolve`] and the [`Config`] it assembles, with the derived
//!   defaults (public origin, SQLite URL) and [`Persistence`].
//! - `access`: session lifetime, login and registration throttles, trusted proxies.
//! - `limits`: WebSocket caps, notice lifetime, [`RequestDeadlines`].
//! - `media`: [`MediaConfig`], [`StorageConfig`], [`S3Config`].
//! - `cluster`: [`ClusterConfig`] (Redis).
//! - `error`: [`ConfigError`]; `redact`: [`redact_url`], for logs.

mod access;
mod cluster;
mod error;
mod flags;
mod limits;
mod media;
mod redact;
mod resolved;

pub use cluster::ClusterConfig;
pub use error::ConfigError;
pub use flags::{LogFormat, Settings, StorageKind};
pub use limits::{ActionLimits, PeopleRules, RequestDeadlines};
pub use media::{MediaConfig, S3Config, StorageConfig};
pub use redact::redact_url;
pub use resolved::{Config, Persistence};

/// Parses flags as the binary does, for the tests of every part.
#[cfg(test)]
fn parse(args: &[&str]) -> Result<Settings, clap::Error> {
    use clap::Parser;
    Settings::try_parse_from(std::iter::once("parley").chain(args.iter().copied()))
}
