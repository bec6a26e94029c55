//! The device database. Everything a village work team records lives here first, in one SQLite file,
//! and reaches the server later through the change log.
//!
//! Every write goes through this crate: it validates the values (`zoufang-model`), updates the record
//! and appends one change per changed field to `change_log` **in the same transaction**, so there is no
//! write without its change and no change without its write.

mod assessment;
mod at_rest;
mod clock;
mod conflict_view;
mod derived;
#[cfg(test)]
mod derived_tables;
mod error;
mod helpers;
mod household_view;
mod inspections;
mod members;
mod meta;
mod outbox;
mod photos;
mod publicity;
mod pull;
mod pull_read;
mod query;
mod rectification;
mod reports;
mod rows;
mod sql;
mod status;
mod versions;
mod village_archive;
mod wipe;
mod workflows;
mod write;

pub use assessment::{AssessedHousehold, Assessment, AssessmentLine, Finding};
pub use at_rest::database_exists;
pub use conflict_view::ConflictView;
pub use error::{Result, StoreError};
pub use helpers::{HelperHousehold, HelperLine, HelperReport, HelpersLinked, NewHelper};
pub use household_view::{ExitView, HouseholdDetail, LatestIncome, StatusCount, VillageOverview};
pub use inspections::{InspectionCoverage, InspectionLine, VillageInspection};
pub use members::NewMemberChange;
pub use meta::Enrolment;
pub use outbox::{Batch, PushSummary, Quarantined};
pub use photos::{
    ArchiveItem, ArchiveStatus, DocumentView, HouseholdFileLine, NewDocument, PendingBlob, PhotoImported, PhotoTarget,
    PhotoView,
};
pub use publicity::{PublicityLine, PublicityList};
pub use pull::{PreparedPage, PullSummary};
pub use query::{HouseholdQuery, HouseholdSummary};
pub use rectification::{NewReview, ProblemItem, RecheckPlan};
pub use reports::{
    CoverageReport, Dashboard, HouseholdRef, IncomeIssue, IncomeLine, LedgerLine, NeedsGap, NeedsReport,
    PopulationMismatch, PresenceLine, PresenceReport, VillageNeeds,
};
pub use rows::RowState;
pub use status::NewStatusChange;
pub use village_archive::{NewVillageDocument, VillageArchiveItem, VillageArchiveStatus, VillageDocumentView};
pub use workflows::{NewExitDecision, NewProblem, NewVisit, PresenceMonth, DEFAULT_DEADLINE_DAYS};
pub use write::WriteOp;
pub use zoufang_vault::{DeviceKey, OpeningKey, SealingKey};

use rusqlite::Connection;
use std::path::Path;
use uuid::Uuid;
use zoufang_migrate::Migration;
use zoufang_sync::{Clock, Hlc};

/// The device schema's migrations, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, sql: include_str!("../../../schema/device/0001_init.sql") },
    Migration { version: 2, sql: include_str!("../../../schema/device/0002_search.sql") },
    Migration { version: 3, sql: include_str!("../../../schema/device/0003_chain.sql") },
    Migration { version: 4, sql: include_str!("../../../schema/device/0004_exit.sql") },
    Migration { version: 5, sql: include_str!("../../../schema/device/0005_household_digest.sql") },
    Migration { version: 6, sql: include_str!("../../../schema/device/0006_photos.sql") },
    Migration { version: 7, sql: include_str!("../../../schema/device/0007_inspection.sql") },
    Migration { version: 8, sql: include_str!("../../../schema/device/0008_inspection_photos.sql") },
    Migration { version: 9, sql: include_str!("../../../schema/device/0009_member_education.sql") },
    Migration { version: 10, sql: include_str!("../../../schema/device/0010_status_change.sql") },
    Migration { version: 11, sql: include_str!("../../../schema/device/0011_poor_village.sql") },
    Migration { version: 12, sql: include_str!("../../../schema/device/0012_rectification_review.sql") },
    Migration { version: 13, sql: include_str!("../../../schema/device/0013_card_population.sql") },
    Migration { version: 14, sql: include_str!("../../../schema/device/0014_presence_trust.sql") },
    Migration { version: 15, sql: include_str!("../../../schema/device/0015_member_change.sql") },
    Migration { version: 16, sql: include_str!("../../../schema/device/0016_helpers_village_archive.sql") },
    Migration { version: 17, sql: include_str!("../../../schema/device/0017_household_search.sql") },
    Migration { version: 18, sql: include_str!("../../../schema/device/0018_new_records_by_the_store.sql") },
];

/// An open device database.
pub struct Store {
    conn: Connection,
    device: Uuid,
    clock: Clock,
    /// Upsert statements by record kind, set of columns (a bit per schema field) and number of records.
    upserts: pull::Upserts,
    /// Where photo files live (`<database stem>.photos/` beside the database); none in memory.
    photo_dir: Option<std::path::PathBuf>,
    /// Encrypts photo files at rest; `None` for a plain database (tests, the unencrypted baseline).
    files: Option<zoufang_vault::FileCipher>,
}

impl Store {
    /// Opens (creating if needed) an **unencrypted** database at `path` and brings its schema up to
    /// date: for tests and the encryption benchmark's baseline. Devices use [`Store::open_encrypted`].
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref();
        let mut store = Self::setup(Connection::open(path)?)?;
        store.photo_dir = Some(at_rest::photo_dir_of(path));
        Ok(store)
    }

    /// A throw-away database for tests and benchmarks.
    pub fn open_in_memory() -> Result<Store> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(mut conn: Connection) -> Result<Store> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "busy_timeout", 5000)?;
        // Statement journals (upserts, foreign keys) in memory rather than temp files; a larger page
        // cache for the indexes a county-sized initial sync fills.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.pragma_update(None, "cache_size", -16384)?;
        conn.set_prepared_statement_cache_capacity(256);
        versions::register(&conn)?;
        zoufang_migrate::migrate(&mut conn, MIGRATIONS)?;
        let device = meta::device_id(&conn)?;
        let last: Option<i64> = conn.query_row("SELECT max(hlc) FROM change_log", [], |r| r.get(0))?;
        let seen = meta::get(&conn, meta::HLC_SEEN)?.and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
        let clock = Clock::resume(Hlc(last.unwrap_or(0).max(0) as u64).max(Hlc(seen)));
        Ok(Store { conn, device, clock, upserts: Default::default(), photo_dir: None, files: None })
    }

    /// This device's id (made once, on first open; the server learns it at enrolment).
    pub fn device_id(&self) -> Uuid {
        self.device
    }

    /// Read access for queries the store does not offer (reports, diagnostics). Writes must go through
    /// the store's methods so that they reach the change log.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The schema version of this database.
    pub fn schema_version(&self) -> Result<u32> {
        Ok(zoufang_migrate::version(&self.conn)?)
    }
}

/// A write transaction, taking the write lock up front: a read-then-write transaction that had to
/// upgrade its lock could fail at once with "database is locked" when the background sync writes at
/// the same moment; an immediate one waits its turn (busy_timeout) instead. It also saves the lock
/// upgrade on every write.
pub(crate) fn write_tx(conn: &mut Connection) -> Result<rusqlite::Transaction<'_>> {
    Ok(conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?)
}

#[cfg(test)]
mod tests;
