//! The floor an initial sync is measured against: the same final rows a synced device database holds,
//! written straight into a new encrypted device database by the fastest means SQLite offers — rows
//! already in memory (no network, no JSON, no change log), one transaction, prepared multi-row
//! inserts, the indexes and triggers the store needs created after the load.

use anyhow::Result;
use rusqlite::types::Value;
use std::time::{Duration, Instant};
use zoufang_store::Store;

/// Rows of every table of a device database, in memory.
pub struct Rows {
    tables: Vec<(String, usize, Vec<Vec<Value>>)>,
    pub count: usize,
}

/// Reads every row of every table of `store` (not SQLite's own).
pub fn read(store: &Store) -> Result<Rows> {
    let conn = store.conn();
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut tables = Vec::new();
    let mut count = 0;
    for name in names {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{name}\""))?;
        let cols = stmt.column_count();
        let rows: Vec<Vec<Value>> = stmt
            .query_map([], |r| (0..cols).map(|i| r.get::<_, Value>(i)).collect())?
            .collect::<rusqlite::Result<_>>()?;
        count += rows.len();
        tables.push((name, cols, rows));
    }
    Ok(Rows { tables, count })
}

/// Writes `rows` into a new encrypted database at `path` the fastest way: open (unlock included),
/// drop the indexes and triggers the schema made, insert everything in one transaction with
/// multi-row statements, create the indexes and triggers again. The time it took.
pub fn write(rows: &Rows, path: &std::path::Path, secret: &str) -> Result<Duration> {
    let t = Instant::now();
    let store = Store::open_encrypted(path, secret)?;
    let conn = store.conn();
    let extras: Vec<(String, String, String)> = conn
        .prepare("SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    conn.execute_batch("BEGIN")?;
    for (kind, name, _) in &extras {
        conn.execute_batch(&format!("DROP {} \"{name}\"", kind.to_uppercase()))?;
    }
    for (name, cols, data) in &rows.tables {
        conn.execute(&format!("DELETE FROM \"{name}\""), [])?;
        // As many rows a statement as SQLite's 32,766 parameters allow, at most 500.
        let per = (32_766 / (*cols).max(1)).clamp(1, 500);
        let one = format!("({})", vec!["?"; *cols].join(","));
        for chunk in data.chunks(per) {
            let sql = format!("INSERT INTO \"{name}\" VALUES {}", vec![one.as_str(); chunk.len()].join(","));
            let mut stmt = conn.prepare_cached(&sql)?;
            stmt.execute(rusqlite::params_from_iter(chunk.iter().flatten()))?;
        }
    }
    for (_, _, sql) in &extras {
        conn.execute_batch(sql)?;
    }
    conn.execute_batch("COMMIT")?;
    Ok(t.elapsed())
}
