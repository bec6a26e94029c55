//! The TypeScript declarations of every type that crosses the IPC boundary, generated from the Rust
//! types (ts-rs) into `ui/src/bindings.ts`. A test fails when the committed file is stale; run
//! `ZOUFANG_UPDATE_BINDINGS=1 cargo test -p zoufang-app bindings` to rewrite it.

use ts_rs::{Config, TS};

macro_rules! decls {
    ($cfg:expr; $($t:ty),+ $(,)?) => {
        vec![$(<$t as TS>::decl($cfg)),+]
    };
}

/// The whole `bindings.ts` file.
pub fn typescript() -> String {
    use zoufang_model::exit_procedure::*;
    use zoufang_model::*;
    use zoufang_store::*;
    let cfg = &Config::new().with_large_int("number");
    let decls = decls![cfg;
        // model
        Village, Household, Member, NeedState, NeedCheck, BasicNeeds, Visit, HandbookEntry, Presence,
        Rectification, Candidate, Conflict, IncomeCalc, IncomeSummary, IdNumber, Phone, Problem,
        ValidationError, ExitDecision, ExitProgress, SentBack, VerificationCheck,
        Attribute, HouseholdStatus, PovertyCause, Labor, Health, Relation, Sex, Education, Schooling, VisitKind, BasicNeed,
        Satisfaction, HandbookSection, MeasureKind, ExitStep, ExitOutcome, RectificationSource,
        RectificationStatus, RectificationAction, RectificationReview, zoufang_model::rectification::Issuer, zoufang_model::settings::SettingView, zoufang_model::settings::CountySettings, ConflictStatus, StatusProcedure, StatusChange, MemberChangeKind, MemberChange, ArchiveKind, ArchiveSection, PhotoOwner, ArchiveDocument, Photo,
        Helper, VillageDocument, VillageArchiveKind, zoufang_model::helpers::Frequency,
        zoufang_model::archive::DocState, zoufang_model::Role, zoufang_model::calendar::CalendarDay,
        // store
        HouseholdQuery, HouseholdSummary, HouseholdDetail, LatestIncome, ExitView, StatusCount,
        VillageOverview, NewVisit, NewProblem, NewExitDecision, NewStatusChange, PresenceMonth, ProblemItem, NewReview, RecheckPlan, NewMemberChange, ConflictView,
        HouseholdRef, NeedsGap, VillageNeeds, NeedsReport, CoverageReport, PresenceLine, PresenceReport,
        PopulationMismatch, IncomeIssue, IncomeLine, LedgerLine, Dashboard, zoufang_model::assessment::Rate,
        zoufang_model::assessment::CorrectionKind, AssessmentLine, Finding, AssessedHousehold, Assessment,
        PhotoTarget, NewDocument, PhotoImported, PhotoView, DocumentView, ArchiveItem, ArchiveStatus,
        HouseholdFileLine, NewHelper, HelpersLinked, HelperHousehold, HelperLine, HelperReport,
        NewVillageDocument, VillageDocumentView, VillageArchiveItem, VillageArchiveStatus,
        zoufang_store::InspectionLine, zoufang_model::InspectionFindings, zoufang_model::InspectionPhoto,
        zoufang_store::InspectionCoverage, zoufang_store::VillageInspection,
        zoufang_office::ImportSummary, zoufang_office::ImportProgress, zoufang_office::RowError,
        crate::commands::ImportResult,
        // shell
        crate::commands::AppInfo, crate::commands::LockState, zoufang_sync::EnrolmentOffer,
        crate::enrolment_commands::IssuedCode, zoufang_sync::HistoryEntry, zoufang_sync::HistoryResponse,
        crate::inspection_commands::SealingStatus, crate::key_commands::KeyBackup, crate::sync_worker::SyncStatus, crate::error::CmdError,
    ];
    let mut out = String::from(
        "// Generated from the Rust types by src-tauri/src/bindings.rs (ts-rs). Do not edit by hand.\n\
         // Regenerate: ZOUFANG_UPDATE_BINDINGS=1 cargo test -p zoufang-app bindings\n\n\
         export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]?: JsonValue } | null;\n\n",
    );
    for d in decls {
        let d = d.trim();
        out.push_str(if d.starts_with("export ") { "" } else { "export " });
        out.push_str(d);
        out.push_str("\n\n");
    }
    out.push_str(&labels());
    out
}

/// `{ "ident": "label", … }` in the given order (a JSON map would sort the keys; JavaScript keeps the
/// order written, and the UI lists values in it).
fn object<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>, indent: &str) -> String {
    let body: Vec<String> = pairs
        .map(|(k, v)| format!("{indent}  {}: {}", serde_json::Value::from(k), serde_json::Value::from(v)))
        .collect();
    format!("{{\n{}\n{indent}}}", body.join(",\n"))
}

/// Every vocabulary the UI names: its type name, identifiers and labels in order.
macro_rules! vocabularies {
    ($($t:ident),+ $(,)?) => {
        vec![$((
            stringify!($t),
            zoufang_model::$t::ALL.iter().map(|x| x.ident()).collect::<Vec<_>>(),
            zoufang_model::$t::ALL.iter().map(|x| (x.ident(), x.label())).collect::<Vec<_>>(),
        )),+]
    };
}

