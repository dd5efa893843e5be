//! Typed settings: command-line flags, each with an environment variable and a documented
//! default (see the README's configuration reference). A bad value stops start-up with an
//! error that names the setting; nothing here panics.

use clap::{Parser, ValueEnum};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A setting that parsed but does not make sense.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `DATABASE_URL` has a scheme no driver understands.
    #[error(
        "DATABASE_URL: unsupported database URL {0:?}; use sqlite://, postgres:// or mysql://"
    )]
    DatabaseUrl(String),
    /// `PARLEY_PUBLIC_ORIGIN` is not `http(s)://host[:port]`.
    #[error("PARLEY_PUBLIC_ORIGIN: {0}")]
    PublicOrigin(String),
    /// `REDIS_URL` is not a `redis://` or `rediss://` URL.
    #[error("REDIS_URL: {0:?} is not a redis:// or rediss:// URL")]
    RedisUrl(String),
    /// `PARLEY_DATA_DIR` cannot be created.
    #[error("PARLEY_DATA_DIR: cannot create {path}: {source}")]
    DataDir {
        /// The directory that was asked for.
        path: PathBuf,
        /// Why it could not be created.
        source: std::io::Error,
    },
    /// A count is below its minimum.
    #[error("{0}: must be at least {1}")]
    TooSmall(&'static str, u32),
    /// A secret is too short to be one.
    #[error("{0}: must be at least {1} characters")]
    TooShort(&'static str, usize),
    /// A duration or count that must be positive was zero.
    #[error("{0}: must be greater than zero")]
    Zero(&'static str),
    /// `PARLEY_MEDIA_DIR` cannot be created.
    #[error("PARLEY_MEDIA_DIR: cannot create {path}: {source}")]
    MediaDir {
        /// The directory that was asked for.
        path: PathBuf,
        /// Why it could not be created.
        source: std::io::Error,
    },
    /// A setting S3 storage needs is missing.
    #[error("{0}: required when PARLEY_STORAGE=s3")]
    Required(&'static str),
    /// `PARLEY_S3_ENDPOINT` is not an http(s) URL.
    #[error("PARLEY_S3_ENDPOINT: {0}")]
    S3Endpoint(String),
    /// An entry of `PARLEY_TRUSTED_PROXIES` is neither an IP address nor a CIDR.
    #[error("PARLEY_TRUSTED_PROXIES: {0:?} is not an IP address or CIDR (e.g. 10.0.0.0/8)")]
    TrustedProxy(String),
}

/// Where uploaded files are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StorageKind {
    /// A directory on this machine (`PARLEY_MEDIA_DIR`).
    Local,
    /// An S3-compatible bucket (`PARLEY_S3_*`).
    S3,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Everything that can be configured, as given on the command line or in the environment.
#[derive(Clone, Parser)]
#[command(
    name = "parley",
    version,
    about = "Parley: self-hosted instant messaging"
)]
pub struct Settings {
    /// Address to listen on.
    #[arg(
        long,
        env = "PARLEY_ADDR",
        value_name = "PARLEY_ADDR",
        default_value = "127.0.0.1:3000"
    )]
    pub addr: SocketAddr,

    /// Directory for the embedded database and uploads.
    #[arg(
        long,
        env = "PARLEY_DATA_DIR",
        value_name = "PARLEY_DATA_DIR",
        default_value = "./data"
    )]
    pub data_dir: PathBuf,

    /// Database URL; default: SQLite file `parley.db` in the data dir.
    #[arg(long, env = "DATABASE_URL", value_name = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// The origin browsers use to reach this server (checked on WebSocket upgrades);
    /// default: `http://` + the listen address.
    #[arg(
        long,
        env = "PARLEY_PUBLIC_ORIGIN",
        value_name = "PARLEY_PUBLIC_ORIGIN"
    )]
    pub public_origin: Option<String>,

    /// How long a login session lasts, in seconds.
    #[arg(long, env = "PARLEY_SESSION_TTL_SECS", value_name = "PARLEY_SESSION_TTL_SECS", default_value_t = 30 * 24 * 3600)]
    pub session_ttl_secs: u64,

    /// Failed logins for one account from one client address before that address is
    /// throttled for that account (others, the owner included, can still log in).
    #[arg(
        long,
        env = "PARLEY_LOGIN_MAX_FAILURES",
        value_name = "PARLEY_LOGIN_MAX_FAILURES",
        default_value_t = 5
    )]
    pub login_max_failures: u32,

    /// Failed logins from one client address before it is throttled.
    #[arg(
        long,
        env = "PARLEY_LOGIN_MAX_FAILURES_PER_ADDR",
        value_name = "PARLEY_LOGIN_MAX_FAILURES_PER_ADDR",
        default_value_t = 20
    )]
    pub login_max_failures_per_addr: u32,

    /// How long failures are remembered (and a throttle lasts), in seconds.
    #[arg(
        long,
        env = "PARLEY_LOGIN_WINDOW_SECS",
        value_name = "PARLEY_LOGIN_WINDOW_SECS",
        default_value_t = 900
    )]
    pub login_window_secs: u64,

    /// Failed logins for one account from devices it never logged in on (no device cookie),
    /// whatever their addresses, before such devices are refused for that account; its
    /// known devices are never slowed.
    #[arg(
        long,
        env = "PARLEY_LOGIN_MAX_FAILURES_PER_ACCOUNT",
        value_name = "PARLEY_LOGIN_MAX_FAILURES_PER_ACCOUNT",
        default_value_t = 50
    )]
    pub login_max_failures_per_account: u32,

    /// Accounts one client address may create per hour.
    #[arg(
        long,
        env = "PARLEY_REGISTER_PER_ADDR_PER_HOUR",
        value_name = "PARLEY_REGISTER_PER_ADDR_PER_HOUR",
        default_value_t = 20
    )]
    pub register_per_addr_per_hour: u32,

    /// Accounts that may be created per hour in all.
    #[arg(
        long,
        env = "PARLEY_REGISTER_PER_HOUR",
        value_name = "PARLEY_REGISTER_PER_HOUR",
        default_value_t = 500
    )]
    pub register_per_hour: u32,

    /// Reverse proxies whose `X-Forwarded-For` (or `Forwarded`) header names the client:
    /// comma-separated IPs or CIDRs; default none (the peer address is the client).
    #[arg(
        long,
        env = "PARLEY_TRUSTED_PROXIES",
        value_name = "PARLEY_TRUSTED_PROXIES"
    )]
    pub trusted_proxies: Option<String>,

    /// Most groups one user may own.
    #[arg(
        long,
        env = "MAX_OWNED_GROUPS",
        value_name = "MAX_OWNED_GROUPS",
        default_value_t = 5
    )]
    pub max_owned_groups: u32,

    /// Most members a group may have, its owner included.
    #[arg(
        long,
        env = "MAX_GROUP_MEMBERS",
        value_name = "MAX_GROUP_MEMBERS",
        default_value_t = 500
    )]
    pub max_group_members: u32,

    /// Most WebSockets one user may hold open on this node.
    #[arg(
        long,
        env = "PARLEY_MAX_SOCKETS_PER_USER",
        value_name = "PARLEY_MAX_SOCKETS_PER_USER",
        default_value_t = 16
    )]
    pub max_sockets_per_user: u32,

    /// Most WebSockets from one client address on this node.
    #[arg(
        long,
        env = "PARLEY_MAX_SOCKETS_PER_ADDR",
        value_name = "PARLEY_MAX_SOCKETS_PER_ADDR",
        default_value_t = 1024
    )]
    pub max_sockets_per_addr: u32,

    /// Most WebSockets on this node in all.
    #[arg(
        long,
        env = "PARLEY_MAX_SOCKETS",
        value_name = "PARLEY_MAX_SOCKETS",
        default_value_t = 20_000
    )]
    pub max_sockets: u32,

    /// How long after a user's last connection closes their friends are told "offline", in
    /// milliseconds (a reload within it shows no flicker).
    #[arg(
        long,
        env = "PARLEY_PRESENCE_GRACE_MS",
        value_name = "PARLEY_PRESENCE_GRACE_MS",
        default_value_t = 3000
    )]
    pub presence_grace_ms: u64,

    /// Days notices (cmd 12) are kept for catch-up before they are pruned.
    #[arg(
        long,
        env = "PARLEY_NOTICE_TTL_DAYS",
        value_name = "PARLEY_NOTICE_TTL_DAYS",
        default_value_t = 30
    )]
    pub notice_ttl_days: u32,

    /// Bearer token that `GET /metrics` requires; unset, `/metrics` is not served.
    #[arg(
        long,
        env = "PARLEY_METRICS_TOKEN",
        value_name = "PARLEY_METRICS_TOKEN"
    )]
    pub metrics_token: Option<String>,

    /// Benchmark only: keep messages nowhere (in-memory seq counters), to compare the hub
    /// with hubs that store nothing. Messages sent with it are lost at restart.
    #[arg(
        long,
        env = "PARLEY_BENCH_NO_PERSIST",
        value_name = "PARLEY_BENCH_NO_PERSIST",
        value_parser = clap::builder::BoolishValueParser::new(),
        num_args = 0..=1,
        default_value = "false",
        default_missing_value = "true"
    )]
    pub bench_no_persist: bool,

    /// Redis URL (`redis://[:password@]host:port[/db]`) that several nodes share for live
    /// fan-out, presence, logout and throttling; unset: one node, delivery in process.
    #[arg(long, env = "REDIS_URL", value_name = "REDIS_URL")]
    pub redis_url: Option<String>,

    /// Prefix of every Redis key and channel Parley uses, so several deployments (or test
    /// runs) can share one Redis.
    #[arg(
        long,
        env = "PARLEY_REDIS_PREFIX",
        value_name = "PARLEY_REDIS_PREFIX",
        default_value = "parley:"
    )]
    pub redis_prefix: String,

    /// With Redis: how long a node that stopped heartbeating (every third of this) counts as
    /// alive, in milliseconds; then another node clears its connections and tells friends
    /// its users went offline.
    #[arg(
        long,
        env = "PARLEY_NODE_TTL_MS",
        value_name = "PARLEY_NODE_TTL_MS",
        default_value_t = 10_000
    )]
    pub node_ttl_ms: u64,

    /// Log format.
    #[arg(long, env = "PARLEY_LOG_FORMAT", value_name = "PARLEY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Where uploaded files are kept: `local` (a directory) or `s3` (S3-compatible storage).
    #[arg(long, env = "PARLEY_STORAGE", value_name = "PARLEY_STORAGE", value_enum, default_value_t = StorageKind::Local)]
    pub storage: StorageKind,

    /// Directory of uploaded files with local storage; default: `media` in the data dir.
    #[arg(long, env = "PARLEY_MEDIA_DIR", value_name = "PARLEY_MEDIA_DIR")]
    pub media_dir: Option<PathBuf>,

    /// S3 bucket of uploaded files (required with `PARLEY_STORAGE=s3`).
    #[arg(long, env = "PARLEY_S3_BUCKET", value_name = "PARLEY_S3_BUCKET")]
    pub s3_bucket: Option<String>,

    /// S3 endpoint URL for S3-compatible services (MinIO, Ceph...); default: AWS.
    #[arg(long, env = "PARLEY_S3_ENDPOINT", value_name = "PARLEY_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,

    /// S3 region.
    #[arg(
        long,
        env = "PARLEY_S3_REGION",
        value_name = "PARLEY_S3_REGION",
        default_value = "us-east-1"
    )]
    pub s3_region: String,

    /// S3 access key id; unset: the usual AWS credential sources (instance role...).
    #[arg(
        long,
        env = "PARLEY_S3_ACCESS_KEY_ID",
        value_name = "PARLEY_S3_ACCESS_KEY_ID"
    )]
    pub s3_access_key_id: Option<String>,

    /// S3 secret access key.
    #[arg(
        long,
        env = "PARLEY_S3_SECRET_ACCESS_KEY",
        value_name = "PARLEY_S3_SECRET_ACCESS_KEY"
    )]
    pub s3_secret_access_key: Option<String>,

    /// Path-style S3 URLs (`endpoint/bucket/key`), which most S3-compatible servers need;
    /// otherwise virtual-hosted style (`bucket.endpoint/key`).
    #[arg(
        long,
        env = "PARLEY_S3_PATH_STYLE",
        value_name = "PARLEY_S3_PATH_STYLE",
        value_parser = clap::builder::BoolishValueParser::new(),
        num_args = 0..=1,
        default_value = "false",
        default_missing_value = "true"
    )]
    pub s3_path_style: bool,

    /// Largest upload, in bytes.
    #[arg(
        long,
        env = "PARLEY_MAX_UPLOAD_BYTES",
        value_name = "PARLEY_MAX_UPLOAD_BYTES",
        default_value_t = 25 * 1024 * 1024
    )]
    pub max_upload_bytes: u64,

    /// Uploads one user may make per minute (429 past it).
    #[arg(
        long,
        env = "PARLEY_UPLOADS_PER_MINUTE",
        value_name = "PARLEY_UPLOADS_PER_MINUTE",
        default_value_t = 30
    )]
    pub uploads_per_minute: u32,

    /// Most pixels an uploaded picture may have (width x height); larger ones are refused
    /// before they are decoded.
    #[arg(
        long,
        env = "PARLEY_MAX_IMAGE_PIXELS",
        value_name = "PARLEY_MAX_IMAGE_PIXELS",
        default_value_t = 50_000_000
    )]
    pub max_image_pixels: u64,

    /// Most uploads one user may have in progress at once on this node (429 past it).
    #[arg(
        long,
        env = "PARLEY_MAX_UPLOADS_PER_USER",
        value_name = "PARLEY_MAX_UPLOADS_PER_USER",
        default_value_t = 4
    )]
    pub max_uploads_per_user: u32,

    /// Most uploads in progress at once on this node, all users together (429 past it).
    #[arg(
        long,
        env = "PARLEY_MAX_UPLOADS",
        value_name = "PARLEY_MAX_UPLOADS",
        default_value_t = 64
    )]
    pub max_uploads: u32,

    /// Seconds a client has to send a request's headers (also how long an idle keep-alive
    /// connection is kept); then the connection is closed.
    #[arg(
        long,
        env = "PARLEY_HEADER_TIMEOUT_SECS",
        value_name = "PARLEY_HEADER_TIMEOUT_SECS",
        default_value_t = 30
    )]
    pub header_timeout_secs: u64,

    /// Seconds a request body (an upload) may send nothing before it is refused with 408.
    #[arg(
        long,
        env = "PARLEY_BODY_IDLE_SECS",
        value_name = "PARLEY_BODY_IDLE_SECS",
        default_value_t = 30
    )]
    pub body_idle_secs: u64,

    /// Seconds a whole request body (an upload) may take before it is refused with 408.
    #[arg(
        long,
        env = "PARLEY_BODY_TOTAL_SECS",
        value_name = "PARLEY_BODY_TOTAL_SECS",
        default_value_t = 600
    )]
    pub body_total_secs: u64,

    /// Where the built site (WASM, JS, CSS, public assets) is served from.
    #[arg(
        long,
        env = "LEPTOS_SITE_ROOT",
        value_name = "LEPTOS_SITE_ROOT",
        default_value = "target/site"
    )]
    pub site_root: PathBuf,
}

