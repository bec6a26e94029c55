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
use zoufang_model::schema::INSPECTION_PHOTOS_MAX;
use zoufang_model::{
    Entity, InspectionFindings, InspectionPhoto, Problem, RectificationSource, RectificationStatus, ValidationError,
};
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

/// The 督查 coverage of the county this year (the county office's device holds every inspection and
/// household of its county): poor households visited against 60%, villages with 20 or more poor
/// households against full coverage. 贫困户 here: households not out of poverty (未脱贫, 返贫).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InspectionCoverage {
    pub year: i32,
    pub poor_households: u32,
    /// Poor households with at least one inspection dated in the year.
    pub inspected: u32,
    /// ⌈60% × poor households⌉.
    pub required: u32,
    pub meets_share: bool,
    pub villages: Vec<VillageInspection>,
    /// Villages that must be covered (≥ 20 poor households) and have no inspection this year.
    pub villages_missing: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VillageInspection {
    pub village: String,
    pub poor_households: u32,
    pub inspected: u32,
    /// Inspections of any household of the village this year.
    pub inspections: u32,
    /// A 贫困村: it must be covered whatever its number of poor households.
    pub poor_village: bool,
    pub must_cover: bool,
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

    fn sealing_key_needed(&self) -> Result<SealingKey> {
        self.sealing_key()?.ok_or_else(|| {
            StoreError::refused("no_sealing_key", "本机还没有县扶贫办的暗访密封公钥：请先在有网络时同步一次")
        })
    }

    /// Seals a photo for an inspection the moment it is taken: the image is processed like any photo
    /// (oriented, scaled, metadata stripped), sealed to the county office's key and kept only as
    /// ciphertext, named by the ciphertext's hash. The returned description goes into the findings.
    pub fn seal_inspection_photo(&mut self, bytes: &[u8]) -> Result<InspectionPhoto> {
        let key = self.sealing_key_needed()?;
        let p = zoufang_media::process(bytes).map_err(|e| StoreError::refused("bad_photo", e.to_string()))?;
        let sealed = key.seal(&p.image);
        let hash = zoufang_media::sha256_hex(&sealed);
        self.put_new_blob(&hash, &sealed)?;
        Ok(InspectionPhoto {
            hash,
            width: p.width,
            height: p.height,
            bytes: p.image.len() as u32,
            taken_at: p.capture.taken_at_str().map(str::to_string),
            // Six decimals (about 0.1 m): a value that survives the trip through the sealed JSON exactly.
            lat: p.capture.gps.map(|g| (g.0 * 1e6).round() / 1e6),
            lon: p.capture.gps.map(|g| (g.1 * 1e6).round() / 1e6),
        })
    }

    /// Seals `findings` to the county office's key and records the inspection. The findings are checked
    /// first (once sealed no one else can check them); nothing but their ciphertext is stored. Photos
    /// named in `findings.photos` must have been sealed on this device ([`Self::seal_inspection_photo`]).
    pub fn record_inspection(
        &mut self,
        household: Uuid,
        inspected_on: NaiveDate,
        inspector: &str,
        findings: &InspectionFindings,
    ) -> Result<Uuid> {
        findings.validate()?;
        let key = self.sealing_key_needed()?;
        self.village_of(household)?;
        let photos = &findings.photos;
        if photos.len() > INSPECTION_PHOTOS_MAX {
            let p = Problem::TooMany { max: INSPECTION_PHOTOS_MAX, actual: photos.len() };
            return Err(ValidationError::new("photos", p).into());
        }
        for (i, p) in photos.iter().enumerate() {
            if !zoufang_media::is_sha256_hex(&p.hash) || self.blob_state(&p.hash)?.is_none() {
                return Err(StoreError::refused(
                    "photo_missing",
                    format!("第 {} 张暗访照片不在本机，请重新拍摄", i + 1),
                ));
            }
        }
        let plain = serde_json::to_vec(findings).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let sealed = B64.encode(key.seal(&plain));
        let mut fields = map(json!({
            "household_id": household.to_string(),
            "inspected_on": inspected_on.to_string(),
            "inspector": inspector,
            "sealed": sealed,
        }));
        if !photos.is_empty() {
            fields.insert("photos".into(), photos.iter().map(|p| p.hash.as_str()).collect());
        }
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

    /// The county's 督查 coverage in `year` against the 60% and village rules.
    pub fn report_inspection_coverage(&self, year: i32) -> Result<InspectionCoverage> {
        use zoufang_model::inspection_rule::{meets_household_share, required_households, village_must_be_covered};
        const POOR: &str = "h.status IN ('poor', 'returned')";
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT v.name,
               (SELECT count(*) FROM household h WHERE h.village_id = v.id AND h.deleted = 0 AND {POOR}),
               (SELECT count(DISTINCT i.household_id) FROM inspection i JOIN household h ON h.id = i.household_id
                 WHERE h.village_id = v.id AND h.deleted = 0 AND i.deleted = 0 AND {POOR}
                   AND substr(i.inspected_on, 1, 4) = ?1),
               (SELECT count(*) FROM inspection i JOIN household h ON h.id = i.household_id
                 WHERE h.village_id = v.id AND i.deleted = 0 AND substr(i.inspected_on, 1, 4) = ?1),
               coalesce(v.poor_village, 0)
             FROM village v ORDER BY v.code"
        ))?;
        let n = |x: i64| x.clamp(0, u32::MAX as i64) as u32;
        let villages = stmt
            .query_map([format!("{year:04}")], |r| {
                let poor: i64 = r.get(1)?;
                Ok(VillageInspection {
                    village: r.get(0)?,
                    poor_households: n(poor),
                    inspected: n(r.get(2)?),
                    inspections: n(r.get(3)?),
                    poor_village: r.get(4)?,
                    must_cover: village_must_be_covered(r.get(4)?, n(poor)),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let poor: u32 = villages.iter().map(|v| v.poor_households).sum();
        let inspected: u32 = villages.iter().map(|v| v.inspected).sum();
        Ok(InspectionCoverage {
            year,
            poor_households: poor,
            inspected,
            required: required_households(poor),
            meets_share: meets_household_share(inspected, poor),
            villages_missing: villages.iter().filter(|v| v.must_cover && v.inspections == 0).count() as u32,
            villages,
        })
    }

    /// An inspection's household and its findings, opened with the county office's private key.
    fn opened(&self, id: Uuid, key: &OpeningKey) -> Result<(Uuid, InspectionFindings)> {
        let (household, sealed): (Vec<u8>, String) = self
            .conn
            .query_row(
                "SELECT household_id, sealed FROM inspection WHERE id = ?1 AND deleted = 0",
                [uuid_blob(id)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound { entity: Entity::Inspection.label(), id },
                e => e.into(),
            })?;
        let bytes = B64.decode(sealed).map_err(|_| StoreError::Corrupt(format!("暗访记录 {id} 的密文已损坏")))?;
        let plain = key.open(&bytes)?;
        let findings = serde_json::from_slice(&plain)
            .map_err(|e| StoreError::Corrupt(format!("暗访记录 {id} 的内容无法读取：{e}")))?;
        Ok((blob_uuid(&household)?, findings))
    }

    /// Opens an inspection's findings with the county office's private key.
    pub fn open_inspection(&self, id: Uuid, key: &OpeningKey) -> Result<InspectionFindings> {
        Ok(self.opened(id, key)?.1)
    }

    /// A photo of an inspection on this device, opened with the county office's private key: the image,
    /// or `None` when its sealed file has not been fetched yet. Only files an inspection names are opened.
    pub fn open_inspection_photo(&self, hash: &str, key: &OpeningKey) -> Result<Option<Vec<u8>>> {
        let named: bool =
            self.conn
                .query_row(&format!("SELECT ?1 IN ({})", crate::photos::INSPECTION_FILES), [hash], |r| r.get(0))?;
        if !named {
            return Err(StoreError::refused("unknown_photo", format!("没有哪条暗访记录含有照片 {hash}")));
        }
        let Some(sealed) = self.blob(hash)? else { return Ok(None) };
        Ok(Some(key.open(&sealed)?))
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
