//! Issue 4's figures: processing a 12-MP camera photo, resume waste after a cut upload, and the upload
//! of 500 photos of about 1 MB to a loopback server (throughput, and peak memory of the uploading
//! process, measured in a child process of its own).

use crate::{peak_rss_mb, small_county};
use anyhow::Result;
use std::time::Instant;
use uuid::Uuid;
use zoufang_client::{upload_photos, Client, PhotoReport};
use zoufang_media::sample::{camera_jpeg, CameraExif};
use zoufang_model::{ArchiveKind, Scope};
use zoufang_scenarios::{Cut, CuttingProxy};
use zoufang_server::{BlobStore, SqliteStorage, Storage};
use zoufang_store::{HouseholdQuery, NewDocument, PhotoTarget, Store};
use zoufang_sync::{PushRequest, BLOB_CHUNK, PROTOCOL};

fn exif() -> CameraExif {
    CameraExif { orientation: 6, taken_at: Some("2026:11:03 09:41:07".into()), gps: Some((26.58, 106.72)) }
}

pub fn run(quick: bool) -> Result<()> {
    processing()?;
    let server = LoopbackServer::start()?;
    resume_waste(&server)?;
    upload(&server, if quick { 50 } else { 500 })
}

fn processing() -> Result<()> {
    println!("\n## Processing a 12-megapixel camera photo (orient, downscale, encode, thumbnail, hash)");
    let jpeg = camera_jpeg(4000, 3000, 1, 92, &exif());
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..9 {
        let t = Instant::now();
        last = Some(zoufang_media::process(&jpeg)?);
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    let p = last.expect("ran");
    println!(
        "  4000×3000 JPEG of {:.1} MB → {}×{} archive JPEG of {:.2} MB + {} KB thumbnail: {:.0} ms median, {:.0}–{:.0} ms (goal ≤ 400 ms, one core)",
        jpeg.len() as f64 / 1e6,
        p.width,
        p.height,
        p.image.len() as f64 / 1e6,
        p.thumb.len() / 1024,
        times[times.len() / 2],
        times[0],
        times[times.len() - 1]
    );
    Ok(())
}

/// A server on loopback with a small county, and an enrolment code for its first village.
struct LoopbackServer {
    _dir: tempfile::TempDir,
    url: String,
    addr: std::net::SocketAddr,
    storage: Storage,
    village: Uuid,
    _rt: tokio::runtime::Runtime,
}

impl LoopbackServer {
    fn start() -> Result<LoopbackServer> {
        let dir = tempfile::tempdir()?;
        let storage = Storage::from(SqliteStorage::open(&dir.path().join("server.db"))?);
        let county = small_county(20, 2);
        storage.ingest_trusted("演示数据导入", &county.to_changes(Uuid::from_u128(0x5eed)))?;
        let village = storage.villages()?[0].id;
        let rt = tokio::runtime::Runtime::new()?;
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let addr = listener.local_addr()?;
        let s = storage.clone();
        let blobs = BlobStore::local(&dir.path().join("blobs"))?;
        rt.spawn(
            async move { zoufang_server::serve(listener, s, blobs, Default::default(), std::future::pending()).await },
        );
        Ok(LoopbackServer { url: format!("http://{addr}"), addr, storage, village, _dir: dir, _rt: rt })
    }

    /// A new device of the village with one document to add pages to.
    fn device(&self, path: &std::path::Path) -> Result<(Store, Uuid)> {
        let code = self.storage.create_enrol_code("照片平板", &Scope::Village(self.village), 1)?;
        let mut store = Store::open(path)?;
        zoufang_client::enrol(&mut store, &self.url, &code, "照片平板")?;
        zoufang_client::sync(&mut store)?;
        let h = store.households(&HouseholdQuery { village: Some(self.village), ..Default::default() })?[0].id;
        let doc = store.create_document(
            &NewDocument { household_id: h, kind: ArchiveKind::Application, title: None, note: None },
            None,
        )?;
        Ok((store, doc))
    }
}

/// Pushes the outbox (photo records) without touching photo files.
fn push_records(store: &mut Store) -> Result<Client> {
    let e = store.enrolment()?.ok_or_else(|| anyhow::anyhow!("not enrolled"))?;
    let client = Client::enrolled(&e);
    while let Some(batch) = store.next_batch(1000)? {
        let resp = client.push(&PushRequest { protocol: PROTOCOL, batch: batch.no, changes: batch.changes.clone() })?;
        store.record_push(&batch, &resp)?;
    }
    Ok(client)
}

fn resume_waste(server: &LoopbackServer) -> Result<()> {
    println!("\n## Resume waste: bytes sent again after an interrupted upload (chunks of {} KB)", BLOB_CHUNK / 1024);
    let cases = [
        ("no interruption", None),
        ("connection dropped in the middle of a chunk", Some(Cut::MidBody)),
        ("answer lost after the server stored a chunk", Some(Cut::BeforeResponse)),
    ];
    for (seed, (what, cut)) in cases.into_iter().enumerate() {
        let dir = tempfile::tempdir()?;
        let (mut store, doc) = server.device(&dir.path().join("device.db"))?;
        let jpeg = camera_jpeg(4000, 3000, 70 + seed as u64, 98, &exif());
        store.import_photo(&jpeg, PhotoTarget::ArchiveDocument(doc), None)?;
        let direct = push_records(&mut store)?;
        let size: u64 = store.pending_blobs()?.iter().map(|b| b.bytes).sum();
        let mut report = PhotoReport::default();
        if let Some(cut) = cut {
            // The thumbnail goes first (status, one chunk), then the image: its status, then the cut
            // on its first full chunk.
            let proxy = CuttingProxy::start(server.addr, vec![Cut::None, Cut::None, Cut::None, cut]);
            let e = store.enrolment()?.ok_or_else(|| anyhow::anyhow!("not enrolled"))?;
            let via_proxy = Client::new(&proxy.url).with_token(&e.token);
            let first = upload_photos(&via_proxy, &mut store, &mut report, &mut |_| {});
            anyhow::ensure!(first.is_err(), "the upload was not interrupted");
        }
        upload_photos(&direct, &mut store, &mut report, &mut |_| {})?;
        anyhow::ensure!(store.pending_blobs()?.is_empty(), "upload did not finish");
        println!(
            "  {what}: {:.2} MB of files, {} KB sent again (goal ≤ one chunk, {} KB)",
            size as f64 / 1e6,
            (report.bytes_attempted - size) / 1024,
            BLOB_CHUNK / 1024
        );
    }
    Ok(())
}

fn upload(server: &LoopbackServer, photos: usize) -> Result<()> {
    println!("\n## Upload of {photos} photos of about 1 MB to a loopback server");
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("device.db");
    let (mut store, doc) = server.device(&db)?;
    let t = Instant::now();
    for i in 0..photos {
        // A 2,400 px page at this quality is about a megabyte after archive re-encoding.
        let jpeg = camera_jpeg(2400, 1800, 1000 + i as u64, 95, &CameraExif::default());
        store.import_photo(&jpeg, PhotoTarget::ArchiveDocument(doc), None)?;
    }
    println!(
        "  (prepared by importing them on the device: {:.1} s, {:.0} ms each)",
        t.elapsed().as_secs_f64(),
        t.elapsed().as_secs_f64() * 1e3 / photos as f64
    );
    push_records(&mut store)?;
    drop(store);
    let out = std::process::Command::new(std::env::current_exe()?)
        .arg("upload-child")
        .env("ZOUFANG_BENCH_DB", &db)
        .output()?;
    print!("{}", String::from_utf8_lossy(&out.stdout));
    anyhow::ensure!(out.status.success(), "upload failed: {}", String::from_utf8_lossy(&out.stderr));
    Ok(())
}

/// The upload itself, in a process of its own so that its peak memory is the uploader's.
pub fn upload_child() -> Result<()> {
    let mut store = Store::open(std::env::var("ZOUFANG_BENCH_DB")?)?;
    let e = store.enrolment()?.ok_or_else(|| anyhow::anyhow!("not enrolled"))?;
    let client = Client::enrolled(&e);
    let pending = store.pending_blobs()?;
    let images = pending.len() / 2;
    let bytes: u64 = pending.iter().map(|b| b.bytes).sum();
    let rss_before = peak_rss_mb();
    let t = Instant::now();
    let mut report = PhotoReport::default();
    upload_photos(&client, &mut store, &mut report, &mut |_| {})?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "  {} photos + {} thumbnails, {:.0} MB: {:.1} s — {:.1} MB/s, {:.0} photos/s; peak resident memory of the uploading process {:.0} MB ({:.0} MB before the upload)",
        images,
        pending.len() - images,
        bytes as f64 / 1e6,
        secs,
        bytes as f64 / 1e6 / secs,
        images as f64 / secs,
        peak_rss_mb(),
        rss_before
    );
    anyhow::ensure!(report.uploaded == pending.len(), "uploaded {} of {}", report.uploaded, pending.len());
    Ok(())
}
