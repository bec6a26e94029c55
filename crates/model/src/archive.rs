//! 一户一档 and 村级档案 completeness: which documents a household's file, and a village's own archive,
//! must hold, and how far each has got (missing, photographed but not yet on the server, complete).
//! Pure rules; the store supplies facts.

use crate::enums::{ArchiveKind, HouseholdStatus, MeasureKind, VillageArchiveKind};
use serde::{Deserialize, Serialize};

/// The documents a household's file must hold, in archive order.
///
/// - 精准识别 (申请书, 入户信息采集表, 五评量化表) and the 脱贫方案: every registered household.
///   A 边缘户 was never registered: only its 入户信息采集表 is kept.
/// - 项目申请, 项目批复, 村户协议: when a project reached the household (industry, solar, asset income,
///   housing renovation or relocation among its measures); 易地搬迁申请 when it was relocated.
/// - 精准退出 (收支算账表, 到户享受政策项目清单): once the household has exited (已脱贫, 稳定脱贫,
///   脱贫监测户, and 返贫, whose exit file stays on record).
pub fn required_kinds(status: HouseholdStatus, measures: &[MeasureKind]) -> Vec<ArchiveKind> {
    use ArchiveKind::*;
    if status == HouseholdStatus::Marginal {
        return vec![IntakeForm];
    }
    let mut out = vec![Application, IntakeForm, FiveReviewScore, ExitPlan];
    if measures.iter().any(is_project) {
        out.push(ProjectApplication);
        if measures.contains(&MeasureKind::Relocation) {
            out.push(RelocationApplication);
        }
        out.extend([ProjectApproval, VillageAgreement]);
    }
    if matches!(
        status,
        HouseholdStatus::Exited | HouseholdStatus::Stable | HouseholdStatus::Monitored | HouseholdStatus::Returned
    ) {
        out.extend([IncomeExpenseSheet, PolicyList]);
    }
    out
}

/// Whether a measure brings a project to the household (and so project papers to its file and to the
/// village's archive).
fn is_project(m: &MeasureKind) -> bool {
    matches!(
        m,
        MeasureKind::Industry
            | MeasureKind::Solar
            | MeasureKind::AssetIncome
            | MeasureKind::HousingRenovation
            | MeasureKind::Relocation
    )
}

/// The documents a village's 村级专项工作档案 must hold (seed 001: "政策文件类、脱贫台账、到村项目规划、
/// 项目验收、资金拨付、对象识别退出评议记录、公示公告、易地扶贫搬迁等“六个一批”专项资料、小额信贷等建立村级
/// 专项工作档案，不得分户建档"), in archive order, from the measures its households received:
/// - policy files, the 脱贫台账, the identification and exit review minutes and the notices: always;
/// - project plan, acceptance and fund payments: when a project reached any household;
/// - the special programmes' papers: when a household was relocated;
/// - 小额信贷: when a household took a microcredit.
pub fn village_required_kinds(measures: &[MeasureKind]) -> Vec<VillageArchiveKind> {
    use VillageArchiveKind::*;
    let mut out = vec![PolicyDocuments, PovertyLedger];
    if measures.iter().any(is_project) {
        out.extend([ProjectPlan, ProjectAcceptance, FundDisbursement]);
    }
    out.extend([ReviewRecords, Notices]);
    if measures.contains(&MeasureKind::Relocation) {
        out.push(SpecialPrograms);
    }
    if measures.contains(&MeasureKind::Microcredit) {
        out.push(Microcredit);
    }
    out
}

/// What the device knows about one document of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DocFacts {
    /// Live pages (photos) across the household's documents of this kind.
    pub pages: u32,
    /// Of those, pages whose bytes are still only on this device.
    pub pages_not_uploaded: u32,
}

/// Where one required document stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum DocState {
    /// No photographed page yet.
    Missing,
    /// Photographed; some pages have not reached the server yet.
    NotUploaded,
    /// Every page is on the server.
    Complete,
}

impl DocState {
    pub fn label(self) -> &'static str {
        match self {
            DocState::Missing => "缺失",
            DocState::NotUploaded => "未上传",
            DocState::Complete => "齐全",
        }
    }
}

