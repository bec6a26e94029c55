//! 一户一档 documents and photos on the device: import (process, store the file once under its hash,
//! record it), what is still to upload, files fetched from the server, and completeness.
//!
//! A photo file is written (to a temporary name, synced, then renamed) before the `blob` row that
//! marks it for upload, and that row before the photo record: a kill at any point leaves at worst an
//! unreferenced file, never a record whose bytes are lost or never uploaded.

use crate::error::{Result, StoreError};
use crate::sql;
use crate::Store;
use chrono::SecondsFormat;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use uuid::Uuid;
use zoufang_model::archive::{doc_state, required_kinds, DocFacts, DocState};
use zoufang_model::{
    ArchiveDocument, ArchiveKind, Entity, HouseholdStatus, MeasureKind, Photo, PhotoOwner, Rectification, Visit,
};

/// What a photo is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum PhotoTarget {
    /// The next page of an 一户一档 document.
    ArchiveDocument(Uuid),
    /// Evidence of a visit.
    Visit(Uuid),
    /// Evidence of a rectification item.
    Rectification(Uuid),
    /// The next page of a 村级档案 document.
    VillageDocument(Uuid),
}

/// A new 一户一档 document (its pages are added as photos).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewDocument {
    pub household_id: Uuid,
    pub kind: ArchiveKind,
    pub title: Option<String>,
    pub note: Option<String>,
}

/// The result of an import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PhotoImported {
    pub photo: Photo,
    /// The same photo was already attached here: nothing new was stored.
    pub duplicate: bool,
}

/// A photo as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PhotoView {
    pub photo: Photo,
    /// The full image is on this device.
    pub on_device: bool,
    /// The thumbnail is on this device.
    pub thumb_on_device: bool,
    /// Made here and not yet confirmed by the server.
    pub pending_upload: bool,
}

/// A document with its pages in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DocumentView {
    pub document: ArchiveDocument,
    pub pages: Vec<PhotoView>,
}

/// One kind of document in a household's file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ArchiveItem {
    pub kind: ArchiveKind,
    pub required: bool,
    pub state: DocState,
    pub pages: u32,
    pub pages_not_uploaded: u32,
    pub documents: Vec<DocumentView>,
}

/// A household's 一户一档: required documents first (in archive order), then any others it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ArchiveStatus {
    pub household_id: Uuid,
    pub items: Vec<ArchiveItem>,
    /// Required kinds with no page.
    pub missing: u32,
    /// Pages still only on this device.
    pub pages_not_uploaded: u32,
    /// Every required document is on the server.
    pub complete: bool,
}

/// One household of a village's completeness list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HouseholdFileLine {
    pub household_id: Uuid,
    pub household_no: Option<String>,
    pub head_name: Option<String>,
    pub required: u32,
    pub missing: Vec<ArchiveKind>,
    pub pages_not_uploaded: u32,
}

impl HouseholdFileLine {
    pub fn complete(&self) -> bool {
        self.missing.is_empty() && self.pages_not_uploaded == 0
    }
}

/// The kinds an archive shows (一户一档 and 村级档案 alike): every required kind and any other that holds
/// documents, in archive order with the required ones first, each with its documents and the facts of
/// their pages.
pub(crate) fn arrange<K: Copy + Eq + std::hash::Hash, D>(
    all: &[K],
    required: &[K],
    mut by_kind: HashMap<K, Vec<D>>,
    pages: impl Fn(&D) -> &[PhotoView],
) -> Vec<(K, bool, DocFacts, Vec<D>)> {
    let mut out = Vec::new();
    for kind in all.iter().copied() {
        let is_required = required.contains(&kind);
        let documents = by_kind.remove(&kind).unwrap_or_default();
        if !is_required && documents.is_empty() {
            continue;
        }
        let mut f = DocFacts::default();
        for p in documents.iter().flat_map(&pages) {
            f.pages += 1;
            f.pages_not_uploaded += u32::from(p.pending_upload);
        }
        out.push((kind, is_required, f, documents));
    }
    out.sort_by_key(|i| !i.1);
    out
}

