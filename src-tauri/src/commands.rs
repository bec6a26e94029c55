//! The commands the window calls. Each adapts one store or sync operation: arguments in, the store's
//! answer or a [`CmdError`] out.

use crate::error::{CmdError, CmdResult};
use crate::state::AppState;
use crate::sync_worker::SyncStatus;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use serde_json::{Map, Value};
use tauri::{Emitter, Manager, State};
use uuid::Uuid;
use zoufang_model::settings::{views, SettingView};
use zoufang_model::{Entity, Helper, IncomeCalc, IncomeSummary, RectificationAction, Village};
use zoufang_store::{
    ArchiveStatus, ConflictView, Dashboard, HelperReport, HelpersLinked, HouseholdDetail, HouseholdQuery,
    HouseholdSummary, NewDocument, NewExitDecision, NewHelper, NewMemberChange, NewReview, NewStatusChange,
    NewVillageDocument, NewVisit, PhotoImported, PhotoTarget, PhotoView, PresenceMonth, ProblemItem, RecheckPlan,
    VillageArchiveStatus, VillageOverview,
};

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// Whether the device database is open, and whether there is one yet (the unlock screen asks for a
/// new secret, twice, or for the existing one).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct LockState {
    pub unlocked: bool,
    pub exists: bool,
    /// Shortest secret accepted for a new database.
    pub min_secret_chars: u32,
}

#[tauri::command]
pub fn lock_state(state: State<'_, AppState>) -> LockState {
    LockState {
        unlocked: state.is_unlocked(),
        exists: zoufang_store::database_exists(&state.db),
        min_secret_chars: zoufang_vault::MIN_SECRET_CHARS as u32,
    }
}

/// Locks the app (idle for a while, or the user's 锁定): the window needs the unlock secret again.
#[tauri::command]
pub fn lock_now(state: State<'_, AppState>) -> LockState {
    state.lock();
    lock_state(state)
}

/// Opens the encrypted device database with the user's unlock secret (on the first start, creates it
/// with this secret), then starts the background sync.
#[tauri::command]
pub fn unlock<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    secret: String,
) -> CmdResult<AppInfo> {
    if secret.is_empty() {
        return Err(CmdError {
            code: "invalid".into(),
            message: "请输入解锁密码".into(),
            field: Some("secret".into()),
        });
    }
    state.unlock(&secret)?;
    state.start_sync(app);
    app_info(state)
}

/// What the app needs to know at start: enrolled or not, who uses it, which villages it holds.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct AppInfo {
    pub device_id: Uuid,
    pub enrolled: bool,
    pub server_url: Option<String>,
    pub device_name: Option<String>,
    /// `village:<id>`, `township:<code>`…
    pub scope: Option<String>,
    /// The role the server gave this device, as people call it (第一书记, 督查组…).
    pub role: Option<String>,
    /// The same role as an identifier: decides the app's mode (village work, 暗访, county office).
    pub role_id: Option<zoufang_model::Role>,
    /// When the device's authorisation runs out (RFC 3339), if it does.
    pub expires_at: Option<String>,
    pub operator: Option<String>,
    pub villages: Vec<Village>,
    pub today: NaiveDate,
    /// Values to prefill the enrolment form with (`make run` passes the local server and a code).
    pub suggested_server: Option<String>,
    pub suggested_code: Option<String>,
    /// The server is reached over unencrypted HTTP (this machine only, or allowed explicitly): the
    /// sync screen says so.
    pub plain_http: bool,
    /// The SHA-256 fingerprint of the server certificate pinned at enrolment, for people to compare.
    pub cert_pin: Option<String>,
}

fn scope_text(s: &zoufang_model::Scope) -> String {
    match s {
        zoufang_model::Scope::Village(v) => format!("village:{v}"),
        zoufang_model::Scope::Township(t) => format!("township:{t}"),
        zoufang_model::Scope::County(c) => format!("county:{c}"),
    }
}

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> CmdResult<AppInfo> {
    let mut store = state.store()?;
    let e = store.enrolment()?;
    if e.is_none() {
        // The background sync may have erased a revoked device, giving it a new id.
        store.refresh_identity()?;
    }
    Ok(AppInfo {
        device_id: store.device_id(),
        enrolled: e.is_some(),
        server_url: e.as_ref().map(|e| e.server_url.clone()),
        device_name: e.as_ref().map(|e| e.device_name.clone()),
        scope: e.as_ref().map(|e| scope_text(&e.scope)),
        role: e.as_ref().map(|e| e.role.label().to_string()),
        role_id: e.as_ref().map(|e| e.role),
        expires_at: e.as_ref().and_then(|e| e.expires_at.clone()),
        operator: store.operator()?,
        villages: store.villages()?,
        today: today(),
        suggested_server: std::env::var("ZOUFANG_SERVER").ok(),
        suggested_code: std::env::var("ZOUFANG_ENROL_CODE").ok(),
        plain_http: e.as_ref().is_some_and(|e| zoufang_client::Client::enrolled(e).is_plain_http()),
        cert_pin: e.as_ref().and_then(|e| e.cert_pin.clone()),
    })
}