/// The state of a required document from its facts.
pub fn doc_state(f: DocFacts) -> DocState {
    if f.pages == 0 {
        DocState::Missing
    } else if f.pages_not_uploaded > 0 {
        DocState::NotUploaded
    } else {
        DocState::Complete
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn what_a_file_must_hold() {
        let poor = required_kinds(HouseholdStatus::Poor, &[MeasureKind::Education]);
        assert_eq!(
            poor,
            vec![
                ArchiveKind::Application,
                ArchiveKind::IntakeForm,
                ArchiveKind::FiveReviewScore,
                ArchiveKind::ExitPlan
            ]
        );
        let moved = required_kinds(HouseholdStatus::Exited, &[MeasureKind::Relocation]);
        assert!(moved.contains(&ArchiveKind::RelocationApplication));
        assert!(moved.contains(&ArchiveKind::VillageAgreement));
        assert!(moved.contains(&ArchiveKind::PolicyList));
        assert_eq!(required_kinds(HouseholdStatus::Marginal, &[MeasureKind::Industry]), vec![ArchiveKind::IntakeForm]);
    }

    #[test]
    fn what_a_village_archive_must_hold() {
        use VillageArchiveKind::*;
        assert_eq!(village_required_kinds(&[]), vec![PolicyDocuments, PovertyLedger, ReviewRecords, Notices]);
        let all = village_required_kinds(&[MeasureKind::Education, MeasureKind::Relocation, MeasureKind::Microcredit]);
        assert_eq!(all, VillageArchiveKind::ALL.to_vec(), "relocation is a project: every kind");
        let solar = village_required_kinds(&[MeasureKind::Solar]);
        assert!(
            solar.contains(&FundDisbursement) && !solar.contains(&SpecialPrograms) && !solar.contains(&Microcredit)
        );
    }

    #[test]
    fn states() {
        assert_eq!(doc_state(DocFacts { pages: 0, pages_not_uploaded: 0 }), DocState::Missing);
        assert_eq!(doc_state(DocFacts { pages: 3, pages_not_uploaded: 1 }), DocState::NotUploaded);
        assert_eq!(doc_state(DocFacts { pages: 3, pages_not_uploaded: 0 }), DocState::Complete);
    }

    proptest! {
        /// Whatever the measures: no kind twice, in archive order, the four standing kinds always there.
        #[test]
        fn village_required_is_a_set_in_archive_order(measures in proptest::collection::vec(0usize..10, 0..8)) {
            let measures: Vec<MeasureKind> = measures.into_iter().map(|m| MeasureKind::ALL[m]).collect();
            let kinds = village_required_kinds(&measures);
            let order: Vec<usize> =
                kinds.iter().map(|k| VillageArchiveKind::ALL.iter().position(|a| a == k).unwrap_or(0)).collect();
            prop_assert!(order.windows(2).all(|w| w[0] < w[1]));
            for k in [VillageArchiveKind::PolicyDocuments, VillageArchiveKind::PovertyLedger, VillageArchiveKind::ReviewRecords, VillageArchiveKind::Notices] {
                prop_assert!(kinds.contains(&k));
            }
        }

        /// Whatever the status and measures: no kind twice, identification always first, and a
        /// registered household always needs its application.
        #[test]
        fn required_is_a_set_in_archive_order(status in 0usize..6, measures in proptest::collection::vec(0usize..10, 0..6)) {
            let status = HouseholdStatus::ALL[status];
            let measures: Vec<MeasureKind> = measures.into_iter().map(|m| MeasureKind::ALL[m]).collect();
            let kinds = required_kinds(status, &measures);
            let mut seen = std::collections::HashSet::new();
            prop_assert!(kinds.iter().all(|k| seen.insert(*k)));
            let order: Vec<usize> = kinds.iter().map(|k| ArchiveKind::ALL.iter().position(|a| a == k).unwrap_or(0)).collect();
            prop_assert!(order.windows(2).all(|w| w[0] < w[1]));
            if status != HouseholdStatus::Marginal {
                prop_assert!(kinds.contains(&ArchiveKind::Application));
            }
        }
    }
}
