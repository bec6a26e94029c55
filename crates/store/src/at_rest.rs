//! Encryption at rest. The database is a SQLCipher file keyed by [`DeviceKey`] (argon2id over the
//! user's unlock secret); its 16-byte salt is SQLCipher's own clear header, so the file carries all it
//! needs and a wrong secret is told apart from a damaged file. Photo files are encrypted with the
//! other half of the key (see `photos.rs`).

use crate::error::{Result, StoreError};
use crate::Store;
use rusqlite::Connection;
use std::io::Read;
use std::path::{Path, PathBuf};
use zoufang_vault::{DeviceKey, SALT_LEN};

/// Each page's MAC. SQLCipher 4's default is HMAC-SHA512; SHA-256 (with the CPU's SHA extensions) cut
/// the cost of a write by a third in `make bench BENCH=at-rest` and is an equally sound MAC. Part of the
/// file format: every connection sets it before the first read.
const HMAC: &str = "HMAC_SHA256";

/// The first bytes of every unencrypted SQLite file.
const PLAIN_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// What is at `path` before it is opened.
enum Found {
    Nothing,
    Plain,
    Encrypted([u8; SALT_LEN]),
}

fn inspect(path: &Path) -> Result<Found> {
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Nothing),
        Err(e) => return Err(StoreError::Io(format!("无法读取本机数据库 {}：{e}", path.display()))),
    };
    let mut head = [0u8; SALT_LEN];
    match f.read_exact(&mut head) {
        Ok(()) if &head == PLAIN_HEADER => Ok(Found::Plain),
        Ok(()) => Ok(Found::Encrypted(head)),
        // An empty file (created but never written) is a new database.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && f.metadata().is_ok_and(|m| m.len() == 0) => {
            Ok(Found::Nothing)
        }
        Err(_) => Err(StoreError::Corrupt(format!("{} 不是走访的数据库文件", path.display()))),
    }
}

/// Whether a database exists at `path` yet (the app asks for a new secret, or for the existing one).
pub fn database_exists(path: &Path) -> bool {
    !matches!(inspect(path), Ok(Found::Nothing))
}

/// Gives SQLCipher its key and checks it: with a wrong key the first read finds no database.
pub(crate) fn apply_key(conn: &Connection, key: &DeviceKey) -> Result<()> {
    // A wrong key is an answer we report ourselves; SQLCipher's own log would print it to stderr too.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    conn.execute_batch(&format!("PRAGMA key = \"{}\"; PRAGMA cipher_hmac_algorithm = {HMAC};", key.sqlcipher_key()))?;
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)) {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::NotADatabase => {
            Err(StoreError::WrongSecret)
        }
        Err(e) => Err(e.into()),
    }
}

impl Store {
    /// Opens the encrypted database at `path` with the user's unlock secret. A new database is created
    /// with this secret (at least six characters); a plain database left by an older version is
    /// encrypted in place first, its photo files with it. A wrong secret is [`StoreError::WrongSecret`]
    /// and changes nothing on disk.
    pub fn open_encrypted(path: impl AsRef<Path>, secret: &str) -> Result<Store> {
        let key = Self::unlock_key(path.as_ref(), secret)?;
        Self::open_with_key(path, &key)
    }

    /// The key for the database at `path`: derived with its salt, or with a new salt if there is no
    /// database yet. Keep it to open more connections without deriving it again (the background sync).
    pub fn unlock_key(path: &Path, secret: &str) -> Result<DeviceKey> {
        let salt = match inspect(path)? {
            Found::Encrypted(salt) => salt,
            Found::Nothing | Found::Plain => {
                DeviceKey::check_new_secret(secret)?;
                DeviceKey::new_salt()
            }
        };
        Ok(DeviceKey::derive(secret, salt)?)
    }

    /// Opens (creating if needed) the encrypted database at `path` with a key from [`Store::unlock_key`].
    pub fn open_with_key(path: impl AsRef<Path>, key: &DeviceKey) -> Result<Store> {
        let path = path.as_ref();
        if let Found::Plain = inspect(path)? {
            encrypt_plain_database(path, key)?;
        }
        let conn = Connection::open(path)?;
        apply_key(&conn, key)?;
        let mut store = Self::setup(conn)?;
        store.photo_dir = Some(photo_dir_of(path));
        store.files = Some(key.files());
        Ok(store)
    }

    /// Whether this database and its photo files are encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.files.is_some()
    }
}

/// Where photo files of the database at `path` live.
pub(crate) fn photo_dir_of(path: &Path) -> PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "device".into());
    path.with_file_name(format!("{stem}.photos"))
}

/// Encrypts a plain database and its photo files in place. The encrypted copy is written beside it and
/// renamed over it only when complete, so a crash at any moment leaves either the plain file or the
/// encrypted one, never half of each; photo files are each replaced by rename too, and one already
/// encrypted is recognised and left alone, so running this again after a crash finishes the job.
fn encrypt_plain_database(path: &Path, key: &DeviceKey) -> Result<()> {
    let io = |e: std::io::Error| StoreError::Io(format!("加密本机数据库失败：{e}"));
    let files = key.files();
    let photos = photo_dir_of(path);
    if photos.is_dir() {
        for shard in std::fs::read_dir(&photos).map_err(io)? {
            let shard = shard.map_err(io)?.path();
            if !shard.is_dir() {
                continue;
            }
            for f in std::fs::read_dir(&shard).map_err(io)? {
                let f = f.map_err(io)?.path();
                let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                if !zoufang_media::is_sha256_hex(&name) {
                    continue;
                }
                let bytes = std::fs::read(&f).map_err(io)?;
                if zoufang_media::sha256_hex(&bytes) != name {
                    continue; // already encrypted (or damaged: left for the hash check to report)
                }
                let tmp = shard.join(format!(".{name}.enc.tmp"));
                write_synced(&tmp, &files.encrypt(&bytes)).map_err(io)?;
                std::fs::rename(&tmp, &f).map_err(io)?;
            }
        }
    }
    let tmp = path.with_extension("encrypting");
    let _ = std::fs::remove_file(&tmp);
    {
        let conn = Connection::open(path)?;
        // Everything the WAL holds goes into the main file first; the copy reads through it anyway.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        conn.execute(
            "ATTACH DATABASE ?1 AS encrypted KEY ?2",
            rusqlite::params![tmp.to_string_lossy(), key.sqlcipher_key()],
        )?;
        conn.execute_batch(&format!("PRAGMA encrypted.cipher_hmac_algorithm = {HMAC};"))?;
        conn.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
        let version: i64 = conn.query_row("PRAGMA main.user_version", [], |r| r.get(0))?;
        conn.execute_batch(&format!("PRAGMA encrypted.user_version = {version}; DETACH DATABASE encrypted;"))?;
    }
    std::fs::File::open(&tmp).and_then(|f| f.sync_all()).map_err(io)?;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", path.display()));
        match std::fs::remove_file(&side) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
            _ => {}
        }
    }
    std::fs::rename(&tmp, path).map_err(io)?;
    Ok(())
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}
