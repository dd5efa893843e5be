//! Thumbnails of uploaded images, made on the server: EXIF orientation applied (a phone's
//! portrait photo is stored sideways with a tag saying so), at most [`THUMB_SIDE`] pixels on
//! the longer side.
//!
//! Decompression bombs cost little whatever they claim:
//! - a header claiming more than `PARLEY_MAX_IMAGE_PIXELS` is refused before any pixel is
//!   decoded (from the upload's first bytes, and again from the whole file);
//! - a PNG is read row by row at 8 bits per channel and shrunk as it is read, so a 16-bit
//!   7000x7000 picture of zeros (392 MB at full depth, 372 KiB uploaded) needs a few MiB;
//!   its ICC profile and text chunks are never inflated (a 1x1 PNG may carry an iCCP chunk
//!   inflating to 440 MB); only a rare interlaced PNG is decoded whole, at 8 bits;
//! - JPEG, GIF and WebP decode whole at 8 bits (at most 4 bytes a pixel), and
//!   [`DecodePool`] lets a node hold at most one largest picture's worth of decoded pixels at
//!   once (`PARLEY_MAX_IMAGE_PIXELS` x 4 bytes), on at most one decode a core.
//!
//! Decoding is CPU-bound and synchronous: [`DecodePool::thumbnail`] runs it with
//! `spawn_blocking`.

use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageBuffer, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Longest side of a thumbnail, in pixels.
pub const THUMB_SIDE: u32 = 320;

/// JPEG quality of thumbnails: small files, no visible blocks at bubble size.
const JPEG_QUALITY: u8 = 80;

/// A streamed PNG is first shrunk by a whole factor to at most this many pixels a side
/// (averaging each block), then resized to the thumbnail: the accumulator stays small
/// (640 x 640 x 4 channels) whatever the picture's size.
const SHRINK_SIDE: u32 = 2 * THUMB_SIDE;

/// Memory a decode may use besides its pixels: the decoders' tables and buffers, a PNG's
/// EXIF chunk, the thumbnail's encoding.
const DECODE_SLACK: u64 = 8 << 20;

/// Bytes a decoded pixel may take: 8-bit RGBA, the widest this module decodes to.
const BYTES_PER_PIXEL: u64 = 4;

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
    /// The decode task died (a panic in a decoder) or the pool was closed (a server fault).
    #[error("thumbnail task: {0}")]
    Task(String),
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

/// Most decoded bytes one picture within `max_pixels` may need.
fn pixel_budget(max_pixels: u64) -> u64 {
    max_pixels.saturating_mul(BYTES_PER_PIXEL)
}

