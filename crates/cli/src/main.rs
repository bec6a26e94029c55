//! `zoufang-cli`: the device store and sync from the command line, for office staff, scripts and tests.
//! Every command works offline except `init`, `sync` and the office commands `enrol-code` and `user-add`.

use anyhow::{anyhow, bail, Context, Result};
use clap::{Parser, Subcommand};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use uuid::Uuid;
use zoufang_client::{AutoEvent, AutoOptions};
use zoufang_model::*;
use zoufang_store::{DeviceKey, HouseholdQuery, Store};

#[derive(Parser)]
#[command(name = "zoufang-cli", version, about = "走访 device database and sync, from the command line")]
struct Cli {
    /// The device database (created if missing), encrypted with the unlock secret from ZOUFANG_UNLOCK
    /// (asked for on a terminal when unset).
    #[arg(long, global = true, default_value = "data/device.db", env = "ZOUFANG_DEVICE_DB")]
    db: PathBuf,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create the device database and enrol it with a server: with an enrolment QR code (`--qr` a photo
    /// or screenshot of it, or `--offer` its text), with a one-time code, or by signing in (`--login`;
    /// the password is read from ZOUFANG_PASSWORD or stdin).
    Init {
        #[arg(long, required_unless_present_any = ["offer", "qr"])]
        server: Option<String>,
        /// The server certificate's SHA-256 fingerprint to trust (64 hex digits), with --server.
        #[arg(long, requires = "server")]
        pin: Option<String>,
        #[arg(long, required_unless_present_any = ["login", "offer", "qr"])]
        code: Option<String>,
        #[arg(long, conflicts_with = "code")]
        login: Option<String>,
        /// The enrolment QR code's text (`zoufang:enrol?…`).
        #[arg(long, conflicts_with_all = ["server", "code", "login", "qr"])]
        offer: Option<String>,
        /// A photo or screenshot of the enrolment QR code (JPEG or PNG).
        #[arg(long, conflicts_with_all = ["server", "code", "login"])]
        qr: Option<PathBuf>,
        /// This device's name as the office will see it.
        #[arg(long, default_value = "走访平板")]
        name: String,
    },
    /// This device: enrolment, pending changes, conflicts, last sync.
    Status,
    /// Villages on this device.
    Villages,
    /// List households, with search and filters.
    Households {
        #[arg(long)]
        village: Option<Uuid>,
        /// Part of a name, a 户编号 or a 身份证号.
        #[arg(long, short)]
        search: Option<String>,
        /// poor | exited | returned | marginal | monitored | stable (or 未脱贫 …)
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        not_visited_this_month: bool,
        /// Only households with an open rectification item (未整改问题).
        #[arg(long)]
        open_problems: bool,
        /// Only households whose 一户一档 lacks a required document or has pages not uploaded yet.
        #[arg(long)]
        missing_archive: bool,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// 一户一档 completeness: one household's documents, or every household of a village that lacks
    /// a required document or has pages not uploaded yet.
    Archive {
        /// Household id or 户编号 (leave out for the village list).
        household: Option<String>,
        #[arg(long)]
        village: Option<Uuid>,
        /// In the village list, also households whose file is complete.
        #[arg(long)]
        all: bool,
    },
    /// Start an 一户一档 document for a household; prints its id (add pages with `photo --document`).
    Document {
        /// Household id or 户编号.
        household: String,
        /// application | intake_form | five_review_score | exit_plan | project_application |
        /// relocation_application | project_approval | village_agreement | income_expense_sheet |
        /// policy_list (or the Chinese name, e.g. 申请书)
        #[arg(long)]
        kind: String,
        #[arg(long)]
        title: Option<String>,
    },
    /// Import photos (JPG or PNG): pages of a document, or evidence of a visit or a problem.
    Photo {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, conflicts_with_all = ["visit", "problem"])]
        document: Option<Uuid>,
        #[arg(long, conflicts_with = "problem")]
        visit: Option<Uuid>,
        #[arg(long)]
        problem: Option<Uuid>,
        /// Who took the photos (default: this device's user).
        #[arg(long)]
        by: Option<String>,
    },
    /// Write a photo's full image to a file (fetched from the server if this device lacks it).
    PhotoGet {
        hash: String,
        #[arg(long, short)]
        out: PathBuf,
    },
    /// One household: members, visits, handbook.
    Show {
        /// Household id or 户编号.
        household: String,
    },
    /// Change household fields: --set field=value (value as JSON, or plain text).
    Edit {
        household: String,
        #[arg(long = "set", required = true)]
        set: Vec<String>,
    },
    /// Record a visit to a household.
    Visit {
        household: String,
        /// routine (日常走访) | secretary_tour (书记遍访) | recheck (回头看)
        #[arg(long, default_value = "routine")]
        kind: String,
        /// YYYY-MM-DD; today if omitted.
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        visitor: String,
        /// An unmet item and what was found: housing:屋顶漏雨 (food, clothing, education, medical, housing, water).
        #[arg(long)]
        unmet: Vec<String>,
        /// satisfied | basic | dissatisfied
        #[arg(long)]
        satisfaction: Option<String>,
        #[arg(long)]
        population: Option<i64>,
        #[arg(long)]
        notes: Option<String>,
    },
    /// Sync with the server now (or keep syncing with --watch).
    Sync {
        #[arg(long)]
        watch: bool,
        /// Seconds between syncs with --watch.
        #[arg(long, default_value_t = 60)]
        interval: u64,
    },
    /// Import a register roster (.xlsx, .xls or .csv; one row per member). Valid households are created
    /// or brought up to date; rejected rows are listed and written to a report (.xlsx). Importing the
    /// same file again changes nothing.
    Import {
        file: PathBuf,
        /// Where to write the report of rejected rows (default: next to the file, *.未导入.xlsx). Its
        /// 身份证号 are masked as lists show them unless --full-ids.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Write the full 身份证号 into the report, to correct them.
        #[arg(long)]
        full_ids: bool,
    },
    /// Write a report as .xlsx: `monthly` (月报表, every report on its own sheet) or `ledger` (整改台账).
    Export {
        #[arg(value_enum)]
        kind: ExportKind,
        #[arg(long)]
        out: PathBuf,
    },
    /// A policy report over the villages this device holds: needs (两不愁三保障 gaps), coverage (not
    /// visited in 30 days), presence (days in the village against 2/3 of working days, --month YYYY-MM),
    /// population (系统/手册/实际人口 mismatches), income (status against the latest 收支测算), ledger (整改台账).
    Report {
        #[arg(value_enum)]
        kind: ReportKind,
        /// For `presence`: the month, default this month.
        #[arg(long)]
        month: Option<String>,
        /// For `coverage`: the window in days.
        #[arg(long, default_value_t = 30)]
        days: i64,
    },
    /// Edit conflicts waiting for a decision (--all: resolved ones too).
    Conflicts {
        #[arg(long)]
        all: bool,
    },
    /// Resolve a conflict by picking one side (--pick 1, 2 …) or typing a value (--value JSON or text).
    Resolve {
        conflict: Uuid,
        #[arg(long)]
        pick: Option<usize>,
        #[arg(long)]
        value: Option<String>,
        #[arg(long, default_value = "")]
        by: String,
    },
    /// Changes the server refused.
    Quarantine,
    /// Give up a refused change; the field returns to its previous value.
    Discard { change: Uuid },
    /// (Township staff, county office) a one-time enrolment code for a device inside this device's scope.
    EnrolCode {
        /// village:<村id> | township:<9位代码> | county:<6位代码>
        #[arg(long)]
        scope: String,
        /// work_team | first_secretary | township | inspector | county
        #[arg(long, default_value = "work_team")]
        role: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value_t = 168)]
        ttl_hours: u32,
        /// Also show the enrolment QR code in the terminal (the new tablet scans it).
        #[arg(long)]
        qr: bool,
        /// Write the QR code as a PNG for printing.
        #[arg(long)]
        qr_png: Option<PathBuf>,
    },
    /// (Township staff, county office) add a user inside this device's scope; the password is read
    /// from ZOUFANG_PASSWORD or stdin.
    UserAdd {
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        scope: String,
    },
    /// (County office) make the key pair 暗访 inspections are sealed to: the private key is kept in this
    /// device's encrypted database and its backup, encrypted with a backup passphrase (asked for twice,
    /// or ZOUFANG_BACKUP_PASSPHRASE), written to `--backup` (keep it safe: without it no inspection can
    /// be opened); the public key is sent to the server for the county's inspectors.
    SealingKeyNew {
        #[arg(long)]
        backup: PathBuf,
    },
    /// (County office) use a private key from a backup file on this device (a new or second device);
    /// the backup passphrase is asked for (or ZOUFANG_BACKUP_PASSPHRASE).
    SealingKeyImport { file: PathBuf },
    /// (Inspector) record a 暗访 inspection, sealed at once to the county office's key.
    Inspect {
        /// Household id or 户编号.
        household: String,
        #[arg(long)]
        inspector: String,
        #[arg(long)]
        date: Option<String>,
        /// An unmet 两不愁三保障 item, as item:情况 (repeatable).
        #[arg(long)]
        unmet: Vec<String>,
        #[arg(long)]
        satisfaction: Option<String>,
        /// Whether the family knows its 帮扶责任人.
        #[arg(long)]
        knows_helper: Option<bool>,
        #[arg(long)]
        notes: Option<String>,
        /// Another problem found (repeatable).
        #[arg(long)]
        problem: Vec<String>,
        /// A photo taken at the household (repeatable): sealed at once like the findings.
        #[arg(long)]
        photo: Vec<PathBuf>,
    },
    /// (Inspector, county office) the inspections on this device: plain metadata only.
    Inspections,
    /// (County office) open an inspection; `--rectify` turns its findings into rectification items.
    InspectionOpen {
        id: Uuid,
        #[arg(long)]
        rectify: bool,
        /// Deadline of the rectification items, in days from today.
        #[arg(long, default_value_t = 30)]
        deadline_days: i64,
        #[arg(long)]
        responsible: Option<String>,
        /// Write the inspection's photos, opened, into this directory (fetched from the server if needed).
        #[arg(long)]
        photos: Option<PathBuf>,
    },
}

