//! Sync over a township's link (a short version of `make bench BENCH=rural`): 512 kbit/s down,
//! 128 kbit/s up, 300 ms round trip, over HTTPS, with the connection cut every 256 KB here (2 MB in
//! the benchmark). A village tablet's first sync and a day's work (a visit, a 扶贫手册 entry, a photo)
//! get through by syncing again after each cut, resuming where they were: pages already applied are
//! not fetched again, acknowledged batches not sent again, photo chunks continue from the server's
//! count.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use zoufang_client::Client;
use zoufang_model::{HandbookSection, Scope};
use zoufang_scenarios::{open_device, LinkProfile, SlowLink, TestServer};
use zoufang_store::{HouseholdQuery, NewVisit, PhotoTarget, Store};

/// Syncs through `client` until a sync completes (each cut link fails one attempt); the attempts.
fn sync_through(client: &Client, store: &mut Store, limit: Duration) -> usize {
    let started = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        match zoufang_client::sync_client(client, store, Default::default(), &mut |_| {}) {
            Ok(_) => return attempts,
            Err(e) if e.is_retryable() && started.elapsed() < limit => {}
            Err(e) => panic!("sync through the link failed after {attempts} attempts: {e}"),
        }
    }
}

#[test]
fn a_village_syncs_over_a_slow_link_that_drops() {
    let dir = tempfile::tempdir().unwrap();
    let (server, pin) = TestServer::start_tls(dir.path(), None);
    let villages = server.seed_small();
    let profile = LinkProfile { cut_every: 256 * 1024, ..LinkProfile::rural() };
    let link = SlowLink::start(server.addr, "https", profile);
    let mut tablet = open_device(&dir.path().join("tablet.db"));
    let code = server.storage.create_enrol_code("山区平板", &Scope::Village(villages[0]), 1).unwrap();
    zoufang_client::enrol_pinned(&mut tablet, &link.url, Some(&pin), &code, "山区平板").unwrap();
    let client = Client::enrolled(&tablet.enrolment().unwrap().unwrap());

    // First sync: the village's records.
    let t = Instant::now();
    let attempts = sync_through(&client, &mut tablet, Duration::from_secs(120));
    let first = (t.elapsed(), link.down.load(Ordering::SeqCst), attempts);
    let hs = tablet.households(&HouseholdQuery::default()).unwrap();
    assert_eq!(hs.len(), 30);

    // A day's work.
    let h = hs[0].id;
    let visit = NewVisit {
        household_id: h,
        kind: "routine".into(),
        visited_on: chrono::Local::now().date_naive().to_string(),
        visitor: "张伟".into(),
        helper_id: None,
        ..Default::default()
    };
    let visit = tablet.record_visit(&visit).unwrap();
    let entry = zoufang_model::HandbookEntry {
        id: uuid::Uuid::now_v7(),
        household_id: h,
        section: HandbookSection::Measure,
        entry_date: chrono::Local::now().date_naive(),
        title: "产业帮扶：养鸡 200 只".into(),
        content: None,
        measure: None,
        amount_fen: None,
        income_calc: None,
        recorded_by: Some("张伟".into()),
    };
    tablet.create(&entry).unwrap();
    let jpeg = zoufang_media::sample::camera_jpeg(1200, 900, 5, 85, &Default::default());
    let photo = tablet.import_photo(&jpeg, PhotoTarget::Visit(visit), Some("张伟")).unwrap().photo;
    let up_before = link.up.load(Ordering::SeqCst);
    sync_through(&client, &mut tablet, Duration::from_secs(120));
    assert_eq!(tablet.pending_changes().unwrap(), 0);
    assert!(tablet.pending_blobs().unwrap().is_empty());
    let on_server = server.sql_int(
        "SELECT count(*) FROM row_scope WHERE row_id = $1 OR row_id = $2",
        &[zoufang_scenarios::Sql::Id(visit), zoufang_scenarios::Sql::Id(entry.id)],
    );
    assert_eq!(on_server, 2);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    assert!(rt.block_on(server.blobs.get(&photo.hash)).unwrap().is_some(), "the photo arrived whole");

    // The link was cut, and nothing started over: the first sync carried little more than one
    // uninterrupted download of the village would (pages are compressed; a cut costs one page or
    // less), and the photo went up about once.
    assert!(link.cuts.load(Ordering::SeqCst) >= 1, "the link never dropped: the test proves nothing");
    let mut clean = server.device(&dir.path().join("clean.db"), "对照平板", Scope::Village(villages[0]));
    let once = zoufang_client::sync(&mut clean).unwrap().bytes_received as usize;
    assert!(first.1 < once * 2 + 200_000, "first sync carried {} bytes for {once} of pages", first.1);
    let photo_bytes = tablet.blob(&photo.hash).unwrap().unwrap().len();
    let sent = link.up.load(Ordering::SeqCst) - up_before;
    assert!(sent < photo_bytes * 2 + 200_000, "{sent} bytes up for a {photo_bytes}-byte photo");
    eprintln!(
        "rural link: first sync {:.1} s in {} attempts, {} bytes down (uninterrupted pages: {once}); {} cuts",
        first.0.as_secs_f64(),
        first.2,
        first.1,
        link.cuts.load(Ordering::SeqCst)
    );
}
