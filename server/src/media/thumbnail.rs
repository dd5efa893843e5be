//! Thumbnails of uploaded images, made on the server: EXIF orientation applied (a phone's
//! portrait photo is stored sideways with a tag saying so), at most [`THUMB_SIDE`] pixels on
//! the longer side. Decompression bombs (a few KiB claiming billions of pixels) are refused
//! from the header, before any pixel buffer is allocated.
//!
//! Everything here is CPU-bound and synchronous: callers run it with `spawn_blocking`.

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// Longest side of a thumbnail, in pixels.
pub const THUMB_SIDE: u32 = 320;

/// JPEG quality of thumbnails: small files, no visible blocks at bubble size.
const JPEG_QUALITY: u8 = 80;

/// Why an image could not be thumbnailed.
#[derive(Debug, thiserror::Error)]
pub enum ThumbError {
    /// More pixels than allowed (`PARLEY_MAX_IMAGE_PIXELS`).
    #[error("{width}x{height} pixels is more than {max}")]
    TooManyPixels {
        /// Width the header claims.
        width: u32,
        /// Height the header claims.
        height: u32,
        /// The limit.
        max: u64,
    },
    /// Not a readable image of the sniffed format (corrupt or truncated).
    #[error("unreadable image: {0}")]
    Unreadable(String),
    /// Encoding the thumbnail failed (a server fault).
    #[error("encoding the thumbnail: {0}")]
    Encode(String),
}

/// A made thumbnail and the size of the original.
#[derive(Clone, Debug)]
pub struct Thumbnail {
    /// Width of the original, orientation applied.
    pub width: u32,
    /// Height of the original, orientation applied.
    pub height: u32,
    /// The thumbnail's encoded bytes.
    pub bytes: Vec<u8>,
    /// Its type: `image/jpeg`, or `image/png` when the original has transparency.
    pub mime: &'static str,
    /// Its extension.
    pub ext: &'static str,
    /// Its width.
    pub thumb_width: u32,
    /// Its height.
    pub thumb_height: u32,
}

/// Decoder limits for an image of at most `max_pixels`: no side longer than that many
/// pixels, and no more memory than the decoded picture itself needs (RGBA, 16 bits per
/// channel at worst) plus slack for the decoder's own tables.
fn limits(max_pixels: u64) -> Limits {
    let mut limits = Limits::default();
    let side = u32::try_from(max_pixels).unwrap_or(u32::MAX);
    limits.max_image_width = Some(side);
    limits.max_image_height = Some(side);
    limits.max_alloc = Some(max_pixels.saturating_mul(8).saturating_add(64 << 20));
    limits
}

fn check_pixels(width: u32, height: u32, max_pixels: u64) -> Result<(), ThumbError> {
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(ThumbError::TooManyPixels {
            width,
            height,
            max: max_pixels,
        });
    }
    Ok(())
}

/// Checks the pixel count an image's header claims, from the first bytes of the file only.
/// `Ok` when the header is within limits or not complete in `head` (the full check runs
/// again in [`make`]); `Err` for a header that claims too many pixels.
pub fn check_header(head: &[u8], format: ImageFormat, max_pixels: u64) -> Result<(), ThumbError> {
    let reader = ImageReader::with_format(Cursor::new(head), format);
    match reader.into_dimensions() {
        Ok((width, height)) => check_pixels(width, height, max_pixels),
        // Either the header is longer than `head` or the limits refused it; in both cases
        // the whole file decides.
        Err(image::ImageError::Limits(_)) => Err(ThumbError::TooManyPixels {
            width: 0,
            height: 0,
            max: max_pixels,
        }),
        Err(_) => Ok(()),
    }
}

/// Reads `bytes` as `format`, refuses it above `max_pixels`, applies its EXIF orientation and
/// makes the thumbnail.
pub fn make(bytes: &[u8], format: ImageFormat, max_pixels: u64) -> Result<Thumbnail, ThumbError> {
    let unreadable = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => ThumbError::TooManyPixels {
            width: 0,
            height: 0,
            max: max_pixels,
        },
        other => ThumbError::Unreadable(other.to_string()),
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits(max_pixels));
    // Only the header is read here: the dimensions are known before any pixel is decoded.
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let (width, height) = decoder.dimensions();
    check_pixels(width, height, max_pixels)?;
    // A missing or broken EXIF block is no reason to refuse the picture.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    img.apply_orientation(orientation);
    // Never enlarged: a picture already small enough is its own thumbnail's size.
    let thumb = if img.width() <= THUMB_SIDE && img.height() <= THUMB_SIDE {
        img.clone()
    } else {
        img.thumbnail(THUMB_SIDE, THUMB_SIDE)
    };
    let mut out = Vec::new();
    let (mime, ext) = if thumb.color().has_alpha() {
        thumb
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .map_err(|e| ThumbError::Encode(e.to_string()))?;
        ("image/png", "png")
    } else {
        let rgb = thumb.to_rgb8();
        JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
            .encode_image(&rgb)
            .map_err(|e| ThumbError::Encode(e.to_string()))?;
        ("image/jpeg", "jpg")
    };
    Ok(Thumbnail {
        width: img.width(),
        height: img.height(),
        bytes: out,
        mime,
        ext,
        thumb_width: thumb.width(),
        thumb_height: thumb.height(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = DynamicImage::new_rgb8(width, height);
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn thumbnails_keep_the_aspect_ratio() {
        let t = make(&png(800, 400), ImageFormat::Png, 50_000_000).unwrap();
        assert_eq!((t.width, t.height), (800, 400));
        assert_eq!((t.thumb_width, t.thumb_height), (320, 160));
        assert_eq!(t.mime, "image/jpeg");
        let small = make(&png(40, 20), ImageFormat::Png, 50_000_000).unwrap();
        assert_eq!((small.thumb_width, small.thumb_height), (40, 20));
        let decoded = image::load_from_memory(&t.bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (320, 160));
    }

    #[test]
    fn too_many_pixels_are_refused_from_the_header() {
        let bytes = png(100, 100);
        assert!(matches!(
            check_header(&bytes, ImageFormat::Png, 9_999),
            Err(ThumbError::TooManyPixels { width: 100, .. })
        ));
        assert!(check_header(&bytes, ImageFormat::Png, 10_000).is_ok());
        // A head that stops inside the header decides nothing; the whole file will.
        assert!(check_header(&bytes[..20], ImageFormat::Png, 9_999).is_ok());
        assert!(matches!(
            make(&bytes, ImageFormat::Png, 9_999),
            Err(ThumbError::TooManyPixels { .. })
        ));
        assert!(matches!(
            make(b"\x89PNG\r\n\x1a\nbroken", ImageFormat::Png, 10_000),
            Err(ThumbError::Unreadable(_))
        ));
    }
}
