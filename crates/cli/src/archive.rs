//! 一户一档, each household's file of documents, the village's own archive (村级档案), and photos: how
//! complete a file is, starting a document, importing photos (document pages, evidence of a visit or a
//! problem), getting a photo's full image back.
//!
//! Rules, and why:
//! - Photos are checked and stored by the store (`import_photo`), file by file: a refused file (not an
//!   image, too large, broken) is reported and the others are kept, and the command fails at the end so
//!   a script notices.
//! - With `--json`, `photo` prints one entry per file at the end, with the photo or the error; without,
//!   each file's line as it is done.
//! - Only `photo-get` may need the server: a full image another device took is fetched on demand.

use crate::context::Ctx;
use crate::input::{find_household, find_village};
use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Subcommand};
use serde::Serialize;
use std::path::PathBuf;
use uuid::Uuid;
use zoufang_model::archive::DocState;
use zoufang_model::{ArchiveKind, Household, VillageArchiveKind};
use zoufang_store::{
    ArchiveStatus, HouseholdFileLine, NewDocument, NewVillageDocument, PhotoImported, PhotoTarget, Store,
};

#[derive(Subcommand)]
pub enum Cmd {
    /// 一户一档 completeness: one household's documents, or every household of a village that lacks
    /// a required document or has pages not uploaded yet.
    Archive(ArchiveArgs),
    /// Start an 一户一档 document for a household; prints its id (add pages with `photo --document`).
    Document(DocumentArgs),
    /// 村级档案 completeness: the village's own documents (policy files, ledgers, project and fund
    /// records, review minutes, notices…), kind by kind.
    VillageArchive {
        /// Village id or 12-digit code.
        #[arg(long)]
        village: String,
    },
    /// Start a 村级档案 document for a village; prints its id (add pages with `photo --village-document`).
    VillageDocument(VillageDocumentArgs),
    /// Import photos (JPG or PNG): pages of a document, or evidence of a visit or a problem.
    Photo(PhotoArgs),
    /// Write a photo's full image to a file (fetched from the server if this device lacks it).
    PhotoGet {
        hash: String,
        #[arg(long, short)]
        out: PathBuf,
    },
}

#[derive(Args)]
pub struct ArchiveArgs {
    /// Household id or 户编号 (leave out for the village list).
    household: Option<String>,
    #[arg(long)]
    village: Option<Uuid>,
    /// In the village list, also households whose file is complete.
    #[arg(long)]
    all: bool,
}

#[derive(Args)]
pub struct DocumentArgs {
    /// Household id or 户编号.
    household: String,
    /// application | intake_form | five_review_score | exit_plan | project_application |
    /// relocation_application | project_approval | village_agreement | income_expense_sheet |
    /// policy_list (or the Chinese name, e.g. 申请书)
    #[arg(long)]
    kind: String,
    #[arg(long)]
    title: Option<String>,
}

#[derive(Args)]
pub struct VillageDocumentArgs {
    /// Village id or 12-digit code.
    #[arg(long)]
    village: String,
    /// policy_documents | poverty_ledger | project_plan | project_acceptance | fund_disbursement |
    /// review_records | notices | special_programs | microcredit (or the Chinese name, e.g. 公示公告)
    #[arg(long)]
    kind: String,
    /// 年度, e.g. 2026.
    #[arg(long)]
    year: Option<i64>,
    #[arg(long)]
    title: Option<String>,
}

#[derive(Args)]
pub struct PhotoArgs {
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[arg(long, conflicts_with_all = ["visit", "problem", "village_document"])]
    document: Option<Uuid>,
    /// A 村级档案 document (`village-document`).
    #[arg(long, conflicts_with_all = ["visit", "problem"])]
    village_document: Option<Uuid>,
    #[arg(long, conflicts_with = "problem")]
    visit: Option<Uuid>,
    #[arg(long)]
    problem: Option<Uuid>,
    /// Who took the photos (default: this device's user).
    #[arg(long)]
    by: Option<String>,
}

pub fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    let mut store = ctx.open()?;
    match cmd {
        Cmd::Archive(ArchiveArgs { household: Some(key), .. }) => household_archive(ctx, &store, &key),
        Cmd::Archive(ArchiveArgs { household: None, village, all }) => household_files(ctx, &store, village, all),
        Cmd::Document(args) => document(ctx, &mut store, args),
        Cmd::VillageArchive { village } => village_archive(ctx, &store, &village),
        Cmd::VillageDocument(args) => village_document(ctx, &mut store, args),
        Cmd::Photo(args) => photo(ctx, &mut store, args),
        Cmd::PhotoGet { hash, out } => photo_get(&mut store, &hash, &out),
    }
}

