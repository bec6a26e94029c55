//! Erasing a device's data when the server revokes it: a tablet handed on or lost must not keep
//! household data (身份证号, health, income).

use crate::error::Result;
use crate::{meta, write_tx, Store};
use zoufang_sync::{Clock, Hlc};

impl Store {
    /// Erases every record, change, photo file and the enrolment. The database stays usable (empty,
    /// with a new device id) so the app can enrol it again as a new device. Deleted pages are zeroed
    /// (`secure_delete`), the file is rebuilt without them (`VACUUM`) and the WAL truncated, so nothing
    /// erased lingers in free pages.
    pub fn wipe(&mut self) -> Result<()> {
        self.conn.pragma_update(None, "secure_delete", "ON")?;
        self.conn.pragma_update(None, "foreign_keys", "OFF")?;
        let tables: Vec<String> = self
            .conn
            // The migrations' checksums are the schema's, not data: they stay.
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
                 AND name <> 'schema_migration'",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let tx = write_tx(&mut self.conn)?;
        for t in &tables {
            tx.execute(&format!("DELETE FROM \"{}\"", t.replace('"', "\"\"")), [])?;
        }
        tx.commit()?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        self.conn.execute_batch("VACUUM")?;
        self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        if let Some(dir) = &self.photo_dir {
            match std::fs::remove_dir_all(dir) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(crate::StoreError::Io(format!("无法删除照片目录 {}：{e}", dir.display())))
                }
                _ => {}
            }
        }
        self.device = meta::device_id(&self.conn)?;
        self.clock = Clock::resume(Hlc(0));
        self.upserts.clear();
        Ok(())
    }

    /// Re-reads this device's id and clock: another connection (the background sync) may have wiped the
    /// database and given the device a new id.
    pub fn refresh_identity(&mut self) -> Result<()> {
        let id = meta::device_id(&self.conn)?;
        if id != self.device {
            self.device = id;
            let last: Option<i64> = self.conn.query_row("SELECT max(hlc) FROM change_log", [], |r| r.get(0))?;
            self.clock = Clock::resume(Hlc(last.unwrap_or(0).max(0) as u64));
        }
        Ok(())
    }

    /// Whether the device holds no records at all (after a wipe, or before the first sync).
    pub fn is_empty(&self) -> Result<bool> {
        let n: i64 = self.conn.query_row(
            "SELECT (SELECT count(*) FROM village) + (SELECT count(*) FROM household) + (SELECT count(*) FROM change_log)",
            [],
            |r| r.get(0),
        )?;
        Ok(n == 0)
    }
}
