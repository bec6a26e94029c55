//! Malformed and older-format files, built here and small on disk: memory follows what a file holds,
//! never the size its sheet claims, and a refused file writes nothing. One test in its own binary, so
//! the process's peak memory is the import's own.

use rust_xlsxwriter::{Format, Workbook};
use uuid::Uuid;
use zoufang_model::Village;
use zoufang_office::{import_roster, OfficeError};
use zoufang_store::Store;

/// The process's peak resident memory, in MB.
fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<f64>().unwrap() / 1024.0
}

/// A small roster (two households of village 第0村) with `extra` written into the same sheet.
fn roster(extra: impl FnOnce(&mut rust_xlsxwriter::Worksheet)) -> Vec<u8> {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    for (c, h) in ["户编号", "村", "姓名", "与户主关系"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in
        [["001", "第0村", "龙国富", "户主"], ["001", "第0村", "龙秀英", "配偶"], ["002", "第0村", "欧金花", "户主"]]
            .iter()
            .enumerate()
    {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32 + 1, c as u16, *v).unwrap();
        }
    }
    extra(ws);
    book.save_to_buffer().unwrap()
}

fn changes(store: &Store) -> i64 {
    store.conn().query_row("SELECT count(*) FROM change_log", [], |r| r.get(0)).unwrap()
}

#[test]
fn malformed_sheets_cost_what_they_hold_and_refused_files_write_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    let village = Village {
        id: Uuid::now_v7(),
        name: "第0村".into(),
        code: "522630101000".into(),
        township: "台拱镇".into(),
        county: "台江县".into(),
        poor_village: None,
        lat: None,
        lon: None,
        radius_m: None,
    };
    store.create(&village).unwrap();
    let today = chrono::Local::now().date_naive();
    let before = changes(&store);

    // A cell with text at XFD1048576, the last cell a sheet can have: refused where it sits.
    let far = roster(|ws| {
        ws.write_string(1_048_575, 16_383, "备注").unwrap();
    });
    assert!(far.len() < 10_000, "small on disk: {} bytes", far.len());
    let e = import_roster(&mut store, "花名册.xlsx", far, today, &mut |_| {}).unwrap_err();
    assert!(matches!(&e, OfficeError::TooManyColumns { row: 1_048_576, column } if column == "XFD"), "{e:?}");
    assert!(e.to_string().contains("第 1048576 行的 XFD 列有内容"), "{e}");

    // A header cell in column XFD: refused before any household is written.
    let wide_header = roster(|ws| {
        ws.write_string(0, 16_383, "备注").unwrap();
    });
    let e = import_roster(&mut store, "花名册.xlsx", wide_header, today, &mut |_| {}).unwrap_err();
    assert!(matches!(&e, OfficeError::TooManyColumns { row: 1, .. }), "{e:?}");
    assert_eq!(changes(&store), before, "refused files write nothing");

    // One empty text cell at S1048576 (the previous reader laid out 19 × 1,048,576 cells for it, over
    // 1 GB): it holds nothing, costs nothing, and the roster imports.
    let blank = roster(|ws| {
        ws.write_blank(1_048_575, 17, &Format::new().set_bold()).unwrap();
    });
    let blank = zoufang_office::sample::with_row(
        &blank,
        r#"<row r="1048576"><c r="S1048576" t="inlineStr"><is><t></t></is></c></row>"#,
    )
    .unwrap();
    assert!(blank.len() < 10_000);
    let (s, _) = import_roster(&mut store, "花名册.xlsx", blank, today, &mut |_| {}).unwrap();
    assert_eq!((s.households_created, s.members_created, s.rows_rejected), (2, 3, 0));

    // A department list or roster saved as .ods is turned away with the way out.
    let e = import_roster(&mut store, "名单.ods", b"PK\x03\x04".to_vec(), today, &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("另存为 .xlsx"), "{e}");

    let peak = peak_mb();
    println!("peak resident memory of the malformed-file imports: {peak:.0} MB");
    assert!(peak < 150.0, "memory follows content: {peak:.0} MB");
}

#[test]
fn an_older_xls_roster_is_read_with_the_registers_words() {
    // Written by fixtures/make_xls.py (BIFF8, as the register and WPS save .xls).
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/花名册.xls")).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    store
        .create(&Village {
            id: Uuid::now_v7(),
            name: "第0村".into(),
            code: "522630101000".into(),
            township: "台拱镇".into(),
            county: "台江县".into(),
            poor_village: None,
            lat: None,
            lon: None,
            radius_m: None,
        })
        .unwrap();
    let today = chrono::Local::now().date_naive();
    let (s, report) = import_roster(&mut store, "花名册.xls", bytes, today, &mut |_| {}).unwrap();
    assert_eq!((s.households_created, s.members_created, s.households_rejected), (2, 5, 1), "{:?}", s.rejected);
    assert_eq!(s.rejected.len(), 1);
    assert_eq!((s.rejected[0].row, s.rejected[0].column.as_str()), (8, "姓名"));
    assert_eq!(report.unwrap().rows(), 1);
    let attributes: Vec<String> = store
        .conn()
        .prepare("SELECT attribute FROM household ORDER BY household_no")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(attributes, vec!["tekun", "dibao"], "特困供养贫困户 and 低保扶贫户 as the register writes them");
}
