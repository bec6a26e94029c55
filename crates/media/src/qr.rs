//! Enrolment QR codes: drawn (SVG for a screen, PNG for a printed sheet, text blocks for a terminal)
//! and read back from a camera frame, a picked photo or a screenshot. Reading tolerates what a phone
//! photo of a printed code brings: a skewed angle, some blur, uneven light, a busy background.

use image::{DynamicImage, GrayImage, ImageBuffer, Luma};
use qrcode::{EcLevel, QrCode};

/// Why no QR code could be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    #[error("图片无法打开：{0}")]
    Image(String),
    #[error("图片里没有找到二维码：请让二维码完整、清楚地出现在画面中，避免反光和遮挡")]
    NotFound,
    #[error("找到了二维码，但无法读取（可能模糊、损坏或被遮挡）：请靠近一些、对好焦再试")]
    Unreadable,
    #[error("内容太长，画不成二维码")]
    TooLong,
}

fn code(text: &str) -> Result<QrCode, QrError> {
    // Level M: a quarter of the code may be smudged or creased and it still reads.
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|_| QrError::TooLong)
}

/// The code as SVG, `size` pixels wide at least (with its quiet zone).
pub fn svg(text: &str, size: u32) -> Result<String, QrError> {
    Ok(code(text)?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(size, size)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build())
}

/// The code as a grey image: `scale` pixels a module, with the quiet zone.
pub fn image(text: &str, scale: u32) -> Result<GrayImage, QrError> {
    let c = code(text)?;
    let width = c.width() as u32;
    let quiet = 4;
    let side = (width + 2 * quiet) * scale.max(1);
    let colors = c.to_colors();
    Ok(ImageBuffer::from_fn(side, side, |x, y| {
        let (mx, my) = ((x / scale.max(1)) as i64 - quiet as i64, (y / scale.max(1)) as i64 - quiet as i64);
        let dark = mx >= 0
            && my >= 0
            && (mx as u32) < width
            && (my as u32) < width
            && colors[(my as u32 * width + mx as u32) as usize] == qrcode::Color::Dark;
        Luma([if dark { 0 } else { 255 }])
    }))
}

/// The code as a PNG file.
pub fn png(text: &str, scale: u32) -> Result<Vec<u8>, QrError> {
    let img = image(text, scale)?;
    let mut out = std::io::Cursor::new(Vec::new());
    DynamicImage::ImageLuma8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| QrError::Image(e.to_string()))?;
    Ok(out.into_inner())
}

/// The code drawn with text blocks, two modules a line, for a terminal.
pub fn terminal(text: &str) -> Result<String, QrError> {
    Ok(code(text)?
        .render::<qrcode::render::unicode::Dense1x2>()
        .dark_color(qrcode::render::unicode::Dense1x2::Light)
        .light_color(qrcode::render::unicode::Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

/// Reads the text of the first QR code found in an image file (JPEG or PNG bytes).
pub fn read(bytes: &[u8]) -> Result<String, QrError> {
    let img = image::load_from_memory(bytes).map_err(|e| QrError::Image(e.to_string()))?;
    read_image(&img.to_luma8())
}

/// Reads the text of the first QR code in a grey image. A large photo is tried scaled down too (the
/// finder patterns of a code that fills a 12-MP frame are easier to find smaller).
pub fn read_image(img: &GrayImage) -> Result<String, QrError> {
    let mut found = false;
    let mut attempt = |g: &GrayImage| -> Option<String> {
        let mut prepared = rqrr::PreparedImage::prepare(g.clone());
        let grids = prepared.detect_grids();
        found |= !grids.is_empty();
        grids.iter().find_map(|grid| grid.decode().ok().map(|(_, text)| text))
    };
    if let Some(t) = attempt(img) {
        return Ok(t);
    }
    // Sensor noise on a blurred print breaks the finder patterns apart under a local threshold;
    // smoothed and cut at one global level (Otsu's) they come back whole.
    if let Some(t) = attempt(&binarized(&image::imageops::blur(img, 1.5))) {
        return Ok(t);
    }
    let longest = img.width().max(img.height());
    for target in [1600u32, 1000, 640] {
        if longest > target {
            let f = target as f32 / longest as f32;
            let (w, h) = ((img.width() as f32 * f) as u32, (img.height() as f32 * f) as u32);
            let small = image::imageops::resize(img, w.max(1), h.max(1), image::imageops::FilterType::Triangle);
            if let Some(t) = attempt(&small) {
                return Ok(t);
            }
        }
    }
    Err(if found { QrError::Unreadable } else { QrError::NotFound })
}

/// The image cut into black and white at the level that best separates its two tones (Otsu's
/// method: the level maximising the variance between the darker and the lighter pixels).
fn binarized(img: &GrayImage) -> GrayImage {
    let mut histogram = [0u64; 256];
    for p in img.pixels() {
        histogram[p.0[0] as usize] += 1;
    }
    let total: u64 = histogram.iter().sum();
    let sum_all: f64 = histogram.iter().enumerate().map(|(v, &n)| v as f64 * n as f64).sum();
    let (mut dark, mut dark_sum, mut best, mut level) = (0u64, 0f64, -1f64, 128u8);
    for (v, &n) in histogram.iter().enumerate() {
        dark += n;
        dark_sum += v as f64 * n as f64;
        let light = total - dark;
        if dark == 0 || light == 0 {
            continue;
        }
        let (dark_mean, light_mean) = (dark_sum / dark as f64, (sum_all - dark_sum) / light as f64);
        let between = dark as f64 * light as f64 * (dark_mean - light_mean).powi(2);
        if between > best {
            (best, level) = (between, v as u8);
        }
    }
    let mut out = img.clone();
    for p in out.pixels_mut() {
        p.0[0] = if p.0[0] > level { 255 } else { 0 };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "zoufang:enrol?v=1&u=https%3A%2F%2F10.0.0.5%3A8470&c=G98S-JVDJ&p=abababababababababababababababababababababababababababababababab&n=%E7%BA%A2%E9%98%B3%E6%9D%91&r=work_team";

    #[test]
    fn a_drawn_code_reads_back() {
        let png = png(OFFER, 6).unwrap();
        assert_eq!(read(&png).unwrap(), OFFER);
        assert!(svg(OFFER, 300).unwrap().starts_with("<?xml"));
        assert!(terminal(OFFER).unwrap().lines().count() > 20);
    }

    #[test]
    fn no_code_and_no_image_are_told_apart() {
        let blank = DynamicImage::ImageLuma8(ImageBuffer::from_pixel(400, 300, Luma([200u8])));
        let mut out = std::io::Cursor::new(Vec::new());
        blank.write_to(&mut out, image::ImageFormat::Png).unwrap();
        assert_eq!(read(&out.into_inner()), Err(QrError::NotFound));
        assert!(matches!(read(b"not an image"), Err(QrError::Image(_))));
        assert_eq!(png(&"x".repeat(5000), 4), Err(QrError::TooLong));
    }
}
