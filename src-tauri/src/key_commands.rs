//! The county office's private key outside its device: backups protected by a passphrase of their own,
//! written where the office chose (a USB stick, a second office device), imported on another device.
//! Each command adapts one client call.
//!
//! The passphrase is asked for twice when a backup is made and checked before anything else happens,
//! so a mistyped one never leaves a key whose only backup nobody can open. Private keys an earlier
//! version wrote in clear into the data directory's `keys/` are found at unlock ([`clear_key_backups`])
//! and converted with a passphrase the office gives ([`protect_key_backups`]).

use crate::error::{CmdError, CmdResult};
use crate::inspection_commands::{sealing_status, SealingStatus};
use crate::state::AppState;
use serde::Serialize;
use std::path::PathBuf;
use tauri::State;
use zoufang_store::OpeningKey;

/// A backup of the county office's private key, made with a new key or for a key already held.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct KeyBackup {
    pub fingerprint: String,
    pub backup_path: String,
}

fn passphrase_error(e: zoufang_vault::VaultError) -> CmdError {
    let field = match e {
        zoufang_vault::VaultError::PassphraseMismatch => "again",
        _ => "passphrase",
    };
    CmdError { code: "invalid".into(), message: e.to_string(), field: Some(field.into()) }
}

/// The chosen file, made new (never over an existing one) before any key is touched.
fn new_backup_file(path: &str) -> CmdResult<(PathBuf, std::fs::File)> {
    let path = PathBuf::from(path.trim());
    if path.as_os_str().is_empty() {
        return Err(CmdError {
            code: "invalid".into(),
            message: "请选择备份文件的保存位置".into(),
            field: Some("path".into()),
        });
    }
    let file = zoufang_client::create_key_backup(&path).map_err(|e| CmdError {
        code: "invalid".into(),
        message: format!("无法创建备份文件 {}（已存在的文件不会被覆盖）：{e}", path.display()),
        field: Some("path".into()),
    })?;
    Ok((path, file))
}

fn backed_up(path: PathBuf, file: std::fs::File, key: &OpeningKey, passphrase: &str) -> CmdResult<KeyBackup> {
    if let Err(e) = zoufang_client::write_key_backup(file, key, passphrase) {
        let _ = std::fs::remove_file(&path);
        return Err(e.into());
    }
    Ok(KeyBackup { fingerprint: key.sealing_key().fingerprint(), backup_path: path.display().to_string() })
}

/// Checks a new backup passphrase, typed twice, before the window opens the save dialog.
#[tauri::command]
pub fn check_backup_passphrase(passphrase: String, again: String) -> CmdResult<()> {
    zoufang_vault::backup::check_new_passphrase(&passphrase, &again).map_err(passphrase_error)
}

/// Makes the county's key pair (county office): the public key goes to the server, the private key
/// stays in the encrypted database and its backup, encrypted with `passphrase`, is written to `path`.
#[tauri::command]
pub fn sealing_key_generate(
    state: State<'_, AppState>,
    passphrase: String,
    again: String,
    path: String,
) -> CmdResult<KeyBackup> {
    zoufang_vault::backup::check_new_passphrase(&passphrase, &again).map_err(passphrase_error)?;
    let (path, file) = new_backup_file(&path)?;
    let key = match zoufang_client::new_sealing_key(&mut *state.store()?) {
        Ok(k) => k,
        Err(e) => {
            drop(file);
            let _ = std::fs::remove_file(&path);
            return Err(e.into());
        }
    };
    backed_up(path, file, &key, &passphrase).map_err(|e| {
        CmdError::new("backup_not_written", format!("密钥已生成，但备份未写成（{}）：请立即另存一份备份", e.message))
    })
}

/// Another backup of the private key this device holds (a second medium, or after a failed one).
#[tauri::command]
pub fn sealing_key_backup(
    state: State<'_, AppState>,
    passphrase: String,
    again: String,
    path: String,
) -> CmdResult<KeyBackup> {
    zoufang_vault::backup::check_new_passphrase(&passphrase, &again).map_err(passphrase_error)?;
    let key = state
        .store()?
        .opening_key()?
        .ok_or_else(|| CmdError::new("no_opening_key", "本机没有县扶贫办的私钥，无可备份"))?;
    let (path, file) = new_backup_file(&path)?;
    backed_up(path, file, &key, &passphrase)
}

/// Uses the private key from the backup file at `path` on this county-office device. A wrong
/// passphrase is refused and changes nothing.
#[tauri::command]
pub fn sealing_key_import(state: State<'_, AppState>, path: String, passphrase: String) -> CmdResult<SealingStatus> {
    let key = zoufang_client::read_key_backup(std::path::Path::new(path.trim()), &passphrase).map_err(|e| {
        let field = if matches!(
            &e,
            zoufang_client::SyncError::Store(zoufang_store::StoreError::Vault(
                zoufang_vault::VaultError::WrongPassphrase
            ))
        ) {
            "passphrase"
        } else {
            "path"
        };
        CmdError { code: "invalid".into(), message: e.to_string(), field: Some(field.into()) }
    })?;
    state.store()?.set_opening_key(&key)?;
    sealing_status(state)
}

/// Private keys an earlier version left in clear in the data directory: the window asks for a
/// passphrase to protect them as soon as it is unlocked.
#[tauri::command]
pub fn clear_key_backups(state: State<'_, AppState>) -> CmdResult<Vec<String>> {
    state.store()?;
    Ok(zoufang_client::clear_key_backups(state.data_dir()).iter().map(|p| p.display().to_string()).collect())
}

/// Protects those clear keys with `passphrase`: each is rewritten encrypted beside it, then overwritten
/// and removed. Returns the protected files.
#[tauri::command]
pub fn protect_key_backups(state: State<'_, AppState>, passphrase: String, again: String) -> CmdResult<Vec<String>> {
    state.store()?;
    zoufang_vault::backup::check_new_passphrase(&passphrase, &again).map_err(passphrase_error)?;
    let made = zoufang_client::protect_clear_key_backups(state.data_dir(), &passphrase)?;
    Ok(made.iter().map(|p| p.display().to_string()).collect())
}
