//! The scale backend: PostgreSQL, shared by several stateless server replicas.
//!
//! The log's order is the order devices observe: every write to the log takes one transaction-scoped
//! advisory lock, reads the head, numbers its entries after it and commits before the lock is released
//! (what a batch consults is loaded before the lock and checked again under it: `PgLedger::lock_log`).
//! PostgreSQL makes a commit visible before it releases the transaction's locks, so a later writer (on
//! any replica) always numbers after an entry every reader can already see: a pull never sees seq n+1
//! while n is still to come, and no number is skipped (a rolled-back batch never took one).

mod access;
mod conn;
mod ledger;

use crate::access::{now_rfc3339, readable_kinds, FileRef};
use crate::audit::{refused_entry, Entry};
use crate::batch;
use crate::error::ServerError;
use crate::page::{PageBody, PageWriter};
use crate::storage::{AdminRows, DeviceAuth, DeviceHistory, LogRows, RowLogEntry, Stats, VillageInfo};
use crate::tokens;
use conn::{lock, Conn, Pool, Pooled};
use ledger::PgLedger;
use postgres::{Client, NoTls};
use std::collections::HashMap;
use std::sync::Mutex;
use uuid::Uuid;
use zoufang_migrate::Migration;
use zoufang_model::{Entity, Scope};
use zoufang_sync::{Change, ChangeResult, Clock, Hlc, Seq};

/// The PostgreSQL schema's migrations, oldest first (same discipline as SQLite's: numbered files,
/// each applied once in its own transaction, a database newer than the binary refused).
pub const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, sql: include_str!("../../../../schema/server-pg/0001_init.sql") },
    Migration { version: 2, sql: include_str!("../../../../schema/server-pg/0002_hostile_devices.sql") },
    Migration { version: 3, sql: include_str!("../../../../schema/server-pg/0003_guard_pending.sql") },
    Migration { version: 4, sql: include_str!("../../../../schema/server-pg/0004_county_settings.sql") },
    Migration { version: 5, sql: include_str!("../../../../schema/server-pg/0005_history.sql") },
];

/// Advisory lock keys: one serialises writes to the log, one serialises migrations across replicas.
pub(crate) const LOG_LOCK: i64 = 0x7a66_0001;
const MIGRATE_LOCK: i64 = 0x7a66_0002;
const READERS: usize = 4;
/// A trusted load this large refreshes the planner's statistics when it is done.
const BULK: usize = 50_000;
const WRITERS: usize = 3;

/// Why the PostgreSQL backend could not open.
#[derive(Debug, thiserror::Error)]
pub enum PgOpenError {
    #[error("无法连接 PostgreSQL（{url}）：{source}")]
    Connect { url: String, source: postgres::Error },
    #[error("PostgreSQL 数据库结构迁移失败：{0}")]
    Migrate(postgres::Error),
    #[error("数据库结构版本 {found} 比本程序支持的 {supported} 新：请升级服务器程序")]
    TooNew { found: i32, supported: i32 },
    #[error("PostgreSQL 数据库的第 {0} 步结构迁移与本程序的不同（已应用的迁移被修改过），拒绝启动")]
    Edited(u32),
    #[error("数据库中的服务器编号无效：{0}")]
    ServerId(String),
}

pub struct PgStorage {
    url: String,
    /// Several writers: one push loads what it consults while another holds the log lock.
    writers: Pool,
    readers: Pool,
    clock: Mutex<Clock>,
    server_id: Uuid,
}

/// Hides the password in a connection URL for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            match cred.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &cred[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

fn connect(url: &str) -> Result<Client, PgOpenError> {
    Client::connect(url, NoTls).map_err(|source| PgOpenError::Connect { url: redact(url), source })
}

