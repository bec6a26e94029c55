//! The office reports over the villages this device holds: shown as text or JSON (`report`), or
//! written as .xlsx the way offices keep them (`export`).
//!
//! Rules, and why:
//! - The figures are the store's (`Store::report_*`), the same the app's 报表 and the server's
//!   `admin report` show; this module only picks the report and writes its lines. With `--json` the
//!   store's report is printed as it is, for scripts and tests to compare.
//! - Everything is computed from what this device holds: offline, and only as complete as the last
//!   sync.
//! - Working days are the national calendar's; in a month whose holidays it does not know only
//!   weekends are taken off, and the presence report says so.

use crate::context::Ctx;
use anyhow::{anyhow, Context, Result};
use chrono::{Datelike, NaiveDate};
use clap::{Args, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use zoufang_model::assessment::{CorrectionKind, Rate, ERROR_RATE_LIMIT, SATISFACTION_GOAL};
use zoufang_model::calendar::WorkCalendar;
use zoufang_model::Fen;
use zoufang_store::{
    Assessment, CoverageReport, Finding, IncomeIssue, IncomeLine, InspectionCoverage, LedgerLine, NeedsReport,
    PopulationMismatch, PresenceReport, Store,
};

#[derive(Subcommand)]
pub enum Cmd {
    /// Write a report as .xlsx: `monthly` (月报表, every report on its own sheet) or `ledger` (整改台账);
    /// or a village's `publicity` list (拟退出户公示名单, with --village) as .xlsx or, with a .pdf file
    /// name, a printable PDF.
    Export {
        #[arg(value_enum)]
        kind: ExportKind,
        #[arg(long)]
        out: PathBuf,
        /// For `publicity`: the village's id or 12-digit division code.
        #[arg(long)]
        village: Option<String>,
    },
    /// A policy report over the villages this device holds: needs (两不愁三保障 gaps), coverage (not
    /// visited in 30 days), presence (days in the village against 2/3 of working days, --month YYYY-MM),
    /// population (系统/手册/实际人口 mismatches), income (status against the latest 收支测算), ledger (整改台账).
    Report(ReportArgs),
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportKind {
    Monthly,
    Ledger,
    Publicity,
}

#[derive(Args)]
pub struct ReportArgs {
    #[arg(value_enum)]
    kind: ReportKind,
    /// For `presence`: the month, default this month.
    #[arg(long)]
    month: Option<String>,
    /// For `coverage`: the window in days.
    #[arg(long, default_value_t = 30)]
    days: i64,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ReportKind {
    Needs,
    Coverage,
    Presence,
    Population,
    Income,
    Ledger,
    /// 督查暗访 coverage of the county this year (county office, inspectors): 60% of poor households,
    /// every 贫困村 and every other village with 20 or more poor households.
    Inspections,
    /// The rates the offices are assessed on this year, per village, township and county: 群众满意度
    /// (goal 90%), 错评率 / 漏评率 / 错退率 (limit 2%), 书记遍访 coverage, 回头看 overdue; then the
    /// households behind them.
    Assessment,
}

pub fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    let store = ctx.open()?;
    match cmd {
        Cmd::Export { kind, out, village } => export(&store, kind, &out, village.as_deref()),
        Cmd::Report(args) => report(ctx, &store, args),
    }
}

/// Writes the .xlsx; prints where (text even with `--json`: the file is the result).
fn export(store: &Store, kind: ExportKind, path: &Path, village: Option<&str>) -> Result<()> {
    let today = chrono::Local::now().date_naive();
    let bytes = match kind {
        ExportKind::Monthly => zoufang_office::export::monthly_report_xlsx(store, today, &WorkCalendar::national())?,
        ExportKind::Ledger => zoufang_office::export::ledger_xlsx(store, today)?,
        ExportKind::Publicity => {
            let key = village.ok_or_else(|| anyhow!("公示名单须用 --village 指明哪个村"))?;
            let v = crate::input::find_village(store, key)?;
            let list = store.publicity_list(v.id, today)?;
            match path.extension().and_then(|e| e.to_str()) {
                Some("pdf") => zoufang_office::publicity::publicity_pdf(&list),
                _ => zoufang_office::publicity::publicity_xlsx(&list)?,
            }
        }
    };
    std::fs::write(path, bytes).with_context(|| format!("无法写入 {}", path.display()))?;
    println!("已写入 {}", path.display());
    Ok(())
}

fn report(ctx: &Ctx, store: &Store, args: ReportArgs) -> Result<()> {
    let ReportArgs { kind, month, days } = args;
    let today = chrono::Local::now().date_naive();
    match kind {
        ReportKind::Needs => ctx.out(&store.report_needs()?, needs_text),
        ReportKind::Inspections => ctx.out(&store.report_inspection_coverage(today.year())?, inspections_text),
        ReportKind::Assessment => ctx.out(&store.report_assessment(today)?, assessment_text),
        ReportKind::Coverage => ctx.out(&store.report_coverage(today, days)?, coverage_text),
        ReportKind::Presence => {
            let (year, mon) = report_month(month.as_deref(), today)?;
            ctx.out(&store.report_presence(year, mon, &WorkCalendar::national())?, presence_text)
        }
        ReportKind::Population => ctx.out(&store.report_population()?, |r| population_text(r)),
        ReportKind::Income => ctx.out(&store.report_income()?, |r| income_text(r)),
        ReportKind::Ledger => ctx.out(&store.report_ledger(today)?, |r| ledger_text(r)),
    }
}

/// `--month YYYY-MM`, or this month.
fn report_month(month: Option<&str>, today: NaiveDate) -> Result<(i32, u32)> {
    Ok(match month {
        Some(m) => {
            let (y, mo) = m.split_once('-').ok_or_else(|| anyhow!("月份应写作 YYYY-MM，如 2026-10"))?;
            (y.parse().context("年份无效")?, mo.parse().context("月份无效")?)
        }
        None => (today.year(), today.month()),
    })
}

fn needs_text(r: &NeedsReport) -> String {
    let mut lines: Vec<String> =
        r.villages.iter().map(|v| format!("{}：{} 户，{} 户有未达标项", v.village, v.households, v.with_gap)).collect();
    for g in &r.gaps {
        lines.push(format!(
            "  {} {} {}（{} 走访）：{}",
            g.household.village,
            g.household.household_no,
            g.household.head_name,
            g.visited_on,
            g.notes.join("；")
        ));
    }
    lines.join("\n")
}

fn inspections_text(r: &InspectionCoverage) -> String {
    let mut lines = vec![format!(
        "{} 年督查暗访：贫困户 {} 户中已暗访 {} 户，应不少于 {} 户（60%）——{}",
        r.year,
        r.poor_households,
        r.inspected,
        r.required,
        if r.meets_share { "达标" } else { "未达标" }
    )];
    for v in &r.villages {
        lines.push(format!(
            "  {}{}：贫困户 {} 户，已暗访 {} 户{}",
            v.village,
            if v.poor_village { "（贫困村）" } else { "" },
            v.poor_households,
            v.inspected,
            if v.must_cover && v.inspections == 0 { "（须全覆盖，尚未暗访）" } else { "" }
        ));
    }
    lines.join("\n")
}

fn coverage_text(r: &CoverageReport) -> String {
    let mut lines = vec![format!(
        "{} 以来：{} 户中 {} 户已走访，{} 户未走访",
        r.since,
        r.households,
        r.visited,
        r.not_visited.len()
    )];
    for (h, last) in &r.not_visited {
        let last = last.map(|d| d.to_string()).unwrap_or_else(|| "从未走访".into());
        lines.push(format!("  {} {} {}（上次 {last}）", h.village, h.household_no, h.head_name));
    }
    lines.join("\n")
}

fn presence_text(r: &PresenceReport) -> String {
    let mut lines = vec![format!("{} 年 {} 月在村情况", r.year, r.month)];
    if !r.calendar_known {
        lines.push("（节假日安排未知，只扣除周末）".into());
    }
    for l in &r.lines {
        lines.push(format!(
            "  {} {}：在村 {} 天（核实 {} 天），应 {} 天（{} 个工作日的 2/3）{}",
            l.village,
            l.staff_name,
            l.days_present,
            l.days_verified,
            l.required_days,
            l.working_days,
            if l.meets { "" } else { "  未达标" }
        ));
    }
    lines.join("\n")
}

fn population_text(r: &[PopulationMismatch]) -> String {
    let opt = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_else(|| "—".into());
    let mut lines = vec![format!("人口数不一致：{} 户", r.len())];
    for m in r {
        lines.push(format!(
            "  {} {} {}：系统 {}，手册 {}，明白卡 {}，实际 {}（成员 {} 人）",
            m.household.village,
            m.household.household_no,
            m.household.head_name,
            opt(m.system),
            opt(m.handbook),
            opt(m.card),
            opt(m.actual),
            m.members
        ));
    }
    lines.join("\n")
}

fn income_text(r: &[IncomeLine]) -> String {
    let mut lines = vec![format!("收入与户状态不符：{} 户", r.len())];
    for l in r {
        let why = match l.issue {
            IncomeIssue::ExitedBelowLine => "已脱贫但低于标准",
            IncomeIssue::PoorAboveLine => "已达标但仍未脱贫",
        };
        lines.push(format!(
            "  {} {} {}：{} 年人均 {} 元，标准 {} 元 —— {why}",
            l.household.village,
            l.household.household_no,
            l.household.head_name,
            l.year,
            Fen(l.per_capita_fen),
            Fen(l.poverty_line_fen)
        ));
    }
    lines.join("\n")
}

fn rate(r: Rate) -> String {
    r.value().map_or("—".to_string(), |v| format!("{:.1}%（{}/{}）", v * 100.0, r.count, r.of))
}

fn assessment_text(a: &Assessment) -> String {
    let mut lines = vec![format!(
        "{} 年  满意度（≥{:.0}%）  错评率 / 漏评率 / 错退率（≤{:.0}%）  书记遍访  回头看逾期",
        a.year,
        SATISFACTION_GOAL * 100.0,
        ERROR_RATE_LIMIT * 100.0
    )];
    for l in &a.lines {
        lines.push(format!(
            "{} {}  {}  {} / {} / {}  {}  {}",
            l.level,
            l.name,
            rate(l.satisfaction),
            rate(l.wrong_entry),
            rate(l.missed),
            rate(l.wrong_exit),
            rate(l.secretary_tour),
            l.recheck_overdue
        ));
    }
    for h in &a.households {
        let what = match &h.finding {
            Finding::Corrected { correction, on, reason } => {
                let kind = match correction {
                    CorrectionKind::WrongEntry => "错评",
                    CorrectionKind::Missed => "漏评",
                    CorrectionKind::WrongExit => "错退",
                    CorrectionKind::Other => "纠错",
                };
                format!("{kind}（{on} 县级纠错：{}）", reason.as_deref().unwrap_or(""))
            }
            Finding::Dissatisfied { on } => format!("不满意（{on} 走访）"),
            Finding::NoSecretaryTour => "今年尚无书记遍访".into(),
            Finding::RecheckDue { due_on, overdue } => {
                format!("回头看{}（{due_on}）", if *overdue { "已逾期" } else { "将到期" })
            }
        };
        lines.push(format!("  {} {} {}  {what}", h.household.village, h.household.household_no, h.household.head_name));
    }
    lines.join("\n")
}

fn ledger_text(r: &[LedgerLine]) -> String {
    let mut lines = vec!["村  来源  未销号  逾期  待确认销号  已销号".to_string()];
    for l in r {
        let (open, overdue, proposed, closed) = (l.open, l.overdue, l.proposed, l.closed);
        lines.push(format!("{}  {}  {open}  {overdue}  {proposed}  {closed}", l.village, l.source.label()));
    }
    lines.join("\n")
}
