//! Uploaded files (docs/api.md, "Media"): where they are kept, how an upload is
//! received, and who may fetch one.
//!
//! - [`Storage`]: the one storage interface, over a local directory (default) or
//!   S3-compatible object storage, both through the `object_store` crate (its S3 client
//!   signs requests; nothing here does).
//! - [`Media`]: the service. An upload is streamed: the first [`sniff::SNIFF_LEN`] bytes
//!   decide its type ([`sniff`]) before anything is stored, then the rest goes to storage
//!   part by part while its size is counted and its SHA-256 computed, so memory stays
//!   bounded by the part size whatever the file's size. Past the cap, or refused for any
//!   reason, the partial object is aborted and nothing is recorded. Images also get a
//!   thumbnail ([`thumbnail`], off the async runtime).
//! - Access: the uploader, or a participant of a conversation holding a message that points
//!   at the file (see `store::media`).

pub mod gate;
pub mod sniff;
pub mod thumbnail;

use crate::config::{MediaConfig, StorageConfig};
use crate::error::AppError;
use crate::store::media::{Access, MediaRow};
use crate::store::{Store, StoreError};
use app::error::{ApiError, ErrorCode};
use app::ids::UserId;
use app::protocol::upload::{media_key, UploadResponse, MEDIA_PREFIX};
use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, ObjectStore, ObjectStoreExt, WriteMultipart};
use sha2::{Digest, Sha256};
use sniff::Kind;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;
use thumbnail::ThumbError;

