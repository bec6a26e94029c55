//! Load generator: many simulated devices syncing with one running server at the same time, over real
//! HTTP on loopback. Each device is enrolled for its village and, once all are ready, does rounds of
//! field work as a tablet would sync it: push a batch (a new visit and a 扶贫手册 entry, chained as the
//! device chains its history: `zoufang_scenarios::FieldWork`), then pull what changed since its
//! cursor. Bounded by rounds and by time.
//! Prints throughput, latency percentiles and errors, then checks that nothing was lost or doubled.

use anyhow::{bail, Result};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use uuid::Uuid;
use zoufang_client::Client;
use zoufang_model::{Role, Scope};
use zoufang_scenarios::{FieldWork, TestServer};
use zoufang_sync::Status;

/// What one device saw.
#[derive(Default)]
struct DeviceRun {
    push: Vec<Duration>,
    pull: Vec<Duration>,
    pushed: usize,
    errors: Vec<String>,
}

/// Percentile `p` (0–100) of sorted durations, in milliseconds.
fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1e3
}

/// One simulated device: enrolled already, waits for the start, then syncs `rounds` times.
fn device_loop(
    url: String,
    token: String,
    mut work: FieldWork,
    rounds: usize,
    deadline: Instant,
    start: Arc<Barrier>,
) -> DeviceRun {
    let client = Client::new(&url).with_token(&token);
    let mut run = DeviceRun::default();
    // Already in sync when the test starts: the cursor is the head.
    let mut cursor = match client.pull(u64::MAX / 2, 1) {
        Ok((p, _)) => p.head,
        Err(e) => {
            run.errors.push(format!("first pull: {e}"));
            0
        }
    };
    start.wait();
    for _ in 0..rounds {
        if Instant::now() > deadline {
            break;
        }
        let (req, _) = work.next_push();
        let t = Instant::now();
        match client.push(&req) {
            Ok(r) => {
                run.push.push(t.elapsed());
                if let Some(bad) = r.results.iter().find(|x| x.status == Status::Rejected) {
                    run.errors.push(format!("rejected: {:?}", bad.rejection));
                } else {
                    run.pushed += req.changes.len();
                }
                work.observe(r.server_hlc);
            }
            Err(e) => {
                run.errors.push(format!("push: {e}"));
                continue;
            }
        }
        let t = Instant::now();
        loop {
            match client.pull(cursor, 500) {
                Ok((p, _)) => {
                    cursor = p.cursor;
                    if !p.more {
                        break;
                    }
                }
                Err(e) => {
                    run.errors.push(format!("pull: {e}"));
                    break;
                }
            }
        }
        run.pull.push(t.elapsed());
    }
    run
}

/// `devices` simulated tablets, spread over the villages of a county, `rounds` syncs each.
pub fn run(devices: usize, rounds: usize, limit: Duration, backend: zoufang_scenarios::Backend) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let blobs = zoufang_server::BlobStore::local(&dir.path().join("blobs"))?;
    let server = TestServer::start_on(backend, dir.path(), "127.0.0.1:0".parse()?, blobs);
    let size = zoufang_demo::Size {
        townships: 2,
        villages_per_township: 10,
        households_per_village: 50,
        visits_per_household: 1,
        today: crate::today(),
    };
    let county = zoufang_demo::county(17, size);
    server.storage.ingest_trusted("演示数据导入", &county.to_changes(Uuid::from_u128(0x5eed)))?;
    let before = server.storage.stats()?.changes;
    println!(
        "\n## Load: {devices} devices syncing at once ({} villages, {} households; {:?} backend, HTTP on loopback)",
        county.villages.len(),
        county.households.len(),
        backend
    );

    // Enrol every device for its village (the township office's one-time codes, as in the field).
    let t = Instant::now();
    let mut enrolled = Vec::with_capacity(devices);
    for i in 0..devices {
        let village = &county.villages[i % county.villages.len()];
        let name = format!("{}平板{}", village.name, i / county.villages.len() + 1);
        let code = server.storage.create_enrol_code_for(&name, &Scope::Village(village.id), Role::WorkTeam, 1, 30)?;
        let id = Uuid::now_v7();
        let token = Client::new(&server.url).enrol(&code, id, &name)?.token;
        enrolled.push((token, FieldWork::new(id, &county, village.id)));
    }
    println!("  enrolled {devices} devices in {:.1} s", t.elapsed().as_secs_f64());

    let start = Arc::new(Barrier::new(devices + 1));
    let deadline = Instant::now() + limit;
    let handles: Vec<_> = enrolled
        .into_iter()
        .map(|(token, work)| {
            let (url, start) = (server.url.clone(), start.clone());
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || device_loop(url, token, work, rounds, deadline, start))
        })
        .collect::<std::io::Result<_>>()?;
    start.wait();
    let t = Instant::now();
    let runs: Vec<DeviceRun> = handles
        .into_iter()
        .map(|h| h.join().map_err(|_| anyhow::anyhow!("a device thread panicked")))
        .collect::<Result<_>>()?;
    let secs = t.elapsed().as_secs_f64();

    let mut push: Vec<Duration> = runs.iter().flat_map(|r| r.push.iter().copied()).collect();
    let mut pull: Vec<Duration> = runs.iter().flat_map(|r| r.pull.iter().copied()).collect();
    push.sort();
    pull.sort();
    let pushed: usize = runs.iter().map(|r| r.pushed).sum();
    let errors: Vec<&String> = runs.iter().flat_map(|r| r.errors.iter()).collect();
    println!(
        "  {} pushes and {} pulls in {secs:.1} s: {pushed} field changes → {:.0} changes/s, {:.0} syncs/s",
        push.len(),
        pull.len(),
        pushed as f64 / secs,
        push.len() as f64 / secs
    );
    let latency = |what: &str, sorted: &[Duration], goal: &str| {
        let [p50, p95, p99, max] = [50.0, 95.0, 99.0, 100.0].map(|p| pct(sorted, p));
        println!("  {what} latency  p50 {p50:.0} ms  p95 {p95:.0} ms  p99 {p99:.0} ms  max {max:.0} ms{goal}");
    };
    latency("push", &push, "  (goal p99 ≤ 1,000 ms)");
    // Where the tail comes from: the first round, when every device pushes at the same instant, and
    // the rounds after it, when the devices have spread out.
    let mut first: Vec<Duration> = runs.iter().filter_map(|r| r.push.first().copied()).collect();
    let mut later: Vec<Duration> = runs.iter().flat_map(|r| r.push.iter().skip(1).copied()).collect();
    first.sort();
    later.sort();
    if !later.is_empty() {
        latency("  first round push", &first, "");
        latency("  later rounds push", &later, "");
    }
    latency("pull", &pull, "");
    // Nothing lost, nothing applied twice: the server's log grew by exactly what was accepted.
    let grown = server.storage.stats()?.changes - before;
    println!("  errors: {}; server log grew by {grown} changes for {pushed} accepted", errors.len());
    for e in errors.iter().take(5) {
        println!("    {e}");
    }
    if grown != pushed as i64 {
        bail!("the server's log grew by {grown} changes, but {pushed} were accepted");
    }
    Ok(())
}
