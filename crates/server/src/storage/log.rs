//! The change log, written once for every backend: a push (the request checked, the batch applied in
//! one write transaction, a resent batch recognised), a trusted load, pulls, who may read or upload a
//! photo file, and the audit of every device's history chain.
//!
//! One push reads one way: the API calls `Storage::push`, which checks the request and asks the backend
//! to `write_batch`; the backend locks and loads what the batch consults and hands its ledger to
//! `batch::apply_batch` (every rule a change must pass, and the merge), then writes what it decided
//! and the device's batch number and chain head in the same transaction.

use super::{AuditReport, DeviceAuth, FileRights, Storage};
use crate::access::{file_rights, provable, FileRef};
use crate::audit::{chain_problem, Entry};
use crate::batch;
use crate::error::ServerError;
use crate::page::PageBody;
use uuid::Uuid;
use zoufang_sync::{Change, ChangeResult, Hlc, PushRequest, PushResponse, Status, MAX_BATCH};

/// One stored change of a row, for a household's history.
pub(crate) struct RowLogEntry {
    pub field: String,
    /// JSON.
    pub value: String,
    pub hlc: u64,
    pub device: String,
    pub live: bool,
    pub applied: bool,
}

/// One device's history as the server holds it, for the audit.
pub(crate) struct DeviceHistory {
    pub device: Uuid,
    pub name: String,
    /// The last link the server accepted from it.
    pub head: Option<Vec<u8>>,
    /// Its chained changes, stored and refused, in any order.
    pub entries: Vec<Entry>,
    /// Something stored that no longer reads.
    pub unreadable: Option<String>,
}

/// The backend's part of the log.
pub(crate) trait LogRows {
    /// Applies a batch in one write transaction: locks what must be locked, loads what the batch
    /// consults, runs `batch::apply_batch` on its ledger and writes the outcome; for a device's push
    /// (`from`) also its batch number and chain head. `from` is `None` for a trusted load. Returns the
    /// results and the device's last batch number before this one.
    fn write_batch(
        &self,
        from: Option<(&DeviceAuth, u64)>,
        changes: &[Change],
    ) -> Result<(Vec<ChangeResult>, i64), ServerError>;
    /// The server clock's last reading.
    fn clock_last(&self) -> Hlc;
    /// Registers the stand-in devices a trusted load's changes name (revoked from the start).
    fn register_sources(&self, source_name: &str, devices: &[Uuid]) -> Result<(), ServerError>;
    /// After a trusted load of `n` changes (PostgreSQL refreshes its planner's statistics).
    fn after_load(&self, _n: usize) -> Result<(), ServerError> {
        Ok(())
    }
    /// A page of the log after `after` in the device's scope (every entry for `None`), as the JSON body
    /// of a `PullResponse`.
    fn pull_page(&self, device: Option<&DeviceAuth>, after: u64, limit: usize) -> Result<PageBody, ServerError>;
    /// The records naming a file.
    fn file_refs(&self, hash: &str) -> Result<Vec<FileRef>, ServerError>;
    /// The records of these villages naming the file now count as holding its bytes.
    fn mark_proven(&self, hash: &str, villages: &[Uuid]) -> Result<(), ServerError>;
    /// Every device's history, for the audit.
    fn histories(&self) -> Result<Vec<DeviceHistory>, ServerError>;
    /// The kind and village of a row the server holds.
    fn row_place(&self, row: Uuid) -> Result<Option<(String, Uuid)>, ServerError>;
    /// The rows whose current `field` names `parent` (a household's members, visits …; a row's conflicts).
    fn children(&self, field: &str, parent: Uuid) -> Result<Vec<Uuid>, ServerError>;
    /// Every change of a row the server took, in the order it took them.
    fn row_log(&self, row: Uuid) -> Result<Vec<RowLogEntry>, ServerError>;
}

