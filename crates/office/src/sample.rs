//! A generated register roster (.xlsx) with deliberate errors at known places, and the exact counts an
//! import must arrive at. For the import tests and the import benchmark.

use crate::Result;
use chrono::NaiveDate;
use rust_xlsxwriter::{Format, FormatAlign, Workbook};
use zoufang_model::IdNumber;

/// What the generated file holds and what a correct import makes of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub rows: usize,
    pub rows_rejected: usize,
    pub households_imported: usize,
    pub households_rejected: usize,
    pub members_imported: usize,
}

const SURNAMES: &[&str] = &["张", "王", "李", "杨", "吴", "龙", "潘", "欧", "邰", "万", "刘", "陈"];
const GIVEN: &[&str] =
    &["秀英", "金花", "国强", "建华", "小红", "志明", "海燕", "德贵", "春梅", "文斌", "光荣", "玉兰"];

fn name(k: usize) -> String {
    format!("{}{}", SURNAMES[k % SURNAMES.len()], GIVEN[(k / SURNAMES.len()) % GIVEN.len()])
}

fn id_number(k: usize) -> String {
    let birth = NaiveDate::from_ymd_opt(1950, 1, 1).expect("date") + chrono::Duration::days((k / 900) as i64 * 3);
    IdNumber::compose(522630, birth, (k % 900 + 100) as u16).to_string()
}

/// A roster of `households` households across `villages`, one row per member (2–5 members), under a
/// merged title row and a row of merged group headers. Household `i` carries an error when `i % 50` is
/// 7 (a member's 身份证号 has a wrong check digit), 13 (a member repeats the previous household's
/// 身份证号), 19 (the 户主 row is missing), 23 (a member's 村 is unknown) or 29 (a member's 姓名 is blank);
/// such a household is refused whole, every one of its rows.
pub fn roster(villages: &[String], households: usize) -> Result<(Vec<u8>, Expected)> {
    let headers = [
        "户编号",
        "村",
        "村民小组",
        "姓名",
        "与户主关系",
        "身份证号码",
        "性别",
        "健康状况",
        "劳动技能",
        "文化程度",
        "在校生状况",
        "贫困户属性",
        "致贫原因",
        "脱贫年度",
        "联系电话",
    ];
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut exp =
        Expected { rows: 0, rows_rejected: 0, households_imported: 0, households_rejected: 0, members_imported: 0 };
    let mut k = 0usize; // person counter
    let mut prev_second_id = String::new();
    for i in 0..households {
        let village = &villages[i % villages.len()];
        let no = format!("52263010{:02}{:06}", i % villages.len(), i);
        let size = 2 + (i * 7) % 4;
        let kind = i % 50;
        let mut written = 0;
        for m in 0..size {
            let person = k;
            k += 1;
            if kind == 19 && m == 0 {
                continue; // no 户主 row
            }
            let mut id = id_number(person);
            let mut village_cell = village.clone();
            let mut name_cell = name(person);
            if m == 1 {
                match kind {
                    7 => {
                        let last = if id.ends_with('0') { '1' } else { '0' };
                        id = format!("{}{last}", &id[..17]);
                    }
                    13 => {
                        id = prev_second_id.clone();
                    }
                    23 => {
                        village_cell = "不存在村".into();
                    }
                    29 => {
                        name_cell = String::new();
                    }
                    _ => {}
                }
                if kind != 13 {
                    prev_second_id = id.clone();
                }
            }
            let relation = match m {
                0 => "户主",
                1 => "配偶",
                2 | 3 => "之子",
                _ => "之母",
            };
            rows.push(vec![
                no.clone(),
                village_cell,
                format!("{}组", ["一", "二", "三", "四", "五"][i % 5]),
                name_cell,
                relation.into(),
                id,
                String::new(),
                ["健康", "长期慢性病", "残疾", "健康"][person % 4].into(),
                ["普通劳动力", "弱劳动力或半劳动力", "无劳动力", "普通劳动力"][person % 4].into(),
                if m >= 2 {
                    "小学"
                } else {
                    ["文盲或半文盲", "初中", "高中（含中专、职高）", "小学"][person % 4]
                }
                .into(),
                if m >= 2 { "小学" } else { "非在校生" }.into(),
                ["一般贫困户", "低保贫困户", "特困供养贫困户"][i % 3].into(),
                ["因病", "因残、缺技术", "缺资金、因婚", "因学"][i % 4].into(),
                if i % 3 == 0 { String::new() } else { format!("{}", 2016 + i % 5) },
                format!("139{:08}", person),
            ]);
            exp.rows += 1;
            written += 1;
        }
        if matches!(kind, 7 | 13 | 19 | 23 | 29) {
            exp.rows_rejected += written;
            exp.households_rejected += 1;
        } else {
            exp.households_imported += 1;
            exp.members_imported += written;
        }
    }
    // The register's title and group headers above the column names, in merged cells.
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name("花名册")?;
    let centre = Format::new().set_align(FormatAlign::Center).set_bold();
    ws.merge_range(0, 0, 0, headers.len() as u16 - 1, "台江县建档立卡贫困人口花名册", &centre)?;
    ws.merge_range(1, 0, 1, 4, "户信息", &centre)?;
    ws.merge_range(1, 5, 1, headers.len() as u16 - 1, "家庭成员信息", &centre)?;
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(2, c as u16, *h)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32 + 3, c as u16, v)?;
            }
        }
    }
    Ok((book.save_to_buffer()?, exp))
}

/// `xlsx` with `row_xml` (a `<row>` element, written as Excel writes one) added at the end of its first
/// sheet's data: how the malformed files of the tests and the benchmark get cells no writer library
/// would write, such as an empty text cell at S1048576.
pub fn with_row(xlsx: &[u8], row_xml: &str) -> Result<Vec<u8>> {
    use std::io::{Read, Write};
    let fail = |e: &dyn std::fmt::Display| crate::OfficeError::Write(e.to_string());
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).map_err(|e| fail(&e))?;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| fail(&e))?;
        let name = entry.name().map_err(|e| fail(&e))?.to_string();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).map_err(|e| fail(&e))?;
        if name == "xl/worksheets/sheet1.xml" {
            let xml = String::from_utf8(content).map_err(|e| fail(&e))?;
            content = xml.replacen("</sheetData>", &format!("{row_xml}</sheetData>"), 1).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default()).map_err(|e| fail(&e))?;
        out.write_all(&content).map_err(|e| fail(&e))?;
    }
    Ok(out.finish().map_err(|e| fail(&e))?.into_inner())
}
