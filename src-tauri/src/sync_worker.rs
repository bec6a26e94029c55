//! Runs the client's background sync loop on its own thread and its own database connection, keeps the
//! latest status for the sync screen, and tells the window about every change of it (`sync-status`).

use crate::state::AppState;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tauri::Emitter;
use zoufang_client::{run_auto_waking, AutoEvent, AutoOptions, Progress};

/// The sync screen's view of the background sync.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct SyncStatus {
    pub enrolled: bool,
    pub running: bool,
    /// 0–100 while running.
    pub percent: Option<u8>,
    /// What is happening, in Chinese.
    pub phase: Option<String>,
    /// The server answered the last attempt.
    pub reachable: Option<bool>,
    pub pending: i64,
    pub last_sync: Option<String>,
    /// The last failure in plain Chinese, with what to do.
    pub last_error: Option<String>,
    /// Its stable code (`wiped`, `unreachable`, `certificate_mismatch`, a server code …): what the UI
    /// decides on.
    pub last_error_code: Option<String>,
    /// The technical detail of that failure, for the township's IT staff.
    pub last_error_detail: Option<String>,
    pub retry_in_seconds: Option<u64>,
    /// Changes the server refused, waiting for a person.
    pub quarantined: i64,
    pub last_report: Option<String>,
}

#[derive(Default)]
pub struct SyncShared {
    pub status: Mutex<SyncStatus>,
    pub stop: AtomicBool,
    pub wake: AtomicBool,
    started: AtomicBool,
}

impl SyncShared {
    fn update(&self, f: impl FnOnce(&mut SyncStatus)) -> SyncStatus {
        let mut s = self.status.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut s);
        s.clone()
    }
}

/// What a village work team member should read about a failed sync, and the detail for IT staff.
fn explain(e: &zoufang_client::SyncError) -> (String, Option<String>) {
    use zoufang_client::SyncError;
    match e {
        SyncError::Unreachable { url, detail } => (
            format!(
                "连接不上服务器 {url}。在村里没有信号时这是正常的：记录都已安全保存在本机，回到有网络的地方会自动同步；\
                 若在乡镇仍连不上，请检查 Wi-Fi 或联系乡镇管理员"
            ),
            Some(detail.clone()),
        ),
        SyncError::Server { status: 429, .. } => ("服务器繁忙，稍后会自动重试".into(), Some(e.to_string())),
        SyncError::Server { status, message, .. } if *status >= 500 => {
            (format!("服务器暂时出错，稍后会自动重试（{message}）"), None)
        }
        other => (other.to_string(), None),
    }
}

fn percent(p: Progress) -> (u8, String) {
    match p {
        Progress::Push { sent, pending } => {
            let total = (sent + pending).max(1);
            ((sent * 50 / total) as u8, format!("正在上传本机修改（{sent}/{}）", sent + pending))
        }
        Progress::Pull { cursor, head } => {
            let pct = (cursor.min(head) * 50).checked_div(head).map_or(100, |p| 50 + p as u8);
            (pct, "正在下载其他设备的修改".to_string())
        }
        Progress::Photos { done, total } => (50, format!("正在上传照片（{done}/{total}）")),
    }
}

/// After a revocation's wipe: every other file of the data directory (the WebView's storage among
/// them), the platform's directories for the app's identifier, and what the WebView holds in memory.
fn erase_the_rest<R: tauri::Runtime>(app: &tauri::AppHandle<R>, db: &std::path::Path) -> zoufang_client::Erased {
    use tauri::Manager;
    for w in app.webview_windows().values() {
        let _ = w.clear_all_browsing_data();
    }
    if let Some(state) = app.try_state::<AppState>() {
        state.set_rejections(None);
    }
    let mut erased = zoufang_client::erase_device_files(db, zoufang_client::DeviceDir::Own);
    // The platform's per-user directories for the app's identifier, where earlier versions' WebView
    // kept its storage and WebKit may keep caches: emptied too, unless the data directory is inside one.
    // Only a directory named after the identifier: never a parent such as `~/.local/share` itself.
    let data = db.parent().unwrap_or(std::path::Path::new("."));
    let id = app.config().identifier.clone();
    let path = app.path();
    for dir in [path.app_data_dir(), path.app_local_data_dir(), path.app_cache_dir()].into_iter().flatten() {
        let named = !id.is_empty() && dir.file_name().is_some_and(|n| n == id.as_str());
        if named && dir.exists() && !data.starts_with(&dir) {
            zoufang_client::erase::erase_contents(&dir, &mut erased);
        }
    }
    erased
}