// Hand-written so a password inside DATABASE_URL never reaches the logs.
impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("addr", &self.addr)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("public_origin", &self.public_origin)
            .field("session_ttl_secs", &self.session_ttl_secs)
            .field("login_max_failures", &self.login_max_failures)
            .field(
                "login_max_failures_per_addr",
                &self.login_max_failures_per_addr,
            )
            .field("login_window_secs", &self.login_window_secs)
            .field("max_owned_groups", &self.max_owned_groups)
            .field("max_group_members", &self.max_group_members)
            .field("max_sockets_per_user", &self.max_sockets_per_user)
            .field("max_sockets_per_addr", &self.max_sockets_per_addr)
            .field("max_sockets", &self.max_sockets)
            .field("presence_grace_ms", &self.presence_grace_ms)
            .field("notice_ttl_days", &self.notice_ttl_days)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "***"))
            .field("bench_no_persist", &self.bench_no_persist)
            .field("redis_url", &self.redis_url.as_deref().map(redact_url))
            .field("redis_prefix", &self.redis_prefix)
            .field("node_ttl_ms", &self.node_ttl_ms)
            .field("log_format", &self.log_format)
            .field("storage", &self.storage)
            .field("media_dir", &self.media_dir)
            .field("s3_bucket", &self.s3_bucket)
            .field("s3_endpoint", &self.s3_endpoint)
            .field("s3_region", &self.s3_region)
            .field("s3_access_key_id", &self.s3_access_key_id)
            .field(
                "s3_secret_access_key",
                &self.s3_secret_access_key.as_ref().map(|_| "***"),
            )
            .field("s3_path_style", &self.s3_path_style)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("uploads_per_minute", &self.uploads_per_minute)
            .field("max_image_pixels", &self.max_image_pixels)
            .field("max_uploads_per_user", &self.max_uploads_per_user)
            .field("max_uploads", &self.max_uploads)
            .field("header_timeout_secs", &self.header_timeout_secs)
            .field("body_idle_secs", &self.body_idle_secs)
            .field("body_total_secs", &self.body_total_secs)
            .field("site_root", &self.site_root)
            .finish()
    }
}