fn unmet_needs(unmet: &[String]) -> Result<BasicNeeds> {
    let mut needs = BasicNeeds::default();
    for u in unmet {
        let (item, note) = u
            .split_once(':')
            .or_else(|| u.split_once('：'))
            .ok_or_else(|| anyhow!("--unmet 应写作 项目:情况，如 housing:屋顶漏雨"))?;
        needs.set_unmet(BasicNeed::parse(item).ok_or_else(|| anyhow!("未知项目 {item}"))?, note);
    }
    Ok(needs)
}

/// The county office's private key on this device.
fn opening_key(store: &Store) -> Result<zoufang_store::OpeningKey> {
    store
        .opening_key()?
        .ok_or_else(|| anyhow!("本机没有县扶贫办的私钥：用 sealing-key-new 生成，或 sealing-key-import 导入备份"))
}

/// The password for a sign-in or a new user: `ZOUFANG_PASSWORD`, else one line from stdin.
fn read_password(prompt: &str) -> Result<String> {
    if let Ok(p) = std::env::var("ZOUFANG_PASSWORD") {
        return Ok(p);
    }
    read_secret_line(prompt)
}

/// The private-key backup's passphrase: ZOUFANG_BACKUP_PASSPHRASE, or asked for (twice for a new one,
/// checked before anything is made).
fn backup_passphrase(new: bool) -> Result<String> {
    if let Ok(p) = std::env::var("ZOUFANG_BACKUP_PASSPHRASE") {
        if new {
            zoufang_vault::backup::check_new_passphrase(&p, &p)?;
        }
        return Ok(p);
    }
    let p = read_secret_line("请输入私钥备份口令（至少 8 个字符），回车结束：")?;
    if new {
        let again = read_secret_line("请再输入一次备份口令：")?;
        zoufang_vault::backup::check_new_passphrase(&p, &again)?;
    }
    Ok(p)
}