impl Storage {
    /// A household's history (痕迹管理) for `device`: every change to the household and the records that
    /// belong to it (members, visits, handbook, procedure records), and the conflicts over them, with
    /// who, when, from which device and old → new; only inside the device's scope and only kinds its
    /// role reads.
    pub fn household_history(
        &self,
        device: &DeviceAuth,
        household: Uuid,
    ) -> Result<zoufang_sync::HistoryResponse, ServerError> {
        use zoufang_model::{Entity, Scope};
        let forbidden =
            || ServerError::new(crate::error::ErrorKind::Forbidden, "forbidden", "这一户不在本机的工作范围内");
        let Some((kind, village)) = self.rows.row_place(household)? else {
            return Err(ServerError::new(crate::error::ErrorKind::NotFound, "not_found", "服务器上没有这一户"));
        };
        let code = self.village_code(village)?;
        if kind != Entity::Household.ident()
            || !device.role.can_read(Entity::Household)
            || !device.scope.covers(&Scope::Village(village), code.as_deref())
        {
            return Err(forbidden());
        }
        let readable = |rows: &Self, row: Uuid| -> Result<Option<Entity>, ServerError> {
            Ok(rows.rows.row_place(row)?.and_then(|(e, _)| Entity::parse(&e)).filter(|e| device.role.can_read(*e)))
        };
        let mut rows = vec![(Entity::Household, household)];
        for child in self.rows.children("household_id", household)? {
            if let Some(e) = readable(self, child)? {
                rows.push((e, child));
            }
        }
        for (_, row) in rows.clone() {
            for conflict in self.rows.children("row_id", row)? {
                if readable(self, conflict)?.is_some() {
                    rows.push((Entity::Conflict, conflict));
                }
            }
        }
        let mut entries = Vec::new();
        for (entity, row) in rows {
            let mut last: std::collections::HashMap<String, serde_json::Value> = Default::default();
            for e in self.rows.row_log(row)? {
                let new: serde_json::Value = serde_json::from_str(&e.value).unwrap_or(serde_json::Value::Null);
                let old =
                    if e.applied { last.insert(e.field.clone(), new.clone()) } else { last.get(&e.field).cloned() };
                entries.push((
                    e.hlc,
                    zoufang_sync::HistoryEntry {
                        at: Hlc(e.hlc).to_rfc3339(),
                        device: e.device,
                        entity,
                        row,
                        field: e.field,
                        old,
                        new,
                        live: e.live,
                    },
                ));
            }
        }
        entries.sort_by_key(|(hlc, _)| *hlc);
        Ok(zoufang_sync::HistoryResponse { household, entries: entries.into_iter().map(|(_, e)| e).collect() })
    }

    pub fn push(&self, device: &DeviceAuth, req: PushRequest) -> Result<PushResponse, ServerError> {
        batch::check_request(&req)?;
        let (results, last) = self.rows.write_batch(Some((device, req.batch)), &req.changes)?;
        Ok(PushResponse { results, replay: req.batch as i64 <= last, server_hlc: self.rows.clock_last() })
    }

    /// A page of the log after `after` in the device's scope, as the JSON body of a `PullResponse`
    /// (built by the backend so stored values need not be parsed and printed again), and where the
    /// next page starts.
    pub fn pull(&self, device: &DeviceAuth, after: u64, limit: usize) -> Result<PageBody, ServerError> {
        self.rows.pull_page(Some(device), after, limit)
    }

    /// A page of the whole log with no scope or role filter: a trusted tool's full export (the server's
    /// reports mirror) and the baseline the scope filter's cost is measured against. Never served.
    pub fn pull_unfiltered(&self, after: u64, limit: usize) -> Result<PageBody, ServerError> {
        self.rows.pull_page(None, after, limit)
    }

    /// Loads changes from a trusted source (demo data, migration from another system) without scope
    /// checks, in batches of `MAX_BATCH`. Returns how many were not refused.
    pub fn ingest_trusted(&self, source_name: &str, changes: &[Change]) -> Result<usize, ServerError> {
        let mut devices: Vec<Uuid> = changes.iter().map(|c| c.device).collect();
        devices.sort();
        devices.dedup();
        self.rows.register_sources(source_name, &devices)?;
        let mut n = 0;
        for chunk in changes.chunks(MAX_BATCH) {
            let (results, _) = self.rows.write_batch(None, chunk)?;
            n += results.iter().filter(|r| r.status != Status::Rejected).count();
        }
        self.rows.after_load(changes.len())?;
        Ok(n)
    }

    /// What the device may do with the file `hash` (see `access::file_rights`).
    pub fn file_rights(&self, device: &DeviceAuth, hash: &str) -> Result<FileRights, ServerError> {
        Ok(file_rights(device, &self.rows.file_refs(hash)?))
    }

    /// The device uploaded the whole file `hash` and its bytes matched the name: the records naming it
    /// that the device may read now count as holding it, so their villages' devices may read it.
    pub fn prove_file(&self, device: &DeviceAuth, hash: &str) -> Result<(), ServerError> {
        let villages = provable(device, &self.rows.file_refs(hash)?);
        self.rows.mark_proven(hash, &villages)
    }

    /// Recomputes every device's history chain from what the server stored: detects entries altered
    /// in the database after they were accepted.
    pub fn audit(&self) -> Result<Vec<AuditReport>, ServerError> {
        let reports = self.rows.histories()?.into_iter().map(|mut h| {
            let problem = h.unreadable.or_else(|| chain_problem(&mut h.entries, h.head.as_deref()));
            AuditReport { device: h.device, name: h.name, checked: h.entries.len(), problem }
        });
        Ok(reports.collect())
    }
}