/// An S3-compatible bucket.
#[derive(Clone)]
pub struct S3Config {
    /// Bucket name.
    pub bucket: String,
    /// Endpoint URL; `None` for AWS itself.
    pub endpoint: Option<String>,
    /// Region.
    pub region: String,
    /// Access key id; `None` for the usual AWS credential sources.
    pub access_key_id: Option<String>,
    /// Secret access key.
    pub secret_access_key: Option<String>,
    /// Path-style requests (`endpoint/bucket/key`).
    pub path_style: bool,
}

// Hand-written so the secret key never reaches the logs.
impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "***"),
            )
            .field("path_style", &self.path_style)
            .finish()
    }
}

/// Where uploaded files are kept, resolved.
#[derive(Clone, Debug)]
pub enum StorageConfig {
    /// This directory (created at start-up).
    Local(PathBuf),
    /// This bucket.
    S3(S3Config),
}

/// Upload settings, resolved.
#[derive(Clone, Debug)]
pub struct MediaConfig {
    /// Where files are kept.
    pub storage: StorageConfig,
    /// Largest upload, in bytes.
    pub max_upload_bytes: u64,
    /// Uploads per user per minute.
    pub uploads_per_minute: u32,
    /// Most pixels of an uploaded picture.
    pub max_image_pixels: u64,
    /// Uploads in progress at once per user, on this node.
    pub max_uploads_per_user: u32,
    /// Uploads in progress at once on this node.
    pub max_uploads: u32,
}

