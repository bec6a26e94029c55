//! What encryption at rest costs the device store: the same writes and reads on a plain SQLite file and
//! on a SQLCipher file with photo files encrypted, interleaved, best of five rounds each.

use crate::small_county;
use anyhow::Result;
use serde_json::json;
use std::time::{Duration, Instant};
use zoufang_model::{Entity, Record};
use zoufang_store::{HouseholdQuery, Store, WriteOp};

/// Records per transaction in the batched case (a roster import, a page of an initial sync).
const BATCH: usize = 250;

const SECRET: &str = "花桥村2026";

/// One round's timings.
#[derive(Clone, Copy)]
struct Round {
    create: Duration,
    batch: Duration,
    edit: Duration,
    detail: Duration,
    list: Duration,
    photo_write: Duration,
    photo_read: Duration,
}

fn round(encrypted: bool, county: &zoufang_demo::County, photos: &[(String, Vec<u8>)]) -> Result<Round> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("device.db");
    let open = |path: &std::path::Path| -> Result<Store> {
        let s = if encrypted { Store::open_encrypted(path, SECRET)? } else { Store::open(path)? };
        assert_eq!(s.is_encrypted(), encrypted);
        Ok(s)
    };
    // The same records written in batches, into a database of their own.
    let batch = {
        let mut b = open(&dir.path().join("batched.db"))?;
        for v in &county.villages {
            b.create(v)?;
        }
        let ops: Vec<WriteOp> = county
            .households
            .iter()
            .map(|h| WriteOp::Create(Entity::Household, h.id(), h.to_fields()))
            .chain(county.members.iter().map(|m| WriteOp::Create(Entity::Member, m.id(), m.to_fields())))
            .collect();
        let t = Instant::now();
        for chunk in ops.chunks(BATCH) {
            b.write_all(chunk)?;
        }
        t.elapsed()
    };
    let mut s = open(&path)?;
    let today = crate::today();
    for v in &county.villages {
        s.create(v)?;
    }
    // Writes, one transaction each as in the field: households with their members, then edits.
    let t = Instant::now();
    for h in &county.households {
        s.create(h)?;
    }
    for m in &county.members {
        s.create(m)?;
    }
    let create = t.elapsed();
    let t = Instant::now();
    for (i, h) in county.households.iter().enumerate() {
        let patch = [("notes".to_string(), json!(format!("第{i}户入户核实")))].into_iter().collect();
        s.update(Entity::Household, h.id, &patch)?;
    }
    let edit = t.elapsed();
    // Reads: every household's screen, then the list with searches.
    let t = Instant::now();
    for h in &county.households {
        std::hint::black_box(s.household_detail(h.id, today)?);
    }
    let detail = t.elapsed();
    let t = Instant::now();
    for text in ["", "龙", "杨", "吴", "52", "王"] {
        let q = HouseholdQuery { text: Some(text.to_string()), ..Default::default() };
        std::hint::black_box(s.households(&q)?);
    }
    let list = t.elapsed();
    let t = Instant::now();
    for (hash, bytes) in photos {
        s.save_fetched(hash, bytes)?;
    }
    let photo_write = t.elapsed();
    let t = Instant::now();
    for (hash, _) in photos {
        std::hint::black_box(s.blob(hash)?);
    }
    let photo_read = t.elapsed();
    Ok(Round { create, batch, edit, detail, list, photo_write, photo_read })
}

/// Pages a single-record commit appends to the WAL, on average over the county's households: the WAL's
/// growth with checkpoints held off, divided by its frame size.
fn pages_per_commit(county: &zoufang_demo::County) -> Result<(f64, i64)> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("frames.db");
    let mut s = Store::open(&path)?;
    for v in &county.villages {
        s.create(v)?;
    }
    // Diagnostics only: the bench holds checkpoints off to count frames.
    s.conn().execute_batch("PRAGMA wal_autocheckpoint = 0; PRAGMA wal_checkpoint(TRUNCATE);")?;
    let page: i64 = s.conn().query_row("PRAGMA page_size", [], |r| r.get(0))?;
    let wal = || std::fs::metadata(path.with_extension("db-wal")).map(|m| m.len()).unwrap_or(0);
    let before = wal();
    let households = &county.households[..county.households.len().min(500)];
    let ids: std::collections::HashSet<_> = households.iter().map(|h| h.id).collect();
    let mut n = 0;
    for h in households {
        s.create(h)?;
        n += 1;
    }
    for m in county.members.iter().filter(|m| ids.contains(&m.household_id)) {
        s.create(m)?;
        n += 1;
    }
    let frame = page + 24;
    Ok(((wal() - before) as f64 / frame as f64 / n as f64, page))
}

