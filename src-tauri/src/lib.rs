//! The Tauri shell: opens the device database, starts the background sync and exposes the store's
//! operations as commands. No business rule lives here; each command adapts one store or sync call.

pub mod bindings;
mod command_names;
pub mod commands;
mod enrolment_commands;
pub mod error;
mod inspection_commands;
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

/// The builder with every command registered; `run` adds the real runtime, tests a mock one.
pub fn builder<R: tauri::Runtime>(b: tauri::Builder<R>) -> tauri::Builder<R> {
    b.invoke_handler(tauri::generate_handler![
        commands::lock_state,
        commands::lock_now,
        commands::unlock,
        commands::app_info,
        commands::enrol,
        commands::set_operator,
        commands::village_overview,
        commands::households,
        commands::household_detail,
        commands::create_record,
        commands::update_record,
        commands::record_visit,
        commands::income_summary,
        commands::check_in,
        commands::presence_month,
        commands::problems,
        commands::close_problem,
        commands::record_exit_decision,
        commands::dashboard,
        commands::import_roster,
        commands::export_report,
        commands::conflicts,
        commands::resolve_conflict,
        commands::sync_status,
        commands::sync_now,
        commands::archive_status,
        commands::create_document,
        commands::import_photo,
        commands::photo_data,
        commands::photos_of,
        inspection_commands::sealing_status,
        inspection_commands::record_inspection,
        inspection_commands::seal_inspection_photo,
        inspection_commands::inspection_photo_data,
        inspection_commands::inspections,
        inspection_commands::inspection_coverage,
        inspection_commands::open_inspection,
        inspection_commands::rectify_inspection,
        inspection_commands::sealing_key_generate,
        inspection_commands::sealing_key_import,
        enrolment_commands::read_offer_text,
        enrolment_commands::read_offer_image,
        enrolment_commands::issue_enrolment_code,
    ])
}

/// Runs the app: `main` on desktops; on Android and iOS the entry point Tauri's mobile shell calls.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let app = builder(tauri::Builder::default())
        .setup(|app| {
            let dir = data_dir(app)?;
            // The database opens (and the background sync starts) when the user unlocks it.
            app.manage(AppState::new(&dir)?);
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
