//! Reading an office file row by row: the register's roster today, the departments' lists (医保, 民政,
//! 教育, keyed by 身份证号) for 防返贫 monitoring later. .xlsx and .xlsb are streamed cell by cell
//! (calamine's cell readers), .csv record by record in UTF-8 or GB18030 (what Excel on a Chinese
//! Windows saves); .xls, whose reader builds the whole sheet, is first scanned for the extent its cells
//! really cover.
//!
//! Rules, and why:
//! - Memory follows the file's content, never the size a sheet claims: an empty cell is skipped
//!   wherever it sits, so one blank cell at XFD1048576 costs nothing, and only rows holding text are
//!   handed on.
//! - A row holds at most [`MAX_COLUMNS`] columns and a file at most [`MAX_ROWS`] rows with content; text
//!   beyond either is refused with its place named, not cut off silently (a cut-off roster would lose
//!   members without anyone noticing).
//! - .ods is refused with a way out (calamine expands its repeated rows and columns into memory).

use crate::{OfficeError, Result};
use calamine::{Data, DataRef, Reader};
use std::io::{Cursor, Read};

/// Columns read per row. A roster has about 20, a department list rarely more than 60.
pub const MAX_COLUMNS: usize = 200;
/// Rows with content read per file: a county's roster (about 60,000 households, 200,000 people) fits.
pub const MAX_ROWS: usize = 300_000;
/// Cells the .xls reader may lay out in memory (it builds the whole sheet): 65,536 rows of 30 columns.
const MAX_XLS_CELLS: u64 = 65_536 * 30;

/// A cell as text: whole numbers without ".0" (户编号 and phone numbers are often stored as numbers),
/// dates as YYYY-MM-DD.
fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        Data::DateTime(dt) => dt.as_datetime().map(|t| t.date().to_string()).unwrap_or_default(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.chars().take(10).collect(),
        Data::Error(_) | Data::Empty => String::new(),
    }
}

/// A streamed cell as text, as [`text`] reads it.
fn text_ref(d: &DataRef<'_>) -> String {
    match d {
        DataRef::SharedString(s) => s.trim().to_string(),
        DataRef::Empty => String::new(),
        other => text(&Data::from(other.clone())),
    }
}

/// Excel's name of a column: 0 → A, 25 → Z, 26 → AA, 16383 → XFD.
pub fn column_letters(mut c: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// Gathers cells into rows and hands each row with content on, enforcing the limits.
struct Rows<'f> {
    row: Option<u32>,
    cells: Vec<String>,
    handed: usize,
    emit: &'f mut dyn FnMut(usize, Vec<String>) -> Result<()>,
}

impl<'f> Rows<'f> {
    fn new(emit: &'f mut dyn FnMut(usize, Vec<String>) -> Result<()>) -> Self {
        Rows { row: None, cells: Vec::new(), handed: 0, emit }
    }

    /// A cell at (row, column), 0-based, in the file's order (rows ascending).
    fn cell(&mut self, row: u32, col: u32, value: String) -> Result<()> {
        if value.is_empty() {
            return Ok(());
        }
        match self.row {
            Some(r) if r == row => {}
            Some(r) if r > row => {
                return Err(OfficeError::Read(format!("第 {} 行出现在第 {} 行之后：文件已损坏", row + 1, r + 1)))
            }
            _ => {
                self.flush()?;
                self.row = Some(row);
            }
        }
        let col = col as usize;
        if col >= MAX_COLUMNS {
            return Err(OfficeError::TooManyColumns { row: row as usize + 1, column: column_letters(col) });
        }
        if self.cells.len() <= col {
            self.cells.resize(col + 1, String::new());
        }
        self.cells[col] = value;
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if let Some(row) = self.row.take() {
            self.handed += 1;
            if self.handed > MAX_ROWS {
                return Err(OfficeError::TooManyRows);
            }
            (self.emit)(row as usize + 1, std::mem::take(&mut self.cells))?;
        }
        Ok(())
    }
}

