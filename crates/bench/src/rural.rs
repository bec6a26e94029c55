//! A village tablet over a township's link: 512 kbit/s down, 128 kbit/s up, 300 ms round trip, the
//! connection cut every 2 MB (the test harness's `SlowLink` on loopback), HTTPS to a server with a
//! self-signed certificate. The village's first sync and a day's work (a visit, a 扶贫手册 entry, five
//! photos) are timed, syncing again after each cut; the records are timed apart from the photos.
//! Side by side: the same records without compression (how sync went before).

use anyhow::Result;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use uuid::Uuid;
use zoufang_client::Client;
use zoufang_model::{HandbookSection, Scope};
use zoufang_scenarios::{open_device, LinkProfile, SlowLink, TestServer};
use zoufang_store::{HouseholdQuery, NewVisit, PhotoTarget, Store};

/// Syncs until a sync completes; (time, attempts).
fn sync_through(client: &Client, store: &mut Store) -> Result<(Duration, usize)> {
    let t = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        match zoufang_client::sync_client(client, store, Default::default(), &mut |_| {}) {
            Ok(_) => return Ok((t.elapsed(), attempts)),
            Err(e) if e.is_retryable() && t.elapsed() < Duration::from_secs(900) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// One village tablet's first sync and day's work through a fresh link.
struct Run {
    first: (Duration, usize),
    first_down: usize,
    work: (Duration, usize),
    photos: Option<(Duration, usize, usize)>,
    cuts: usize,
}

fn run(
    server: &TestServer,
    pin: &str,
    village: Uuid,
    dir: &std::path::Path,
    compress: bool,
    photos: bool,
) -> Result<Run> {
    let link = SlowLink::start(server.addr, "https", LinkProfile::rural());
    let mut tablet = open_device(&dir.join(format!("tablet-{compress}.db")));
    let code = server.storage.create_enrol_code("山区平板", &Scope::Village(village), 1)?;
    zoufang_client::enrol_pinned(&mut tablet, &link.url, Some(pin), &code, "山区平板")?;
    let mut client = Client::enrolled(&tablet.enrolment()?.expect("enrolled"));
    if !compress {
        client = client.without_compression();
    }
    let first = sync_through(&client, &mut tablet)?;
    let first_down = link.down.load(Ordering::SeqCst);
    let h = tablet.households(&HouseholdQuery::default())?[0].id;
    let today = chrono::Local::now().date_naive();
    let visit = tablet.record_visit(&NewVisit {
        household_id: h,
        kind: "routine".into(),
        visited_on: today.to_string(),
        visitor: "张伟".into(),
        helper_id: None,
        notes: Some("入户核实家庭收入，查看住房和饮水情况".into()),
        ..Default::default()
    })?;
    tablet.create(&zoufang_model::HandbookEntry {
        id: Uuid::now_v7(),
        household_id: h,
        section: HandbookSection::Measure,
        entry_date: today,
        title: "产业帮扶：养鸡 200 只".into(),
        content: Some("县农业局提供鸡苗，合作社回收".into()),
        measure: None,
        amount_fen: None,
        income_calc: None,
        recorded_by: Some("张伟".into()),
    })?;
    let work = sync_through(&client, &mut tablet)?;
    let photos = if photos {
        let up = link.up.load(Ordering::SeqCst);
        let mut bytes = 0;
        for seed in 0..5 {
            let jpeg = zoufang_media::sample::camera_jpeg(4000, 3000, 700 + seed, 90, &Default::default());
            let p = tablet.import_photo(&jpeg, PhotoTarget::Visit(visit), Some("张伟"))?;
            bytes += p.photo.bytes as usize;
        }
        let t = sync_through(&client, &mut tablet)?;
        Some((t.0, bytes, link.up.load(Ordering::SeqCst) - up))
    } else {
        None
    };
    Ok(Run { first, first_down, work, photos, cuts: link.cuts.load(Ordering::SeqCst) })
}

pub fn run_all(quick: bool) -> Result<()> {
    println!(
        "\n## A village tablet over a township link (512 kbit/s down, 128 kbit/s up, 300 ms, cut every 2 MB; HTTPS)"
    );
    let dir = tempfile::tempdir()?;
    let (server, pin) = TestServer::start_tls(dir.path(), None);
    let today = chrono::Local::now().date_naive();
    let county = zoufang_demo::county(2026, zoufang_demo::Size::demo(today));
    let village = county.villages[0].id;
    let households = county.households.iter().filter(|h| h.village_id == village).count();
    server.storage.ingest_trusted("演示数据导入", &county.to_changes(Uuid::from_u128(0x5eed)))?;
    let zstd = run(&server, &pin, village, dir.path(), true, !quick)?;
    let plain = run(&server, &pin, village, dir.path(), false, false)?;
    let secs = |d: Duration| d.as_secs_f64();
    println!(
        "  village of {households} households, first sync: {:.1} s, {} attempts, {:.0} KB down | without compression: {:.1} s, {} attempts, {:.0} KB",
        secs(zstd.first.0),
        zstd.first.1,
        zstd.first_down as f64 / 1024.0,
        secs(plain.first.0),
        plain.first.1,
        plain.first_down as f64 / 1024.0
    );
    println!(
        "  a day's records (a visit with its checklist, a 扶贫手册 entry): {:.1} s | without compression: {:.1} s",
        secs(zstd.work.0),
        secs(plain.work.0)
    );
    println!(
        "  the village's records, first sync + day's work: {:.1} s (goal ≤ 20 s) | without compression: {:.1} s",
        secs(zstd.first.0 + zstd.work.0),
        secs(plain.first.0 + plain.work.0)
    );
    if let Some((t, bytes, sent)) = zstd.photos {
        println!(
            "  five photos ({:.1} MB after processing) up: {:.1} s, {:.1} MB sent ({:.2}× the photos: a cut costs at most one 128 KB piece); {} cuts in all",
            bytes as f64 / 1e6,
            secs(t),
            sent as f64 / 1e6,
            sent as f64 / bytes.max(1) as f64,
            zstd.cuts
        );
    }
    Ok(())
}
