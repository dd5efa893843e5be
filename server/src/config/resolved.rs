//! The assembled [`Config`]: [`Settings::resolve`] checks every setting, creates the data
//! directory and fills in the derived defaults (the public origin from the listen address,
//! a SQLite file in the data dir), taking each area's part from its own module.

use super::error::ConfigError;
use super::flags::{LogFormat, Settings};
use super::limits::RequestDeadlines;
use super::media::MediaConfig;
use super::redact::redact_url;
use super::{access, cluster::ClusterConfig, limits, media};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where messages are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Persistence {
    /// In the database, durable before the ack (always, but for the benchmark).
    Durable,
    /// Nowhere: benchmark only (`PARLEY_BENCH_NO_PERSIST`).
    BenchmarkNone,
}

/// Settings checked and completed with their derived defaults.
#[derive(Clone)]
pub struct Config {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Data directory (created if missing).
    pub data_dir: PathBuf,
    /// The database to use.
    pub database_url: String,
    /// `scheme://host[:port]` browsers use; cookies are `Secure` when it is https.
    pub public_origin: String,
    /// Session lifetime.
    pub session_ttl: Duration,
    /// How often a session's "last used" time is written at most (and by an open socket).
    pub session_touch: Duration,
    /// Login throttle: failures per account.
    pub login_max_failures: u32,
    /// Login throttle: failures per client address.
    pub login_max_failures_per_addr: u32,
    /// Login throttle window.
    pub login_window: Duration,
    /// Login throttle: failures per account from unknown devices.
    pub login_max_failures_per_account: u32,
    /// Registrations per client address per hour.
    pub register_per_addr_per_hour: u32,
    /// Registrations per hour in all.
    pub register_per_hour: u32,
    /// Peers trusted to name the client in `X-Forwarded-For` / `Forwarded`.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Most groups one user may own.
    pub max_owned_groups: u32,
    /// Most members per group.
    pub max_group_members: u32,
    /// Friend requests, blocks, reports and who reads reports.
    pub people: super::limits::PeopleRules,
    /// WebSocket caps.
    pub socket_limits: crate::delivery::registry::Limits,
    /// Delay before "offline" is announced.
    pub presence_grace: Duration,
    /// How long notices are kept.
    pub notice_ttl: Duration,
    /// Token `/metrics` requires; `None` disables it.
    pub metrics_token: Option<String>,
    /// Where messages are kept: the database, or nowhere for the benchmark.
    pub persistence: Persistence,
    /// Log format.
    pub log_format: LogFormat,
    /// Built site directory.
    pub site_root: PathBuf,
    /// Uploads.
    pub media: MediaConfig,
    /// Several nodes through Redis; `None`: one node.
    pub cluster: Option<ClusterConfig>,
    /// Request deadlines (slow or stalled clients).
    pub deadlines: RequestDeadlines,
    /// Edit and recall windows, and the action rate.
    pub actions: super::limits::ActionLimits,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact_url(&self.database_url))
            .field("public_origin", &self.public_origin)
            .field("session_ttl", &self.session_ttl)
            .field("session_touch", &self.session_touch)
            .field("login_window", &self.login_window)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("max_owned_groups", &self.max_owned_groups)
            .field("max_group_members", &self.max_group_members)
            .field("socket_limits", &self.socket_limits)
            .field("presence_grace", &self.presence_grace)
            .field("notice_ttl", &self.notice_ttl)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "***"))
            .field("persistence", &self.persistence)
            .field("media", &self.media)
            .field("cluster", &self.cluster)
            .field("deadlines", &self.deadlines)
            .field("actions", &self.actions)
            .field("people", &self.people)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Checks the settings, creates the data directory and fills in derived defaults.
    pub fn resolve(self) -> Result<Config, ConfigError> {
        // The checks run in this order so that, of several bad values, the same one is
        // reported as always, and nothing is created on disk before the counts pass.
        access::check_throttles(&self)?;
        let trusted_proxies = access::parse_trusted_proxies(self.trusted_proxies.as_deref())?;
        limits::check_sockets_and_notices(&self)?;
        if self.metrics_token.as_deref().is_some_and(|t| t.len() < 16) {
            return Err(ConfigError::TooShort("PARLEY_METRICS_TOKEN", 16));
        }
        if self.max_group_members < 2 {
            return Err(ConfigError::TooSmall("MAX_GROUP_MEMBERS", 2));
        }
        media::check_counts(&self)?;
        limits::check_deadlines(&self)?;
        let public_origin = match &self.public_origin {
            Some(o) => normalize_origin(o)?,
            None => derived_origin(self.addr),
        };
        std::fs::create_dir_all(&self.data_dir).map_err(|source| ConfigError::DataDir {
            path: self.data_dir.clone(),
            source,
        })?;
        let database_url = database_url(self.database_url.as_deref(), &self.data_dir)?;
        let media = media::resolve(&self)?;
        let cluster = super::cluster::resolve(&self)?;
        let deadlines = limits::deadlines(&self);
        let actions = limits::actions(&self)?;
        let people = limits::people(&self)?;
        let socket_limits = limits::socket_limits(&self);
        Ok(Config {
            media,
            cluster,
            deadlines,
            actions,
            addr: self.addr,
            data_dir: self.data_dir,
            database_url,
            public_origin,
            session_ttl: Duration::from_secs(self.session_ttl_secs),
            session_touch: Duration::from_secs(self.session_touch_secs),
            login_max_failures: self.login_max_failures,
            login_max_failures_per_addr: self.login_max_failures_per_addr,
            login_window: Duration::from_secs(self.login_window_secs),
            login_max_failures_per_account: self.login_max_failures_per_account,
            register_per_addr_per_hour: self.register_per_addr_per_hour,
            register_per_hour: self.register_per_hour,
            trusted_proxies,
            max_owned_groups: self.max_owned_groups,
            max_group_members: self.max_group_members,
            people,
            socket_limits,
            presence_grace: Duration::from_millis(self.presence_grace_ms),
            notice_ttl: Duration::from_secs(u64::from(self.notice_ttl_days) * 86_400),
            metrics_token: self.metrics_token,
            persistence: if self.bench_no_persist {
                Persistence::BenchmarkNone
            } else {
                Persistence::Durable
            },
            log_format: self.log_format,
            site_root: self.site_root,
        })
    }
}