/// One line from stdin, not echoed when stdin is a terminal.
fn read_secret_line(prompt: &str) -> Result<String> {
    use std::io::IsTerminal;
    eprintln!("{prompt}");
    let tty = std::io::stdin().is_terminal();
    let stty = |arg: &str| {
        let _ = std::process::Command::new("stty").arg(arg).stdin(std::process::Stdio::inherit()).status();
    };
    if tty {
        stty("-echo");
    }
    let mut line = String::new();
    let read = std::io::stdin().read_line(&mut line);
    if tty {
        stty("echo");
    }
    read?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// The key of the device database: from the unlock secret in `ZOUFANG_UNLOCK`, else asked for on the
/// terminal (twice, for a database about to be created).
fn device_key(db: &std::path::Path) -> Result<DeviceKey> {
    use std::io::IsTerminal;
    let secret = match std::env::var("ZOUFANG_UNLOCK") {
        Ok(s) => s,
        Err(_) if !std::io::stdin().is_terminal() => {
            bail!("本机数据库已加密：请用环境变量 ZOUFANG_UNLOCK 提供解锁密码，或在终端中运行以输入密码")
        }
        Err(_) if zoufang_store::database_exists(db) => read_secret_line("本机数据库解锁密码：")?,
        Err(_) => {
            let first = read_secret_line("设置本机数据库的解锁密码（至少 6 个字符），回车结束：")?;
            if read_secret_line("再输入一次：")? != first {
                bail!("两次输入的解锁密码不一致");
            }
            first
        }
    };
    Ok(Store::unlock_key(db, &secret)?)
}

/// A client carrying this device's token, for the office's own requests.
fn office_client(store: &Store) -> Result<zoufang_client::Client> {
    let e = store.enrolment()?.ok_or_else(|| anyhow!("本机尚未注册，请先 init"))?;
    Ok(zoufang_client::Client::enrolled(&e))
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ExportKind {
    Monthly,
    Ledger,
}

fn import(
    store: &mut Store,
    json: bool,
    file: &std::path::Path,
    report: Option<PathBuf>,
    full_ids: bool,
) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("无法读取 {}", file.display()))?;
    let name = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let today = chrono::Local::now().date_naive();
    let mut last = 0u8;
    let (s, rejected) = zoufang_office::import_roster(store, &name, bytes, today, &mut |p| {
        if json {
            return;
        }
        if p.phase == 1 {
            // How many rows a file holds is known only at its end.
            if p.done.is_multiple_of(20_000) {
                eprintln!("已读取并核对 {} 行", p.done);
            }
            return;
        }
        let pct = (p.done * 100).checked_div(p.total).unwrap_or(100);
        let bucket = 10 + (pct / 10) as u8;
        if bucket != last {
            last = bucket;
            eprintln!("写入 {pct}%（{}/{} 户）", p.done, p.total);
        }
    })?;
    let report_path = match (&rejected, report) {
        (Some(rejected), path) => {
            let path = path.unwrap_or_else(|| file.with_extension("未导入.xlsx"));
            std::fs::write(&path, rejected.xlsx(full_ids)?).with_context(|| format!("无法写入 {}", path.display()))?;
            Some(path)
        }
        (None, _) => None,
    };
    out(json, &s, |s| {
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
        if s.changed_nothing() {
            lines.push("本机数据已与文件一致，没有任何修改".into());
        }
        for e in s.rejected.iter().take(20) {
            lines.push(format!("  第 {} 行「{}」：{}", e.row, e.column, e.reason));
        }
        if s.rejected.len() > 20 {
            lines.push(format!("  ……共 {} 处问题", s.rejected.len()));
        }
        if let Some(p) = &report_path {
            lines.push(format!("未导入的行已写入 {}", p.display()));
        }
        lines.join("\n")
    })
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ReportKind {
    Needs,
    Coverage,
    Presence,
    Population,
    Income,
    Ledger,
    /// 督查暗访 coverage of the county this year (county office, inspectors): 60% of poor households,
    /// every village with 20 or more poor households.
    Inspections,
}

fn report(store: &Store, json: bool, kind: ReportKind, month: Option<String>, days: i64) -> Result<()> {
    let today = chrono::Local::now().date_naive();
    let opt = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_else(|| "—".into());
    match kind {
        ReportKind::Needs => out(json, &store.report_needs()?, |r| {
            let mut lines: Vec<String> = r
                .villages
                .iter()
                .map(|v| format!("{}：{} 户，{} 户有未达标项", v.village, v.households, v.with_gap))
                .collect();
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
        }),
        ReportKind::Inspections => out(json, &store.report_inspection_coverage(chrono::Datelike::year(&today))?, |r| {
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
                    "  {}：贫困户 {} 户，已暗访 {} 户{}",
                    v.village,
                    v.poor_households,
                    v.inspected,
                    if v.must_cover && v.inspections == 0 {
                        "（20 户以上贫困户，须全覆盖，尚未暗访）"
                    } else {
                        ""
                    }
                ));
            }
            lines.join("\n")
        }),
        ReportKind::Coverage => out(json, &store.report_coverage(today, days)?, |r| {
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
        }),
        ReportKind::Presence => {
            let (year, mon) = match month {
                Some(m) => {
                    let (y, mo) = m.split_once('-').ok_or_else(|| anyhow!("月份应写作 YYYY-MM，如 2026-10"))?;
                    (y.parse().context("年份无效")?, mo.parse().context("月份无效")?)
                }
                None => (chrono::Datelike::year(&today), chrono::Datelike::month(&today)),
            };
            let cal = zoufang_model::calendar::WorkCalendar::national();
            out(json, &store.report_presence(year, mon, &cal)?, |r| {
                let mut lines = vec![format!("{} 年 {} 月在村情况", r.year, r.month)];
                if !r.calendar_known {
                    lines.push("（节假日安排未知，只扣除周末）".into());
                }
                for l in &r.lines {
                    lines.push(format!(
                        "  {} {}：在村 {} 天，应 {} 天（{} 个工作日的 2/3）{}",
                        l.village,
                        l.staff_name,
                        l.days_present,
                        l.required_days,
                        l.working_days,
                        if l.meets { "" } else { "  未达标" }
                    ));
                }
                lines.join("\n")
            })
        }
        ReportKind::Population => out(json, &store.report_population()?, |r| {
            let mut lines = vec![format!("人口数不一致：{} 户", r.len())];
            for m in r {
                lines.push(format!(
                    "  {} {} {}：系统 {}，手册 {}，实际 {}（成员 {} 人）",
                    m.household.village,
                    m.household.household_no,
                    m.household.head_name,
                    opt(m.system),
                    opt(m.handbook),
                    opt(m.actual),
                    m.members
                ));
            }
            lines.join("\n")
        }),
        ReportKind::Income => out(json, &store.report_income()?, |r| {
            let mut lines = vec![format!("收入与户状态不符：{} 户", r.len())];
            for l in r {
                let why = match l.issue {
                    zoufang_store::IncomeIssue::ExitedBelowLine => "已脱贫但低于标准",
                    zoufang_store::IncomeIssue::PoorAboveLine => "已达标但仍未脱贫",
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
        }),
        ReportKind::Ledger => out(json, &store.report_ledger(today)?, |r| {
            let mut lines = vec!["村  来源  未销号  逾期  已销号".to_string()];
            for l in r {
                lines.push(format!("{}  {}  {}  {}  {}", l.village, l.source.label(), l.open, l.overdue, l.closed));
            }
            lines.join("\n")
        }),
    }
}

