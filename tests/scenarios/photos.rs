//! 一户一档 photos end to end: import on a device, chunked upload that survives cut connections, killed
//! processes and a restarted server, thumbnails on other devices, full images on demand, scope, and
//! bad files refused without a trace.

use std::time::Duration;
use uuid::Uuid;
use zoufang_client::{upload_photos, Client, PhotoReport};
use zoufang_media::sample::{camera_jpeg, CameraExif};
use zoufang_model::archive::DocState;
use zoufang_model::{ArchiveKind, Scope};
use zoufang_scenarios::{cli_on, open_device, sync_killed_then_finished, Cut, CuttingProxy, Scenario, TestServer};
use zoufang_store::{HouseholdQuery, NewDocument, PhotoTarget, Store};
use zoufang_sync::BLOB_CHUNK;

fn exif() -> CameraExif {
    CameraExif { orientation: 6, taken_at: Some("2026:11:03 09:41:07".into()), gps: Some((26.58, 106.72)) }
}

/// A device of the first village with one document of its first household; returns the document.
fn device_with_document(server: &TestServer, db: &std::path::Path, village: Uuid) -> (Store, Uuid, Uuid) {
    let mut store = server.device(db, "平板甲", Scope::Village(village));
    zoufang_client::sync(&mut store).unwrap();
    let h = store.households(&HouseholdQuery { village: Some(village), ..Default::default() }).unwrap()[0].id;
    let doc = store
        .create_document(
            &NewDocument { household_id: h, kind: ArchiveKind::Application, title: None, note: None },
            None,
        )
        .unwrap();
    (store, h, doc)
}

/// Objects in the server's photo store: finished files and leftover upload chunks.
pub(crate) fn objects(server: &TestServer) -> (Vec<String>, Vec<String>) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let all = rt.block_on(server.blobs.list_all()).unwrap();
    let (photos, rest): (Vec<_>, Vec<_>) = all.into_iter().partition(|p| p.starts_with("photos/"));
    (photos, rest)
}

#[test]
fn photos_reach_the_server_and_other_devices_and_no_one_else() {
    let sc = Scenario::start();
    let (mut a, h, doc) = device_with_document(&sc, &sc.dir().join("a.db"), sc.villages[0]);

    let page1 = camera_jpeg(4000, 3000, 1, 90, &exif());
    let page2 = camera_jpeg(3000, 4000, 2, 90, &CameraExif::default());
    let p1 = a.import_photo(&page1, PhotoTarget::ArchiveDocument(doc), Some("李芳")).unwrap();
    let p2 = a.import_photo(&page2, PhotoTarget::ArchiveDocument(doc), Some("李芳")).unwrap();
    assert_eq!((p1.photo.page, p2.photo.page), (Some(1), Some(2)));
    assert_eq!((p1.photo.width, p1.photo.height), (1800, 2400), "turned upright and downscaled");
    assert_eq!(p1.photo.taken_at.as_deref(), Some("2026-11-03T09:41:07"));
    // The same photo again: stored once, reported as such.
    let again = a.import_photo(&page1, PhotoTarget::ArchiveDocument(doc), None).unwrap();
    assert!(again.duplicate);
    assert_eq!(again.photo.id, p1.photo.id);
    assert_eq!(a.photos_of(doc).unwrap().len(), 2);

    let before = a.archive_status(h).unwrap();
    let item = before.items.iter().find(|i| i.kind == ArchiveKind::Application).unwrap();
    assert_eq!(item.state, DocState::NotUploaded);
    assert_eq!(item.pages, 2);
    assert!(!before.complete);
    let missing: Vec<ArchiveKind> =
        before.items.iter().filter(|i| i.required && i.state == DocState::Missing).map(|i| i.kind).collect();
    assert_eq!(before.missing as usize, missing.len());
    assert!(missing.contains(&ArchiveKind::IntakeForm) && !missing.contains(&ArchiveKind::Application));

    let r = zoufang_client::sync(&mut a).unwrap();
    assert_eq!(r.photos.uploaded, 4, "two images and two thumbnails");
    let after = a.archive_status(h).unwrap();
    assert_eq!(after.items.iter().find(|i| i.kind == ArchiveKind::Application).unwrap().state, DocState::Complete);
    let (photos, leftovers) = objects(&sc);
    assert_eq!(photos.len(), 4);
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Missing documents show in the village list and the household-list filter.
    let lines = a.household_files(Some(sc.villages[0])).unwrap();
    let line = lines.iter().find(|l| l.household_id == h).unwrap();
    assert_eq!(line.missing, missing, "the village list agrees with the household's file");
    let filtered = a
        .households(&HouseholdQuery { village: Some(sc.villages[0]), missing_archive: true, ..Default::default() })
        .unwrap();
    assert!(filtered.iter().any(|x| x.id == h));

    // Another device of the village gets the records and the thumbnails, and the image on demand.
    let mut b = sc.device(&sc.dir().join("b.db"), "平板乙", Scope::Village(sc.villages[0]));
    let rb = zoufang_client::sync(&mut b).unwrap();
    assert_eq!(rb.photos.fetched, 2);
    let pages = b.photos_of(doc).unwrap();
    assert_eq!(pages.len(), 2);
    assert!(pages.iter().all(|p| p.thumb_on_device && !p.on_device));
    let image = zoufang_client::photo_image(&mut b, &p1.photo.hash).unwrap();
    assert_eq!(zoufang_media::sha256_hex(&image), p1.photo.hash);
    assert!(b.photos_of(doc).unwrap()[0].on_device);

    // A device of another village neither sees the records nor can fetch the file by its hash.
    let c = sc.village_device("c.db", "平板丙", 1);
    assert!(c.photos_of(doc).unwrap().is_empty());
    let e = c.enrolment().unwrap().unwrap();
    let client = Client::new(&sc.url).with_token(&e.token);
    let err = client.blob_get(&p1.photo.hash).unwrap_err();
    assert!(matches!(err, zoufang_client::SyncError::Server { status: 404, .. }), "{err:?}");
    let err = client.blob_put(&p1.photo.hash, 10, 0, b"0123456789").unwrap_err();
    assert!(matches!(err, zoufang_client::SyncError::Server { status: 404, .. }), "{err:?}");
}

