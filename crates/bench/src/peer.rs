//! Side by side with the best-known open replication peer that runs here: PouchDB replicating from
//! pouchdb-server over CouchDB's replication protocol (both from npm, `crates/bench/pouchdb`), against
//! our sync, on the same county: every record as a document there, as field changes here. Both sides
//! start from a server already holding the county and time a new tablet getting all of it over
//! loopback HTTP into a database on disk.

use anyhow::{bail, Context, Result};
use serde_json::{json, Map, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use uuid::Uuid;
use zoufang_model::{Record, Role, Scope};
use zoufang_scenarios::TestServer;

/// The npm project of the peer.
fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("pouchdb")
}

/// Installs the peer's npm packages as locked, once.
fn install_peer() -> Result<()> {
    let dir = peer_dir();
    if dir.join("node_modules/pouchdb-server").exists() {
        return Ok(());
    }
    println!("  installing PouchDB and pouchdb-server from npm (once)…");
    let ok = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir)
        .status()
        .context("npm is needed for the peer benchmark")?
        .success();
    if !ok {
        bail!("npm install in {} failed", dir.display());
    }
    Ok(())
}

/// Every record of the county as a CouchDB document: its fields, its kind, and `<kind>:<id>` as `_id`.
fn write_documents(county: &zoufang_demo::County, path: &Path) -> Result<usize> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut n = 0;
    let mut doc = |kind: &str, id: Uuid, fields: Map<String, Value>| -> Result<()> {
        let mut d = fields;
        d.insert("_id".into(), json!(format!("{kind}:{id}")));
        d.insert("type".into(), json!(kind));
        serde_json::to_writer(&mut out, &d)?;
        out.write_all(b"\n")?;
        n += 1;
        Ok(())
    };
    for v in &county.villages {
        doc("village", v.id(), v.to_fields())?;
    }
    for h in &county.households {
        doc("household", h.id(), h.to_fields())?;
    }
    for m in &county.members {
        doc("member", m.id(), m.to_fields())?;
    }
    for v in &county.visits {
        doc("visit", v.id(), v.to_fields())?;
    }
    for e in &county.handbook {
        doc("handbook_entry", e.id(), e.to_fields())?;
    }
    for r in &county.rectifications {
        doc("rectification", r.id(), r.to_fields())?;
    }
    out.flush()?;
    Ok(n)
}

/// A pouchdb-server on a free loopback port, its databases on disk (LevelDB) in `dir`; stopped on drop.
struct PouchServer {
    child: Child,
    url: String,
}

impl PouchServer {
    fn start(dir: &Path) -> Result<PouchServer> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let bin = peer_dir().join("node_modules/.bin/pouchdb-server");
        let child = Command::new(bin)
            .args(["--port", &port.to_string(), "--host", "127.0.0.1", "--dir"])
            .arg(dir)
            .args(["--no-stdout-logs"])
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting pouchdb-server")?;
        let url = format!("http://127.0.0.1:{port}");
        let server = PouchServer { child, url };
        let t = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if t.elapsed() > Duration::from_secs(30) {
                bail!("pouchdb-server did not start within 30 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(server)
    }
}

impl Drop for PouchServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Our side: a new county-office tablet (encrypted database) pulls the county from our server, three
/// times (three new tablets, one after another): the times of the three runs, fastest first, and the
/// field values each pulled. A run of ours lasts a few seconds, so a moment of the host's noise moves
/// one run by a tenth; PouchDB's one run lasts a minute and averages it out. The ratio takes our
/// median run.
fn ours(county: &zoufang_demo::County, dir: &Path) -> Result<(Vec<Duration>, u64)> {
    let server = TestServer::start(dir);
    server.storage.ingest_trusted("演示数据导入", &county.to_changes(Uuid::from_u128(0x5eed)))?;
    let (mut times, mut fields) = (Vec::new(), 0);
    for i in 0..3 {
        let scope = Scope::County(county.code.clone());
        let mut store = server.device_as(&dir.join(format!("device{i}.db")), "新平板", scope, Role::County);
        let t = Instant::now();
        let opts = zoufang_client::SyncOptions { batch: 1000, page: 20_000 };
        let report = zoufang_client::sync_with(&mut store, opts, &mut |_| {})?;
        times.push(t.elapsed());
        fields = report.pulled.fields as u64;
    }
    times.sort();
    Ok((times, fields))
}

/// The peer's side, as the node script reports it.
fn theirs(docs: &Path, dir: &Path) -> Result<Value> {
    let server = PouchServer::start(&dir.join("server"))?;
    let out = Command::new("node")
        .arg(peer_dir().join("replicate.js"))
        .arg(&server.url)
        .arg(docs)
        .arg(dir.join("tablet"))
        .current_dir(dir)
        .output()
        .context("running the PouchDB replication")?;
    if !out.status.success() {
        bail!("the PouchDB replication failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let line = String::from_utf8_lossy(&out.stdout);
    Ok(serde_json::from_str(line.trim().lines().last().unwrap_or(""))?)
}

pub fn run(quick: bool) -> Result<()> {
    let size = if quick {
        zoufang_demo::Size {
            townships: 1,
            villages_per_township: 4,
            households_per_village: 50,
            visits_per_household: 7,
            today: crate::today(),
        }
    } else {
        zoufang_demo::Size::county(crate::today())
    };
    let county = zoufang_demo::county(2026, size);
    install_peer()?;
    let dir = tempfile::tempdir()?;
    for d in ["ours", "theirs/server", "theirs/tablet"] {
        std::fs::create_dir_all(dir.path().join(d))?;
    }
    let docs_path = dir.path().join("county.ndjson");
    let docs = write_documents(&county, &docs_path)?;
    println!(
        "\n## Replicating the county to a new tablet: our sync vs PouchDB → pouchdb-server ({} households, {docs} records)",
        county.households.len()
    );
    let (ours_times, fields) = ours(&county, &dir.path().join("ours"))?;
    let ours_time = ours_times[1];
    let runs: Vec<String> = ours_times.iter().map(|t| format!("{:.2}", t.as_secs_f64())).collect();
    println!(
        "  ours:   {:.2} s (median of 3 new tablets: {} s) — {fields} field values into an encrypted SQLite database \
         (SQLCipher), over HTTP on loopback",
        ours_time.as_secs_f64(),
        runs.join(", ")
    );
    let peer = theirs(&docs_path, &dir.path().join("theirs"))?;
    let secs = peer["replicate_seconds"].as_f64().unwrap_or(f64::NAN);
    let written = peer["docs_written"].as_u64().unwrap_or(0);
    println!(
        "  PouchDB {secs:.2} s — {written} documents replicated into LevelDB (batch_size 1000, 10 batches in flight; \
         server loaded untimed in {:.1} s)",
        peer["load_seconds"].as_f64().unwrap_or(f64::NAN)
    );
    if written as usize != docs || peer["local_doc_count"].as_u64() != Some(docs as u64) {
        bail!("PouchDB replicated {written} of {docs} documents");
    }
    println!(
        "  ratio: ours is {:.1}× faster (goal ≥ 20×; {:.1}–{:.1}× over our three runs)",
        secs / ours_time.as_secs_f64(),
        secs / ours_times[2].as_secs_f64(),
        secs / ours_times[0].as_secs_f64()
    );
    Ok(())
}
