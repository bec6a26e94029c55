//! Erasing what a revoked device wrote besides its database: a tablet handed on or lost must keep no
//! household data anywhere on its disk, not only in the database the store wipes.
//!
//! Rules:
//! - The database itself (and its `-wal`, `-shm` and `-journal` companions) stays: the store has already
//!   emptied it, and the app enrols it again as a new device.
//! - The app's data directory is its own, so everything else in it goes — whatever it is (earlier
//!   versions' `exports/` and `keys/`, the WebView's storage and caches, files this version does not
//!   know about). The CLI's database may sit in a directory shared with other things (`data/` beside a
//!   local server's database), so there only the device's own files go: the database's siblings named
//!   after it, its photo directory, and the `exports/` and `keys/` directories.
//! - Each file is overwritten with zeros and flushed before it is unlinked, so a plain disk does not
//!   keep its content in free blocks (flash storage may still; the data on it was encrypted or, for
//!   files of earlier versions, is now gone from the file system).
//! - A directory that fills again while it is erased (a running WebView's) is gone through again, a
//!   few times, before it is reported.
//! - Symbolic links are removed, never followed. What cannot be removed is reported, path and reason,
//!   and the rest is still erased.

use std::path::{Path, PathBuf};

/// Which files around the database are the device's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceDir {
    /// The directory belongs to the app: everything in it but the database is erased.
    Own,
    /// The directory may hold other things: only the device's own files are erased.
    Shared,
}

/// What an erasure did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Erased {
    /// Files removed.
    pub files: usize,
    /// What could not be removed: the path and why, in Chinese.
    pub failed: Vec<String>,
}

impl Erased {
    /// One line for the person: what was erased and, if anything remains, what.
    pub fn summary(&self) -> String {
        if self.failed.is_empty() {
            format!("已清除本机其余 {} 个文件", self.files)
        } else {
            format!("已清除 {} 个文件，以下未能删除，请手动删除：{}", self.files, self.failed.join("；"))
        }
    }
}

/// The database's own companions, kept: the file itself and SQLite's journal files.
fn is_database(name: &str, db: &str) -> bool {
    name == db || [format!("{db}-wal"), format!("{db}-shm"), format!("{db}-journal")].iter().any(|k| k == name)
}

/// Erases the device's files around the database `db` (see [`DeviceDir`]).
pub fn erase_device_files(db: &Path, dir_kind: DeviceDir) -> Erased {
    let mut done = Erased::default();
    let dir = match db.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => d.to_path_buf(),
        None => PathBuf::from("."),
    };
    let db_name = db.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = db.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return done,
        Err(e) => {
            done.failed.push(format!("{}（{e}）", dir.display()));
            return done;
        }
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_database(&name, &db_name) {
            continue;
        }
        let ours = match dir_kind {
            DeviceDir::Own => true,
            DeviceDir::Shared => {
                name == format!("{stem}.photos")
                    || name == "exports"
                    || name == "keys"
                    || (name.starts_with(&format!("{db_name}.")) || name.starts_with(&format!("{db_name}-")))
            }
        };
        if ours {
            erase_path(&entry.path(), &mut done);
        }
    }
    done
}

/// Erases everything inside `dir` (the directory itself stays): for the WebView's directories.
pub fn erase_contents(dir: &Path, done: &mut Erased) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        erase_path(&entry.path(), done);
    }
}

/// Overwrites and removes a file, or a directory with everything in it.
fn erase_path(path: &Path, done: &mut Erased) {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => return done.failed.push(format!("{}（{e}）", path.display())),
    };
    if meta.is_dir() {
        // A running WebView may write new files while its directory is erased: go through it again,
        // a few times, before reporting it.
        for attempt in 0.. {
            erase_contents(path, done);
            match std::fs::remove_dir(path) {
                Ok(()) => return,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
                Err(e) if e.kind() == std::io::ErrorKind::DirectoryNotEmpty && attempt < 5 => {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(e) => return done.failed.push(format!("{}（{e}）", path.display())),
            }
        }
        return;
    }
    if meta.is_file() {
        if let Err(e) = overwrite(path, meta.len()) {
            done.failed.push(format!("{}（无法覆写：{e}）", path.display()));
        }
    }
    match std::fs::remove_file(path) {
        Ok(()) => done.files += 1,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => done.failed.push(format!("{}（{e}）", path.display())),
    }
}

/// Overwrites `len` bytes of the file with zeros and flushes them to the disk.
pub(crate) fn overwrite(path: &Path, len: u64) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
    let zeros = [0u8; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        f.write_all(&zeros[..n])?;
        left -= n as u64;
    }
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(dir: &Path, files: &[&str]) {
        for f in files {
            let p = dir.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "龙国富 522630198001010011").unwrap();
        }
    }

    fn left(dir: &Path) -> Vec<String> {
        let mut out = Vec::new();
        for e in walk(dir) {
            out.push(e.strip_prefix(dir).unwrap().display().to_string());
        }
        out.sort();
        out
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
        out
    }

    #[test]
    fn the_apps_own_directory_keeps_only_the_database() {
        let d = tempfile::tempdir().unwrap();
        tree(
            d.path(),
            &[
                "zoufang.db",
                "zoufang.db-wal",
                "zoufang.db-shm",
                "zoufang.photos/ab/abcdef",
                "exports/月报表-2026-11.xlsx",
                "keys/县扶贫办暗访私钥-0011.txt",
                "webview/localstorage/tauri_localhost_0.localstorage",
                "unknown.tmp",
            ],
        );
        let outside = tempfile::tempdir().unwrap();
        tree(outside.path(), &["kept.txt"]);
        #[cfg(unix)]
        std::os::unix::fs::symlink(outside.path().join("kept.txt"), d.path().join("link")).unwrap();
        let done = erase_device_files(&d.path().join("zoufang.db"), DeviceDir::Own);
        assert!(done.failed.is_empty(), "{done:?}");
        assert_eq!(left(d.path()), vec!["zoufang.db", "zoufang.db-shm", "zoufang.db-wal"]);
        assert!(outside.path().join("kept.txt").exists(), "a link is removed, not followed");
        assert!(done.summary().contains("已清除"));
    }

    #[test]
    fn a_shared_directory_loses_only_the_devices_files() {
        let d = tempfile::tempdir().unwrap();
        tree(
            d.path(),
            &[
                "device.db",
                "device.db-wal",
                "device.db.encrypting",
                "device.photos/ab/abcdef",
                "keys/backup.txt",
                "server.db",
                "blobs/ab/abcdef",
                "notes.txt",
            ],
        );
        let done = erase_device_files(&d.path().join("device.db"), DeviceDir::Shared);
        assert!(done.failed.is_empty(), "{done:?}");
        assert_eq!(left(d.path()), vec!["blobs/ab/abcdef", "device.db", "device.db-wal", "notes.txt", "server.db"]);
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn what_cannot_be_removed_is_reported_and_the_rest_still_goes() {
        // /proc's files can be neither overwritten nor unlinked, by anyone (root included).
        let mut done = Erased::default();
        erase_path(Path::new("/proc/version"), &mut done);
        let d = tempfile::tempdir().unwrap();
        tree(d.path(), &["b.txt"]);
        erase_path(&d.path().join("b.txt"), &mut done);
        assert_eq!(done.files, 1);
        assert!(done.failed.iter().any(|f| f.starts_with("/proc/version")), "{done:?}");
        assert!(std::fs::read_to_string("/proc/version").unwrap().starts_with("Linux"));
        assert!(done.summary().contains("未能删除"));
    }
}
