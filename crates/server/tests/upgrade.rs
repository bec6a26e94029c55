//! A server database created by an older version opens in this one and keeps its data.

use zoufang_server::{SqliteStorage, Storage};

#[test]
fn a_version_1_server_database_opens_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(include_str!("fixtures/server-v1.sql")).unwrap();
    drop(c);
    let s = Storage::from(SqliteStorage::open(&path).unwrap());
    assert_eq!(s.server_id().to_string(), "0192f3a0-0000-7000-8000-00000000cafe");
    let stats = s.stats().unwrap();
    assert_eq!((stats.changes, stats.villages, stats.households, stats.devices), (4, 1, 1, 1));
    let v = &s.villages().unwrap()[0];
    assert_eq!((v.name.as_str(), v.code.as_str(), v.households), ("红阳村", "522630101201", 1));
    drop(s);
    let c = rusqlite::Connection::open(&path).unwrap();
    let version: u32 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version as usize, zoufang_server::sqlite::MIGRATIONS.len());
}
