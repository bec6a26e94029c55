//! What the camera wrote into the file: which way is up, when, and where.

use image::{imageops, RgbImage};

/// EXIF orientation: how to turn the stored pixels so the picture stands upright.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Orientation {
    #[default]
    Normal,
    FlipH,
    Rotate180,
    FlipV,
    Transpose,
    Rotate90,
    Transverse,
    Rotate270,
}

impl Orientation {
    /// From the EXIF value 1–8; anything else is taken as upright.
    pub fn from_exif(v: u32) -> Orientation {
        use Orientation::*;
        match v {
            2 => FlipH,
            3 => Rotate180,
            4 => FlipV,
            5 => Transpose,
            6 => Rotate90,
            7 => Transverse,
            8 => Rotate270,
            _ => Normal,
        }
    }

    pub(crate) fn apply(self, img: RgbImage) -> RgbImage {
        use Orientation::*;
        match self {
            Normal => img,
            FlipH => imageops::flip_horizontal(&img),
            Rotate180 => imageops::rotate180(&img),
            FlipV => imageops::flip_vertical(&img),
            Transpose => imageops::flip_horizontal(&imageops::rotate90(&img)),
            Rotate90 => imageops::rotate90(&img),
            Transverse => imageops::flip_horizontal(&imageops::rotate270(&img)),
            Rotate270 => imageops::rotate270(&img),
        }
    }
}

/// Capture metadata kept as record fields (the archive image itself carries none).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Capture {
    pub orientation: Orientation,
    /// `DateTimeOriginal` as `YYYY-MM-DDTHH:MM:SS` (camera local time; EXIF has no zone).
    pub taken_at: Option<[u8; 19]>,
    /// Latitude and longitude in degrees, south and west negative.
    pub gps: Option<(f64, f64)>,
}

impl Capture {
    pub fn taken_at_str(&self) -> Option<&str> {
        self.taken_at.as_ref().and_then(|b| std::str::from_utf8(b).ok())
    }
}

/// Reads what it can; a file without EXIF, or with broken EXIF, simply has none.
pub(crate) fn read(bytes: &[u8]) -> Capture {
    let Ok(ex) = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(bytes)) else {
        return Capture::default();
    };
    let field = |tag| ex.get_field(tag, exif::In::PRIMARY);
    let orientation =
        field(exif::Tag::Orientation).and_then(|f| f.value.get_uint(0)).map(Orientation::from_exif).unwrap_or_default();
    let taken_at =
        field(exif::Tag::DateTimeOriginal).or_else(|| field(exif::Tag::DateTime)).and_then(|f| match &f.value {
            exif::Value::Ascii(v) => v.first().and_then(|s| datetime(s)),
            _ => None,
        });
    let coord = |value: exif::Tag, reference: exif::Tag, negative: u8| -> Option<f64> {
        let exif::Value::Rational(parts) = &field(value)?.value else { return None };
        if parts.len() < 3 || parts.iter().any(|r| r.denom == 0) {
            return None;
        }
        let deg = parts[0].to_f64() + parts[1].to_f64() / 60.0 + parts[2].to_f64() / 3600.0;
        let sign = match &field(reference)?.value {
            exif::Value::Ascii(v) if v.first().and_then(|s| s.first()) == Some(&negative) => -1.0,
            _ => 1.0,
        };
        Some(sign * deg)
    };
    let lat = coord(exif::Tag::GPSLatitude, exif::Tag::GPSLatitudeRef, b'S');
    let lon = coord(exif::Tag::GPSLongitude, exif::Tag::GPSLongitudeRef, b'W');
    let gps = match (lat, lon) {
        (Some(a), Some(o)) if (-90.0..=90.0).contains(&a) && (-180.0..=180.0).contains(&o) && (a, o) != (0.0, 0.0) => {
            Some((a, o))
        }
        _ => None,
    };
    Capture { orientation, taken_at, gps }
}

/// `2026:11:03 09:41:07` → `2026-11-03T09:41:07`, refusing anything not shaped like a date.
fn datetime(s: &[u8]) -> Option<[u8; 19]> {
    if s.len() < 19 {
        return None;
    }
    let mut out = [0u8; 19];
    out.copy_from_slice(&s[..19]);
    let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
    if !digits.iter().all(|&i| out[i].is_ascii_digit()) || &out[..4] == b"0000" {
        return None;
    }
    out[4] = b'-';
    out[7] = b'-';
    out[10] = b'T';
    out[13] = b':';
    out[16] = b':';
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exif_datetime() {
        assert_eq!(datetime(b"2026:11:03 09:41:07").as_ref().map(|b| &b[..]), Some(&b"2026-11-03T09:41:07"[..]));
        assert_eq!(datetime(b"0000:00:00 00:00:00"), None);
        assert_eq!(datetime(b"    :  :     :  :  "), None);
        assert_eq!(datetime(b"2026"), None);
    }

    #[test]
    fn orientations_turn_the_picture() {
        let img = RgbImage::from_fn(4, 2, |x, y| image::Rgb([x as u8, y as u8, 0]));
        for v in 1..=8 {
            let out = Orientation::from_exif(v).apply(img.clone());
            let expect = if v >= 5 { (2, 4) } else { (4, 2) };
            assert_eq!(out.dimensions(), expect, "orientation {v}");
        }
        // 6: rotate 90° clockwise, so the top-left pixel ends at the top-right.
        let out = Orientation::from_exif(6).apply(img.clone());
        assert_eq!(out.get_pixel(1, 0).0, [0, 0, 0]);
        assert_eq!(out.get_pixel(0, 0).0, [0, 1, 0]);
    }
}