/// Uploads a few photos through a proxy that cuts connections in every way, until done. Returns the
/// report summed over the attempts and the file sizes.
pub(crate) fn upload_through_cuts(server: &TestServer, store: &mut Store, plan: Vec<Cut>) -> (PhotoReport, u64, usize) {
    let proxy = CuttingProxy::start(server.addr, plan);
    let e = store.enrolment().unwrap().unwrap();
    let client = Client::new(&proxy.url).with_token(&e.token);
    let size: u64 = store.pending_blobs().unwrap().iter().map(|b| b.bytes).sum();
    let mut report = PhotoReport::default();
    let mut attempts = 0;
    loop {
        attempts += 1;
        assert!(attempts < 100, "upload never finished");
        match upload_photos(&client, store, &mut report, &mut |_| {}) {
            Ok(()) => break,
            Err(e) => assert!(e.is_retryable(), "{e}"),
        }
    }
    (report, size, proxy.cuts_done.load(std::sync::atomic::Ordering::SeqCst))
}

#[test]
fn uploads_cut_anywhere_finish_with_one_copy_and_resend_nothing_acknowledged() {
    let sc = Scenario::start();
    let (mut a, _, doc) = device_with_document(&sc, &sc.dir().join("a.db"), sc.villages[0]);
    let mut hashes = Vec::new();
    for seed in 0..3 {
        // Large, noisy pages: several chunks each.
        let p = a.import_photo(&camera_jpeg(4000, 3000, seed, 97, &exif()), PhotoTarget::ArchiveDocument(doc), None);
        let p = p.unwrap();
        assert!(p.photo.bytes as usize > BLOB_CHUNK, "{} bytes: want several chunks", p.photo.bytes);
        hashes.push(p.photo.hash);
    }
    // Push the records first (the sc accepts files only for records it knows).
    push_records(&sc, &mut a);
    let e = a.enrolment().unwrap().unwrap();
    let plan = vec![
        Cut::None,
        Cut::MidBody,
        Cut::None,
        Cut::BeforeResponse,
        Cut::BeforeRequest,
        Cut::None,
        Cut::MidBody,
        Cut::None,
        Cut::None,
        Cut::BeforeResponse,
        Cut::None,
        Cut::MidBody,
    ];
    let (report, size, cuts) = upload_through_cuts(&sc, &mut a, plan);
    assert!(cuts >= 6, "only {cuts} cuts happened");
    assert_eq!(report.uploaded, 6);
    // Acknowledged chunks are never sent again (a chunk whose answer was lost is not acknowledged,
    // and not resent either: the sc's count says it arrived).
    assert!(report.bytes_sent <= size, "{} acknowledged bytes for {size} bytes of files", report.bytes_sent);
    // Each interruption costs at most the chunk in flight.
    assert!(
        report.bytes_attempted - size <= cuts as u64 * BLOB_CHUNK as u64,
        "{} bytes resent for {cuts} interruptions",
        report.bytes_attempted - size
    );
    assert!(a.pending_blobs().unwrap().is_empty());
    let (photos, leftovers) = objects(&sc);
    assert_eq!(photos.len(), 6, "{photos:?}");
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let client = Client::new(&sc.url).with_token(&e.token);
    for h in &hashes {
        let bytes = client.blob_get(h).unwrap().unwrap();
        assert_eq!(&zoufang_media::sha256_hex(&bytes), h);
    }
}

