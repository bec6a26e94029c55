//! The 帮扶责任人 register and the helpers' visit frequency: listing the register with each helper's
//! figures and the households they are late for, adding a helper, naming a household's helper, and
//! building the register from the names typed on households (after a roster import).
//!
//! Rules, and why:
//! - A household names a helper of its own village's register; the store copies the register's name
//!   and phone onto it, so the handbook and exports show the same person.
//! - Only visits that name the helper count (`zoufang-cli visit … --helper`): a typed name is not a
//!   person, so frequency is never guessed from names.
//! - The interval is the county's setting `helper_visit_days` (`zoufang-cli settings`).

use crate::context::Ctx;
use crate::input::{find_household, find_village};
use anyhow::{anyhow, Result};
use clap::Subcommand;
use serde::Serialize;
use uuid::Uuid;
use zoufang_store::{HelperReport, NewHelper, Store};

#[derive(Subcommand)]
pub enum Cmd {
    /// The 帮扶责任人 register with each helper's visit frequency over the county's interval, and the
    /// households each is late for.
    Helpers {
        /// Village id or 12-digit code (all villages on this device if omitted).
        #[arg(long)]
        village: Option<String>,
        /// YYYY-MM-DD; today if omitted.
        #[arg(long)]
        date: Option<String>,
    },
    /// Add a 帮扶责任人 to a village's register; prints their id.
    HelperAdd {
        /// Village id or 12-digit code.
        #[arg(long)]
        village: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        phone: Option<String>,
        /// 工作单位
        #[arg(long)]
        unit: Option<String>,
        /// 职务
        #[arg(long)]
        post: Option<String>,
    },
    /// Name a household's 帮扶责任人 from the register (by id, or by name when one helper of the village
    /// has it), or `--none` to unlink.
    HelperAssign {
        /// Household id or 户编号.
        household: String,
        #[arg(required_unless_present = "none")]
        helper: Option<String>,
        #[arg(long)]
        none: bool,
    },
    /// Build the register from the 帮扶责任人 names typed on households (one helper per village, name
    /// and phone) and link those households.
    HelpersLink {
        /// Village id or 12-digit code (all villages on this device if omitted).
        #[arg(long)]
        village: Option<String>,
    },
}

pub fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    let mut store = ctx.open()?;
    let village = |store: &Store, key: Option<String>| -> Result<Option<Uuid>> {
        key.map(|k| find_village(store, &k).map(|v| v.id)).transpose()
    };
    match cmd {
        Cmd::Helpers { village: key, date } => {
            let today = match date {
                Some(d) => chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .map_err(|_| anyhow!("日期应为 YYYY-MM-DD：{d}"))?,
                None => chrono::Local::now().date_naive(),
            };
            let v = village(&store, key)?;
            ctx.out(&store.helper_report(v, today)?, report_text)
        }
        Cmd::HelperAdd { village: key, name, phone, unit, post } => {
            let v = find_village(&store, &key)?;
            let id = store.add_helper(&NewHelper { village_id: v.id, name: name.clone(), phone, unit, post })?;
            ctx.out(&HelperAdded { helper: id }, |_| format!("已将 {name} 加入{}的帮扶责任人名册：{id}", v.name))
        }
        Cmd::HelperAssign { household, helper, none } => {
            let h = find_household(&store, &household)?;
            let helper = match (none, helper) {
                (true, _) | (false, None) => None,
                (false, Some(key)) => Some(find_helper(&store, h.village_id, &key)?),
            };
            store.assign_helper(h.id, helper)?;
            let now = store.household(h.id)?.ok_or_else(|| anyhow!("找不到户 {household}"))?;
            ctx.out(&now, |n| match (n.helper_id, &n.helper_name) {
                (Some(_), Some(name)) => format!("{} 户的帮扶责任人：{name}", n.household_no),
                _ => format!("{} 户已不再关联名册中的帮扶责任人", n.household_no),
            })
        }
        Cmd::HelpersLink { village: key } => {
            let v = village(&store, key)?;
            let done = store.link_helpers(v)?;
            ctx.out(&done, |d| format!("新建帮扶责任人 {} 名，关联 {} 户", d.created, d.linked))
        }
    }
}

/// The helper `helper-add` added.
#[derive(Serialize)]
struct HelperAdded {
    helper: Uuid,
}

/// A helper of `village` by id, or by a name only one helper there has.
fn find_helper(store: &Store, village: Uuid, key: &str) -> Result<Uuid> {
    let register = store.helpers(Some(village))?;
    if let Some(h) = register.iter().find(|h| h.id.to_string() == key.trim()) {
        return Ok(h.id);
    }
    let named: Vec<_> = register.iter().filter(|h| h.name == key.trim()).collect();
    match named.as_slice() {
        [one] => Ok(one.id),
        [] => Err(anyhow!("该村名册中没有帮扶责任人 {key}（zoufang-cli helpers 查看名册）")),
        _ => Err(anyhow!("该村名册中有 {} 名 {key}，请用编号指定", named.len())),
    }
}

fn report_text(r: &HelperReport) -> String {
    let mut s = format!(
        "帮扶责任人走访（每 {} 天至少一次，截至 {}）：{} 名，{} 户中 {} 户按时走访，{} 户逾期\n",
        r.every_days,
        r.today,
        r.helpers.len(),
        r.total.households,
        r.total.visited,
        r.total.overdue()
    );
    for l in &r.helpers {
        s += &format!(
            "  {}（{}{}）：{} 户，按时 {} 户，近 {} 天走访 {} 次{}\n",
            l.helper.name,
            l.village_name,
            l.helper.unit.as_deref().map(|u| format!("，{u}")).unwrap_or_default(),
            l.frequency.households,
            l.frequency.visited,
            r.every_days,
            l.frequency.visits,
            if l.overdue.is_empty() { String::new() } else { format!("，逾期 {} 户", l.overdue.len()) }
        );
        for h in &l.overdue {
            s += &format!(
                "      {} {}：{}\n",
                h.household_no,
                h.head_name,
                match (h.last_visit, h.due_on) {
                    (Some(last), Some(due)) => format!("上次 {last}，应于 {due} 前走访"),
                    _ => "从未走访".to_string(),
                }
            );
        }
    }
    if !r.unlinked.is_empty() {
        s += &format!(
            "未关联名册中帮扶责任人的户：{} 户（zoufang-cli helpers-link 或 helper-assign）\n",
            r.unlinked.len()
        );
        for h in r.unlinked.iter().take(20) {
            s += &format!("  {} {}（{}）\n", h.household_no, h.head_name, h.village_name);
        }
    }
    s
}