/// Calls `row` for every row holding text, in order, with its spreadsheet row number (1-based, as
/// Excel shows it) and its cells as text (empty strings for blank cells before the last filled one).
/// Reads the first worksheet, or the CSV, choosing by the file name's extension. An error from `row`
/// stops the reading and is returned.
pub fn for_each_row(
    file_name: &str,
    bytes: &[u8],
    row: &mut dyn FnMut(usize, Vec<String>) -> Result<()>,
) -> Result<()> {
    let lower = file_name.to_lowercase();
    let mut rows = Rows::new(row);
    if lower.ends_with(".csv") || lower.ends_with(".txt") {
        read_csv(bytes, &mut rows)?;
    } else if lower.ends_with(".ods") {
        return Err(OfficeError::Unsupported("ods".into()));
    } else if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        read_xls(bytes, &mut rows)?;
    } else if lower.ends_with(".xlsb") {
        let mut book = calamine::Xlsb::new(Cursor::new(bytes)).map_err(not_excel)?;
        let name = book.sheet_names().first().cloned().ok_or(OfficeError::Empty)?;
        let mut cells = book.worksheet_cells_reader(&name).map_err(|e| OfficeError::Read(e.to_string()))?;
        while let Some(c) = cells.next_cell().map_err(|e| OfficeError::Read(e.to_string()))? {
            rows.cell(c.get_position().0, c.get_position().1, text_ref(c.get_value()))?;
        }
    } else {
        let mut book = calamine::Xlsx::new(Cursor::new(bytes)).map_err(not_excel)?;
        let name = book.sheet_names().first().cloned().ok_or(OfficeError::Empty)?;
        let mut cells = book.worksheet_cells_reader(&name).map_err(|e| OfficeError::Read(e.to_string()))?;
        while let Some(c) = cells.next_cell().map_err(|e| OfficeError::Read(e.to_string()))? {
            rows.cell(c.get_position().0, c.get_position().1, text_ref(c.get_value()))?;
        }
    }
    rows.flush()
}

fn not_excel(e: impl std::fmt::Display) -> OfficeError {
    OfficeError::Read(format!("不是可识别的 Excel 文件（{e}）"))
}

fn read_csv(bytes: &[u8], rows: &mut Rows<'_>) -> Result<()> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => encoding_rs::GB18030.decode(bytes).0,
    };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut row = 0u32;
    while reader.read_record(&mut record).map_err(|e| OfficeError::Read(format!("CSV 格式有误：{e}")))? {
        for (col, cell) in record.iter().enumerate() {
            let cell = cell.trim();
            if !cell.is_empty() {
                rows.cell(row, col.min(u32::MAX as usize) as u32, cell.to_string())?;
            }
        }
        row += 1;
    }
    Ok(())
}

/// .xls: calamine lays out every worksheet whole when the file is opened, sized by the cells' extent and
/// by each sheet's DIMENSIONS record, so both are checked first from the file's own records.
fn read_xls(bytes: &[u8], rows: &mut Rows<'_>) -> Result<()> {
    check_xls_extent(bytes)?;
    let mut book = calamine::Xls::new(Cursor::new(bytes)).map_err(not_excel)?;
    let range = book.worksheet_range_at(0).ok_or(OfficeError::Empty)?.map_err(|e| OfficeError::Read(e.to_string()))?;
    for (r, c, v) in range.used_cells() {
        let (r0, c0) = range.start().unwrap_or((0, 0));
        rows.cell(r0 + r as u32, c0 + c as u32, text(v))?;
    }
    Ok(())
}