type Vocabulary = (&'static str, Vec<&'static str>, Vec<(&'static str, &'static str)>);

fn vocabularies() -> Vec<Vocabulary> {
    vocabularies![
        Attribute,
        HouseholdStatus,
        PovertyCause,
        Labor,
        Health,
        Relation,
        Sex,
        Education,
        Schooling,
        VisitKind,
        BasicNeed,
        Satisfaction,
        HandbookSection,
        MeasureKind,
        ExitStep,
        ExitOutcome,
        RectificationSource,
        RectificationStatus,
        RectificationAction,
        ConflictStatus,
        ArchiveKind,
        ArchiveSection,
        PhotoOwner,
        VillageArchiveKind,
        StatusProcedure,
        MemberChangeKind,
        Role,
    ]
}

/// How a form enters one field, from the schema table: its input, whether it is required, its
/// vocabulary, its bounds. Fields the server writes are left out.
fn field_spec(def: &zoufang_model::schema::FieldDef, vocabs: &[Vocabulary]) -> Option<String> {
    use zoufang_model::schema::FieldKind;
    if def.server_only {
        return None;
    }
    let vocab = |idents: &[&str]| {
        let found = vocabs.iter().find(|v| v.1.as_slice() == idents).map(|v| v.0);
        found.unwrap_or_else(|| panic!("the vocabulary of {} is not listed in `vocabularies`", def.name))
    };
    let (kind, extra) = match def.kind {
        FieldKind::Text(max) if max >= 500 => ("textarea", format!(", maxLength: {max}")),
        FieldKind::Text(max) => ("text", format!(", maxLength: {max}")),
        FieldKind::PersonName | FieldKind::IdNumber | FieldKind::Phone => ("text", String::new()),
        FieldKind::Date { .. } => ("date", String::new()),
        FieldKind::Int { min, max } => ("int", format!(", min: {min}, max: {max}")),
        FieldKind::Enum(idents) => ("enum", format!(", vocab: '{}'", vocab(idents))),
        FieldKind::EnumSet(idents) => ("enumset", format!(", vocab: '{}'", vocab(idents))),
        _ => return None,
    };
    Some(format!("    {}: {{ name: '{}', type: '{kind}', required: {}{extra} }}", def.name, def.name, def.required))
}

/// The Chinese label of every vocabulary value and every field, so the UI names things exactly as the
/// store's messages and the glossary do.
fn labels() -> String {
    let vocabs = vocabularies();
    let vocab: Vec<String> =
        vocabs.iter().map(|(name, _, pairs)| format!("  {name}: {}", object(pairs.iter().copied(), "  "))).collect();
    let vocab = format!("{{\n{}\n}}", vocab.join(",\n"));
    let sections = object(zoufang_model::ArchiveKind::ALL.iter().map(|k| (k.ident(), k.section().ident())), "");
    let fields: Vec<String> = zoufang_model::Entity::ALL
        .iter()
        .map(|e| format!("  {}: {}", e.ident(), object(e.fields().iter().map(|d| (d.name, d.label)), "  ")))
        .collect();
    let fields = format!("{{\n{}\n}}", fields.join(",\n"));
    let specs: Vec<String> = zoufang_model::Entity::ALL
        .iter()
        .map(|e| {
            let lines: Vec<String> = e.fields().iter().filter_map(|d| field_spec(d, &vocabs)).collect();
            format!("  {}: {{\n{}\n  }}", e.ident(), lines.join(",\n"))
        })
        .collect();
    let specs = format!("{{\n{}\n}}", specs.join(",\n"));
    format!(
        "/** Chinese labels of the vocabularies (GLOSSARY.md), by type and identifier. */\n\
         export const LABELS = {} as const\n\n\
         /** Chinese labels of the fields, by record kind and field. */\n\
         export const FIELD_LABELS: Record<string, Record<string, string>> = {}\n\n\
         /** The 一户一档 section each document kind belongs in. */\n\
         export const ARCHIVE_SECTION_OF = {} as const\n\n\
         /** How a form enters a field (from the schema table: input, required, vocabulary, bounds). */\n\
         export type FieldSpec = {{ name: string, type: 'text' | 'textarea' | 'enum' | 'enumset' | 'date' | 'int', \
         required: boolean, vocab?: keyof typeof LABELS, min?: number, max?: number, maxLength?: number }}\n\n\
         /** The fields a form may enter, by record kind and field (those the server writes are left out). */\n\
         export const FIELD_SPECS: Record<string, Record<string, FieldSpec>> = {}\n",
        vocab, fields, sections, specs
    )
}

/// Fails when the committed `ui/src/<file>` differs from `fresh`; rewrites it first when
/// `ZOUFANG_UPDATE_BINDINGS` is set.
#[cfg(test)]
pub(crate) fn assert_current(file: &str, fresh: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src").join(file);
    if std::env::var_os("ZOUFANG_UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, fresh).unwrap_or_else(|e| panic!("write {file}: {e}"));
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "ui/src/{file} is stale: run ZOUFANG_UPDATE_BINDINGS=1 cargo test -p zoufang-app bindings"
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn bindings_are_current() {
        super::assert_current("bindings.ts", &super::typescript());
    }
}