fn out<T: Serialize>(json: bool, value: &T, text: impl FnOnce(&T) -> String) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        println!("{}", text(value));
    }
    Ok(())
}

fn parse_value(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_string()))
}

/// A value typed on the command line for a field: text fields take it as written (a phone number is
/// not a number), the others parse it as JSON (numbers, true/false, lists).
fn field_value(entity: Entity, field: &str, raw: &str) -> Value {
    match entity.field(field).map(|d| d.kind.storage()) {
        Some(Storage::Text) if raw != "null" => Value::String(raw.to_string()),
        _ => parse_value(raw),
    }
}

fn find_household(store: &Store, key: &str) -> Result<Household> {
    if let Ok(id) = Uuid::parse_str(key) {
        return store.household(id)?.ok_or_else(|| anyhow!("找不到户 {key}"));
    }
    let hits = store.households(&HouseholdQuery { text: Some(key.into()), ..Default::default() })?;
    let exact: Vec<_> = hits.iter().filter(|h| h.household_no.as_deref() == Some(key)).collect();
    match exact.as_slice() {
        [h] => store.household(h.id)?.ok_or_else(|| anyhow!("找不到户 {key}")),
        [] => bail!("找不到户编号为 {key} 的户"),
        _ => bail!("户编号 {key} 对应多户，请用 id"),
    }
}

fn main() {
    if let Err(e) = run() {
        eprintln!("错误：{e:#}");
        std::process::exit(1);
    }
}

/// The encrypted device database and its key (the background sync opens its own connection with it).
fn open(db: &std::path::Path) -> Result<(Store, DeviceKey)> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let key = device_key(db)?;
    let store = Store::open_with_key(db, &key).with_context(|| format!("打开本机数据库 {} 失败", db.display()))?;
    Ok((store, key))
}

