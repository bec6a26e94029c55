//! `zoufang-cli`: the device store and sync from the command line, for office staff, scripts and tests.
//! Every command works offline except `init` and `sync`.

use anyhow::{anyhow, bail, Context, Result};
use clap::{Parser, Subcommand};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use uuid::Uuid;
use zoufang_client::{AutoEvent, AutoOptions};
use zoufang_model::*;
use zoufang_store::{HouseholdQuery, Store};

#[derive(Parser)]
#[command(name = "zoufang-cli", version, about = "走访 device database and sync, from the command line")]
struct Cli {
    /// The device database (created if missing).
    #[arg(long, global = true, default_value = "data/device.db", env = "ZOUFANG_DEVICE_DB")]
    db: PathBuf,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create the device database and enrol it with a server using a one-time code.
    Init {
        #[arg(long)]
        server: String,
        #[arg(long)]
        code: String,
        /// This device's name as the office will see it.
        #[arg(long, default_value = "走访平板")]
        name: String,
    },
    /// This device: enrolment, pending changes, conflicts, last sync.
    Status,
    /// Villages on this device.
    Villages,
    /// List households, with search and filters.
    Households {
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
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
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
    Visit {
        household: String,
        /// routine (日常走访) | secretary_tour (书记遍访) | recheck (回头看)
        #[arg(long, default_value = "routine")]
        kind: String,
        /// YYYY-MM-DD; today if omitted.
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        visitor: String,
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
    },
    /// Sync with the server now (or keep syncing with --watch).
    Sync {
        #[arg(long)]
        watch: bool,
        /// Seconds between syncs with --watch.
        #[arg(long, default_value_t = 60)]
        interval: u64,
    },
    /// Edit conflicts waiting for a decision (--all: resolved ones too).
    Conflicts {
        #[arg(long)]
        all: bool,
    },
    /// Resolve a conflict by picking one side (--pick 1, 2 …) or typing a value (--value JSON or text).
    Resolve {
        conflict: Uuid,
        #[arg(long)]
        pick: Option<usize>,
        #[arg(long)]
        value: Option<String>,
        #[arg(long, default_value = "")]
        by: String,
    },
    /// Changes the server refused.
    Quarantine,
    /// Give up a refused change; the field returns to its previous value.
    Discard { change: Uuid },
}

fn out<T: Serialize>(json: bool, value: &T, text: impl FnOnce(&T) -> String) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        println!("{}", text(value));
    }
    Ok(())
}

fn parse_value(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_string()))
}

/// A value typed on the command line for a field: text fields take it as written (a phone number is
/// not a number), the others parse it as JSON (numbers, true/false, lists).
fn field_value(entity: Entity, field: &str, raw: &str) -> Value {
    match entity.field(field).map(|d| d.kind.storage()) {
        Some(Storage::Text) if raw != "null" => Value::String(raw.to_string()),
        _ => parse_value(raw),
    }
}

fn find_household(store: &Store, key: &str) -> Result<Household> {
    if let Ok(id) = Uuid::parse_str(key) {
        return store.household(id)?.ok_or_else(|| anyhow!("找不到户 {key}"));
    }
    let hits = store.households(&HouseholdQuery { text: Some(key.into()), ..Default::default() })?;
    let exact: Vec<_> = hits.iter().filter(|h| h.household_no.as_deref() == Some(key)).collect();
    match exact.as_slice() {
        [h] => store.household(h.id)?.ok_or_else(|| anyhow!("找不到户 {key}")),
        [] => bail!("找不到户编号为 {key} 的户"),
        _ => bail!("户编号 {key} 对应多户，请用 id"),
    }
}

fn main() {
    if let Err(e) = run() {
        eprintln!("错误：{e:#}");
        std::process::exit(1);
    }
}

fn open(db: &std::path::Path) -> Result<Store> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    Store::open(db).with_context(|| format!("打开本机数据库 {} 失败", db.display()))
}

