//! Validation errors that name the field and say, in Chinese, what is wrong.
//!
//! The UI shows `message()` next to the field; the server returns it per rejected change; the CLI prints it.

use serde::Serialize;

/// What is wrong with a value, independent of which field holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    #[error("必填，不能为空")]
    Required,
    #[error("类型不对：应为{expected}")]
    WrongType { expected: &'static str },
    #[error("太长：最多 {max} 个字，实际 {actual} 个字")]
    TooLong { max: usize, actual: usize },
    #[error("太多：最多 {max} 项，实际 {actual} 项")]
    TooMany { max: usize, actual: usize },
    #[error("超出范围：应在 {min} 到 {max} 之间")]
    OutOfRange { min: i64, max: i64 },
    #[error("不是允许的取值「{value}」，可选：{allowed}")]
    NotAllowed { value: String, allowed: String },
    #[error("身份证号应为 18 位（17 位数字加 1 位数字或 X），实际 {actual} 位")]
    IdNumberLength { actual: usize },
    #[error("身份证号含非法字符")]
    IdNumberChars,
    #[error("身份证号校验位错误：应为 {expected}，实际为 {actual}")]
    IdNumberCheckDigit { expected: char, actual: char },
    #[error("身份证号中的出生日期无效：{date}")]
    IdNumberBirthDate { date: String },
    #[error("手机号应为 11 位、以 1 开头；固定电话形如 0851-1234567")]
    Phone,
    #[error("日期格式应为 YYYY-MM-DD")]
    DateFormat,
    #[error("时间格式应为 RFC 3339，如 2026-05-01T09:30:00+08:00")]
    DateTimeFormat,
    #[error("日期不能晚于今天")]
    FutureDate,
    #[error("日期过早：不能早于 {min}")]
    TooEarly { min: String },
    #[error("金额应为整数分，且不能为负数")]
    Money,
    #[error("行政区划代码应为 12 位数字")]
    DivisionCode,
    #[error("照片编号无效：应为 64 位小写十六进制 SHA-256")]
    Sha256,
    #[error("编号无效，应为 UUID")]
    Uuid,
    #[error("姓名应为 1 到 30 个字，不含数字")]
    PersonName,
    #[error("内容无效：{detail}")]
    Invalid { detail: String },
    #[error("未知字段")]
    UnknownField,
    #[error("该字段创建后不能修改")]
    Immutable,
    #[error("该字段只能由服务器写入")]
    ServerOnly,
}

/// A value that failed validation, with the field it was meant for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[error("{field}：{problem}")]
pub struct ValidationError {
    /// The field identifier (GLOSSARY.md names), e.g. `head_id_number`.
    pub field: String,
    pub problem: Problem,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, problem: Problem) -> Self {
        Self { field: field.into(), problem }
    }

    /// The Chinese message for display next to the field.
    pub fn message(&self) -> String {
        self.problem.to_string()
    }
}
