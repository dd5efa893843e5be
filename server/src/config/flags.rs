//! The command line and the environment: every flag with its environment variable and its
//! documented default (see the README's configuration reference), as clap reads them.
//! Nothing is checked here beyond the types; [`Settings::resolve`] does the rest.

use super::redact::redact_url;
use clap::{Parser, ValueEnum};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

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

    /// How often, in seconds, a session's "last used" time is written at most; an open
    /// socket writes it this often, so Settings shows a connected device as just used.
    #[arg(long, env = "PARLEY_SESSION_TOUCH_SECS", value_name = "PARLEY_SESSION_TOUCH_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub session_touch_secs: u64,

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

    /// Let the seed client's `/contact/addfriend` make a friendship at once, without the
    /// other person's consent (the seed's own behaviour). Off: it sends a friend request.
    #[arg(
        long,
        env = "PARLEY_FRIENDS_WITHOUT_CONSENT",
        value_name = "PARLEY_FRIENDS_WITHOUT_CONSENT",
        value_parser = clap::builder::BoolishValueParser::new(),
        num_args = 0..=1,
        default_value = "false",
        default_missing_value = "true"
    )]
    pub friends_without_consent: bool,

    /// Days an unanswered friend request waits before it lapses.
    #[arg(
        long,
        env = "PARLEY_FRIEND_REQUEST_DAYS",
        value_name = "PARLEY_FRIEND_REQUEST_DAYS",
        default_value_t = 7
    )]
    pub friend_request_days: u32,

    /// Friend requests, blocks and reports one user may make per hour (ten times as many
    /// per client address).
    #[arg(
        long,
        env = "PARLEY_FRIEND_REQUESTS_PER_HOUR",
        value_name = "PARLEY_FRIEND_REQUESTS_PER_HOUR",
        default_value_t = 30
    )]
    pub friend_requests_per_hour: u32,

    /// Usernames of the site's admins, comma-separated (they read `/api/admin/reports`).
    #[arg(
        long,
        env = "PARLEY_ADMINS",
        value_name = "PARLEY_ADMINS",
        default_value = ""
    )]
    pub admins: String,

    /// How long after sending a person may edit their text message, in seconds; 0 turns
    /// editing off.
    #[arg(
        long,
        env = "PARLEY_EDIT_WINDOW_SECS",
        value_name = "PARLEY_EDIT_WINDOW_SECS",
        default_value_t = 86_400
    )]
    pub edit_window_secs: u64,

    /// How long after sending a person may recall (delete for everyone) their message, in
    /// seconds; 0 turns recalling one's own messages off (a group's owner still may).
    #[arg(
        long,
        env = "PARLEY_RECALL_WINDOW_SECS",
        value_name = "PARLEY_RECALL_WINDOW_SECS",
        default_value_t = 120
    )]
    pub recall_window_secs: u64,

    /// Most message actions (edits, recalls, reactions, pins, hides) one user may make per
    /// minute on this node.
    #[arg(
        long,
        env = "PARLEY_ACTIONS_PER_MINUTE",
        value_name = "PARLEY_ACTIONS_PER_MINUTE",
        default_value_t = 120
    )]
    pub actions_per_minute: u32,

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
            .field("session_touch_secs", &self.session_touch_secs)
            .field("login_max_failures", &self.login_max_failures)
            .field(
                "login_max_failures_per_addr",
                &self.login_max_failures_per_addr,
            )
            .field("login_window_secs", &self.login_window_secs)
            .field("max_owned_groups", &self.max_owned_groups)
            .field("max_group_members", &self.max_group_members)
            .field("friends_without_consent", &self.friends_without_consent)
            .field("friend_request_days", &self.friend_request_days)
            .field("friend_requests_per_hour", &self.friend_requests_per_hour)
            .field("admins", &self.admins)
            .field("edit_window_secs", &self.edit_window_secs)
            .field("recall_window_secs", &self.recall_window_secs)
            .field("actions_per_minute", &self.actions_per_minute)
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

#[cfg(test)]
mod tests {
    use crate::config::parse;

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
}