/// An archive's totals over its items (required, state, pages not uploaded).
pub(crate) struct Totals {
    /// Required kinds with no page.
    pub missing: u32,
    /// Pages still only on this device.
    pub pages_not_uploaded: u32,
    /// Every required kind is on the server.
    pub complete: bool,
}

impl Totals {
    pub fn of(items: impl Iterator<Item = (bool, DocState, u32)>) -> Totals {
        let mut t = Totals { missing: 0, pages_not_uploaded: 0, complete: true };
        for (required, state, not_uploaded) in items {
            t.pages_not_uploaded += not_uploaded;
            if required {
                t.missing += u32::from(state == DocState::Missing);
                t.complete &= state == DocState::Complete;
            }
        }
        t
    }
}

/// A file waiting to be uploaded.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingBlob {
    pub hash: String,
    pub bytes: u64,
}

/// The names of the files this device's inspections list (their sealed photos), as a subquery: SQLite
/// builds it once per statement rather than once per file row.
pub(crate) const INSPECTION_FILES: &str =
    "SELECT j.value FROM inspection i, json_each(i.photos) j WHERE i.deleted = 0 AND i.photos IS NOT NULL";

fn now() -> String {
    chrono::Local::now().to_rfc3339_opts(SecondsFormat::Secs, false)
}

impl Store {
    fn photo_dir(&self) -> Result<&PathBuf> {
        self.photo_dir.as_ref().ok_or_else(|| StoreError::refused("no_photo_dir", "内存数据库不能保存照片"))
    }

    /// Where the file named `hash` lives (two-letter fan-out keeps directories small).
    pub fn blob_path(&self, hash: &str) -> Result<PathBuf> {
        if !zoufang_media::is_sha256_hex(hash) {
            return Err(StoreError::refused("bad_photo_name", format!("照片编号无效：{hash}")));
        }
        Ok(self.photo_dir()?.join(&hash[..2]).join(hash))
    }

