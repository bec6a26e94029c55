//! `zoufang-cli`: the device store and sync from the command line, for office staff, scripts and tests.
//! Every command works offline except `init`, `sync` and the office commands `enrol-code` and `user-add`.
//!
//! One module per group of commands, each with its own arguments and a `run(ctx, cmd)`; `context`
//! holds what every command is given (the database, `--json`), `secrets` what is asked for (unlock
//! secret, passwords, passphrases), `input` what arguments name (households, needs, field values).
//!
//! Rules, and why:
//! - The command line is an interface: scripts, the operator guide and the scenario tests call it, so
//!   the commands stay flat (`zoufang-cli visit`, not `zoufang-cli households visit`) and their names,
//!   arguments, defaults, environment variables and help texts do not change when code moves between
//!   modules. `--help` lists the commands group by group, in the order of `Cmd`.
//! - `--json` prints a typed value (`Ctx::out`): a store, client or office type when it has the shape,
//!   else a small `Serialize` struct beside the command. Scripts read its keys and their value types,
//!   so those stay as they are; keys print in the struct's order (parse the JSON, don't match bytes).
//! - Errors go to stderr as `错误：…` with exit status 1.

mod archive;
mod context;
mod enrolment;
mod helpers;
mod households;
mod input;
mod inspections;
mod problems;
mod reports;
mod roster;
mod secrets;
mod settings;
mod setup;
mod sync;

use anyhow::Result;
use clap::{Parser, Subcommand};
use context::Ctx;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "zoufang-cli", version, about = "走访 device database and sync, from the command line")]
struct Cli {
    /// The device database (created if missing), encrypted with the unlock secret from ZOUFANG_UNLOCK
    /// (asked for on a terminal when unset).
    #[arg(long, global = true, default_value = "data/device.db", env = "ZOUFANG_DEVICE_DB")]
    db: PathBuf,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

// Each group's commands sit at the top level of the command line (flattened); `--help` lists the groups
// in this order, from setting a device up, through the field work, to the office's and the county's.
#[derive(Subcommand)]
enum Cmd {
    #[command(flatten)]
    Setup(setup::Cmd),
    #[command(flatten)]
    Households(households::Cmd),
    #[command(flatten)]
    Helpers(helpers::Cmd),
    #[command(flatten)]
    Archive(archive::Cmd),
    #[command(flatten)]
    Sync(sync::Cmd),
    #[command(flatten)]
    Roster(roster::Cmd),
    #[command(flatten)]
    Problems(problems::Cmd),
    #[command(flatten)]
    Reports(reports::Cmd),
    #[command(flatten)]
    Settings(settings::Cmd),
    #[command(flatten)]
    Enrolment(enrolment::Cmd),
    #[command(flatten)]
    Inspections(inspections::Cmd),
}

fn main() {
    if let Err(e) = run() {
        eprintln!("错误：{e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let cli = Cli::parse();
    let ctx = Ctx { db: cli.db, json: cli.json };
    match cli.cmd {
        Cmd::Setup(cmd) => setup::run(&ctx, cmd),
        Cmd::Households(cmd) => households::run(&ctx, cmd),
        Cmd::Helpers(cmd) => helpers::run(&ctx, cmd),
        Cmd::Archive(cmd) => archive::run(&ctx, cmd),
        Cmd::Sync(cmd) => sync::run(&ctx, cmd),
        Cmd::Roster(cmd) => roster::run(&ctx, cmd),
        Cmd::Problems(cmd) => problems::run(&ctx, cmd),
        Cmd::Reports(cmd) => reports::run(&ctx, cmd),
        Cmd::Settings(cmd) => settings::run(&ctx, cmd),
        Cmd::Enrolment(cmd) => enrolment::run(&ctx, cmd),
        Cmd::Inspections(cmd) => inspections::run(&ctx, cmd),
    }
}
