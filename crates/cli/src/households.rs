//! The households this device holds: list the villages and households, show one, change its fields,
//! record a visit.
//!
//! Rules, and why:
//! - Everything here works offline: it reads and writes the device database only; what is written
//!   goes up with the next `sync`, like the app's own edits.
//! - Writes go through the store's generic field writes (`update`, `create_fields`), so the field
//!   rules, the change log and conflict detection are the app's, not this command line's own.
//! - A household is named by its id or its 户编号 (`input::find_household`).
//! - 户状态 changes only by a procedure (`change-status`: 返贫, or a county correction); `edit` refuses it.

use crate::context::Ctx;
use crate::input::{field_value, find_household, find_village, unmet_needs};
use anyhow::{anyhow, bail, Result};
use clap::{Args, Subcommand};
use serde::Serialize;
use serde_json::{json, Map};
use uuid::Uuid;
use zoufang_model::{
    Entity, HandbookEntry, Household, HouseholdStatus, Member, MemberChangeKind, Satisfaction, StatusProcedure, Visit,
    VisitKind,
};
use zoufang_store::{HouseholdQuery, NewStatusChange, Store};

#[derive(Subcommand)]
pub enum Cmd {
    /// Villages on this device.
    Villages,
    /// Flag a village as a 贫困村 (督查 must cover every one in the year), or clear it with --off. The
    /// county office's devices set it; a village tablet's change is refused by the server.
    PoorVillage {
        /// Village id or 12-digit 区划代码.
        village: String,
        #[arg(long)]
        off: bool,
    },
    /// Set where a village's committee is and the radius a check-in counts as in the village (county
    /// office; a village tablet's change is refused by the server).
    VillageLocation {
        /// Village id or 12-digit 区划代码.
        village: String,
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        /// Metres (50–20,000).
        #[arg(long)]
        radius: i64,
    },
    /// List households, with search and filters.
    Households(HouseholdsArgs),
    /// One household: members, visits, handbook.
    Show {
        /// Household id or 户编号.
        household: String,
    },
    /// Change household fields: --set field=value (value as JSON, or plain text).
    Edit {
        household: String,
        #[arg(long = "set", required = true)]
        set: Vec<String>,
    },
    /// Record a visit to a household.
    Visit(VisitArgs),
    /// Change a household's 户状态 by its procedure: register a 返贫 (relapse), or, on a county office's
    /// device, correct it (correction). The status is never edited directly; 脱贫退出 is the exit procedure's.
    ChangeStatus(StatusArgs),
    /// A member joins (birth, marriage_in, move_in: with --name and --relation) or leaves (death,
    /// marriage_out, move_out: with --member and --evidence). Members are never deleted.
    MemberChange(MemberChangeArgs),
}

#[derive(Args)]
pub struct MemberChangeArgs {
    /// Household id or 户编号.
    household: String,
    /// birth | marriage_in | move_in | death | marriage_out | move_out (or 出生 …).
    #[arg(long)]
    kind: String,
    /// Who leaves: the member's name or id.
    #[arg(long)]
    member: Option<String>,
    /// A joining member's name and relation to the head (child, spouse … or 之子 …).
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    relation: Option<String>,
    #[arg(long)]
    evidence: Option<String>,
    #[arg(long)]
    by: String,
    #[arg(long)]
    date: Option<String>,
}

#[derive(Args)]
pub struct StatusArgs {
    household: String,
    /// relapse (返贫) | correction (县级纠错)
    #[arg(long)]
    procedure: String,
    /// The new status (a correction's; a 返贫 is always 返贫).
    #[arg(long)]
    to: Option<String>,
    /// Why: 返贫原因, or the correction's reason.
    #[arg(long)]
    reason: Option<String>,
    /// What it rests on (入户核实情况, 收入测算 …); a 返贫 needs it.
    #[arg(long)]
    evidence: Option<String>,
    /// Who decided or recorded it.
    #[arg(long)]
    actor: String,
    /// YYYY-MM-DD; today if omitted.
    #[arg(long)]
    date: Option<String>,
}

#[derive(Args)]
pub struct HouseholdsArgs {
    #[arg(long)]
    village: Option<Uuid>,
    /// Part of a name, a 户编号 or a 身份证号.
    #[arg(long, short)]
    search: Option<String>,
    /// poor | exited | returned | marginal | monitored | stable (or 未脱贫 …)
    #[arg(long)]
    status: Option<String>,
    #[arg(long)]
    not_visited_this_month: bool,
    /// Only households with an open rectification item (未整改问题).
    #[arg(long)]
    open_problems: bool,
    /// Only households whose 一户一档 lacks a required document or has pages not uploaded yet.
    #[arg(long)]
    missing_archive: bool,
    #[arg(long, default_value_t = 50)]
    limit: u32,
}

