//! The embedded storage backend: one SQLite file. One writer connection (SQLite has one writer anyway)
//! and a few readers, which WAL lets run beside it.

mod access;
mod ledger;

use crate::access::{now_rfc3339, readable_kinds, FileRef};
use crate::audit::refused_entry;
use crate::batch;
use crate::error::ServerError;
use crate::page::{PageBody, PageWriter};
use crate::storage::{AdminRows, DeviceAuth, DeviceHistory, LogRows, RowLogEntry, Stats, VillageInfo};
use crate::tokens;
use ledger::{blob, uuid, SqlLedger};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use uuid::Uuid;
use zoufang_migrate::Migration;
use zoufang_model::{Entity, Scope};
use zoufang_sync::{Change, ChangeResult, Clock, Hlc, Seq};

/// The server schema's migrations, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, sql: include_str!("../../../../schema/server/0001_init.sql") },
    Migration { version: 2, sql: include_str!("../../../../schema/server/0002_village_counts.sql") },
    Migration { version: 3, sql: include_str!("../../../../schema/server/0003_chain.sql") },
    Migration { version: 4, sql: include_str!("../../../../schema/server/0004_blobs.sql") },
    Migration { version: 5, sql: include_str!("../../../../schema/server/0005_roles.sql") },
    Migration { version: 6, sql: include_str!("../../../../schema/server/0006_sealing_key.sql") },
    Migration { version: 7, sql: include_str!("../../../../schema/server/0007_sealed_blobs.sql") },
    Migration { version: 8, sql: include_str!("../../../../schema/server/0008_hostile_devices.sql") },
    Migration { version: 9, sql: include_str!("../../../../schema/server/0009_guard_pending.sql") },
    Migration { version: 10, sql: include_str!("../../../../schema/server/0010_county_settings.sql") },
    Migration { version: 11, sql: include_str!("../../../../schema/server/0011_history.sql") },
];

const READERS: usize = 4;

