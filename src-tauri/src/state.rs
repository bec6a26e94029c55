//! What the app holds while it runs: the device database once the user has unlocked it, its key (for
//! the background sync's own connection) and the background sync's shared state.

use crate::error::{CmdError, CmdResult};
use crate::sync_worker::SyncShared;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use zoufang_store::{DeviceKey, Store, StoreError};

pub struct AppState {
    pub db: PathBuf,
    store: Mutex<Option<Store>>,
    key: Mutex<Option<DeviceKey>>,
    pub sync: Arc<SyncShared>,
    /// The last import's rejected rows and the file name to suggest for them: in memory only, until
    /// saved where the person chooses; dropped on lock and on the next import.
    rejections: Mutex<Option<(zoufang_office::Rejections, String)>>,
}

/// The open store, for one command.
pub struct StoreGuard<'a>(MutexGuard<'a, Option<Store>>);

impl Deref for StoreGuard<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        match self.0.as_ref() {
            Some(s) => s,
            None => unreachable!("a StoreGuard is only made over an open store"),
        }
    }
}

impl DerefMut for StoreGuard<'_> {
    fn deref_mut(&mut self) -> &mut Store {
        match self.0.as_mut() {
            Some(s) => s,
            None => unreachable!("a StoreGuard is only made over an open store"),
        }
    }
}

impl AppState {
    /// Prepares `zoufang.db` in `dir`; the database itself opens when the user unlocks it.
    pub fn new(dir: &Path) -> Result<AppState, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("无法创建数据目录 {}：{e}", dir.display()))?;
        Ok(AppState {
            db: dir.join("zoufang.db"),
            store: Mutex::new(None),
            key: Mutex::new(None),
            sync: Arc::new(SyncShared::default()),
            rejections: Mutex::new(None),
        })
    }

    /// Opens the encrypted database with the user's unlock secret (creating it with this secret on the
    /// first start). A wrong secret leaves the app locked and says so.
    pub fn unlock(&self, secret: &str) -> CmdResult<()> {
        let mut slot = self.store.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_some() {
            return Ok(());
        }
        let field = || Some("secret".to_string());
        let key = Store::unlock_key(&self.db, secret).map_err(|e| CmdError {
            code: "invalid".into(),
            message: e.to_string(),
            field: field(),
        })?;
        let store = Store::open_with_key(&self.db, &key).map_err(|e| match e {
            StoreError::WrongSecret => {
                CmdError {
                    code: "wrong_secret".into(), message: "解锁密码不正确，请重新输入".into(), field: field()
                }
            }
            e => CmdError::new("database_unopenable", format!("无法打开本机数据库 {}：{e}", self.db.display())),
        })?;
        *slot = Some(store);
        *self.key.lock().unwrap_or_else(|p| p.into_inner()) = Some(key);
        Ok(())
    }

    /// Closes the database for the window (the app was idle, or the user locked it): every command
    /// needs the secret again. The background sync keeps its own connection and goes on, so a locked
    /// tablet still syncs at the township office.
    pub fn lock(&self) {
        self.set_rejections(None);
        *self.store.lock().unwrap_or_else(|p| p.into_inner()) = None;
        *self.key.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    pub fn is_unlocked(&self) -> bool {
        self.store.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    /// The database key, once unlocked.
    pub fn key(&self) -> Option<DeviceKey> {
        self.key.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The store, for one command. A command that panicked mid-way cannot have left a half-written
    /// transaction (it rolls back on drop), so a poisoned lock is safe to take over.
    pub fn store(&self) -> CmdResult<StoreGuard<'_>> {
        let guard = self.store.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            return Err(CmdError::new("locked", "本机数据尚未解锁，请先输入解锁密码"));
        }
        Ok(StoreGuard(guard))
    }

    /// The operator's name, required for anything that records who did it.
    pub fn operator(&self) -> CmdResult<String> {
        self.store()?
            .operator()
            .map_err(CmdError::from)?
            .ok_or_else(|| CmdError::new("no_operator", "请先在「设置」中填写使用人姓名"))
    }

    /// The app's data directory: the database, its photos and the WebView's storage.
    pub fn data_dir(&self) -> &Path {
        self.db.parent().unwrap_or(Path::new("."))
    }

    pub fn set_rejections(&self, r: Option<(zoufang_office::Rejections, String)>) {
        *self.rejections.lock().unwrap_or_else(|p| p.into_inner()) = r;
    }

    pub fn rejections_name(&self) -> Option<String> {
        self.rejections.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|(_, n)| n.clone())
    }

    pub fn with_rejections<T>(&self, f: impl FnOnce(&zoufang_office::Rejections) -> T) -> Option<T> {
        self.rejections.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|(r, _)| f(r))
    }
}
