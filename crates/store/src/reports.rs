//! The figures the policy documents hold village work to, computed from the device database: 两不愁三保障
//! gaps, visit coverage, presence against 2/3 of working days, population consistency, income against the
//! line, and the rectification ledger. Each covers every village this database holds.

use crate::error::Result;
use crate::sql;
use crate::Store;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;
use zoufang_model::calendar::WorkCalendar;
use zoufang_model::income::poverty_line;
use zoufang_model::{BasicNeed, BasicNeeds, HouseholdStatus, IncomeCalc, RectificationSource, RectificationStatus};

/// A household line in a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HouseholdRef {
    pub id: Uuid,
    pub village: String,
    pub household_no: String,
    pub head_name: String,
    pub status: Option<HouseholdStatus>,
}

/// A household whose latest visit found 两不愁三保障 or safe-water items unmet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NeedsGap {
    pub household: HouseholdRef,
    pub visited_on: NaiveDate,
    pub unmet: Vec<BasicNeed>,
    /// What was found, item by item.
    pub notes: Vec<String>,
}

/// Per village: households, those visited at all, those with a gap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VillageNeeds {
    pub village: String,
    pub households: i64,
    pub with_gap: i64,
    /// Per item: households whose latest visit found it unmet.
    pub by_item: Vec<(BasicNeed, i64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NeedsReport {
    pub villages: Vec<VillageNeeds>,
    pub gaps: Vec<NeedsGap>,
}

/// Households not visited within the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CoverageReport {
    pub since: NaiveDate,
    pub households: i64,
    pub visited: i64,
    pub not_visited: Vec<(HouseholdRef, Option<NaiveDate>)>,
}

/// One staff member's month in one village.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PresenceLine {
    pub village: String,
    pub staff_name: String,
    /// Days with a check-in.
    pub days_present: u32,
    /// Days with a verified check-in: inside the village's radius, the device's clock right
    /// (`zoufang_model::presence::verified`).
    pub days_verified: u32,
    pub working_days: u32,
    pub required_days: u32,
    pub meets: bool,
    pub meets_verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PresenceReport {
    pub year: i32,
    pub month: u32,
    /// Whether the holiday calendar knows the year (otherwise only weekends are off).
    pub calendar_known: bool,
    pub lines: Vec<PresenceLine>,
}

/// 系统人口 / 扶贫手册人口 / 实际人口 of a household that do not agree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PopulationMismatch {
    pub household: HouseholdRef,
    /// From the register (household.registered_population).
    pub system: Option<i64>,
    /// On the household's 明白卡 (only where the county still uses the card).
    pub card: Option<i64>,
    /// From the handbook's latest income calculation (household_size).
    pub handbook: Option<i64>,
    /// Counted on the latest visit.
    pub actual: Option<i64>,
    /// Household members on record.
    pub members: i64,
}

/// Why an income line is listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum IncomeIssue {
    /// Status 已脱贫 / 稳定脱贫 but the latest calculation is below the line.
    ExitedBelowLine,
    /// Status 未脱贫 / 返贫 but the latest calculation reaches the line.
    PoorAboveLine,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IncomeLine {
    pub household: HouseholdRef,
    pub issue: IncomeIssue,
    pub year: i32,
    pub per_capita_fen: i64,
    pub poverty_line_fen: i64,
}

/// Rectification items by village and source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LedgerLine {
    pub village: String,
    pub source: RectificationSource,
    /// Not yet 销号, of which `overdue` are past their deadline and `proposed` wait for the issuer.
    pub open: i64,
    pub overdue: i64,
    pub proposed: i64,
    pub closed: i64,
}

struct Row {
    household: HouseholdRef,
    registered: Option<i64>,
    card: Option<i64>,
    members: i64,
    latest_visit: Option<(NaiveDate, BasicNeeds, Option<i64>)>,
    latest_calc: Option<IncomeCalc>,
}

/// 两不愁三保障 + 饮水: households whose latest visit found an item unmet, per village and per item.
fn needs_of(rows: &[Row]) -> NeedsReport {
    let mut villages: BTreeMap<String, VillageNeeds> = BTreeMap::new();
    let mut gaps = Vec::new();
    for row in rows {
        let v = villages.entry(row.household.village.clone()).or_insert_with(|| VillageNeeds {
            village: row.household.village.clone(),
            households: 0,
            with_gap: 0,
            by_item: BasicNeed::ALL.iter().map(|n| (*n, 0)).collect(),
        });
        v.households += 1;
        let Some((visited_on, needs, _)) = &row.latest_visit else { continue };
        let unmet = needs.unmet();
        if unmet.is_empty() {
            continue;
        }
        v.with_gap += 1;
        for n in &unmet {
            if let Some(slot) = v.by_item.iter_mut().find(|(k, _)| k == n) {
                slot.1 += 1;
            }
        }
        let notes = needs
            .items()
            .iter()
            .filter(|(n, _)| unmet.contains(n))
            .map(|(n, c)| format!("{}：{}", n.label(), c.note.as_deref().unwrap_or("")))
            .collect();
        gaps.push(NeedsGap { household: row.household.clone(), visited_on: *visited_on, unmet, notes });
    }
    NeedsReport { villages: villages.into_values().collect(), gaps }
}

