//! The device's clock against the server's.
//!
//! Every change is dated by the device's hybrid logical clock, and the server refuses a batch holding a
//! change dated more than `MAX_AHEAD_MS` ahead of its own clock (such a change would win every
//! concurrent edit until that time came). A tablet whose clock was set wrong (a wrong year, a wrong time
//! zone typed in by hand) then learns the server's time, keeps the difference (`clock_offset` in the
//! meta table) and dates its unsent changes again: their order is kept, each moved by the difference and
//! never before what the server already holds from this device, and their history links are made again
//! from the last link the server acknowledged. The server never saw those changes (it refused the
//! whole batch), so nothing it holds is contradicted and nothing is lost. Later writes are dated by the
//! corrected time.
//!
//! Rules: only changes after the acknowledged position are touched; everything happens in one
//! transaction (a kill leaves the old dates, and the server refuses them again).

use crate::error::{Result, StoreError};
use crate::meta::{self, ACKED, CLOCK_OFFSET, HLC_SEEN};
use crate::sql;
use crate::Store;
use rusqlite::{Connection, OptionalExtension};
use serde_json::Value;
use zoufang_model::Entity;
use zoufang_sync::chain::{next_link, Link, GENESIS};
use zoufang_sync::hlc::{now_ms, MAX_AHEAD_MS};
use zoufang_sync::{Change, Clock, Hlc};

/// The time a write is dated by (Unix ms): the device's clock, corrected by what the server said about
/// it if it ever did. A clock that ran ahead of the corrected time (it followed a wrong wall clock, in
/// another connection to this database, before the correction) starts again from the latest date the
/// device's own log holds.
pub(crate) fn dating_now(conn: &Connection, clock: &mut Clock) -> Result<u64> {
    let Some(offset) = meta::get(conn, CLOCK_OFFSET)?.and_then(|s| s.parse::<i64>().ok()) else {
        return Ok(now_ms());
    };
    let now = (now_ms() as i64).saturating_add(offset).max(0) as u64;
    if clock.last().wall_ms() > now.saturating_add(MAX_AHEAD_MS) {
        let last: Option<i64> = conn.query_row("SELECT max(hlc) FROM change_log", [], |r| r.get(0))?;
        *clock = Clock::resume(Hlc(last.unwrap_or(0).max(0) as u64));
    }
    Ok(now)
}

impl Store {
    /// Sets the device's clock by the server's (`server_ms`, Unix ms, as `/v1/health` says) and dates
    /// every unsent change again. Returns how far the device's wall clock was ahead (ms; negative: behind).
    pub fn redate_unsent(&mut self, server_ms: u64) -> Result<i64> {
        let ahead = now_ms() as i64 - server_ms as i64;
        let tx = crate::write_tx(&mut self.conn)?;
        meta::set(&tx, CLOCK_OFFSET, &(-ahead).to_string())?;
        let acked = meta::get_i64(&tx, ACKED)?;
        let floor: Option<i64> =
            tx.query_row("SELECT max(hlc) FROM change_log WHERE seq <= ?1", [acked], |r| r.get(0))?;
        let last_link: Option<Option<Vec<u8>>> = tx
            .query_row("SELECT chain FROM change_log WHERE seq <= ?1 ORDER BY seq DESC LIMIT 1", [acked], |r| r.get(0))
            .optional()?;
        let mut link: Link = match last_link.flatten() {
            Some(b) => b.try_into().map_err(|_| StoreError::Corrupt("change_log.chain".into()))?,
            None => GENESIS,
        };
        let mut clock = Clock::resume(Hlc(floor.unwrap_or(0).max(0) as u64));
        let unsent: Vec<(i64, Change)> = {
            let mut stmt = tx.prepare(
                "SELECT seq, id, entity, row_id, field, value, hlc, base, seen FROM change_log WHERE seq > ?1 ORDER BY seq",
            )?;
            let mut rows = stmt.query([acked])?;
            let corrupt = |what: &str| StoreError::Corrupt(format!("change_log: {what}"));
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let entity: String = r.get(2)?;
                let value: String = r.get(5)?;
                let base: Option<String> = r.get(7)?;
                let seen: Option<String> = r.get(8)?;
                out.push((
                    r.get(0)?,
                    Change {
                        id: sql::blob_uuid(&r.get::<_, Vec<u8>>(1)?)?,
                        entity: Entity::parse(&entity).ok_or_else(|| corrupt("entity"))?,
                        row: sql::blob_uuid(&r.get::<_, Vec<u8>>(3)?)?,
                        field: r.get(4)?,
                        value: serde_json::from_str::<Value>(&value).map_err(|_| corrupt("value"))?,
                        hlc: Hlc(r.get::<_, i64>(6)? as u64),
                        device: self.device,
                        base: base.map(|b| serde_json::from_str(&b)).transpose().map_err(|_| corrupt("base"))?,
                        seen: seen.map(|s| serde_json::from_str(&s)).transpose().map_err(|_| corrupt("seen"))?,
                        chain: None,
                    },
                ));
            }
            out
        };
        for (seq, mut c) in unsent {
            // Moved by the difference, and never later than the server's time (a clock that ran ahead
            // of a right wall clock, having followed a wrong date seen elsewhere, moves back too).
            let wall = ((c.hlc.wall_ms() as i64).saturating_sub(ahead).max(0) as u64).min(server_ms);
            c.hlc = clock.tick(wall);
            link = next_link(&link, &c);
            tx.prepare_cached("UPDATE change_log SET hlc = ?1, chain = ?2 WHERE seq = ?3")?
                .execute(rusqlite::params![c.hlc.0 as i64, &link[..], seq])?;
        }
        meta::set(&tx, HLC_SEEN, &clock.last().0.to_string())?;
        tx.commit()?;
        self.clock = clock;
        Ok(ahead)
    }

    /// What proves this device is the one the server registered under its id, when it enrols again
    /// (its token expired): its old token.
    pub fn enrolment_proof(&self) -> Result<Option<String>> {
        Ok(self.enrolment()?.map(|e| e.token).filter(|t| !t.is_empty()))
    }
}