impl AppState {
    /// Starts the background sync once the device is enrolled (again after enrolment).
    pub fn start_sync<R: tauri::Runtime>(&self, app: tauri::AppHandle<R>) {
        let enrolled = self.store().ok().and_then(|s| s.enrolment().ok().flatten()).is_some();
        let Some(key) = self.key() else { return };
        if !enrolled || self.sync.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let shared: Arc<SyncShared> = self.sync.clone();
        let db = self.db.clone();
        let interval = std::env::var("ZOUFANG_SYNC_INTERVAL_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
        std::thread::spawn(move || {
            let opts = AutoOptions {
                interval: Duration::from_secs(interval),
                min_backoff: Duration::from_secs(2),
                max_backoff: Duration::from_secs(120),
                ..Default::default()
            };
            let emit = |s: SyncStatus| {
                let _ = app.emit("sync-status", s);
            };
            run_auto_waking(&db, Some(&key), opts, &shared.stop, &shared.wake, &mut |ev| {
                let s = match ev {
                    AutoEvent::Progress(p) => shared.update(|s| {
                        let (pct, phase) = percent(p);
                        s.running = true;
                        s.percent = Some(pct);
                        s.phase = Some(phase);
                    }),
                    AutoEvent::Synced(r) => shared.update(|s| {
                        s.running = false;
                        s.percent = None;
                        s.phase = None;
                        s.reachable = Some(true);
                        s.last_error = None;
                        s.last_error_code = None;
                        s.last_error_detail = None;
                        s.retry_in_seconds = None;
                        s.last_report = Some(format!(
                            "上传 {} 条、下载 {} 条修改{}，用时 {:.1} 秒{}",
                            r.pushed.applied + r.pushed.superseded + r.pushed.duplicate,
                            r.pulled.fields,
                            if r.pushed.conflicts > 0 {
                                format!("，发现 {} 处编辑冲突", r.pushed.conflicts)
                            } else {
                                String::new()
                            },
                            r.millis as f64 / 1000.0,
                            r.clock_note().map(|n| format!("。{n}")).unwrap_or_default()
                        ));
                    }),
                    AutoEvent::Retrying { error, wait } => shared.update(|s| {
                        s.running = false;
                        s.percent = None;
                        s.phase = None;
                        s.reachable = Some(!matches!(error, zoufang_client::SyncError::Unreachable { .. }));
                        let (text, detail) = explain(&error);
                        s.last_error = Some(text);
                        s.last_error_code = Some(error.code().to_string());
                        s.last_error_detail = detail;
                        s.retry_in_seconds = Some(wait.as_secs().max(1));
                    }),
                    AutoEvent::Stopped(error) => {
                        // Revoked: the store has emptied the database; everything else the app wrote
                        // goes too.
                        let erased =
                            matches!(error, zoufang_client::SyncError::Wiped { .. }).then(|| erase_the_rest(&app, &db));
                        shared.update(|s| {
                            s.running = false;
                            s.percent = None;
                            s.phase = None;
                            let (text, detail) = explain(&error);
                            s.last_error = Some(match &erased {
                                Some(e) => format!("{text}。{}", e.summary()),
                                None => format!("{text}。同步已暂停，请联系乡镇管理员"),
                            });
                            s.last_error_code = Some(error.code().to_string());
                            s.last_error_detail = detail;
                        })
                    }
                };
                emit(s);
            });
            shared.started.store(false, Ordering::SeqCst);
        });
    }

    pub fn stop_sync(&self) {
        self.sync.stop.store(true, Ordering::SeqCst);
    }

    /// Syncs now instead of at the next interval.
    pub fn wake_sync(&self) {
        self.sync.wake.store(true, Ordering::SeqCst);
    }
}
