//! Reading a roster file into rows of text cells: .xlsx / .xls / .xlsb / .ods through calamine, .csv in
//! UTF-8 or GB18030 (what Excel on a Chinese Windows saves).

use crate::{OfficeError, Result};
use calamine::{Data, Reader};
use std::io::Cursor;

/// Rows of text cells and the spreadsheet row number of the first one.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub first_row: usize,
    pub rows: Vec<Vec<String>>,
}

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

/// Reads the first worksheet (or the CSV), choosing by the file name's extension.
pub fn read(file_name: &str, bytes: Vec<u8>) -> Result<Sheet> {
    let lower = file_name.to_lowercase();
    if lower.ends_with(".csv") || lower.ends_with(".txt") {
        return read_csv(&bytes);
    }
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| OfficeError::Read(format!("不是可识别的 Excel 文件（{e}）")))?;
    let range = book.worksheet_range_at(0).ok_or(OfficeError::Empty)?.map_err(|e| OfficeError::Read(e.to_string()))?;
    let first_row = range.start().map(|(r, _)| r as usize + 1).unwrap_or(1);
    let first_col = range.start().map(|(_, c)| c as usize).unwrap_or(0);
    let rows = range
        .rows()
        .map(|r| {
            let mut cells = vec![String::new(); first_col];
            cells.extend(r.iter().map(text));
            cells
        })
        .collect();
    Ok(Sheet { first_row, rows })
}

fn read_csv(bytes: &[u8]) -> Result<Sheet> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| OfficeError::Read(format!("CSV 格式有误：{e}")))?;
        rows.push(rec.iter().map(|s| s.trim().to_string()).collect());
    }
    Ok(Sheet { first_row: 1, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_in_gb18030_and_utf8() {
        let (gbk, _, _) = encoding_rs::GB18030.encode("户编号,姓名\n001,张三\n");
        let s = read("花名册.csv", gbk.into_owned()).unwrap();
        assert_eq!(s.rows[1], vec!["001", "张三"]);
        let s = read("a.CSV", "\u{feff}户编号,姓名\n\"002\",\"李, 四\"\n".as_bytes().to_vec()).unwrap();
        assert_eq!(s.rows[1], vec!["002", "李, 四"]);
    }

    #[test]
    fn not_a_spreadsheet() {
        assert!(matches!(read("x.xlsx", b"%PDF-1.4".to_vec()), Err(OfficeError::Read(_))));
    }
}
