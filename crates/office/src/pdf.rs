//! A small PDF writer for printed lists (A4, text and ruled tables), with no dependency: Chinese text is
//! set in STSong-Light, one of the standard Chinese fonts every PDF reader provides (Adobe-GB1, UCS-2
//! encoding), so nothing is embedded and a file stays a few kilobytes; a ToUnicode map lets readers
//! search and copy the text. Characters outside the Basic Multilingual Plane are printed as "?".
//!
//! Layout is measured the way the font sets it: ASCII half an em, everything else a full em.

/// A4 in points.
pub const PAGE_WIDTH: f32 = 595.0;
pub const PAGE_HEIGHT: f32 = 842.0;

/// One page's drawing operations.
#[derive(Debug, Default, Clone)]
pub struct Page {
    ops: String,
}

/// How wide `text` is at `size` points.
pub fn width(text: &str, size: f32) -> f32 {
    text.chars().map(|c| if c.is_ascii() { 0.5 } else { 1.0 }).sum::<f32>() * size
}

/// `text` broken into lines no wider than `max` at `size` points (at least one line).
pub fn wrap(text: &str, size: f32, max: f32) -> Vec<String> {
    let mut lines = vec![String::new()];
    for c in text.chars() {
        let line = lines.last_mut().expect("one line at least");
        if c == '\n' {
            lines.push(String::new());
            continue;
        }
        if !line.is_empty() && width(line, size) + width(&c.to_string(), size) > max {
            lines.push(c.to_string());
        } else {
            line.push(c);
        }
    }
    lines
}

fn hex(text: &str) -> String {
    let mut s = String::with_capacity(text.len() * 4 + 2);
    s.push('<');
    for c in text.chars() {
        let code = u32::from(c);
        let unit = if code > 0xFFFF { u32::from('?') } else { code };
        s.push_str(&format!("{unit:04X}"));
    }
    s.push('>');
    s
}

impl Page {
    /// Text with its baseline starting at (`x`, `y`), from the bottom-left corner.
    pub fn text(&mut self, x: f32, y: f32, size: f32, text: &str) {
        self.ops.push_str(&format!("BT /F1 {size} Tf {x:.1} {y:.1} Td {} Tj ET\n", hex(text)));
    }

    /// Text centred on the page.
    pub fn centred(&mut self, y: f32, size: f32, text: &str) {
        self.text((PAGE_WIDTH - width(text, size)) / 2.0, y, size, text);
    }

    /// A thin line.
    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32) {
        self.ops.push_str(&format!("0.6 w {x1:.1} {y1:.1} m {x2:.1} {y2:.1} l S\n"));
    }
}

/// The ToUnicode map: every 2-byte code is its own UCS-2 value.
fn to_unicode() -> String {
    let mut ranges = String::new();
    for hi in 0..=0xFFu32 {
        ranges.push_str(&format!("<{hi:02X}00> <{hi:02X}FF> <{hi:02X}00>\n"));
    }
    format!(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n\
         256 beginbfrange\n{ranges}endbfrange\nendcmap\n\
         CMapName currentdict /CMap defineresource pop\nend\nend\n"
    )
}

/// The document: `pages` in order, with `title` in its information dictionary.
pub fn document(title: &str, pages: &[Page]) -> Vec<u8> {
    // Objects: 1 catalog, 2 pages, 3 font, 4 CID font, 5 descriptor, 6 ToUnicode, 7 info, then a page
    // and its contents for each page.
    let mut objects: Vec<String> = Vec::new();
    let kids: Vec<String> = (0..pages.len()).map(|i| format!("{} 0 R", 8 + 2 * i)).collect();
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".into());
    objects.push(format!("<< /Type /Pages /Kids [{}] /Count {} >>", kids.join(" "), pages.len()));
    objects.push(
        "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H \
         /DescendantFonts [4 0 R] /ToUnicode 6 0 R >>"
            .into(),
    );
    objects.push(
        "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light \
         /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> \
         /FontDescriptor 5 0 R /DW 1000 /W [1 95 500] >>"
            .into(),
    );
    objects.push(
        "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] \
         /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>"
            .into(),
    );
    let cmap = to_unicode();
    objects.push(format!("<< /Length {} >>\nstream\n{cmap}endstream", cmap.len()));
    objects.push(format!("<< /Title {} /Producer (zoufang) >>", hex_title(title)));
    for (i, page) in pages.iter().enumerate() {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] \
             /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            9 + 2 * i
        ));
        objects.push(format!("<< /Length {} >>\nstream\n{}endstream", page.ops.len(), page.ops));
    }
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R /Info 7 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1)
            .as_bytes(),
    );
    out
}

/// A text string for the information dictionary: UTF-16BE with its byte-order mark.
fn hex_title(title: &str) -> String {
    let units: String = title.encode_utf16().map(|u| format!("{u:04X}")).collect();
    format!("<FEFF{units}>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_measured_wrapped_and_encoded() {
        assert_eq!(width("公示ab", 10.0), 30.0);
        assert_eq!(wrap("一二三四五", 10.0, 25.0), vec!["一二", "三四", "五"]);
        assert_eq!(wrap("", 10.0, 25.0), vec![""]);
        assert_eq!(hex("A公𠀀"), "<0041516C003F>");
    }

    #[test]
    fn every_object_is_where_the_cross_reference_table_says() {
        let mut p = Page::default();
        p.centred(800.0, 18.0, "红阳村拟退出贫困户公示名单");
        p.line(50.0, 780.0, 545.0, 780.0);
        let pdf = document("公示名单", &[p.clone(), p]);
        // Offsets count bytes (the header's second line is binary on purpose).
        let text = String::from_utf8_lossy(&pdf);
        assert!(pdf.starts_with(b"%PDF-1.4") && text.ends_with("%%EOF\n"));
        let xref: usize = text.rsplit("startxref\n").next().unwrap().lines().next().unwrap().parse().unwrap();
        let table = std::str::from_utf8(&pdf[xref..]).unwrap();
        assert!(table.starts_with("xref\n0 12\n"), "{}", &table[..20]);
        for (n, line) in table.lines().skip(3).take(11).enumerate() {
            let at: usize = line[..10].parse().unwrap();
            assert!(pdf[at..].starts_with(format!("{} 0 obj", n + 1).as_bytes()), "object {}", n + 1);
        }
    }
}
