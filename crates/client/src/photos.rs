//! Photo files between device and server. Records carry only hashes and sync with the change log;
//! the files follow: this device's new files go up in chunks, resuming from what the server has;
//! thumbnails of other devices' photos come down after a pull; full images on demand.

use crate::{Client, Progress, Result, SyncError};
use serde::{Deserialize, Serialize};
use zoufang_store::{Store, StoreError};
/// The size of the pieces a photo goes up in: well under what a township link carries between drops
/// (the benchmark's link drops every 2 MB), so a drop costs at most one piece, and small enough that a
/// piece gets through a 128 kbit/s uplink in seconds. The server takes pieces up to `BLOB_CHUNK`.
const UPLOAD_CHUNK: usize = 128 * 1024;

/// What a photo pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoReport {
    /// Files the server now holds whole.
    pub uploaded: usize,
    /// Bytes sent in chunks the server stored.
    pub bytes_sent: u64,
    /// Bytes put on the wire, including chunks an interruption cost (so `bytes_attempted - bytes_sent`
    /// is what interruptions wasted).
    pub bytes_attempted: u64,
    /// Files skipped this time (their record has not reached the server yet, or the file is gone).
    pub skipped: usize,
    /// Thumbnails and images fetched.
    pub fetched: usize,
    pub bytes_fetched: u64,
}

/// Uploads every file made here that the server does not hold yet. Each file resumes from the server's
/// count of bytes received, so an interruption costs at most the chunk that was in flight.
/// Counts go into `report` as they happen, so a caller still has them when the upload stops on an error.
pub fn upload_photos(
    client: &Client,
    store: &mut Store,
    report: &mut PhotoReport,
    progress: &mut dyn FnMut(Progress),
) -> Result<()> {
    let pending = store.pending_blobs()?;
    let total = pending.len();
    for (i, b) in pending.into_iter().enumerate() {
        progress(Progress::Photos { done: i, total });
        // Read (and on an encrypted device decrypted) whole: photos are a few MB at most.
        let Some(bytes) = store.blob(&b.hash)? else {
            report.skipped += 1;
            continue;
        };
        let size = bytes.len() as u64;
        let mut status = match client.blob_status(&b.hash) {
            Ok(s) => s,
            // The photo record is not on the server yet (its push is still to come): next time.
            Err(SyncError::Server { status: 404, .. }) => {
                report.skipped += 1;
                continue;
            }
            Err(e) => return Err(e),
        };
        while !status.complete {
            let start = status.received.min(size) as usize;
            let end = (start + UPLOAD_CHUNK.min(zoufang_sync::BLOB_CHUNK)).min(bytes.len());
            report.bytes_attempted += (end - start) as u64;
            match client.blob_put(&b.hash, size, start as u64, &bytes[start..end]) {
                Ok(s) => {
                    report.bytes_sent += (end - start) as u64;
                    status = s;
                }
                // Another attempt (or another device with the same photo) got further: continue from there.
                Err(SyncError::Server { status: 409, .. }) => status = client.blob_status(&b.hash)?,
                Err(e) => return Err(e),
            }
        }
        store.mark_uploaded(&b.hash)?;
        report.uploaded += 1;
    }
    progress(Progress::Photos { done: total, total });
    Ok(())
}

/// Fetches the thumbnails of photos this device has records of but no file for.
pub fn fetch_thumbs(client: &Client, store: &mut Store) -> Result<PhotoReport> {
    let mut report = PhotoReport::default();
    for hash in store.missing_thumbs()? {
        match client.blob_get(&hash) {
            Ok(Some(bytes)) => {
                store.save_fetched(&hash, &bytes)?;
                report.fetched += 1;
                report.bytes_fetched += bytes.len() as u64;
            }
            // Not uploaded by its device yet, or not ours to see: try again next sync.
            Ok(None) | Err(SyncError::Server { status: 404, .. }) => report.skipped += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(report)
}

/// The full image of a photo: from this device if it holds it, else fetched from the server and kept.
pub fn photo_image(store: &mut Store, hash: &str) -> Result<Vec<u8>> {
    if let Some(bytes) = store.blob(hash)? {
        return Ok(bytes);
    }
    let e = store.enrolment()?.ok_or(StoreError::NotEnrolled)?;
    let bytes = fetch_photo(&e, hash)?;
    store.save_fetched(hash, &bytes)?;
    Ok(bytes)
}

/// A 暗访 inspection's photo opened with the county office's key: from this device if it holds the
/// sealed file, else fetched from the server (ciphertext) and kept.
pub fn inspection_photo(store: &mut Store, hash: &str, key: &zoufang_store::OpeningKey) -> Result<Vec<u8>> {
    if let Some(image) = store.open_inspection_photo(hash, key)? {
        return Ok(image);
    }
    let e = store.enrolment()?.ok_or(StoreError::NotEnrolled)?;
    let sealed = fetch_photo(&e, hash)?;
    store.save_fetched(hash, &sealed)?;
    let image = store.open_inspection_photo(hash, key)?;
    Ok(image.ok_or_else(|| StoreError::Corrupt(format!("暗访照片 {hash} 保存后无法读取")))?)
}

/// A photo file from the server this device is enrolled with (the caller checks and keeps it).
pub fn fetch_photo(e: &zoufang_store::Enrolment, hash: &str) -> Result<Vec<u8>> {
    let client = Client::enrolled(e);
    client.blob_get(hash)?.ok_or_else(|| SyncError::Server {
        status: 404,
        code: "blob_not_uploaded".into(),
        message: "这张照片还在拍摄它的平板上，尚未上传到服务器".into(),
    })
}
