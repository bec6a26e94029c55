//! Enrolment by QR code: reading a scanned or pasted enrolment offer on a new tablet, and issuing a code
//! with its QR code on a township or county device. Each adapts one client or media call.

use crate::error::{CmdError, CmdResult};
use crate::state::AppState;
use serde::Serialize;
use tauri::State;
use zoufang_model::{Role, Scope};
use zoufang_sync::EnrolmentOffer;

/// A code a township or county device issued for a new tablet, with what the tablet scans.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct IssuedCode {
    pub code: String,
    pub ttl_hours: u32,
    /// The enrolment offer as text (what the QR code holds; can also be copied).
    pub offer: String,
    /// The QR code as SVG, for the screen.
    pub svg: String,
    /// Where the tablet will work and as what, for the person to read.
    pub place: String,
    pub role: String,
}

fn offer_error(e: zoufang_sync::OfferError) -> CmdError {
    CmdError { code: "invalid".into(), message: e.to_string(), field: Some("offer".into()) }
}

/// Reads an enrolment offer from pasted text.
#[tauri::command]
pub fn read_offer_text(text: String) -> CmdResult<EnrolmentOffer> {
    if text.trim().is_empty() {
        return Err(CmdError {
            code: "invalid".into(),
            message: "请粘贴注册内容（以 zoufang:enrol? 开头）".into(),
            field: Some("offer".into()),
        });
    }
    EnrolmentOffer::parse(&text).map_err(offer_error)
}

/// Reads an enrolment offer from a photo or screenshot of its QR code (the raw request body).
#[tauri::command]
pub async fn read_offer_image(request: tauri::ipc::Request<'_>) -> CmdResult<EnrolmentOffer> {
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(CmdError::new("no_photo", "请拍摄或选择注册二维码的照片"));
    };
    let bytes = bytes.clone();
    let text = tauri::async_runtime::spawn_blocking(move || zoufang_media::qr::read(&bytes))
        .await
        .map_err(|e| CmdError::new("interrupted", format!("读取中断：{e}")))?
        .map_err(|e| CmdError { code: "invalid".into(), message: e.to_string(), field: Some("offer".into()) })?;
    EnrolmentOffer::parse(&text).map_err(offer_error)
}

/// Issues a one-time code for a new tablet (township staff, county office) and draws its QR code.
#[tauri::command]
pub fn issue_enrolment_code(
    state: State<'_, AppState>,
    scope: String,
    role: Role,
    device_name: String,
    ttl_hours: u32,
) -> CmdResult<IssuedCode> {
    let scope = Scope::parse(scope.trim()).map_err(|e| CmdError {
        code: "invalid".into(),
        message: e.to_string(),
        field: Some("scope".into()),
    })?;
    if device_name.trim().is_empty() {
        return Err(CmdError {
            code: "invalid".into(),
            message: "请填写新设备的名称".into(),
            field: Some("device_name".into()),
        });
    }
    let e = state.store()?.enrolment()?.ok_or_else(|| CmdError::new("not_enrolled", "本机尚未注册"))?;
    let req =
        zoufang_sync::CodeRequest { scope: scope.clone(), role, device_name: device_name.trim().into(), ttl_hours };
    let issued = zoufang_client::Client::enrolled(&e).issue_code(&req)?;
    let offer = zoufang_client::offer(&*state.store()?, &scope, role, &issued.code)?;
    let text = offer.to_text();
    let svg = zoufang_media::qr::svg(&text, 320).map_err(|e| CmdError::new("qr_failed", e.to_string()))?;
    Ok(IssuedCode {
        code: issued.code,
        ttl_hours: issued.ttl_hours,
        offer: text,
        svg,
        place: offer.place,
        role: role.label().into(),
    })
}
