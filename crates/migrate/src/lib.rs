//! Applies numbered SQL migrations to a SQLite database, the way Zed's `sqlez` and GitButler's `but-db`
//! do: the database's `PRAGMA user_version` is the number of migrations applied; each pending migration
//! runs in its own transaction together with the version bump, so a kill mid-way leaves the database at
//! the last complete version. A database from a newer build is refused rather than damaged.
//!
//! Past steps cannot drift (sqlez's rule): the SHA-256 of each applied step's SQL is kept in
//! `schema_migration`, written in the step's own transaction, and a database whose recorded step differs
//! from this build's text is refused, naming the step. An edited past migration would otherwise leave
//! databases made before and after the edit with different schemas under the same version. A database
//! from before checksums were kept has its applied steps recorded on first open. The rule itself
//! ([`check_recorded`]) is pure and shared with the server's PostgreSQL runner.

use rusqlite::Connection;
use sha2::{Digest, Sha256};

/// One migration: its number (1, 2, …) and SQL text (usually `include_str!` of a file under `schema/`).
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: u32,
    pub sql: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("数据库版本 {found} 比本程序支持的版本 {supported} 新，请升级程序")]
    TooNew { found: u32, supported: u32 },
    #[error("迁移 {version} 失败：{source}")]
    Failed { version: u32, source: rusqlite::Error },
    #[error("迁移列表有误：第 {index} 个的编号应为 {expected}")]
    BadList { index: usize, expected: u32 },
    #[error("数据库的第 {version} 步迁移与本程序的不同（已应用的迁移被修改过），拒绝打开")]
    Edited { version: u32 },
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// An applied step whose recorded checksum differs from this build's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EditedStep {
    pub version: u32,
}

impl From<EditedStep> for MigrateError {
    fn from(e: EditedStep) -> Self {
        MigrateError::Edited { version: e.version }
    }
}

/// The checksum kept for a step: SHA-256 of its SQL text, lowercase hex.
pub fn checksum(sql: &str) -> String {
    Sha256::digest(sql.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks the checksums a database recorded for its applied steps (`version → checksum`, `None` where the
/// step was applied before checksums were kept) against this build's migrations, and returns the
/// applied versions whose checksum is still to be recorded. Refuses a step recorded with different text.
pub fn check_recorded(
    applied: u32,
    recorded: &[(u32, Option<String>)],
    migrations: &[Migration],
) -> Result<Vec<u32>, EditedStep> {
    let mut missing = Vec::new();
    for m in migrations.iter().take(applied as usize) {
        match recorded.iter().find(|(v, _)| *v == m.version).and_then(|(_, c)| c.as_deref()) {
            Some(c) if c != checksum(m.sql) => return Err(EditedStep { version: m.version }),
            Some(_) => {}
            None => missing.push(m.version),
        }
    }
    Ok(missing)
}

/// The version a database is at.
pub fn version(conn: &Connection) -> Result<u32, MigrateError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get::<_, u32>(0))?)
}

/// Brings the database up to the last migration; returns the versions applied.
pub fn migrate(conn: &mut Connection, migrations: &[Migration]) -> Result<Vec<u32>, MigrateError> {
    for (i, m) in migrations.iter().enumerate() {
        if m.version != i as u32 + 1 {
            return Err(MigrateError::BadList { index: i, expected: i as u32 + 1 });
        }
    }
    let supported = migrations.len() as u32;
    let found = version(conn)?;
    if found > supported {
        return Err(MigrateError::TooNew { found, supported });
    }
    let tx = conn.transaction()?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migration (version INTEGER PRIMARY KEY, checksum TEXT NOT NULL)",
    )?;
    let recorded = tx
        .prepare("SELECT version, checksum FROM schema_migration")?
        .query_map([], |r| Ok((r.get::<_, u32>(0)?, Some(r.get::<_, String>(1)?))))?
        .collect::<Result<Vec<_>, _>>()?;
    for v in check_recorded(found, &recorded, migrations)? {
        record(&tx, &migrations[v as usize - 1])?;
    }
    tx.commit()?;
    let mut applied = Vec::new();
    for m in &migrations[found as usize..] {
        let tx = conn.transaction()?;
        tx.execute_batch(m.sql).map_err(|source| MigrateError::Failed { version: m.version, source })?;
        record(&tx, m)?;
        tx.pragma_update(None, "user_version", m.version)?;
        tx.commit()?;
        applied.push(m.version);
    }
    Ok(applied)
}