#[test]
fn upload_continues_after_a_server_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let addr = server.addr;
    let villages = server.seed_small();
    let (mut a, _, doc) = device_with_document(&server, &dir.path().join("a.db"), villages[0]);
    let p = a.import_photo(&camera_jpeg(4000, 3000, 5, 97, &exif()), PhotoTarget::ArchiveDocument(doc), None).unwrap();
    // Push the record, then send only the first chunk by hand, as an upload cut short would.
    push_records(&server, &mut a);
    let e = a.enrolment().unwrap().unwrap();
    let bytes = a.blob(&p.photo.hash).unwrap().unwrap();
    let client = Client::new(&server.url).with_token(&e.token);
    client.blob_put(&p.photo.hash, bytes.len() as u64, 0, &bytes[..BLOB_CHUNK]).unwrap();
    drop(server);
    let server = TestServer::start_at(dir.path(), addr);
    assert_eq!(client.blob_status(&p.photo.hash).unwrap().received, BLOB_CHUNK as u64);
    let mut report = PhotoReport::default();
    upload_photos(&client, &mut a, &mut report, &mut |_| {}).unwrap();
    assert_eq!(report.uploaded, 2);
    assert_eq!(report.bytes_sent, (bytes.len() - BLOB_CHUNK) as u64 + thumb_len(&a, &p.photo.thumb_hash));
    let (photos, leftovers) = objects(&server);
    assert_eq!(photos.len(), 2);
    assert!(leftovers.is_empty());
}

/// Pushes the outbox without touching photo files.
pub(crate) fn push_records(server: &TestServer, store: &mut Store) {
    let e = store.enrolment().unwrap().unwrap();
    let client = Client::new(&server.url).with_token(&e.token);
    while let Some(batch) = store.next_batch(1000).unwrap() {
        let req = zoufang_sync::PushRequest {
            protocol: zoufang_sync::PROTOCOL,
            batch: batch.no,
            changes: batch.changes.clone(),
        };
        let resp = client.push(&req).unwrap();
        store.record_push(&batch, &resp).unwrap();
    }
}

fn thumb_len(store: &Store, hash: &str) -> u64 {
    store.blob(hash).unwrap().unwrap().len() as u64
}

#[test]
fn sync_killed_during_photo_upload_finishes_on_rerun() {
    let sc = Scenario::start();
    let db = sc.dir().join("killed.db");
    let (mut a, _, doc) = device_with_document(&sc, &db, sc.villages[0]);
    let mut hashes = Vec::new();
    for seed in 10..16 {
        let p = a.import_photo(&camera_jpeg(4000, 3000, seed, 97, &exif()), PhotoTarget::ArchiveDocument(doc), None);
        hashes.push(p.unwrap().photo.hash);
    }
    drop(a);
    sync_killed_then_finished(&db, 10, |i| Duration::from_millis(20 + (i * 41) % 90));
    let a = open_device(&db);
    assert!(a.pending_blobs().unwrap().is_empty());
    let (photos, leftovers) = objects(&sc);
    assert_eq!(photos.len(), 12, "six images and six thumbnails, each once");
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let e = a.enrolment().unwrap().unwrap();
    let client = Client::new(&sc.url).with_token(&e.token);
    for h in &hashes {
        assert_eq!(&zoufang_media::sha256_hex(&client.blob_get(h).unwrap().unwrap()), h);
    }
}