pub struct SqliteStorage {
    writer: Mutex<Connection>,
    /// Held for its `Drop`: stops the checkpoint thread with the storage.
    _checkpointer: Checkpointer,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    clock: Mutex<Clock>,
    server_id: Uuid,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave SQLite half-written (transactions roll back on drop).
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn open_conn(path: &Path) -> rusqlite::Result<Connection> {
    let c = Connection::open(path)?;
    // Larger pages for a log that only grows (takes effect when the database is created).
    c.pragma_update(None, "page_size", 8192)?;
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(None, "synchronous", "NORMAL")?;
    c.pragma_update(None, "busy_timeout", 10_000)?;
    c.pragma_update(None, "cache_size", -65536)?;
    // Checkpoints run on a background thread (see `Checkpointer`), not inside a push.
    c.pragma_update(None, "wal_autocheckpoint", 0)?;
    c.pragma_update(None, "mmap_size", 268_435_456)?;
    c.set_prepared_statement_cache_capacity(64);
    Ok(c)
}

/// Copies the write-ahead log back into the database on its own thread and connection, so that pushes
/// never pay for it. A passive checkpoint never blocks writers or readers.
struct Checkpointer {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    fn start(path: &Path) -> rusqlite::Result<Self> {
        let conn = open_conn(path)?;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(std::time::Duration::from_millis(200));
                    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                        tracing::warn!("checkpoint: {e}");
                    }
                }
                let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            })
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        Ok(Checkpointer { stop, thread: Some(thread) })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl SqliteStorage {
    /// Opens (creating if needed) the server database and brings its schema up to date.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let mut w = open_conn(path)?;
        zoufang_migrate::migrate(&mut w, MIGRATIONS)?;
        let server_id = match w
            .query_row("SELECT value FROM server_meta WHERE key = 'server_id'", [], |r| r.get::<_, String>(0))
            .optional()?
        {
            Some(s) => Uuid::parse_str(&s)?,
            None => {
                let id = Uuid::now_v7();
                w.execute("INSERT INTO server_meta(key, value) VALUES ('server_id', ?1)", [id.to_string()])?;
                id
            }
        };
        let last: Option<i64> = w.query_row("SELECT max(hlc) FROM change_log", [], |r| r.get(0))?;
        let readers = (0..READERS).map(|_| open_conn(path).map(Mutex::new)).collect::<rusqlite::Result<Vec<_>>>()?;
        let checkpointer = Checkpointer::start(path)?;
        Ok(SqliteStorage {
            writer: Mutex::new(w),
            _checkpointer: checkpointer,
            readers,
            next_reader: AtomicUsize::new(0),
            clock: Mutex::new(Clock::resume(Hlc(last.unwrap_or(0) as u64))),
            server_id,
        })
    }

    /// Writes a consistent copy of the whole database to `dest` while the server keeps serving: one read
    /// transaction (`VACUUM INTO`), written beside `dest` and renamed into place once it passes SQLite's
    /// integrity check, so a backup that exists is whole. Refuses to overwrite.
    pub fn backup_to(&self, dest: &Path) -> anyhow::Result<()> {
        use anyhow::Context;
        if dest.exists() {
            anyhow::bail!("{} 已存在：备份不会覆盖已有文件", dest.display());
        }
        let name = dest.file_name().context("备份文件名无效")?.to_string_lossy().into_owned();
        let partial = dest.with_file_name(format!(".{name}.partial"));
        let _ = std::fs::remove_file(&partial);
        let path = partial.to_str().context("备份路径须为 UTF-8")?;
        self.reader().execute("VACUUM INTO ?1", [path]).with_context(|| format!("写入 {} 失败", partial.display()))?;
        let check: String = Connection::open_with_flags(&partial, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if check != "ok" {
            let _ = std::fs::remove_file(&partial);
            anyhow::bail!("备份未通过完整性检查：{check}");
        }
        std::fs::File::open(&partial)?.sync_all()?;
        std::fs::rename(&partial, dest)?;
        Ok(())
    }

    fn reader(&self) -> std::sync::MutexGuard<'_, Connection> {
        for m in &self.readers {
            if let Ok(g) = m.try_lock() {
                return g;
            }
        }
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        lock(&self.readers[i])
    }

    /// Applies a batch inside one write transaction. `from` is None for trusted ingest.
    fn apply_batch(
        &self,
        conn: &mut Connection,
        from: Option<(&DeviceAuth, u64)>,
        changes: &[Change],
    ) -> Result<Vec<ChangeResult>, ServerError> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut clock = lock(&self.clock);
        let mut ledger = SqlLedger::new(&tx, self.server_id, chrono::Utc::now().timestamp_millis());
        ledger.preload_known(&changes.iter().map(|c| c.id).collect::<Vec<_>>())?;
        let done = batch::apply_batch(&mut ledger, &mut clock, self.server_id, from.map(|(d, _)| d), changes)?;
        drop(clock);
        drop(ledger);
        if let Some((d, batch)) = from {
            tx.prepare_cached(
                "UPDATE device SET last_seen_at = ?1, last_batch = max(last_batch, ?2), chain_head = ?3, \
                 chain_hlc = ?4 WHERE id = ?5",
            )?
            .execute(rusqlite::params![
                now_rfc3339(),
                batch as i64,
                done.head.as_ref().map(|h| &h.link[..]),
                done.head.map_or(0, |h| h.hlc.0 as i64),
                blob(d.id)
            ])?;
        }
        tx.commit()?;
        Ok(done.results)
    }
}

/// The records naming a file, for deciding who may read or upload it.
fn file_refs(conn: &Connection, hash: &str) -> rusqlite::Result<Vec<FileRef>> {
    conn.prepare_cached(
        "SELECT r.village_id, s.code, r.entity, r.seq, r.proven FROM blob_ref r
           LEFT JOIN village_scope s ON s.village_id = r.village_id
         WHERE r.hash = ?1",
    )?
    .query_map([hash], |r| {
        Ok(FileRef {
            village: uuid(&r.get::<_, Vec<u8>>(0)?)?,
            code: r.get(1)?,
            entity: r.get(2)?,
            seq: r.get(3)?,
            proven: r.get(4)?,
        })
    })?
    .collect()
}

impl LogRows for SqliteStorage {
    fn write_batch(
        &self,
        from: Option<(&DeviceAuth, u64)>,
        changes: &[Change],
    ) -> Result<(Vec<ChangeResult>, i64), ServerError> {
        let mut conn = lock(&self.writer);
        let last = match from {
            Some((d, _)) => {
                conn.query_row("SELECT last_batch FROM device WHERE id = ?1", [blob(d.id)], |r| r.get(0))?
            }
            None => 0,
        };
        Ok((self.apply_batch(&mut conn, from, changes)?, last))
    }

    fn clock_last(&self) -> Hlc {
        lock(&self.clock).last()
    }

