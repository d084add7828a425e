//! What an upload is, decided by its bytes, and an image made safe to keep: decoded within
//! limits, turned upright, encoded again (so EXIF, GPS above all, and every other metadata
//! block are gone) with a thumbnail. Pure: no I/O, tested without a server.
use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// How many leading bytes [`sniff`] needs to decide.
pub const SNIFF_BYTES: usize = 32;
/// A thumbnail fits in this square.
const THUMB_SIDE: u32 = 320;
const JPEG_QUALITY: u8 = 85;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Image,
    Video,
    Audio,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Image => "image",
            Kind::Video => "video",
            Kind::Audio => "audio",
        }
    }
}

/// An accepted type: what it is, as the bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    pub kind: Kind,
    pub content_type: &'static str,
    pub ext: &'static str,
    format: Option<ImageFormat>,
}

/// The type of a file from its first [`SNIFF_BYTES`] bytes: JPEG, PNG, WebP, MP4, MP3 or M4A.
/// Anything else, whatever its name or declared type, is `None`.
pub fn sniff(head: &[u8]) -> Option<Sniffed> {
    let image = |content_type, ext, format| Sniffed {
        kind: Kind::Image,
        content_type,
        ext,
        format: Some(format),
    };
    let other = |kind, content_type, ext| Sniffed {
        kind,
        content_type,
        ext,
        format: None,
    };
    if infer::image::is_jpeg(head) {
        Some(image("image/jpeg", "jpg", ImageFormat::Jpeg))
    } else if infer::image::is_png(head) {
        Some(image("image/png", "png", ImageFormat::Png))
    } else if infer::image::is_webp(head) {
        Some(image("image/webp", "webp", ImageFormat::WebP))
    } else if infer::audio::is_m4a(head) {
        // Before MP4: an M4A is an MP4 container whose brand says audio.
        Some(other(Kind::Audio, "audio/mp4", "m4a"))
    } else if infer::video::is_mp4(head) {
        Some(other(Kind::Video, "video/mp4", "mp4"))
    } else if infer::audio::is_mp3(head) {
        Some(other(Kind::Audio, "audio/mpeg", "mp3"))
    } else {
        None
    }
}

/// The largest image [`clean_image`] decodes.
#[derive(Debug, Clone, Copy)]
pub struct PixelLimits {
    pub max_pixels: u64,
    pub max_side: u32,
}

#[derive(Debug, PartialEq, Eq)]
pub enum ImageProblem {
    /// Larger than the limits (a decompression bomb among them).
    TooLarge,
    /// Not an image this server can decode.
    Unreadable,
}

/// An image as it is kept: encoded afresh, with its thumbnail (always JPEG).
pub struct CleanImage {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub ext: &'static str,
    pub width: u32,
    pub height: u32,
    pub thumb: Vec<u8>,
}

/// Decodes `bytes` (of the sniffed type) within `limits`, applies the EXIF orientation, and
/// encodes the pixels again: JPEG stays JPEG, PNG stays PNG, WebP becomes PNG if it has
/// transparency and JPEG if not. The dimensions are read from the header and checked before a
/// single pixel is decoded.
pub fn clean_image(
    bytes: &[u8],
    sniffed: Sniffed,
    limits: PixelLimits,
) -> Result<CleanImage, ImageProblem> {
    let format = sniffed.format.ok_or(ImageProblem::Unreadable)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut bounds = Limits::default();
    bounds.max_image_width = Some(limits.max_side);
    bounds.max_image_height = Some(limits.max_side);
    // Room for the decoded pixels (at most 8 bytes each: 16-bit RGBA) and the decoder's own.
    bounds.max_alloc = Some(limits.max_pixels.saturating_mul(8) + 64 * 1024 * 1024);
    reader.limits(bounds);
    let mut decoder = reader.into_decoder().map_err(problem)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(ImageProblem::TooLarge);
    }
    let orientation = decoder.orientation().map_err(problem)?;
    let mut pixels = eight_bit(DynamicImage::from_decoder(decoder).map_err(problem)?);
    pixels.apply_orientation(orientation);

    let keep_png =
        format == ImageFormat::Png || (format == ImageFormat::WebP && pixels.has_alpha());
    let (bytes, content_type, ext) = if keep_png {
        (encode_png(&pixels)?, "image/png", "png")
    } else {
        (encode_jpeg(&pixels)?, "image/jpeg", "jpg")
    };
    let thumb = encode_jpeg(&pixels.thumbnail(THUMB_SIDE, THUMB_SIDE))?;
    Ok(CleanImage {
        bytes,
        content_type,
        ext,
        width: pixels.width(),
        height: pixels.height(),
        thumb,
    })
}