impl Config {
    /// True when browsers reach us over TLS, so cookies must be `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.public_origin.starts_with("https://")
    }
}

/// `DATABASE_URL` if a driver understands it; unset, the SQLite file `parley.db` in the
/// (already created) data directory.
fn database_url(url: Option<&str>, data_dir: &Path) -> Result<String, ConfigError> {
    match url {
        Some(url) if is_supported_db_url(url) => Ok(url.to_owned()),
        Some(url) => Err(ConfigError::DatabaseUrl(redact_url(url))),
        None => {
            let dir = data_dir
                .canonicalize()
                .map_err(|source| ConfigError::DataDir {
                    path: data_dir.to_path_buf(),
                    source,
                })?;
            Ok(format!(
                "sqlite://{}?mode=rwc",
                dir.join("parley.db").display()
            ))
        }
    }
}

fn is_supported_db_url(url: &str) -> bool {
    [
        "sqlite:",
        "postgres://",
        "postgresql://",
        "mysql://",
        "mariadb://",
    ]
    .iter()
    .any(|p| url.starts_with(p))
}

fn derived_origin(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!("http://localhost:{}", addr.port())
    } else {
        format!("http://{addr}")
    }
}

/// Reduces an origin to `scheme://host[:port]`, refusing anything with a path or query.
fn normalize_origin(origin: &str) -> Result<String, ConfigError> {
    let url = url::Url::parse(origin)
        .map_err(|e| ConfigError::PublicOrigin(format!("{origin:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::PublicOrigin(format!(
            "{origin:?} must start with http:// or https://"
        )));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::PublicOrigin(format!(
            "{origin:?} must be only scheme, host and port"
        )));
    }
    match url.origin() {
        o @ url::Origin::Tuple(..) => Ok(o.ascii_serialization()),
        url::Origin::Opaque(_) => Err(ConfigError::PublicOrigin(format!("{origin:?} has no host"))),
    }
}