/// One household's 一户一档, document kind by kind.
fn household_archive(ctx: &Ctx, store: &Store, key: &str) -> Result<()> {
    let h = find_household(store, key)?;
    ctx.out(&store.archive_status(h.id)?, |a| household_archive_text(&h, a))
}

/// An archive's state in a few words (一户一档 and 村级档案 alike).
fn overall(complete: bool, missing: u32, not_uploaded: u32) -> String {
    if complete {
        "齐全".to_string()
    } else {
        format!("缺 {missing} 项，{not_uploaded} 页未上传")
    }
}

/// One kind of document of an archive: its state and pages.
fn item_line(label: &str, required: bool, state: DocState, pages: u32, not_uploaded: u32) -> String {
    format!(
        "  {label}{}：{}（{pages} 页{}）\n",
        if required { "" } else { "（非必需）" },
        state.label(),
        if not_uploaded > 0 { format!("，{not_uploaded} 页未上传") } else { String::new() }
    )
}

fn household_archive_text(h: &Household, a: &ArchiveStatus) -> String {
    let mut s = format!(
        "{} {} 的一户一档：{}\n",
        h.household_no,
        h.head_name,
        overall(a.complete, a.missing, a.pages_not_uploaded)
    );
    for i in &a.items {
        let label = format!("[{}] {}", i.kind.section().label(), i.kind.label());
        s += &item_line(&label, i.required, i.state, i.pages, i.pages_not_uploaded);
        for d in &i.documents {
            s += &format!(
                "      文档 {}{}\n",
                d.document.id,
                d.document.title.as_deref().map(|t| format!(" {t}")).unwrap_or_default()
            );
        }
    }
    s
}

/// The households of a village (all on this device without `--village`) whose file is incomplete, or
/// every one with `--all`.
fn household_files(ctx: &Ctx, store: &Store, village: Option<Uuid>, all: bool) -> Result<()> {
    let lines = store.household_files(village)?;
    let total = lines.len();
    let complete = lines.iter().filter(|l| l.complete()).count();
    let shown: Vec<_> = lines.into_iter().filter(|l| all || !l.complete()).collect();
    ctx.out(&shown, |shown| {
        let mut s = format!("一户一档：{total} 户中 {complete} 户齐全，{} 户不齐全\n", total - complete);
        for l in shown {
            s += &household_file_line(l);
        }
        s
    })
}

fn household_file_line(l: &HouseholdFileLine) -> String {
    let missing: Vec<&str> = l.missing.iter().map(|k| k.label()).collect();
    format!(
        "  {} {}：{}{}\n",
        l.household_no.as_deref().unwrap_or("?"),
        l.head_name.as_deref().unwrap_or(""),
        if missing.is_empty() { "材料齐全".to_string() } else { format!("缺 {}", missing.join("、")) },
        if l.pages_not_uploaded > 0 { format!("；{} 页未上传", l.pages_not_uploaded) } else { String::new() }
    )
}

/// The document `document` started.
#[derive(Serialize)]
struct DocumentStarted {
    document_id: Uuid,
}

fn document(ctx: &Ctx, store: &mut Store, args: DocumentArgs) -> Result<()> {
    let DocumentArgs { household, kind, title } = args;
    let h = find_household(store, &household)?;
    let kind = ArchiveKind::parse(&kind)
        .or_else(|| ArchiveKind::ALL.iter().copied().find(|k| k.label() == kind))
        .ok_or_else(|| anyhow!("未知的材料类别 {kind}"))?;
    let by = store.operator()?;
    let id = store.create_document(&NewDocument { household_id: h.id, kind, title, note: None }, by.as_deref())?;
    ctx.out(&DocumentStarted { document_id: id }, |_| {
        format!(
            "已为 {} 户新建「{}」：{id}\n添加页面：zoufang-cli photo 照片.jpg --document {id}",
            h.household_no,
            kind.label()
        )
    })
}