fn run() -> Result<()> {
    let cli = Cli::parse();
    let (mut store, key) = open(&cli.db)?;
    let json = cli.json;
    match cli.cmd {
        Cmd::Init { server, pin, code, login, offer, qr, name } => {
            let offer = match (offer, qr) {
                (Some(text), _) => Some(zoufang_sync::EnrolmentOffer::parse(&text)?),
                (None, Some(path)) => {
                    let bytes = std::fs::read(&path).with_context(|| format!("无法读取 {}", path.display()))?;
                    Some(zoufang_sync::EnrolmentOffer::parse(&zoufang_media::qr::read(&bytes)?)?)
                }
                (None, None) => None,
            };
            let e = match (offer, server, code, login) {
                (Some(offer), ..) => {
                    eprintln!("注册到 {}（{}，{}）", offer.server, offer.place, offer.role.label());
                    zoufang_client::enrol_offer(&mut store, &offer, &name)?
                }
                (None, Some(server), Some(code), _) => {
                    zoufang_client::enrol_pinned(&mut store, &server, pin.as_deref(), &code, &name)?
                }
                (None, Some(server), None, Some(login)) => {
                    let password = read_password(&format!("请输入 {login} 的密码，回车结束："))?;
                    zoufang_client::login(&mut store, &server, &login, &password, &name)?
                }
                _ => bail!("请扫描注册二维码（--qr 图片 或 --offer 文本），或用 --server 加 --code 或 --login"),
            };
            let v = json!({ "device_id": store.device_id(), "scope": e.scope, "role": e.role, "server": e.server_url, "expires_at": e.expires_at });
            out(json, &v, |_| {
                format!(
                    "本机已注册：设备 {}，{}，范围 {}，授权有效至 {}。运行 sync 同步数据。",
                    store.device_id(),
                    e.role.label(),
                    e.scope,
                    e.expires_at.as_deref().unwrap_or("长期")
                )
            })?;
        }
        Cmd::Status => {
            let e = store.enrolment()?;
            let v = json!({
                "device_id": store.device_id(),
                "server": e.as_ref().map(|e| e.server_url.clone()),
                "scope": e.as_ref().map(|e| e.scope.to_string()),
                "role": e.as_ref().map(|e| e.role),
                "expires_at": e.as_ref().and_then(|e| e.expires_at.clone()),
                "pending_changes": store.pending_changes()?,
                "quarantined": store.quarantined()?.len(),
                "open_conflicts": store.conflicts(Some(ConflictStatus::Open))?.len(),
                "last_sync": store.last_sync()?,
                "cursor": store.cursor()?,
            });
            out(json, &v, |v| {
                format!(
                    "设备 {}\n服务器 {}（范围 {}）\n待上传修改 {} 条，被拒收 {} 条，待处理冲突 {} 个\n上次同步 {}",
                    v["device_id"].as_str().unwrap_or(""),
                    v["server"].as_str().unwrap_or("未注册"),
                    v["scope"].as_str().unwrap_or("-"),
                    v["pending_changes"],
                    v["quarantined"],
                    v["open_conflicts"],
                    v["last_sync"].as_str().unwrap_or("从未"),
                )
            })?;
        }
        Cmd::Villages => {
            let vs = store.villages()?;
            out(json, &vs, |vs| {
                vs.iter()
                    .map(|v| format!("{}  {}  {} {}", v.id, v.code, v.township, v.name))
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        Cmd::Households { village, search, status, not_visited_this_month, open_problems, missing_archive, limit } => {
            let status =
                status.map(|s| HouseholdStatus::parse(&s).ok_or_else(|| anyhow!("未知户状态 {s}"))).transpose()?;
            let today = chrono::Local::now().date_naive();
            let q = HouseholdQuery {
                village,
                text: search,
                status,
                not_visited_since: not_visited_this_month.then(|| chrono::Datelike::with_day(&today, 1)).flatten(),
                open_problems,
                missing_archive,
                limit: Some(limit),
                offset: None,
            };
            let hs = store.households(&q)?;
            out(json, &hs, |hs| {
                let mut lines: Vec<String> = hs
                    .iter()
                    .map(|h| {
                        format!(
                            "{}  {}  {}  {}  {}人  上次走访 {}  未整改 {}",
                            h.household_no.as_deref().unwrap_or("-"),
                            h.head_name.as_deref().unwrap_or("-"),
                            h.status.map(|s| s.label()).unwrap_or("-"),
                            h.group_name.as_deref().unwrap_or(""),
                            h.members,
                            h.last_visit.as_deref().unwrap_or("无"),
                            h.open_problems
                        )
                    })
                    .collect();
                lines.push(format!("共 {} 户", hs.len()));
                lines.join("\n")
            })?;
        }
        Cmd::Show { household } => {
            let h = find_household(&store, &household)?;
            let v = json!({
                "household": h,
                "members": store.members_of(h.id)?,
                "visits": store.visits_of(h.id)?,
                "handbook": store.handbook_of(h.id)?,
            });
            out(json, &v, |_| {
                let mut s = format!(
                    "{} 户主 {}（{}，{}）\n致贫原因：{}\n帮扶责任人：{}\n成员：",
                    h.household_no,
                    h.head_name,
                    h.status.label(),
                    h.attribute.label(),
                    h.poverty_causes.iter().map(|c| c.label()).collect::<Vec<_>>().join("、"),
                    h.helper_name.clone().unwrap_or_default()
                );
                for m in store.members_of(h.id).unwrap_or_default() {
                    s.push_str(&format!(
                        "\n  {} {} {}",
                        m.name,
                        m.relation.label(),
                        m.id_number.map(|i| i.masked()).unwrap_or_default()
                    ));
                }
                s.push_str("\n走访：");
                for v in store.visits_of(h.id).unwrap_or_default().iter().take(5) {
                    let unmet: Vec<&str> = v.basic_needs.unmet().iter().map(|n| n.label()).collect();
                    s.push_str(&format!(
                        "\n  {} {} {} {}",
                        v.visited_on,
                        v.kind.label(),
                        v.visitor,
                        if unmet.is_empty() {
                            "两不愁三保障均达标".to_string()
                        } else {
                            format!("未达标：{}", unmet.join("、"))
                        }
                    ));
                }
                s
            })?;
        }
        Cmd::Edit { household, set } => {
            let h = find_household(&store, &household)?;
            let mut patch = Map::new();
            for kv in set {
                let (k, v) = kv.split_once('=').ok_or_else(|| anyhow!("--set 应写作 字段=值，实际为 {kv}"))?;
                patch.insert(k.trim().to_string(), field_value(Entity::Household, k.trim(), v));
            }
            let n = store.update(Entity::Household, h.id, &patch)?;
            out(json, &json!({ "household": h.id, "changed": n }), |_| format!("已修改 {n} 个字段"))?;
        }
        Cmd::Visit { household, kind, date, visitor, unmet, satisfaction, population, notes } => {
            let h = find_household(&store, &household)?;
            let needs = unmet_needs(&unmet)?;
            let mut fields = Map::new();
            fields.insert("household_id".into(), json!(h.id));
            fields.insert("kind".into(), json!(VisitKind::parse(&kind).map(|k| k.ident()).unwrap_or(&kind)));
            fields.insert(
                "visited_on".into(),
                json!(date.unwrap_or_else(|| chrono::Local::now().date_naive().to_string())),
            );
            fields.insert("visitor".into(), json!(visitor));
            fields.insert("basic_needs".into(), serde_json::to_value(&needs)?);
            if let Some(s) = satisfaction {
                fields.insert("satisfaction".into(), json!(Satisfaction::parse(&s).map(|k| k.ident()).unwrap_or(&s)));
            }
            if let Some(p) = population {
                fields.insert("actual_population".into(), json!(p));
            }
            if let Some(n) = notes {
                fields.insert("notes".into(), json!(n));
            }
            let id = Uuid::now_v7();
            store.create_fields(Entity::Visit, id, &fields)?;
            out(json, &json!({ "visit": id }), |_| format!("已记录走访 {id}"))?;
        }
        Cmd::Sync { watch, interval } => {
            if !watch {
                let r = match zoufang_client::sync(&mut store) {
                    Err(e @ zoufang_client::SyncError::Wiped { .. }) => {
                        // The store has emptied the database; the device's other files go too.
                        let erased = zoufang_client::erase_device_files(&cli.db, zoufang_client::DeviceDir::Shared);
                        return Err(anyhow!("{e}。{}", erased.summary()));
                    }
                    other => other?,
                };
                out(json, &r, |r| {
                    format!(
                        "同步完成：上传 {} 条（已生效 {}，被覆盖 {}，重复 {}，拒收 {}），新冲突 {}；下载 {} 条记录的 {} 个字段；照片上传 {} 个、下载 {} 个；用时 {} 毫秒",
                        r.pushed.applied + r.pushed.superseded + r.pushed.duplicate + r.pushed.rejected,
                        r.pushed.applied,
                        r.pushed.superseded,
                        r.pushed.duplicate,
                        r.pushed.rejected,
                        r.pushed.conflicts,
                        r.pulled.rows,
                        r.pulled.fields,
                        r.photos.uploaded,
                        r.photos.fetched,
                        r.millis
                    ) + &r.clock_note().map(|n| format!("\n{n}")).unwrap_or_default()
                })?;
            } else {
                drop(store);
                let stop = AtomicBool::new(false);
                let opts = AutoOptions { interval: Duration::from_secs(interval.max(1)), ..Default::default() };
                zoufang_client::run_auto(&cli.db, Some(&key), opts, &stop, &mut |ev| match ev {
                    AutoEvent::Progress(_) => {}
                    AutoEvent::Synced(r) => println!(
                        "同步完成：上传 {} 条，下载 {} 个字段",
                        r.pushed.applied + r.pushed.superseded + r.pushed.duplicate,
                        r.pulled.fields
                    ),
                    AutoEvent::Retrying { error, wait } => eprintln!("同步失败：{error}；{} 秒后重试", wait.as_secs()),
                    AutoEvent::Stopped(e @ zoufang_client::SyncError::Wiped { .. }) => {
                        let erased = zoufang_client::erase_device_files(&cli.db, zoufang_client::DeviceDir::Shared);
                        eprintln!("同步已停止：{e}。{}", erased.summary())
                    }
                    AutoEvent::Stopped(e) => eprintln!("同步已停止：{e}"),
                });
            }
        }
        Cmd::Archive { household, village, all } => archive(&store, json, household.as_deref(), village, all)?,
        Cmd::Document { household, kind, title } => {
            let h = find_household(&store, &household)?;
            let kind = ArchiveKind::parse(&kind)
                .or_else(|| ArchiveKind::ALL.iter().copied().find(|k| k.label() == kind))
                .ok_or_else(|| anyhow!("未知的材料类别 {kind}"))?;
            let by = store.operator()?;
            let id = store.create_document(
                &zoufang_store::NewDocument { household_id: h.id, kind, title, note: None },
                by.as_deref(),
            )?;
            out(json, &json!({ "document_id": id }), |_| {
                format!(
                    "已为 {} 户新建「{}」：{id}\n添加页面：zoufang-cli photo 照片.jpg --document {id}",
                    h.household_no,
                    kind.label()
                )
            })?;
        }
        Cmd::Photo { files, document, visit, problem, by } => {
            let target = match (document, visit, problem) {
                (Some(d), _, _) => zoufang_store::PhotoTarget::ArchiveDocument(d),
                (_, Some(v), _) => zoufang_store::PhotoTarget::Visit(v),
                (_, _, Some(p)) => zoufang_store::PhotoTarget::Rectification(p),
                _ => bail!("请用 --document、--visit 或 --problem 指明照片属于哪条记录"),
            };
            let by = by.or(store.operator()?);
            let mut failed = 0;
            let mut results = Vec::new();
            for f in &files {
                let r = std::fs::read(f)
                    .map_err(anyhow::Error::from)
                    .and_then(|bytes| Ok(store.import_photo(&bytes, target, by.as_deref())?));
                match r {
                    Ok(p) => {
                        if !json {
                            println!(
                                "{}：{}（{}×{}，{} KB{}{}）",
                                f.display(),
                                if p.duplicate { "已有同一张照片，未重复保存" } else { "已导入" },
                                p.photo.width,
                                p.photo.height,
                                p.photo.bytes / 1024,
                                p.photo.page.map(|n| format!("，第 {n} 页")).unwrap_or_default(),
                                p.photo.taken_at.as_deref().map(|t| format!("，拍摄于 {t}")).unwrap_or_default(),
                            );
                        }
                        results.push(json!({ "file": f, "photo": p.photo, "duplicate": p.duplicate }));
                    }
                    Err(e) => {
                        failed += 1;
                        eprintln!("{}：未导入。{e:#}", f.display());
                        results.push(json!({ "file": f, "error": format!("{e:#}") }));
                    }
                }
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&results)?);
            }
            if failed > 0 {
                bail!("{failed} 个文件未导入（见上），其余已保存");
            }
        }
        Cmd::PhotoGet { hash, out: path } => {
            let bytes = zoufang_client::photo_image(&mut store, &hash)?;
            std::fs::write(&path, &bytes).with_context(|| format!("写入 {} 失败", path.display()))?;
            println!("已保存 {}（{} KB）", path.display(), bytes.len() / 1024);
        }
        Cmd::Import { file, report, full_ids } => import(&mut store, json, &file, report, full_ids)?,
        Cmd::Export { kind, out: path } => {
            let today = chrono::Local::now().date_naive();
            let bytes = match kind {
                ExportKind::Monthly => zoufang_office::export::monthly_report_xlsx(
                    &store,
                    today,
                    &zoufang_model::calendar::WorkCalendar::national(),
                )?,
                ExportKind::Ledger => zoufang_office::export::ledger_xlsx(&store, today)?,
            };
            std::fs::write(&path, bytes).with_context(|| format!("无法写入 {}", path.display()))?;
            println!("已写入 {}", path.display());
        }
        Cmd::Report { kind, month, days } => report(&store, json, kind, month, days)?,
        Cmd::Conflicts { all } => {
            let cs = store.conflicts(if all { None } else { Some(ConflictStatus::Open) })?;
            out(json, &cs, |cs| {
                let mut lines = Vec::new();
                for c in cs {
                    lines.push(format!(
                        "冲突 {}（{}）：{} {} 的「{}」",
                        c.id,
                        c.status.label(),
                        Entity::parse(&c.entity).map(|e| e.label()).unwrap_or(""),
                        c.row_id,
                        c.field
                    ));
                    for (i, cand) in c.candidates.iter().enumerate() {
                        let mark = if cand.change == c.winner { "（当前）" } else { "" };
                        lines.push(format!("  {}. {}  —— {} 于 {}{mark}", i + 1, cand.value, cand.author, cand.at));
                    }
                }
                if lines.is_empty() {
                    lines.push("没有待处理的冲突".into());
                }
                lines.join("\n")
            })?;
        }
        Cmd::Resolve { conflict, pick, value, by } => {
            let c = store.get::<Conflict>(conflict)?.ok_or_else(|| anyhow!("找不到冲突 {conflict}"))?;
            let choice = match (pick, value) {
                (Some(n), None) => {
                    let cand = c
                        .candidates
                        .get(n.wrapping_sub(1))
                        .ok_or_else(|| anyhow!("只有 {} 个取值可选", c.candidates.len()))?;
                    if c.field == DELETED {
                        // A delete/edit conflict: candidate 1 is the delete; picking an edit restores the record.
                        Value::Bool(cand.value == Value::Bool(true))
                    } else {
                        cand.value.clone()
                    }
                }
                (None, Some(v)) => match Entity::parse(&c.entity) {
                    Some(e) => field_value(e, &c.field, &v),
                    None => parse_value(&v),
                },
                _ => bail!("请用 --pick 选择一方，或用 --value 填写合并后的值"),
            };
            let by = if by.is_empty() {
                store.enrolment()?.map(|e| e.device_name).unwrap_or_else(|| "本机".into())
            } else {
                by
            };
            store.resolve_conflict(conflict, &choice, &by)?;
            out(json, &json!({ "conflict": conflict, "value": choice }), |_| {
                format!("冲突已处理，取值 {choice}；同步后各设备一致")
            })?;
        }
        Cmd::EnrolCode { scope, role, name, ttl_hours, qr, qr_png } => {
            let req = zoufang_sync::CodeRequest {
                scope: Scope::parse(&scope).map_err(|e| anyhow!("范围无效：{e}"))?,
                role: Role::parse(&role).map_err(|e| anyhow!("{e}"))?,
                device_name: name.clone(),
                ttl_hours,
            };
            let r = office_client(&store)?.issue_code(&req)?;
            let offer = zoufang_client::offer(&store, &req.scope, req.role, &r.code)?;
            if qr {
                eprintln!("{}", zoufang_media::qr::terminal(&offer.to_text())?);
            }
            if let Some(path) = &qr_png {
                std::fs::write(path, zoufang_media::qr::png(&offer.to_text(), 8)?)
                    .with_context(|| format!("无法写入 {}", path.display()))?;
                eprintln!("二维码图片：{}", path.display());
            }
            out(json, &json!({ "code": r.code, "ttl_hours": r.ttl_hours, "offer": offer.to_text() }), |_| {
                format!(
                    "{}\n注册码已生成：设备「{name}」，{}，范围 {}，{} 小时内有效，只能使用一次。",
                    r.code,
                    req.role.label(),
                    req.scope,
                    r.ttl_hours
                )
            })?;
        }
        Cmd::UserAdd { login, name, role, scope } => {
            let password = read_password(&format!("请输入 {login} 的密码（至少 8 位），回车结束："))?;
            let req = zoufang_sync::UserRequest {
                login: login.clone(),
                name: name.clone(),
                role: Role::parse(&role).map_err(|e| anyhow!("{e}"))?,
                scope: Scope::parse(&scope).map_err(|e| anyhow!("范围无效：{e}"))?,
                password,
            };
            let id = office_client(&store)?.add_user(&req)?;
            out(json, &json!({ "id": id }), |_| format!("用户 {login}（{name}，{}）已添加", req.role.label()))?;
        }
        Cmd::SealingKeyNew { backup } => {
            // The passphrase is settled and the backup file made first, so a key is never put to use
            // without a backup that opens.
            let passphrase = backup_passphrase(true)?;
            let file = zoufang_client::create_key_backup(&backup)
                .with_context(|| format!("无法创建私钥备份 {}（已存在的文件不会被覆盖）", backup.display()))?;
            let made = match zoufang_client::new_sealing_key(&mut store) {
                Ok(k) => k,
                Err(e) => {
                    drop(file);
                    let _ = std::fs::remove_file(&backup);
                    return Err(e.into());
                }
            };
            if let Err(e) = zoufang_client::write_key_backup(file, &made, &passphrase) {
                let _ = std::fs::remove_file(&backup);
                return Err(anyhow!("密钥已生成，但备份未写成（{e}）：请立即用 sealing-key-backup 另存一份"));
            }
            let fingerprint = made.sealing_key().fingerprint();
            out(json, &json!({ "fingerprint": fingerprint, "backup": backup }), |_| {
                format!(
                    "已生成暗访密封密钥（指纹 {fingerprint}）。公钥已交给服务器，督查组同步后即可密封暗访记录；\n私钥保存在本机加密数据库中，备份已写入 {}：请离线妥善保管，丢失则无法打开任何暗访记录。",
                    backup.display()
                )
            })?;
        }
        Cmd::SealingKeyImport { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("读取 {} 失败", file.display()))?;
            let passphrase = if zoufang_vault::backup::is_protected_backup(&text) {
                backup_passphrase(false)?
            } else {
                String::new()
            };
            let key = zoufang_client::read_key_backup(&file, &passphrase)?;
            store.set_opening_key(&key)?;
            out(json, &json!({ "fingerprint": key.sealing_key().fingerprint() }), |_| {
                format!("已导入私钥（指纹 {}）", key.sealing_key().fingerprint())
            })?;
        }
        Cmd::Inspect { household, inspector, date, unmet, satisfaction, knows_helper, notes, problem, photo } => {
            let h = find_household(&store, &household)?;
            let on = match date {
                Some(d) => chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                    .map_err(|_| anyhow!("--date 应写作 YYYY-MM-DD"))?,
                None => chrono::Local::now().date_naive(),
            };
            let mut findings = InspectionFindings {
                basic_needs: unmet_needs(&unmet)?,
                satisfaction: satisfaction
                    .map(|s| Satisfaction::parse(&s).ok_or_else(|| anyhow!("未知的满意度 {s}")))
                    .transpose()?,
                knows_helper,
                notes,
                problems: problem,
                photos: Vec::new(),
            };
            findings.validate()?;
            for path in &photo {
                let bytes = std::fs::read(path).with_context(|| format!("读取照片 {} 失败", path.display()))?;
                let sealed = store.seal_inspection_photo(&bytes).with_context(|| format!("照片 {}", path.display()))?;
                findings.photos.push(sealed);
            }
            let id = store.record_inspection(h.id, on, &inspector, &findings)?;
            out(json, &json!({ "inspection": id }), |_| {
                format!("已密封暗访记录 {id}：只有县扶贫办能打开，本机也不能再查看内容")
            })?;
        }
        Cmd::Inspections => {
            let list = store.inspections()?;
            out(json, &list, |l| {
                let mut t = format!("暗访记录 {} 条\n", l.len());
                for i in l {
                    t += &format!(
                        "{}  {}  {} {}（{}）  暗访人 {}  密文 {} 字节{}\n",
                        i.id,
                        i.inspected_on,
                        i.household_no,
                        i.head_name,
                        i.village,
                        i.inspector,
                        i.sealed_bytes,
                        if i.rectifications > 0 {
                            format!("  已生成整改 {} 项", i.rectifications)
                        } else {
                            String::new()
                        }
                    );
                }
                t
            })?;
        }
        Cmd::InspectionOpen { id, rectify, deadline_days, responsible, photos } => {
            let key = opening_key(&store)?;
            let findings = store.open_inspection(id, &key)?;
            let mut written = Vec::new();
            if let Some(dir) = &photos {
                std::fs::create_dir_all(dir).with_context(|| format!("创建 {} 失败", dir.display()))?;
                for (i, p) in findings.photos.iter().enumerate() {
                    let image = zoufang_client::inspection_photo(&mut store, &p.hash, &key)?;
                    let path = dir.join(format!("{id}-{}.jpg", i + 1));
                    std::fs::write(&path, image).with_context(|| format!("写入 {} 失败", path.display()))?;
                    written.push(path.display().to_string());
                }
            }
            let made = if rectify {
                let deadline = chrono::Local::now().date_naive() + chrono::Duration::days(deadline_days.clamp(1, 365));
                store.rectify_inspection(id, &key, deadline, responsible.as_deref())?
            } else {
                Vec::new()
            };
            out(json, &json!({ "findings": findings, "rectifications": made, "photo_files": written }), |_| {
                let mut t = String::from("两不愁三保障：\n");
                for (need, c) in findings.basic_needs.items() {
                    let state = match c.state {
                        NeedState::Met => "达标",
                        NeedState::Unmet => "未达标",
                        NeedState::NotApplicable => "不适用",
                    };
                    t += &format!(
                        "  {}：{state}{}\n",
                        need.label(),
                        c.note.as_deref().map(|n| format!("（{n}）")).unwrap_or_default()
                    );
                }
                if let Some(s) = findings.satisfaction {
                    t += &format!("群众满意度：{}\n", s.label());
                }
                if let Some(k) = findings.knows_helper {
                    t += &format!("知道帮扶责任人：{}\n", if k { "是" } else { "否" });
                }
                if let Some(n) = &findings.notes {
                    t += &format!("记录：{n}\n");
                }
                for p in &findings.problems {
                    t += &format!("问题：{p}\n");
                }
                for (i, p) in findings.photos.iter().enumerate() {
                    t += &format!(
                        "照片 {}：{}×{}{}{}\n",
                        i + 1,
                        p.width,
                        p.height,
                        p.taken_at.as_deref().map(|t| format!("，拍摄于 {t}")).unwrap_or_default(),
                        written.get(i).map(|f| format!("，已保存到 {f}")).unwrap_or_default()
                    );
                }
                if rectify {
                    t += &format!("已生成整改问题 {} 项，同步后下发到村\n", made.len());
                }
                t
            })?;
        }
        Cmd::Quarantine => {
            let q = store.quarantined()?;
            out(json, &q, |q| {
                if q.is_empty() {
                    return "没有被拒收的修改".into();
                }
                q.iter()
                    .map(|c| {
                        format!("{}  {}.{} = {}  原因：{}", c.change, c.entity.ident(), c.field, c.value, c.reason)
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        Cmd::Discard { change } => {
            store.discard_quarantined(change)?;
            out(json, &json!({ "discarded": change }), |_| "已放弃该修改".into())?;
        }
    }
    Ok(())
}

fn archive(store: &Store, json: bool, household: Option<&str>, village: Option<Uuid>, all: bool) -> Result<()> {
    if let Some(key) = household {
        let h = find_household(store, key)?;
        let a = store.archive_status(h.id)?;
        return out(json, &a, |a| {
            let mut s = format!(
                "{} {} 的一户一档：{}\n",
                h.household_no,
                h.head_name,
                if a.complete {
                    "齐全".to_string()
                } else {
                    format!("缺 {} 项，{} 页未上传", a.missing, a.pages_not_uploaded)
                }
            );
            for i in &a.items {
                s += &format!(
                    "  [{}] {}{}：{}（{} 页{}）\n",
                    i.kind.section().label(),
                    i.kind.label(),
                    if i.required { "" } else { "（非必需）" },
                    i.state.label(),
                    i.pages,
                    if i.pages_not_uploaded > 0 {
                        format!("，{} 页未上传", i.pages_not_uploaded)
                    } else {
                        String::new()
                    }
                );
                for d in &i.documents {
                    s += &format!(
                        "      文档 {}{}\n",
                        d.document.id,
                        d.document.title.as_deref().map(|t| format!(" {t}")).unwrap_or_default()
                    );
                }
            }
            s
        });
    }
    let lines = store.village_archive(village)?;
    let total = lines.len();
    let complete = lines.iter().filter(|l| l.complete()).count();
    let shown: Vec<_> = lines.into_iter().filter(|l| all || !l.complete()).collect();
    out(json, &shown, |shown| {
        let mut s = format!("一户一档：{total} 户中 {complete} 户齐全，{} 户不齐全\n", total - complete);
        for l in shown {
            let missing: Vec<&str> = l.missing.iter().map(|k| k.label()).collect();
            s += &format!(
                "  {} {}：{}{}\n",
                l.household_no.as_deref().unwrap_or("?"),
                l.head_name.as_deref().unwrap_or(""),
                if missing.is_empty() { "材料齐全".to_string() } else { format!("缺 {}", missing.join("、")) },
                if l.pages_not_uploaded > 0 {
                    format!("；{} 页未上传", l.pages_not_uploaded)
                } else {
                    String::new()
                }
            );
        }
        s
    })
}