#[derive(Args)]
pub struct VisitArgs {
    household: String,
    /// routine (日常走访) | secretary_tour (书记遍访) | recheck (回头看)
    #[arg(long, default_value = "routine")]
    kind: String,
    /// YYYY-MM-DD; today if omitted.
    #[arg(long)]
    date: Option<String>,
    /// Who visited (the household's 帮扶责任人 with `--helper`).
    #[arg(long, required_unless_present = "helper")]
    visitor: Option<String>,
    /// The visitor is the household's 帮扶责任人 from the register: the visit counts for their visit
    /// frequency (`zoufang-cli helpers`).
    #[arg(long)]
    helper: bool,
    /// An unmet item and what was found: housing:屋顶漏雨 (food, clothing, education, medical, housing, water).
    #[arg(long)]
    unmet: Vec<String>,
    /// satisfied | basic | dissatisfied
    #[arg(long)]
    satisfaction: Option<String>,
    #[arg(long)]
    population: Option<i64>,
    #[arg(long)]
    notes: Option<String>,
}

pub fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    let mut store = ctx.open()?;
    match cmd {
        Cmd::Villages => villages(ctx, &store),
        Cmd::PoorVillage { village, off } => poor_village(ctx, &mut store, &village, !off),
        Cmd::VillageLocation { village, lat, lon, radius } => {
            village_location(ctx, &mut store, &village, lat, lon, radius)
        }
        Cmd::Households(args) => households(ctx, &store, args),
        Cmd::Show { household } => show(ctx, &store, &household),
        Cmd::Edit { household, set } => edit(ctx, &mut store, &household, &set),
        Cmd::Visit(args) => visit(ctx, &mut store, args),
        Cmd::ChangeStatus(args) => change_status(ctx, &mut store, args),
        Cmd::MemberChange(args) => member_change(ctx, &mut store, args),
    }
}