/// 16-bit and float images as 8-bit: what JPEG and the phone's screen hold anyway, at half
/// the memory (or less) for every copy after this one.
fn eight_bit(pixels: DynamicImage) -> DynamicImage {
    match pixels {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_) => pixels,
        other if other.has_alpha() => DynamicImage::ImageRgba8(other.to_rgba8()),
        other => DynamicImage::ImageRgb8(other.to_rgb8()),
    }
}

fn problem(err: image::ImageError) -> ImageProblem {
    match err {
        image::ImageError::Limits(_) => ImageProblem::TooLarge,
        _ => ImageProblem::Unreadable,
    }
}

fn encode_jpeg(pixels: &DynamicImage) -> Result<Vec<u8>, ImageProblem> {
    let mut out = Vec::new();
    // JPEG has no alpha: flatten to RGB first.
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
    DynamicImage::ImageRgb8(pixels.to_rgb8())
        .write_with_encoder(encoder)
        .map_err(problem)?;
    Ok(out)
}

fn encode_png(pixels: &DynamicImage) -> Result<Vec<u8>, ImageProblem> {
    let mut out = Vec::new();
    pixels
        .write_with_encoder(image::codecs::png::PngEncoder::new(&mut out))
        .map_err(problem)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        DynamicImage::new_rgba8(width, height)
            .write_with_encoder(image::codecs::png::PngEncoder::new(&mut out))
            .unwrap();
        out
    }

    const LIMITS: PixelLimits = PixelLimits {
        max_pixels: 10_000,
        max_side: 200,
    };

    #[test]
    fn the_bytes_decide_the_type_not_the_name() {
        assert_eq!(sniff(&png(2, 2)).unwrap().content_type, "image/png");
        assert_eq!(sniff(b"hello, this is text and not a png"), None);
        let mut mp4 = vec![0, 0, 0, 0x18];
        mp4.extend_from_slice(b"ftypisom\0\0\0\0isomiso2");
        assert_eq!(sniff(&mp4).unwrap().kind, Kind::Video);
        let mut m4a = vec![0, 0, 0, 0x18];
        m4a.extend_from_slice(b"ftypM4A \0\0\0\0M4A isom");
        assert_eq!(sniff(&m4a).unwrap().kind, Kind::Audio);
        assert_eq!(
            sniff(b"ID3\x04\0\0\0\0\0\0").unwrap().content_type,
            "audio/mpeg"
        );
    }

    #[test]
    fn an_image_is_encoded_again_with_a_thumbnail() {
        let bytes = png(100, 50);
        let clean = clean_image(&bytes, sniff(&bytes).unwrap(), LIMITS).unwrap();
        assert_eq!((clean.width, clean.height), (100, 50));
        assert_eq!(clean.content_type, "image/png");
        assert_eq!(sniff(&clean.thumb).unwrap().content_type, "image/jpeg");
    }

    #[test]
    fn too_many_pixels_are_refused_from_the_header() {
        let bytes = png(150, 150);
        let err = clean_image(&bytes, sniff(&bytes).unwrap(), LIMITS).err();
        assert_eq!(err, Some(ImageProblem::TooLarge));
        let wide = png(300, 1);
        let err = clean_image(&wide, sniff(&wide).unwrap(), LIMITS).err();
        assert_eq!(err, Some(ImageProblem::TooLarge));
    }

    #[test]
    fn a_sixteen_bit_image_is_kept_as_eight_bit() {
        let mut bytes = Vec::new();
        DynamicImage::ImageRgba16(image::ImageBuffer::new(40, 30))
            .write_with_encoder(image::codecs::png::PngEncoder::new(&mut bytes))
            .unwrap();
        let clean = clean_image(&bytes, sniff(&bytes).unwrap(), LIMITS).unwrap();
        let stored = image::load_from_memory(&clean.bytes).unwrap();
        assert_eq!(stored.color(), image::ColorType::Rgba8);
    }

    #[test]
    fn a_truncated_image_is_unreadable() {
        let bytes = png(50, 50);
        let cut = &bytes[..bytes.len() / 2];
        let err = clean_image(cut, sniff(cut).unwrap(), LIMITS).err();
        assert_eq!(err, Some(ImageProblem::Unreadable));
    }
}