#[cfg(test)]
mod tests {
    use crate::config::parse;

    #[test]
    fn defaults_derive_origin_and_sqlite_url() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("d");
        let cfg = parse(&["--data-dir", data.to_str().unwrap()])
            .unwrap()
            .resolve()
            .unwrap();
        assert_eq!(cfg.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(cfg.public_origin, "http://127.0.0.1:3000");
        assert!(cfg.database_url.starts_with("sqlite://"));
        assert!(cfg.database_url.ends_with("parley.db?mode=rwc"));
        assert!(data.is_dir());
        assert!(!cfg.secure_cookies());
    }

    #[test]
    fn action_windows_and_rate() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let cfg = parse(&["--data-dir", d]).unwrap().resolve().unwrap();
        assert_eq!(cfg.actions, crate::config::ActionLimits::default());
        assert_eq!(cfg.actions.recall_window.as_secs(), 120);
        assert_eq!(cfg.actions.edit_window.as_secs(), 86_400);
        let cfg = parse(&["--data-dir", d, "--edit-window-secs", "0"])
            .unwrap()
            .resolve()
            .unwrap();
        assert!(cfg.actions.edit_window.is_zero(), "0 turns editing off");
        let err = parse(&["--data-dir", d, "--actions-per-minute", "0"])
            .unwrap()
            .resolve()
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("PARLEY_ACTIONS_PER_MINUTE"), "{err}");
    }

    #[test]
    fn bad_values_name_the_setting() {
        let err = parse(&["--addr", "nonsense"]).err().unwrap().to_string();
        assert!(
            err.contains("PARLEY_ADDR") || err.contains("--addr"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let err = parse(&["--data-dir", d, "--database-url", "redis://x"])
            .unwrap()
            .resolve()
            .err()
            .unwrap()
            .to_string();
        assert!(err.starts_with("DATABASE_URL"), "{err}");
        let err = parse(&[
            "--data-dir",
            d,
            "--public-origin",
            "https://chat.example/app",
        ])
        .unwrap()
        .resolve()
        .err()
        .unwrap()
        .to_string();
        assert!(err.starts_with("PARLEY_PUBLIC_ORIGIN"), "{err}");
        for (flag, value, name) in [
            (
                "--trusted-proxies",
                "10.0.0.1, 10.0.0.0/33",
                "PARLEY_TRUSTED_PROXIES",
            ),
            ("--register-per-hour", "0", "PARLEY_REGISTER_PER_HOUR"),
            (
                "--login-max-failures-per-account",
                "0",
                "PARLEY_LOGIN_MAX_FAILURES_PER_ACCOUNT",
            ),
        ] {
            let err = parse(&["--data-dir", d, flag, value])
                .unwrap()
                .resolve()
                .err()
                .unwrap()
                .to_string();
            assert!(err.starts_with(name), "{err}");
        }
        let ok = parse(&[
            "--data-dir",
            d,
            "--trusted-proxies",
            "127.0.0.1, 10.0.0.0/8, ::1",
        ])
        .unwrap()
        .resolve()
        .unwrap();
        assert_eq!(ok.trusted_proxies.len(), 3);
        let err = parse(&["--data-dir", d, "--session-ttl-secs", "0"])
            .unwrap()
            .resolve()
            .err()
            .unwrap()
            .to_string();
        assert!(err.starts_with("PARLEY_SESSION_TTL_SECS"), "{err}");
    }

    #[test]
    fn origin_is_normalized_and_https_makes_cookies_secure() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let cfg = parse(&[
            "--data-dir",
            d,
            "--public-origin",
            "HTTPS://Chat.Example:443/",
        ])
        .unwrap()
        .resolve()
        .unwrap();
        assert_eq!(cfg.public_origin, "https://chat.example");
        assert!(cfg.secure_cookies());
        let cfg = parse(&["--data-dir", d, "--addr", "0.0.0.0:8080"])
            .unwrap()
            .resolve()
            .unwrap();
        assert_eq!(cfg.public_origin, "http://localhost:8080");
    }
}