/// Enrols this device with the one-time code from the township (with the certificate fingerprint its
/// QR code carries, when scanned), or by signing in with a user's login and password (when no code is
/// given), then syncs at once.
#[allow(clippy::too_many_arguments)]
#[tauri::command]
pub fn enrol<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    server_url: String,
    code: String,
    device_name: String,
    login: Option<String>,
    password: Option<String>,
    pin: Option<String>,
) -> CmdResult<AppInfo> {
    let server_url = server_url.trim();
    if server_url.is_empty() {
        return Err(CmdError {
            code: "invalid".into(),
            message: "请填写服务器地址".into(),
            field: Some("server_url".into()),
        });
    }
    let login = login.as_deref().map(str::trim).filter(|l| !l.is_empty());
    if code.trim().is_empty() && login.is_none() {
        return Err(CmdError {
            code: "invalid".into(),
            message: "请填写乡镇提供的注册码".into(),
            field: Some("code".into()),
        });
    }
    let password = password.unwrap_or_default();
    if login.is_some() && password.is_empty() {
        return Err(CmdError {
            code: "invalid".into(), message: "请填写密码".into(), field: Some("password".into())
        });
    }
    if device_name.trim().is_empty() {
        return Err(CmdError {
            code: "invalid".into(),
            message: "请给本机起个名字，如「张家村工作队平板」".into(),
            field: Some("device_name".into()),
        });
    }
    {
        let mut store = state.store()?;
        if store.enrolment()?.is_some() {
            return Err(CmdError::new("already_enrolled", "本机已注册，无需重复注册"));
        }
        store.refresh_identity()?;
        match login {
            Some(login) => zoufang_client::login(&mut store, server_url, login, &password, device_name.trim())?,
            None => zoufang_client::enrol_pinned(
                &mut store,
                server_url,
                pin.as_deref().filter(|p| !p.is_empty()),
                code.trim(),
                device_name.trim(),
            )?,
        };
        // The first sync brings the village's households; done here so the home screen has them.
        zoufang_client::sync(&mut store)?;
    }
    state.start_sync(app);
    app_info(state)
}

#[tauri::command]
pub fn set_operator(state: State<'_, AppState>, name: String) -> CmdResult<String> {
    Ok(state.store()?.set_operator(&name)?)
}

#[tauri::command]
pub fn village_overview(state: State<'_, AppState>, village: Uuid) -> CmdResult<VillageOverview> {
    Ok(state.store()?.village_overview(village, today())?)
}

#[tauri::command]
pub fn households(state: State<'_, AppState>, query: HouseholdQuery) -> CmdResult<Vec<HouseholdSummary>> {
    Ok(state.store()?.households(&query)?)
}

#[tauri::command]
pub fn household_detail(state: State<'_, AppState>, id: Uuid) -> CmdResult<HouseholdDetail> {
    Ok(state.store()?.household_detail(id, today())?)
}

fn entity(name: &str) -> CmdResult<Entity> {
    match Entity::parse(name) {
        Some(e @ (Entity::Household | Entity::Member | Entity::HandbookEntry | Entity::Rectification)) => Ok(e),
        _ => Err(CmdError::new("not_editable", format!("不能在此新建或修改「{name}」记录"))),
    }
}

/// Creates a household, member, handbook entry or rectification item; returns its id.
#[tauri::command]
pub fn create_record(state: State<'_, AppState>, kind: String, fields: Map<String, Value>) -> CmdResult<Uuid> {
    let id = Uuid::now_v7();
    state.store()?.create_fields(entity(&kind)?, id, &fields)?;
    Ok(id)
}

/// Changes fields of a household, member, handbook entry or rectification item; returns how many changed.
#[tauri::command]
pub fn update_record(
    state: State<'_, AppState>,
    kind: String,
    id: Uuid,
    patch: Map<String, Value>,
) -> CmdResult<usize> {
    Ok(state.store()?.update(entity(&kind)?, id, &patch)?)
}

