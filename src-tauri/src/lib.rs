//! The Tauri shell: opens the device database, starts the background sync and exposes the store's
//! operations as commands. No business rule lives here; each command adapts one store or sync call.

pub mod bindings;
#[macro_use]
mod command_names;
#[cfg(test)]
mod command_types;
pub mod commands;
mod enrolment_commands;
pub mod error;
mod export_commands;
mod inspection_commands;
mod key_commands;
pub mod state;
pub mod sync_worker;

pub use command_names::COMMANDS;
pub use state::AppState;

use std::path::PathBuf;
use tauri::Manager;

/// The directory holding the device database: `ZOUFANG_DATA_DIR` if set (tests, several devices on one
/// machine), otherwise the platform's per-user app data directory.
fn data_dir<R: tauri::Runtime>(app: &tauri::App<R>) -> Result<PathBuf, String> {
    if let Some(d) = std::env::var_os("ZOUFANG_DATA_DIR") {
        return Ok(PathBuf::from(d));
    }
    app.path().app_data_dir().map_err(|e| format!("找不到应用数据目录：{e}"))
}

/// The window, with the WebView's storage and caches inside the data directory (`webview/`), where
/// the whole-device scan looks and a revocation's wipe erases them, rather than in the platform's
/// per-user directories.
fn main_window<R: tauri::Runtime>(app: &tauri::App<R>, dir: &std::path::Path) -> tauri::Result<()> {
    let config = app.config().app.windows.iter().find(|w| w.label == "main").cloned().unwrap_or_default();
    tauri::WebviewWindowBuilder::from_config(app.handle(), &config)?.data_directory(dir.join(WEBVIEW_DIR)).build()?;
    Ok(())
}

/// The WebView's directory inside the data directory.
pub const WEBVIEW_DIR: &str = "webview";

/// The builder with every command registered; `run` adds the real runtime, tests a mock one.
pub fn builder<R: tauri::Runtime>(b: tauri::Builder<R>) -> tauri::Builder<R> {
    // `tauri::generate_handler!` over the one list of commands (`command_names.rs`).
    macro_rules! handler {
        ($($module:ident :: $name:ident),* $(,)?) => {
            tauri::generate_handler![$($module::$name),*]
        };
    }
    b.invoke_handler(app_commands!(handler))
}

/// Runs the app: `main` on desktops; on Android and iOS the entry point Tauri's mobile shell calls.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let app = builder(tauri::Builder::default())
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let dir = data_dir(app)?;
            // The database opens (and the background sync starts) when the user unlocks it.
            app.manage(AppState::new(&dir)?);
            main_window(app, &dir)?;
            Ok(())
        })
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|handle, event| {
            if let tauri::RunEvent::Exit = event {
                if let Some(state) = handle.try_state::<AppState>() {
                    state.stop_sync();
                }
            }
        }),
        Err(e) => {
            eprintln!("走访无法启动：{e}");
            std::process::exit(1);
        }
    }
}
