//! The village's own archive (村级档案) on the device: documents that belong to the village, not to a
//! household (seed 001 forbids filing them per household), photographed page by page through the same
//! pipeline as 一户一档 (`photos.rs`), with the same completeness states. Which kinds a village must hold
//! follows from the measures its households received (`zoufang_model::archive::village_required_kinds`).

use crate::error::{Result, StoreError};
use crate::photos::{arrange, PhotoView, Totals};
use crate::sql;
use crate::Store;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map};
use std::collections::HashMap;
use uuid::Uuid;
use zoufang_model::archive::{doc_state, village_required_kinds, DocState};
use zoufang_model::{Entity, MeasureKind, Village, VillageArchiveKind, VillageDocument};

/// A new 村级档案 document (its pages are added as photos).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewVillageDocument {
    pub village_id: Uuid,
    pub kind: VillageArchiveKind,
    pub year: Option<i64>,
    pub title: Option<String>,
    pub note: Option<String>,
}

/// A village document with its pages in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VillageDocumentView {
    pub document: VillageDocument,
    pub pages: Vec<PhotoView>,
}

/// One kind of document in the village's archive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VillageArchiveItem {
    pub kind: VillageArchiveKind,
    pub required: bool,
    pub state: DocState,
    pub pages: u32,
    pub pages_not_uploaded: u32,
    pub documents: Vec<VillageDocumentView>,
}

/// A village's 村级档案: required kinds first (in archive order), then any others it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VillageArchiveStatus {
    pub village_id: Uuid,
    pub village_name: String,
    pub items: Vec<VillageArchiveItem>,
    /// Required kinds with no page.
    pub missing: u32,
    /// Pages still only on this device.
    pub pages_not_uploaded: u32,
    /// Every required document is on the server.
    pub complete: bool,
}

impl Store {
    /// Starts a document in a village's 村级档案.
    pub fn create_village_document(&mut self, d: &NewVillageDocument, recorded_by: Option<&str>) -> Result<Uuid> {
        self.get::<Village>(d.village_id)?
            .ok_or(StoreError::NotFound { entity: Entity::Village.label(), id: d.village_id })?;
        let mut fields = Map::new();
        fields.insert("village_id".into(), json!(d.village_id));
        fields.insert("kind".into(), json!(d.kind.ident()));
        if let Some(y) = d.year {
            fields.insert("year".into(), json!(y));
        }
        for (k, v) in [("title", &d.title), ("note", &d.note)] {
            if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                fields.insert(k.into(), json!(v));
            }
        }
        if let Some(r) = recorded_by.map(str::trim).filter(|r| !r.is_empty()) {
            fields.insert("recorded_by".into(), json!(r));
        }
        let id = Uuid::now_v7();
        self.create_fields(Entity::VillageDocument, id, &fields)?;
        Ok(id)
    }

    /// The measures any household of the village received.
    fn village_measures(&self, village: Uuid) -> Result<Vec<MeasureKind>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT e.measure FROM handbook_entry e JOIN household h ON h.id = e.household_id
             WHERE e.deleted = 0 AND e.measure IS NOT NULL AND h.deleted = 0 AND h.village_id = ?1",
        )?;
        let out = stmt
            .query_map([sql::uuid_blob(village)], |r| r.get::<_, String>(0))?
            .filter_map(|m| m.ok().and_then(|m| MeasureKind::parse(&m)))
            .collect();
        Ok(out)
    }

    /// A village's 村级档案 with the state of every required kind.
    pub fn village_archive(&self, village: Uuid) -> Result<VillageArchiveStatus> {
        let v: Village =
            self.get(village)?.ok_or(StoreError::NotFound { entity: Entity::Village.label(), id: village })?;
        let required = village_required_kinds(&self.village_measures(village)?);
        let docs: Vec<VillageDocument> = self.list("village_id = ?1", "kind, year, id", &[&sql::uuid_blob(village)])?;
        let mut by_kind: HashMap<VillageArchiveKind, Vec<VillageDocumentView>> = HashMap::new();
        for d in docs {
            let pages = self.photos_of(d.id)?;
            by_kind.entry(d.kind).or_default().push(VillageDocumentView { document: d, pages });
        }
        let items: Vec<VillageArchiveItem> = arrange(VillageArchiveKind::ALL, &required, by_kind, |d| &d.pages)
            .into_iter()
            .map(|(kind, required, f, documents)| VillageArchiveItem {
                kind,
                required,
                state: doc_state(f),
                pages: f.pages,
                pages_not_uploaded: f.pages_not_uploaded,
                documents,
            })
            .collect();
        let t = Totals::of(items.iter().map(|i| (i.required, i.state, i.pages_not_uploaded)));
        Ok(VillageArchiveStatus {
            village_id: village,
            village_name: v.name,
            items,
            missing: t.missing,
            pages_not_uploaded: t.pages_not_uploaded,
            complete: t.complete,
        })
    }
}