/// Decoder limits of the `image` crate (JPEG, GIF, WebP) for an image of at most
/// `max_pixels`: no side longer than that many pixels, and no more memory than the decoded
/// picture itself at 8-bit RGBA plus slack.
fn limits(max_pixels: u64) -> Limits {
    let mut limits = Limits::default();
    let side = u32::try_from(max_pixels).unwrap_or(u32::MAX);
    limits.max_image_width = Some(side);
    limits.max_image_height = Some(side);
    limits.max_alloc = Some(pixel_budget(max_pixels).saturating_add(DECODE_SLACK));
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

fn too_many(max_pixels: u64) -> ThumbError {
    ThumbError::TooManyPixels {
        width: 0,
        height: 0,
        max: max_pixels,
    }
}

/// Maps the `image` crate's errors: its limits are the pixel limit.
fn image_error(max_pixels: u64) -> impl Fn(image::ImageError) -> ThumbError {
    move |e| match e {
        image::ImageError::Limits(_) => too_many(max_pixels),
        other => ThumbError::Unreadable(other.to_string()),
    }
}

fn png_error(e: png::DecodingError) -> ThumbError {
    ThumbError::Unreadable(e.to_string())
}

/// A PNG decoder that never inflates the ICC profile or text chunks (nothing here uses
/// them; an iCCP chunk of a few hundred KiB may inflate to hundreds of MB) and gives rows
/// at 8 bits per channel, palettes expanded. `chunk_bytes` bounds what the png crate
/// allocates besides the pixels (the EXIF chunk, the line buffer).
fn png_decoder(bytes: &[u8], chunk_bytes: usize) -> png::Decoder<Cursor<&[u8]>> {
    let mut decoder =
        png::Decoder::new_with_limits(Cursor::new(bytes), png::Limits { bytes: chunk_bytes });
    decoder.set_ignore_iccp_chunk(true);
    decoder.set_ignore_text_chunk(true);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    decoder
}

/// A PNG's width and height, from its header chunk alone.
fn png_size(bytes: &[u8]) -> Result<(u32, u32), png::DecodingError> {
    let mut decoder = png_decoder(bytes, 1 << 20);
    let info = decoder.read_header_info()?;
    Ok((info.width, info.height))
}

/// Checks the pixel count an image's header claims, from the first bytes of the file only.
/// `Ok` when the header is within limits or not complete in `head` (the full check runs
/// again in [`make`]); `Err` for a header that claims too many pixels.
pub fn check_header(head: &[u8], format: ImageFormat, max_pixels: u64) -> Result<(), ThumbError> {
    if format == ImageFormat::Png {
        return match png_size(head) {
            Ok((width, height)) => check_pixels(width, height, max_pixels),
            Err(_) => Ok(()),
        };
    }
    let mut reader = ImageReader::with_format(Cursor::new(head), format);
    reader.limits(limits(max_pixels));
    match reader.into_dimensions() {
        Ok((width, height)) => check_pixels(width, height, max_pixels),
        // Either the header is longer than `head` or the limits refused it; in both cases
        // the whole file decides.
        Err(image::ImageError::Limits(_)) => Err(too_many(max_pixels)),
        Err(_) => Ok(()),
    }
}

/// The bytes decoding `bytes` will hold at its peak, from its header: what
/// [`DecodePool`] reserves before the decode starts. Refuses too many pixels.
pub fn decode_cost(bytes: &[u8], format: ImageFormat, max_pixels: u64) -> Result<u64, ThumbError> {
    if format == ImageFormat::Png {
        let (width, height) = png_size(bytes).map_err(png_error)?;
        check_pixels(width, height, max_pixels)?;
        let mut decoder = png_decoder(bytes, 1 << 20);
        let info = decoder.read_header_info().map_err(png_error)?;
        let line = u64::from(width) * 8;
        let whole = if info.interlaced {
            u64::from(width) * u64::from(height) * BYTES_PER_PIXEL
        } else {
            0
        };
        let shrunk = u64::from(SHRINK_SIDE).pow(2) * BYTES_PER_PIXEL * 8;
        return Ok(4 * line + whole + shrunk + DECODE_SLACK);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits(max_pixels));
    let decoder = reader.into_decoder().map_err(image_error(max_pixels))?;
    let (width, height) = decoder.dimensions();
    check_pixels(width, height, max_pixels)?;
    Ok(decoder.total_bytes() + DECODE_SLACK)
}

/// Reads `bytes` as `format`, refuses it above `max_pixels`, and makes the thumbnail with its
/// EXIF orientation applied.
pub fn make(bytes: &[u8], format: ImageFormat, max_pixels: u64) -> Result<Thumbnail, ThumbError> {
    let (shrunk, width, height, orientation) = if format == ImageFormat::Png {
        shrink_png(bytes, max_pixels)?
    } else {
        decode_whole(bytes, format, max_pixels)?
    };
    // Never enlarged: a picture already small enough is its own thumbnail's size.
    let mut thumb = if shrunk.width() <= THUMB_SIDE && shrunk.height() <= THUMB_SIDE {
        shrunk
    } else {
        shrunk.thumbnail(THUMB_SIDE, THUMB_SIDE)
    };
    // Turning the thumbnail is the same as turning the picture, for a fraction of the memory.
    thumb.apply_orientation(orientation);
    let turned = matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    );
    let (width, height) = if turned {
        (height, width)
    } else {
        (width, height)
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
        width,
        height,
        bytes: out,
        mime,
        ext,
        thumb_width: thumb.width(),
        thumb_height: thumb.height(),
    })
}

/// A picture as decoded for its thumbnail, its width and height as stored, and its
/// orientation.
type Decoded = (DynamicImage, u32, u32, Orientation);

/// Decodes a JPEG, GIF or WebP whole (8 bits per channel, within [`limits`]).
fn decode_whole(bytes: &[u8], format: ImageFormat, max_pixels: u64) -> Result<Decoded, ThumbError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits(max_pixels));
    // Only the header is read here: the dimensions are known before any pixel is decoded.
    let mut decoder = reader.into_decoder().map_err(image_error(max_pixels))?;
    let (width, height) = decoder.dimensions();
    check_pixels(width, height, max_pixels)?;
    if decoder.total_bytes() > pixel_budget(max_pixels) {
        return Err(too_many(max_pixels));
    }
    // A missing or broken EXIF block is no reason to refuse the picture.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let img = DynamicImage::from_decoder(decoder).map_err(image_error(max_pixels))?;
    let (width, height) = (img.width(), img.height());
    Ok((img, width, height, orientation))
}