/// How long a client may take to send a request, resolved.
#[derive(Clone, Copy, Debug)]
pub struct RequestDeadlines {
    /// To send the headers (and to start the next request on a kept-alive connection).
    pub header: Duration,
    /// Between two pieces of a body.
    pub body_idle: Duration,
    /// For the whole body.
    pub body_total: Duration,
}

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
    /// WebSocket caps.
    pub socket_limits: crate::hub::Limits,
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
}

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

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact_url(&self.database_url))
            .field("public_origin", &self.public_origin)
            .field("session_ttl", &self.session_ttl)
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
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Checks the settings, creates the data directory and fills in derived defaults.
    pub fn resolve(self) -> Result<Config, ConfigError> {
        if self.session_ttl_secs == 0 {
            return Err(ConfigError::Zero("PARLEY_SESSION_TTL_SECS"));
        }
        if self.login_window_secs == 0 {
            return Err(ConfigError::Zero("PARLEY_LOGIN_WINDOW_SECS"));
        }
        if self.login_max_failures == 0 {
            return Err(ConfigError::Zero("PARLEY_LOGIN_MAX_FAILURES"));
        }
        if self.login_max_failures_per_addr == 0 {
            return Err(ConfigError::Zero("PARLEY_LOGIN_MAX_FAILURES_PER_ADDR"));
        }
        for (name, v) in [
            (
                "PARLEY_LOGIN_MAX_FAILURES_PER_ACCOUNT",
                self.login_max_failures_per_account,
            ),
            (
                "PARLEY_REGISTER_PER_ADDR_PER_HOUR",
                self.register_per_addr_per_hour,
            ),
            ("PARLEY_REGISTER_PER_HOUR", self.register_per_hour),
        ] {
            if v == 0 {
                return Err(ConfigError::Zero(name));
            }
        }
        let trusted_proxies = parse_trusted_proxies(self.trusted_proxies.as_deref())?;
        for (name, v) in [
            ("PARLEY_MAX_SOCKETS_PER_USER", self.max_sockets_per_user),
            ("PARLEY_MAX_SOCKETS_PER_ADDR", self.max_sockets_per_addr),
            ("PARLEY_MAX_SOCKETS", self.max_sockets),
            ("PARLEY_NOTICE_TTL_DAYS", self.notice_ttl_days),
        ] {
            if v == 0 {
                return Err(ConfigError::Zero(name));
            }
        }
        if self.metrics_token.as_deref().is_some_and(|t| t.len() < 16) {
            return Err(ConfigError::TooShort("PARLEY_METRICS_TOKEN", 16));
        }
        if self.max_group_members < 2 {
            return Err(ConfigError::TooSmall("MAX_GROUP_MEMBERS", 2));
        }
        for (name, v) in [
            ("PARLEY_MAX_UPLOAD_BYTES", self.max_upload_bytes),
            (
                "PARLEY_UPLOADS_PER_MINUTE",
                u64::from(self.uploads_per_minute),
            ),
            ("PARLEY_MAX_IMAGE_PIXELS", self.max_image_pixels),
            (
                "PARLEY_MAX_UPLOADS_PER_USER",
                u64::from(self.max_uploads_per_user),
            ),
            ("PARLEY_MAX_UPLOADS", u64::from(self.max_uploads)),
            ("PARLEY_HEADER_TIMEOUT_SECS", self.header_timeout_secs),
            ("PARLEY_BODY_IDLE_SECS", self.body_idle_secs),
            ("PARLEY_BODY_TOTAL_SECS", self.body_total_secs),
        ] {
            if v == 0 {
                return Err(ConfigError::Zero(name));
            }
        }
        let public_origin = match &self.public_origin {
            Some(o) => normalize_origin(o)?,
            None => derived_origin(self.addr),
        };
        std::fs::create_dir_all(&self.data_dir).map_err(|source| ConfigError::DataDir {
            path: self.data_dir.clone(),
            source,
        })?;
        let database_url = match self.database_url {
            Some(url) if is_supported_db_url(&url) => url,
            Some(url) => return Err(ConfigError::DatabaseUrl(redact_url(&url))),
            None => {
                let dir = self
                    .data_dir
                    .canonicalize()
                    .map_err(|source| ConfigError::DataDir {
                        path: self.data_dir.clone(),
                        source,
                    })?;
                format!("sqlite://{}?mode=rwc", dir.join("parley.db").display())
            }
        };
        let storage = match self.storage {
            StorageKind::Local => {
                let dir = self
                    .media_dir
                    .clone()
                    .unwrap_or_else(|| self.data_dir.join("media"));
                std::fs::create_dir_all(&dir).map_err(|source| ConfigError::MediaDir {
                    path: dir.clone(),
                    source,
                })?;
                StorageConfig::Local(dir)
            }
            StorageKind::S3 => {
                let bucket = self
                    .s3_bucket
                    .clone()
                    .filter(|b| !b.trim().is_empty())
                    .ok_or(ConfigError::Required("PARLEY_S3_BUCKET"))?;
                if let Some(endpoint) = &self.s3_endpoint {
                    let ok = url::Url::parse(endpoint)
                        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
                    if !ok {
                        return Err(ConfigError::S3Endpoint(format!(
                            "{endpoint:?} must be an http:// or https:// URL"
                        )));
                    }
                }
                if self.s3_access_key_id.is_some() != self.s3_secret_access_key.is_some() {
                    let missing = if self.s3_access_key_id.is_some() {
                        "PARLEY_S3_SECRET_ACCESS_KEY"
                    } else {
                        "PARLEY_S3_ACCESS_KEY_ID"
                    };
                    return Err(ConfigError::Required(missing));
                }
                StorageConfig::S3(S3Config {
                    bucket,
                    endpoint: self.s3_endpoint.clone(),
                    region: self.s3_region.clone(),
                    access_key_id: self.s3_access_key_id.clone(),
                    secret_access_key: self.s3_secret_access_key.clone(),
                    path_style: self.s3_path_style,
                })
            }
        };
        let cluster = match self.redis_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(url) => {
                let ok = url::Url::parse(url)
                    .is_ok_and(|u| matches!(u.scheme(), "redis" | "rediss") && u.has_host());
                if !ok {
                    return Err(ConfigError::RedisUrl(redact_url(url)));
                }
                if self.node_ttl_ms < 1000 {
                    return Err(ConfigError::TooSmall("PARLEY_NODE_TTL_MS", 1000));
                }
                Some(ClusterConfig {
                    redis_url: url.to_owned(),
                    prefix: self.redis_prefix.clone(),
                    node_ttl: Duration::from_millis(self.node_ttl_ms),
                })
            }
        };
        let media = MediaConfig {
            storage,
            max_upload_bytes: self.max_upload_bytes,
            uploads_per_minute: self.uploads_per_minute,
            max_image_pixels: self.max_image_pixels,
            max_uploads_per_user: self.max_uploads_per_user,
            max_uploads: self.max_uploads,
        };
        let deadlines = RequestDeadlines {
            header: Duration::from_secs(self.header_timeout_secs),
            body_idle: Duration::from_secs(self.body_idle_secs),
            body_total: Duration::from_secs(self.body_total_secs),
        };
        Ok(Config {
            media,
            cluster,
            deadlines,
            addr: self.addr,
            data_dir: self.data_dir,
            database_url,
            public_origin,
            session_ttl: Duration::from_secs(self.session_ttl_secs),
            login_max_failures: self.login_max_failures,
            login_max_failures_per_addr: self.login_max_failures_per_addr,
            login_window: Duration::from_secs(self.login_window_secs),
            login_max_failures_per_account: self.login_max_failures_per_account,
            register_per_addr_per_hour: self.register_per_addr_per_hour,
            register_per_hour: self.register_per_hour,
            trusted_proxies,
            max_owned_groups: self.max_owned_groups,
            max_group_members: self.max_group_members,
            socket_limits: crate::hub::Limits {
                per_user: usize::try_from(self.max_sockets_per_user).unwrap_or(usize::MAX),
                per_addr: usize::try_from(self.max_sockets_per_addr).unwrap_or(usize::MAX),
                total: usize::try_from(self.max_sockets).unwrap_or(usize::MAX),
            },
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

/// `PARLEY_TRUSTED_PROXIES`: comma-separated IPs (a single host) or CIDRs.
fn parse_trusted_proxies(list: Option<&str>) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    list.unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| ConfigError::TrustedProxy(item.to_owned()))
        })
        .collect()
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