/// Brings the schema up to date; replicas starting together wait for each other on an advisory lock.
/// Each step's checksum is kept beside it and the applied steps are checked against this build's text
/// first (the rule of `zoufang_migrate::check_recorded`, shared with SQLite).
fn migrate(c: &mut Client) -> Result<(), PgOpenError> {
    c.execute("SELECT pg_advisory_lock($1)", &[&MIGRATE_LOCK]).map_err(PgOpenError::Migrate)?;
    let result = (|| {
        c.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migration (version integer PRIMARY KEY, applied_at text NOT NULL);
             ALTER TABLE schema_migration ADD COLUMN IF NOT EXISTS checksum text;",
        )
        .map_err(PgOpenError::Migrate)?;
        let found: i32 = c
            .query_one("SELECT coalesce(max(version), 0) FROM schema_migration", &[])
            .and_then(|r| r.try_get(0))
            .map_err(PgOpenError::Migrate)?;
        let supported = MIGRATIONS.len() as i32;
        if found > supported {
            return Err(PgOpenError::TooNew { found, supported });
        }
        let recorded: Vec<(u32, Option<String>)> = c
            .query("SELECT version, checksum FROM schema_migration", &[])
            .map_err(PgOpenError::Migrate)?
            .iter()
            .map(|r| (r.get::<_, i32>(0) as u32, r.get(1)))
            .collect();
        let missing = zoufang_migrate::check_recorded(found as u32, &recorded, MIGRATIONS)
            .map_err(|e| PgOpenError::Edited(e.version))?;
        for v in missing {
            let sum = zoufang_migrate::checksum(MIGRATIONS[v as usize - 1].sql);
            c.execute("UPDATE schema_migration SET checksum = $2 WHERE version = $1", &[&(v as i32), &sum])
                .map_err(PgOpenError::Migrate)?;
        }
        for m in MIGRATIONS.iter().filter(|m| m.version as i32 > found) {
            let mut tx = c.transaction().map_err(PgOpenError::Migrate)?;
            tx.batch_execute(m.sql).map_err(PgOpenError::Migrate)?;
            tx.execute(
                "INSERT INTO schema_migration(version, applied_at, checksum) VALUES ($1, $2, $3)",
                &[&(m.version as i32), &now_rfc3339(), &zoufang_migrate::checksum(m.sql)],
            )
            .map_err(PgOpenError::Migrate)?;
            tx.commit().map_err(PgOpenError::Migrate)?;
            tracing::info!("PostgreSQL schema migrated to version {}", m.version);
        }
        Ok(())
    })();
    let _ = c.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATE_LOCK]);
    result
}

