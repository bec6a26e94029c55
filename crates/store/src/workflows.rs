//! The app's multi-record actions, each one transaction: a visit with the problems it found, an exit
//! decision with the status change it causes, a daily check-in (销号 of problems: `rectification.rs`).

use crate::error::{Result, StoreError};
use crate::write::WriteOp;
use crate::Store;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use uuid::Uuid;
use zoufang_model::exit_procedure::{check_decision, Proposal};
use zoufang_model::{
    BasicNeeds, Entity, ExitOutcome, ExitStep, HouseholdStatus, NeedState, Presence, Problem, RectificationSource,
    RectificationStatus, StatusChange, StatusProcedure, ValidationError,
};

/// How long a problem found on a visit has for rectification unless the visitor sets a deadline.
pub const DEFAULT_DEADLINE_DAYS: i64 = 30;

/// A problem found on a visit, to become a rectification item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewProblem {
    pub problem: String,
    /// `YYYY-MM-DD`; empty: the visit date plus [`DEFAULT_DEADLINE_DAYS`].
    pub deadline: Option<String>,
    pub responsible: Option<String>,
}

/// The visit form as the app sends it. Values are checked by the schema's rules, so each error names
/// its field (`problems.2.deadline` for a problem's).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewVisit {
    pub household_id: Uuid,
    pub kind: String,
    pub visited_on: String,
    pub visitor: String,
    /// The register's 帮扶责任人 who made the visit, when it was one: counts for their visit frequency.
    #[serde(default)]
    pub helper_id: Option<Uuid>,
    pub basic_needs: BasicNeeds,
    pub satisfaction: Option<String>,
    pub actual_population: Option<i64>,
    pub notes: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub problems: Vec<NewProblem>,
}

/// A decision at one step of the exit procedure, as the form sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewExitDecision {
    pub household_id: Uuid,
    pub step: ExitStep,
    pub outcome: ExitOutcome,
    pub decided_on: String,
    pub actor: String,
    pub evidence: Option<String>,
    pub reason: Option<String>,
    pub publicity_start: Option<String>,
    pub publicity_end: Option<String>,
}

/// One staff member's month of check-ins against the 2/3 rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PresenceMonth {
    pub staff_name: String,
    pub year: i32,
    pub month: u32,
    /// Distinct days with a check-in.
    pub days_present: Vec<NaiveDate>,
    /// Working days of the month by the national holiday calendar.
    pub working_days: u32,
    pub required_days: u32,
    pub meets: bool,
    pub checked_in_today: bool,
    /// This month's check-ins, newest first.
    pub checkins: Vec<Presence>,
    /// Every day of the month, with holidays and 调休 working days marked.
    pub days: Vec<zoufang_model::calendar::CalendarDay>,
    /// Days with a verified check-in (inside the village's radius, the clock right), and the county's
    /// clock tolerance.
    pub days_verified: u32,
    pub clock_tolerance_ms: i64,
}

fn text(v: &Option<String>) -> Value {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map_or(Value::Null, Value::from)
}

fn map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m.into_iter().filter(|(_, v)| !v.is_null()).collect(),
        _ => Map::new(),
    }
}

fn field_error(prefix: &str, e: StoreError) -> StoreError {
    match e {
        StoreError::Invalid(v) => StoreError::Invalid(ValidationError::new(format!("{prefix}{}", v.field), v.problem)),
        other => other,
    }
}

fn parse_date(field: &str, raw: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| StoreError::Invalid(ValidationError::new(field, Problem::DateFormat)))
}

impl Store {
    pub(crate) fn village_of(&self, household: Uuid) -> Result<Uuid> {
        Ok(self
            .household(household)?
            .ok_or(StoreError::NotFound { entity: Entity::Household.label(), id: household })?
            .village_id)
    }

