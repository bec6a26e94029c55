//! What a file is, by its first bytes: never by its name, which a renamed file gets wrong.

use crate::MediaError;

/// The photo formats accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
}

impl Format {
    pub(crate) fn image_format(self) -> image::ImageFormat {
        match self {
            Format::Jpeg => image::ImageFormat::Jpeg,
            Format::Png => image::ImageFormat::Png,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
        }
    }
}

/// Formats people try to import that are not photos we take, with the name they know them by.
const NOT_PHOTOS: &[(&[u8], &str)] = &[
    (b"%PDF", "PDF"),
    (b"PK\x03\x04", "压缩包或 Office 文档"),
    (b"\xD0\xCF\x11\xE0", "Office 文档"),
    (b"GIF8", "GIF 动图"),
    (b"BM", "BMP"),
];

pub(crate) fn sniff(bytes: &[u8]) -> Result<Format, MediaError> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(Format::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(Format::Png);
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        let brand = &bytes[8..12];
        if [b"heic", b"heix", b"mif1", b"msf1", b"hevc"].iter().any(|b| brand == *b) {
            return Err(MediaError::NotAPhoto("HEIC（请在相机设置中改为「兼容性最佳」/JPG）"));
        }
        return Err(MediaError::NotAPhoto("视频"));
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Err(MediaError::NotAPhoto("WebP"));
    }
    for (magic, name) in NOT_PHOTOS {
        if bytes.starts_with(magic) {
            return Err(MediaError::NotAPhoto(name));
        }
    }
    Err(MediaError::Unknown)
}

/// Whether a JPEG's last scan is followed by its end marker. Decoders quietly fill a cut-off file
/// with grey; an archive page half missing must be refused instead. (Entropy-coded data escapes 0xFF,
/// so the two markers cannot appear inside it.)
pub(crate) fn jpeg_is_whole(bytes: &[u8]) -> bool {
    let last = |marker: u8| bytes.windows(2).rposition(|w| w == [0xFF, marker]);
    match (last(0xDA), last(0xD9)) {
        (Some(scan), Some(end)) => end > scan,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_content() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Ok(Format::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Ok(Format::Png));
        assert_eq!(sniff(b"%PDF-1.7\n"), Err(MediaError::NotAPhoto("PDF")));
        assert!(matches!(sniff(b"\0\0\0\x18ftypheic\0\0"), Err(MediaError::NotAPhoto(s)) if s.starts_with("HEIC")));
        assert_eq!(sniff(b"hello"), Err(MediaError::Unknown));
        assert_eq!(sniff(b"\xFF"), Err(MediaError::Unknown));
    }
}