pub fn run(quick: bool) -> Result<()> {
    let (per_village, villages, n_photos) = if quick { (250, 2, 20) } else { (1000, 3, 100) };
    let county = small_county(per_village, villages);
    let photos: Vec<(String, Vec<u8>)> = (0..n_photos)
        .map(|i| {
            let bytes = zoufang_media::sample::camera_jpeg(1200, 1600, i as u64, 85, &Default::default());
            (zoufang_media::sha256_hex(&bytes), bytes)
        })
        .collect();
    let photo_mb = photos.iter().map(|p| p.1.len()).sum::<usize>() as f64 / 1e6;
    println!(
        "## Encryption at rest ({} households, {} members, {} photos / {:.1} MB; best of 5, interleaved)",
        county.households.len(),
        county.members.len(),
        photos.len(),
        photo_mb
    );
    let mut best: [Option<Round>; 2] = [None, None];
    for _ in 0..5 {
        for (i, enc) in [false, true].into_iter().enumerate() {
            let r = round(enc, &county, &photos)?;
            best[i] = Some(match best[i] {
                None => r,
                Some(b) => Round {
                    create: b.create.min(r.create),
                    batch: b.batch.min(r.batch),
                    edit: b.edit.min(r.edit),
                    detail: b.detail.min(r.detail),
                    list: b.list.min(r.list),
                    photo_write: b.photo_write.min(r.photo_write),
                    photo_read: b.photo_read.min(r.photo_read),
                },
            });
        }
    }
    let (Some(plain), Some(enc)) = (best[0], best[1]) else { return Ok(()) };
    let records = (county.households.len() + county.members.len()) as f64;
    let n = county.households.len() as f64;
    let line = |what: &str, unit: &str, count: f64, p: Duration, e: Duration| {
        let (rp, re) = (count / p.as_secs_f64(), count / e.as_secs_f64());
        println!(
            "  {what:<34} plain {rp:>10.0} {unit}  encrypted {re:>10.0} {unit}  → {:+.1} % time",
            (e.as_secs_f64() / p.as_secs_f64() - 1.0) * 100.0
        );
    };
    line("write: new records, one per commit", "records/s", records, plain.create, enc.create);
    line(&format!("write: new records, {BATCH} per commit"), "records/s", records, plain.batch, enc.batch);
    line("write: edits", "edits/s", n, plain.edit, enc.edit);
    line("read: household screens", "screens/s", n, plain.detail, enc.detail);
    line("read: list + 5 searches", "lists/s", 6.0, plain.list, enc.list);
    line("photos: save", "MB/s", photo_mb, plain.photo_write, enc.photo_write);
    line("photos: read", "MB/s", photo_mb, plain.photo_read, enc.photo_read);
    let sum = |r: &Round| r.create + r.edit + r.detail + r.list;
    println!(
        "  store writes and reads together: {:+.1} % (goal ≤ +15 %); photo files {:+.1} %",
        (sum(&enc).as_secs_f64() / sum(&plain).as_secs_f64() - 1.0) * 100.0,
        ((enc.photo_write + enc.photo_read).as_secs_f64() / (plain.photo_write + plain.photo_read).as_secs_f64() - 1.0)
            * 100.0
    );
    // Why small commits cost more: SQLCipher encrypts and MACs every page a commit writes.
    let (frames, per_frame) = pages_per_commit(&county)?;
    let per_record_extra = (enc.create.as_secs_f64() - plain.create.as_secs_f64()) / records * 1e6;
    println!(
        "  a one-record commit writes {frames:.1} pages to the WAL ({per_frame} bytes each); encryption adds \
         {per_record_extra:.0} µs per such commit, {:.1} µs per page (AES-256-CBC + HMAC-SHA256 + IV)",
        per_record_extra / frames
    );
    let t = Instant::now();
    let _ = Store::unlock_key(std::path::Path::new("/nonexistent/zoufang.db"), SECRET)?;
    println!("  unlock (argon2id, 19 MiB, 2 passes): {} ms, once per start", t.elapsed().as_millis());
    Ok(())
}