/// Households not visited in the `days` days up to `today` (the monthly 走访 coverage: 30 days).
fn coverage_of(rows: &[Row], today: NaiveDate, days: i64) -> CoverageReport {
    let since = today - chrono::Duration::days(days - 1);
    let households = rows.len() as i64;
    let mut not_visited = Vec::new();
    for row in rows {
        let last = row.latest_visit.as_ref().map(|(d, _, _)| *d);
        if last.is_none_or(|d| d < since) {
            not_visited.push((row.household.clone(), last));
        }
    }
    CoverageReport { since, households, visited: households - not_visited.len() as i64, not_visited }
}

/// 系统人口 = 扶贫手册人口 = 实际人口: every household where two known figures differ.
/// 系统 / 手册 / 明白卡 / 实际人口 (seed 000, 十三): every household where two known figures differ; the
/// card only where the county still uses it (`card_in_use`; seed 001 abolished it).
fn population_of(rows: &[Row], card_in_use: bool) -> Vec<PopulationMismatch> {
    let mut out = Vec::new();
    for row in rows {
        let handbook = row.latest_calc.as_ref().map(|c| i64::from(c.household_size));
        let actual = row.latest_visit.as_ref().and_then(|(_, _, a)| *a);
        let card = row.card.filter(|_| card_in_use);
        let known: Vec<i64> = [row.registered, handbook, card, actual].into_iter().flatten().collect();
        if known.windows(2).any(|w| w[0] != w[1]) {
            out.push(PopulationMismatch {
                household: row.household.clone(),
                system: row.registered,
                card,
                handbook,
                actual,
                members: row.members,
            });
        }
    }
    out
}

/// Status against the latest 收支测算: exited but below the line, or poor but above it.
fn income_of(rows: &[Row]) -> Vec<IncomeLine> {
    let mut out = Vec::new();
    for row in rows {
        let (Some(calc), Some(status)) = (&row.latest_calc, row.household.status) else { continue };
        let Some(per_capita) = calc.net_income_per_capita() else { continue };
        let line = poverty_line(calc.year);
        let issue = match status {
            HouseholdStatus::Exited | HouseholdStatus::Stable if per_capita < line => IncomeIssue::ExitedBelowLine,
            HouseholdStatus::Poor | HouseholdStatus::Returned if per_capita >= line => IncomeIssue::PoorAboveLine,
            _ => continue,
        };
        out.push(IncomeLine {
            household: row.household.clone(),
            issue,
            year: calc.year,
            per_capita_fen: per_capita.0,
            poverty_line_fen: line.0,
        });
    }
    out
}

impl Store {
    /// Every live household with its latest visit and latest income calculation, in village and 户编号
    /// order. One pass; the reports below are folds over it.
    fn report_rows(&self) -> Result<Vec<Row>> {
        let mut stmt = self.conn.prepare_cached(
            // One row per household: the digest (schema/device/0005) holds its latest visit, latest
            // calculation and member count, kept by triggers with every write and pull.
            "SELECT h.id, v.name, h.household_no, h.head_name, h.status, h.registered_population,
                    coalesce(d.members, 0), d.visited_on, d.basic_needs, d.actual_population, d.income_calc,
                    h.card_population
             FROM household h JOIN village v ON v.id = h.village_id
             LEFT JOIN household_digest d ON d.household_id = h.id
             WHERE h.deleted = 0
             ORDER BY v.code, h.household_no",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let visited: Option<String> = r.get(7)?;
            let needs: Option<String> = r.get(8)?;
            let latest_visit = match (visited.and_then(|d| d.parse::<NaiveDate>().ok()), needs) {
                (Some(d), Some(n)) => {
                    serde_json::from_str::<BasicNeeds>(&n).ok().map(|n| (d, n, r.get(9).ok().flatten()))
                }
                _ => None,
            };
            out.push(Row {
                household: HouseholdRef {
                    id: sql::blob_uuid(&r.get::<_, Vec<u8>>(0)?)?,
                    village: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    household_no: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    head_name: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    status: r.get::<_, Option<String>>(4)?.and_then(|s| HouseholdStatus::parse(&s)),
                },
                registered: r.get(5)?,
                card: r.get(11)?,
                members: r.get(6)?,
                latest_visit,
                latest_calc: r.get::<_, Option<String>>(10)?.and_then(|c| serde_json::from_str(&c).ok()),
            });
        }
        Ok(out)
    }

    /// 两不愁三保障 + 饮水: households whose latest visit found an item unmet, per village and per item.
    pub fn report_needs(&self) -> Result<NeedsReport> {
        Ok(needs_of(&self.report_rows()?))
    }

    /// Households not visited in the `days` days up to `today` (the monthly 走访 coverage: 30 days).
    pub fn report_coverage(&self, today: NaiveDate, days: i64) -> Result<CoverageReport> {
        Ok(coverage_of(&self.report_rows()?, today, days))
    }

