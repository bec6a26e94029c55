//! 销号 by the issuer (`zoufang_model::rectification`): each step is a `RectificationReview` written with
//! the item's `review`, `status` and `closed_on` in one transaction, after the model's rules for this
//! device's role. The generic write paths (forms, the CLI's `edit`, imports) refuse what only a step
//! writes and what only the issuer may change; the server holds the same rules against hand-made pushes.
//! The county office's re-check sample is here; its share is one of the county's settings.

use crate::error::{Result, StoreError};
use crate::write::WriteOp;
use crate::Store;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use uuid::Uuid;
use zoufang_model::rectification::{self, check, direct_status, is_procedural, may_act, may_edit, may_issue, Issuer};
use zoufang_model::{
    Entity, Problem, Rectification, RectificationAction, RectificationReview, RectificationSource, RectificationStatus,
    Role, ValidationError, DELETED,
};

/// A 销号 step, as the form sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewReview {
    pub rectification_id: Uuid,
    pub action: RectificationAction,
    pub decided_on: String,
    pub actor: String,
    pub note: Option<String>,
}

/// A rectification item with what the ledger shows beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProblemItem {
    pub item: Rectification,
    pub village_name: Option<String>,
    pub household_name: Option<String>,
    pub household_no: Option<String>,
    pub overdue: bool,
    /// Who issued it, and so confirms its 销号; and as people call it (县扶贫办, 乡镇, 本村).
    pub issuer: Issuer,
    pub issuer_label: String,
    /// Its 销号 steps, oldest first (a proposal's 整改情况, why it was sent back …).
    pub reviews: Vec<RectificationReview>,
    /// The steps this device may take on it now.
    pub actions: Vec<RectificationAction>,
    /// Whether this device may mark it 整改中 (or back to 待整改).
    pub may_mark: bool,
}

/// The county office's re-check: the share it holds, how many closed items there are and how many were
/// re-checked, and the items to re-check now to meet the share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecheckPlan {
    pub percent: u32,
    pub closed: u32,
    pub rechecked: u32,
    pub due: Vec<ProblemItem>,
}

fn refused(why: impl Into<String>) -> StoreError {
    StoreError::refused("closure_by_issuer", why)
}

fn status_of(v: Option<&Value>) -> Option<RectificationStatus> {
    v.and_then(Value::as_str).and_then(RectificationStatus::parse)
}

/// What a generic write of a rectification item by `role` may not do: write a field only a 销号 step
/// writes, move the status other than between 待整改 and 整改中, or change what only the issuer changes.
/// `current` is the item as stored (`None` when it is being created).
pub(crate) fn refuse_direct(
    role: Role,
    current: Option<&Map<String, Value>>,
    patch: &Map<String, Value>,
) -> Result<()> {
    let source = current
        .and_then(|c| c.get("source"))
        .or_else(|| patch.get("source"))
        .and_then(Value::as_str)
        .and_then(RectificationSource::parse);
    let Some(source) = source else { return Ok(()) };
    let Some(current) = current else {
        if !may_issue(role, source) {
            return Err(refused(format!("{}账号不能下发来源为「{}」的整改问题", role.label(), source.label())));
        }
        let status = status_of(patch.get("status"));
        let stepped = patch.keys().any(|k| is_procedural(Entity::Rectification, k) && !patch[k.as_str()].is_null());
        if stepped || !matches!(status, None | Some(RectificationStatus::Open | RectificationStatus::InProgress)) {
            return Err(refused("新的整改问题只能是待整改或整改中，销号须按程序办理"));
        }
        return Ok(());
    };
    for (field, value) in patch {
        let now = current.get(field.as_str()).unwrap_or(&Value::Null);
        if now == value {
            continue;
        }
        if is_procedural(Entity::Rectification, field) {
            return Err(refused("销号只能按程序办理（村里申请、下发单位确认），不能直接修改"));
        }
        if field == "status" {
            match (status_of(Some(now)), status_of(Some(value))) {
                (Some(from), Some(to)) if direct_status(role, from, to) => {}
                _ => return Err(refused("整改状态只能由村里在待整改和整改中之间修改，销号须按程序办理")),
            }
        } else if !may_edit(role, source, field) {
            return Err(refused(format!(
                "该问题由{}下发，{}账号不能修改「{}」",
                Issuer::of(source).label(),
                role.label(),
                Entity::Rectification.field(field).map_or(field.as_str(), |d| d.label)
            )));
        }
    }
    Ok(())
}

impl Store {
    /// The role this device's changes will be pushed with (an unenrolled device works as a village
    /// tablet until it enrols).
    pub(crate) fn role(&self) -> Result<Role> {
        Ok(self.enrolment()?.map_or(Role::WorkTeam, |e| e.role))
    }