/// Why an upload or a download could not be served.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The multipart body has no `file` field.
    #[error("no `file` field")]
    NoFile,
    /// The request body could not be read as multipart.
    #[error("unreadable body: {0}")]
    Body(String),
    /// The file is larger than `PARLEY_MAX_UPLOAD_BYTES`.
    #[error("larger than {max} bytes")]
    TooLarge {
        /// The cap.
        max: u64,
    },
    /// Its content is not on the allow-list.
    #[error("not an accepted type of file")]
    Unsupported,
    /// An image that cannot be thumbnailed: too many pixels, or unreadable.
    #[error(transparent)]
    Image(#[from] ThumbError),
    /// The uploader sent too many files too fast; retry after the given time.
    #[error("upload rate exceeded, retry in {0:?}")]
    Throttled(Duration),
    /// The uploader already has this many uploads in progress.
    #[error("{0} uploads already in progress")]
    UserBusy(u32),
    /// This node already receives as many uploads as it allows.
    #[error("the server's uploads are all in use")]
    NodeBusy,
    /// No file has this key.
    #[error("no such file")]
    NotFound,
    /// The file exists; the caller may not see it.
    #[error("not allowed")]
    Forbidden,
    /// The storage back end failed.
    #[error("storage: {0}")]
    Storage(#[from] object_store::Error),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The thumbnail task died (a panic in a decoder).
    #[error("thumbnail task: {0}")]
    Task(String),
}

/// A byte count as people read it: `25 MiB`, `512 KiB`, `1000 bytes`.
fn human_bytes(n: u64) -> String {
    const MIB: u64 = 1 << 20;
    const KIB: u64 = 1 << 10;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

impl From<MediaError> for AppError {
    fn from(e: MediaError) -> AppError {
        let rejected = |code, msg: String| AppError::Rejected(ApiError::with_msg(code, msg));
        match e {
            MediaError::NoFile => rejected(
                ErrorCode::InvalidBody,
                "Send the file as the multipart field `file`.".into(),
            ),
            MediaError::Body(msg) => rejected(ErrorCode::InvalidBody, msg),
            MediaError::TooLarge { max } => rejected(
                ErrorCode::FileTooLarge,
                format!("That file is too large ({} at most).", human_bytes(max)),
            ),
            MediaError::Unsupported => AppError::code(ErrorCode::UnsupportedMedia),
            MediaError::Image(ThumbError::TooManyPixels { max, .. }) => rejected(
                ErrorCode::ImageTooLarge,
                format!(
                    "That image has too many pixels ({} megapixels at most).",
                    max / 1_000_000
                ),
            ),
            MediaError::Image(ThumbError::Unreadable(_)) => rejected(
                ErrorCode::UnsupportedMedia,
                "That file could not be read as an image.".into(),
            ),
            MediaError::Throttled(wait) => AppError::Throttled(ErrorCode::TooManyUploads, wait),
            MediaError::UserBusy(n) => rejected(
                ErrorCode::TooManyUploads,
                format!(
                    "You are already sending {n} files. Please wait for one to finish and \
                     try again."
                ),
            ),
            MediaError::NodeBusy => rejected(
                ErrorCode::TooManyUploads,
                "The server is receiving many files right now. Please try again in a moment."
                    .into(),
            ),
            MediaError::NotFound => AppError::code(ErrorCode::NotFound),
            MediaError::Forbidden => AppError::code(ErrorCode::Forbidden),
            MediaError::Store(e) => AppError::from(e),
            other @ (MediaError::Image(ThumbError::Encode(_) | ThumbError::Task(_))
            | MediaError::Storage(_)
            | MediaError::Task(_)) => AppError::Internal(other.to_string()),
        }
    }
}

/// Part size for S3 multipart uploads: S3's minimum for every part but the last.
const S3_PART: usize = 5 << 20;
/// Part size for the local directory: small, since a part is only a write at an offset.
const LOCAL_PART: usize = 256 << 10;

/// The one storage interface: a local directory or an S3-compatible bucket. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Storage {
    objects: Arc<dyn ObjectStore>,
    /// How much of an upload is buffered before it is written as one part.
    part_size: usize,
}

fn object_path(key: &str) -> ObjectPath {
    ObjectPath::from(key)
}

impl Storage {
    /// Opens the configured back end (the local directory must exist; the config creates it).
    pub fn open(config: &StorageConfig) -> Result<Storage, MediaError> {
        match config {
            StorageConfig::Local(dir) => Ok(Storage {
                objects: Arc::new(LocalFileSystem::new_with_prefix(dir)?),
                part_size: LOCAL_PART,
            }),
            StorageConfig::S3(s3) => {
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_virtual_hosted_style_request(!s3.path_style);
                if let Some(endpoint) = &s3.endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"));
                }
                if let Some(id) = &s3.access_key_id {
                    builder = builder.with_access_key_id(id);
                }
                if let Some(secret) = &s3.secret_access_key {
                    builder = builder.with_secret_access_key(secret);
                }
                Ok(Storage {
                    objects: Arc::new(builder.build()?),
                    part_size: S3_PART,
                })
            }
        }
    }

    /// Starts writing `key` part by part.
    async fn writer(&self, key: &str) -> Result<WriteMultipart, MediaError> {
        let upload = self.objects.put_multipart(&object_path(key)).await?;
        Ok(WriteMultipart::new_with_chunk_size(upload, self.part_size))
    }

    /// Stores a small object (a thumbnail) in one request.
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), MediaError> {
        self.objects
            .put(&object_path(key), Bytes::from(bytes).into())
            .await?;
        Ok(())
    }

    /// Deletes the files of uploads whose rows are gone (a recalled message was the last to
    /// point at them); failures are logged, as nothing names those files any more.
    pub async fn delete(&self, keys: &[String]) {
        for key in keys {
            if let Err(e) = self.objects.delete(&object_path(key)).await {
                tracing::warn!(key, error = %e, "could not delete an unreferenced upload");
            }
        }
    }

    /// Deletes objects, logging (not returning) failures: used to clean up after a refusal,
    /// where the refusal is the answer.
    async fn discard(&self, keys: &[&str]) {
        for key in keys {
            if let Err(e) = self.objects.delete(&object_path(key)).await {
                tracing::warn!(key, error = %e, "could not delete a refused upload");
            }
        }
    }

    /// Streams the object `key`, or the byte `range` of it.
    pub async fn read(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> Result<BoxStream<'static, Result<Bytes, object_store::Error>>, MediaError> {
        let opts = GetOptions::new().with_range(range);
        Ok(self
            .objects
            .get_opts(&object_path(key), opts)
            .await?
            .into_stream())
    }
}

/// An upload being written: aborted unless finished, also when the request is dropped
/// midway (the client went away), so no partial object or multipart upload is left.
struct Pending(Option<WriteMultipart>);

impl Pending {
    fn writer(&mut self) -> Result<&mut WriteMultipart, MediaError> {
        self.0
            .as_mut()
            .ok_or_else(|| MediaError::Task("upload already closed".into()))
    }

