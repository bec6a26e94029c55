//! Photographed 一户一档 pages for the demo village, so a newcomer sees thumbnails and every
//! completeness state (齐全, some documents missing, none yet) without a camera.

use crate::County;
use uuid::Uuid;
use zoufang_media::sample::{camera_jpeg, CameraExif};
use zoufang_model::{ArchiveDocument, ArchiveKind, Photo, PhotoOwner};

/// A photo file the demo's records name: to be put in the server's photo store.
pub struct DemoFile {
    pub hash: String,
    pub bytes: Vec<u8>,
}

/// Adds documents with photographed pages to the first `households` households of the first village:
/// the first has every document it needs, the next ones fewer, so the village list shows complete and
/// incomplete files. Returns the files (archive images and thumbnails).
pub fn add_archive(county: &mut County, households: usize) -> Vec<DemoFile> {
    const KINDS: [ArchiveKind; 4] =
        [ArchiveKind::Application, ArchiveKind::IntakeForm, ArchiveKind::FiveReviewScore, ArchiveKind::ExitPlan];
    let Some(village) = county.villages.first().map(|v| v.id) else { return Vec::new() };
    let chosen: Vec<(Uuid, zoufang_model::HouseholdStatus)> = county
        .households
        .iter()
        .filter(|h| h.village_id == village)
        .take(households)
        .map(|h| (h.id, h.status))
        .collect();
    let mut files = Vec::new();
    let mut seed = 0u64;
    for (i, (household, status)) in chosen.into_iter().enumerate() {
        // The first household's file is complete: every document its status and measures require.
        let kinds: Vec<ArchiveKind> = if i == 0 {
            let measures: Vec<_> =
                county.handbook.iter().filter(|e| e.household_id == household).filter_map(|e| e.measure).collect();
            zoufang_model::archive::required_kinds(status, &measures)
        } else {
            KINDS[..4 - i % 4].to_vec()
        };
        for kind in &kinds {
            let doc = ArchiveDocument {
                id: Uuid::now_v7(),
                household_id: household,
                kind: *kind,
                title: None,
                note: None,
                recorded_by: Some("王丽".into()),
            };
            let pages = if *kind == ArchiveKind::IntakeForm { 2 } else { 1 };
            for page in 1..=pages {
                seed += 1;
                let exif = CameraExif {
                    orientation: 1,
                    taken_at: Some(format!("2026:0{}:1{} 10:{:02}:00", 3 + i % 6, page, seed % 60)),
                    gps: Some((26.67 + i as f64 * 0.001, 108.32)),
                };
                let jpeg = camera_jpeg(1500, 2000, 500 + seed, 88, &exif);
                let Ok(p) = zoufang_media::process(&jpeg) else { continue };
                county.photos.push(Photo {
                    id: Uuid::now_v7(),
                    village_id: village,
                    household_id: Some(household),
                    owner_kind: PhotoOwner::ArchiveDocument,
                    owner_id: doc.id,
                    hash: p.hash.clone(),
                    thumb_hash: p.thumb_hash.clone(),
                    width: p.width,
                    height: p.height,
                    bytes: p.image.len() as u32,
                    page: Some(page),
                    taken_at: p.capture.taken_at_str().map(str::to_string),
                    lat: p.capture.gps.map(|g| g.0),
                    lon: p.capture.gps.map(|g| g.1),
                    added_by: Some("王丽".into()),
                    caption: None,
                });
                files.push(DemoFile { hash: p.hash, bytes: p.image });
                files.push(DemoFile { hash: p.thumb_hash, bytes: p.thumb });
            }
            county.documents.push(doc);
        }
    }
    files
}