/// Reads the BIFF8 records of an .xls workbook stream and refuses a sheet whose cells, or whose
/// DIMENSIONS record, span more than the limits: more than [`MAX_COLUMNS`] columns, more than the
/// format's 65,536 rows, or a layout of more than [`MAX_XLS_CELLS`] cells that its cells do not fill.
fn check_xls_extent(bytes: &[u8]) -> Result<()> {
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(not_excel)?;
    let name = ["/Workbook", "/Book"].into_iter().find(|n| file.is_stream(n)).ok_or_else(|| not_excel("无工作簿"))?;
    let mut stream = Vec::new();
    file.open_stream(name).and_then(|mut s| s.read_to_end(&mut stream)).map_err(not_excel)?;
    let mut at = 0usize;
    let (mut lo, mut hi, mut filled) = ((u32::MAX, u32::MAX), (0u32, 0u32), 0u64);
    let check = |lo: (u32, u32), hi: (u32, u32), filled: u64| -> Result<()> {
        if lo.0 > hi.0 {
            return Ok(());
        }
        if hi.1 as usize >= MAX_COLUMNS {
            return Err(OfficeError::TooManyColumns { row: hi.0 as usize + 1, column: column_letters(hi.1 as usize) });
        }
        if hi.0 >= 65_536 {
            return Err(OfficeError::Read("文件已损坏：行号超出 .xls 格式的 65,536 行".into()));
        }
        let laid_out = (hi.0 - lo.0 + 1) as u64 * (hi.1 - lo.1 + 1) as u64;
        if laid_out > MAX_XLS_CELLS && laid_out > 2 * filled {
            return Err(OfficeError::StrayCell { row: hi.0 as usize + 1, column: column_letters(hi.1 as usize) });
        }
        Ok(())
    };
    while at + 4 <= stream.len() {
        let typ = u16::from_le_bytes([stream[at], stream[at + 1]]);
        let len = u16::from_le_bytes([stream[at + 2], stream[at + 3]]) as usize;
        let data = stream.get(at + 4..at + 4 + len).ok_or_else(|| not_excel("记录被截断"))?;
        at += 4 + len;
        let u16_at = |i: usize| data.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]) as u32);
        let u32_at = |i: usize| data.get(i..i + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        match typ {
            // BOF: a new substream; EOF: the end of one.
            0x0809 | 0x000A => {
                check(lo, hi, filled)?;
                (lo, hi, filled) = ((u32::MAX, u32::MAX), (0, 0), 0);
            }
            // DIMENSIONS (BIFF8): first row, last row + 1, first column, last column + 1.
            0x0200 => {
                if let (Some(r0), Some(r1), Some(c0), Some(c1)) = (u32_at(0), u32_at(4), u16_at(8), u16_at(10)) {
                    if r1 > r0 && c1 > c0 {
                        check((r0, c0), (r1 - 1, c1 - 1), u64::MAX / 4)?;
                    }
                }
            }
            // Cells with a value: NUMBER, LABEL, RSTRING, BOOLERR, RK, LABELSST, FORMULA; MULRK spans
            // columns (its last column closes the record).
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 | 0x00BD => {
                let (Some(r), Some(c)) = (u16_at(0), u16_at(2)) else { continue };
                let last = if typ == 0x00BD { u16_at(len.saturating_sub(2)).unwrap_or(c) } else { c };
                lo = (lo.0.min(r), lo.1.min(c));
                hi = (hi.0.max(r), hi.1.max(last));
                filled += (last.saturating_sub(c) + 1) as u64;
            }
            _ => {}
        }
    }
    check(lo, hi, filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_rows(name: &str, bytes: Vec<u8>) -> Result<Vec<(usize, Vec<String>)>> {
        let mut out = Vec::new();
        for_each_row(name, &bytes, &mut |r, cells| {
            out.push((r, cells));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn csv_in_gb18030_and_utf8() {
        let (gbk, _, _) = encoding_rs::GB18030.encode("户编号,姓名\n001,张三\n");
        let s = all_rows("花名册.csv", gbk.into_owned()).unwrap();
        assert_eq!(s[1], (2, vec!["001".to_string(), "张三".to_string()]));
        let s = all_rows("a.CSV", "\u{feff}户编号,姓名\n,\n\"002\",\"李, 四\"\n".as_bytes().to_vec()).unwrap();
        assert_eq!(s[1], (3, vec!["002".to_string(), "李, 四".to_string()]), "a blank row is skipped, numbers kept");
    }

    #[test]
    fn not_a_spreadsheet() {
        assert!(matches!(all_rows("x.xlsx", b"%PDF-1.4".to_vec()), Err(OfficeError::Read(_))));
        assert!(matches!(all_rows("x.xls", b"\xD0\xCF\x11\xE0garbage".to_vec()), Err(OfficeError::Read(_))));
        assert!(matches!(all_rows("x.ods", b"PK".to_vec()), Err(OfficeError::Unsupported(_))));
    }

    #[test]
    fn columns_and_rows_beyond_the_limits_are_refused_where_they_are() {
        let wide = format!("户编号{}x\n", ",".repeat(MAX_COLUMNS));
        match all_rows("a.csv", wide.into_bytes()) {
            Err(OfficeError::TooManyColumns { row: 1, column }) => assert_eq!(column, column_letters(MAX_COLUMNS)),
            other => panic!("{other:?}"),
        }
        let blank_far_right = format!("户编号{}\n", ",".repeat(MAX_COLUMNS + 5));
        assert_eq!(all_rows("a.csv", blank_far_right.into_bytes()).unwrap().len(), 1, "blank cells cost nothing");
        let long = "1\n".repeat(MAX_ROWS + 1);
        assert!(matches!(all_rows("a.csv", long.into_bytes()), Err(OfficeError::TooManyRows)));
    }

    /// An .xls container holding one worksheet substream of the given records.
    fn xls(records: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut stream = Vec::new();
        for (typ, data) in [(0x0809u16, vec![0, 6, 0x10, 0])].iter().chain(records).chain(&[(0x000A, vec![])]) {
            stream.extend(typ.to_le_bytes());
            stream.extend((data.len() as u16).to_le_bytes());
            stream.extend(data);
        }
        let mut file = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
        std::io::Write::write_all(&mut file.create_stream("/Workbook").unwrap(), &stream).unwrap();
        file.flush().unwrap();
        file.into_inner().into_inner()
    }
    /// A NUMBER record at (row, column).
    fn number(row: u16, col: u16) -> (u16, Vec<u8>) {
        let mut d = row.to_le_bytes().to_vec();
        d.extend(col.to_le_bytes());
        d.extend([0u8; 10]);
        (0x0203, d)
    }

    #[test]
    fn an_xls_sheet_is_measured_before_it_is_laid_out() {
        let far_right = xls(&[number(0, 0), number(65_535, 255)]);
        match check_xls_extent(&far_right) {
            Err(OfficeError::TooManyColumns { row: 65_536, column }) => assert_eq!(column, "IV"),
            other => panic!("{other:?}"),
        }
        let stray = xls(&[number(0, 0), number(1, 3), number(60_000, 150)]);
        match check_xls_extent(&stray) {
            Err(OfficeError::StrayCell { row: 60_001, column }) => assert_eq!(column, "EU"),
            other => panic!("{other:?}"),
        }
        let mut claim = Vec::new();
        for v in [0u32, 4_000_000] {
            claim.extend(v.to_le_bytes());
        }
        claim.extend([0u8, 0, 10, 0, 0, 0]);
        assert!(matches!(check_xls_extent(&xls(&[(0x0200, claim)])), Err(OfficeError::Read(_))), "claimed rows");
        let dense: Vec<_> = (0..2000u16).flat_map(|r| (0..12u16).map(move |c| number(r, c))).collect();
        check_xls_extent(&xls(&dense)).expect("a full sheet is read whatever its size");
    }

    #[test]
    fn column_names_as_excel_writes_them() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(18), "S");
        assert_eq!(column_letters(16_383), "XFD");
    }
}