impl PgStorage {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/database`, with `?options=-csearch_path%3D…`
    /// for a schema other than `public`), brings the schema up to date and opens the connection pool.
    pub fn open(url: &str) -> Result<Self, PgOpenError> {
        let mut w = connect(url)?;
        migrate(&mut w)?;
        let id = Uuid::now_v7().to_string();
        w.execute("INSERT INTO server_meta(key, value) VALUES ('server_id', $1) ON CONFLICT (key) DO NOTHING", &[&id])
            .map_err(PgOpenError::Migrate)?;
        let stored: String = w
            .query_one("SELECT value FROM server_meta WHERE key = 'server_id'", &[])
            .and_then(|r| r.try_get(0))
            .map_err(PgOpenError::Migrate)?;
        let server_id = Uuid::parse_str(&stored).map_err(|e| PgOpenError::ServerId(e.to_string()))?;
        let last: Option<i64> = w
            .query_one("SELECT max(hlc) FROM change_log", &[])
            .and_then(|r| r.try_get(0))
            .map_err(PgOpenError::Migrate)?;
        let conns = |n: usize| (0..n).map(|_| connect(url).map(Conn::new)).collect::<Result<Vec<_>, _>>();
        let mut writers = conns(WRITERS - 1)?;
        writers.push(Conn::new(w));
        let (writers, readers) = (Pool::new(writers), Pool::new(conns(READERS)?));
        Ok(PgStorage {
            url: url.to_string(),
            writers,
            readers,
            clock: Mutex::new(Clock::resume(Hlc(last.unwrap_or(0) as u64))),
            server_id,
        })
    }

    /// A pooled connection, reconnected if the database dropped it (a restart, a failover).
    fn live<'a>(&self, mut g: Pooled<'a>) -> Result<Pooled<'a>, ServerError> {
        if g.client.is_closed() {
            tracing::warn!("PostgreSQL connection lost; reconnecting");
            *g = Conn::new(connect(&self.url).map_err(ServerError::internal)?);
        }
        Ok(g)
    }

    fn writer(&self) -> Result<Pooled<'_>, ServerError> {
        self.live(self.writers.get())
    }

    fn reader(&self) -> Result<Pooled<'_>, ServerError> {
        self.live(self.readers.get())
    }

    /// Applies a batch in one transaction under the log lock. `from` is None for trusted ingest.
    /// Returns the results and the device's last batch number before this one.
    fn apply_batch(
        &self,
        conn: &mut Conn,
        from: Option<(&DeviceAuth, u64)>,
        changes: &[Change],
    ) -> Result<(Vec<ChangeResult>, i64), ServerError> {
        let mut tx = conn.tx()?;
        // The device's row first, locked: one device's pushes are serial (its chain, its batch number).
        let (before, last_batch, chain_head) = match from {
            Some((d, _)) => {
                let r = tx.query_one(
                    "SELECT coalesce((SELECT max(seq) FROM change_log), 0), last_batch, chain_head, chain_hlc \
                     FROM device WHERE id = $1 FOR UPDATE",
                    &[&d.id],
                )?;
                let link = r.try_get::<_, Option<Vec<u8>>>(2)?.and_then(|b| b.try_into().ok());
                let hlc = Hlc(r.try_get::<_, i64>(3)?.max(0) as u64);
                (r.try_get(0)?, r.try_get(1)?, link.map(|link| batch::ChainHead { link, hlc }))
            }
            None => (tx.query_one("SELECT coalesce(max(seq), 0) FROM change_log", &[])?.try_get(0)?, 0, None),
        };
        let lookups = batch::scope_lookups(changes);
        let mut ledger = PgLedger::load(&mut tx, self.server_id, chain_head, changes, &lookups)?;
        ledger.lock_log(before, changes, &lookups)?;
        let done = {
            let mut clock = lock(&self.clock);
            batch::apply_batch(&mut ledger, &mut clock, self.server_id, from.map(|(d, _)| d), changes)?
        };
        ledger.flush(from.map(|(d, batch)| (d.id, batch as i64, done.head)))?;
        tx.commit()?;
        Ok((done.results, last_batch))
    }
}

impl LogRows for PgStorage {
    fn write_batch(
        &self,
        from: Option<(&DeviceAuth, u64)>,
        changes: &[Change],
    ) -> Result<(Vec<ChangeResult>, i64), ServerError> {
        let mut conn = self.writer()?;
        self.apply_batch(&mut conn, from, changes)
    }

    fn clock_last(&self) -> Hlc {
        lock(&self.clock).last()
    }

    fn register_sources(&self, source_name: &str, devices: &[Uuid]) -> Result<(), ServerError> {
        let mut conn = self.writer()?;
        for d in devices {
            conn.execute(
                "INSERT INTO device(id, name, token_hash, scope, created_at, revoked_at) VALUES ($1, $2, $3, 'county:000000', $4, $4) \
                 ON CONFLICT (id) DO NOTHING",
                &[d, &source_name, &tokens::hash(&tokens::new_token()), &now_rfc3339()],
            )?;
        }
        Ok(())
    }

    fn after_load(&self, n: usize) -> Result<(), ServerError> {
        if n >= BULK {
            // After a bulk load, plan the next pulls on what is there now, not on the statistics of a
            // smaller log (autovacuum would get to it, but a county's first pulls come at once).
            self.writer()?.client.batch_execute("ANALYZE change_log, row_scope, village_scope")?;
        }
        Ok(())
    }

    fn pull_page(&self, device: Option<&DeviceAuth>, after: u64, limit: usize) -> Result<PageBody, ServerError> {
        let limit = limit.clamp(1, zoufang_sync::MAX_PAGE);
        let kinds = readable_kinds(device)?;
        let mut conn = self.reader()?;
        // One snapshot for the page and the head it reports.
        let mut tx = conn.snapshot()?;
        const COLS: &str = "seq, entity, row_id, field, value, hlc";
        let (after, lim) = (after as i64, limit as i64);
        let rows = match device.map(|d| &d.scope) {
            None => tx.query(
                &format!("SELECT {COLS} FROM change_log WHERE live AND seq > $1 ORDER BY seq LIMIT $2"),
                &[&after, &lim],
            )?,
            Some(Scope::Village(v)) => tx.query(
                &format!("SELECT {COLS} FROM change_log WHERE live AND village_id = $1 AND seq > $2{kinds} ORDER BY seq LIMIT $3"),
                &[v as &(dyn postgres::types::ToSql + Sync), &after, &lim],
            )?,
            Some(Scope::Township(p) | Scope::County(p)) => tx.query(
                &format!(
                    "SELECT {COLS} FROM change_log WHERE live AND seq > $2{kinds} AND village_id IN \
                     (SELECT village_id FROM village_scope WHERE starts_with(code, $1)) ORDER BY seq LIMIT $3"
                ),
                &[p as &(dyn postgres::types::ToSql + Sync), &after, &lim],
            )?,
        };
        let mut page = PageWriter::new(limit);
        for r in &rows {
            page.push(
                r.try_get::<_, i64>(0)? as Seq,
                r.try_get(1)?,
                &r.try_get::<_, Uuid>(2)?,
                r.try_get(3)?,
                r.try_get::<_, &str>(4)?.as_bytes(),
                Hlc(r.try_get::<_, i64>(5)? as u64),
            );
        }
        let head: Option<i64> = tx.query_one("SELECT max(seq) FROM change_log", &[])?.try_get(0)?;
        tx.commit()?;
        Ok(page.finish(after as Seq, (head.unwrap_or(0) as Seq).max(after as Seq)))
    }

    fn file_refs(&self, hash: &str) -> Result<Vec<FileRef>, ServerError> {
        let rows = self.reader()?.query(
            "SELECT r.village_id, s.code, r.entity, r.seq, r.proven FROM blob_ref r \
             LEFT JOIN village_scope s ON s.village_id = r.village_id WHERE r.hash = $1",
            &[&hash],
        )?;
        let refs = rows.iter().map(|r| {
            Ok(FileRef {
                village: r.try_get(0)?,
                code: r.try_get(1)?,
                entity: r.try_get(2)?,
                seq: r.try_get(3)?,
                proven: r.try_get(4)?,
            })
        });
        Ok(refs.collect::<Result<Vec<_>, postgres::Error>>()?)
    }

    fn mark_proven(&self, hash: &str, villages: &[Uuid]) -> Result<(), ServerError> {
        self.writer()?.execute(
            "UPDATE blob_ref SET proven = true WHERE hash = $1 AND village_id = ANY($2::uuid[])",
            &[&hash, &villages],
        )?;
        Ok(())
    }

    fn row_place(&self, row: Uuid) -> Result<Option<(String, Uuid)>, ServerError> {
        let found = self.reader()?.query_opt("SELECT entity, village_id FROM row_scope WHERE row_id = $1", &[&row])?;
        Ok(found.map(|r| Ok::<_, postgres::Error>((r.try_get(0)?, r.try_get(1)?))).transpose()?)
    }

    fn children(&self, field: &str, parent: Uuid) -> Result<Vec<Uuid>, ServerError> {
        let value = serde_json::Value::from(parent.to_string()).to_string();
        let rows = self
            .reader()?
            .query("SELECT row_id FROM change_log WHERE live AND field = $1 AND value = $2", &[&field, &value])?;
        Ok(rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?)
    }

    fn row_log(&self, row: Uuid) -> Result<Vec<RowLogEntry>, ServerError> {
        let rows = self.reader()?.query(
            "SELECT c.field, c.value, c.hlc, coalesce(d.name, ''), c.live, c.applied FROM change_log c \
               LEFT JOIN device d ON d.id = c.device WHERE c.row_id = $1 ORDER BY c.seq",
            &[&row],
        )?;
        let entry = |r: &postgres::Row| -> Result<RowLogEntry, postgres::Error> {
            Ok(RowLogEntry {
                field: r.try_get(0)?,
                value: r.try_get(1)?,
                hlc: r.try_get::<_, i64>(2)? as u64,
                device: r.try_get(3)?,
                live: r.try_get(4)?,
                applied: r.try_get(5)?,
            })
        };
        Ok(rows.iter().map(entry).collect::<Result<_, _>>()?)
    }

    fn histories(&self) -> Result<Vec<DeviceHistory>, ServerError> {
        let mut conn = self.reader()?;
        let mut tx = conn.snapshot()?;
        let devices =
            tx.query("SELECT id, name, chain_head FROM device WHERE chain_head IS NOT NULL ORDER BY created_at", &[])?;
        // Every device's chained changes in one pass over the log, and its refused changes.
        let mut chains: HashMap<Uuid, (Vec<Entry>, Option<String>)> = HashMap::new();
        for r in tx.query(
            "SELECT device, id, entity, row_id, field, value, hlc, base, seen, chain FROM change_log WHERE chain IS NOT NULL",
            &[],
        )? {
            let device: Uuid = r.try_get(0)?;
            let parsed = (|| -> Option<Change> {
                Some(Change {
                    id: r.try_get(1).ok()?,
                    entity: Entity::parse(r.try_get(2).ok()?)?,
                    row: r.try_get(3).ok()?,
                    field: r.try_get(4).ok()?,
                    value: serde_json::from_str(r.try_get(5).ok()?).ok()?,
                    hlc: Hlc(r.try_get::<_, i64>(6).ok()? as u64),
                    device,
                    base: r.try_get::<_, Option<&str>>(7).ok()?.map(serde_json::from_str).transpose().ok()?,
                    seen: r.try_get::<_, Option<&str>>(8).ok()?.map(serde_json::from_str).transpose().ok()?,
                    chain: None,
                })
            })();
            let entry = chains.entry(device).or_default();
            match parsed {
                Some(c) => entry.0.push((c, r.try_get(9)?)),
                None => entry.1 = Some("有无法解析的记录".to_string()),
            }
        }
        for r in tx.query("SELECT device, change FROM rejected_change", &[])? {
            let entry = chains.entry(r.try_get(0)?).or_default();
            match refused_entry(r.try_get(1)?) {
                Ok(Some(e)) => entry.0.push(e),
                Ok(None) => {}
                Err(()) => entry.1 = Some("有无法解析的拒收记录".to_string()),
            }
        }
        tx.commit()?;
        let mut out = Vec::new();
        for r in devices {
            let device: Uuid = r.try_get(0)?;
            let head: Option<Vec<u8>> = r.try_get(2)?;
            let (entries, unreadable) = chains.remove(&device).unwrap_or_default();
            out.push(DeviceHistory { device, name: r.try_get(1)?, head, entries, unreadable });
        }
        Ok(out)
    }
}

impl AdminRows for PgStorage {
    fn server_id(&self) -> Uuid {
        self.server_id
    }

    fn villages(&self) -> Result<Vec<VillageInfo>, ServerError> {
        let rows = self.reader()?.query(
            "SELECT vs.village_id, vs.code,
               (SELECT value FROM change_log WHERE row_id = vs.village_id AND field = 'name' AND live),
               (SELECT value FROM change_log WHERE row_id = vs.village_id AND field = 'township' AND live),
               (SELECT count(*) FROM row_scope WHERE village_id = vs.village_id AND entity = 'household')
             FROM village_scope vs ORDER BY vs.code",
            &[],
        )?;
        let text = |s: Option<String>| s.and_then(|s| serde_json::from_str::<String>(&s).ok()).unwrap_or_default();
        rows.iter()
            .map(|r| {
                Ok(VillageInfo {
                    id: r.try_get(0)?,
                    code: r.try_get(1)?,
                    name: text(r.try_get(2)?),
                    township: text(r.try_get(3)?),
                    households: r.try_get(4)?,
                })
            })
            .collect()
    }

    fn village_code(&self, village: Uuid) -> Result<Option<String>, ServerError> {
        let row = self.reader()?.query_opt("SELECT code FROM village_scope WHERE village_id = $1", &[&village])?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    fn stats(&self) -> Result<Stats, ServerError> {
        let r = self.reader()?.query_one(
            "SELECT (SELECT count(*) FROM change_log),
                    (SELECT count(*) FROM row_scope),
                    (SELECT count(*) FROM row_scope WHERE entity = $1),
                    (SELECT count(*) FROM row_scope WHERE entity = $2),
                    (SELECT count(*) FROM row_scope WHERE entity = $3),
                    (SELECT count(*) FROM row_scope WHERE entity = $4),
                    (SELECT count(*) FROM open_conflict),
                    (SELECT count(*) FROM device WHERE scope <> 'county:000000')",
            &[&Entity::Village.ident(), &Entity::Household.ident(), &Entity::Member.ident(), &Entity::Visit.ident()],
        )?;
        Ok(Stats {
            changes: r.try_get(0)?,
            live_records: r.try_get(1)?,
            villages: r.try_get(2)?,
            households: r.try_get(3)?,
            members: r.try_get(4)?,
            visits: r.try_get(5)?,
            open_conflicts: r.try_get(6)?,
            devices: r.try_get(7)?,
        })
    }

    fn set_sealing_key(&self, county: &str, key: &str, by: Uuid, at: &str) -> Result<(), ServerError> {
        self.writer()?.execute(
            "INSERT INTO sealing_key(county, key, set_by, set_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (county) DO UPDATE SET key = excluded.key, set_by = excluded.set_by, set_at = excluded.set_at",
            &[&county, &key, &by, &at],
        )?;
        Ok(())
    }

    fn sealing_key(&self, county: &str) -> Result<Option<(String, String)>, ServerError> {
        let row = self.reader()?.query_opt("SELECT key, set_at FROM sealing_key WHERE county = $1", &[&county])?;
        Ok(row.map(|r| Ok::<_, postgres::Error>((r.try_get(0)?, r.try_get(1)?))).transpose()?)
    }

    fn set_setting(&self, county: &str, key: &str, value: i64, by: Uuid, at: &str) -> Result<(), ServerError> {
        self.writer()?.execute(
            "INSERT INTO county_setting(county, key, value, set_by, set_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (county, key) DO UPDATE SET value = excluded.value, set_by = excluded.set_by,
                                                     set_at = excluded.set_at",
            &[&county, &key, &value, &by, &at],
        )?;
        Ok(())
    }

    fn settings(&self, county: &str) -> Result<Vec<(String, i64)>, ServerError> {
        let rows = self.reader()?.query("SELECT key, value FROM county_setting WHERE county = $1", &[&county])?;
        Ok(rows.iter().map(|r| Ok::<_, postgres::Error>((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_, _>>()?)
    }

    fn meta(&self, key: &str) -> Result<Option<String>, ServerError> {
        let row = self.reader()?.query_opt("SELECT value FROM server_meta WHERE key = $1", &[&key])?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<(), ServerError> {
        self.writer()?.execute(
            "INSERT INTO server_meta(key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&key, &value],
        )?;
        Ok(())
    }
}
