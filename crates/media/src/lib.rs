//! Photos of 一户一档 pages and visit evidence, made fit for the archive on the device.
//!
//! A tablet photo (often 12 MP, sideways, with the capture time and place in EXIF) becomes an archive
//! image: turned upright, its long edge brought down to about 2,400 px (a printed page stays readable),
//! re-encoded as JPEG without its metadata, with a small thumbnail for lists and for other devices. The
//! capture time and GPS are kept as record fields instead. The archive image's SHA-256 names it, so the
//! same photo imported twice is stored once.
//!
//! Everything here is a pure function of the input bytes; the caller stores the results. Files that
//! are not photos, or are too big to handle safely, are refused with a Chinese message before any
//! large allocation.

pub mod exif_meta;
pub mod qr;
pub mod sample;
mod sniff;

pub use exif_meta::{Capture, Orientation};
pub use sniff::Format;

use fast_image_resize as fr;
use image::{DynamicImage, ImageReader, Limits, RgbImage};
use sha2::{Digest, Sha256};
use std::io::Cursor;

/// Long edge of the archive image, in pixels.
pub const ARCHIVE_LONG_EDGE: u32 = 2400;
/// Long edge of the thumbnail, in pixels.
pub const THUMB_LONG_EDGE: u32 = 320;
/// JPEG quality of the archive image: small print on a form stays legible.
pub const ARCHIVE_QUALITY: u8 = 85;
pub const THUMB_QUALITY: u8 = 75;
/// Largest file accepted. A 50 MP phone photo is about 25 MB.
pub const MAX_FILE_BYTES: u64 = 40 * 1024 * 1024;
/// Largest picture accepted, in pixels (decoded, it takes 3 bytes each): 80 MP, e.g. 10,000 × 8,000.
pub const MAX_PIXELS: u64 = 80_000_000;
/// Longest side accepted.
pub const MAX_SIDE: u32 = 16_384;

/// Why a file was refused. Messages are for the person holding the tablet.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MediaError {
    #[error("文件是空的（0 字节），请重新拍摄或选择照片")]
    Empty,
    #[error("文件过大（{} MB）：照片最大 {} MB，请用相机正常拍摄或压缩后再导入", .0 / 1024 / 1024, MAX_FILE_BYTES / 1024 / 1024)]
    TooLarge(u64),
    #[error("这是 {0} 文件，不是照片：请拍摄纸质材料，或导出为 JPG/PNG 图片后再导入")]
    NotAPhoto(&'static str),
    #[error("无法识别的文件格式：只能导入 JPG 或 PNG 照片")]
    Unknown,
    #[error("图片尺寸 {width} × {height} 过大（最多 {} 万像素、边长不超过 {MAX_SIDE}）：可能是损坏或恶意文件", MAX_PIXELS / 10_000)]
    TooManyPixels { width: u32, height: u32 },
    #[error("照片文件已损坏，无法读取：{0}。请重新拍摄")]
    Corrupt(String),
    #[error("照片处理失败：{0}")]
    Internal(String),
}

/// A photo ready to store: archive image, thumbnail, their hashes and what the camera recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Processed {
    /// The archive JPEG.
    pub image: Vec<u8>,
    /// SHA-256 of `image`, lowercase hex: the photo's name everywhere.
    pub hash: String,
    pub width: u32,
    pub height: u32,
    /// The thumbnail JPEG.
    pub thumb: Vec<u8>,
    pub thumb_hash: String,
    /// What the input file was.
    pub source_format: Format,
    pub capture: Capture,
}

/// SHA-256 as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Whether `s` is a SHA-256 in the form this crate writes (64 lowercase hex digits).
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Processes one file's bytes into an archive photo.
pub fn process(bytes: &[u8]) -> Result<Processed, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(MediaError::TooLarge(bytes.len() as u64));
    }
    let format = sniff::sniff(bytes)?;
    if format == Format::Jpeg && !sniff::jpeg_is_whole(bytes) {
        return Err(MediaError::Corrupt("文件不完整（可能复制或传输时中断）".into()));
    }
    let (width, height) = dimensions(bytes, format)?;
    check_size(width, height)?;
    let capture = exif_meta::read(bytes);
    let decoded = decode(bytes, format)?;
    let rgb = decoded.into_rgb8();
    let (w, h) = fit(rgb.width(), rgb.height(), ARCHIVE_LONG_EDGE);
    let archive = resize(rgb, w, h)?;
    let archive = capture.orientation.apply(archive);
    let (tw, th) = fit(archive.width(), archive.height(), THUMB_LONG_EDGE);
    let thumb = resize(archive.clone(), tw, th)?;
    let image = encode(&archive, ARCHIVE_QUALITY)?;
    let thumb = encode(&thumb, THUMB_QUALITY)?;
    Ok(Processed {
        hash: sha256_hex(&image),
        thumb_hash: sha256_hex(&thumb),
        width: archive.width(),
        height: archive.height(),
        image,
        thumb,
        source_format: format,
        capture,
    })
}

