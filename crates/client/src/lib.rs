//! The device side of sync over HTTP: enrol with a one-time code, push the store's outbox in batches,
//! pull pages of the server log, and keep doing it in the background when the server comes and goes.
//!
//! Every step is safe to kill: a batch is resent under the same number until its answer is recorded,
//! and a pulled page is applied together with the cursor, so rerunning finishes the job without losing
//! or duplicating anything.

mod auto;
pub mod erase;
mod http;
mod photos;
mod sealing;
pub mod tls;

pub use auto::{run_auto, run_auto_waking, AutoEvent, AutoOptions};
pub use erase::{erase_device_files, DeviceDir, Erased};
pub use http::{Client, Health};
pub use photos::{fetch_photo, fetch_thumbs, inspection_photo, photo_image, upload_photos, PhotoReport};
pub use sealing::{
    clear_key_backups, create_key_backup, key_backup_name, new_sealing_key, protect_clear_key_backups, read_key_backup,
    write_key_backup,
};

use serde::{Deserialize, Serialize};
use std::time::Instant;
use zoufang_store::{PreparedPage, PullSummary, PushSummary, Store, StoreError};
use zoufang_sync::{refusal, PushRequest, PROTOCOL};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("无法连接服务器 {url}：{detail}。请检查网络后重试，数据已安全保存在本机")]
    Unreachable { url: String, detail: String },
    #[error("{message}")]
    Server { status: u16, code: String, message: String },
    #[error("服务器回应无法解析：{0}")]
    Protocol(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The server revoked this device and its data has been erased from it.
    #[error("{}", if *handed_in { "本机已被停用：未同步的数据已全部上交服务器，本机上的数据已清除。如需继续使用，请重新注册" } else { "本机已被停用（挂失或已上交），本机上的数据已清除。如需继续使用，请重新注册" })]
    Wiped { handed_in: bool },
    /// Revoked for handover, but something is still not uploaded: nothing was erased.
    #[error("本机已被停用，但还有 {changes} 条修改、{photos} 张照片未能上交；请保持联网后再同步一次，上交完成后本机数据才会清除")]
    HandoverIncomplete { changes: i64, photos: usize },
    /// Plain HTTP to a server beyond this machine: refused before anything is sent.
    #[error("服务器地址 {url} 没有加密（http://），户数据不能这样传输；请使用 https:// 地址或扫描注册二维码。本机没有发送任何数据")]
    PlainHttp { url: String },
    #[error("服务器地址「{url}」无效：应以 https:// 开头")]
    BadAddress { url: String },
    /// The server's certificate was refused during the handshake: nothing was sent.
    #[error(transparent)]
    Certificate(#[from] tls::CertRefusal),
}

impl SyncError {
    /// The stable code of this error, for the app and the UI to decide on (the message is for display):
    /// the server's own code for a refusal it answered, the store's for a local one.
    pub fn code(&self) -> &str {
        match self {
            SyncError::Unreachable { .. } => "unreachable",
            SyncError::Server { code, .. } => code,
            SyncError::Protocol(_) => "protocol",
            SyncError::Store(e) => e.code(),
            SyncError::Wiped { .. } => "wiped",
            SyncError::HandoverIncomplete { .. } => "handover_incomplete",
            SyncError::PlainHttp { .. } => "plain_http",
            SyncError::BadAddress { .. } => "bad_address",
            SyncError::Certificate(tls::CertRefusal::PinMismatch { .. }) => "certificate_mismatch",
            SyncError::Certificate(tls::CertRefusal::Expired { .. }) => "certificate_expired",
            SyncError::Certificate(tls::CertRefusal::Untrusted { .. }) => "certificate_untrusted",
        }
    }

    /// Worth trying again later by itself (network down, server restarting); the others need a person.
    pub fn is_retryable(&self) -> bool {
        match self {
            SyncError::Unreachable { .. } => true,
            SyncError::Server { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

pub type Result<T, E = SyncError> = std::result::Result<T, E>;

/// Sizes of batches and pages.
#[derive(Debug, Clone, Copy)]
pub struct SyncOptions {
    pub batch: usize,
    pub page: usize,
}

/// Pulled pages the device may hold while it writes one: they are fetched meanwhile and written
/// together in the next transaction.
const PAGES_AHEAD: usize = 4;

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions { batch: 1000, page: 5000 }
    }
}

/// Where a running sync is, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Progress {
    Push { sent: usize, pending: usize },
    Pull { cursor: u64, head: u64 },
    Photos { done: usize, total: usize },
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncReport {
    pub pushed: PushSummary,
    pub pulled: PullSummary,
    pub batches: usize,
    pub pages: usize,
    pub bytes_received: u64,
    pub quarantined: usize,
    pub millis: u64,
    /// Of `millis`, the time spent writing pulled pages into the device database.
    pub apply_millis: u64,
    /// Photo files sent up and thumbnails fetched.
    #[serde(default)]
    pub photos: PhotoReport,
    /// The server refused changes dated ahead of its clock: the device's clock was this many
    /// milliseconds fast, and its unsent changes were dated again by the server's clock.
    #[serde(default)]
    pub clock_corrected_ms: Option<i64>,
}

impl SyncReport {
    /// What to tell the person when the device's clock was set by the server's during this sync.
    pub fn clock_note(&self) -> Option<String> {
        let ms = self.clock_corrected_ms?;
        let min = ms.unsigned_abs() / 60_000;
        let by = if min >= 2 * 24 * 60 {
            format!("约 {} 天", min / (24 * 60))
        } else if min >= 120 {
            format!("约 {} 小时", min / 60)
        } else {
            format!("约 {min} 分钟")
        };
        let way = if ms >= 0 { "快" } else { "慢" };
        Some(format!("本机时钟比服务器{way}{by}，尚未上传的修改已按服务器时间重新标记；请把本机时间调准"))
    }
}

/// The enrolment offer a township or county device shows (as a QR code) for a code it issued: the
/// server address and certificate pin it uses itself, the code, where the new device will work and as
/// what.
pub fn offer(
    store: &Store,
    scope: &zoufang_model::Scope,
    role: zoufang_model::Role,
    code: &str,
) -> Result<zoufang_sync::EnrolmentOffer> {
    use zoufang_model::Scope;
    let e = store.enrolment()?.ok_or(StoreError::NotEnrolled)?;
    let villages = store.villages()?;
    let place = match scope {
        Scope::Village(v) => villages.iter().find(|x| x.id == *v).map(|x| x.name.clone()),
        Scope::Township(t) => villages.iter().find(|x| x.code.starts_with(t.as_str())).map(|x| x.township.clone()),
        Scope::County(c) => villages.iter().find(|x| x.code.starts_with(c.as_str())).map(|x| x.county.clone()),
    }
    .unwrap_or_else(|| scope.to_string());
    Ok(zoufang_sync::EnrolmentOffer { server: e.server_url, code: code.to_string(), pin: e.cert_pin, place, role })
}

/// Registers this device with a server using a one-time code from the township office.
pub fn enrol(store: &mut Store, server_url: &str, code: &str, device_name: &str) -> Result<zoufang_store::Enrolment> {
    enrol_pinned(store, server_url, None, code, device_name)
}

/// Registers this device as an enrolment offer (a scanned QR code) says: its server, certificate pin
/// and one-time code.
pub fn enrol_offer(
    store: &mut Store,
    offer: &zoufang_sync::EnrolmentOffer,
    device_name: &str,
) -> Result<zoufang_store::Enrolment> {
    enrol_pinned(store, &offer.server, offer.pin.as_deref(), &offer.code, device_name)
}

/// Registers this device with a one-time code, trusting the server's certificate when it is `pin`.
pub fn enrol_pinned(
    store: &mut Store,
    server_url: &str,
    pin: Option<&str>,
    code: &str,
    device_name: &str,
) -> Result<zoufang_store::Enrolment> {
    let client = Client::pinned(server_url, pin);
    let proof = store.enrolment_proof()?;
    let r = client.enrol_proving(code, store.device_id(), device_name, proof.as_deref())?;
    keep_enrolment(store, &client, pin, device_name, r)
}

/// Registers this device by signing in as a user; the device takes the user's role and scope.
pub fn login(
    store: &mut Store,
    server_url: &str,
    login: &str,
    password: &str,
    device_name: &str,
) -> Result<zoufang_store::Enrolment> {
    // Signing in again keeps the certificate pinned at the first enrolment with this server.
    let pin = store.enrolment()?.filter(|e| e.server_url == server_url.trim_end_matches('/')).and_then(|e| e.cert_pin);
    let client = Client::pinned(server_url, pin.as_deref());
    let proof = store.enrolment_proof()?;
    let r = client.login_proving(login, password, store.device_id(), device_name, proof.as_deref())?;
    keep_enrolment(store, &client, pin.as_deref(), device_name, r)
}

fn keep_enrolment(
    store: &mut Store,
    client: &Client,
    pin: Option<&str>,
    device_name: &str,
    r: zoufang_sync::EnrolResponse,
) -> Result<zoufang_store::Enrolment> {
    let e = zoufang_store::Enrolment {
        server_url: client.base().to_string(),
        server_id: r.server_id,
        device_name: device_name.to_string(),
        token: r.token,
        scope: r.scope,
        role: r.role,
        expires_at: Some(r.expires_at).filter(|s| !s.is_empty()),
        cert_pin: pin.map(str::to_string),
    };
    store.set_enrolment(&e)?;
    Ok(e)
}

/// One full sync with the server this store is enrolled with: push everything, then pull everything.
/// A household's history (痕迹管理) from the server: every change, who, when, from which device, old →
/// new. Needs a connection: the device keeps only its own changes.
pub fn household_history(store: &Store, household: uuid::Uuid) -> Result<zoufang_sync::HistoryResponse> {
    let e = store.enrolment()?.ok_or(StoreError::NotEnrolled)?;
    Client::enrolled(&e).history(household)
}

/// Sets one of the county's settings on the server (county office devices, online) and keeps the
/// county's settings as the server now holds them.
pub fn set_setting(store: &mut Store, key: &str, value: i64) -> Result<zoufang_model::settings::CountySettings> {
    let e = store.enrolment()?.ok_or(StoreError::NotEnrolled)?;
    let info = Client::enrolled(&e).set_setting(key, value)?;
    let settings = zoufang_model::settings::CountySettings { values: info.values };
    store.set_county_settings(&settings)?;
    Ok(settings)
}

pub fn sync(store: &mut Store) -> Result<SyncReport> {
    sync_with(store, SyncOptions::default(), &mut |_| {})
}

pub fn sync_with(store: &mut Store, opts: SyncOptions, progress: &mut dyn FnMut(Progress)) -> Result<SyncReport> {
    let e = store.enrolment()?.ok_or(StoreError::NotEnrolled)?;
    sync_client(&Client::enrolled(&e), store, opts, progress)
}

/// A sync through a given client (tests use it to point at a proxy that cuts connections).
///
/// A revoked device is told so by the server. Revoked for handover, it has by then pushed its changes
/// and uploaded its photos (pulls are what is refused), so it tells the server it is done and erases its
/// data; revoked as lost, it erases its data at once.
pub fn sync_client(
    client: &Client,
    store: &mut Store,
    opts: SyncOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<SyncReport> {
    match sync_once(client, store, opts, progress) {
        Err(SyncError::Server { code, .. }) if code == refusal::HANDOVER => {
            let changes = store.pending_changes()?;
            let photos = store.pending_blobs()?.len();
            if changes > 0 || photos > 0 {
                return Err(SyncError::HandoverIncomplete { changes, photos });
            }
            client.handover()?;
            store.wipe()?;
            Err(SyncError::Wiped { handed_in: true })
        }
        Err(SyncError::Server { code, .. }) if code == refusal::REVOKED => {
            store.wipe()?;
            Err(SyncError::Wiped { handed_in: false })
        }
        other => other,
    }
}

/// A pull page on its way from the fetching thread to the reading one.
enum Fetched {
    Received(http::Received),
    /// Already read: the fetching thread needed its cursor.
    Read(PreparedPage, u64),
}

/// A received pull page read straight from its JSON into a page ready to write (see the store's
/// `pull_read`), and the bytes it took on the wire.
fn read_page(r: http::Received) -> Result<(PreparedPage, u64)> {
    let (json, wire) = r.body()?;
    match Store::read_pull(&json) {
        Ok(page) => Ok((page, wire)),
        Err(StoreError::Protocol(e)) => Err(SyncError::Protocol(e)),
        Err(e) => Err(e.into()),
    }
}

fn sync_once(
    client: &Client,
    store: &mut Store,
    opts: SyncOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<SyncReport> {
    let start = Instant::now();
    let mut report = SyncReport::default();
    // Check-ins made since the last sync learn how far this device's clock was from the server's (the
    // 2/3 report counts a day as verified only with a clock that was right).
    if let Some(server_ms) = client.health()?.time_ms {
        let device_ms = chrono::Utc::now().timestamp_millis();
        store.stamp_presence_clock(server_ms as i64 - device_ms)?;
    }
    let pending = store.pending_changes()?.max(0) as usize;
    let mut sent = 0;
    while let Some(batch) = store.next_batch(opts.batch)? {
        progress(Progress::Push { sent, pending });
        let req = PushRequest { protocol: PROTOCOL, batch: batch.no, changes: batch.changes.clone() };
        let resp = match client.push(&req) {
            // Dated ahead of the server's clock (a clock set wrong): nothing of the batch was taken. Set
            // the device's clock by the server's, date the unsent changes again, send the batch again.
            Err(SyncError::Server { code, .. })
                if code == refusal::CLOCK_AHEAD && report.clock_corrected_ms.is_none() =>
            {
                let server_ms =
                    client.health()?.time_ms.ok_or_else(|| SyncError::Protocol("服务器未提供时间".into()))?;
                report.clock_corrected_ms = Some(store.redate_unsent(server_ms)?);
                continue;
            }
            other => other?,
        };
        let sum = store.record_push(&batch, &resp)?;
        report.pushed.add(&sum);
        report.batches += 1;
        sent += batch.changes.len();
    }
    progress(Progress::Push { sent, pending: sent });
    // Photo files after their records: the server accepts a file only once a record names it.
    photos::upload_photos(client, store, &mut report.photos, progress)?;
    // Files no record names (a 暗访 photo sealed for a draft never saved, an interrupted import), kept a
    // week in case the draft is still open.
    store.discard_unreferenced_files(chrono::Duration::days(7))?;
    // Pages flow through three threads: one fetches (it asks for page n+1 as soon as page n's
    // headers say where it starts, so the server builds it meanwhile), one reads each page's JSON
    // straight into a page ready to write (the store's `pull_read`), and this one writes.
    // The pages that are ready (up to `PAGES_AHEAD`) are applied together, with the cursor of the last,
    // in one transaction, so stopping anywhere is safe.
    let start_cursor = store.cursor()?;
    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<(PreparedPage, u64)>>(PAGES_AHEAD);
        let (fetched_tx, fetched_rx) = std::sync::mpsc::sync_channel::<Result<Fetched>>(2);
        let fetcher = client.clone();
        scope.spawn(move || {
            let mut after = start_cursor;
            loop {
                let (fetched, next) = match fetcher.pull_received(after, opts.page) {
                    Ok(r) => match r.next {
                        Some((cursor, more)) => (Ok(Fetched::Received(r)), more.then_some(cursor)),
                        // A server that does not say where the next page starts: read this one first.
                        None => match read_page(r) {
                            Ok((page, bytes)) => {
                                let next = page.more.then_some(page.cursor);
                                (Ok(Fetched::Read(page, bytes)), next)
                            }
                            Err(e) => (Err(e), None),
                        },
                    },
                    Err(e) => (Err(e), None),
                };
                if fetched_tx.send(fetched).is_err() {
                    return;
                }
                match next {
                    Some(c) => after = c,
                    None => return,
                }
            }
        });
        scope.spawn(move || {
            while let Ok(fetched) = fetched_rx.recv() {
                let page = fetched.and_then(|f| match f {
                    Fetched::Received(r) => read_page(r),
                    Fetched::Read(page, bytes) => Ok((page, bytes)),
                });
                let failed = page.is_err();
                if tx.send(page).is_err() || failed {
                    return;
                }
            }
        });
        while let Ok(first) = rx.recv() {
            let mut pages = vec![first?];
            while let Ok(next) = rx.try_recv() {
                pages.push(next?);
            }
            let t = Instant::now();
            let pages: Vec<PreparedPage> = pages
                .into_iter()
                .map(|(page, bytes)| {
                    report.bytes_received += bytes;
                    page
                })
                .collect();
            let sum = store.apply_prepared(&pages)?;
            report.apply_millis += t.elapsed().as_millis() as u64;
            report.pulled.add(&sum);
            report.pages += pages.len();
            let last = pages.last().expect("one page at least");
            progress(Progress::Pull { cursor: last.cursor, head: last.head });
        }
        Ok(())
    })?;
    let thumbs = photos::fetch_thumbs(client, store)?;
    // Inspectors seal 暗访 findings to the county office's key: keep the current one on the device, so
    // sealing works in a village without signal.
    if matches!(store.enrolment()?.map(|e| e.role), Some(zoufang_model::Role::Inspector | zoufang_model::Role::County))
    {
        if let Some(k) = client.sealing_key()? {
            let key = k.key.parse().map_err(|e: zoufang_vault::VaultError| SyncError::Protocol(e.to_string()))?;
            store.set_sealing_key(&key)?;
        }
    }
    // The county office's settings (公示 days, deadlines, the re-check share …), applied offline.
    let settings = client.settings()?;
    store.set_county_settings(&zoufang_model::settings::CountySettings { values: settings.values })?;
    report.photos.fetched += thumbs.fetched;
    report.photos.bytes_fetched += thumbs.bytes_fetched;
    report.quarantined = store.quarantined()?.len();
    report.millis = start.elapsed().as_millis() as u64;
    store.set_last_sync(&chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false))?;
    Ok(report)
}