/// Reads a PNG row by row, summing each `factor` x `factor` block of pixels into one pixel
/// of a picture at most [`SHRINK_SIDE`] a side.
fn shrink_png(bytes: &[u8], max_pixels: u64) -> Result<Decoded, ThumbError> {
    let (width, height) = png_size(bytes).map_err(png_error)?;
    check_pixels(width, height, max_pixels)?;
    // Room for the line buffer at 16 bits RGBA, and an EXIF chunk.
    let line = usize::try_from(u64::from(width) * 8).unwrap_or(usize::MAX);
    let chunk_bytes = line.saturating_mul(2).saturating_add(4 << 20);
    let mut reader = png_decoder(bytes, chunk_bytes)
        .read_info()
        .map_err(png_error)?;
    let orientation = reader
        .info()
        .exif_metadata
        .as_deref()
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    let channels: usize = match reader.output_color_type().0 {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => {
            return Err(ThumbError::Unreadable("palette not expanded".into()))
        }
    };
    let mut shrink = Shrink::new(width, height, channels);
    if reader.info().interlaced {
        // Adam7 rows come pass by pass; the png crate puts them in place in a whole frame.
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| too_many(max_pixels))?;
        let mut frame = vec![0u8; size];
        let out = reader.next_frame(&mut frame).map_err(png_error)?;
        for (y, row) in frame.chunks_exact(out.line_size).enumerate() {
            shrink.add_row(y, row);
        }
    } else {
        let mut y = 0;
        while let Some(row) = reader.next_row().map_err(png_error)? {
            shrink.add_row(y, row.data());
            y += 1;
        }
    }
    Ok((shrink.finish()?, width, height, orientation))
}

/// Sums of `factor` x `factor` blocks of a picture, then their averages.
struct Shrink {
    width: usize,
    height: usize,
    channels: usize,
    factor: usize,
    out_width: usize,
    out_height: usize,
    sums: Vec<u64>,
}

impl Shrink {
    fn new(width: u32, height: u32, channels: usize) -> Shrink {
        let (width, height) = (width as usize, height as usize);
        let side = width.max(height);
        let factor = side.div_ceil(SHRINK_SIDE as usize).max(1);
        let out_width = width.div_ceil(factor);
        let out_height = height.div_ceil(factor);
        Shrink {
            width,
            height,
            channels,
            factor,
            out_width,
            out_height,
            sums: vec![0; out_width * out_height * channels],
        }
    }

    fn add_row(&mut self, y: usize, row: &[u8]) {
        if y >= self.height {
            return;
        }
        let start = (y / self.factor) * self.out_width * self.channels;
        let sums = &mut self.sums[start..start + self.out_width * self.channels];
        let block = self.factor * self.channels;
        let row = &row[..row.len().min(self.width * self.channels)];
        for (out, pixels) in sums.chunks_exact_mut(self.channels).zip(row.chunks(block)) {
            for pixel in pixels.chunks_exact(self.channels) {
                for (sum, &v) in out.iter_mut().zip(pixel) {
                    *sum += u64::from(v);
                }
            }
        }
    }

    /// The averages, as an image of the right color type.
    fn finish(self) -> Result<DynamicImage, ThumbError> {
        let mut pixels = Vec::with_capacity(self.sums.len());
        for (i, sum) in self.sums.iter().enumerate() {
            let bin = i / self.channels;
            let (bx, by) = (bin % self.out_width, bin / self.out_width);
            let w = self.factor.min(self.width - bx * self.factor);
            let h = self.factor.min(self.height - by * self.factor);
            let avg = sum / (w * h) as u64;
            pixels.push(u8::try_from(avg).unwrap_or(u8::MAX));
        }
        let (w, h) = (self.out_width as u32, self.out_height as u32);
        let bad = || ThumbError::Unreadable("inconsistent picture size".into());
        Ok(match self.channels {
            1 => DynamicImage::ImageLuma8(ImageBuffer::from_raw(w, h, pixels).ok_or_else(bad)?),
            2 => DynamicImage::ImageLumaA8(ImageBuffer::from_raw(w, h, pixels).ok_or_else(bad)?),
            3 => DynamicImage::ImageRgb8(ImageBuffer::from_raw(w, h, pixels).ok_or_else(bad)?),
            _ => DynamicImage::ImageRgba8(ImageBuffer::from_raw(w, h, pixels).ok_or_else(bad)?),
        })
    }
}

