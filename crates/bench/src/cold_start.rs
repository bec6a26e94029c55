//! Cold start of the app measured alone: the end-to-end test that opens the real window (Xvfb,
//! tauri-driver, WebKitGTK), unlocks the encrypted database and waits for the first household row, run
//! in a process of its own with no other test beside it — for a village tablet with 5,000 households
//! and a county office's device holding the whole county (30,000). `make test` prints the same figure
//! taken beside the other end-to-end tests.

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::Command;

pub fn run(quick: bool) -> Result<()> {
    let sizes = if quick { "5000" } else { "5000,30000" };
    println!("\n## Cold start of the app to an interactive household list, alone ({sizes} households)");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(env!("CARGO"))
        .args(["test", "-p", "zoufang-app", "--test", "e2e", "cold_start", "--", "--exact"])
        .arg("cold_start_with_5000_households")
        .args(["--nocapture", "--test-threads=1"])
        .env("ZOUFANG_COLD_START", sizes)
        .current_dir(&root)
        .output()
        .context("running the app's end-to-end cold start")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let figures: Vec<&str> = text.lines().filter(|l| l.starts_with("cold start")).collect();
    if !out.status.success() || figures.is_empty() {
        bail!("the cold start test failed:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
    }
    for line in figures {
        println!("  {line} (goal ≤ 1 s for 5,000)");
    }
    Ok(())
}
