//! What only the PostgreSQL backend does: its migrations shared by replicas that start together, its
//! refusal of a database newer than the binary or with an edited past step, and a schema that holds the
//! same tables and columns as the SQLite backend's. (Everything else it does, every other scenario
//! checks: CI runs them all on PostgreSQL too.)

use zoufang_scenarios::{pg_schema_for, pg_url_in, Storage};
use zoufang_server::{PgOpenError, PgStorage};

#[test]
fn replicas_starting_together_migrate_once_and_share_one_identity() {
    let dir = tempfile::tempdir().unwrap();
    let url = pg_url_in(&pg_schema_for(dir.path()));
    let ids: Vec<uuid::Uuid> = std::thread::scope(|s| {
        let starts: Vec<_> =
            (0..4).map(|_| s.spawn(|| Storage::from(PgStorage::open(&url).unwrap()).server_id())).collect();
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
    let storage = Storage::from(PgStorage::open(&url).unwrap());
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
fn an_edited_past_step_is_refused_and_a_database_from_before_checksums_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let url = pg_url_in(&pg_schema_for(dir.path()));
    drop(PgStorage::open(&url).unwrap());
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let sums = |c: &mut postgres::Client| -> Vec<Option<String>> {
        c.query("SELECT checksum FROM schema_migration ORDER BY version", &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    let recorded = sums(&mut c);
    let expected: Vec<Option<String>> =
        zoufang_server::pg::MIGRATIONS.iter().map(|m| Some(zoufang_migrate::checksum(m.sql))).collect();
    assert_eq!(recorded, expected, "each step recorded with its checksum");
    // A database migrated before checksums were kept: its steps are recorded on the next start.
    c.execute("UPDATE schema_migration SET checksum = NULL", &[]).unwrap();
    drop(PgStorage::open(&url).unwrap());
    assert_eq!(sums(&mut c), expected);
    // A past step whose text differs from this build's: refused, naming the step.
    c.execute("UPDATE schema_migration SET checksum = 'edited' WHERE version = 2", &[]).unwrap();
    match PgStorage::open(&url) {
        Err(e @ PgOpenError::Edited(2)) => assert!(e.to_string().contains("第 2 步"), "{e}"),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("a database with an edited past step was opened"),
    }
}

/// The two backends' migrations are written separately (SQL dialects differ); what they build must not
/// drift apart: the same tables, each with the same columns.
#[test]
fn the_sqlite_and_postgresql_schemas_hold_the_same_tables_and_columns() {
    use std::collections::BTreeMap;
    type Tables = BTreeMap<String, Vec<String>>;
    let dir = tempfile::tempdir().unwrap();
    drop(zoufang_server::SqliteStorage::open(&dir.path().join("server.db")).unwrap());
    let conn = rusqlite::Connection::open(dir.path().join("server.db")).unwrap();
    let mut lite = Tables::new();
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for t in names {
        let mut cols: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info(?1)")
            .unwrap()
            .query_map([&t], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        cols.sort();
        lite.insert(t, cols);
    }
    let schema = pg_schema_for(dir.path());
    drop(PgStorage::open(&pg_url_in(&schema)).unwrap());
    let mut pg = Tables::new();
    let mut c = zoufang_scenarios::pg_admin();
    for r in c
        .query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = $1 ORDER BY 1, 2",
            &[&schema],
        )
        .unwrap()
    {
        pg.entry(r.get(0)).or_default().push(r.get(1));
    }
    // The one known difference: SQLite counts applied steps in PRAGMA user_version and keeps only their
    // checksums; PostgreSQL has no such pragma and also keeps when each step was applied.
    let lite_mig = lite.remove("schema_migration").expect("SQLite keeps checksums");
    let pg_mig = pg.remove("schema_migration").expect("PostgreSQL keeps its steps");
    assert_eq!(lite_mig, vec!["checksum", "version"]);
    assert_eq!(pg_mig, vec!["applied_at", "checksum", "version"]);
    let lite_tables: Vec<&String> = lite.keys().collect();
    let pg_tables: Vec<&String> = pg.keys().collect();
    assert_eq!(lite_tables, pg_tables, "the same tables");
    for (t, cols) in &lite {
        assert_eq!(Some(cols), pg.get(t), "the columns of {t}");
    }
}

#[test]
fn an_unreachable_database_is_a_clear_error_without_the_password() {
    let err = PgStorage::open("postgres://zoufang:s3cret-pw@127.0.0.1:1/zoufang").err().expect("no server on port 1");
    let text = err.to_string();
    assert!(text.contains("无法连接 PostgreSQL"), "{text}");
    assert!(!text.contains("s3cret-pw"), "the password leaked into the message: {text}");
}

/// Eight devices edit the same household's notes at once through two replicas, each replica with
/// several writer connections: every push loads what it consults before the log lock and checks it
/// again under the lock, so pushes racing on one record must reload, not act on what they read before.
/// One conflict holds every edit; the log stays gap-free with one current value.
#[test]
fn racing_edits_of_one_record_through_two_replicas_make_one_conflict_with_every_edit() {
    use zoufang_model::{Entity, Role, Scope};
    use zoufang_server::DeviceAuth;
    use zoufang_sync::{Change, PushRequest, Status, PROTOCOL};
    let dir = tempfile::tempdir().unwrap();
    let url = pg_url_in(&pg_schema_for(dir.path()));
    let replicas = [Storage::from(PgStorage::open(&url).unwrap()), Storage::from(PgStorage::open(&url).unwrap())];
    let size = zoufang_demo::Size {
        townships: 1,
        villages_per_township: 1,
        households_per_village: 3,
        visits_per_household: 0,
        today: chrono::Local::now().date_naive(),
    };
    let county = zoufang_demo::county(3, size);
    replicas[0].ingest_trusted("导入", &county.to_changes(uuid::Uuid::from_u128(0x5eed))).unwrap();
    let household = county.households[0].id;
    let scope = Scope::Village(county.villages[0].id);
    let devices: Vec<DeviceAuth> = (0..8)
        .map(|i| {
            let id = uuid::Uuid::now_v7();
            let code = replicas[i % 2].create_enrol_code(&format!("平板{i}"), &scope, 1).unwrap();
            replicas[i % 2].enrol(&code, id, &format!("平板{i}"), None).unwrap();
            DeviceAuth::new(id, format!("平板{i}"), scope.clone(), Role::WorkTeam)
        })
        .collect();
    const ROUNDS: u64 = 6;
    let pushed: Vec<uuid::Uuid> = std::thread::scope(|s| {
        let threads: Vec<_> = devices
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let storage = &replicas[i % 2];
                s.spawn(move || {
                    let mut clock = zoufang_sync::Clock::default();
                    let mut link = zoufang_sync::chain::GENESIS;
                    let mut ids = Vec::new();
                    for round in 1..=ROUNDS {
                        // Each edit made without having seen the others: concurrent by construction.
                        let mut c = Change {
                            id: uuid::Uuid::now_v7(),
                            entity: Entity::Household,
                            row: household,
                            field: "notes".into(),
                            value: serde_json::json!(format!("平板{i}第{round}次")),
                            hlc: clock.tick(zoufang_sync::hlc::now_ms()),
                            device: d.id,
                            base: None,
                            seen: None,
                            chain: None,
                        };
                        link = zoufang_sync::chain::link_all(link, std::slice::from_mut(&mut c));
                        ids.push(c.id);
                        let r = storage
                            .push(d, PushRequest { protocol: PROTOCOL, batch: round, changes: vec![c] })
                            .unwrap();
                        assert_ne!(r.results[0].status, Status::Rejected, "{:?}", r.results[0].rejection);
                    }
                    ids
                })
            })
            .collect();
        threads.into_iter().flat_map(|t| t.join().unwrap()).collect()
    });
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let r = c.query_one("SELECT count(*), min(seq), max(seq) FROM change_log", &[]).unwrap();
    let (n, lo, hi): (i64, i64, i64) = (r.get(0), r.get(1), r.get(2));
    assert_eq!(hi - lo + 1, n, "one gap-free sequence");
    let live: i64 = c
        .query_one("SELECT count(*) FROM change_log WHERE row_id = $1 AND field = 'notes' AND live", &[&household])
        .unwrap()
        .get(0);
    assert_eq!(live, 1, "one current value");
    let open =
        c.query("SELECT conflict_id FROM open_conflict WHERE row_id = $1 AND field = 'notes'", &[&household]).unwrap();
    assert_eq!(open.len(), 1, "one open conflict");
    let conflict: uuid::Uuid = open[0].get(0);
    let candidates: String = c
        .query_one("SELECT value FROM change_log WHERE row_id = $1 AND field = 'candidates' AND live", &[&conflict])
        .unwrap()
        .get(0);
    let candidates: Vec<zoufang_model::Candidate> = serde_json::from_str(&candidates).unwrap();
    for id in &pushed {
        assert!(candidates.iter().any(|c| c.change == *id), "an edit is missing from the conflict");
    }
    let conflicts: i64 = c.query_one("SELECT count(*) FROM row_scope WHERE entity = 'conflict'", &[]).unwrap().get(0);
    assert_eq!(conflicts, 1, "racing edits opened more than one conflict");
}

/// The database drops every connection of a running server (a restart, a failover): a request on a
/// dropped connection fails (the device keeps what it has and tries again), the server reconnects,
/// and the next syncs go through with nothing lost or doubled.
#[test]
fn a_server_whose_database_connections_drop_reconnects_and_loses_nothing() {
    use zoufang_model::{Entity, Scope};
    use zoufang_scenarios::{open_device, Backend, TestServer};
    use zoufang_store::HouseholdQuery;
    let dir = tempfile::tempdir().unwrap();
    let blobs = zoufang_server::BlobStore::local(&dir.path().join("blobs")).unwrap();
    let server = TestServer::start_on(Backend::Postgres, dir.path(), "127.0.0.1:0".parse().unwrap(), blobs);
    let villages = server.seed_small();
    let mut tablet = server.device(&dir.path().join("t.db"), "平板", Scope::Village(villages[0]));
    zoufang_client::sync(&mut tablet).unwrap();
    let h = tablet.households(&HouseholdQuery::default()).unwrap()[0].id;
    let patch = [("notes".to_string(), serde_json::json!("断线前写的"))].into_iter().collect();
    tablet.update(Entity::Household, h, &patch).unwrap();

    let schema = pg_schema_for(dir.path());
    let mut admin = zoufang_scenarios::pg_admin();
    let cut: i64 = admin
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
            &[&schema],
        )
        .unwrap()
        .get(0);
    assert_eq!(cut, 7, "three writer and four reader connections");

    // Each dropped connection fails the one request that finds it dropped; the device tries again.
    let mut failures = 0;
    while let Err(e) = zoufang_client::sync(&mut tablet) {
        failures += 1;
        assert!(failures <= 7, "still failing after every connection was replaced: {e}");
    }
    assert_eq!(tablet.pending_changes().unwrap(), 0, "everything was sent");
    let logged = server.sql_int(
        "SELECT count(*) FROM change_log WHERE value = $1",
        &[zoufang_scenarios::Sql::Text(serde_json::json!("断线前写的").to_string())],
    );
    assert_eq!(logged, 1, "the edit reached the server once");
    // And a second device sees it.
    let mut other = open_device(&dir.path().join("o.db"));
    let code = server.storage.create_enrol_code("另一台", &Scope::Village(villages[0]), 1).unwrap();
    zoufang_client::enrol(&mut other, &server.url, &code, "另一台").unwrap();
    zoufang_client::sync(&mut other).unwrap();
    let seen = other.household(h).unwrap().unwrap();
    assert_eq!(seen.notes.as_deref(), Some("断线前写的"));
}