#[tauri::command]
pub fn record_visit(state: State<'_, AppState>, visit: NewVisit) -> CmdResult<Uuid> {
    Ok(state.store()?.record_visit(&visit)?)
}

/// The income form's figures as the user types (no storage).
#[tauri::command]
pub fn income_summary(calc: IncomeCalc) -> IncomeSummary {
    calc.summary()
}

#[tauri::command]
pub fn check_in(
    state: State<'_, AppState>,
    village: Uuid,
    lat: Option<f64>,
    lon: Option<f64>,
) -> CmdResult<PresenceMonth> {
    let who = state.operator()?;
    let mut store = state.store()?;
    store.check_in(village, &who, lat, lon)?;
    let t = today();
    Ok(store.presence_month(village, &who, t.year(), t.month(), t)?)
}

#[tauri::command]
pub fn presence_month(state: State<'_, AppState>, village: Uuid, year: i32, month: u32) -> CmdResult<PresenceMonth> {
    let who = state.operator()?;
    Ok(state.store()?.presence_month(village, &who, year, month, today())?)
}

#[tauri::command]
pub fn problems(state: State<'_, AppState>, village: Uuid, open_only: bool) -> CmdResult<Vec<ProblemItem>> {
    Ok(state.store()?.problem_ledger(village, open_only, today())?)
}

/// Takes one 销号 step on a rectification item (the village proposes, the issuer confirms or sends it
/// back, the county re-checks), by the operator, today.
#[tauri::command]
pub fn review_problem(
    state: State<'_, AppState>,
    id: Uuid,
    action: RectificationAction,
    note: Option<String>,
) -> CmdResult<()> {
    let actor = state.operator()?;
    let review = NewReview { rectification_id: id, action, decided_on: today().to_string(), actor, note };
    state.store()?.review_problem(&review)?;
    Ok(())
}

/// The county office's re-check: its share, and the closed items to re-check now.
#[tauri::command]
pub fn recheck_plan(state: State<'_, AppState>) -> CmdResult<RecheckPlan> {
    Ok(state.store()?.recheck_plan(today())?)
}

/// The county office's settings: each with its label, bounds, default, where the default comes from,
/// and the value this device has (the county's, as last synced).
#[tauri::command]
pub fn county_settings(state: State<'_, AppState>) -> CmdResult<Vec<SettingView>> {
    Ok(views(&state.store()?.county_settings()?))
}

/// Sets one of the county's settings on the server (county office devices, online).
#[tauri::command]
pub fn set_setting(state: State<'_, AppState>, key: String, value: i64) -> CmdResult<Vec<SettingView>> {
    let mut store = state.store()?;
    Ok(views(&zoufang_client::set_setting(&mut store, &key, value)?))
}

/// Records a member joining (born, married in, moved in) or leaving (died, married out, moved out) by the
/// operator; returns the household as it now stands.
#[tauri::command]
pub fn record_member_change(state: State<'_, AppState>, change: NewMemberChange) -> CmdResult<HouseholdDetail> {
    let actor = state.operator()?;
    let mut store = state.store()?;
    store.record_member_change(&NewMemberChange { actor, ..change.clone() })?;
    Ok(store.household_detail(change.household_id, today())?)
}

/// A household's history (痕迹管理) from the server; needs a connection.
#[tauri::command]
pub fn household_history(state: State<'_, AppState>, id: Uuid) -> CmdResult<zoufang_sync::HistoryResponse> {
    Ok(zoufang_client::household_history(&*state.store()?, id)?)
}

/// Registers a 返贫 (or, on a county office's device, a correction) by its procedure; returns the
/// household as it now stands.
#[tauri::command]
pub fn record_status_change(state: State<'_, AppState>, change: NewStatusChange) -> CmdResult<HouseholdDetail> {
    let mut store = state.store()?;
    store.record_status_change(&change)?;
    Ok(store.household_detail(change.household_id, today())?)
}

#[tauri::command]
pub fn record_exit_decision(state: State<'_, AppState>, decision: NewExitDecision) -> CmdResult<HouseholdDetail> {
    let mut store = state.store()?;
    store.record_exit_decision(&decision, today())?;
    Ok(store.household_detail(decision.household_id, today())?)
}

/// The 报表 screen: every report over the villages this device holds.
#[tauri::command]
pub fn dashboard(state: State<'_, AppState>) -> CmdResult<Dashboard> {
    Ok(state.store()?.dashboard(today(), &zoufang_model::calendar::WorkCalendar::national())?)
}

