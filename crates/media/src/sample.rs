//! Camera-like photos of a paper page, for the demo, tests and benchmarks: a noisy light page with
//! dark lines of "text", encoded as a camera would (JPEG with EXIF orientation, time and GPS).

use image::{Rgb, RgbImage};

/// What the synthetic camera writes into EXIF.
#[derive(Debug, Clone, Default)]
pub struct CameraExif {
    /// EXIF orientation 1–8.
    pub orientation: u16,
    /// `YYYY:MM:DD HH:MM:SS`.
    pub taken_at: Option<String>,
    pub gps: Option<(f64, f64)>,
}

/// A JPEG of `width` × `height` at `quality`, different for each `seed`.
pub fn camera_jpeg(width: u32, height: u32, seed: u64, quality: u8, exif: &CameraExif) -> Vec<u8> {
    let img = page(width, height, seed);
    let mut jpeg = Vec::new();
    jpeg_encoder::Encoder::new(&mut jpeg, quality)
        .encode(img.as_raw(), width as u16, height as u16, jpeg_encoder::ColorType::Rgb)
        .expect("encoding a generated page");
    with_exif(&jpeg, exif)
}

/// A PNG of the same kind of page.
pub fn page_png(width: u32, height: u32, seed: u64) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    page(width, height, seed).write_to(&mut out, image::ImageFormat::Png).expect("encoding a generated page");
    out.into_inner()
}

fn page(width: u32, height: u32, seed: u64) -> RgbImage {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) as u32
    };
    let line = (height / 40).max(4);
    let margin = width / 12;
    let lines: Vec<(u32, u32)> = (0..64).map(|_| (next() % (width / 2).max(1), next() % 3)).collect();
    let mut img = RgbImage::new(width, height);
    for (x, y, px) in img.enumerate_pixels_mut() {
        let n = (next() % 24) as u8;
        let shade = 200 + n + ((x + y) / ((width + height) / 16 + 1)) as u8 % 8;
        let row = y / line;
        let (len, _) = lines[row as usize % lines.len()];
        let ink = y % line < line / 3 && x > margin && x < margin + len + width / 3 && row.is_multiple_of(2);
        *px = if ink { Rgb([30 + n, 30 + n, 40 + n]) } else { Rgb([shade, shade, shade.saturating_sub(12)]) };
    }
    img
}

/// Inserts an EXIF APP1 segment after the JPEG's SOI marker.
pub fn with_exif(jpeg: &[u8], exif: &CameraExif) -> Vec<u8> {
    let mut w = exif::experimental::Writer::new();
    let mut fields = vec![exif::Field {
        tag: exif::Tag::Orientation,
        ifd_num: exif::In::PRIMARY,
        value: exif::Value::Short(vec![exif.orientation.max(1)]),
    }];
    if let Some(t) = &exif.taken_at {
        fields.push(exif::Field {
            tag: exif::Tag::DateTimeOriginal,
            ifd_num: exif::In::PRIMARY,
            value: exif::Value::Ascii(vec![t.as_bytes().to_vec()]),
        });
    }
    if let Some((lat, lon)) = exif.gps {
        let dms = |v: f64| {
            let v = v.abs();
            let d = v.floor();
            let m = ((v - d) * 60.0).floor();
            let s = ((v - d) * 60.0 - m) * 60.0;
            exif::Value::Rational(vec![
                exif::Rational { num: d as u32, denom: 1 },
                exif::Rational { num: m as u32, denom: 1 },
                exif::Rational { num: (s * 1000.0).round() as u32, denom: 1000 },
            ])
        };
        let ascii = |s: &str| exif::Value::Ascii(vec![s.as_bytes().to_vec()]);
        let gps = |tag, value| exif::Field { tag, ifd_num: exif::In::PRIMARY, value };
        fields.push(gps(exif::Tag::GPSLatitudeRef, ascii(if lat < 0.0 { "S" } else { "N" })));
        fields.push(gps(exif::Tag::GPSLatitude, dms(lat)));
        fields.push(gps(exif::Tag::GPSLongitudeRef, ascii(if lon < 0.0 { "W" } else { "E" })));
        fields.push(gps(exif::Tag::GPSLongitude, dms(lon)));
    }
    for f in &fields {
        w.push_field(f);
    }
    let mut tiff = std::io::Cursor::new(Vec::new());
    w.write(&mut tiff, false).expect("writing EXIF to memory");
    let tiff = tiff.into_inner();
    let mut out = Vec::with_capacity(jpeg.len() + tiff.len() + 10);
    out.extend_from_slice(&jpeg[..2]);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}