fn run() -> Result<()> {
    let cli = Cli::parse();
    let mut store = open(&cli.db)?;
    let json = cli.json;
    match cli.cmd {
        Cmd::Init { server, code, name } => {
            let e = zoufang_client::enrol(&mut store, &server, &code, &name)?;
            out(json, &json!({ "device_id": store.device_id(), "scope": e.scope, "server": e.server_url }), |_| {
                format!("本机已注册：设备 {}，范围 {}。运行 sync 同步数据。", store.device_id(), e.scope)
            })?;
        }
        Cmd::Status => {
            let e = store.enrolment()?;
            let v = json!({
                "device_id": store.device_id(),
                "server": e.as_ref().map(|e| e.server_url.clone()),
                "scope": e.as_ref().map(|e| e.scope.to_string()),
                "pending_changes": store.pending_changes()?,
                "quarantined": store.quarantined()?.len(),
                "open_conflicts": store.conflicts(Some(ConflictStatus::Open))?.len(),
                "last_sync": store.last_sync()?,
                "cursor": store.cursor()?,
            });
            out(json, &v, |v| {
                format!(
                    "设备 {}\n服务器 {}（范围 {}）\n待上传修改 {} 条，被拒收 {} 条，待处理冲突 {} 个\n上次同步 {}",
                    v["device_id"].as_str().unwrap_or(""),
                    v["server"].as_str().unwrap_or("未注册"),
                    v["scope"].as_str().unwrap_or("-"),
                    v["pending_changes"],
                    v["quarantined"],
                    v["open_conflicts"],
                    v["last_sync"].as_str().unwrap_or("从未"),
                )
            })?;
        }
        Cmd::Villages => {
            let vs = store.villages()?;
            out(json, &vs, |vs| {
                vs.iter()
                    .map(|v| format!("{}  {}  {} {}", v.id, v.code, v.township, v.name))
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        Cmd::Households { village, search, status, not_visited_this_month, limit } => {
            let status =
                status.map(|s| HouseholdStatus::parse(&s).ok_or_else(|| anyhow!("未知户状态 {s}"))).transpose()?;
            let today = chrono::Local::now().date_naive();
            let q = HouseholdQuery {
                village,
                text: search,
                status,
                not_visited_since: not_visited_this_month.then(|| chrono::Datelike::with_day(&today, 1)).flatten(),
                limit: Some(limit),
                offset: None,
            };
            let hs = store.households(&q)?;
            out(json, &hs, |hs| {
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
            })?;
        }
        Cmd::Show { household } => {
            let h = find_household(&store, &household)?;
            let v = json!({
                "household": h,
                "members": store.members_of(h.id)?,
                "visits": store.visits_of(h.id)?,
                "handbook": store.handbook_of(h.id)?,
            });
            out(json, &v, |_| {
                let mut s = format!(
                    "{} 户主 {}（{}，{}）\n致贫原因：{}\n帮扶责任人：{}\n成员：",
                    h.household_no,
                    h.head_name,
                    h.status.label(),
                    h.attribute.label(),
                    h.poverty_causes.iter().map(|c| c.label()).collect::<Vec<_>>().join("、"),
                    h.helper_name.clone().unwrap_or_default()
                );
                for m in store.members_of(h.id).unwrap_or_default() {
                    s.push_str(&format!(
                        "\n  {} {} {}",
                        m.name,
                        m.relation.label(),
                        m.id_number.map(|i| i.masked()).unwrap_or_default()
                    ));
                }
                s.push_str("\n走访：");
                for v in store.visits_of(h.id).unwrap_or_default().iter().take(5) {
                    let unmet: Vec<&str> = v.basic_needs.unmet().iter().map(|n| n.label()).collect();
                    s.push_str(&format!(
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
                s
            })?;
        }
        Cmd::Edit { household, set } => {
            let h = find_household(&store, &household)?;
            let mut patch = Map::new();
            for kv in set {
                let (k, v) = kv.split_once('=').ok_or_else(|| anyhow!("--set 应写作 字段=值，实际为 {kv}"))?;
                patch.insert(k.trim().to_string(), field_value(Entity::Household, k.trim(), v));
            }
            let n = store.update(Entity::Household, h.id, &patch)?;
            out(json, &json!({ "household": h.id, "changed": n }), |_| format!("已修改 {n} 个字段"))?;
        }
        Cmd::Visit { household, kind, date, visitor, unmet, satisfaction, population, notes } => {
            let h = find_household(&store, &household)?;
            let mut needs = BasicNeeds::default();
            for u in unmet {
                let (item, note) = u
                    .split_once(':')
                    .or_else(|| u.split_once('：'))
                    .ok_or_else(|| anyhow!("--unmet 应写作 项目:情况，如 housing:屋顶漏雨"))?;
                needs.set_unmet(BasicNeed::parse(item).ok_or_else(|| anyhow!("未知项目 {item}"))?, note);
            }
            let mut fields = Map::new();
            fields.insert("household_id".into(), json!(h.id));
            fields.insert("kind".into(), json!(VisitKind::parse(&kind).map(|k| k.ident()).unwrap_or(&kind)));
            fields.insert(
                "visited_on".into(),
                json!(date.unwrap_or_else(|| chrono::Local::now().date_naive().to_string())),
            );
            fields.insert("visitor".into(), json!(visitor));
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
            out(json, &json!({ "visit": id }), |_| format!("已记录走访 {id}"))?;
        }
        Cmd::Sync { watch, interval } => {
            if !watch {
                let r = zoufang_client::sync(&mut store)?;
                out(json, &r, |r| {
                    format!(
                        "同步完成：上传 {} 条（已生效 {}，被覆盖 {}，重复 {}，拒收 {}），新冲突 {}；下载 {} 条记录的 {} 个字段；用时 {} 毫秒",
                        r.pushed.applied + r.pushed.superseded + r.pushed.duplicate + r.pushed.rejected,
                        r.pushed.applied,
                        r.pushed.superseded,
                        r.pushed.duplicate,
                        r.pushed.rejected,
                        r.pushed.conflicts,
                        r.pulled.rows,
                        r.pulled.fields,
                        r.millis
                    )
                })?;
            } else {
                drop(store);
                let stop = AtomicBool::new(false);
                let opts = AutoOptions { interval: Duration::from_secs(interval.max(1)), ..Default::default() };
                zoufang_client::run_auto(&cli.db, opts, &stop, &mut |ev| match ev {
                    AutoEvent::Progress(_) => {}
                    AutoEvent::Synced(r) => println!(
                        "同步完成：上传 {} 条，下载 {} 个字段",
                        r.pushed.applied + r.pushed.superseded + r.pushed.duplicate,
                        r.pulled.fields
                    ),
                    AutoEvent::Retrying { error, wait } => eprintln!("同步失败：{error}；{} 秒后重试", wait.as_secs()),
                    AutoEvent::Stopped(e) => eprintln!("同步已停止：{e}"),
                });
            }
        }
        Cmd::Conflicts { all } => {
            let cs = store.conflicts(if all { None } else { Some(ConflictStatus::Open) })?;
            out(json, &cs, |cs| {
                let mut lines = Vec::new();
                for c in cs {
                    lines.push(format!(
                        "冲突 {}（{}）：{} {} 的「{}」",
                        c.id,
                        c.status.label(),
                        Entity::parse(&c.entity).map(|e| e.label()).unwrap_or(""),
                        c.row_id,
                        c.field
                    ));
                    for (i, cand) in c.candidates.iter().enumerate() {
                        let mark = if cand.change == c.winner { "（当前）" } else { "" };
                        lines.push(format!("  {}. {}  —— {} 于 {}{mark}", i + 1, cand.value, cand.author, cand.at));
                    }
                }
                if lines.is_empty() {
                    lines.push("没有待处理的冲突".into());
                }
                lines.join("\n")
            })?;
        }
        Cmd::Resolve { conflict, pick, value, by } => {
            let c = store.get::<Conflict>(conflict)?.ok_or_else(|| anyhow!("找不到冲突 {conflict}"))?;
            let choice = match (pick, value) {
                (Some(n), None) => {
                    let cand = c
                        .candidates
                        .get(n.wrapping_sub(1))
                        .ok_or_else(|| anyhow!("只有 {} 个取值可选", c.candidates.len()))?;
                    if c.field == DELETED {
                        // A delete/edit conflict: candidate 1 is the delete; picking an edit restores the record.
                        Value::Bool(cand.value == Value::Bool(true))
                    } else {
                        cand.value.clone()
                    }
                }
                (None, Some(v)) => match Entity::parse(&c.entity) {
                    Some(e) => field_value(e, &c.field, &v),
                    None => parse_value(&v),
                },
                _ => bail!("请用 --pick 选择一方，或用 --value 填写合并后的值"),
            };
            let by = if by.is_empty() {
                store.enrolment()?.map(|e| e.device_name).unwrap_or_else(|| "本机".into())
            } else {
                by
            };
            store.resolve_conflict(conflict, &choice, &by)?;
            out(json, &json!({ "conflict": conflict, "value": choice }), |_| {
                format!("冲突已处理，取值 {choice}；同步后各设备一致")
            })?;
        }
        Cmd::Quarantine => {
            let q = store.quarantined()?;
            out(json, &q, |q| {
                if q.is_empty() {
                    return "没有被拒收的修改".into();
                }
                q.iter()
                    .map(|c| {
                        format!("{}  {}.{} = {}  原因：{}", c.change, c.entity.ident(), c.field, c.value, c.reason)
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        Cmd::Discard { change } => {
            store.discard_quarantined(change)?;
            out(json, &json!({ "discarded": change }), |_| "已放弃该修改".into())?;
        }
    }
    Ok(())
}