    fn register_sources(&self, source_name: &str, devices: &[Uuid]) -> Result<(), ServerError> {
        let conn = lock(&self.writer);
        for d in devices {
            conn.execute(
                "INSERT OR IGNORE INTO device(id, name, token_hash, scope, created_at, revoked_at) VALUES (?1, ?2, ?3, 'county:000000', ?4, ?4)",
                rusqlite::params![blob(*d), source_name, tokens::hash(&tokens::new_token()), now_rfc3339()],
            )?;
        }
        Ok(())
    }

    fn pull_page(&self, device: Option<&DeviceAuth>, after: u64, limit: usize) -> Result<PageBody, ServerError> {
        let limit = limit.clamp(1, zoufang_sync::MAX_PAGE);
        let kinds = readable_kinds(device)?;
        let mut conn = self.reader();
        let tx = conn.transaction()?;
        const COLS: &str = "seq, entity, row_id, field, value, hlc";
        // The scope's villages when rows are filtered here rather than in SQL.
        let mut villages: Option<foldhash::HashSet<[u8; 16]>> = None;
        let (sql, scope_param): (String, rusqlite::types::Value) = match device.map(|d| &d.scope) {
            None => (
                format!("SELECT {COLS} FROM change_log NOT INDEXED WHERE ?1 IS NULL AND seq > ?2 AND live = 1 ORDER BY seq LIMIT ?3"),
                rusqlite::types::Value::Null,
            ),
            Some(Scope::Village(v)) => (
                format!(
                    "SELECT {COLS} FROM change_log WHERE live = 1 AND village_id = ?1 AND seq > ?2{kinds} ORDER BY seq LIMIT ?3"
                ),
                rusqlite::types::Value::Blob(blob(*v)),
            ),
            // Walk the log in order (NOT INDEXED keeps the planner from sorting a whole county per page).
            Some(Scope::Township(p) | Scope::County(p)) => {
                let (inside, all): (i64, i64) = tx.query_row(
                    "SELECT (SELECT count(*) FROM village_scope WHERE code >= ?1 AND code < ?1 || ':'), \
                     (SELECT count(*) FROM village_scope)",
                    [p],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                if inside * 2 >= all {
                    // Most of the log is in scope: rows are checked here against a hash set of the scope's
                    // villages, cheaper per row than SQLite's `IN (subquery)` probe; the walk stops when
                    // the page is full.
                    let set = tx
                        .prepare_cached("SELECT village_id FROM village_scope WHERE code >= ?1 AND code < ?1 || ':'")?
                        .query_map([p], |r| r.get::<_, [u8; 16]>(0))?
                        .collect::<rusqlite::Result<_>>()?;
                    villages = Some(set);
                    (
                        format!(
                            "SELECT {COLS}, village_id FROM change_log NOT INDEXED WHERE ?1 IS NULL AND seq > ?2 AND live = 1{kinds} ORDER BY seq"
                        ),
                        rusqlite::types::Value::Null,
                    )
                } else {
                    // A small part of the log: SQLite skips the other villages' rows before building them.
                    (
                        format!(
                            "SELECT {COLS} FROM change_log NOT INDEXED WHERE seq > ?2 AND live = 1{kinds} AND village_id IN \
                             (SELECT village_id FROM village_scope WHERE code >= ?1 AND code < ?1 || ':') ORDER BY seq LIMIT ?3"
                        ),
                        rusqlite::types::Value::Text(p.clone()),
                    )
                }
            }
        };
        let mut page = PageWriter::new(limit);
        {
            let mut stmt = tx.prepare_cached(&sql)?;
            let mut q = if villages.is_some() {
                stmt.query(rusqlite::params![scope_param, after as i64])?
            } else {
                stmt.query(rusqlite::params![scope_param, after as i64, limit as i64])?
            };
            while let Some(r) = q.next()? {
                if let Some(vs) = &villages {
                    if page.n == limit {
                        break;
                    }
                    let village = r.get_ref(6)?.as_blob().map_err(rusqlite::Error::from)?;
                    if !<[u8; 16]>::try_from(village).is_ok_and(|v| vs.contains(&v)) {
                        continue;
                    }
                }
                let row = r.get_ref(2)?.as_blob().map_err(rusqlite::Error::from)?;
                page.push(
                    r.get::<_, i64>(0)? as Seq,
                    r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?,
                    &uuid(row)?,
                    r.get_ref(3)?.as_str().map_err(rusqlite::Error::from)?,
                    r.get_ref(4)?.as_bytes().map_err(rusqlite::Error::from)?,
                    Hlc(r.get::<_, i64>(5)? as u64),
                );
            }
        }
        let head: Option<i64> = tx.query_row("SELECT max(seq) FROM change_log", [], |r| r.get(0))?;
        Ok(page.finish(after, (head.unwrap_or(0) as Seq).max(after)))
    }

    fn file_refs(&self, hash: &str) -> Result<Vec<FileRef>, ServerError> {
        Ok(file_refs(&self.reader(), hash)?)
    }

    fn mark_proven(&self, hash: &str, villages: &[Uuid]) -> Result<(), ServerError> {
        let conn = lock(&self.writer);
        for v in villages {
            conn.prepare_cached("UPDATE blob_ref SET proven = 1 WHERE hash = ?1 AND village_id = ?2")?
                .execute(rusqlite::params![hash, blob(*v)])?;
        }
        Ok(())
    }

    fn row_place(&self, row: Uuid) -> Result<Option<(String, Uuid)>, ServerError> {
        let found: Option<(String, Vec<u8>)> = self
            .reader()
            .prepare_cached("SELECT entity, village_id FROM row_scope WHERE row_id = ?1")?
            .query_row([blob(row)], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(match found {
            Some((e, v)) => Some((e, uuid(&v)?)),
            None => None,
        })
    }

    fn children(&self, field: &str, parent: Uuid) -> Result<Vec<Uuid>, ServerError> {
        let value = serde_json::Value::from(parent.to_string()).to_string();
        let reader = self.reader();
        let mut stmt =
            reader.prepare_cached("SELECT row_id FROM change_log WHERE live = 1 AND field = ?1 AND value = ?2")?;
        let rows = stmt.query_map(rusqlite::params![field, value], |r| r.get::<_, Vec<u8>>(0))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(uuid(&r?)?);
        }
        Ok(out)
    }

    fn row_log(&self, row: Uuid) -> Result<Vec<RowLogEntry>, ServerError> {
        let reader = self.reader();
        let mut stmt = reader.prepare_cached(
            "SELECT c.field, c.value, c.hlc, coalesce(d.name, ''), c.live, c.applied FROM change_log c
               LEFT JOIN device d ON d.id = c.device WHERE c.row_id = ?1 ORDER BY c.seq",
        )?;
        let rows = stmt.query_map([blob(row)], |r| {
            Ok(RowLogEntry {
                field: r.get(0)?,
                value: r.get(1)?,
                hlc: r.get::<_, i64>(2)? as u64,
                device: r.get(3)?,
                live: r.get(4)?,
                applied: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn histories(&self) -> Result<Vec<DeviceHistory>, ServerError> {
        let conn = self.reader();
        let devices: Vec<(Vec<u8>, String, Option<Vec<u8>>)> = conn
            .prepare("SELECT id, name, chain_head FROM device WHERE chain_head IS NOT NULL ORDER BY created_at")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::new();
        for (id, name, head) in devices {
            let device = uuid(&id)?;
            // The device's chained changes, stored and refused, in the order it made them.
            let mut entries: Vec<(Change, Option<Vec<u8>>)> = Vec::new();
            let mut stmt = conn.prepare(
                "SELECT id, entity, row_id, field, value, hlc, base, seen, chain FROM change_log \
                 WHERE device = ?1 AND chain IS NOT NULL",
            )?;
            let mut rows = stmt.query([&id])?;
            let mut problem = None;
            while let Some(r) = rows.next()? {
                let parsed = (|| -> Option<Change> {
                    Some(Change {
                        id: uuid(&r.get::<_, Vec<u8>>(0).ok()?).ok()?,
                        entity: Entity::parse(&r.get::<_, String>(1).ok()?)?,
                        row: uuid(&r.get::<_, Vec<u8>>(2).ok()?).ok()?,
                        field: r.get(3).ok()?,
                        value: serde_json::from_str(&r.get::<_, String>(4).ok()?).ok()?,
                        hlc: Hlc(r.get::<_, i64>(5).ok()? as u64),
                        device,
                        base: r.get::<_, Option<String>>(6).ok()?.map(|b| serde_json::from_str(&b)).transpose().ok()?,
                        seen: r.get::<_, Option<String>>(7).ok()?.map(|b| serde_json::from_str(&b)).transpose().ok()?,
                        chain: None,
                    })
                })();
                match parsed {
                    Some(c) => entries.push((c, r.get(8)?)),
                    None => problem = Some("有无法解析的记录".to_string()),
                }
            }
            let mut stmt = conn.prepare("SELECT change FROM rejected_change WHERE device = ?1")?;
            let mut rows = stmt.query([&id])?;
            while let Some(r) = rows.next()? {
                match refused_entry(&r.get::<_, String>(0)?) {
                    Ok(Some(e)) => entries.push(e),
                    Ok(None) => {}
                    Err(()) => problem = Some("有无法解析的拒收记录".to_string()),
                }
            }
            out.push(DeviceHistory { device, name, head, entries, unreadable: problem });
        }
        Ok(out)
    }
}

impl AdminRows for SqliteStorage {
    fn server_id(&self) -> Uuid {
        self.server_id
    }

    fn villages(&self) -> Result<Vec<VillageInfo>, ServerError> {
        let conn = self.reader();
        let mut stmt = conn.prepare(
            "SELECT vs.village_id, vs.code,
               (SELECT value FROM change_log WHERE row_id = vs.village_id AND field = 'name' AND live = 1),
               (SELECT value FROM change_log WHERE row_id = vs.village_id AND field = 'township' AND live = 1),
               (SELECT count(*) FROM row_scope WHERE village_id = vs.village_id AND entity = 'household')
             FROM village_scope vs ORDER BY vs.code",
        )?;
        let rows = stmt.query_map([], |r| {
            let text = |i: usize| -> rusqlite::Result<String> {
                let s: Option<String> = r.get(i)?;
                Ok(s.and_then(|s| serde_json::from_str::<String>(&s).ok()).unwrap_or_default())
            };
            Ok(VillageInfo {
                id: uuid(&r.get::<_, Vec<u8>>(0)?)?,
                code: r.get(1)?,
                name: text(2)?,
                township: text(3)?,
                households: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn village_code(&self, village: Uuid) -> Result<Option<String>, ServerError> {
        Ok(self
            .reader()
            .prepare_cached("SELECT code FROM village_scope WHERE village_id = ?1")?
            .query_row([blob(village)], |r| r.get(0))
            .optional()?)
    }

    fn stats(&self) -> Result<Stats, ServerError> {
        let conn = self.reader();
        let count = |sql: &str| -> Result<i64, ServerError> { Ok(conn.query_row(sql, [], |r| r.get(0))?) };
        let entity = |e: Entity| -> Result<i64, ServerError> {
            Ok(conn.query_row("SELECT count(*) FROM row_scope WHERE entity = ?1", [e.ident()], |r| r.get(0))?)
        };
        Ok(Stats {
            changes: count("SELECT count(*) FROM change_log")?,
            live_records: count("SELECT count(*) FROM row_scope")?,
            villages: entity(Entity::Village)?,
            households: entity(Entity::Household)?,
            members: entity(Entity::Member)?,
            visits: entity(Entity::Visit)?,
            open_conflicts: count("SELECT count(*) FROM open_conflict")?,
            devices: count("SELECT count(*) FROM device WHERE scope <> 'county:000000'")?,
        })
    }

    fn set_sealing_key(&self, county: &str, key: &str, by: Uuid, at: &str) -> Result<(), ServerError> {
        lock(&self.writer).execute(
            "INSERT INTO sealing_key(county, key, set_by, set_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(county) DO UPDATE SET key = excluded.key, set_by = excluded.set_by, set_at = excluded.set_at",
            rusqlite::params![county, key, blob(by), at],
        )?;
        Ok(())
    }

    fn sealing_key(&self, county: &str) -> Result<Option<(String, String)>, ServerError> {
        Ok(self
            .reader()
            .prepare_cached("SELECT key, set_at FROM sealing_key WHERE county = ?1")?
            .query_row([county], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    fn set_setting(&self, county: &str, key: &str, value: i64, by: Uuid, at: &str) -> Result<(), ServerError> {
        lock(&self.writer).execute(
            "INSERT INTO county_setting(county, key, value, set_by, set_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(county, key) DO UPDATE SET value = excluded.value, set_by = excluded.set_by,
                                                    set_at = excluded.set_at",
            rusqlite::params![county, key, value, blob(by), at],
        )?;
        Ok(())
    }

    fn settings(&self, county: &str) -> Result<Vec<(String, i64)>, ServerError> {
        let reader = self.reader();
        let mut stmt = reader.prepare_cached("SELECT key, value FROM county_setting WHERE county = ?1")?;
        let rows = stmt.query_map([county], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn meta(&self, key: &str) -> Result<Option<String>, ServerError> {
        Ok(self
            .reader()
            .prepare_cached("SELECT value FROM server_meta WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<(), ServerError> {
        lock(&self.writer).execute(
            "INSERT INTO server_meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }
}