    /// 系统人口 = 扶贫手册人口 = 明白卡人口 = 实际人口: every household where two known figures differ.
    pub fn report_population(&self) -> Result<Vec<PopulationMismatch>> {
        Ok(population_of(&self.report_rows()?, self.card_in_use()?))
    }

    /// Whether the county still uses the 明白卡 (its setting).
    pub fn card_in_use(&self) -> Result<bool> {
        Ok(self.county_settings()?.get(zoufang_model::settings::CARD_IN_USE) == 1)
    }

    /// Status against the latest 收支测算: exited but below the line, or poor but above it.
    pub fn report_income(&self) -> Result<Vec<IncomeLine>> {
        Ok(income_of(&self.report_rows()?))
    }

    /// Days in the village per staff member in a month against 2/3 of its working days.
    pub fn report_presence(&self, year: i32, month: u32, calendar: &WorkCalendar) -> Result<PresenceReport> {
        let prefix = format!("{year:04}-{month:02}%");
        let mut stmt = self.conn.prepare_cached(
            // Verified as `zoufang_model::presence::verified` says: inside, and the clock within tolerance.
            "SELECT v.name, p.staff_name, count(DISTINCT substr(p.checked_at, 1, 10)),
                    count(DISTINCT CASE WHEN p.inside = 1 AND abs(p.clock_offset_ms) <= ?2
                                        THEN substr(p.checked_at, 1, 10) END)
             FROM presence p JOIN village v ON v.id = p.village_id
             WHERE p.deleted = 0 AND p.checked_at LIKE ?1
             GROUP BY v.code, v.name, p.staff_name ORDER BY v.code, p.staff_name",
        )?;
        let working_days = calendar.working_days(year, month);
        let required = zoufang_model::presence::required_days(working_days);
        let tolerance_ms =
            self.county_settings()?.get(zoufang_model::settings::CLOCK_TOLERANCE_MINUTES).saturating_mul(60_000);
        let lines = stmt
            .query_map(rusqlite::params![prefix, tolerance_ms], |r| {
                let days = r.get::<_, i64>(2)? as u32;
                let verified = r.get::<_, i64>(3)? as u32;
                Ok(PresenceLine {
                    village: r.get(0)?,
                    staff_name: r.get(1)?,
                    days_present: days,
                    days_verified: verified,
                    working_days,
                    required_days: required,
                    meets: zoufang_model::presence::meets_requirement(days, working_days),
                    meets_verified: zoufang_model::presence::meets_requirement(verified, working_days),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(PresenceReport { year, month, calendar_known: calendar.knows(year), lines })
    }

    /// The rectification ledger: open, overdue and closed (销号) items by village and source.
    pub fn report_ledger(&self, today: NaiveDate) -> Result<Vec<LedgerLine>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT v.name, r.source,
                    sum(r.status <> ?1), sum(r.status <> ?1 AND r.deadline < ?2), sum(r.status = ?3),
                    sum(r.status = ?1)
             FROM rectification r JOIN village v ON v.id = r.village_id
             WHERE r.deleted = 0 GROUP BY v.code, v.name, r.source ORDER BY v.code, r.source",
        )?;
        let today = today.format("%Y-%m-%d").to_string();
        let (closed, proposed) = (RectificationStatus::Closed.ident(), RectificationStatus::Proposed.ident());
        let lines = stmt
            .query_map(rusqlite::params![closed, today, proposed], |r| {
                let counts = (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, counts))
            })?
            .collect::<rusqlite::Result<Vec<(String, String, (i64, i64, i64, i64))>>>()?;
        Ok(lines
            .into_iter()
            .filter_map(|(village, source, (open, overdue, proposed, closed))| {
                let source = RectificationSource::parse(&source)?;
                Some(LedgerLine { village, source, open, overdue, proposed, closed })
            })
            .collect())
    }
}

/// Every report at once, for the app's 报表 screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Dashboard {
    pub needs: NeedsReport,
    pub coverage: CoverageReport,
    pub presence: PresenceReport,
    pub population: Vec<PopulationMismatch>,
    pub income: Vec<IncomeLine>,
    pub ledger: Vec<LedgerLine>,
    pub assessment: crate::Assessment,
    /// 帮扶责任人 visit frequency by the county's interval.
    pub helpers: crate::HelperReport,
}

impl Store {
    /// The reports for `today`: coverage over the last 30 days, presence of this month.
    pub fn dashboard(&self, today: NaiveDate, calendar: &WorkCalendar) -> Result<Dashboard> {
        use chrono::Datelike;
        let rows = self.report_rows()?;
        Ok(Dashboard {
            needs: needs_of(&rows),
            coverage: coverage_of(&rows, today, 30),
            presence: self.report_presence(today.year(), today.month(), calendar)?,
            population: population_of(&rows, self.card_in_use()?),
            income: income_of(&rows),
            ledger: self.report_ledger(today)?,
            assessment: self.report_assessment(today)?,
            helpers: self.helper_report(None, today)?,
        })
    }
}