/// What a roster import did. Rejected rows are kept in memory for [`crate::export_commands::save_rejections`].
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ImportResult {
    pub summary: zoufang_office::ImportSummary,
    /// The file name to suggest for the rejection report, when rows were refused.
    pub rejections_name: Option<String>,
}

/// Imports a roster sent as the raw request body (header `x-file-name`: the file's URI-encoded name).
/// Runs off the main thread; `import-progress` events report where it is.
#[tauri::command]
pub async fn import_roster<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    request: tauri::ipc::Request<'_>,
) -> CmdResult<ImportResult> {
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(CmdError::new("no_file", "请选择要导入的花名册文件"));
    };
    if bytes.is_empty() {
        return Err(CmdError::new("empty_file", "文件是空的"));
    }
    let name = request
        .headers()
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .map(percent_decode)
        .unwrap_or_else(|| "花名册.xlsx".into());
    let bytes = bytes.clone();
    let handle = app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let state = handle.state::<AppState>();
        state.set_rejections(None);
        let (summary, rejections) = {
            let mut store = state.store()?;
            zoufang_office::import_roster(&mut store, &name, bytes, today(), &mut |p| {
                let _ = handle.emit("import-progress", p);
            })
            .map_err(office_error)?
        };
        let stem = name.rsplit_once('.').map(|(s, _)| s).unwrap_or(&name).to_string();
        let rejections_name = rejections.as_ref().map(|_| format!("{stem}-未导入的行.xlsx"));
        state.set_rejections(rejections.zip(rejections_name.clone()));
        Ok(ImportResult { summary, rejections_name })
    })
    .await
    .map_err(|e| CmdError::new("interrupted", format!("导入中断：{e}")))?
}

pub(crate) fn office_error(e: zoufang_office::OfficeError) -> CmdError {
    match e {
        zoufang_office::OfficeError::Store(s) => s.into(),
        other => CmdError::new(other.code(), other.to_string()),
    }
}

/// `%E8%8A%B1…` → the file name (the header carries it URI-encoded).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (b[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tauri::command]
pub fn conflicts(state: State<'_, AppState>, open_only: bool) -> CmdResult<Vec<ConflictView>> {
    Ok(state.store()?.conflict_views(open_only)?)
}

/// Resolves a conflict with one side's value or a typed merge.
#[tauri::command]
pub fn resolve_conflict(state: State<'_, AppState>, id: Uuid, value: Value) -> CmdResult<()> {
    let who = state.operator()?;
    state.store()?.resolve_conflict(id, &value, &who)?;
    state.wake_sync();
    Ok(())
}

#[tauri::command]
pub fn sync_status(state: State<'_, AppState>) -> CmdResult<SyncStatus> {
    let (enrolled, pending, last_sync, quarantined) = {
        let store = state.store()?;
        (store.enrolment()?.is_some(), store.pending_changes()?, store.last_sync()?, store.quarantined()?.len())
    };
    let mut s = state.sync.status.lock().unwrap_or_else(|p| p.into_inner()).clone();
    s.enrolled = enrolled;
    s.pending = pending;
    s.last_sync = last_sync;
    s.quarantined = quarantined as i64;
    Ok(s)
}

#[tauri::command]
pub fn sync_now<R: tauri::Runtime>(app: tauri::AppHandle<R>, state: State<'_, AppState>) -> CmdResult<()> {
    if state.store()?.enrolment()?.is_none() {
        return Err(CmdError::new("not_enrolled", "本机尚未注册，请先注册"));
    }
    state.start_sync(app);
    state.wake_sync();
    Ok(())
}

/// A household's 一户一档 with the state of every required document.
#[tauri::command]
pub fn archive_status(state: State<'_, AppState>, household: Uuid) -> CmdResult<ArchiveStatus> {
    Ok(state.store()?.archive_status(household)?)
}

/// Photos attached to a record (a visit's or a problem's evidence, a document's pages), in order.
#[tauri::command]
pub fn photos_of(state: State<'_, AppState>, owner: Uuid) -> CmdResult<Vec<PhotoView>> {
    Ok(state.store()?.photos_of(owner)?)
}

/// Starts a document in a household's 一户一档; returns its id.
#[tauri::command]
pub fn create_document(state: State<'_, AppState>, document: NewDocument) -> CmdResult<Uuid> {
    let by = state.operator()?;
    Ok(state.store()?.create_document(&document, Some(&by))?)
}

/// A village's 村级档案 with the state of every required kind.
#[tauri::command]
pub fn village_archive(state: State<'_, AppState>, village: Uuid) -> CmdResult<VillageArchiveStatus> {
    Ok(state.store()?.village_archive(village)?)
}

