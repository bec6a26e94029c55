//! The county office's settings (`zoufang_model::settings`): list them with their defaults and where
//! each default comes from, and (county office devices, online) set one. Every device of the county
//! receives them at its next sync.

use crate::context::Ctx;
use anyhow::Result;
use clap::Subcommand;
use zoufang_model::settings::{views, SettingView};

#[derive(Subcommand)]
pub enum Cmd {
    /// The county's settings in force on this device (as last synced), with their defaults.
    Settings,
    /// (County office, online) set one of the county's settings, e.g. `setting publicity_days 7`.
    Setting { key: String, value: i64 },
}

pub fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    let mut store = ctx.open()?;
    let settings = match cmd {
        Cmd::Settings => store.county_settings()?,
        Cmd::Setting { key, value } => zoufang_client::set_setting(&mut store, &key, value)?,
    };
    ctx.out(&views(&settings), |v| v.iter().map(line).collect::<Vec<_>>().join("\n"))
}

fn line(s: &SettingView) -> String {
    let how = if s.set { "县里设定" } else { "默认" };
    format!(
        "{}  {} {}（{how}；范围 {}–{}，默认 {}）  {}\n    默认值依据：{}",
        s.key, s.value, s.unit, s.min, s.max, s.default, s.label, s.source
    )
}