/// A village's 村级档案, kind by kind.
fn village_archive(ctx: &Ctx, store: &Store, key: &str) -> Result<()> {
    let v = find_village(store, key)?;
    ctx.out(&store.village_archive(v.id)?, |a| {
        let mut s = format!("{}的村级档案：{}\n", a.village_name, overall(a.complete, a.missing, a.pages_not_uploaded));
        for i in &a.items {
            s += &item_line(i.kind.label(), i.required, i.state, i.pages, i.pages_not_uploaded);
            for d in &i.documents {
                s += &format!(
                    "      文档 {}{}{}\n",
                    d.document.id,
                    d.document.year.map(|y| format!(" {y}年度")).unwrap_or_default(),
                    d.document.title.as_deref().map(|t| format!(" {t}")).unwrap_or_default()
                );
            }
        }
        s
    })
}

fn village_document(ctx: &Ctx, store: &mut Store, args: VillageDocumentArgs) -> Result<()> {
    let VillageDocumentArgs { village, kind, year, title } = args;
    let v = find_village(store, &village)?;
    let kind = VillageArchiveKind::parse(&kind)
        .or_else(|| VillageArchiveKind::ALL.iter().copied().find(|k| k.label() == kind))
        .ok_or_else(|| anyhow!("未知的村级档案类别 {kind}"))?;
    let by = store.operator()?;
    let d = NewVillageDocument { village_id: v.id, kind, year, title, note: None };
    let id = store.create_village_document(&d, by.as_deref())?;
    ctx.out(&DocumentStarted { document_id: id }, |_| {
        format!(
            "已为{}新建村级档案「{}」：{id}\n添加页面：zoufang-cli photo 照片.jpg --village-document {id}",
            v.name,
            kind.label()
        )
    })
}

/// What became of one file given to `photo`.
#[derive(Serialize)]
struct PhotoResult {
    file: PathBuf,
    #[serde(flatten)]
    outcome: PhotoOutcome,
}

#[derive(Serialize)]
#[serde(untagged)]
enum PhotoOutcome {
    /// `photo` and `duplicate`.
    Imported(Box<PhotoImported>),
    /// Why the file was refused.
    Refused { error: String },
}

fn photo(ctx: &Ctx, store: &mut Store, args: PhotoArgs) -> Result<()> {
    let PhotoArgs { files, document, village_document, visit, problem, by } = args;
    let target = match (document, village_document, visit, problem) {
        (Some(d), ..) => PhotoTarget::ArchiveDocument(d),
        (_, Some(d), ..) => PhotoTarget::VillageDocument(d),
        (_, _, Some(v), _) => PhotoTarget::Visit(v),
        (.., Some(p)) => PhotoTarget::Rectification(p),
        _ => bail!("请用 --document、--village-document、--visit 或 --problem 指明照片属于哪条记录"),
    };
    let by = by.or(store.operator()?);
    let mut failed = 0;
    let mut results = Vec::new();
    for f in files {
        let r = std::fs::read(&f)
            .map_err(anyhow::Error::from)
            .and_then(|bytes| Ok(store.import_photo(&bytes, target, by.as_deref())?));
        let outcome = match r {
            Ok(p) => {
                if !ctx.json {
                    println!("{}：{}", f.display(), imported_text(&p));
                }
                PhotoOutcome::Imported(Box::new(p))
            }
            Err(e) => {
                failed += 1;
                eprintln!("{}：未导入。{e:#}", f.display());
                PhotoOutcome::Refused { error: format!("{e:#}") }
            }
        };
        results.push(PhotoResult { file: f, outcome });
    }
    ctx.out_json(&results)?;
    if failed > 0 {
        bail!("{failed} 个文件未导入（见上），其余已保存");
    }
    Ok(())
}

/// An imported photo as its line says it: what was done, its size, its page and when it was taken.
fn imported_text(p: &PhotoImported) -> String {
    format!(
        "{}（{}×{}，{} KB{}{}）",
        if p.duplicate { "已有同一张照片，未重复保存" } else { "已导入" },
        p.photo.width,
        p.photo.height,
        p.photo.bytes / 1024,
        p.photo.page.map(|n| format!("，第 {n} 页")).unwrap_or_default(),
        p.photo.taken_at.as_deref().map(|t| format!("，拍摄于 {t}")).unwrap_or_default(),
    )
}

/// Writes a photo's full image to `path`; prints text even with `--json` (there is no result to print).
fn photo_get(store: &mut Store, hash: &str, path: &std::path::Path) -> Result<()> {
    let bytes = zoufang_client::photo_image(store, hash)?;
    std::fs::write(path, &bytes).with_context(|| format!("写入 {} 失败", path.display()))?;
    println!("已保存 {}（{} KB）", path.display(), bytes.len() / 1024);
    Ok(())
}
