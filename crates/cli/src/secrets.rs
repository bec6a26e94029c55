//! Secrets a command needs from the person or the script running it: the device database's unlock
//! secret, a password (to sign in, or for a new user) and the private-key backup's passphrase.
//!
//! Rules, and why:
//! - Each has its environment variable (`ZOUFANG_UNLOCK`, `ZOUFANG_PASSWORD`,
//!   `ZOUFANG_BACKUP_PASSPHRASE`), which wins: scripts and tests run without a terminal.
//! - Otherwise it is one line of stdin, not echoed when stdin is a terminal; the prompt goes to stderr,
//!   so stdout keeps only results (`--json`).
//! - A new secret is asked for twice and checked before anything is made with it: a typo must not
//!   lock a database or a key backup for good.

use anyhow::{bail, Result};
use std::io::IsTerminal;
use std::path::Path;

/// The unlock secret of the device database: `ZOUFANG_UNLOCK`, else asked for on the terminal (twice,
/// for a database about to be created).
pub fn unlock_secret(db: &Path) -> Result<String> {
    Ok(match std::env::var("ZOUFANG_UNLOCK") {
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
    })
}

/// The password for a sign-in or a new user: `ZOUFANG_PASSWORD`, else one line from stdin.
pub fn read_password(prompt: &str) -> Result<String> {
    if let Ok(p) = std::env::var("ZOUFANG_PASSWORD") {
        return Ok(p);
    }
    read_secret_line(prompt)
}

/// The private-key backup's passphrase: ZOUFANG_BACKUP_PASSPHRASE, or asked for (twice for a new one,
/// checked before anything is made).
pub fn backup_passphrase(new: bool) -> Result<String> {
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
