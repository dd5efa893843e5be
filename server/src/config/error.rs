//! The one error of the settings layer: a value that parsed but does not make sense. Every
//! variant's message starts with the name of the setting, so start-up says what to fix.

use std::path::PathBuf;

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