    async fn abort(mut self) {
        if let Some(w) = self.0.take() {
            if let Err(e) = w.abort().await {
                tracing::warn!(error = %e, "could not abort a refused upload");
            }
        }
    }

    async fn finish(mut self) -> Result<(), MediaError> {
        match self.0.take() {
            Some(w) => {
                w.finish().await?;
                Ok(())
            }
            None => Err(MediaError::Task("upload already closed".into())),
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(w) = self.0.take() {
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    let _ = w.abort().await;
                });
            }
        }
    }
}

/// What streaming an upload to storage found.
struct Received {
    size: u64,
    sha256: String,
    /// The whole file, kept only for images (to thumbnail; bounded by the cap).
    image: Option<Vec<u8>>,
}

/// A fresh storage key: 128 random bits in hex and the sniffed type's extension. Never
/// derived from anything the client sent.
fn new_key(ext: &str) -> String {
    format!("{:032x}.{ext}", rand::random::<u128>())
}

/// The media service.
#[derive(Clone)]
pub struct Media {
    storage: Storage,
    store: Store,
    max_bytes: u64,
    max_pixels: u64,
    gate: gate::UploadGate,
    /// Where thumbnails are decoded, a bounded number and memory at a time.
    decodes: thumbnail::DecodePool,
}

impl Media {
    /// Builds the service over opened storage.
    pub fn new(storage: Storage, store: Store, config: &MediaConfig) -> Media {
        Media {
            storage,
            store,
            max_bytes: config.max_upload_bytes,
            max_pixels: config.max_image_pixels,
            gate: gate::UploadGate::new(
                config.max_uploads_per_user,
                config.max_uploads,
                config.uploads_per_minute,
                Duration::from_secs(60),
            ),
            decodes: thumbnail::DecodePool::new(config.max_image_pixels),
        }
    }

    /// The storage back end.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Receives a file for `owner` from `body` (the bytes of the multipart field), stores it
    /// under a fresh random key and records it. Refused, nothing is left behind: not on the
    /// allow-list (decided from the first bytes, before anything is stored), over the size
    /// cap (counted exactly while streaming), an image with too many pixels or unreadable.
    /// At most `PARLEY_MAX_UPLOADS_PER_USER` run at once per user and `PARLEY_MAX_UPLOADS`
    /// per node; only stored files count toward `PARLEY_UPLOADS_PER_MINUTE` ([`gate`]).
    pub async fn upload<S>(
        &self,
        owner: UserId,
        body: S,
        now_ms: i64,
    ) -> Result<UploadResponse, MediaError>
    where
        S: Stream<Item = Result<Bytes, MediaError>> + Send,
    {
        let ticket = self.gate.enter(owner).map_err(|r| match r {
            gate::Refusal::UserBusy(n) => MediaError::UserBusy(n),
            gate::Refusal::NodeBusy => MediaError::NodeBusy,
            gate::Refusal::Throttled(wait) => MediaError::Throttled(wait),
        })?;
        let mut body = std::pin::pin!(body);
        let mut head = Vec::new();
        while head.len() < sniff::SNIFF_LEN {
            match body.next().await {
                Some(chunk) => head.extend_from_slice(&chunk?),
                None => break,
            }
            if head.len() as u64 > self.max_bytes {
                return Err(MediaError::TooLarge {
                    max: self.max_bytes,
                });
            }
        }
        let sniffed = sniff::sniff(&head).ok_or(MediaError::Unsupported)?;
        if let Kind::Image(format) = sniffed.kind {
            // A bomb's header is in its first bytes: refuse it before storing anything.
            thumbnail::check_header(&head, format, self.max_pixels)?;
        }
        let key = new_key(sniffed.ext);
        let mut pending = Pending(Some(self.storage.writer(&key).await?));
        let keep = matches!(sniffed.kind, Kind::Image(_));
        let received = match self.receive(&mut pending, head, body, keep).await {
            Ok(r) => r,
            Err(e) => {
                pending.abort().await;
                return Err(e);
            }
        };
        pending.finish().await?;

        let mut rows = vec![MediaRow {
            key: key.clone(),
            owner,
            mime: sniffed.mime.to_owned(),
            size: received.size,
            sha256: received.sha256.clone(),
            width: 0,
            height: 0,
            created_at: now_ms,
        }];
        let mut answer = UploadResponse {
            url: format!("{MEDIA_PREFIX}{key}"),
            mime: sniffed.mime.to_owned(),
            size: received.size,
            sha256: received.sha256,
            ..UploadResponse::default()
        };
        if let (Kind::Image(format), Some(bytes)) = (sniffed.kind, received.image) {
            match self.thumbnail(owner, bytes, format, now_ms).await {
                Ok(thumb) => {
                    rows[0].width = thumb.width;
                    rows[0].height = thumb.height;
                    answer.width = Some(thumb.width);
                    answer.height = Some(thumb.height);
                    answer.pic = Some(format!("{MEDIA_PREFIX}{}", thumb.row.key));
                    rows.push(thumb.row);
                }
                Err(e) => {
                    self.storage.discard(&[&key]).await;
                    return Err(e);
                }
            }
        }
        if let Err(e) = self.store.add_media(&rows).await {
            let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
            self.storage.discard(&keys).await;
            return Err(e.into());
        }
        ticket.stored();
        Ok(answer)
    }

