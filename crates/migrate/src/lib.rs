//! Applies numbered SQL migrations to a SQLite database, the way Zed's `sqlez` and GitButler's `but-db`
//! do: the database's `PRAGMA user_version` is the number of migrations applied; each pending migration
//! runs in its own transaction together with the version bump, so a kill mid-way leaves the database at
//! the last complete version. A database from a newer build is refused rather than damaged.

use rusqlite::Connection;

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
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
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
    let mut applied = Vec::new();
    for m in &migrations[found as usize..] {
        let tx = conn.transaction()?;
        tx.execute_batch(m.sql).map_err(|source| MigrateError::Failed { version: m.version, source })?;
        tx.pragma_update(None, "user_version", m.version)?;
        tx.commit()?;
        applied.push(m.version);
    }
    Ok(applied)
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
    fn newer_databases_are_refused() {
        let mut c = Connection::open_in_memory().unwrap();
        c.pragma_update(None, "user_version", 9).unwrap();
        assert!(matches!(migrate(&mut c, M), Err(MigrateError::TooNew { found: 9, supported: 2 })));
    }
}
