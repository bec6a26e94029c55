//! Importing a register roster (花名册: .xlsx, .xls or .csv, one row per member) into this device, the
//! way county and township offices bring their Excel registers in.
//!
//! Rules, and why:
//! - What to import and how is `zoufang_office`'s: households are created or brought up to date whole
//!   or not at all, and importing the same file again changes nothing. This module reads the file,
//!   reports progress and writes the report of rejected rows.
//! - Rejected rows go to a report (.xlsx) the office can correct and import again; its 身份证号 are
//!   masked unless `--full-ids`, as a report is passed around more than the register.
//! - Progress goes to stderr and only without `--json`: a large register takes minutes.

use crate::context::Ctx;
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use zoufang_office::{ImportProgress, ImportSummary};

#[derive(Subcommand)]
pub enum Cmd {
    /// Import a register roster (.xlsx, .xls or .csv; one row per member). Valid households are created
    /// or brought up to date; rejected rows are listed and written to a report (.xlsx). Importing the
    /// same file again changes nothing.
    Import(ImportArgs),
}

#[derive(Args)]
pub struct ImportArgs {
    file: PathBuf,
    /// Where to write the report of rejected rows (default: next to the file, *.未导入.xlsx). Its
    /// 身份证号 are masked as lists show them unless --full-ids.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Write the full 身份证号 into the report, to correct them.
    #[arg(long)]
    full_ids: bool,
}

pub fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    let mut store = ctx.open()?;
    let Cmd::Import(ImportArgs { file, report, full_ids }) = cmd;
    let bytes = std::fs::read(&file).with_context(|| format!("无法读取 {}", file.display()))?;
    let name = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let today = chrono::Local::now().date_naive();
    let mut progress = Progress::default();
    let (s, rejected) = zoufang_office::import_roster(&mut store, &name, bytes, today, &mut |p| {
        if !ctx.json {
            progress.show(p);
        }
    })?;
    let report_path = match rejected {
        Some(rejected) => {
            let path = report.unwrap_or_else(|| file.with_extension("未导入.xlsx"));
            std::fs::write(&path, rejected.xlsx(full_ids)?).with_context(|| format!("无法写入 {}", path.display()))?;
            Some(path)
        }
        None => None,
    };
    ctx.out(&s, |s| summary_text(s, report_path.as_deref()))
}

/// Progress on stderr: rows read so far while the file is read (its length is known only at its end),
/// then every tenth of the households written.
#[derive(Default)]
struct Progress {
    /// The last tenth shown while writing.
    last: u8,
}

impl Progress {
    fn show(&mut self, p: ImportProgress) {
        if p.phase == 1 {
            // How many rows a file holds is known only at its end.
            if p.done.is_multiple_of(20_000) {
                eprintln!("已读取并核对 {} 行", p.done);
            }
            return;
        }
        let pct = (p.done * 100).checked_div(p.total).unwrap_or(100);
        let bucket = 10 + (pct / 10) as u8;
        if bucket != self.last {
            self.last = bucket;
            eprintln!("写入 {pct}%（{}/{} 户）", p.done, p.total);
        }
    }
}

/// What the import did, the first 20 problems and where the report went.
fn summary_text(s: &ImportSummary, report_path: Option<&Path>) -> String {
    let mut lines = vec![format!(
        "读取 {} 行：导入 {} 行，拒绝 {} 行（{} 户整户未导入）。新建 {} 户、{} 人；更新 {} 户、{} 人。用时 {:.1} 秒",
        s.rows,
        s.rows_imported,
        s.rows_rejected,
        s.households_rejected,
        s.households_created,
        s.members_created,
        s.households_updated,
        s.members_updated,
        s.millis as f64 / 1000.0
    )];
    if s.helpers_created > 0 {
        lines.push(format!("帮扶责任人 {} 名加入名册，所帮扶的户已关联", s.helpers_created));
    }
    if s.changed_nothing() {
        lines.push("本机数据已与文件一致，没有任何修改".into());
    }
    for e in s.rejected.iter().take(20) {
        lines.push(format!("  第 {} 行「{}」：{}", e.row, e.column, e.reason));
    }
    if s.rejected.len() > 20 {
        lines.push(format!("  ……共 {} 处问题", s.rejected.len()));
    }
    if let Some(p) = report_path {
        lines.push(format!("未导入的行已写入 {}", p.display()));
    }
    lines.join("\n")
}
