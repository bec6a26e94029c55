//! What filtering by scope and role costs a pull, on a county server of 300 villages: the same pages
//! read with no filter (the baseline), as the county office, a township, an inspector and a village.

use anyhow::Result;
use std::time::Instant;
use uuid::Uuid;
use zoufang_model::{Role, Scope};
use zoufang_server::{DeviceAuth, SqliteStorage, Storage};

/// Reads every page once and returns (seconds, bytes).
fn time_pull(mut page: impl FnMut(u64) -> Result<Vec<u8>>) -> Result<(f64, usize)> {
    let t = Instant::now();
    let (mut after, mut total) = (0u64, 0usize);
    loop {
        let body = page(after)?;
        total += body.len();
        let p: zoufang_sync::PullResponse = serde_json::from_slice(&body)?;
        if !p.more {
            break;
        }
        after = p.cursor;
    }
    Ok((t.elapsed().as_secs_f64(), total))
}

pub fn run(quick: bool) -> Result<()> {
    let size = if quick {
        zoufang_demo::Size {
            townships: 10,
            villages_per_township: 30,
            households_per_village: 10,
            visits_per_household: 3,
            today: crate::today(),
        }
    } else {
        zoufang_demo::Size::county(crate::today())
    };
    let villages = size.townships * size.villages_per_township;
    println!(
        "\n## Cost of scope filtering on pull ({villages} villages, {} households, pages of 20,000)",
        villages * size.households_per_village
    );
    let dir = tempfile::tempdir()?;
    let storage = Storage::from(SqliteStorage::open(&dir.path().join("server.db"))?);
    let county = zoufang_demo::county(2026, size);
    storage.ingest_trusted("演示数据导入", &county.to_changes(Uuid::from_u128(0x5eed)))?;
    let first_village = county.villages[0].id;
    let township = county.villages[0].code[..9].to_string();
    drop(county);
    let page = 20_000;
    let device = |scope: Scope, role: Role| DeviceAuth::new(Uuid::now_v7(), "bench", scope, role);
    let cases = [
        ("no filter (baseline)", None),
        ("county office, whole county", Some(device(Scope::County("522630".into()), Role::County))),
        ("inspector, whole county", Some(device(Scope::County("522630".into()), Role::Inspector))),
        ("township (30 villages)", Some(device(Scope::Township(township), Role::Township))),
        ("village work team", Some(device(Scope::Village(first_village), Role::WorkTeam))),
    ];
    // Rounds interleave the cases, so that drift of the host's speed falls on all of them; best of each.
    let mut best = vec![(f64::MAX, 0usize); cases.len()];
    for _ in 0..if quick { 2 } else { 5 } {
        for (i, (_, d)) in cases.iter().enumerate() {
            let (secs, bytes) = match d {
                None => time_pull(|after| Ok(storage.pull_unfiltered(after, page)?.json))?,
                Some(d) => time_pull(|after| Ok(storage.pull(d, after, page)?.json))?,
            };
            best[i] = (best[i].0.min(secs), bytes);
        }
    }
    let per_mb = |(s, b): (f64, usize)| s / (b as f64 / 1e6).max(1e-9);
    for (i, (name, _)) in cases.iter().enumerate() {
        let (secs, bytes) = best[i];
        let extra = (per_mb(best[i]) / per_mb(best[0]) - 1.0) * 100.0;
        println!(
            "  {name:<32} {:>7.0} ms  {:>6.1} MB  per MB served: {extra:+.1}% against no filter{}",
            secs * 1e3,
            bytes as f64 / 1e6,
            if name.starts_with("county") { " (goal ≤ +10%)" } else { "" }
        );
    }
    Ok(())
}
