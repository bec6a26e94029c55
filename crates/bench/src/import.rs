//! Roster import: a generated 30,000-household register roster (about 100,000 member rows, deliberate
//! errors) and three malformed sheets, each imported in a process of its own so that its peak memory is
//! its own. Goals (issue 19): ≤ 20 s and ≤ 150 MB for the roster, memory independent of the size a
//! sheet claims. Baseline in the same run: the previous reader, which laid the sheet's whole used range
//! out in memory (calamine's `worksheet_range`), on the same files.

use crate::{peak_rss_mb, today};
use anyhow::Result;
use calamine::Reader;
use std::path::Path;
use std::time::Instant;
use uuid::Uuid;
use zoufang_store::Store;

/// An empty text cell at S1048576, as a spreadsheet program leaves one behind.
pub const EMPTY_AT_S1048576: &str = r#"<row r="1048576"><c r="S1048576" t="inlineStr"><is><t></t></is></c></row>"#;

/// What a malformed file adds to a small roster's sheet.
type Extra = fn(&mut rust_xlsxwriter::Worksheet) -> Result<()>;

/// What a child process does with `ZOUFANG_BENCH_FILE`.
const MODE: &str = "ZOUFANG_BENCH_MODE";

pub fn run(households: usize) -> Result<()> {
    println!("\n## Roster import ({households} households, generated .xlsx with deliberate errors)");
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("device.db");
    let mut store = Store::open(&db)?;
    let names: Vec<String> = (0..30)
        .map(|i| {
            let v = zoufang_model::Village {
                id: Uuid::now_v7(),
                name: format!("第{i}村"),
                code: format!("5226301010{i:02}"),
                township: "台拱镇".into(),
                county: "台江县".into(),
                poor_village: None,
                lat: None,
                lon: None,
                radius_m: None,
            };
            store.create(&v).map(|_| v.name)
        })
        .collect::<std::result::Result<_, _>>()?;
    drop(store);
    let (file, exp) = zoufang_office::sample::roster(&names, households)?;
    println!(
        "  file: {:.1} MB, {} rows; {} households with a deliberate error ({} rows), refused whole",
        file.len() as f64 / 1e6,
        exp.rows,
        exp.households_rejected,
        exp.rows_rejected
    );
    let roster = dir.path().join("花名册.xlsx");
    std::fs::write(&roster, &file)?;
    in_child(&db, &roster, "import")?;
    println!("  the same file again, in a new process:");
    in_child(&db, &roster, "import")?;
    in_child(&db, &roster, "whole-range")?;

    println!("\n## Malformed sheets (a three-row roster plus one cell; each file under 10 KB)");
    let malformed: [(&str, &str, Extra); 3] = [
        ("blank-S1048576", "one empty text cell at S1048576", |_| Ok(())),
        ("text-XFD1048576", "text in XFD1048576", |ws| Ok(ws.write_string(1_048_575, 16_383, "备注").map(|_| ())?)),
        ("header-XFD", "a header cell in column XFD", |ws| Ok(ws.write_string(0, 16_383, "备注").map(|_| ())?)),
    ];
    for (name, what, extra) in malformed {
        let path = dir.path().join(format!("{name}.xlsx"));
        let mut bytes = small_roster(&names[0], extra)?;
        if name == "blank-S1048576" {
            bytes = zoufang_office::sample::with_row(&bytes, EMPTY_AT_S1048576)?;
        }
        std::fs::write(&path, &bytes)?;
        println!("  {what} ({} bytes):", bytes.len());
        in_child(&db, &path, "import")?;
        if name == "blank-S1048576" {
            in_child(&db, &path, "whole-range")?;
        } else {
            println!("    previous reader: not run (it lays out 16,384 × 1,048,576 cells, 512 GB: the process aborts)");
        }
    }
    Ok(())
}

/// A roster of two households in `village`, with `extra` written into the sheet.
fn small_roster(village: &str, extra: Extra) -> Result<Vec<u8>> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    let rows = [
        ["户编号", "村", "姓名", "与户主关系"],
        ["9001", village, "龙国富", "户主"],
        ["9002", village, "欧金花", "户主"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *v)?;
        }
    }
    extra(ws)?;
    Ok(book.save_to_buffer()?)
}

/// Runs `mode` on `file` in a child process and prints what it printed.
fn in_child(db: &Path, file: &Path, mode: &str) -> Result<()> {
    let out = std::process::Command::new(std::env::current_exe()?)
        .arg("import-child")
        .env("ZOUFANG_BENCH_DB", db)
        .env("ZOUFANG_BENCH_FILE", file)
        .env(MODE, mode)
        .output()?;
    print!("{}", String::from_utf8_lossy(&out.stdout));
    anyhow::ensure!(out.status.success(), "{mode} failed: {}", String::from_utf8_lossy(&out.stderr));
    Ok(())
}

/// The child: `import` imports the file into the device database; `whole-range` reads it the
/// previous way.
pub fn child() -> Result<()> {
    let path = std::env::var("ZOUFANG_BENCH_FILE")?;
    let file = std::fs::read(&path)?;
    let t = Instant::now();
    if std::env::var(MODE)? == "whole-range" {
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(file))?;
        let range = book.worksheet_range_at(0).ok_or_else(|| anyhow::anyhow!("no sheet"))??;
        let rows: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
        println!(
            "    previous reader (whole used range, {} × {} cells, read only): {:.1} s, peak {:.0} MB",
            range.height(),
            range.width(),
            t.elapsed().as_secs_f64(),
            peak_rss_mb()
        );
        drop(rows);
        return Ok(());
    }
    let mut store = Store::open(std::env::var("ZOUFANG_BENCH_DB")?)?;
    match zoufang_office::import_roster(&mut store, "花名册.xlsx", file, today(), &mut |_| {}) {
        Ok((s, _)) => println!(
            "    import: {:.1} s (goal ≤ 20 s), peak {:.0} MB (goal ≤ 150) — {} households and {} members created, {} updated, {} households ({} rows) refused whole{}",
            t.elapsed().as_secs_f64(),
            peak_rss_mb(),
            s.households_created,
            s.members_created,
            s.households_updated + s.members_updated,
            s.households_rejected,
            s.rows_rejected,
            if s.changed_nothing() { "; changed nothing" } else { "" }
        ),
        Err(e) => println!(
            "    import refused in {:.2} s, peak {:.0} MB, nothing written: 「{e}」",
            t.elapsed().as_secs_f64(),
            peak_rss_mb()
        ),
    }
    Ok(())
}
