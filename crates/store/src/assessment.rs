//! The figures the offices are assessed on (`zoufang_model::assessment`), per village, township and
//! county, over every village this database holds, with the households behind each figure: 群众满意度
//! over this year's visits, 错评率 / 漏评率 / 错退率 from the county's corrections, 书记遍访 coverage of
//! the households in poverty, and the 回头看 due and overdue for exited households.

use crate::error::Result;
use crate::reports::HouseholdRef;
use crate::Store;
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;
use zoufang_model::assessment::{classify, exited, registered, satisfied, CorrectionKind, Rate};
use zoufang_model::{HouseholdStatus, Satisfaction, StatusChange, StatusProcedure, Village, VisitKind};

/// One level's figures: a village, a township or the county.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AssessmentLine {
    /// 村, 乡镇 or 县.
    pub level: String,
    pub name: String,
    pub satisfaction: Rate,
    pub wrong_entry: Rate,
    pub missed: Rate,
    pub wrong_exit: Rate,
    /// Households in poverty visited by the 第一书记 this year.
    pub secretary_tour: Rate,
    /// Exited households whose 回头看 is past due.
    pub recheck_overdue: u32,
}

/// Why a household is behind a figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Finding {
    Corrected {
        correction: CorrectionKind,
        on: NaiveDate,
        reason: Option<String>,
    },
    Dissatisfied {
        on: NaiveDate,
    },
    NoSecretaryTour,
    /// 回头看 due by `due_on` (overdue when it is past).
    RecheckDue {
        due_on: NaiveDate,
        overdue: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AssessedHousehold {
    pub household: HouseholdRef,
    pub finding: Finding,
}

/// The assessment of one year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Assessment {
    pub year: i32,
    /// Villages, then townships, then the county.
    pub lines: Vec<AssessmentLine>,
    pub households: Vec<AssessedHousehold>,
    pub recheck_days: i64,
}

/// How soon before it is due a 回头看 is listed.
const DUE_SOON_DAYS: i64 = 30;

struct VisitRow {
    household: Uuid,
    kind: Option<VisitKind>,
    on: NaiveDate,
    satisfaction: Option<Satisfaction>,
}

/// A household as the assessment reads it.
struct AssessedRow {
    id: Uuid,
    village_id: Uuid,
    household_no: String,
    head_name: String,
    status: HouseholdStatus,
}

