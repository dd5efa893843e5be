//! Uploads: where files are kept (a local directory or an S3-compatible bucket, with the
//! secret key kept out of `Debug`) and the upload caps, as [`MediaConfig`].

use super::error::ConfigError;
use super::flags::{Settings, StorageKind};
use std::fmt;
use std::path::PathBuf;

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

/// Refuses zero upload caps (every upload would be refused).
pub(super) fn check_counts(s: &Settings) -> Result<(), ConfigError> {
    for (name, v) in [
        ("PARLEY_MAX_UPLOAD_BYTES", s.max_upload_bytes),
        ("PARLEY_UPLOADS_PER_MINUTE", u64::from(s.uploads_per_minute)),
        ("PARLEY_MAX_IMAGE_PIXELS", s.max_image_pixels),
        (
            "PARLEY_MAX_UPLOADS_PER_USER",
            u64::from(s.max_uploads_per_user),
        ),
        ("PARLEY_MAX_UPLOADS", u64::from(s.max_uploads)),
    ] {
        if v == 0 {
            return Err(ConfigError::Zero(name));
        }
    }
    Ok(())
}

/// The upload settings, once [`check_counts`] passed and the data directory exists: creates
/// the local media directory, or checks that S3 has what it needs.
pub(super) fn resolve(s: &Settings) -> Result<MediaConfig, ConfigError> {
    let storage = match s.storage {
        StorageKind::Local => {
            let dir = s
                .media_dir
                .clone()
                .unwrap_or_else(|| s.data_dir.join("media"));
            std::fs::create_dir_all(&dir).map_err(|source| ConfigError::MediaDir {
                path: dir.clone(),
                source,
            })?;
            StorageConfig::Local(dir)
        }
        StorageKind::S3 => {
            let bucket = s
                .s3_bucket
                .clone()
                .filter(|b| !b.trim().is_empty())
                .ok_or(ConfigError::Required("PARLEY_S3_BUCKET"))?;
            if let Some(endpoint) = &s.s3_endpoint {
                let ok = url::Url::parse(endpoint)
                    .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
                if !ok {
                    return Err(ConfigError::S3Endpoint(format!(
                        "{endpoint:?} must be an http:// or https:// URL"
                    )));
                }
            }
            if s.s3_access_key_id.is_some() != s.s3_secret_access_key.is_some() {
                let missing = if s.s3_access_key_id.is_some() {
                    "PARLEY_S3_SECRET_ACCESS_KEY"
                } else {
                    "PARLEY_S3_ACCESS_KEY_ID"
                };
                return Err(ConfigError::Required(missing));
            }
            StorageConfig::S3(S3Config {
                bucket,
                endpoint: s.s3_endpoint.clone(),
                region: s.s3_region.clone(),
                access_key_id: s.s3_access_key_id.clone(),
                secret_access_key: s.s3_secret_access_key.clone(),
                path_style: s.s3_path_style,
            })
        }
    };
    Ok(MediaConfig {
        storage,
        max_upload_bytes: s.max_upload_bytes,
        uploads_per_minute: s.uploads_per_minute,
        max_image_pixels: s.max_image_pixels,
        max_uploads_per_user: s.max_uploads_per_user,
        max_uploads: s.max_uploads,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;
    use std::time::Duration;

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