/// Starts a document in a village's 村级档案; returns its id.
#[tauri::command]
pub fn create_village_document(state: State<'_, AppState>, document: NewVillageDocument) -> CmdResult<Uuid> {
    let by = state.operator()?;
    Ok(state.store()?.create_village_document(&document, Some(&by))?)
}

/// The 帮扶责任人 register of a village (every village on the device without one).
#[tauri::command]
pub fn helpers(state: State<'_, AppState>, village: Option<Uuid>) -> CmdResult<Vec<Helper>> {
    Ok(state.store()?.helpers(village)?)
}

/// The helpers' visit frequency today, over a village or every village on the device.
#[tauri::command]
pub fn helper_report(state: State<'_, AppState>, village: Option<Uuid>) -> CmdResult<HelperReport> {
    Ok(state.store()?.helper_report(village, today())?)
}

/// Adds a helper to a village's register; returns the village's register.
#[tauri::command]
pub fn add_helper(state: State<'_, AppState>, helper: NewHelper) -> CmdResult<Vec<Helper>> {
    let mut store = state.store()?;
    store.add_helper(&helper)?;
    Ok(store.helpers(Some(helper.village_id))?)
}

/// Names a household's 帮扶责任人 from the register (or no one); returns the household as it now stands.
#[tauri::command]
pub fn assign_helper(state: State<'_, AppState>, household: Uuid, helper: Option<Uuid>) -> CmdResult<HouseholdDetail> {
    let mut store = state.store()?;
    store.assign_helper(household, helper)?;
    Ok(store.household_detail(household, today())?)
}

/// Builds the register from the helper names typed on households and links them.
#[tauri::command]
pub fn link_helpers(state: State<'_, AppState>, village: Option<Uuid>) -> CmdResult<HelpersLinked> {
    Ok(state.store()?.link_helpers(village)?)
}

/// Imports a photo from the camera or a file picker: the file's bytes as the raw body, the record it
/// belongs to in the `x-target-kind` (archive_document | village_document | visit | rectification) and
/// `x-target-id` headers.
/// Processing takes a moment on a tablet, so it runs off the main thread.
#[tauri::command]
pub async fn import_photo<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    request: tauri::ipc::Request<'_>,
) -> CmdResult<PhotoImported> {
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(CmdError::new("no_photo", "请拍摄或选择一张照片"));
    };
    let header = |k: &str| request.headers().get(k).and_then(|v| v.to_str().ok());
    let id = header("x-target-id").and_then(|v| Uuid::parse_str(v).ok());
    let target = match (header("x-target-kind"), id) {
        (Some("archive_document"), Some(id)) => PhotoTarget::ArchiveDocument(id),
        (Some("village_document"), Some(id)) => PhotoTarget::VillageDocument(id),
        (Some("visit"), Some(id)) => PhotoTarget::Visit(id),
        (Some("rectification"), Some(id)) => PhotoTarget::Rectification(id),
        _ => return Err(CmdError::new("no_photo_owner", "没有指明照片属于哪条记录")),
    };
    let bytes = bytes.clone();
    let handle = app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let state = handle.state::<AppState>();
        let by = state.operator()?;
        let imported = state.store()?.import_photo(&bytes, target, Some(&by))?;
        Ok(imported)
    })
    .await
    .map_err(|e| CmdError::new("interrupted", format!("导入中断：{e}")))?
}

/// A photo as a `data:` URL for an <img>: the thumbnail, or the full image (fetched from the server
/// when this device does not hold it, without holding the database while it downloads).
#[tauri::command]
pub fn photo_data(state: State<'_, AppState>, hash: String, full: bool) -> CmdResult<String> {
    let local = state.store()?.blob(&hash)?;
    let bytes = match local {
        Some(b) => b,
        None if !full => return Err(CmdError::new("thumbnail_missing", "缩略图尚未下载，同步后可见")),
        None => {
            let e = state
                .store()?
                .enrolment()?
                .ok_or_else(|| CmdError::new("not_enrolled", "本机尚未注册，无法下载照片"))?;
            let bytes = zoufang_client::fetch_photo(&e, &hash)?;
            state.store()?.save_fetched(&hash, &bytes)?;
            bytes
        }
    };
    Ok(jpeg_data_url(&bytes))
}

/// A JPEG as a `data:` URL for an <img>.
pub(crate) fn jpeg_data_url(bytes: &[u8]) -> String {
    use base64::Engine;
    format!("data:image/jpeg;base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}