    /// Records a visit. Every checklist item found unmet and every problem listed becomes a rectification
    /// item of the household (source 入户走访), in the same transaction as the visit. Returns the visit id.
    pub fn record_visit(&mut self, v: &NewVisit) -> Result<Uuid> {
        let village = self.village_of(v.household_id)?;
        if let Some(helper) = v.helper_id {
            let h: Option<zoufang_model::Helper> = self.get(helper)?;
            if h.is_none_or(|h| h.village_id != village) {
                return Err(StoreError::refused("helper_village", "帮扶责任人不在该户所在村的名册中"));
            }
        }
        let id = Uuid::now_v7();
        let fields = map(json!({
            "household_id": v.household_id.to_string(),
            "kind": v.kind,
            "visited_on": v.visited_on,
            "visitor": v.visitor,
            "helper_id": v.helper_id,
            "basic_needs": v.basic_needs,
            "satisfaction": text(&v.satisfaction),
            "actual_population": v.actual_population,
            "notes": text(&v.notes),
            "lat": v.lat,
            "lon": v.lon,
        }));
        let fields = zoufang_model::schema::validate_new(Entity::Visit, &fields, crate::write::today())?;
        let visited_on = parse_date("visited_on", &v.visited_on)?;
        let default_deadline = (visited_on + chrono::Duration::days(DEFAULT_DEADLINE_DAYS)).to_string();
        let mut ops = vec![WriteOp::Create(Entity::Visit, id, fields)];
        let rectification = |problem: String, deadline: String, responsible: Value| {
            map(json!({
                "village_id": village.to_string(),
                "household_id": v.household_id.to_string(),
                "source": RectificationSource::Visit.ident(),
                "problem": problem,
                "deadline": deadline,
                "status": RectificationStatus::Open.ident(),
                "responsible": responsible,
            }))
        };
        for (need, check) in v.basic_needs.items() {
            if check.state == NeedState::Unmet {
                let note = check.note.as_deref().unwrap_or("").trim();
                let fields = rectification(format!("{}：{note}", need.label()), default_deadline.clone(), Value::Null);
                ops.push(WriteOp::Create(Entity::Rectification, Uuid::now_v7(), fields));
            }
        }
        for (i, p) in v.problems.iter().enumerate() {
            if p.problem.trim().is_empty() && text(&p.deadline).is_null() && text(&p.responsible).is_null() {
                continue; // an empty row the form left
            }
            let deadline = text(&p.deadline).as_str().map(str::to_string).unwrap_or_else(|| default_deadline.clone());
            let fields = rectification(p.problem.clone(), deadline, text(&p.responsible));
            zoufang_model::schema::validate_new(Entity::Rectification, &fields, crate::write::today())
                .map_err(|e| field_error(&format!("problems.{i}."), e.into()))?;
            ops.push(WriteOp::Create(Entity::Rectification, Uuid::now_v7(), fields));
        }
        self.write_all(&ops)?;
        Ok(id)
    }

    /// Records a decision of the exit procedure after checking it against the procedure's rules (order,
    /// the exit standard at 核查测算, the 公示 period). Passing 销号 marks the household 已脱贫 with its exit
    /// year, in the same transaction.
    pub fn record_exit_decision(&mut self, d: &NewExitDecision, today: NaiveDate) -> Result<Uuid> {
        let detail = self.household_detail(d.household_id, today)?;
        let decided_on = parse_date("decided_on", &d.decided_on)?;
        let opt_date = |f: &str, v: &Option<String>| -> Result<Option<NaiveDate>> {
            match text(v).as_str() {
                Some(s) => parse_date(f, s).map(Some),
                None => Ok(None),
            }
        };
        let publicity =
            (opt_date("publicity_start", &d.publicity_start)?, opt_date("publicity_end", &d.publicity_end)?);
        let calc = detail.latest_income.as_ref().map(|l| l.summary.clone());
        let verification = detail.exit.verification.clone();
        let last_publicity_end = detail
            .exit
            .decisions
            .iter()
            .filter(|x| x.step == ExitStep::Publicity && x.outcome == ExitOutcome::Passed)
            .filter_map(|x| x.publicity_end)
            .max();
        // A household must be poor (or back in poverty) to exit.
        if matches!(detail.exit.progress.next, Some(ExitStep::Application) | None)
            && d.step == ExitStep::Application
            && !matches!(detail.household.status, HouseholdStatus::Poor | HouseholdStatus::Returned)
        {
            return Err(StoreError::refused(
                "exit_not_poor",
                format!("该户状态为「{}」，只有未脱贫或返贫户可以申请退出", detail.household.status.label()),
            ));
        }
        let proposal = Proposal {
            step: d.step,
            outcome: d.outcome,
            decided_on,
            reason: d.reason.as_deref(),
            publicity,
            role: self.role()?,
            publicity_days: self.county_settings()?.publicity_days(),
        };
        if let Some(why) = check_decision(&detail.exit.progress, &proposal, &verification, last_publicity_end) {
            return Err(StoreError::refused("exit_step", why));
        }
        let verified = d.step == ExitStep::Verification && d.outcome == ExitOutcome::Passed;
        let id = Uuid::now_v7();
        let fields = map(json!({
            "household_id": d.household_id.to_string(),
            "step": d.step.ident(),
            "outcome": d.outcome.ident(),
            "decided_on": d.decided_on,
            "actor": d.actor,
            "evidence": text(&d.evidence),
            "reason": text(&d.reason),
            "publicity_start": text(&d.publicity_start),
            "publicity_end": text(&d.publicity_end),
            "income_per_capita_fen": if verified { calc.as_ref().and_then(|c| c.per_capita_fen) } else { None },
            "poverty_line_fen": if verified { Some(verification.poverty_line_fen) } else { None },
            "recorded_at": chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
        }));
        let mut ops = vec![WriteOp::Create(Entity::ExitDecision, id, fields)];
        if d.step == ExitStep::Closed && d.outcome == ExitOutcome::Passed {
            // 销号: the household exits, by a status change that names this decision.
            let year = calc.map(|c| i64::from(c.year)).unwrap_or(i64::from(decided_on.year()));
            let change = StatusChange {
                id: Uuid::now_v7(),
                household_id: d.household_id,
                procedure: StatusProcedure::Exit,
                from_status: detail.household.status,
                to_status: HouseholdStatus::Exited,
                decided_on,
                actor: d.actor.trim().to_string(),
                reason: None,
                evidence: d.evidence.as_deref().map(str::trim).filter(|e| !e.is_empty()).map(str::to_string),
                exit_decision: Some(id),
                recorded_at: chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
            };
            ops.extend(crate::status::status_ops(&change, map(json!({"exit_year": year}))));
        }
        self.write_all(&ops)?;
        Ok(id)
    }

