//! Bringing people and devices in, for township staff and the county office: a one-time enrolment
//! code (with its QR code) for a new device, and a new user who can sign in.
//!
//! Rules, and why:
//! - Both are requests to the server made with this device's own token, so they need the network and an
//!   enrolled device; the server decides what this device may hand out (inside its own scope only).
//! - The new user's password is never an argument (it would stay in the shell's history): it comes from
//!   `ZOUFANG_PASSWORD` or stdin (`secrets`).
//! - The QR code goes to stderr (or a PNG file), so `--json` output stays one document.

use crate::context::Ctx;
use crate::secrets::read_password;
use anyhow::{anyhow, Context, Result};
use clap::{Args, Subcommand};
use serde::Serialize;
use std::path::PathBuf;
use uuid::Uuid;
use zoufang_model::{Role, Scope};
use zoufang_store::Store;

#[derive(Subcommand)]
pub enum Cmd {
    /// (Township staff, county office) a one-time enrolment code for a device inside this device's scope.
    EnrolCode(EnrolCodeArgs),
    /// (Township staff, county office) add a user inside this device's scope; the password is read
    /// from ZOUFANG_PASSWORD or stdin.
    UserAdd(UserAddArgs),
}

#[derive(Args)]
pub struct EnrolCodeArgs {
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
}

#[derive(Args)]
pub struct UserAddArgs {
    #[arg(long)]
    login: String,
    #[arg(long)]
    name: String,
    #[arg(long)]
    role: String,
    #[arg(long)]
    scope: String,
}

pub fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    let store = ctx.open()?;
    match cmd {
        Cmd::EnrolCode(args) => enrol_code(ctx, &store, args),
        Cmd::UserAdd(args) => user_add(ctx, &store, args),
    }
}

/// A client carrying this device's token, for the office's own requests.
fn office_client(store: &Store) -> Result<zoufang_client::Client> {
    let e = store.enrolment()?.ok_or_else(|| anyhow!("本机尚未注册，请先 init"))?;
    Ok(zoufang_client::Client::enrolled(&e))
}

fn parse_scope(scope: &str) -> Result<Scope> {
    Scope::parse(scope).map_err(|e| anyhow!("范围无效：{e}"))
}

fn parse_role(role: &str) -> Result<Role> {
    Role::parse(role).map_err(|e| anyhow!("{e}"))
}

/// The code `enrol-code` got from the server, and the QR code's text that carries it.
#[derive(Serialize)]
struct CodeIssued {
    code: String,
    ttl_hours: u32,
    /// `zoufang:enrol?…`: the server, its certificate's fingerprint, the place, the role and the code.
    offer: String,
}

fn enrol_code(ctx: &Ctx, store: &Store, args: EnrolCodeArgs) -> Result<()> {
    let EnrolCodeArgs { scope, role, name, ttl_hours, qr, qr_png } = args;
    let req = zoufang_sync::CodeRequest {
        scope: parse_scope(&scope)?,
        role: parse_role(&role)?,
        device_name: name.clone(),
        ttl_hours,
    };
    let r = office_client(store)?.issue_code(&req)?;
    let offer = zoufang_client::offer(store, &req.scope, req.role, &r.code)?.to_text();
    if qr {
        eprintln!("{}", zoufang_media::qr::terminal(&offer)?);
    }
    if let Some(path) = &qr_png {
        std::fs::write(path, zoufang_media::qr::png(&offer, 8)?)
            .with_context(|| format!("无法写入 {}", path.display()))?;
        eprintln!("二维码图片：{}", path.display());
    }
    ctx.out(&CodeIssued { code: r.code, ttl_hours: r.ttl_hours, offer }, |c| {
        format!(
            "{}\n注册码已生成：设备「{name}」，{}，范围 {}，{} 小时内有效，只能使用一次。",
            c.code,
            req.role.label(),
            req.scope,
            c.ttl_hours
        )
    })
}

/// The user `user-add` added.
#[derive(Serialize)]
struct UserAdded {
    id: Uuid,
}

fn user_add(ctx: &Ctx, store: &Store, args: UserAddArgs) -> Result<()> {
    let UserAddArgs { login, name, role, scope } = args;
    let password = read_password(&format!("请输入 {login} 的密码（至少 8 位），回车结束："))?;
    let req = zoufang_sync::UserRequest {
        login: login.clone(),
        name: name.clone(),
        role: parse_role(&role)?,
        scope: parse_scope(&scope)?,
        password,
    };
    let id = office_client(store)?.add_user(&req)?;
    ctx.out(&UserAdded { id }, |_| format!("用户 {login}（{name}，{}）已添加", req.role.label()))
}