impl Store {
    /// This year's visits and each household's latest 回头看, in one pass over the visits' household
    /// index (it holds every column read here: schema/device/0017).
    fn assessed_visits(&self, since: NaiveDate) -> Result<(Vec<VisitRow>, HashMap<Uuid, NaiveDate>)> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT household_id, kind, visited_on, satisfaction FROM visit
             WHERE deleted = 0 AND (visited_on >= ?1 OR kind = ?2)",
        )?;
        let mut rows = stmt.query([since.to_string(), VisitKind::Recheck.ident().to_string()])?;
        let (mut year, mut recheck) = (Vec::new(), HashMap::<Uuid, NaiveDate>::new());
        while let Some(r) = rows.next()? {
            let on: Option<String> = r.get(2)?;
            let Some(on) = on.and_then(|d| d.parse().ok()) else { continue };
            let visit = VisitRow {
                household: crate::sql::blob_uuid(&r.get::<_, Vec<u8>>(0)?)?,
                kind: r.get::<_, Option<String>>(1)?.as_deref().and_then(VisitKind::parse),
                on,
                satisfaction: r.get::<_, Option<String>>(3)?.as_deref().and_then(Satisfaction::parse),
            };
            if visit.kind == Some(VisitKind::Recheck) {
                let last = recheck.entry(visit.household).or_insert(on);
                *last = (*last).max(on);
            }
            if on >= since {
                year.push(visit);
            }
        }
        Ok((year, recheck))
    }

    /// What the assessment needs of each live household (not the whole record).
    fn assessed_households(&self) -> Result<Vec<AssessedRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, village_id, household_no, head_name, status FROM household WHERE deleted = 0
             ORDER BY village_id, household_no",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let (Some(village), Some(status)) = (
                r.get::<_, Option<Vec<u8>>>(1)?,
                r.get::<_, Option<String>>(4)?.as_deref().and_then(HouseholdStatus::parse),
            ) else {
                continue;
            };
            out.push(AssessedRow {
                id: crate::sql::blob_uuid(&r.get::<_, Vec<u8>>(0)?)?,
                village_id: crate::sql::blob_uuid(&village)?,
                household_no: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                head_name: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                status,
            });
        }
        Ok(out)
    }

    /// The assessment of `today`'s year.
    pub fn report_assessment(&self, today: NaiveDate) -> Result<Assessment> {
        let year = today.year();
        let start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(today);
        let recheck_days = self.county_settings()?.get(zoufang_model::settings::RECHECK_VISIT_DAYS);
        let villages: HashMap<Uuid, Village> = self.villages()?.into_iter().map(|v| (v.id, v)).collect();
        let households = self.assessed_households()?;
        let corrections: Vec<StatusChange> =
            self.list("procedure = ?1", "decided_on, recorded_at, id", &[&StatusProcedure::Correction.ident()])?;
        let (year_visits, last_recheck) = self.assessed_visits(start)?;
        let mut visits_of: HashMap<Uuid, Vec<&VisitRow>> = HashMap::new();
        for v in &year_visits {
            visits_of.entry(v.household).or_default().push(v);
        }
        let mut corrected: HashMap<Uuid, Vec<&StatusChange>> = HashMap::new();
        for c in corrections.iter().filter(|c| c.decided_on >= start) {
            corrected.entry(c.household_id).or_default().push(c);
        }

        let mut by_village: BTreeMap<(String, String), AssessmentLine> = BTreeMap::new();
        let mut found = Vec::new();
        for h in &households {
            let Some(v) = villages.get(&h.village_id) else { continue };
            let line = by_village.entry((v.code.clone(), v.name.clone())).or_insert_with(|| AssessmentLine {
                level: "村".into(),
                name: v.name.clone(),
                ..Default::default()
            });
            let href = HouseholdRef {
                id: h.id,
                village: v.name.clone(),
                household_no: h.household_no.clone(),
                head_name: h.head_name.clone(),
                status: Some(h.status),
            };
            let mut note = |finding| found.push(AssessedHousehold { household: href.clone(), finding });
            // 满意度: every answer given this year.
            for visit in visits_of.get(&h.id).into_iter().flatten() {
                if let Some(s) = visit.satisfaction {
                    line.satisfaction.of += 1;
                    if satisfied(s) {
                        line.satisfaction.count += 1;
                    } else {
                        note(Finding::Dissatisfied { on: visit.on });
                    }
                }
            }
            // Corrections this year, counted against the households each rate is about.
            let mut kinds = Vec::new();
            for c in corrected.get(&h.id).into_iter().flatten() {
                let kind = classify(c.from_status, c.to_status);
                kinds.push(kind);
                if kind != CorrectionKind::Other {
                    note(Finding::Corrected { correction: kind, on: c.decided_on, reason: c.reason.clone() });
                }
            }
            let has = |k| kinds.contains(&k);
            line.wrong_entry.add(Rate {
                count: has(CorrectionKind::WrongEntry) as u32,
                of: (registered(h.status) || has(CorrectionKind::WrongEntry)) as u32,
            });
            line.missed.add(Rate { count: has(CorrectionKind::Missed) as u32, of: registered(h.status) as u32 });
            line.wrong_exit.add(Rate {
                count: has(CorrectionKind::WrongExit) as u32,
                of: (exited(h.status) || has(CorrectionKind::WrongExit)) as u32,
            });
            // 书记遍访 of the households in poverty.
            if matches!(h.status, HouseholdStatus::Poor | HouseholdStatus::Returned) {
                let toured =
                    visits_of.get(&h.id).is_some_and(|vs| vs.iter().any(|v| v.kind == Some(VisitKind::SecretaryTour)));
                line.secretary_tour.add(Rate { count: toured as u32, of: 1 });
                if !toured {
                    note(Finding::NoSecretaryTour);
                }
            }
            // 回头看 of exited households: due a period after the last one (or now, if never).
            if exited(h.status) {
                let due_on = last_recheck.get(&h.id).map_or(today, |d| *d + Duration::days(recheck_days));
                let overdue = due_on <= today;
                if overdue {
                    line.recheck_overdue += 1;
                }
                if due_on <= today + Duration::days(DUE_SOON_DAYS) {
                    note(Finding::RecheckDue { due_on, overdue });
                }
            }
        }

        // Townships and the county add up their villages.
        let mut townships: BTreeMap<String, AssessmentLine> = BTreeMap::new();
        let mut county = AssessmentLine { level: "县".into(), ..Default::default() };
        let mut lines: Vec<AssessmentLine> = Vec::new();
        for ((code, _), line) in by_village {
            let v = villages.values().find(|v| v.code == code);
            let township = v.map(|v| v.township.clone()).unwrap_or_default();
            county.name = v.map(|v| v.county.clone()).unwrap_or_default();
            let t = townships.entry(code.get(..9).unwrap_or("").to_string()).or_insert_with(|| AssessmentLine {
                level: "乡镇".into(),
                name: township,
                ..Default::default()
            });
            for total in [&mut *t, &mut county] {
                total.satisfaction.add(line.satisfaction);
                total.wrong_entry.add(line.wrong_entry);
                total.missed.add(line.missed);
                total.wrong_exit.add(line.wrong_exit);
                total.secretary_tour.add(line.secretary_tour);
                total.recheck_overdue += line.recheck_overdue;
            }
            lines.push(line);
        }
        lines.extend(townships.into_values());
        if !lines.is_empty() {
            lines.push(county);
        }
        Ok(Assessment { year, lines, households: found, recheck_days })
    }
}