    /// Records how far this device's clock was from the server's (server − device, ms) on every check-in
    /// it made that has not been compared yet; returns how many. The sync calls it first thing.
    pub fn stamp_presence_clock(&mut self, offset_ms: i64) -> Result<usize> {
        let ids: Vec<Vec<u8>> = {
            let mut stmt = self.conn.prepare_cached(
                "SELECT p.id FROM presence p WHERE p.deleted = 0 AND p.clock_offset_ms IS NULL
                   AND EXISTS (SELECT 1 FROM change_log c WHERE c.entity = 'presence' AND c.row_id = p.id
                               AND c.field = 'checked_at')",
            )?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let patch = map(json!({ "clock_offset_ms": offset_ms }));
        for id in &ids {
            self.update(Entity::Presence, crate::sql::blob_uuid(id)?, &patch)?;
        }
        Ok(ids.len())
    }

    /// Today's check-in for one staff member at a village; a second tap the same day is refused kindly.
    pub fn check_in(&mut self, village: Uuid, staff_name: &str, lat: Option<f64>, lon: Option<f64>) -> Result<Uuid> {
        let now = chrono::Local::now();
        let today = now.date_naive();
        let month = self.presence_month(village, staff_name, today.year(), today.month(), today)?;
        if month.checked_in_today {
            return Err(StoreError::refused("already_checked_in", format!("{staff_name} 今天已签到")));
        }
        let id = Uuid::now_v7();
        let v: Option<zoufang_model::Village> = self.get(village)?;
        let committee = v.as_ref().and_then(|v| Some((v.lat?, v.lon?)));
        let at = lat.zip(lon);
        let inside = zoufang_model::presence::inside(committee, v.and_then(|v| v.radius_m), at);
        let fields = map(json!({
            "village_id": village.to_string(),
            "staff_name": staff_name,
            "checked_at": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            "lat": lat,
            "lon": lon,
            "inside": inside,
        }));
        self.create_fields(Entity::Presence, id, &fields)?;
        Ok(id)
    }

    /// One staff member's check-ins in a month against 2/3 of its working days.
    pub fn presence_month(
        &self,
        village: Uuid,
        staff_name: &str,
        year: i32,
        month: u32,
        today: NaiveDate,
    ) -> Result<PresenceMonth> {
        let mut checkins: Vec<Presence> = self
            .presence_in_month(village, year, month)?
            .into_iter()
            .filter(|p| p.staff_name == staff_name.trim())
            .collect();
        checkins.reverse();
        let mut days: Vec<NaiveDate> = checkins.iter().map(|p| p.checked_at.date_naive()).collect();
        days.sort();
        days.dedup();
        let calendar = zoufang_model::calendar::WorkCalendar::national();
        let working_days = calendar.working_days(year, month);
        let tolerance =
            self.county_settings()?.get(zoufang_model::settings::CLOCK_TOLERANCE_MINUTES).saturating_mul(60_000);
        let mut verified: Vec<NaiveDate> = checkins
            .iter()
            .filter(|p| zoufang_model::presence::verified(p.inside, p.clock_offset_ms, tolerance))
            .map(|p| p.checked_at.date_naive())
            .collect();
        verified.sort();
        verified.dedup();
        Ok(PresenceMonth {
            staff_name: staff_name.trim().to_string(),
            year,
            month,
            checked_in_today: days.contains(&today),
            required_days: zoufang_model::presence::required_days(working_days),
            meets: zoufang_model::presence::meets_requirement(days.len() as u32, working_days),
            working_days,
            days_present: days,
            checkins,
            days: calendar.month(year, month),
            days_verified: verified.len() as u32,
            clock_tolerance_ms: tolerance,
        })
    }
}
