//! The county and township offices live in Excel. This crate reads the national register's roster (one
//! row per member, in .xlsx, .xls or .csv, with the column names registers actually use) into the
//! device store, idempotently and with a report of every rejected row, and writes the reports as .xlsx
//! (and the 公示名单 also as a printable PDF).
//!
//! Reading and checking rows is pure (`columns`, `vocabulary`, `rows`, `plan`); `read` streams the
//! files, `import` and `export` do the IO.

pub mod columns;
pub mod export;
pub mod import;
pub mod pdf;
pub mod plan;
pub mod publicity;
pub mod read;
pub mod rows;
pub mod sample;
pub mod vocabulary;

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
    #[error("第 {row} 行的 {column} 列有内容：每行最多读取 {max} 列。请删除表格右侧多余的内容（或把它移到左侧）后再导入", max = read::MAX_COLUMNS)]
    TooManyColumns { row: usize, column: String },
    #[error("第 {row} 行的 {column} 列有内容，离其余数据太远（多半是误填）：请删除表格中多余的内容后再导入")]
    StrayCell { row: usize, column: String },
    #[error("文件的数据超过 {max} 行：请按乡镇或村分开导出后分别导入", max = read::MAX_ROWS)]
    TooManyRows,
    #[error("不支持 .{0} 文件：请在 WPS 或 Excel 中另存为 .xlsx 后再导入")]
    Unsupported(String),
    #[error("无法生成 Excel 文件：{0}")]
    Write(String),
    #[error(transparent)]
    Store(#[from] zoufang_store::StoreError),
}

impl OfficeError {
    /// A stable code for programs (the message is for people).
    pub fn code(&self) -> &'static str {
        match self {
            OfficeError::Read(_) => "unreadable_file",
            OfficeError::NoHeader => "no_header",
            OfficeError::Empty => "no_rows",
            OfficeError::TooManyColumns { .. } => "too_many_columns",
            OfficeError::StrayCell { .. } => "stray_cell",
            OfficeError::TooManyRows => "too_many_rows",
            OfficeError::Unsupported(_) => "unsupported_format",
            OfficeError::Write(_) => "write_failed",
            OfficeError::Store(_) => "store",
        }
    }
}

pub type Result<T, E = OfficeError> = std::result::Result<T, E>;