    /// Streams `head` and then the rest of `body` into the pending upload, counting and
    /// hashing; at most one part is in flight while the next is buffered, so memory stays
    /// about two parts whatever the file's size.
    async fn receive<S>(
        &self,
        pending: &mut Pending,
        head: Vec<u8>,
        mut body: std::pin::Pin<&mut S>,
        keep: bool,
    ) -> Result<Received, MediaError>
    where
        S: Stream<Item = Result<Bytes, MediaError>> + Send,
    {
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut image = keep.then(Vec::new);
        let mut next = Some(Bytes::from(head));
        loop {
            let chunk = match next.take() {
                Some(c) => c,
                None => match body.next().await {
                    Some(c) => c?,
                    None => break,
                },
            };
            size += chunk.len() as u64;
            if size > self.max_bytes {
                return Err(MediaError::TooLarge {
                    max: self.max_bytes,
                });
            }
            hasher.update(&chunk);
            if let Some(img) = image.as_mut() {
                img.extend_from_slice(&chunk);
            }
            let writer = pending.writer()?;
            writer.wait_for_capacity(1).await?;
            writer.put(chunk);
        }
        Ok(Received {
            size,
            sha256: format!("{:x}", hasher.finalize()),
            image,
        })
    }

    /// Makes (on the decode pool, off the async runtime) and stores the thumbnail of an
    /// image, owned by the image's uploader; returns its row and the original's size,
    /// orientation applied.
    async fn thumbnail(
        &self,
        owner: UserId,
        bytes: Vec<u8>,
        format: image::ImageFormat,
        now_ms: i64,
    ) -> Result<Thumb, MediaError> {
        let made = self.decodes.thumbnail(bytes, format).await?;
        let key = new_key(made.ext);
        let sha256 = format!("{:x}", Sha256::digest(&made.bytes));
        let size = made.bytes.len() as u64;
        self.storage.put(&key, made.bytes).await?;
        Ok(Thumb {
            row: MediaRow {
                key,
                owner,
                mime: made.mime.to_owned(),
                size,
                sha256,
                width: made.thumb_width,
                height: made.thumb_height,
                created_at: now_ms,
            },
            width: made.width,
            height: made.height,
        })
    }

    /// The file `key` if `viewer` may fetch it: 404 `NotFound` when no file has that key,
    /// `Forbidden` when it exists but `viewer` is neither its uploader nor a participant of
    /// a conversation holding a message that points at it.
    pub async fn open(&self, viewer: UserId, key: &str) -> Result<MediaRow, MediaError> {
        if media_key(&format!("{MEDIA_PREFIX}{key}")) != Some(key) {
            return Err(MediaError::NotFound);
        }
        match self.store.media_access(key, viewer).await? {
            Access::Missing => Err(MediaError::NotFound),
            Access::Denied => Err(MediaError::Forbidden),
            Access::Allowed(row) => Ok(row),
        }
    }
}

/// A stored thumbnail: its row, and the original's size (orientation applied).
struct Thumb {
    row: MediaRow,
    width: u32,
    height: u32,
}
