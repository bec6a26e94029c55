//! zoufang's domain: the records village work teams keep, the vocabulary of GLOSSARY.md, and the rules a
//! value must pass before it is stored or synced. No IO.

pub mod archive;
pub mod assessment;
pub mod calendar;
pub mod entities;
pub mod enums;
pub mod error;
pub mod exit_procedure;
pub mod helpers;
pub mod id_number;
pub mod income;
pub mod inspection_rule;
pub mod members;
pub mod money;
pub mod phone;
pub mod presence;
pub mod procedure;
pub mod rectification;
pub mod roles;
pub mod schema;
pub mod settings;
pub mod steps;

pub use entities::*;
pub use enums::*;
pub use error::{Problem, ValidationError};
pub use exit_procedure::ExitDecision;
pub use id_number::IdNumber;
pub use income::{IncomeCalc, IncomeSummary};
pub use members::MemberChange;
pub use money::Fen;
pub use phone::Phone;
pub use procedure::StatusChange;
pub use rectification::RectificationReview;
pub use roles::Role;
pub use schema::{Entity, FieldDef, FieldKind, ScopeVia, Storage, DELETED};