#[test]
fn bad_files_are_refused_and_leave_nothing_behind() {
    let sc = Scenario::start();
    let db = sc.dir().join("a.db");
    let (mut a, h, doc) = device_with_document(&sc, &db, sc.villages[0]);
    let pending = a.pending_changes().unwrap();
    let good = camera_jpeg(800, 600, 3, 90, &exif());
    let mut bomb = camera_jpeg(64, 64, 1, 80, &exif());
    let sof = bomb.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    bomb[sof + 5..sof + 9].copy_from_slice(&[0x4E, 0x20, 0x4E, 0x20]);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("corrupt JPEG", good[..good.len() / 2].to_vec()),
        ("PDF", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n".to_vec()),
        ("empty", Vec::new()),
        ("200 MB", vec![0xFF; 200 * 1024 * 1024]),
        ("20,000 x 20,000", bomb),
    ];
    for (what, bytes) in cases {
        let err = a.import_photo(&bytes, PhotoTarget::ArchiveDocument(doc), None).unwrap_err().to_string();
        assert!(err.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{what}: {err}");
    }
    assert_eq!(a.pending_changes().unwrap(), pending, "no record written");
    assert!(a.photos_of(doc).unwrap().is_empty());
    assert!(a.pending_blobs().unwrap().is_empty());
    let files = sc.dir().join("a.photos");
    assert!(!files.exists() || walk(&files) == 0, "no file kept");
    // The app keeps working: a good photo after the bad ones.
    a.import_photo(&good, PhotoTarget::ArchiveDocument(doc), None).unwrap();
    assert_eq!(a.archive_status(h).unwrap().items[0].pages, 1);
    // A PNG renamed .jpg through the CLI: read by content, imported.
    let png_path = sc.dir().join("截图.jpg");
    std::fs::write(&png_path, zoufang_media::sample::page_png(900, 1200, 4)).unwrap();
    let pdf_path = sc.dir().join("材料.jpg");
    std::fs::write(&pdf_path, b"%PDF-1.7\n").unwrap();
    drop(a);
    let out = cli_on(&db)
        .args(["photo", png_path.to_str().unwrap(), pdf_path.to_str().unwrap()])
        .args(["--document", &doc.to_string()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("已导入") && stdout.contains("第 2 页"), "{stdout}");
    assert!(stderr.contains("PDF") && stderr.contains("1 个文件未导入"), "{stderr}");
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 }).sum())
        .unwrap_or(0)
}

/// The demo's photographed pages (what `serve --demo` loads): records through the trusted ingest, files
/// straight into the photo store; a device of the village gets the thumbnails and sees one household's
/// file complete and others incomplete.
#[test]
fn demo_pages_reach_a_new_device() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let today = chrono::Local::now().date_naive();
    let size = zoufang_demo::Size {
        townships: 1,
        villages_per_township: 1,
        households_per_village: 12,
        visits_per_household: 1,
        today,
    };
    let mut county = zoufang_demo::county(5, size);
    let files = zoufang_demo::archive::add_archive(&mut county, 4);
    assert_eq!(files.len(), 2 * county.photos.len());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for f in files {
        rt.block_on(server.blobs.put_whole(&f.hash, f.bytes)).unwrap();
    }
    server.storage.ingest_trusted("演示数据导入", &county.to_changes(Uuid::from_u128(0x5eed))).unwrap();
    let village = county.villages[0].id;
    let mut d = server.device(&dir.path().join("d.db"), "平板", Scope::Village(village));
    let r = zoufang_client::sync(&mut d).unwrap();
    assert_eq!(r.photos.fetched, county.photos.len());
    let lines = d.household_files(Some(village)).unwrap();
    let first = lines.iter().find(|l| l.household_id == county.documents[0].household_id).unwrap();
    assert!(first.complete(), "{first:?}");
    let status = d.archive_status(first.household_id).unwrap();
    assert!(status.complete);
    assert!(status.items.iter().filter(|i| i.required).all(|i| i.state == DocState::Complete && i.pages > 0));
    assert!(lines.iter().filter(|l| !l.complete()).count() >= 3);
}
