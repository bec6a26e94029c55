//! The county and township offices live in Excel. This crate reads the national register's roster (one
//! row per member, in .xlsx, .xls or .csv, with the column names registers actually use) into the
//! device store, idempotently and with a report of every rejected row, and writes the reports as .xlsx.
//!
//! Reading and checking rows is pure (`columns`, `rows`, `plan`); `import` and `export` do the IO.

pub mod columns;
pub mod export;
pub mod import;
pub mod plan;
pub mod read;
pub mod rows;
pub mod sample;

pub use import::{import_roster, ImportProgress, ImportSummary, Rejections};
pub use plan::RowError;

/// What can go wrong reading or writing an office file (row problems are `RowError`s, not this).
#[derive(Debug, thiserror::Error)]
pub enum OfficeError {
    #[error("无法读取文件：{0}")]
    Read(String),
    #[error("文件中找不到表头：需要至少包含「户编号」「姓名」「与户主关系」「村」等列")]
    NoHeader,
    #[error("文件没有数据行")]
    Empty,
    #[error("无法生成 Excel 文件：{0}")]
    Write(String),
    #[error(transparent)]
    Store(#[from] zoufang_store::StoreError),
}

pub type Result<T, E = OfficeError> = std::result::Result<T, E>;