fn record(conn: &Connection, m: &Migration) -> Result<(), MigrateError> {
    conn.execute(
        "INSERT OR REPLACE INTO schema_migration(version, checksum) VALUES (?1, ?2)",
        rusqlite::params![m.version, checksum(m.sql)],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: &[Migration] = &[
        Migration { version: 1, sql: "CREATE TABLE t(a INTEGER); INSERT INTO t VALUES (1);" },
        Migration { version: 2, sql: "ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'x';" },
    ];

    #[test]
    fn applies_in_order_once_and_keeps_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        let mut c = Connection::open(&path).unwrap();
        assert_eq!(migrate(&mut c, &M[..1]).unwrap(), vec![1]);
        c.execute("INSERT INTO t(a) VALUES (2)", []).unwrap();
        drop(c);
        let mut c = Connection::open(&path).unwrap();
        assert_eq!(migrate(&mut c, M).unwrap(), vec![2]);
        assert_eq!(migrate(&mut c, M).unwrap(), Vec::<u32>::new());
        let n: i64 = c.query_row("SELECT count(*) FROM t WHERE b = 'x'", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 2);
    }

    #[test]
    fn a_failing_migration_leaves_the_previous_version() {
        let mut c = Connection::open_in_memory().unwrap();
        let bad = [M[0], Migration { version: 2, sql: "ALTER TABLE t ADD COLUMN c; THIS IS NOT SQL;" }];
        assert!(matches!(migrate(&mut c, &bad), Err(MigrateError::Failed { version: 2, .. })));
        assert_eq!(version(&c).unwrap(), 1);
        let cols: i64 = c.query_row("SELECT count(*) FROM pragma_table_info('t')", [], |r| r.get(0)).unwrap();
        assert_eq!(cols, 1);
    }

    #[test]
    fn an_edited_past_step_is_refused_and_the_database_left_alone() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c, M).unwrap();
        let edited = [Migration { version: 1, sql: "CREATE TABLE t(a INTEGER, z TEXT);" }, M[1]];
        assert!(matches!(migrate(&mut c, &edited), Err(MigrateError::Edited { version: 1 })));
        let more = [M[0], M[1], Migration { version: 3, sql: "CREATE TABLE u(x);" }];
        assert!(matches!(migrate(&mut c, &[edited[0], M[1], more[2]]), Err(MigrateError::Edited { version: 1 })));
        assert_eq!(version(&c).unwrap(), 2, "nothing applied after the refusal");
        assert_eq!(migrate(&mut c, &more).unwrap(), vec![3], "the true steps still open it");
        // Whitespace is text too: a step is compared byte for byte.
        let spaced = [Migration { version: 1, sql: "CREATE TABLE t(a INTEGER);  INSERT INTO t VALUES (1);" }];
        assert!(matches!(migrate(&mut c, &[spaced[0], M[1], more[2]]), Err(MigrateError::Edited { version: 1 })));
    }

    #[test]
    fn a_database_from_before_checksums_has_its_steps_recorded() {
        let mut c = Connection::open_in_memory().unwrap();
        c.execute_batch(M[0].sql).unwrap();
        c.pragma_update(None, "user_version", 1).unwrap();
        assert_eq!(migrate(&mut c, M).unwrap(), vec![2]);
        let n: i64 = c.query_row("SELECT count(*) FROM schema_migration", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 2);
        let edited = [Migration { version: 1, sql: "CREATE TABLE t(b);" }, M[1]];
        assert!(matches!(migrate(&mut c, &edited), Err(MigrateError::Edited { version: 1 })));
    }

    #[test]
    fn recorded_checksums_are_checked_purely() {
        let sum = |i: usize| Some(checksum(M[i].sql));
        assert_eq!(check_recorded(2, &[(1, sum(0)), (2, sum(1))], M).unwrap(), Vec::<u32>::new());
        assert_eq!(check_recorded(2, &[(2, sum(1))], M).unwrap(), vec![1]);
        assert_eq!(check_recorded(1, &[], M).unwrap(), vec![1], "only applied steps");
        assert_eq!(check_recorded(2, &[(1, None), (2, sum(1))], M).unwrap(), vec![1]);
        assert_eq!(check_recorded(2, &[(1, sum(1))], M), Err(EditedStep { version: 1 }));
    }

    #[test]
    fn newer_databases_are_refused() {
        let mut c = Connection::open_in_memory().unwrap();
        c.pragma_update(None, "user_version", 9).unwrap();
        assert!(matches!(migrate(&mut c, M), Err(MigrateError::TooNew { found: 9, supported: 2 })));
    }
}
