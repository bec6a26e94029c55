//! What the household screen and the village home show: one household with everything recorded about
//! it, and the counts at the top of a village's list.

use crate::error::{Result, StoreError};
use crate::sql;
use crate::Store;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zoufang_model::calendar::WorkCalendar;
use zoufang_model::exit_procedure::{
    current_round, may_record, progress, verify, ExitProgress, VerificationCheck, EXIT_STEPS,
};
use zoufang_model::steps;
use zoufang_model::{
    BasicNeeds, Entity, ExitDecision, HandbookEntry, Household, HouseholdStatus, IncomeSummary, Member, Rectification,
    Village, Visit,
};

/// The latest 收支测算 of a household, with the entry it was recorded in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LatestIncome {
    pub entry_id: Uuid,
    pub entry_date: NaiveDate,
    pub summary: IncomeSummary,
}

/// The household's place in the exit procedure and what verification would say today.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExitView {
    pub progress: ExitProgress,
    /// Every decision, oldest first.
    pub decisions: Vec<ExitDecision>,
    pub verification: VerificationCheck,
    /// Who records the next step (驻村工作队员或第一书记, 乡镇干部, 县扶贫办), and whether this device may.
    pub next_by: Option<String>,
    pub may_record_next: bool,
    /// What the next step's evidence records (the form's hint).
    pub evidence_hint: Option<String>,
    /// The next step's last day by the county's working-day deadline, and whether it has passed.
    pub due_on: Option<NaiveDate>,
    pub overdue: bool,
    /// The county's shortest 公示, in days.
    pub publicity_days: i64,
    /// Whether the household may be in the procedure at all (未脱贫 or 返贫); others have exited.
    pub open: bool,
}

/// Everything the household screen shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HouseholdDetail {
    pub household: Household,
    pub village: Option<Village>,
    pub members: Vec<Member>,
    /// Newest first.
    pub visits: Vec<Visit>,
    /// Newest first.
    pub handbook: Vec<HandbookEntry>,
    /// Open items first, then by deadline.
    pub problems: Vec<Rectification>,
    /// The checklist of the latest visit and its date.
    pub latest_needs: Option<BasicNeeds>,
    pub latest_visit_on: Option<NaiveDate>,
    pub latest_income: Option<LatestIncome>,
    pub exit: ExitView,
    /// How the status came to be: every procedure that changed it, oldest first.
    pub status_changes: Vec<zoufang_model::StatusChange>,
    /// Status changes the household does not stand on (`procedure::not_in_effect`): shown, marked.
    pub status_changes_not_in_effect: Vec<Uuid>,
    /// Members joining and leaving, oldest first.
    pub member_changes: Vec<zoufang_model::MemberChange>,
    pub open_conflicts: i64,
}

/// Households in one status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StatusCount {
    pub status: HouseholdStatus,
    pub count: i64,
}

/// The counts at the top of the village home.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VillageOverview {
    pub village: Village,
    pub households: i64,
    pub by_status: Vec<StatusCount>,
    pub not_visited_this_month: i64,
    pub with_open_problems: i64,
    pub overdue_problems: i64,
    pub open_conflicts: i64,
    /// Households whose 一户一档 lacks a required document or has pages not yet uploaded.
    pub archive_incomplete: i64,
}

impl Store {
    /// Exit decisions of a household, oldest first.
    pub fn exit_decisions_of(&self, household: Uuid) -> Result<Vec<ExitDecision>> {
        self.list("household_id = ?1", "decided_on, recorded_at, id", &[&sql::uuid_blob(household)])
    }

    /// Rectification items about one household: open ones first, then by deadline.
    pub fn problems_of(&self, household: Uuid) -> Result<Vec<Rectification>> {
        self.list("household_id = ?1", "status = 'closed', deadline, id", &[&sql::uuid_blob(household)])
    }

