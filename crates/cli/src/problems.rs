//! 问题整改台账 from the command line: list the items, issue one, take a 销号 step, and the county
//! office's re-check.
//!
//! Rules, and why: 销号 belongs to whoever issued an item (the county office for 督查暗访, 审计 and
//! 考核评估, the township for 乡镇督查, the village for what its visits and 自查 found). The village
//! proposes with what was done; the issuer confirms or sends it back; the county office re-checks a
//! share of closed items. The store checks each step against this device's role, and the server again.

use crate::context::Ctx;
use crate::input::{find_household, find_village};
use anyhow::{anyhow, bail, Result};
use clap::{Args, Subcommand};
use serde::Serialize;
use serde_json::{json, Map, Value};
use uuid::Uuid;
use zoufang_model::{Entity, RectificationAction, RectificationSource};
use zoufang_store::{NewReview, ProblemItem, RecheckPlan, Store};

#[derive(Subcommand)]
pub enum Cmd {
    /// The rectification items of every village on this device (or one), open ones first.
    Problems {
        /// Village id or 12-digit division code.
        #[arg(long)]
        village: Option<String>,
        /// Closed (销号) items too.
        #[arg(long)]
        all: bool,
    },
    /// Issue a rectification item: 乡镇督查 (township devices), 督查暗访 / 审计 / 考核评估 (county office),
    /// 自查 (village).
    ProblemAdd(AddArgs),
    /// Take a 销号 step on an item: propose (the village, with what was done), confirm or send_back (the
    /// issuer), recheck_passed or reopened (the county office's re-check).
    ProblemReview(ReviewArgs),
    /// (County office) the re-check: closed items to re-check now to meet the county's share (the
    /// setting recheck_percent).
    Recheck,
}

#[derive(Args)]
pub struct AddArgs {
    /// Village id or 12-digit division code.
    #[arg(long)]
    village: String,
    /// Source: township, inspection, audit, assessment, self_check (or its Chinese name).
    #[arg(long)]
    source: String,
    #[arg(long)]
    problem: String,
    /// `YYYY-MM-DD`.
    #[arg(long)]
    deadline: String,
    /// Household id or 户编号, when the item is about one household.
    #[arg(long)]
    household: Option<String>,
    #[arg(long)]
    responsible: Option<String>,
}

#[derive(Args)]
pub struct ReviewArgs {
    /// The item's id (or a unique beginning of it, at least 8 characters).
    item: String,
    /// propose, confirm, send_back, recheck_passed, reopened (or its Chinese name).
    action: String,
    /// What was done (propose), or why (send_back, reopened).
    #[arg(long)]
    note: Option<String>,
    #[arg(long)]
    by: String,
    #[arg(long)]
    date: Option<String>,
}

pub fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    let mut store = ctx.open()?;
    match cmd {
        Cmd::Problems { village, all } => problems(ctx, &store, village.as_deref(), all),
        Cmd::ProblemAdd(args) => add(ctx, &mut store, args),
        Cmd::ProblemReview(args) => review(ctx, &mut store, args),
        Cmd::Recheck => recheck(ctx, &store),
    }
}

fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

fn line(p: &ProblemItem) -> String {
    let who = p.household_name.as_deref().map_or("全村".to_string(), |h| h.to_string());
    let overdue = if p.overdue { "  逾期" } else { "" };
    let mut s = format!(
        "{}  {}  {}（{}，由{}确认）  {}  时限 {}{overdue}\n    {}\n",
        &p.item.id.to_string()[..8],
        p.village_name.as_deref().unwrap_or(""),
        who,
        p.item.source.label(),
        p.issuer_label,
        p.item.status.label(),
        p.item.deadline,
        p.item.problem
    );
    for r in &p.reviews {
        let note = r.note.as_deref().map(|n| format!("：{n}")).unwrap_or_default();
        s += &format!("    {} {} {}{note}\n", r.decided_on, r.actor, r.action.label());
    }
    if !p.actions.is_empty() {
        let names: Vec<&str> = p.actions.iter().map(|a| a.ident()).collect();
        s += &format!("    本机可办理：{}\n", names.join(", "));
    }
    s
}

