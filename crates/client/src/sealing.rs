//! The county office's sealing keys: making a key pair on its device and handing the public half to the
//! server, for the county's inspectors to seal 暗访 findings to.

use crate::{Client, Result, SyncError};
use std::path::Path;
use zoufang_store::{OpeningKey, Store, StoreError};

/// Makes the county's key pair on this (county office) device: the public key goes to the server, both
/// halves are kept in the device's encrypted database. Refuses when the device already holds a private
/// key: a new pair would leave earlier inspections openable only with the old one. Returns the private
/// key, which the caller must have the user back up (without it no inspection can be opened).
pub fn new_sealing_key(store: &mut Store) -> Result<OpeningKey> {
    if store.opening_key()?.is_some() {
        return Err(StoreError::Refused(
            "本机已有县扶贫办的私钥；换新密钥会使此前的暗访记录只能用旧私钥打开，请先确认旧私钥已备份".into(),
        )
        .into());
    }
    let e = store.enrolment()?.ok_or(StoreError::NotEnrolled)?;
    if e.role != zoufang_model::Role::County {
        return Err(StoreError::Refused(format!("只有县扶贫办能设置暗访密封密钥（本机为{}）", e.role.label())).into());
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

/// Writes the private key into a file from [`create_key_backup`] and flushes it to the disk.
pub fn write_key_backup(mut file: std::fs::File, key: &OpeningKey) -> std::io::Result<()> {
    use std::io::Write;
    writeln!(file, "{key}")?;
    file.sync_all()
}
