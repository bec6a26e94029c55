//! Processing real encoded files: camera photos come out upright, small and named by their hash;
//! files that are not photos, or are built to exhaust memory, are refused before decoding.

use zoufang_media::sample::{camera_jpeg, page_png, with_exif, CameraExif};
use zoufang_media::{process, sha256_hex, Format, MediaError, ARCHIVE_LONG_EDGE, THUMB_LONG_EDGE};

fn exif(orientation: u16) -> CameraExif {
    CameraExif { orientation, taken_at: Some("2026:11:03 09:41:07".into()), gps: Some((26.5833, 106.7167)) }
}

#[test]
fn camera_photo_is_turned_upright_downscaled_and_hashed() {
    let jpeg = camera_jpeg(4000, 3000, 7, 92, &exif(6));
    let p = process(&jpeg).unwrap();
    // Stored sideways (4000 × 3000) with "rotate 90°": upright it is portrait.
    assert_eq!((p.width, p.height), (1800, ARCHIVE_LONG_EDGE));
    let decoded = image::load_from_memory(&p.image).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (1800, 2400));
    let thumb = image::load_from_memory(&p.thumb).unwrap();
    assert_eq!(thumb.height(), THUMB_LONG_EDGE);
    assert_eq!(thumb.width(), 240);
    assert_eq!(p.hash, sha256_hex(&p.image));
    assert_eq!(p.thumb_hash, sha256_hex(&p.thumb));
    assert_eq!(p.capture.taken_at_str(), Some("2026-11-03T09:41:07"));
    let (lat, lon) = p.capture.gps.unwrap();
    assert!((lat - 26.5833).abs() < 1e-4 && (lon - 106.7167).abs() < 1e-4, "{lat} {lon}");
    assert_eq!(p.source_format, Format::Jpeg);
    // The archive copy carries no EXIF (time and place are record fields, not hidden in the file).
    assert!(!p.image.windows(6).any(|w| w == b"Exif\0\0"));
    assert!(p.image.len() < jpeg.len());
}

#[test]
fn the_same_photo_gives_the_same_hash_and_a_different_one_does_not() {
    let a = camera_jpeg(1600, 1200, 1, 90, &exif(1));
    let b = camera_jpeg(1600, 1200, 2, 90, &exif(1));
    let pa = process(&a).unwrap();
    assert_eq!(pa.hash, process(&a).unwrap().hash);
    assert_ne!(pa.hash, process(&b).unwrap().hash);
    // Small photos are not enlarged.
    assert_eq!((pa.width, pa.height), (1600, 1200));
}

#[test]
fn south_and_west_are_negative() {
    let jpeg =
        camera_jpeg(640, 480, 3, 80, &CameraExif { orientation: 1, taken_at: None, gps: Some((-33.86, -70.65)) });
    let (lat, lon) = process(&jpeg).unwrap().capture.gps.unwrap();
    assert!(lat < -33.8 && lon < -70.6);
}

#[test]
fn a_png_is_read_by_its_content_whatever_its_name() {
    // A screenshot saved as PNG and renamed .jpg: the bytes decide, and it becomes a JPEG archive copy.
    let png = page_png(1200, 900, 5);
    let p = process(&png).unwrap();
    assert_eq!(p.source_format, Format::Png);
    assert!(p.image.starts_with(&[0xFF, 0xD8, 0xFF]));
    assert_eq!(p.capture.taken_at, None);
}

#[test]
fn bad_files_are_refused_with_a_reason() {
    assert_eq!(process(b""), Err(MediaError::Empty));
    assert_eq!(process(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj"), Err(MediaError::NotAPhoto("PDF")));
    assert_eq!(process(b"just some text, not a photo"), Err(MediaError::Unknown));
    let big = vec![0xFFu8; 200 * 1024 * 1024];
    assert_eq!(process(&big), Err(MediaError::TooLarge(200 * 1024 * 1024)));
    // A JPEG cut off in the middle of its data.
    let jpeg = camera_jpeg(800, 600, 9, 90, &exif(1));
    let cut = &jpeg[..jpeg.len() / 3];
    let err = process(cut).unwrap_err();
    assert!(matches!(err, MediaError::Corrupt(_)), "{err:?}");
    // A JPEG header followed by garbage.
    let mut garbage = jpeg[..20].to_vec();
    garbage.extend(std::iter::repeat_n(0x5A, 5000));
    assert!(matches!(process(&garbage), Err(MediaError::Corrupt(_))));
    // Every message is in Chinese and says what to do.
    for e in [MediaError::Empty, MediaError::Unknown, MediaError::Corrupt("x".into())] {
        assert!(e.to_string().chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)));
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A 20,000 × 20,000 picture (400 MP, 1.2 GB decoded) in a file of a few hundred bytes: refused
/// from its header, before anything is decoded.
#[test]
fn decompression_bombs_are_refused_from_the_header() {
    // PNG: a valid, checksummed header claiming 20,000 × 20,000.
    let mut bomb = page_png(8, 8, 1);
    bomb[16..20].copy_from_slice(&20_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&20_000u32.to_be_bytes());
    let crc = crc32(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    assert_eq!(process(&bomb), Err(MediaError::TooManyPixels { width: 20_000, height: 20_000 }));
    // JPEG: the frame size in the SOF0 marker.
    let jpeg = camera_jpeg(64, 64, 1, 80, &exif(1));
    let mut bomb = jpeg.clone();
    let sof = bomb.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    bomb[sof + 5..sof + 7].copy_from_slice(&20_000u16.to_be_bytes());
    bomb[sof + 7..sof + 9].copy_from_slice(&20_000u16.to_be_bytes());
    assert_eq!(process(&bomb), Err(MediaError::TooManyPixels { width: 20_000, height: 20_000 }));
    // Just over the limit on one side.
    let mut wide = page_png(8, 8, 1);
    wide[16..20].copy_from_slice(&20_000u32.to_be_bytes());
    let crc = crc32(&wide[12..29]);
    wide[29..33].copy_from_slice(&crc.to_be_bytes());
    assert_eq!(process(&wide), Err(MediaError::TooManyPixels { width: 20_000, height: 8 }));
}

#[test]
fn broken_exif_is_ignored_not_fatal() {
    let jpeg = camera_jpeg(320, 240, 4, 80, &exif(1));
    let mut broken = with_exif(&jpeg, &CameraExif::default());
    // Scribble over the TIFF header inside the EXIF segment.
    broken[12..16].copy_from_slice(b"XXXX");
    let p = process(&broken).unwrap();
    assert_eq!(p.capture.taken_at, None);
}