    /// The household screen's data; `today` decides the poverty-line year when there is no calculation.
    pub fn household_detail(&self, id: Uuid, today: NaiveDate) -> Result<HouseholdDetail> {
        let household = self.household(id)?.ok_or(StoreError::NotFound { entity: Entity::Household.label(), id })?;
        let village = self.get::<Village>(household.village_id)?;
        let visits = self.visits_of(id)?;
        let handbook = self.handbook_of(id)?;
        let latest = visits.first();
        // The latest calculation: the newest year, then the newest entry.
        let best = handbook
            .iter()
            .filter_map(|e| e.income_calc.as_ref().map(|c| (e, c)))
            .max_by_key(|(e, c)| (c.year, e.entry_date, e.id));
        let latest_income =
            best.map(|(e, c)| LatestIncome { entry_id: e.id, entry_date: e.entry_date, summary: c.summary() });
        let calc = best.map(|(_, c)| c.clone());
        let decisions = self.exit_decisions_of(id)?;
        let status_changes = self.status_changes_of(id)?;
        let not_in_effect = zoufang_model::procedure::not_in_effect(&status_changes, household.status_change);
        let progress = progress(&current_round(&decisions, &status_changes));
        let (settings, role) = (self.county_settings()?, self.role()?);
        let next = progress.next;
        let def = next.and_then(|n| EXIT_STEPS.iter().find(|d| d.step == n));
        let due_on = match (next, progress.since) {
            (Some(n), Some(since)) => steps::due_on(EXIT_STEPS, n, since, &settings, &WorkCalendar::national()),
            _ => None,
        };
        let exit = ExitView {
            next_by: next.map(|n| steps::recorded_by(EXIT_STEPS, n)),
            may_record_next: next.is_some_and(|n| may_record(role, n)),
            evidence_hint: def.map(|d| d.evidence.to_string()),
            overdue: due_on.is_some_and(|d| d < today),
            due_on,
            publicity_days: settings.publicity_days(),
            open: matches!(household.status, HouseholdStatus::Poor | HouseholdStatus::Returned),
            progress,
            verification: verify(latest.map(|v| &v.basic_needs), calc.as_ref(), today.year() - 1),
            decisions,
        };
        let open_conflicts: i64 = self.conn.query_row(
            "SELECT count(*) FROM conflict WHERE deleted = 0 AND status = 'open' AND row_id IN \
             (SELECT ?1 UNION ALL SELECT id FROM member WHERE household_id = ?1 \
              UNION ALL SELECT id FROM visit WHERE household_id = ?1 \
              UNION ALL SELECT id FROM handbook_entry WHERE household_id = ?1)",
            [sql::uuid_blob(id)],
            |r| r.get(0),
        )?;
        Ok(HouseholdDetail {
            latest_needs: latest.map(|v| v.basic_needs.clone()),
            latest_visit_on: latest.map(|v| v.visited_on),
            members: self.members_of(id)?,
            problems: self.problems_of(id)?,
            household,
            village,
            visits,
            handbook,
            latest_income,
            exit,
            status_changes,
            member_changes: self.member_changes_of(id)?,
            status_changes_not_in_effect: not_in_effect,
            open_conflicts,
        })
    }

    /// The counts at the top of a village's household list.
    pub fn village_overview(&self, village: Uuid, today: NaiveDate) -> Result<VillageOverview> {
        let v = self
            .get::<Village>(village)?
            .ok_or(StoreError::NotFound { entity: Entity::Village.label(), id: village })?;
        let vid = sql::uuid_blob(village);
        let month_start = today.with_day(1).unwrap_or(today).format("%Y-%m-%d").to_string();
        let today_s = today.format("%Y-%m-%d").to_string();
        let mut by_status = Vec::new();
        let mut total = 0;
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT status, count(*) FROM household WHERE deleted = 0 AND village_id = ?1 GROUP BY status",
            )?;
            let mut rows = stmt.query([&vid])?;
            while let Some(r) = rows.next()? {
                let n: i64 = r.get(1)?;
                total += n;
                if let Some(status) = r.get::<_, Option<String>>(0)?.and_then(|s| HouseholdStatus::parse(&s)) {
                    by_status.push(StatusCount { status, count: n });
                }
            }
        }
        by_status.sort_by_key(|s| s.status);
        let count = |q: &str, p: &[&dyn rusqlite::ToSql]| -> Result<i64> {
            Ok(self.conn.prepare_cached(q)?.query_row(p, |r| r.get(0))?)
        };
        Ok(VillageOverview {
            households: total,
            by_status,
            not_visited_this_month: count(
                "SELECT count(*) FROM household h WHERE h.deleted = 0 AND h.village_id = ?1 AND NOT EXISTS \
                 (SELECT 1 FROM visit v WHERE v.household_id = h.id AND v.deleted = 0 AND v.visited_on >= ?2)",
                &[&vid, &month_start],
            )?,
            with_open_problems: count(
                "SELECT count(DISTINCT household_id) FROM rectification WHERE deleted = 0 AND village_id = ?1 \
                 AND status <> 'closed' AND household_id IS NOT NULL",
                &[&vid],
            )?,
            overdue_problems: count(
                "SELECT count(*) FROM rectification WHERE deleted = 0 AND village_id = ?1 AND status <> 'closed' \
                 AND deadline < ?2",
                &[&vid, &today_s],
            )?,
            open_conflicts: count(
                "SELECT count(*) FROM conflict WHERE deleted = 0 AND status = 'open' AND village_id = ?1",
                &[&vid],
            )?,
            archive_incomplete: self.household_files(Some(village))?.iter().filter(|l| !l.complete()).count() as i64,
            village: v,
        })
    }
}