fn villages(ctx: &Ctx, store: &Store) -> Result<()> {
    ctx.out(&store.villages()?, |vs| {
        vs.iter()
            .map(|v| {
                let flag = if v.poor_village == Some(true) { "  贫困村" } else { "" };
                format!("{}  {}  {} {}{flag}", v.id, v.code, v.township, v.name)
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// What `poor-village` set.
#[derive(Serialize)]
struct PoorVillageSet {
    village: Uuid,
    poor_village: bool,
}

/// What `village-location` set.
#[derive(Serialize)]
struct LocationSet {
    village: Uuid,
    lat: f64,
    lon: f64,
    radius_m: i64,
}

fn village_location(ctx: &Ctx, store: &mut Store, village: &str, lat: f64, lon: f64, radius_m: i64) -> Result<()> {
    let v = find_village(store, village)?;
    let patch = [("lat", json!(lat)), ("lon", json!(lon)), ("radius_m", json!(radius_m))];
    store.update(Entity::Village, v.id, &patch.into_iter().map(|(k, v)| (k.to_string(), v)).collect())?;
    ctx.out(&LocationSet { village: v.id, lat, lon, radius_m }, |l| {
        format!("{}：村委会位置 {:.5}, {:.5}，签到范围 {} 米", v.name, l.lat, l.lon, l.radius_m)
    })
}

fn poor_village(ctx: &Ctx, store: &mut Store, village: &str, flag: bool) -> Result<()> {
    let v = find_village(store, village)?;
    let value = if flag { json!(true) } else { serde_json::Value::Null };
    store.update(Entity::Village, v.id, &[("poor_village".to_string(), value)].into_iter().collect())?;
    ctx.out(&PoorVillageSet { village: v.id, poor_village: flag }, |p| {
        format!("{} {}", v.name, if p.poor_village { "已标为贫困村" } else { "已取消贫困村标记" })
    })
}

fn households(ctx: &Ctx, store: &Store, args: HouseholdsArgs) -> Result<()> {
    let HouseholdsArgs { village, search, status, not_visited_this_month, open_problems, missing_archive, limit } =
        args;
    let status = status.map(|s| HouseholdStatus::parse(&s).ok_or_else(|| anyhow!("未知户状态 {s}"))).transpose()?;
    let today = chrono::Local::now().date_naive();
    let q = HouseholdQuery {
        village,
        text: search,
        status,
        not_visited_since: not_visited_this_month.then(|| chrono::Datelike::with_day(&today, 1)).flatten(),
        open_problems,
        missing_archive,
        limit: Some(limit),
        offset: None,
    };
    ctx.out(&store.households(&q)?, |hs| {
        let mut lines: Vec<String> = hs
            .iter()
            .map(|h| {
                format!(
                    "{}  {}  {}  {}  {}人  上次走访 {}  未整改 {}",
                    h.household_no.as_deref().unwrap_or("-"),
                    h.head_name.as_deref().unwrap_or("-"),
                    h.status.map(|s| s.label()).unwrap_or("-"),
                    h.group_name.as_deref().unwrap_or(""),
                    h.members,
                    h.last_visit.as_deref().unwrap_or("无"),
                    h.open_problems
                )
            })
            .collect();
        lines.push(format!("共 {} 户", hs.len()));
        lines.join("\n")
    })
}

/// One household with what was recorded about it (`show`).
#[derive(Serialize)]
struct Shown {
    household: Household,
    members: Vec<Member>,
    /// Newest first.
    visits: Vec<Visit>,
    handbook: Vec<HandbookEntry>,
}

fn show(ctx: &Ctx, store: &Store, household: &str) -> Result<()> {
    let h = find_household(store, household)?;
    let shown = Shown {
        members: store.members_of(h.id)?,
        visits: store.visits_of(h.id)?,
        handbook: store.handbook_of(h.id)?,
        household: h,
    };
    ctx.out(&shown, shown_text)
}

/// The household, its members and its last five visits.
fn shown_text(s: &Shown) -> String {
    let h = &s.household;
    let mut t = format!(
        "{} 户主 {}（{}，{}）\n致贫原因：{}\n帮扶责任人：{}\n成员：",
        h.household_no,
        h.head_name,
        h.status.label(),
        h.attribute.label(),
        h.poverty_causes.iter().map(|c| c.label()).collect::<Vec<_>>().join("、"),
        h.helper_name.clone().unwrap_or_default()
    );
    for m in &s.members {
        t.push_str(&format!(
            "\n  {} {} {}",
            m.name,
            m.relation.label(),
            m.id_number.as_ref().map(|i| i.masked()).unwrap_or_default()
        ));
    }
    t.push_str("\n走访：");
    for v in s.visits.iter().take(5) {
        let unmet: Vec<&str> = v.basic_needs.unmet().iter().map(|n| n.label()).collect();
        t.push_str(&format!(
            "\n  {} {} {} {}",
            v.visited_on,
            v.kind.label(),
            v.visitor,
            if unmet.is_empty() {
                "两不愁三保障均达标".to_string()
            } else {
                format!("未达标：{}", unmet.join("、"))
            }
        ));
    }
    t
}

/// What `edit` changed.
#[derive(Serialize)]
struct Edited {
    household: Uuid,
    /// Fields whose value changed (setting a field to the value it has is no change).
    changed: usize,
}

fn edit(ctx: &Ctx, store: &mut Store, household: &str, set: &[String]) -> Result<()> {
    let h = find_household(store, household)?;
    let mut patch = Map::new();
    for kv in set {
        let (k, v) = kv.split_once('=').ok_or_else(|| anyhow!("--set 应写作 字段=值，实际为 {kv}"))?;
        patch.insert(k.trim().to_string(), field_value(Entity::Household, k.trim(), v));
    }
    let changed = store.update(Entity::Household, h.id, &patch)?;
    ctx.out(&Edited { household: h.id, changed }, |e| format!("已修改 {} 个字段", e.changed))
}

/// The status change `change-status` recorded.
#[derive(Serialize)]
struct StatusChanged {
    household: Uuid,
    status_change: Uuid,
    status: HouseholdStatus,
}

fn change_status(ctx: &Ctx, store: &mut Store, args: StatusArgs) -> Result<()> {
    let StatusArgs { household, procedure, to, reason, evidence, actor, date } = args;
    let h = find_household(store, &household)?;
    let procedure =
        StatusProcedure::parse(&procedure).ok_or_else(|| anyhow!("未知程序 {procedure}（relapse 或 correction）"))?;
    let to_status = match (procedure, to) {
        (_, Some(t)) => HouseholdStatus::parse(&t).ok_or_else(|| anyhow!("未知户状态 {t}"))?,
        (StatusProcedure::Relapse, None) => HouseholdStatus::Returned,
        (_, None) => return Err(anyhow!("县级纠错须用 --to 写明更正后的户状态")),
    };
    let change = NewStatusChange {
        household_id: h.id,
        procedure,
        to_status,
        decided_on: date.unwrap_or_else(|| chrono::Local::now().date_naive().to_string()),
        actor,
        reason,
        evidence,
    };
    let id = store.record_status_change(&change)?;
    ctx.out(&StatusChanged { household: h.id, status_change: id, status: to_status }, |c| {
        format!("已登记：户状态变为「{}」（变更记录 {}）", c.status.label(), c.status_change)
    })
}

/// What `member-change` recorded.
#[derive(Serialize)]
struct MemberChanged {
    member_change: Uuid,
    kind: MemberChangeKind,
}

fn member_change(ctx: &Ctx, store: &mut Store, args: MemberChangeArgs) -> Result<()> {
    let MemberChangeArgs { household, kind, member, name, relation, evidence, by, date } = args;
    let h = find_household(store, &household)?;
    let kind = MemberChangeKind::parse(&kind).ok_or_else(|| anyhow!("未知成员变动 {kind}"))?;
    let (member_id, fields) = if kind.joins() {
        let name = name.ok_or_else(|| anyhow!("加入的成员须用 --name 写明姓名"))?;
        let relation = relation.ok_or_else(|| anyhow!("加入的成员须用 --relation 写明与户主关系"))?;
        let rel = zoufang_model::Relation::parse(&relation).ok_or_else(|| anyhow!("未知的与户主关系 {relation}"))?;
        (
            None,
            Some(
                [("name".to_string(), json!(name)), ("relation".to_string(), json!(rel.ident()))].into_iter().collect(),
            ),
        )
    } else {
        let key = member.ok_or_else(|| anyhow!("离开的成员须用 --member 写明姓名"))?;
        let m = store
            .members_of(h.id)?
            .into_iter()
            .find(|m| m.left_on.is_none() && (m.name == key.trim() || m.id.to_string() == key.trim()))
            .ok_or_else(|| anyhow!("该户没有在户成员 {key}"))?;
        (Some(m.id), None)
    };
    let change = zoufang_store::NewMemberChange {
        household_id: h.id,
        kind,
        changed_on: date.unwrap_or_else(|| chrono::Local::now().date_naive().to_string()),
        actor: by,
        evidence,
        member_id,
        member: fields,
    };
    let id = store.record_member_change(&change)?;
    ctx.out(&MemberChanged { member_change: id, kind }, |c| format!("已登记成员变动：{}", c.kind.label()))
}

/// The visit `visit` recorded.
#[derive(Serialize)]
struct VisitRecorded {
    visit: Uuid,
}

fn visit(ctx: &Ctx, store: &mut Store, args: VisitArgs) -> Result<()> {
    let VisitArgs { household, kind, date, visitor, helper, unmet, satisfaction, population, notes } = args;
    let h = find_household(store, &household)?;
    let helper = match (helper, h.helper_id) {
        (false, _) => None,
        (true, Some(id)) => {
            Some(store.get::<zoufang_model::Helper>(id)?.ok_or_else(|| anyhow!("该户的帮扶责任人已不在名册中"))?)
        }
        (true, None) => bail!("{} 户没有名册中的帮扶责任人（先用 zoufang-cli helper-assign 指定）", h.household_no),
    };
    let visitor = visitor.or_else(|| helper.as_ref().map(|x| x.name.clone())).unwrap_or_default();
    let needs = unmet_needs(&unmet)?;
    // The record's fields as the store's generic write takes them; unknown words are written as typed
    // and refused there.
    let mut fields = Map::new();
    fields.insert("household_id".into(), json!(h.id));
    fields.insert("kind".into(), json!(VisitKind::parse(&kind).map(|k| k.ident()).unwrap_or(&kind)));
    fields.insert("visited_on".into(), json!(date.unwrap_or_else(|| chrono::Local::now().date_naive().to_string())));
    fields.insert("visitor".into(), json!(visitor));
    if let Some(x) = &helper {
        fields.insert("helper_id".into(), json!(x.id));
    }
    fields.insert("basic_needs".into(), serde_json::to_value(&needs)?);
    if let Some(s) = satisfaction {
        fields.insert("satisfaction".into(), json!(Satisfaction::parse(&s).map(|k| k.ident()).unwrap_or(&s)));
    }
    if let Some(p) = population {
        fields.insert("actual_population".into(), json!(p));
    }
    if let Some(n) = notes {
        fields.insert("notes".into(), json!(n));
    }
    let id = Uuid::now_v7();
    store.create_fields(Entity::Visit, id, &fields)?;
    ctx.out(&VisitRecorded { visit: id }, |v| format!("已记录走访 {}", v.visit))
}
