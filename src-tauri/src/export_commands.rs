//! Files that leave the device: 月报表, 整改台账, a village's 公示名单 and an import's rejection report. They hold personal
//! data, so they are written only where the person chose (the platform's save dialog in the window, an
//! explicit path in tests), never into the app's data directory, and the app keeps no copy: the
//! rejected rows wait in memory until saved, and are dropped when the app locks or imports again.

use crate::error::{CmdError, CmdResult};
use crate::state::AppState;
use chrono::NaiveDate;
use std::path::{Path, PathBuf};
use tauri::State;

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// The name to suggest in the save dialog for `monthly` (月报表), `ledger` (整改台账) or `rejections`
/// (the last import's 未导入的行).
#[tauri::command]
pub fn export_file_name(state: State<'_, AppState>, kind: String) -> CmdResult<String> {
    let t = today();
    match kind.as_str() {
        "monthly" => Ok(format!("月报表-{}.xlsx", t.format("%Y-%m"))),
        "ledger" => Ok(format!("问题整改台账-{t}.xlsx")),
        "rejections" => state.rejections_name().ok_or_else(|| CmdError::new("no_rejections", "没有未导入的行可保存")),
        other => Err(CmdError::new("unknown_report", format!("未知的报表「{other}」"))),
    }
}

/// Writes `monthly` (月报表) or `ledger` (整改台账) as .xlsx to `path`, the place the person chose;
/// returns the path.
#[tauri::command]
pub fn export_report(state: State<'_, AppState>, kind: String, path: String) -> CmdResult<String> {
    let path = destination(&state, &path)?;
    let bytes = {
        let store = state.store()?;
        let t = today();
        match kind.as_str() {
            "monthly" => zoufang_office::export::monthly_report_xlsx(
                &store,
                t,
                &zoufang_model::calendar::WorkCalendar::national(),
            ),
            "ledger" => zoufang_office::export::ledger_xlsx(&store, t),
            other => return Err(CmdError::new("unknown_report", format!("未知的报表「{other}」"))),
        }
        .map_err(crate::commands::office_error)?
    };
    write(&path, &bytes)
}

/// The name to suggest for a village's 公示名单 as `pdf` or `xlsx`.
#[tauri::command]
pub fn publicity_file_name(state: State<'_, AppState>, village: uuid::Uuid, pdf: bool) -> CmdResult<String> {
    let list = state.store()?.publicity_list(village, today())?;
    Ok(format!("{}拟退出户公示名单-{}.{}", list.village, today(), if pdf { "pdf" } else { "xlsx" }))
}

/// Writes a village's 公示名单 to `path`, the place the person chose: a printable PDF when the name ends
/// in .pdf, else a workbook; returns the path.
#[tauri::command]
pub fn export_publicity(state: State<'_, AppState>, village: uuid::Uuid, path: String) -> CmdResult<String> {
    let path = destination(&state, &path)?;
    let list = state.store()?.publicity_list(village, today())?;
    let bytes = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf")) {
        zoufang_office::publicity::publicity_pdf(&list)
    } else {
        zoufang_office::publicity::publicity_xlsx(&list).map_err(crate::commands::office_error)?
    };
    write(&path, &bytes)
}

/// Writes the last import's rejected rows to `path`. 身份证号 are masked as the lists show them unless
/// `full_ids` (the person asked for the full numbers, to correct them).
#[tauri::command]
pub fn save_rejections(state: State<'_, AppState>, path: String, full_ids: bool) -> CmdResult<String> {
    let path = destination(&state, &path)?;
    let bytes = state
        .with_rejections(|r| r.xlsx(full_ids))
        .ok_or_else(|| CmdError::new("no_rejections", "没有未导入的行可保存"))?
        .map_err(crate::commands::office_error)?;
    write(&path, &bytes)
}

/// The chosen path, refused when it is empty, a directory, or inside the app's data directory (a copy
/// there would stay on the device, where nothing else is in clear).
fn destination(state: &AppState, path: &str) -> CmdResult<PathBuf> {
    let field = || Some("path".to_string());
    let path = PathBuf::from(path.trim());
    if path.as_os_str().is_empty() {
        return Err(CmdError { code: "invalid".into(), message: "请选择保存位置".into(), field: field() });
    }
    if path.is_dir() {
        return Err(CmdError {
            code: "invalid".into(),
            message: "请选择一个文件名，而不是文件夹".into(),
            field: field(),
        });
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let parent = parent.canonicalize().map_err(|e| CmdError {
        code: "invalid".into(),
        message: format!("保存位置不存在：{}（{e}）", parent.display()),
        field: field(),
    })?;
    if let Some(data) = state.data_dir().canonicalize().ok().filter(|d| parent.starts_with(d)) {
        return Err(CmdError {
            code: "invalid".into(),
            message: format!("不能保存到应用的数据目录 {}：文件含个人信息，请保存到其他位置", data.display()),
            field: field(),
        });
    }
    Ok(path)
}

/// Writes the file whole or not at all: into a new file beside it, flushed, then renamed over it.
fn write(path: &Path, bytes: &[u8]) -> CmdResult<String> {
    use std::io::Write;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let partial = path.with_file_name(format!(".{name}.part"));
    let written = std::fs::File::create(&partial)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&partial, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(CmdError::new("io", format!("无法保存 {}：{e}", path.display())));
    }
    Ok(path.display().to_string())
}
