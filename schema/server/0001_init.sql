-- Server database (SQLite backend), version 1.

CREATE TABLE server_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- Enrolled devices. Tokens are stored as SHA-256 only.
CREATE TABLE device (
  id           BLOB PRIMARY KEY,
  name         TEXT NOT NULL,
  token_hash   BLOB NOT NULL UNIQUE,
  scope        TEXT NOT NULL,          -- village:<uuid> | township:<9 digits> | county:<6 digits>
  created_at   TEXT NOT NULL,
  revoked_at   TEXT,
  last_batch   INTEGER NOT NULL DEFAULT 0,
  last_seen_at TEXT
);

-- One-time enrolment codes handed out by the township office. Stored hashed.
CREATE TABLE enrol_code (
  code_hash   BLOB PRIMARY KEY,
  device_name TEXT NOT NULL,
  scope       TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL,
  used_by     BLOB,
  used_at     TEXT
) WITHOUT ROWID;

-- Division code of every village, for township and county scopes.
CREATE TABLE village_scope (
  village_id BLOB PRIMARY KEY,
  code       TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX village_scope_code ON village_scope(code);

-- The village each record belongs to, fixed when the record is created.
CREATE TABLE row_scope (
  row_id     BLOB PRIMARY KEY,
  entity     TEXT NOT NULL,
  village_id BLOB NOT NULL
) WITHOUT ROWID;

-- Every accepted change, in the order the server accepted it (seq). `applied`: it became the field's
-- value when it arrived; `live`: it is still the field's current value (only live entries are pulled).
CREATE TABLE change_log (
  seq         INTEGER PRIMARY KEY,
  id          BLOB NOT NULL UNIQUE,
  entity      TEXT NOT NULL,
  row_id      BLOB NOT NULL,
  field       TEXT NOT NULL,
  value       TEXT NOT NULL,
  hlc         INTEGER NOT NULL,
  device      BLOB NOT NULL,
  base        TEXT,
  seen        TEXT,
  village_id  BLOB NOT NULL,
  applied     INTEGER NOT NULL,
  live        INTEGER NOT NULL,
  received_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX change_log_current ON change_log(row_id, field) WHERE live = 1;
CREATE INDEX change_log_scope ON change_log(village_id, seq) WHERE live = 1;

-- The one open conflict of a field, if any.
CREATE TABLE open_conflict (
  row_id      BLOB NOT NULL,
  field       TEXT NOT NULL,
  conflict_id BLOB NOT NULL,
  PRIMARY KEY (row_id, field)
) WITHOUT ROWID;
