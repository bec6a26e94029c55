//! 暗访 inspections on the device. An inspector's device seals the findings to the county office's
//! public key the moment they are saved: from then on it holds only ciphertext (it cannot open its own
//! inspection again). The county office's device opens them with its private key and turns findings
//! into rectification items for the village. Village and township devices never receive inspections
//! (the server filters them by role).

use crate::error::{Result, StoreError};
use crate::sql::{blob_uuid, uuid_blob};
use crate::{meta, Store, WriteOp};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use uuid::Uuid;
use zoufang_model::{Entity, InspectionFindings, RectificationSource, RectificationStatus};
use zoufang_vault::{OpeningKey, SealingKey};

const SEALING_KEY: &str = "sealing_key";
const OPENING_KEY: &str = "opening_key";

/// One inspection in the county office's (or the inspection team's) list: plain metadata only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InspectionLine {
    pub id: Uuid,
    pub household_id: Uuid,
    pub household_no: String,
    pub head_name: String,
    pub village: String,
    pub inspected_on: String,
    pub inspector: String,
    /// Size of the sealed findings in bytes.
    pub sealed_bytes: u32,
    /// Rectification items already made from inspections of this household.
    pub rectifications: u32,
}

fn map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

impl Store {
    /// The county office's public key, as the server last gave it.
    pub fn sealing_key(&self) -> Result<Option<SealingKey>> {
        meta::get(&self.conn, SEALING_KEY)?.map(|s| s.parse().map_err(StoreError::from)).transpose()
    }

    pub fn set_sealing_key(&mut self, key: &SealingKey) -> Result<()> {
        meta::set(&self.conn, SEALING_KEY, &key.to_string())
    }

    /// The county office's private key, kept in its (encrypted) device database. Never synced.
    pub fn opening_key(&self) -> Result<Option<OpeningKey>> {
        meta::get(&self.conn, OPENING_KEY)?.map(|s| s.parse().map_err(StoreError::from)).transpose()
    }

    pub fn set_opening_key(&mut self, key: &OpeningKey) -> Result<()> {
        meta::set(&self.conn, OPENING_KEY, &key.to_string())
    }

    /// Seals `findings` to the county office's key and records the inspection. The findings are checked
    /// first (once sealed no one else can check them); nothing but their ciphertext is stored.
    pub fn record_inspection(
        &mut self,
        household: Uuid,
        inspected_on: NaiveDate,
        inspector: &str,
        findings: &InspectionFindings,
    ) -> Result<Uuid> {
        findings.validate()?;
        let key = self
            .sealing_key()?
            .ok_or_else(|| StoreError::Refused("本机还没有县扶贫办的暗访密封公钥：请先在有网络时同步一次".into()))?;
        self.village_of(household)?;
        let plain = serde_json::to_vec(findings).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let sealed = B64.encode(key.seal(&plain));
        let fields = map(json!({
            "household_id": household.to_string(),
            "inspected_on": inspected_on.to_string(),
            "inspector": inspector,
            "sealed": sealed,
        }));
        let fields = zoufang_model::schema::validate_new(Entity::Inspection, &fields, crate::write::today())?;
        let id = Uuid::now_v7();
        self.write_all(&[WriteOp::Create(Entity::Inspection, id, fields)])?;
        Ok(id)
    }

    /// The inspections this device holds, newest first.
    pub fn inspections(&self) -> Result<Vec<InspectionLine>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT i.id, i.household_id, h.household_no, h.head_name, v.name, i.inspected_on, i.inspector,
                    length(i.sealed) * 3 / 4,
                    (SELECT count(*) FROM rectification r WHERE r.household_id = i.household_id
                       AND r.source = 'inspection' AND r.deleted = 0)
               FROM inspection i JOIN household h ON h.id = i.household_id JOIN village v ON v.id = h.village_id
              WHERE i.deleted = 0
              ORDER BY i.inspected_on DESC, i.id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, i64>(7)?,
                r.get::<_, i64>(8)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, h, household_no, head_name, village, inspected_on, inspector, bytes, rect) = row?;
            out.push(InspectionLine {
                id: blob_uuid(&id)?,
                household_id: blob_uuid(&h)?,
                household_no,
                head_name,
                village,
                inspected_on,
                inspector,
                sealed_bytes: bytes.max(0) as u32,
                rectifications: rect.max(0) as u32,
            });
        }
        Ok(out)
    }

    /// Opens an inspection's findings with the county office's private key.
    pub fn open_inspection(&self, id: Uuid, key: &OpeningKey) -> Result<InspectionFindings> {
        let sealed: String = self
            .conn
            .query_row("SELECT sealed FROM inspection WHERE id = ?1 AND deleted = 0", [uuid_blob(id)], |r| r.get(0))
            .map_err(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound { entity: Entity::Inspection.label(), id },
                e => e.into(),
            })?;
        let bytes = B64.decode(sealed).map_err(|_| StoreError::Corrupt(format!("暗访记录 {id} 的密文已损坏")))?;
        let plain = key.open(&bytes)?;
        serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt(format!("暗访记录 {id} 的内容无法读取：{e}")))
    }

    /// Turns an inspection's findings into rectification items (source 督查暗访) of the household's
    /// village, with `deadline` and an optional person responsible, in one transaction. An item already
    /// made from the same finding is not made again. Returns the new items' ids.
    pub fn rectify_inspection(
        &mut self,
        id: Uuid,
        key: &OpeningKey,
        deadline: NaiveDate,
        responsible: Option<&str>,
    ) -> Result<Vec<Uuid>> {
        let findings = self.open_inspection(id, key)?;
        let household: Vec<u8> =
            self.conn.query_row("SELECT household_id FROM inspection WHERE id = ?1", [uuid_blob(id)], |r| r.get(0))?;
        let household = blob_uuid(&household)?;
        let village = self.village_of(household)?;
        let existing: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT problem FROM rectification WHERE household_id = ?1 AND source = 'inspection' AND deleted = 0",
            )?
            .query_map([uuid_blob(household)], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut ops = Vec::new();
        let mut ids = Vec::new();
        for problem in findings.problems_to_rectify() {
            if existing.contains(&problem) {
                continue;
            }
            let fields = map(json!({
                "village_id": village.to_string(),
                "household_id": household.to_string(),
                "source": RectificationSource::Inspection.ident(),
                "problem": problem,
                "deadline": deadline.to_string(),
                "status": RectificationStatus::Open.ident(),
                "responsible": responsible,
            }));
            let fields = zoufang_model::schema::validate_new(Entity::Rectification, &fields, crate::write::today())?;
            let rid = Uuid::now_v7();
            ops.push(WriteOp::Create(Entity::Rectification, rid, fields));
            ids.push(rid);
        }
        self.write_all(&ops)?;
        Ok(ids)
    }
}