/// The node's thumbnail decodes: at most one a core at once, and together at most
/// `PARLEY_MAX_IMAGE_PIXELS` x 4 bytes of decoded pixels (one largest picture), each waiting
/// for its share (from [`decode_cost`]) before it starts. A burst of uploads waits its turn
/// instead of multiplying the memory; small pictures still decode side by side. Cheap to
/// clone.
#[derive(Clone)]
pub struct DecodePool {
    threads: Arc<Semaphore>,
    /// Decoded bytes, in KiB (a permit per KiB keeps the count within `u32`).
    memory: Arc<Semaphore>,
    capacity_kib: u32,
    max_pixels: u64,
}

impl DecodePool {
    /// A pool for pictures of at most `max_pixels`.
    pub fn new(max_pixels: u64) -> DecodePool {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let capacity = pixel_budget(max_pixels).saturating_add(DECODE_SLACK) / 1024;
        let capacity_kib = u32::try_from(capacity.min(Semaphore::MAX_PERMITS as u64))
            .unwrap_or(u32::MAX)
            .max(1);
        DecodePool {
            threads: Arc::new(Semaphore::new(cores)),
            memory: Arc::new(Semaphore::new(capacity_kib as usize)),
            capacity_kib,
            max_pixels,
        }
    }

    /// Makes the thumbnail of `bytes` ([`make`]) off the async runtime, once the pool has
    /// room for it.
    pub async fn thumbnail(
        &self,
        bytes: Vec<u8>,
        format: ImageFormat,
    ) -> Result<Thumbnail, ThumbError> {
        let max_pixels = self.max_pixels;
        // The header only: cheap enough for the async thread.
        let cost = decode_cost(&bytes, format, max_pixels)?;
        let kib = u32::try_from(cost.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .min(self.capacity_kib);
        let closed = |e: tokio::sync::AcquireError| ThumbError::Task(e.to_string());
        let memory = self
            .memory
            .clone()
            .acquire_many_owned(kib)
            .await
            .map_err(closed)?;
        let thread = self.threads.clone().acquire_owned().await.map_err(closed)?;
        tokio::task::spawn_blocking(move || {
            let made = make(&bytes, format, max_pixels);
            // The decoded pixels are freed by now: let the next decode in.
            drop((thread, memory));
            made
        })
        .await
        .map_err(|e| ThumbError::Task(e.to_string()))?
    }
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

    /// A PNG is shrunk while read: the average of each block survives, transparency and
    /// 16-bit depth included, and the decode is costed at a few MiB whatever its size.
    #[test]
    fn pngs_are_shrunk_while_read() {
        let mut img = image::RgbaImage::new(1000, 500);
        for (x, _, p) in img.enumerate_pixels_mut() {
            *p = if x < 500 {
                image::Rgba([255, 0, 0, 255])
            } else {
                image::Rgba([0, 0, 255, 128])
            };
        }
        let deep = DynamicImage::ImageRgba16(DynamicImage::ImageRgba8(img).to_rgba16());
        let mut bytes = Vec::new();
        deep.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .unwrap();
        let t = make(&bytes, ImageFormat::Png, 50_000_000).unwrap();
        assert_eq!((t.width, t.height), (1000, 500));
        assert_eq!((t.thumb_width, t.thumb_height), (320, 160));
        assert_eq!(t.mime, "image/png");
        let thumb = image::load_from_memory(&t.bytes).unwrap().to_rgba8();
        assert_eq!(thumb.get_pixel(10, 80).0, [255, 0, 0, 255]);
        assert_eq!(thumb.get_pixel(310, 80).0, [0, 0, 255, 128]);
        let cost = decode_cost(&bytes, ImageFormat::Png, 50_000_000).unwrap();
        assert!(cost < 32 << 20, "{cost}");
        // A JPEG decodes whole: its cost is its pixels.
        let mut jpeg = Vec::new();
        DynamicImage::new_rgb8(1000, 500)
            .write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg)
            .unwrap();
        let cost = decode_cost(&jpeg, ImageFormat::Jpeg, 50_000_000).unwrap();
        assert_eq!(cost, 1000 * 500 * 3 + DECODE_SLACK);
    }
}