/// Replaces the password of a URL with `***` for logs and error messages.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Settings, clap::Error> {
        Settings::try_parse_from(std::iter::once("parley").chain(args.iter().copied()))
    }

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

    #[test]
    fn debug_redacts_database_password() {
        let s = parse(&[
            "--database-url",
            "postgres://u:hunter2@db/x",
            "--metrics-token",
            "metrics-secret-0123456789",
        ])
        .unwrap();
        assert!(!format!("{s:?}").contains("metrics-secret"));
        let dir = tempfile::tempdir().unwrap();
        let cfg = parse(&[
            "--data-dir",
            dir.path().to_str().unwrap(),
            "--metrics-token",
            "metrics-secret-0123456789",
        ])
        .unwrap()
        .resolve()
        .unwrap();
        assert!(!format!("{cfg:?}").contains("metrics-secret"));
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("***"));
    }

    #[test]
    fn media_settings_default_to_a_local_directory() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("d");
        let cfg = parse(&["--data-dir", data.to_str().unwrap()])
            .unwrap()
            .resolve()
            .unwrap();
        assert!(matches!(&cfg.media.storage, StorageConfig::Local(p) if p == &data.join("media")));
        assert!(data.join("media").is_dir());
        assert_eq!(cfg.media.max_upload_bytes, 26_214_400);
        let d = data.to_str().unwrap();
        let err = |args: &[&str]| {
            parse(&[&["--data-dir", d][..], args].concat())
                .unwrap()
                .resolve()
                .err()
                .unwrap()
                .to_string()
        };
        assert!(err(&["--storage", "s3"]).starts_with("PARLEY_S3_BUCKET"));
        assert!(err(&[
            "--storage",
            "s3",
            "--s3-bucket",
            "b",
            "--s3-endpoint",
            "ftp://x"
        ])
        .starts_with("PARLEY_S3_ENDPOINT"));
        assert!(err(&[
            "--storage",
            "s3",
            "--s3-bucket",
            "b",
            "--s3-access-key-id",
            "k"
        ])
        .starts_with("PARLEY_S3_SECRET_ACCESS_KEY"));
        assert!(err(&["--max-upload-bytes", "0"]).starts_with("PARLEY_MAX_UPLOAD_BYTES"));
        assert_eq!(
            (cfg.media.max_uploads_per_user, cfg.media.max_uploads),
            (4, 64)
        );
        assert_eq!(cfg.deadlines.header, Duration::from_secs(30));
        assert_eq!(cfg.deadlines.body_idle, Duration::from_secs(30));
        assert_eq!(cfg.deadlines.body_total, Duration::from_secs(600));
        for (flag, name) in [
            ("--max-uploads-per-user", "PARLEY_MAX_UPLOADS_PER_USER"),
            ("--max-uploads", "PARLEY_MAX_UPLOADS"),
            ("--header-timeout-secs", "PARLEY_HEADER_TIMEOUT_SECS"),
            ("--body-idle-secs", "PARLEY_BODY_IDLE_SECS"),
            ("--body-total-secs", "PARLEY_BODY_TOTAL_SECS"),
        ] {
            assert!(err(&[flag, "0"]).starts_with(name), "{flag}");
        }
        let bad = parse(&["--s3-path-style", "perhaps"])
            .err()
            .unwrap()
            .to_string();
        assert!(
            bad.contains("PARLEY_S3_PATH_STYLE") || bad.contains("--s3-path-style"),
            "{bad}"
        );
        let s3 = parse(&[
            "--data-dir",
            d,
            "--storage",
            "s3",
            "--s3-bucket",
            "b",
            "--s3-endpoint",
            "http://127.0.0.1:9000",
            "--s3-access-key-id",
            "AKID",
            "--s3-secret-access-key",
            "s3-secret-value",
            "--s3-path-style",
        ])
        .unwrap();
        assert!(s3.s3_path_style);
        assert!(!format!("{s3:?}").contains("s3-secret-value"));
        let cfg = s3.resolve().unwrap();
        assert!(
            matches!(&cfg.media.storage, StorageConfig::S3(c) if c.path_style && c.bucket == "b")
        );
        assert!(!format!("{cfg:?}").contains("s3-secret-value"));
    }
}
