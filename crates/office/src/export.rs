//! The reports as .xlsx, the way offices keep them: Chinese headers in a frozen first row, columns wide
//! enough to read, numbers stored as numbers (they sum in Excel and WPS).

use crate::plan::RowError;
use crate::{OfficeError, Result};
use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{Color, Format, Workbook, XlsxError};
use std::collections::HashMap;
use zoufang_model::calendar::WorkCalendar;
use zoufang_model::Fen;
use zoufang_store::{IncomeIssue, Store};

impl From<XlsxError> for OfficeError {
    fn from(e: XlsxError) -> Self {
        OfficeError::Write(e.to_string())
    }
}

/// One cell to write.
pub enum Cell {
    Text(String),
    Num(f64),
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}
impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}
impl From<i64> for Cell {
    fn from(n: i64) -> Cell {
        Cell::Num(n as f64)
    }
}
impl From<u32> for Cell {
    fn from(n: u32) -> Cell {
        Cell::Num(f64::from(n))
    }
}
impl From<Option<i64>> for Cell {
    fn from(n: Option<i64>) -> Cell {
        n.map_or(Cell::Empty, Cell::from)
    }
}
impl From<Fen> for Cell {
    /// Yuan with two decimals.
    fn from(f: Fen) -> Cell {
        Cell::Num(f.0 as f64 / 100.0)
    }
}

/// Display width of a text: a Chinese character is two columns wide.
fn width(s: &str) -> f64 {
    s.chars().map(|c| if c.is_ascii() { 1.0 } else { 2.0 }).sum()
}

/// Adds a sheet with a bold, frozen header row and column widths fitted to the content (within bounds).
pub fn add_sheet(book: &mut Workbook, name: &str, headers: &[&str], rows: Vec<Vec<Cell>>) -> Result<()> {
    let head = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xF2E6E4))
        .set_border_bottom(rust_xlsxwriter::FormatBorder::Thin);
    let money = Format::new().set_num_format("0.00");
    let ws = book.add_worksheet();
    ws.set_name(name)?;
    let mut widths: Vec<f64> = headers.iter().map(|h| width(h) + 2.0).collect();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &head)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, col) = (r as u32 + 1, c as u16);
            match cell {
                Cell::Text(s) => {
                    ws.write_string(r, col, s)?;
                    if let Some(w) = widths.get_mut(c) {
                        *w = w.max(width(s) + 2.0);
                    }
                }
                Cell::Num(n) if n.fract() != 0.0 => {
                    ws.write_number_with_format(r, col, *n, &money)?;
                }
                Cell::Num(n) => {
                    ws.write_number(r, col, *n)?;
                }
                Cell::Empty => {}
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, w.clamp(6.0, 60.0))?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// The rejection report of an import: row, column, reason, then the row as it was in the file, with
/// every 身份证号-like number masked unless `full_ids`.
pub(crate) fn rejections_xlsx(
    rejected: &[RowError],
    header: &[String],
    originals: &HashMap<usize, Vec<String>>,
    full_ids: bool,
) -> Result<Vec<u8>> {
    let shown = |t: &str| if full_ids { t.to_string() } else { zoufang_model::id_number::mask_id_numbers(t) };
    let mut book = Workbook::new();
    let mut headers: Vec<&str> = vec!["行号", "列", "原因"];
    headers.extend(header.iter().map(String::as_str));
    let rows = rejected
        .iter()
        .map(|e| {
            let mut row: Vec<Cell> = vec![Cell::Num(e.row as f64), e.column.as_str().into(), shown(&e.reason).into()];
            if let Some(cells) = originals.get(&e.row) {
                row.extend(cells.iter().map(|c| Cell::Text(shown(c))));
            }
            row
        })
        .collect();
    add_sheet(&mut book, "未导入的行", &headers, rows)?;
    Ok(book.save_to_buffer()?)
}

/// The 整改台账 item by item.
fn ledger_rows(store: &Store, today: NaiveDate) -> Result<Vec<Vec<Cell>>> {
    let mut rows = Vec::new();
    for v in store.villages()? {
        for p in store.problem_ledger(v.id, false, today)? {
            rows.push(vec![
                v.name.clone().into(),
                p.household_no.unwrap_or_default().into(),
                p.household_name.unwrap_or_else(|| "全村".into()).into(),
                p.item.source.label().into(),
                p.item.problem.into(),
                p.item.deadline.to_string().into(),
                p.item.status.label().into(),
                if p.overdue { "是" } else { "" }.into(),
                p.item.responsible.unwrap_or_default().into(),
                p.item.evidence.unwrap_or_default().into(),
                p.item.closed_on.map(|d| d.to_string()).unwrap_or_default().into(),
                p.issuer_label.clone().into(),
                steps(&p.reviews).into(),
            ]);
        }
    }
    Ok(rows)
}

