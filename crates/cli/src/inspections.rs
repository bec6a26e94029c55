//! 督查暗访, unannounced inspections: the county office's sealing key (made, or imported from its backup),
//! an inspector recording an inspection, and the county office listing and opening them.
//!
//! Rules, and why:
//! - Findings (and photos) are sealed to the county office's public key the moment they are recorded:
//!   not even the inspector's device can read them again, and every list shows plain metadata only.
//!   Only the county office opens them.
//! - The private key lives in the county office device's encrypted database and in a backup file
//!   encrypted with a passphrase. A key is never put to use without a backup that opens: the
//!   passphrase is settled and the backup file made before the key, and a backup never overwrites a
//!   file.
//! - Opening needs the private key on this device; the error says how to get it there.

use crate::context::Ctx;
use crate::input::{find_household, unmet_needs};
use crate::secrets::backup_passphrase;
use anyhow::{anyhow, Context, Result};
use clap::{Args, Subcommand};
use serde::Serialize;
use std::path::{Path, PathBuf};
use uuid::Uuid;
use zoufang_model::{InspectionFindings, NeedState, Satisfaction};
use zoufang_store::{OpeningKey, Store};

#[derive(Subcommand)]
pub enum Cmd {
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
    Inspect(InspectArgs),
    /// (Inspector, county office) the inspections on this device: plain metadata only.
    Inspections,
    /// (County office) open an inspection; `--rectify` turns its findings into rectification items.
    InspectionOpen(InspectionOpenArgs),
}

#[derive(Args)]
pub struct InspectArgs {
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
}

#[derive(Args)]
pub struct InspectionOpenArgs {
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
}

pub fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    let mut store = ctx.open()?;
    match cmd {
        Cmd::SealingKeyNew { backup } => sealing_key_new(ctx, &mut store, &backup),
        Cmd::SealingKeyImport { file } => sealing_key_import(ctx, &mut store, &file),
        Cmd::Inspect(args) => inspect(ctx, &mut store, args),
        Cmd::Inspections => inspections(ctx, &store),
        Cmd::InspectionOpen(args) => inspection_open(ctx, &mut store, args),
    }
}

/// The county office's private key on this device.
fn opening_key(store: &Store) -> Result<OpeningKey> {
    store
        .opening_key()?
        .ok_or_else(|| anyhow!("本机没有县扶贫办的私钥：用 sealing-key-new 生成，或 sealing-key-import 导入备份"))
}

/// The key `sealing-key-new` made and where its backup went.
#[derive(Serialize)]
struct KeyMade {
    fingerprint: String,
    backup: PathBuf,
}

fn sealing_key_new(ctx: &Ctx, store: &mut Store, backup: &Path) -> Result<()> {
    // The passphrase is settled and the backup file made first, so a key is never put to use
    // without a backup that opens.
    let passphrase = backup_passphrase(true)?;
    let file = zoufang_client::create_key_backup(backup)
        .with_context(|| format!("无法创建私钥备份 {}（已存在的文件不会被覆盖）", backup.display()))?;
    let made = match zoufang_client::new_sealing_key(store) {
        Ok(k) => k,
        Err(e) => {
            drop(file);
            let _ = std::fs::remove_file(backup);
            return Err(e.into());
        }
    };
    if let Err(e) = zoufang_client::write_key_backup(file, &made, &passphrase) {
        let _ = std::fs::remove_file(backup);
        return Err(anyhow!("密钥已生成，但备份未写成（{e}）：请立即用 sealing-key-backup 另存一份"));
    }
    let made = KeyMade { fingerprint: made.sealing_key().fingerprint(), backup: backup.to_path_buf() };
    ctx.out(&made, |k| {
        format!(
            "已生成暗访密封密钥（指纹 {}）。公钥已交给服务器，督查组同步后即可密封暗访记录；\n私钥保存在本机加密数据库中，备份已写入 {}：请离线妥善保管，丢失则无法打开任何暗访记录。",
            k.fingerprint,
            k.backup.display()
        )
    })
}

/// The key `sealing-key-import` took from a backup.
#[derive(Serialize)]
struct KeyImported {
    fingerprint: String,
}

fn sealing_key_import(ctx: &Ctx, store: &mut Store, file: &Path) -> Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("读取 {} 失败", file.display()))?;
    let passphrase =
        if zoufang_vault::backup::is_protected_backup(&text) { backup_passphrase(false)? } else { String::new() };
    let key = zoufang_client::read_key_backup(file, &passphrase)?;
    store.set_opening_key(&key)?;
    ctx.out(&KeyImported { fingerprint: key.sealing_key().fingerprint() }, |k| {
        format!("已导入私钥（指纹 {}）", k.fingerprint)
    })
}

/// The inspection `inspect` sealed.
#[derive(Serialize)]
struct InspectionSealed {
    inspection: Uuid,
}

fn inspect(ctx: &Ctx, store: &mut Store, args: InspectArgs) -> Result<()> {
    let InspectArgs { household, inspector, date, unmet, satisfaction, knows_helper, notes, problem, photo } = args;
    let h = find_household(store, &household)?;
    let on = match date {
        Some(d) => {
            chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").map_err(|_| anyhow!("--date 应写作 YYYY-MM-DD"))?
        }
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
    ctx.out(&InspectionSealed { inspection: id }, |_| {
        format!("已密封暗访记录 {id}：只有县扶贫办能打开，本机也不能再查看内容")
    })
}

fn inspections(ctx: &Ctx, store: &Store) -> Result<()> {
    ctx.out(&store.inspections()?, |l| {
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
    })
}

/// An opened inspection (`inspection-open`).
#[derive(Serialize)]
struct Opened {
    findings: InspectionFindings,
    /// The rectification items made now with `--rectify` (none for findings already made into items).
    rectifications: Vec<Uuid>,
    /// The photos written with `--photos`, in the findings' order.
    photo_files: Vec<String>,
}

fn inspection_open(ctx: &Ctx, store: &mut Store, args: InspectionOpenArgs) -> Result<()> {
    let InspectionOpenArgs { id, rectify, deadline_days, responsible, photos } = args;
    let key = opening_key(store)?;
    let findings = store.open_inspection(id, &key)?;
    let mut photo_files = Vec::new();
    if let Some(dir) = &photos {
        std::fs::create_dir_all(dir).with_context(|| format!("创建 {} 失败", dir.display()))?;
        for (i, p) in findings.photos.iter().enumerate() {
            let image = zoufang_client::inspection_photo(store, &p.hash, &key)?;
            let path = dir.join(format!("{id}-{}.jpg", i + 1));
            std::fs::write(&path, image).with_context(|| format!("写入 {} 失败", path.display()))?;
            photo_files.push(path.display().to_string());
        }
    }
    let rectifications = if rectify {
        let deadline = chrono::Local::now().date_naive() + chrono::Duration::days(deadline_days.clamp(1, 365));
        store.rectify_inspection(id, &key, deadline, responsible.as_deref())?
    } else {
        Vec::new()
    };
    ctx.out(&Opened { findings, rectifications, photo_files }, |o| opened_text(o, rectify))
}

/// The findings as the county office reads them, with where the photos went and what `--rectify` made.
fn opened_text(o: &Opened, rectify: bool) -> String {
    let findings = &o.findings;
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
            o.photo_files.get(i).map(|f| format!("，已保存到 {f}")).unwrap_or_default()
        );
    }
    if rectify {
        t += &format!("已生成整改问题 {} 项，同步后下发到村\n", o.rectifications.len());
    }
    t
}
