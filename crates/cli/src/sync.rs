//! Sync with the server and what it leaves to a person: edit conflicts waiting for a decision, and
//! changes the server refused (quarantined).
//!
//! Rules, and why:
//! - `sync` is safe to kill at any moment (the client resends and re-pulls what was not recorded), so
//!   scripts may run it from cron or stop `--watch` with Ctrl-C.
//! - A device the server reports lost or handed on has its database emptied by the store; `sync` then
//!   erases the device's other files beside it too and says so, and fails.
//! - Conflicts are decided here but settled everywhere: the choice is an ordinary change that the next
//!   sync takes to every device.

use crate::context::Ctx;
use crate::input::{field_value, parse_value};
use anyhow::{anyhow, bail, Result};
use clap::{Args, Subcommand};
use serde::Serialize;
use serde_json::Value;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use uuid::Uuid;
use zoufang_client::{AutoEvent, AutoOptions, DeviceDir, SyncError, SyncReport};
use zoufang_model::{Conflict, ConflictStatus, Entity, DELETED};
use zoufang_store::{DeviceKey, Quarantined, Store};

#[derive(Subcommand)]
pub enum Cmd {
    /// Sync with the server now (or keep syncing with --watch).
    Sync {
        #[arg(long)]
        watch: bool,
        /// Seconds between syncs with --watch.
        #[arg(long, default_value_t = 60)]
        interval: u64,
    },
    /// Edit conflicts waiting for a decision (--all: resolved ones too).
    Conflicts {
        #[arg(long)]
        all: bool,
    },
    /// Resolve a conflict by picking one side (--pick 1, 2 …) or typing a value (--value JSON or text).
    Resolve(ResolveArgs),
    /// Changes the server refused.
    Quarantine,
    /// Give up a refused change; the field returns to its previous value.
    Discard { change: Uuid },
}

#[derive(Args)]
pub struct ResolveArgs {
    conflict: Uuid,
    #[arg(long)]
    pick: Option<usize>,
    #[arg(long)]
    value: Option<String>,
    #[arg(long, default_value = "")]
    by: String,
}

pub fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    let (mut store, key) = ctx.open_with_key()?;
    match cmd {
        Cmd::Sync { watch: false, .. } => sync_once(ctx, &mut store),
        Cmd::Sync { watch: true, interval } => {
            // The background sync opens its own connection.
            drop(store);
            watch(&ctx.db, &key, interval);
            Ok(())
        }
        Cmd::Conflicts { all } => conflicts(ctx, &store, all),
        Cmd::Resolve(args) => resolve(ctx, &mut store, args),
        Cmd::Quarantine => quarantine(ctx, &store),
        Cmd::Discard { change } => discard(ctx, &mut store, change),
    }
}

fn sync_once(ctx: &Ctx, store: &mut Store) -> Result<()> {
    let r = match zoufang_client::sync(store) {
        Err(e @ SyncError::Wiped { .. }) => {
            // The store has emptied the database; the device's other files go too.
            return Err(anyhow!("{e}。{}", erase_the_rest(&ctx.db)));
        }
        other => other?,
    };
    ctx.out(&r, sync_text)
}

fn sync_text(r: &SyncReport) -> String {
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
}

/// Syncs every `interval` seconds until killed, a line per sync (text even with `--json`).
fn watch(db: &Path, key: &DeviceKey, interval: u64) {
    let stop = AtomicBool::new(false);
    let opts = AutoOptions { interval: Duration::from_secs(interval.max(1)), ..Default::default() };
    zoufang_client::run_auto(db, Some(key), opts, &stop, &mut |ev| match ev {
        AutoEvent::Progress(_) => {}
        AutoEvent::Synced(r) => println!(
            "同步完成：上传 {} 条，下载 {} 个字段",
            r.pushed.applied + r.pushed.superseded + r.pushed.duplicate,
            r.pulled.fields
        ),
        AutoEvent::Retrying { error, wait } => eprintln!("同步失败：{error}；{} 秒后重试", wait.as_secs()),
        AutoEvent::Stopped(e @ SyncError::Wiped { .. }) => eprintln!("同步已停止：{e}。{}", erase_the_rest(db)),
        AutoEvent::Stopped(e) => eprintln!("同步已停止：{e}"),
    });
}

/// Erases the device's files beside its emptied database (only this database's own, as other devices'
/// databases may share the directory); says what was erased.
fn erase_the_rest(db: &Path) -> String {
    zoufang_client::erase_device_files(db, DeviceDir::Shared).summary()
}

fn conflicts(ctx: &Ctx, store: &Store, all: bool) -> Result<()> {
    let cs = store.conflicts(if all { None } else { Some(ConflictStatus::Open) })?;
    ctx.out(&cs, |cs| {
        let mut lines: Vec<String> = cs.iter().flat_map(conflict_lines).collect();
        if lines.is_empty() {
            lines.push("没有待处理的冲突".into());
        }
        lines.join("\n")
    })
}

/// A conflict's heading and its candidates, numbered as `resolve --pick` takes them.
fn conflict_lines(c: &Conflict) -> Vec<String> {
    let mut lines = vec![format!(
        "冲突 {}（{}）：{} {} 的「{}」",
        c.id,
        c.status.label(),
        Entity::parse(&c.entity).map(|e| e.label()).unwrap_or(""),
        c.row_id,
        c.field
    )];
    for (i, cand) in c.candidates.iter().enumerate() {
        let mark = if cand.change == c.winner { "（当前）" } else { "" };
        lines.push(format!("  {}. {}  —— {} 于 {}{mark}", i + 1, cand.value, cand.author, cand.at));
    }
    lines
}

/// How `resolve` settled a conflict.
#[derive(Serialize)]
struct Resolved {
    conflict: Uuid,
    /// The value the field holds now.
    value: Value,
}

fn resolve(ctx: &Ctx, store: &mut Store, args: ResolveArgs) -> Result<()> {
    let ResolveArgs { conflict, pick, value, by } = args;
    let c = store.get::<Conflict>(conflict)?.ok_or_else(|| anyhow!("找不到冲突 {conflict}"))?;
    let choice = match (pick, value) {
        (Some(n), None) => {
            let cand =
                c.candidates.get(n.wrapping_sub(1)).ok_or_else(|| anyhow!("只有 {} 个取值可选", c.candidates.len()))?;
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
    let by =
        if by.is_empty() { store.enrolment()?.map(|e| e.device_name).unwrap_or_else(|| "本机".into()) } else { by };
    store.resolve_conflict(conflict, &choice, &by)?;
    ctx.out(&Resolved { conflict, value: choice }, |r| format!("冲突已处理，取值 {}；同步后各设备一致", r.value))
}

fn quarantine(ctx: &Ctx, store: &Store) -> Result<()> {
    ctx.out(&store.quarantined()?, |q| {
        if q.is_empty() {
            return "没有被拒收的修改".into();
        }
        q.iter().map(quarantined_line).collect::<Vec<_>>().join("\n")
    })
}

fn quarantined_line(c: &Quarantined) -> String {
    format!("{}  {}.{} = {}  原因：{}", c.change, c.entity.ident(), c.field, c.value, c.reason)
}

/// The refused change `discard` gave up.
#[derive(Serialize)]
struct Discarded {
    discarded: Uuid,
}

fn discard(ctx: &Ctx, store: &mut Store, change: Uuid) -> Result<()> {
    store.discard_quarantined(change)?;
    ctx.out(&Discarded { discarded: change }, |_| "已放弃该修改".into())
}