/// An item's 销号 steps in one cell: date, who, what, and the note of each.
fn steps(reviews: &[zoufang_model::RectificationReview]) -> String {
    let step = |r: &zoufang_model::RectificationReview| {
        let note = r.note.as_deref().map(|n| format!("：{n}")).unwrap_or_default();
        format!("{} {} {}{note}", r.decided_on, r.actor, r.action.label())
    };
    reviews.iter().map(step).collect::<Vec<_>>().join("；")
}

const LEDGER_HEADERS: &[&str] = &[
    "村",
    "户编号",
    "户主",
    "问题来源",
    "问题描述",
    "整改时限",
    "整改状态",
    "逾期",
    "责任人",
    "整改情况",
    "销号日期",
    "确认销号单位",
    "销号经过",
];

/// The 问题整改台账 as its own workbook.
pub fn ledger_xlsx(store: &Store, today: NaiveDate) -> Result<Vec<u8>> {
    let mut book = Workbook::new();
    add_sheet(&mut book, "问题整改台账", LEDGER_HEADERS, ledger_rows(store, today)?)?;
    Ok(book.save_to_buffer()?)
}

/// The 月报表: a summary per village and one sheet per report, for the month of `today`.
pub fn monthly_report_xlsx(store: &Store, today: NaiveDate, calendar: &WorkCalendar) -> Result<Vec<u8>> {
    let d = store.dashboard(today, calendar)?;
    let mut book = Workbook::new();

    // Summary per village.
    let month_start = today.with_day(1).unwrap_or(today);
    let mut summary = Vec::new();
    for v in store.villages()? {
        let ov = store.village_overview(v.id, today)?;
        let count = |s: zoufang_model::HouseholdStatus| {
            ov.by_status.iter().find(|x| x.status == s).map(|x| x.count).unwrap_or(0)
        };
        let needs = d.needs.villages.iter().find(|n| n.village == v.name);
        let ledger: Vec<_> = d.ledger.iter().filter(|l| l.village == v.name).collect();
        summary.push(vec![
            v.name.clone().into(),
            ov.households.into(),
            count(zoufang_model::HouseholdStatus::Poor).into(),
            count(zoufang_model::HouseholdStatus::Exited).into(),
            (count(zoufang_model::HouseholdStatus::Monitored) + count(zoufang_model::HouseholdStatus::Marginal)).into(),
            (ov.households - ov.not_visited_this_month).into(),
            ov.not_visited_this_month.into(),
            needs.map(|n| n.with_gap).unwrap_or(0).into(),
            ledger.iter().map(|l| l.open).sum::<i64>().into(),
            ledger.iter().map(|l| l.overdue).sum::<i64>().into(),
            ledger.iter().map(|l| l.closed).sum::<i64>().into(),
            ledger.iter().map(|l| l.proposed).sum::<i64>().into(),
        ]);
    }
    add_sheet(
        &mut book,
        "月报表",
        &[
            "村",
            "总户数",
            "未脱贫",
            "已脱贫",
            "监测户/边缘户",
            &format!("{} 月已走访", month_start.month()),
            "本月未走访",
            "两不愁三保障未达标户",
            "未销号问题",
            "逾期问题",
            "已销号问题",
            "待确认销号问题",
        ],
        summary,
    )?;

    let gaps = d
        .needs
        .gaps
        .iter()
        .map(|g| {
            vec![
                g.household.village.as_str().into(),
                g.household.household_no.as_str().into(),
                g.household.head_name.as_str().into(),
                g.visited_on.to_string().into(),
                g.unmet.iter().map(|n| n.label()).collect::<Vec<_>>().join("、").into(),
                g.notes.join("；").into(),
            ]
        })
        .collect();
    add_sheet(&mut book, "两不愁三保障", &["村", "户编号", "户主", "走访日期", "未达标项目", "具体问题"], gaps)?;

    // The rates the offices are assessed on, per village, township and county.
    let pct =
        |r: zoufang_model::assessment::Rate| r.value().map_or(Cell::Empty, |v| Cell::Num((v * 1000.0).round() / 10.0));
    let assessment = d
        .assessment
        .lines
        .iter()
        .map(|l| {
            vec![
                l.level.as_str().into(),
                l.name.as_str().into(),
                pct(l.satisfaction),
                format!("{}/{}", l.satisfaction.count, l.satisfaction.of).as_str().into(),
                pct(l.wrong_entry),
                pct(l.missed),
                pct(l.wrong_exit),
                pct(l.secretary_tour),
                l.recheck_overdue.into(),
            ]
        })
        .collect();
    let headers = [
        "层级",
        "名称",
        "群众满意度(%)",
        "满意/作答",
        "错评率(%)",
        "漏评率(%)",
        "错退率(%)",
        "书记遍访覆盖(%)",
        "回头看逾期户",
    ];
    add_sheet(&mut book, "考核指标", &headers, assessment)?;

    // 帮扶责任人 visit frequency: one row per helper, then one per household each is late for.
    let every = d.helpers.every_days;
    let mut helpers = Vec::new();
    for l in &d.helpers.helpers {
        helpers.push(vec![
            l.village_name.as_str().into(),
            l.helper.name.as_str().into(),
            l.helper.unit.as_deref().unwrap_or("").into(),
            l.frequency.households.into(),
            l.frequency.visited.into(),
            l.frequency.visits.into(),
            l.frequency.overdue().into(),
            Cell::Empty,
        ]);
        for h in &l.overdue {
            let when = match (h.last_visit, h.due_on) {
                (Some(last), Some(due)) => format!("{} {}：上次 {last}，应于 {due} 前", h.household_no, h.head_name),
                _ => format!("{} {}：从未走访", h.household_no, h.head_name),
            };
            helpers.push(vec![
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                when.as_str().into(),
            ]);
        }
    }
    let headers = [
        "村",
        "帮扶责任人",
        "工作单位",
        "帮扶户数",
        &format!("{every}天内已走访户"),
        &format!("{every}天内走访次数"),
        "逾期户数",
        "逾期户",
    ];
    add_sheet(&mut book, "帮扶走访", &headers, helpers)?;

    let coverage = d
        .coverage
        .not_visited
        .iter()
        .map(|(h, last)| {
            vec![
                h.village.as_str().into(),
                h.household_no.as_str().into(),
                h.head_name.as_str().into(),
                last.map(|x| x.to_string()).unwrap_or_else(|| "从未走访".into()).into(),
            ]
        })
        .collect();
    add_sheet(&mut book, "近30天未走访", &["村", "户编号", "户主", "最近走访"], coverage)?;

    let presence = d
        .presence
        .lines
        .iter()
        .map(|l| {
            vec![
                l.village.as_str().into(),
                l.staff_name.as_str().into(),
                l.days_present.into(),
                l.days_verified.into(),
                l.working_days.into(),
                l.required_days.into(),
                if l.meets { "达标" } else { "未达标" }.into(),
                if l.meets_verified { "达标" } else { "未达标" }.into(),
            ]
        })
        .collect();
    let headers = ["村", "驻村人员", "在村天数", "核实在村天数", "工作日", "应在村天数(2/3)", "结论", "按核实天数"];
    add_sheet(&mut book, "在村情况", &headers, presence)?;

    let population = d
        .population
        .iter()
        .map(|m| {
            vec![
                m.household.village.as_str().into(),
                m.household.household_no.as_str().into(),
                m.household.head_name.as_str().into(),
                m.system.into(),
                m.handbook.into(),
                m.card.into(),
                m.actual.into(),
                m.members.into(),
            ]
        })
        .collect();
    add_sheet(
        &mut book,
        "人口核对",
        &["村", "户编号", "户主", "系统人口", "手册人口", "明白卡人口", "实际人口", "家庭成员数"],
        population,
    )?;

    let income = d
        .income
        .iter()
        .map(|l| {
            vec![
                l.household.village.as_str().into(),
                l.household.household_no.as_str().into(),
                l.household.head_name.as_str().into(),
                l.household.status.map(|s| s.label()).unwrap_or("").into(),
                i64::from(l.year).into(),
                Fen(l.per_capita_fen).into(),
                Fen(l.poverty_line_fen).into(),
                match l.issue {
                    IncomeIssue::ExitedBelowLine => "已脱贫但收入低于标准",
                    IncomeIssue::PoorAboveLine => "收入已达标但仍未脱贫",
                }
                .into(),
            ]
        })
        .collect();
    add_sheet(
        &mut book,
        "收入核对",
        &["村", "户编号", "户主", "户状态", "测算年度", "人均纯收入(元)", "扶贫标准(元)", "问题"],
        income,
    )?;

    add_sheet(&mut book, "问题整改台账", LEDGER_HEADERS, ledger_rows(store, today)?)?;
    Ok(book.save_to_buffer()?)
}
