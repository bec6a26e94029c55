//! What the app holds while it runs: the open device database and the background sync's shared state.

use crate::error::{CmdError, CmdResult};
use crate::sync_worker::SyncShared;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use zoufang_store::Store;

pub struct AppState {
    pub db: PathBuf,
    store: Mutex<Store>,
    pub sync: Arc<SyncShared>,
}

impl AppState {
    /// Opens (creating if needed) `zoufang.db` in `dir`.
    pub fn open(dir: &Path) -> Result<AppState, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("无法创建数据目录 {}：{e}", dir.display()))?;
        let db = dir.join("zoufang.db");
        let store = Store::open(&db).map_err(|e| format!("无法打开本机数据库 {}：{e}", db.display()))?;
        Ok(AppState { db, store: Mutex::new(store), sync: Arc::new(SyncShared::default()) })
    }

    /// The store, for one command. A command that panicked mid-way cannot have left a half-written
    /// transaction (it rolls back on drop), so a poisoned lock is safe to take over.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The operator's name, required for anything that records who did it.
    pub fn operator(&self) -> CmdResult<String> {
        self.store().operator().map_err(CmdError::from)?.ok_or_else(|| CmdError::msg("请先在「设置」中填写使用人姓名"))
    }
}
