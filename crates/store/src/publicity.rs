//! The 公示名单 of a village: the households whose exit procedure has reached 公示 (民主评议 passed),
//! as the village posts them. Only what a public notice may show: the group, the head of household's
//! name, the number of people, the per-capita income verified at 核查测算 and the 评议 result; never a
//! 身份证号, a phone number, a bank account or a health condition (`MONITORING.md`, 5).

use crate::error::{Result, StoreError};
use crate::Store;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zoufang_model::exit_procedure::{current_round, progress};
use zoufang_model::{Entity, ExitOutcome, ExitStep, HouseholdStatus, Village};

/// One household on the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PublicityLine {
    pub group_name: Option<String>,
    pub head_name: String,
    pub population: i64,
    pub income_per_capita_fen: Option<i64>,
    /// What 民主评议 rests on (its decision's evidence).
    pub review: Option<String>,
}

/// A village's list, with what the notice says around it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PublicityList {
    pub village: String,
    pub lines: Vec<PublicityLine>,
    /// The county's shortest 公示.
    pub publicity_days: i64,
    pub made_on: NaiveDate,
}

impl Store {
    /// The households of `village` whose exit procedure waits for 公示, by 户编号.
    pub fn publicity_list(&self, village: Uuid, today: NaiveDate) -> Result<PublicityList> {
        let v: Village =
            self.get(village)?.ok_or(StoreError::NotFound { entity: Entity::Village.label(), id: village })?;
        let q = crate::HouseholdQuery { village: Some(village), ..Default::default() };
        let mut lines = Vec::new();
        for h in self.households(&q)? {
            if !matches!(h.status, Some(HouseholdStatus::Poor | HouseholdStatus::Returned)) {
                continue;
            }
            let round = current_round(&self.exit_decisions_of(h.id)?, &self.status_changes_of(h.id)?);
            if progress(&round).next != Some(ExitStep::Publicity) {
                continue;
            }
            let latest = |step: ExitStep| {
                round.iter().filter(|d| d.step == step && d.outcome == ExitOutcome::Passed).max_by_key(|d| d.decided_on)
            };
            let household =
                self.household(h.id)?.ok_or(StoreError::NotFound { entity: Entity::Household.label(), id: h.id })?;
            lines.push((
                household.household_no.clone(),
                PublicityLine {
                    group_name: household.group_name,
                    head_name: household.head_name,
                    population: self.members_of(h.id)?.iter().filter(|m| m.left_on.is_none()).count() as i64,
                    income_per_capita_fen: latest(ExitStep::Verification).and_then(|d| d.income_per_capita_fen),
                    review: latest(ExitStep::Review).and_then(|d| d.evidence.clone()),
                },
            ));
        }
        lines.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(PublicityList {
            village: v.name,
            lines: lines.into_iter().map(|(_, l)| l).collect(),
            publicity_days: self.county_settings()?.publicity_days(),
            made_on: today,
        })
    }
}