fn problems(ctx: &Ctx, store: &Store, village: Option<&str>, all: bool) -> Result<()> {
    let villages = match village {
        Some(v) => vec![find_village(store, v)?.id],
        None => store.villages()?.into_iter().map(|v| v.id).collect(),
    };
    let mut items = Vec::new();
    for v in villages {
        items.extend(store.problem_ledger(v, !all, today())?);
    }
    ctx.out(&items, |items| {
        if items.is_empty() {
            return "没有待整改的问题".into();
        }
        items.iter().map(line).collect::<String>().trim_end().to_string()
    })
}

/// The item `add` issued.
#[derive(Serialize)]
struct Issued {
    rectification: Uuid,
}

fn add(ctx: &Ctx, store: &mut Store, args: AddArgs) -> Result<()> {
    let AddArgs { village, source, problem, deadline, household, responsible } = args;
    let source = RectificationSource::parse(&source).ok_or_else(|| anyhow!("未知问题来源 {source}"))?;
    let mut fields = Map::new();
    fields.insert("village_id".into(), json!(find_village(store, &village)?.id.to_string()));
    if let Some(h) = household {
        fields.insert("household_id".into(), json!(find_household(store, &h)?.id.to_string()));
    }
    fields.insert("source".into(), json!(source.ident()));
    fields.insert("problem".into(), json!(problem));
    fields.insert("deadline".into(), json!(deadline));
    fields.insert("status".into(), json!("open"));
    if let Some(r) = responsible {
        fields.insert("responsible".into(), Value::from(r));
    }
    let id = Uuid::now_v7();
    store.create_fields(Entity::Rectification, id, &fields)?;
    ctx.out(&Issued { rectification: id }, |i| format!("已下发整改问题 {}，同步后到村", i.rectification))
}

fn find_item(store: &Store, key: &str) -> Result<Uuid> {
    if let Ok(id) = Uuid::parse_str(key.trim()) {
        return Ok(id);
    }
    if key.trim().len() < 8 {
        bail!("请给出整改问题编号（至少前 8 位）");
    }
    let mut found = Vec::new();
    for v in store.villages()? {
        for p in store.problem_ledger(v.id, false, today())? {
            if p.item.id.to_string().starts_with(key.trim()) {
                found.push(p.item.id);
            }
        }
    }
    match found.as_slice() {
        [one] => Ok(*one),
        [] => bail!("本机没有编号以 {key} 开头的整改问题"),
        _ => bail!("编号 {key} 对应多条整改问题，请多给几位"),
    }
}

/// The step `problem-review` took.
#[derive(Serialize)]
struct Reviewed {
    rectification: Uuid,
    review: Uuid,
    action: RectificationAction,
}

fn review(ctx: &Ctx, store: &mut Store, args: ReviewArgs) -> Result<()> {
    let ReviewArgs { item, action, note, by, date } = args;
    let action = RectificationAction::parse(&action).ok_or_else(|| anyhow!("未知销号步骤 {action}"))?;
    let id = find_item(store, &item)?;
    let r = NewReview {
        rectification_id: id,
        action,
        decided_on: date.unwrap_or_else(|| today().to_string()),
        actor: by,
        note,
    };
    let review = store.review_problem(&r)?;
    ctx.out(&Reviewed { rectification: id, review, action }, |r| format!("已办理「{}」", r.action.label()))
}

fn recheck(ctx: &Ctx, store: &Store) -> Result<()> {
    let plan = store.recheck_plan(today())?;
    ctx.out(&plan, |p: &RecheckPlan| {
        let mut s = format!(
            "复核比例 {}%：已销号 {} 项，已复核 {} 项，还需复核 {} 项\n",
            p.percent,
            p.closed,
            p.rechecked,
            p.due.len()
        );
        s += &p.due.iter().map(line).collect::<String>();
        s.trim_end().to_string()
    })
}