    /// Writes a file under its hash unless it is there already: temporary name, fsync, rename. On an
    /// encrypted device the file is encrypted first; its name stays the hash of the plain bytes.
    fn put_file(&self, hash: &str, bytes: &[u8]) -> Result<()> {
        let path = self.blob_path(hash)?;
        let on_disk = match &self.files {
            Some(_) => zoufang_vault::FileCipher::encrypted_len(bytes.len()),
            None => bytes.len(),
        };
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == on_disk as u64) {
            return Ok(());
        }
        let io = |e: std::io::Error| StoreError::Io(format!("保存照片文件失败（{}）：{e}", path.display()));
        let dir = path.parent().ok_or_else(|| StoreError::Io("照片目录无效".into()))?;
        std::fs::create_dir_all(dir).map_err(io)?;
        let tmp = dir.join(format!(".{hash}.{}.tmp", Uuid::new_v4().simple()));
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        let written = match &self.files {
            Some(c) => f.write_all(&c.encrypt(bytes)),
            None => f.write_all(bytes),
        };
        written.and_then(|_| f.sync_all()).map_err(io)?;
        drop(f);
        std::fs::rename(&tmp, &path).map_err(io)?;
        Ok(())
    }

    /// Keeps a file made on this device and marks it for upload (file first: see the module comment).
    pub(crate) fn put_new_blob(&self, hash: &str, bytes: &[u8]) -> Result<()> {
        self.put_file(hash, bytes)?;
        self.conn.execute(
            "INSERT OR IGNORE INTO blob(hash, bytes, created_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![hash, bytes.len() as i64, now()],
        )?;
        Ok(())
    }

    /// The bytes of a stored file (decrypted), checked against its name; `None` when this device does
    /// not hold it.
    pub fn blob(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        let path = self.blob_path(hash)?;
        let raw = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::Io(format!("读取照片文件失败：{e}"))),
        };
        let bytes = match &self.files {
            Some(c) => c.decrypt(&raw).map_err(|_| StoreError::Corrupt(format!("照片文件 {hash} 无法解密")))?,
            None => raw,
        };
        if zoufang_media::sha256_hex(&bytes) != hash {
            return Err(StoreError::Corrupt(format!("照片文件 {hash} 内容与编号不符")));
        }
        Ok(Some(bytes))
    }

    /// Starts a document in a household's 一户一档.
    pub fn create_document(&mut self, d: &NewDocument, recorded_by: Option<&str>) -> Result<Uuid> {
        if self.household(d.household_id)?.is_none() {
            return Err(StoreError::NotFound { entity: Entity::Household.label(), id: d.household_id });
        }
        let id = Uuid::now_v7();
        let mut fields = Map::new();
        fields.insert("household_id".into(), json!(d.household_id));
        fields.insert("kind".into(), json!(d.kind.ident()));
        for (k, v) in [("title", &d.title), ("note", &d.note)] {
            if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                fields.insert(k.into(), json!(v));
            }
        }
        if let Some(r) = recorded_by {
            fields.insert("recorded_by".into(), json!(r));
        }
        self.create_fields(Entity::ArchiveDocument, id, &fields)?;
        Ok(id)
    }

    /// The village and household a photo of `target` belongs to.
    fn target_place(&self, target: PhotoTarget) -> Result<(Uuid, Option<Uuid>)> {
        let household_village = |h: Uuid| -> Result<(Uuid, Option<Uuid>)> {
            let hh = self.household(h)?.ok_or(StoreError::NotFound { entity: Entity::Household.label(), id: h })?;
            Ok((hh.village_id, Some(h)))
        };
        match target {
            PhotoTarget::ArchiveDocument(id) => {
                let d: ArchiveDocument =
                    self.get(id)?.ok_or(StoreError::NotFound { entity: Entity::ArchiveDocument.label(), id })?;
                household_village(d.household_id)
            }
            PhotoTarget::Visit(id) => {
                let v: Visit = self.get(id)?.ok_or(StoreError::NotFound { entity: Entity::Visit.label(), id })?;
                household_village(v.household_id)
            }
            PhotoTarget::Rectification(id) => {
                let r: Rectification =
                    self.get(id)?.ok_or(StoreError::NotFound { entity: Entity::Rectification.label(), id })?;
                Ok((r.village_id, r.household_id))
            }
            PhotoTarget::VillageDocument(id) => {
                let d: zoufang_model::VillageDocument =
                    self.get(id)?.ok_or(StoreError::NotFound { entity: Entity::VillageDocument.label(), id })?;
                Ok((d.village_id, None))
            }
        }
    }

    /// Imports a photo file (camera, file picker or CLI) and attaches it to `target`. The same photo
    /// attached to the same record twice is stored once and reported as a duplicate.
    pub fn import_photo(&mut self, bytes: &[u8], target: PhotoTarget, added_by: Option<&str>) -> Result<PhotoImported> {
        let (village, household) = self.target_place(target)?;
        let p = zoufang_media::process(bytes).map_err(|e| StoreError::refused("bad_photo", e.to_string()))?;
        let (owner_kind, owner_id) = match target {
            PhotoTarget::ArchiveDocument(id) => (PhotoOwner::ArchiveDocument, id),
            PhotoTarget::Visit(id) => (PhotoOwner::Visit, id),
            PhotoTarget::Rectification(id) => (PhotoOwner::Rectification, id),
            PhotoTarget::VillageDocument(id) => (PhotoOwner::VillageDocument, id),
        };
        self.put_new_blob(&p.hash, &p.image)?;
        self.put_new_blob(&p.thumb_hash, &p.thumb)?;
        let existing: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT id FROM photo WHERE owner_id = ?1 AND hash = ?2 AND deleted = 0",
                rusqlite::params![sql::uuid_blob(owner_id), p.hash],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = existing {
            let photo: Photo = self.get(sql::blob_uuid(&id)?)?.ok_or_else(|| StoreError::Corrupt("photo".into()))?;
            return Ok(PhotoImported { photo, duplicate: true });
        }
        let page = match target {
            PhotoTarget::ArchiveDocument(_) | PhotoTarget::VillageDocument(_) => {
                let last: Option<i64> = self.conn.query_row(
                    "SELECT max(page) FROM photo WHERE owner_id = ?1 AND deleted = 0",
                    [sql::uuid_blob(owner_id)],
                    |r| r.get(0),
                )?;
                Some(last.unwrap_or(0) as u32 + 1)
            }
            _ => None,
        };
        let photo = Photo {
            id: Uuid::now_v7(),
            village_id: village,
            household_id: household,
            owner_kind,
            owner_id,
            hash: p.hash.clone(),
            thumb_hash: p.thumb_hash.clone(),
            width: p.width,
            height: p.height,
            bytes: p.image.len() as u32,
            page,
            taken_at: p.capture.taken_at_str().map(str::to_string),
            lat: p.capture.gps.map(|g| g.0),
            lon: p.capture.gps.map(|g| g.1),
            added_by: added_by.map(str::to_string),
            caption: None,
        };
        self.create(&photo)?;
        Ok(PhotoImported { photo, duplicate: false })
    }

    /// Files made here that the server has not confirmed yet, for photos that still exist: oldest first,
    /// and of one photo the thumbnail before the image, so other devices can show it sooner.
    pub fn pending_blobs(&self) -> Result<Vec<PendingBlob>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT b.hash, b.bytes FROM blob b WHERE b.uploaded_at IS NULL
               AND (EXISTS (SELECT 1 FROM photo p WHERE p.hash = b.hash AND p.deleted = 0)
                 OR EXISTS (SELECT 1 FROM photo p WHERE p.thumb_hash = b.hash AND p.deleted = 0)
                 OR b.hash IN ({INSPECTION_FILES}))
             ORDER BY b.created_at, b.bytes, b.hash"
        ))?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (hash, bytes) = row?;
            out.push(PendingBlob { hash, bytes: bytes.max(0) as u64 });
        }
        Ok(out)
    }

    /// Removes files made here more than `older_than` ago that no record names any more: a 暗访 photo
    /// sealed for a draft that was never saved, a photo whose import was interrupted before its record.
    /// Only files never uploaded are looked at (orphans are never uploaded; files fetched from the
    /// server are named by the records that brought them), so this stays cheap on a device holding a
    /// county's photos. Files named by any photo record (deleted ones too: a deletion can lose a
    /// conflict) or inspection stay. The file goes before its row, so a crash leaves at worst a row
    /// whose file is gone, which reads as "not on this device". Returns how many were removed.
    pub fn discard_unreferenced_files(&mut self, older_than: chrono::Duration) -> Result<usize> {
        let cutoff = (chrono::Local::now() - older_than).to_rfc3339_opts(SecondsFormat::Secs, false);
        let hashes: Vec<String> = self
            .conn
            .prepare_cached(&format!(
                "SELECT b.hash FROM blob b WHERE b.uploaded_at IS NULL AND b.created_at < ?1
                   AND NOT EXISTS (SELECT 1 FROM photo p WHERE p.hash = b.hash)
                   AND NOT EXISTS (SELECT 1 FROM photo p WHERE p.thumb_hash = b.hash)
                   AND b.hash NOT IN ({INSPECTION_FILES})"
            ))?
            .query_map([cutoff], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for hash in &hashes {
            match std::fs::remove_file(self.blob_path(hash)?) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::Io(format!("删除无用的照片文件失败：{e}"))),
            }
            self.conn.execute("DELETE FROM blob WHERE hash = ?1", [hash])?;
        }
        Ok(hashes.len())
    }

    /// The server holds this file whole under its hash.
    pub fn mark_uploaded(&mut self, hash: &str) -> Result<()> {
        self.conn.execute("UPDATE blob SET uploaded_at = ?2 WHERE hash = ?1", rusqlite::params![hash, now()])?;
        Ok(())
    }

    /// Keeps a file fetched from the server, after checking it is what its name says.
    pub fn save_fetched(&mut self, hash: &str, bytes: &[u8]) -> Result<()> {
        if zoufang_media::sha256_hex(bytes) != hash {
            return Err(StoreError::Protocol(format!("服务器发来的照片 {hash} 内容与编号不符")));
        }
        self.put_file(hash, bytes)?;
        let at = now();
        self.conn.execute(
            "INSERT INTO blob(hash, bytes, created_at, uploaded_at) VALUES (?1, ?2, ?3, ?3)
             ON CONFLICT(hash) DO UPDATE SET uploaded_at = coalesce(uploaded_at, excluded.uploaded_at)",
            rusqlite::params![hash, bytes.len() as i64, at],
        )?;
        Ok(())
    }

    /// Thumbnails of photos this device has records of but no file for (made on other devices).
    pub fn missing_thumbs(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT p.thumb_hash FROM photo p WHERE p.deleted = 0 AND p.thumb_hash IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM blob b WHERE b.hash = p.thumb_hash)",
        )?;
        let out = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(out)
    }

    /// Whether this device holds the file `hash`, and if so whether the server has it too.
    pub(crate) fn blob_state(&self, hash: &str) -> Result<Option<bool>> {
        Ok(self
            .conn
            .prepare_cached("SELECT uploaded_at IS NOT NULL FROM blob WHERE hash = ?1")?
            .query_row([hash], |r| r.get::<_, bool>(0))
            .optional()?)
    }

    fn view(&self, photo: Photo) -> Result<PhotoView> {
        let (image, thumb) = (self.blob_state(&photo.hash)?, self.blob_state(&photo.thumb_hash)?);
        Ok(PhotoView {
            on_device: image.is_some(),
            thumb_on_device: thumb.is_some(),
            pending_upload: image == Some(false) || thumb == Some(false),
            photo,
        })
    }

    /// Photos attached to a record (a document's pages in order, a visit's or a problem's evidence).
    pub fn photos_of(&self, owner: Uuid) -> Result<Vec<PhotoView>> {
        let photos: Vec<Photo> = self.list("owner_id = ?1", "page, id", &[&sql::uuid_blob(owner)])?;
        photos.into_iter().map(|p| self.view(p)).collect()
    }

    fn measures_of(&self, household: Uuid) -> Result<Vec<MeasureKind>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT measure FROM handbook_entry WHERE household_id = ?1 AND deleted = 0 AND measure IS NOT NULL",
        )?;
        let out = stmt
            .query_map([sql::uuid_blob(household)], |r| r.get::<_, String>(0))?
            .filter_map(|m| m.ok().and_then(|m| MeasureKind::parse(&m)))
            .collect();
        Ok(out)
    }

    /// A household's 一户一档 with the state of every required document.
    pub fn archive_status(&self, household: Uuid) -> Result<ArchiveStatus> {
        let h = self
            .household(household)?
            .ok_or(StoreError::NotFound { entity: Entity::Household.label(), id: household })?;
        let required = required_kinds(h.status, &self.measures_of(household)?);
        let docs: Vec<ArchiveDocument> = self.list("household_id = ?1", "kind, id", &[&sql::uuid_blob(household)])?;
        let mut by_kind: HashMap<ArchiveKind, Vec<DocumentView>> = HashMap::new();
        for d in docs {
            let pages = self.photos_of(d.id)?;
            by_kind.entry(d.kind).or_default().push(DocumentView { document: d, pages });
        }
        let items: Vec<ArchiveItem> = arrange(ArchiveKind::ALL, &required, by_kind, |d| &d.pages)
            .into_iter()
            .map(|(kind, required, f, documents)| ArchiveItem {
                kind,
                required,
                state: doc_state(f),
                pages: f.pages,
                pages_not_uploaded: f.pages_not_uploaded,
                documents,
            })
            .collect();
        let t = Totals::of(items.iter().map(|i| (i.required, i.state, i.pages_not_uploaded)));
        Ok(ArchiveStatus {
            household_id: household,
            items,
            missing: t.missing,
            pages_not_uploaded: t.pages_not_uploaded,
            complete: t.complete,
        })
    }

    /// Completeness of every household of a village (or of every village with `None`), in 户编号 order,
    /// in three queries whatever the number of households.
    pub fn household_files(&self, village: Option<Uuid>) -> Result<Vec<HouseholdFileLine>> {
        let v = village.map(sql::uuid_blob).unwrap_or(rusqlite::types::Value::Null);
        let mut measures: HashMap<Vec<u8>, Vec<MeasureKind>> = HashMap::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT e.household_id, e.measure FROM handbook_entry e JOIN household h ON h.id = e.household_id
             WHERE e.deleted = 0 AND e.measure IS NOT NULL AND h.deleted = 0 AND (?1 IS NULL OR h.village_id = ?1)",
        )?;
        let mut rows = stmt.query([&v])?;
        while let Some(r) = rows.next()? {
            if let Some(m) = MeasureKind::parse(&r.get::<_, String>(1)?) {
                measures.entry(r.get(0)?).or_default().push(m);
            }
        }
        // Pages per household and kind, and how many of them are still only here.
        let mut pages: HashMap<(Vec<u8>, String), DocFacts> = HashMap::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.household_id, d.kind, count(p.id),
                    sum(EXISTS (SELECT 1 FROM blob b WHERE b.hash IN (p.hash, p.thumb_hash) AND b.uploaded_at IS NULL))
             FROM archive_document d JOIN household h ON h.id = d.household_id
             JOIN photo p ON p.owner_id = d.id AND p.deleted = 0
             WHERE d.deleted = 0 AND h.deleted = 0 AND (?1 IS NULL OR h.village_id = ?1)
             GROUP BY d.household_id, d.kind",
        )?;
        let mut rows = stmt.query([&v])?;
        while let Some(r) = rows.next()? {
            let f = DocFacts {
                pages: r.get::<_, i64>(2)?.max(0) as u32,
                pages_not_uploaded: r.get::<_, Option<i64>>(3)?.unwrap_or(0).max(0) as u32,
            };
            pages.insert((r.get(0)?, r.get(1)?), f);
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, household_no, head_name, status FROM household
             WHERE deleted = 0 AND (?1 IS NULL OR village_id = ?1) ORDER BY household_no",
        )?;
        let mut rows = stmt.query([&v])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id: Vec<u8> = r.get(0)?;
            let status = r.get::<_, Option<String>>(3)?.and_then(|s| HouseholdStatus::parse(&s));
            let Some(status) = status else { continue };
            let required = required_kinds(status, measures.get(&id).map(Vec::as_slice).unwrap_or(&[]));
            let mut missing = Vec::new();
            let mut not_uploaded = 0;
            for kind in &required {
                let f = pages.get(&(id.clone(), kind.ident().to_string())).copied().unwrap_or_default();
                if doc_state(f) == DocState::Missing {
                    missing.push(*kind);
                }
                not_uploaded += f.pages_not_uploaded;
            }
            out.push(HouseholdFileLine {
                household_id: sql::blob_uuid(&id)?,
                household_no: r.get(1)?,
                head_name: r.get(2)?,
                required: required.len() as u32,
                missing,
                pages_not_uploaded: not_uploaded,
            });
        }
        Ok(out)
    }

    /// Ids (lowercase hex of the 16 bytes) of households whose file is not complete, for the list filter.
    pub(crate) fn incomplete_archive_ids(&self, village: Option<Uuid>) -> Result<Value> {
        let ids: Vec<Value> = self
            .household_files(village)?
            .into_iter()
            .filter(|l| !l.complete())
            .map(|l| Value::String(zoufang_media::hex(l.household_id.as_bytes())))
            .collect();
        Ok(Value::Array(ids))
    }
}
