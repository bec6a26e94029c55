//! What only the PostgreSQL backend does: its migrations shared by replicas that start together, and
//! its refusal of a database newer than the binary. (Everything else it does, every other scenario
//! checks: CI runs them all on PostgreSQL too.)

use zoufang_scenarios::{pg_schema_for, pg_url_in, Storage};
use zoufang_server::{PgOpenError, PgStorage};

#[test]
fn replicas_starting_together_migrate_once_and_share_one_identity() {
    let dir = tempfile::tempdir().unwrap();
    let url = pg_url_in(&pg_schema_for(dir.path()));
    let ids: Vec<uuid::Uuid> = std::thread::scope(|s| {
        let starts: Vec<_> = (0..4).map(|_| s.spawn(|| PgStorage::open(&url).unwrap().server_id())).collect();
        starts.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert!(ids.iter().all(|id| *id == ids[0]), "one server identity: {ids:?}");
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let versions: Vec<i32> = c
        .query("SELECT version FROM schema_migration ORDER BY version", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let expected: Vec<i32> = zoufang_server::pg::MIGRATIONS.iter().map(|m| m.version as i32).collect();
    assert_eq!(versions, expected, "each migration applied once");
}

#[test]
fn a_database_newer_than_the_server_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = pg_url_in(&pg_schema_for(dir.path()));
    let storage = PgStorage::open(&url).unwrap();
    assert_eq!(storage.stats().unwrap().changes, 0);
    drop(storage);
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    c.execute("INSERT INTO schema_migration(version, applied_at) VALUES (99, 'later')", &[]).unwrap();
    match PgStorage::open(&url) {
        Err(e @ PgOpenError::TooNew { found: 99, .. }) => assert!(e.to_string().contains("请升级服务器程序"), "{e}"),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("a newer database was opened"),
    }
}

#[test]
fn an_unreachable_database_is_a_clear_error_without_the_password() {
    let err = PgStorage::open("postgres://zoufang:s3cret-pw@127.0.0.1:1/zoufang").err().expect("no server on port 1");
    let text = err.to_string();
    assert!(text.contains("无法连接 PostgreSQL"), "{text}");
    assert!(!text.contains("s3cret-pw"), "the password leaked into the message: {text}");
}