    /// Takes one 销号 step on an item after the rules for this device's role; returns the step's id.
    pub fn review_problem(&mut self, r: &NewReview) -> Result<Uuid> {
        let role = self.role()?;
        let item: Rectification = self
            .get(r.rectification_id)?
            .ok_or(StoreError::NotFound { entity: Entity::Rectification.label(), id: r.rectification_id })?;
        let decided_on = NaiveDate::parse_from_str(r.decided_on.trim(), "%Y-%m-%d")
            .map_err(|_| ValidationError::new("decided_on", Problem::DateFormat))?;
        let note = r.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
        let to = check(role, item.source, r.action, item.status, note.as_deref()).map_err(refused)?;
        let review = RectificationReview {
            id: Uuid::now_v7(),
            village_id: item.village_id,
            rectification_id: item.id,
            action: r.action,
            decided_on,
            actor: r.actor.trim().to_string(),
            note: note.clone(),
            recorded_at: chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
        };
        let mut fields = match serde_json::to_value(&review) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        fields.remove("id");
        let mut patch = Map::new();
        patch.insert("review".into(), json!(review.id.to_string()));
        patch.insert("status".into(), json!(to.ident()));
        let closed_on = (to == RectificationStatus::Closed).then(|| item.closed_on.unwrap_or(decided_on));
        patch.insert("closed_on".into(), json!(closed_on.map(|d| d.to_string())));
        if matches!(r.action, RectificationAction::Propose | RectificationAction::Confirm) && note.is_some() {
            patch.insert("evidence".into(), json!(note));
        }
        self.write_all(&[
            WriteOp::Create(Entity::RectificationReview, review.id, fields),
            WriteOp::Update(Entity::Rectification, item.id, patch),
        ])?;
        Ok(review.id)
    }

    /// The 销号 steps of an item, oldest first. A step the server refused in part arrives incomplete and
    /// is not shown.
    pub fn reviews_of(&self, item: Uuid) -> Result<Vec<RectificationReview>> {
        self.list(
            "rectification_id = ?1 AND action IS NOT NULL AND decided_on IS NOT NULL AND actor IS NOT NULL \
             AND recorded_at IS NOT NULL",
            "decided_on, recorded_at, id",
            &[&crate::sql::uuid_blob(item)],
        )
    }

    /// The 整改台账 of a village with household names, overdue marks and the steps this device may take;
    /// open items first, soonest deadline first.
    pub fn problem_ledger(&self, village: Uuid, open_only: bool, today: NaiveDate) -> Result<Vec<ProblemItem>> {
        let role = self.role()?;
        let mut out = Vec::new();
        for item in self.rectifications(village, open_only)? {
            out.push(self.problem_item(item, today, role)?);
        }
        out.sort_by_key(|p| (p.item.status == RectificationStatus::Closed, p.item.deadline));
        Ok(out)
    }

    fn problem_item(&self, item: Rectification, today: NaiveDate, role: Role) -> Result<ProblemItem> {
        let h = match item.household_id {
            Some(h) => self.household(h)?,
            None => None,
        };
        Ok(ProblemItem {
            overdue: rectification::overdue(item.status, item.deadline, today),
            village_name: self.get::<zoufang_model::Village>(item.village_id)?.map(|v| v.name),
            household_name: h.as_ref().map(|h| h.head_name.clone()),
            household_no: h.map(|h| h.household_no),
            issuer: Issuer::of(item.source),
            issuer_label: Issuer::of(item.source).label().to_string(),
            reviews: self.reviews_of(item.id)?,
            actions: actions(role, &item),
            may_mark: RectificationStatus::ALL
                .iter()
                .any(|to| *to != item.status && direct_status(role, item.status, *to)),
            item,
        })
    }

    /// The closed items of every village this device holds to re-check now so that the share is met;
    /// an item counts as re-checked when its last step is a passed re-check.
    pub fn recheck_plan(&self, today: NaiveDate) -> Result<RecheckPlan> {
        let role = self.role()?;
        let closed: Vec<Rectification> =
            self.list("status = ?1 AND deleted = 0", "id", &[&RectificationStatus::Closed.ident()])?;
        let mut flagged = Vec::with_capacity(closed.len());
        for item in &closed {
            let last = match item.review {
                Some(r) => self.get::<RectificationReview>(r)?,
                None => None,
            };
            flagged.push((item.id, last.is_some_and(|r| r.action == RectificationAction::RecheckPassed)));
        }
        let percent = self.county_settings()?.recheck_percent();
        let sample = rectification::recheck_sample(&flagged, percent);
        let mut due = Vec::with_capacity(sample.len());
        for item in closed.into_iter().filter(|i| sample.contains(&i.id)) {
            due.push(self.problem_item(item, today, role)?);
        }
        Ok(RecheckPlan {
            percent,
            closed: flagged.len() as u32,
            rechecked: flagged.iter().filter(|(_, r)| *r).count() as u32,
            due,
        })
    }
}

/// The steps devices of `role` may take on `item` now (the buttons the ledger shows).
fn actions(role: Role, item: &Rectification) -> Vec<RectificationAction> {
    RectificationAction::ALL
        .iter()
        .copied()
        .filter(|a| may_act(role, item.source, *a))
        .filter(|a| rectification::transition(item.source, *a, item.status).is_ok())
        .collect()
}

/// Whether a delete or restore of a rectification item by `role` is the issuer's.
pub(crate) fn may_withdraw(role: Role, current: &Map<String, Value>) -> bool {
    current
        .get("source")
        .and_then(Value::as_str)
        .and_then(RectificationSource::parse)
        .is_none_or(|s| may_edit(role, s, DELETED))
}
