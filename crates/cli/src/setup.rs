//! Setting this device up and looking at it: `init` enrols the device database with a server (the
//! only way a device gets its scope, role and token), `status` says where the device stands.
//!
//! Rules, and why:
//! - `init` needs the server; `status` does not: it reads only what this device holds, so it answers
//!   in a village without signal.
//! - The sign-in password is never an argument (it would stay in the shell's history): it comes from
//!   `ZOUFANG_PASSWORD` or stdin (`secrets`).

use crate::context::Ctx;
use crate::secrets::read_password;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use serde::Serialize;
use std::path::PathBuf;
use uuid::Uuid;
use zoufang_model::{ConflictStatus, Role, Scope};
use zoufang_store::Store;

#[derive(Subcommand)]
pub enum Cmd {
    /// Create the device database and enrol it with a server: with an enrolment QR code (`--qr` a photo
    /// or screenshot of it, or `--offer` its text), with a one-time code, or by signing in (`--login`;
    /// the password is read from ZOUFANG_PASSWORD or stdin).
    Init(InitArgs),
    /// This device: enrolment, pending changes, conflicts, last sync.
    Status,
}

#[derive(Args)]
pub struct InitArgs {
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
}

pub fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    let mut store = ctx.open()?;
    match cmd {
        Cmd::Init(args) => init(ctx, &mut store, args),
        Cmd::Status => status(ctx, &store),
    }
}

/// The enrolment `init` made.
#[derive(Serialize)]
struct Enrolled {
    device_id: Uuid,
    server: String,
    scope: Scope,
    role: Role,
    expires_at: Option<String>,
}

fn init(ctx: &Ctx, store: &mut Store, args: InitArgs) -> Result<()> {
    let InitArgs { server, pin, code, login, offer, qr, name } = args;
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
            zoufang_client::enrol_offer(store, &offer, &name)?
        }
        (None, Some(server), Some(code), _) => {
            zoufang_client::enrol_pinned(store, &server, pin.as_deref(), &code, &name)?
        }
        (None, Some(server), None, Some(login)) => {
            let password = read_password(&format!("请输入 {login} 的密码，回车结束："))?;
            zoufang_client::login(store, &server, &login, &password, &name)?
        }
        _ => bail!("请扫描注册二维码（--qr 图片 或 --offer 文本），或用 --server 加 --code 或 --login"),
    };
    let enrolled = Enrolled {
        device_id: store.device_id(),
        server: e.server_url,
        scope: e.scope,
        role: e.role,
        expires_at: e.expires_at,
    };
    ctx.out(&enrolled, |e| {
        format!(
            "本机已注册：设备 {}，{}，范围 {}，授权有效至 {}。运行 sync 同步数据。",
            e.device_id,
            e.role.label(),
            e.scope,
            e.expires_at.as_deref().unwrap_or("长期")
        )
    })
}

/// Where this device stands (`status`).
#[derive(Serialize)]
struct Status {
    device_id: Uuid,
    /// The server's address; empty, like the next three, before `init`.
    server: Option<String>,
    /// The scope as text, as `status` has always shown it (`init` prints it as an object).
    scope: Option<String>,
    role: Option<Role>,
    /// When the device's token stops working (RFC 3339), if it does.
    expires_at: Option<String>,
    /// Changes not yet accepted by the server.
    pending_changes: i64,
    /// Changes the server refused.
    quarantined: usize,
    open_conflicts: usize,
    last_sync: Option<String>,
    /// How far into the server's log this device has pulled.
    cursor: u64,
}

fn status(ctx: &Ctx, store: &Store) -> Result<()> {
    let e = store.enrolment()?;
    let status = Status {
        device_id: store.device_id(),
        server: e.as_ref().map(|e| e.server_url.clone()),
        scope: e.as_ref().map(|e| e.scope.to_string()),
        role: e.as_ref().map(|e| e.role),
        expires_at: e.and_then(|e| e.expires_at),
        pending_changes: store.pending_changes()?,
        quarantined: store.quarantined()?.len(),
        open_conflicts: store.conflicts(Some(ConflictStatus::Open))?.len(),
        last_sync: store.last_sync()?,
        cursor: store.cursor()?,
    };
    ctx.out(&status, |s| {
        format!(
            "设备 {}\n服务器 {}（范围 {}）\n待上传修改 {} 条，被拒收 {} 条，待处理冲突 {} 个\n上次同步 {}",
            s.device_id,
            s.server.as_deref().unwrap_or("未注册"),
            s.scope.as_deref().unwrap_or("-"),
            s.pending_changes,
            s.quarantined,
            s.open_conflicts,
            s.last_sync.as_deref().unwrap_or("从未"),
        )
    })
}
