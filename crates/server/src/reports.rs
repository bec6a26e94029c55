//! The office reports on the server, the same figures the app and the CLI show: they live in
//! `zoufang-store`, so the server keeps a device-schema mirror of everything it holds
//! (`<database>.reports.db` beside its database), brings it up to date from its own log before each
//! report (only the entries since the last time), and runs the store's report on it.

use crate::{ServerError, Storage};
use chrono::{Datelike, NaiveDate};
use serde_json::Value;
use std::path::{Path, PathBuf};
use zoufang_store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Server(#[from] ServerError),
    #[error("服务器日志页无法解析：{0}")]
    Page(String),
    #[error("未知的报表 {0}：可选 needs、coverage、presence、population、income、ledger、inspections")]
    Unknown(String),
}

/// Where the mirror of the server database at `db` lives.
pub fn mirror_path(db: &Path) -> PathBuf {
    let stem = db.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "server".into());
    db.with_file_name(format!("{stem}.reports.db"))
}

/// Opens the mirror and applies the server log entries it has not seen yet. Each page is applied with
/// its cursor in one transaction, so an interrupted refresh resumes where it stopped.
pub fn refresh_mirror(storage: &Storage, path: &Path) -> Result<Store, ReportError> {
    let mut store = Store::open(path)?;
    loop {
        let bytes = storage.pull_unfiltered(store.cursor()?, zoufang_sync::MAX_PAGE)?.json;
        let page = Store::read_pull(&bytes).map_err(|e| ReportError::Page(e.to_string()))?;
        store.apply_prepared(std::slice::from_ref(&page))?;
        if !page.more {
            return Ok(store);
        }
    }
}

/// One report as JSON (the shape the CLI's `--json` prints): `needs`, `coverage` (30 days), `presence`
/// (this month), `population`, `income`, `ledger`, `inspections` (this year's 督查 coverage).
pub fn report(store: &Store, kind: &str, today: NaiveDate) -> Result<Value, ReportError> {
    let json = |v: Result<Value, serde_json::Error>| v.map_err(|e| ReportError::Page(e.to_string()));
    match kind {
        "needs" => json(serde_json::to_value(store.report_needs()?)),
        "coverage" => json(serde_json::to_value(store.report_coverage(today, 30)?)),
        "presence" => {
            let cal = zoufang_model::calendar::WorkCalendar::national();
            json(serde_json::to_value(store.report_presence(today.year(), today.month(), &cal)?))
        }
        "population" => json(serde_json::to_value(store.report_population()?)),
        "income" => json(serde_json::to_value(store.report_income()?)),
        "ledger" => json(serde_json::to_value(store.report_ledger(today)?)),
        "inspections" => json(serde_json::to_value(store.report_inspection_coverage(today.year())?)),
        "assessment" => json(serde_json::to_value(store.report_assessment(today)?)),
        other => Err(ReportError::Unknown(other.to_string())),
    }
}
