//! Importing a generated 30,000-household roster with deliberate errors into a real device database:
//! exact counts, the rejection report, a second import that changes nothing, and the exports read back.

use calamine::Reader;
use std::io::Cursor;
use uuid::Uuid;
use zoufang_model::calendar::WorkCalendar;
use zoufang_model::Village;
use zoufang_office::{import_roster, sample};
use zoufang_store::Store;

fn villages(store: &mut Store, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let v = Village {
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
            store.create(&v).unwrap();
            v.name
        })
        .collect()
}

fn read_back(bytes: &[u8]) -> calamine::Sheets<Cursor<Vec<u8>>> {
    calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec())).expect("readable xlsx")
}

#[test]
fn roster_of_30000_households_with_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("device.db")).unwrap();
    let names = villages(&mut store, 30);
    let (file, exp) = sample::roster(&names, 30_000).unwrap();
    let today = chrono::Local::now().date_naive();
    let mut phases = Vec::new();
    let (s, report) = import_roster(&mut store, "花名册.xlsx", file.clone(), today, &mut |p| phases.push(p)).unwrap();
    assert_eq!(s.rows, exp.rows);
    assert_eq!(s.rows_rejected, exp.rows_rejected, "{:?}", &s.rejected[..5.min(s.rejected.len())]);
    assert_eq!(s.rows_imported, exp.rows - exp.rows_rejected);
    assert_eq!(s.households_created, exp.households_imported);
    assert_eq!(s.members_created, exp.members_imported);
    let members: i64 = store.conn().query_row("SELECT count(*) FROM member", [], |r| r.get(0)).unwrap();
    assert_eq!(members as usize, exp.members_imported, "no household is written without one of its members");
    assert!(exp.rows >= 100_000 - 5_000, "about 100,000 members ({})", exp.rows);
    assert!(phases.iter().any(|p| p.phase == 2 && p.done == p.total), "progress reaches the end");
    let households: i64 = store.conn().query_row("SELECT count(*) FROM household", [], |r| r.get(0)).unwrap();
    assert_eq!(households as usize, exp.households_imported);
    // 文化程度 and the register's 因婚 arrive as the app's values.
    let count = |sql: &str| store.conn().query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(count("SELECT count(*) FROM member WHERE education IS NULL"), 0);
    assert!(count("SELECT count(*) FROM member WHERE education = 'senior'") > 1_000);
    assert!(count("SELECT count(*) FROM household WHERE poverty_causes LIKE '%\"marriage\"%'") > 1_000);

    // Every kind of error is reported, in Chinese, with its row and column; a household with one wrong
    // row is refused whole, each of its rows saying why.
    assert_eq!(s.households_rejected, exp.households_rejected);
    let reasons = |needle: &str| s.rejected.iter().filter(|e| e.reason.contains(needle)).count();
    assert_eq!(reasons("校验位"), 600);
    assert_eq!(reasons("身份证号与第"), 600);
    assert_eq!(reasons("本机没有「不存在村」"), 600);
    assert_eq!(s.rejected.iter().filter(|e| e.column == "姓名").count(), 600);
    let headless: usize = s.rejected.iter().filter(|e| e.reason.contains("没有户主行")).count();
    assert_eq!(reasons("整户未导入") + headless + 4 * 600 + reasons("的村「"), s.rejected.len());
    assert_eq!(reasons("的村「"), 600, "the member in an unknown village differs from its household's village");
    let mut refused_rows: Vec<usize> = s.rejected.iter().map(|e| e.row).collect();
    refused_rows.dedup();
    assert_eq!(refused_rows.len(), exp.rows_rejected, "every row of a refused household, each once in order");
    let report = report.expect("a rejection report");
    assert_eq!(report.rows(), s.rows_rejected);
    // 身份证号 are masked as the lists show them, unless the full numbers are asked for to correct them.
    let id_runs = |bytes: &[u8]| {
        let mut book = read_back(bytes);
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        sheet
            .cells()
            .filter(|(_, _, c)| {
                let t = c.to_string();
                t.len() >= 15 && t.chars().filter(char::is_ascii_digit).count() >= 15
            })
            .count()
    };
    assert_eq!(id_runs(&report.xlsx(false).unwrap()), 0, "no full 身份证号 in the masked report");
    assert!(id_runs(&report.xlsx(true).unwrap()) >= 600, "the full numbers when asked for");
    let mut report = read_back(&report.xlsx(false).unwrap());
    let sheet = report.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(sheet.get((0, 0)).unwrap().to_string(), "行号");
    assert_eq!(sheet.get((0, 3)).unwrap().to_string(), "户编号", "the roster's own columns follow");
    assert_eq!(sheet.height() - 1, s.rejected.len());
    // Row numbers are the spreadsheet's (two title rows, then the header, then data from row 4).
    assert!(s.rejected.iter().all(|e| e.row >= 4));

    // The same file again changes nothing.
    let log = |st: &Store| st.conn().query_row("SELECT count(*) FROM change_log", [], |r| r.get::<_, i64>(0)).unwrap();
    let before = log(&store);
    let (again, _) = import_roster(&mut store, "花名册.xlsx", file, today, &mut |_| {}).unwrap();
    assert!(again.changed_nothing(), "{again:?}");
    assert_eq!(log(&store), before);
    assert_eq!(again.rows_rejected, exp.rows_rejected);

    // Exports read back with their sheets, headers and numbers.
    let month = zoufang_office::export::monthly_report_xlsx(&store, today, &WorkCalendar::national()).unwrap();
    let mut book = read_back(&month);
    let sheets = book.sheet_names();
    assert_eq!(
        sheets,
        vec![
            "月报表",
            "两不愁三保障",
            "考核指标",
            "帮扶走访",
            "近30天未走访",
            "在村情况",
            "人口核对",
            "收入核对",
            "问题整改台账"
        ]
    );
    let summary = book.worksheet_range("月报表").unwrap();
    assert_eq!(summary.get((0, 1)).unwrap().to_string(), "总户数");
    assert_eq!(summary.height(), 31, "a header and one line per village");
    let total: f64 = (1..31)
        .map(|r| match summary.get((r, 1)) {
            Some(calamine::Data::Float(f)) => *f,
            other => panic!("a number, not {other:?}"),
        })
        .sum();
    assert_eq!(total as usize, exp.households_imported);
    let ledger = zoufang_office::export::ledger_xlsx(&store, today).unwrap();
    let mut book = read_back(&ledger);
    let l = book.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(l.get((0, 4)).unwrap().to_string(), "问题描述");
}

#[test]
fn bad_files_are_refused_and_change_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    villages(&mut store, 1);
    let log = |st: &Store| st.conn().query_row("SELECT count(*) FROM change_log", [], |r| r.get::<_, i64>(0)).unwrap();
    let before = log(&store);
    let today = chrono::Local::now().date_naive();
    let e = import_roster(&mut store, "x.xlsx", b"not a spreadsheet".to_vec(), today, &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("Excel"), "{e}");
    let e = import_roster(&mut store, "x.csv", "a,b,c\n1,2,3\n".as_bytes().to_vec(), today, &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("表头"), "{e}");
    assert_eq!(log(&store), before, "nothing written");
    // A CSV roster works too.
    let csv = "户编号,村,姓名,与户主关系,身份证号\n001,第0村,张三,户主,\n001,第0村,李四,妻,\n";
    let (s, _) = import_roster(&mut store, "r.csv", csv.as_bytes().to_vec(), today, &mut |_| {}).unwrap();
    assert_eq!((s.households_created, s.members_created, s.rows_rejected), (1, 2, 0));
}
