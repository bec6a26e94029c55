//! The 暗访 commands: the inspector's mode (seal findings) and the county office's (keys, open, turn
//! findings into rectification items). Each adapts one store or client call.

use crate::error::{CmdError, CmdResult};
use crate::state::AppState;
use chrono::NaiveDate;
use serde::Serialize;
use tauri::{Manager, State};
use uuid::Uuid;
use zoufang_model::{InspectionFindings, InspectionPhoto, Problem, ValidationError};
use zoufang_store::{InspectionCoverage, InspectionLine, OpeningKey};

/// What this device can do with sealed inspections.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct SealingStatus {
    /// Holds the county office's public key (inspectors can seal).
    pub can_seal: bool,
    pub sealing_fingerprint: Option<String>,
    /// Holds the county office's private key (it can open).
    pub can_open: bool,
    pub opening_fingerprint: Option<String>,
}

fn date(field: &str, s: &str) -> CmdResult<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| ValidationError::new(field, Problem::DateFormat).into())
}

#[tauri::command]
pub fn sealing_status(state: State<'_, AppState>) -> CmdResult<SealingStatus> {
    let store = state.store()?;
    let seal = store.sealing_key()?;
    let open = store.opening_key()?;
    Ok(SealingStatus {
        can_seal: seal.is_some(),
        sealing_fingerprint: seal.map(|k| k.fingerprint()),
        can_open: open.is_some(),
        opening_fingerprint: open.map(|k| k.sealing_key().fingerprint()),
    })
}

/// Seals the findings to the county office and records the inspection, by the device's operator.
#[tauri::command]
pub fn record_inspection(
    state: State<'_, AppState>,
    household: Uuid,
    inspected_on: String,
    findings: InspectionFindings,
) -> CmdResult<Uuid> {
    let by = state.operator()?;
    let on = date("inspected_on", &inspected_on)?;
    Ok(state.store()?.record_inspection(household, on, &by, &findings)?)
}

/// Seals a photo for the inspection being drafted, the moment it is taken: the raw body is the file's
/// bytes; only its ciphertext is kept. The answer goes into the findings' photos.
#[tauri::command]
pub async fn seal_inspection_photo<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    request: tauri::ipc::Request<'_>,
) -> CmdResult<InspectionPhoto> {
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(CmdError::new("no_photo", "请拍摄或选择一张照片"));
    };
    let bytes = bytes.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let sealed = state.store()?.seal_inspection_photo(&bytes)?;
        Ok(sealed)
    })
    .await
    .map_err(|e| CmdError::new("interrupted", format!("密封中断：{e}")))?
}

/// An inspection's photo as a `data:` URL, opened with the county office's key (the sealed file is
/// fetched from the server first when this device does not hold it, without holding the database).
#[tauri::command]
pub fn inspection_photo_data(state: State<'_, AppState>, hash: String) -> CmdResult<String> {
    let key = opening_key(&state)?;
    let local = state.store()?.open_inspection_photo(&hash, &key)?;
    let image = match local {
        Some(image) => image,
        None => {
            let e = state
                .store()?
                .enrolment()?
                .ok_or_else(|| CmdError::new("not_enrolled", "本机尚未注册，无法下载照片"))?;
            let sealed = zoufang_client::fetch_photo(&e, &hash)?;
            let mut store = state.store()?;
            store.save_fetched(&hash, &sealed)?;
            store
                .open_inspection_photo(&hash, &key)?
                .ok_or_else(|| CmdError::new("photo_unreadable", "照片保存后无法读取"))?
        }
    };
    Ok(crate::commands::jpeg_data_url(&image))
}

#[tauri::command]
pub fn inspections(state: State<'_, AppState>) -> CmdResult<Vec<InspectionLine>> {
    Ok(state.store()?.inspections()?)
}

/// The county's 督查 coverage this year against the 60% and village rules.
#[tauri::command]
pub fn inspection_coverage(state: State<'_, AppState>) -> CmdResult<InspectionCoverage> {
    use chrono::Datelike;
    Ok(state.store()?.report_inspection_coverage(chrono::Local::now().date_naive().year())?)
}

fn opening_key(state: &AppState) -> CmdResult<OpeningKey> {
    state
        .store()?
        .opening_key()?
        .ok_or_else(|| CmdError::new("no_opening_key", "本机没有县扶贫办的私钥：请先生成密钥或导入私钥备份"))
}

#[tauri::command]
pub fn open_inspection(state: State<'_, AppState>, id: Uuid) -> CmdResult<InspectionFindings> {
    let key = opening_key(&state)?;
    Ok(state.store()?.open_inspection(id, &key)?)
}

/// Turns the findings into rectification items; returns how many were made.
#[tauri::command]
pub fn rectify_inspection(
    state: State<'_, AppState>,
    id: Uuid,
    deadline: String,
    responsible: Option<String>,
) -> CmdResult<u32> {
    let key = opening_key(&state)?;
    let deadline = date("deadline", &deadline)?;
    let responsible = responsible.as_deref().map(str::trim).filter(|r| !r.is_empty());
    Ok(state.store()?.rectify_inspection(id, &key, deadline, responsible)?.len() as u32)
}
