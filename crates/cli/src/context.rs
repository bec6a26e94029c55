//! What every command is given (`Ctx`): the device database's path and whether to print JSON, with
//! opening that database and printing a command's result.
//!
//! Rules, and why:
//! - A command opens the database before it does anything else, even before it checks its own
//!   arguments' values: a missing unlock secret or a wrong one is the first thing reported, whatever
//!   the command, and the database (with its directory) exists after any command, as scripts expect.
//! - A result goes to stdout through `out`: with `--json` the value itself, pretty-printed, else the
//!   text made from it, so both say the same. Prompts, progress and warnings go to stderr, so stdout
//!   stays one JSON document that scripts and tests parse.

use crate::secrets;
use anyhow::{Context, Result};
use serde::Serialize;
use std::path::PathBuf;
use zoufang_store::{DeviceKey, Store};

/// The global options, as every command sees them.
pub struct Ctx {
    /// The device database (created if missing).
    pub db: PathBuf,
    /// Print JSON instead of text.
    pub json: bool,
}

impl Ctx {
    /// The encrypted device database, unlocked with the unlock secret.
    pub fn open(&self) -> Result<Store> {
        Ok(self.open_with_key()?.0)
    }

    /// The encrypted device database and its key (the background sync opens its own connection with it).
    pub fn open_with_key(&self) -> Result<(Store, DeviceKey)> {
        let db = &self.db;
        if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let key = Store::unlock_key(db, &secrets::unlock_secret(db)?)?;
        let store = Store::open_with_key(db, &key).with_context(|| format!("打开本机数据库 {} 失败", db.display()))?;
        Ok((store, key))
    }

    /// Prints a command's result: `value` as JSON with `--json`, else `text` made from it.
    pub fn out<T: Serialize>(&self, value: &T, text: impl FnOnce(&T) -> String) -> Result<()> {
        if self.json {
            print_json(value)
        } else {
            println!("{}", text(value));
            Ok(())
        }
    }

    /// Prints `value` as JSON with `--json`, and nothing otherwise: for a command whose text went out
    /// line by line as it worked.
    pub fn out_json<T: Serialize>(&self, value: &T) -> Result<()> {
        if self.json {
            print_json(value)?;
        }
        Ok(())
    }
}

fn print_json<T: Serialize>(value: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
