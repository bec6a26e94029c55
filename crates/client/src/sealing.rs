//! The county office's sealing keys: making a key pair on its device and handing the public half to the
//! server, for the county's inspectors to seal 暗访 findings to.

use crate::{Client, Result, SyncError};
use std::path::{Path, PathBuf};
use zoufang_store::{OpeningKey, Store, StoreError};

/// Makes the county's key pair on this (county office) device: the public key goes to the server, both
/// halves are kept in the device's encrypted database. Refuses when the device already holds a private
/// key: a new pair would leave earlier inspections openable only with the old one. Returns the private
/// key, which the caller must have the user back up (without it no inspection can be opened).
pub fn new_sealing_key(store: &mut Store) -> Result<OpeningKey> {
    if store.opening_key()?.is_some() {
        return Err(StoreError::refused(
            "opening_key_exists",
            "本机已有县扶贫办的私钥；换新密钥会使此前的暗访记录只能用旧私钥打开，请先确认旧私钥已备份",
        )
        .into());
    }
    let e = store.enrolment()?.ok_or(StoreError::NotEnrolled)?;
    if e.role != zoufang_model::Role::County {
        return Err(StoreError::refused(
            "not_county",
            format!("只有县扶贫办能设置暗访密封密钥（本机为{}）", e.role.label()),
        )
        .into());
    }
    let key = OpeningKey::generate();
    let info = Client::enrolled(&e).set_sealing_key(&key.sealing_key().to_string())?;
    if info.fingerprint != key.sealing_key().fingerprint() {
        return Err(SyncError::Protocol("服务器保存的公钥与本机生成的不一致".into()));
    }
    store.set_opening_key(&key)?;
    store.set_sealing_key(&key.sealing_key())?;
    Ok(key)
}

/// A new file only its owner can read, for a private key's backup (made with its directory; an
/// existing file is never overwritten). Made before the key when the caller wants to be sure there is
/// somewhere to keep it.
pub fn create_key_backup(path: &Path) -> std::io::Result<std::fs::File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path)
}

/// Writes the private key, encrypted with `passphrase` (see [`zoufang_vault::backup`]), into a file
/// from [`create_key_backup`] and flushes it to the disk.
pub fn write_key_backup(mut file: std::fs::File, key: &OpeningKey, passphrase: &str) -> Result<()> {
    use std::io::Write;
    let text = zoufang_vault::backup::protect_key(key, passphrase).map_err(StoreError::from)?;
    file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(|e| io_error("写入私钥备份", e))?;
    Ok(())
}

/// The file name for a backup of `key`: the fingerprint tells backups of different keys apart.
pub fn key_backup_name(key: &OpeningKey) -> String {
    format!("县扶贫办暗访私钥-{}.zfkey", key.sealing_key().fingerprint())
}

/// Reads a private-key backup: one made by [`write_key_backup`] opens only with its passphrase (a wrong
/// one is refused and nothing is returned); a key in clear, as earlier versions wrote it, is read as
/// it is.
pub fn read_key_backup(path: &Path, passphrase: &str) -> Result<OpeningKey> {
    let text = std::fs::read_to_string(path).map_err(|e| io_error("读取私钥备份", e))?;
    let key = if zoufang_vault::backup::is_protected_backup(&text) {
        zoufang_vault::backup::open_key_backup(&text, passphrase)
    } else {
        text.trim().parse::<OpeningKey>()
    };
    Ok(key.map_err(StoreError::from)?)
}

/// Private keys an earlier version left in clear in `dir` (the data directory's `keys/`).
pub fn clear_key_backups(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir.join("keys")) else { return Vec::new() };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            std::fs::read(p)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .is_some_and(|t| t.trim().parse::<OpeningKey>().is_ok())
        })
        .collect();
    found.sort();
    found
}

/// Converts every clear backup in `dir`'s `keys/` into one protected by `passphrase`: the protected
/// file is written and flushed beside it first, then the clear file is overwritten with zeros and
/// removed. Returns the protected files' paths.
pub fn protect_clear_key_backups(dir: &Path, passphrase: &str) -> Result<Vec<PathBuf>> {
    let mut made = Vec::new();
    for clear in clear_key_backups(dir) {
        let key = read_key_backup(&clear, "")?;
        let path = clear.with_file_name(key_backup_name(&key));
        if !path.exists() {
            let file = create_key_backup(&path).map_err(|e| io_error("写入私钥备份", e))?;
            write_key_backup(file, &key, passphrase)?;
        } else {
            // Already converted before a crash: it must open with this passphrase to count.
            read_key_backup(&path, passphrase)?;
        }
        let len = std::fs::metadata(&clear).map(|m| m.len()).unwrap_or(0);
        crate::erase::overwrite(&clear, len).map_err(|e| io_error("覆写明文私钥", e))?;
        std::fs::remove_file(&clear).map_err(|e| io_error("删除明文私钥", e))?;
        made.push(path);
    }
    Ok(made)
}

fn io_error(what: &str, e: std::io::Error) -> SyncError {
    StoreError::Io(format!("{what}失败：{e}")).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clear_backups_of_earlier_versions_are_converted_and_erased() {
        let dir = tempfile::tempdir().unwrap();
        let key = OpeningKey::generate();
        let clear = dir.path().join("keys").join("县扶贫办暗访私钥-old.txt");
        std::fs::create_dir_all(clear.parent().unwrap()).unwrap();
        std::fs::write(&clear, format!("{key}\n")).unwrap();
        std::fs::write(dir.path().join("keys").join("readme.txt"), "not a key").unwrap();
        assert_eq!(clear_key_backups(dir.path()), vec![clear.clone()]);
        assert_eq!(read_key_backup(&clear, "").unwrap().to_string(), key.to_string(), "a clear file reads as is");

        let made = protect_clear_key_backups(dir.path(), "县里的私钥备份口令").unwrap();
        assert_eq!(made.len(), 1);
        assert!(!clear.exists(), "the clear file is gone");
        assert!(clear_key_backups(dir.path()).is_empty());
        let text = std::fs::read_to_string(&made[0]).unwrap();
        assert!(!text.contains(&key.to_string()));
        assert_eq!(read_key_backup(&made[0], "县里的私钥备份口令").unwrap().to_string(), key.to_string());
        let wrong = read_key_backup(&made[0], "别的口令别的口令").unwrap_err();
        assert!(wrong.to_string().contains("备份口令不正确"), "{wrong}");
    }

    #[test]
    fn a_backup_is_never_written_over_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.zfkey");
        let key = OpeningKey::generate();
        write_key_backup(create_key_backup(&path).unwrap(), &key, "passphrase-1").unwrap();
        assert!(create_key_backup(&path).is_err());
        assert_eq!(read_key_backup(&path, "passphrase-1").unwrap().sealing_key(), key.sealing_key());
        let short = write_key_backup(create_key_backup(&dir.path().join("c")).unwrap(), &key, "short");
        assert!(short.unwrap_err().to_string().contains("至少"));
    }
}