fn check_size(width: u32, height: u32) -> Result<(), MediaError> {
    if width == 0 || height == 0 {
        return Err(MediaError::Corrupt("图片宽或高为 0".into()));
    }
    if width > MAX_SIDE || height > MAX_SIDE || width as u64 * height as u64 > MAX_PIXELS {
        return Err(MediaError::TooManyPixels { width, height });
    }
    Ok(())
}

fn reader(bytes: &[u8], format: Format) -> ImageReader<Cursor<&[u8]>> {
    ImageReader::with_format(Cursor::new(bytes), format.image_format())
}

/// A reader that refuses to allocate beyond what the largest accepted photo needs.
fn limited_reader(bytes: &[u8], format: Format) -> ImageReader<Cursor<&[u8]>> {
    let mut r = reader(bytes, format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    // Decoded RGBA at the largest accepted size, plus the decoder's own buffers.
    limits.max_alloc = Some(MAX_PIXELS * 4 + 64 * 1024 * 1024);
    r.limits(limits);
    r
}

/// Reads the size from the header only, so a decompression bomb is refused before it is decoded.
fn dimensions(bytes: &[u8], format: Format) -> Result<(u32, u32), MediaError> {
    reader(bytes, format).into_dimensions().map_err(|e| decode_error(e, format))
}

fn decode(bytes: &[u8], format: Format) -> Result<DynamicImage, MediaError> {
    limited_reader(bytes, format).decode().map_err(|e| decode_error(e, format))
}

fn decode_error(e: image::ImageError, format: Format) -> MediaError {
    match e {
        image::ImageError::Limits(_) => MediaError::TooManyPixels { width: 0, height: 0 },
        other => MediaError::Corrupt(format!("{} 数据有误（{other}）", format.label())),
    }
}

/// The size that fits `long_edge`, keeping the aspect ratio; never enlarges.
pub fn fit(width: u32, height: u32, long_edge: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= long_edge {
        return (width, height);
    }
    let scale = |x: u32| ((x as u64 * long_edge as u64 + long as u64 / 2) / long as u64).max(1) as u32;
    (scale(width), scale(height))
}

fn resize(src: RgbImage, width: u32, height: u32) -> Result<RgbImage, MediaError> {
    if (src.width(), src.height()) == (width, height) {
        return Ok(src);
    }
    let (sw, sh) = (src.width(), src.height());
    let src = fr::images::Image::from_vec_u8(sw, sh, src.into_raw(), fr::PixelType::U8x3)
        .map_err(|e| MediaError::Internal(e.to_string()))?;
    let mut dst = fr::images::Image::new(width, height, fr::PixelType::U8x3);
    let opts = fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::CatmullRom));
    fr::Resizer::new().resize(&src, &mut dst, &opts).map_err(|e| MediaError::Internal(e.to_string()))?;
    RgbImage::from_raw(width, height, dst.into_vec()).ok_or_else(|| MediaError::Internal("缩放结果大小不符".into()))
}

fn encode(img: &RgbImage, quality: u8) -> Result<Vec<u8>, MediaError> {
    let (w, h) = (u16::try_from(img.width()), u16::try_from(img.height()));
    let (Ok(w), Ok(h)) = (w, h) else {
        return Err(MediaError::TooManyPixels { width: img.width(), height: img.height() });
    };
    let mut out = Vec::with_capacity(img.as_raw().len() / 8);
    jpeg_encoder::Encoder::new(&mut out, quality)
        .encode(img.as_raw(), w, h, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| MediaError::Internal(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hex_and_check() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(is_sha256_hex(&sha256_hex(b"")));
        assert!(!is_sha256_hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
        assert!(!is_sha256_hex("../etc/passwd"));
    }

    proptest! {
        #[test]
        fn fit_keeps_within_and_never_enlarges(w in 1u32..20_000, h in 1u32..20_000, edge in 16u32..4000) {
            let (fw, fh) = fit(w, h, edge);
            prop_assert!(fw.max(fh) <= edge.max(w.max(h).min(edge)));
            prop_assert!(fw <= w && fh <= h);
            prop_assert!(fw >= 1 && fh >= 1);
            if w.max(h) <= edge { prop_assert_eq!((fw, fh), (w, h)); }
            // The aspect ratio is kept: each side is the exact scaled side, rounded (never below 1 px).
            if w.max(h) > edge {
                let scale = edge as f64 / w.max(h) as f64;
                prop_assert!((fw as f64 - w as f64 * scale).abs() <= 1.0, "{w}x{h} -> {fw}x{fh}");
                prop_assert!((fh as f64 - h as f64 * scale).abs() <= 1.0, "{w}x{h} -> {fw}x{fh}");
                prop_assert_eq!(fw.max(fh), edge);
            }
        }
    }
}
