-- Device database, version 1.
-- Record tables mirror crates/model/src/schema.rs (a test checks every field has its column).
-- Ids are UUIDs as 16-byte blobs. Every record keeps `deleted` (tombstone) and `_clock`: the version
-- of each field as JSON {"field": server seq | "local change id"}, the base of the next edit.
-- Columns other than id are nullable: a record can arrive from sync a few fields at a time.

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE village (
  id       BLOB PRIMARY KEY,
  name     TEXT,
  code     TEXT,
  township TEXT,
  county   TEXT,
  deleted  INTEGER NOT NULL DEFAULT 0,
  _clock   TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE household (
  id                    BLOB PRIMARY KEY,
  village_id            BLOB REFERENCES village(id),
  household_no          TEXT,
  head_name             TEXT,
  head_id_number        TEXT,
  phone                 TEXT,
  group_name            TEXT,
  address               TEXT,
  attribute             TEXT,
  status                TEXT,
  poverty_causes        TEXT,
  helper_name           TEXT,
  helper_phone          TEXT,
  registered_population INTEGER,
  exit_year             INTEGER,
  notes                 TEXT,
  deleted               INTEGER NOT NULL DEFAULT 0,
  _clock                TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX household_village ON household(village_id, household_no);

CREATE TABLE member (
  id           BLOB PRIMARY KEY,
  household_id BLOB REFERENCES household(id),
  name         TEXT,
  id_number    TEXT,
  relation     TEXT,
  sex          TEXT,
  birth_date   TEXT,
  health       TEXT,
  labor        TEXT,
  schooling    TEXT,
  phone        TEXT,
  deleted      INTEGER NOT NULL DEFAULT 0,
  _clock       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX member_household ON member(household_id);

CREATE TABLE visit (
  id                BLOB PRIMARY KEY,
  household_id      BLOB REFERENCES household(id),
  kind              TEXT,
  visited_on        TEXT,
  visitor           TEXT,
  basic_needs       TEXT,
  satisfaction      TEXT,
  actual_population INTEGER,
  notes             TEXT,
  lat               REAL,
  lon               REAL,
  deleted           INTEGER NOT NULL DEFAULT 0,
  _clock            TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX visit_household ON visit(household_id, visited_on);

CREATE TABLE handbook_entry (
  id           BLOB PRIMARY KEY,
  household_id BLOB REFERENCES household(id),
  section      TEXT,
  entry_date   TEXT,
  title        TEXT,
  content      TEXT,
  measure      TEXT,
  amount_fen   INTEGER,
  income_calc  TEXT,
  recorded_by  TEXT,
  deleted      INTEGER NOT NULL DEFAULT 0,
  _clock       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX handbook_household ON handbook_entry(household_id, entry_date);

CREATE TABLE presence (
  id         BLOB PRIMARY KEY,
  village_id BLOB REFERENCES village(id),
  staff_name TEXT,
  checked_at TEXT,
  lat        REAL,
  lon        REAL,
  note       TEXT,
  deleted    INTEGER NOT NULL DEFAULT 0,
  _clock     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX presence_village ON presence(village_id, checked_at);

CREATE TABLE rectification (
  id           BLOB PRIMARY KEY,
  village_id   BLOB REFERENCES village(id),
  household_id BLOB REFERENCES household(id),
  source       TEXT,
  problem      TEXT,
  deadline     TEXT,
  status       TEXT,
  responsible  TEXT,
  evidence     TEXT,
  closed_on    TEXT,
  deleted      INTEGER NOT NULL DEFAULT 0,
  _clock       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX rectification_village ON rectification(village_id, status, deadline);

-- Conflicts are written by the server and arrive by pull; the device writes only their resolution.
CREATE TABLE conflict (
  id          BLOB PRIMARY KEY,
  village_id  BLOB,
  entity      TEXT,
  row_id      BLOB,
  field       TEXT,
  candidates  TEXT,
  winner      BLOB,
  opened_at   TEXT,
  status      TEXT,
  resolution  TEXT,
  resolved_by TEXT,
  resolved_at TEXT,
  deleted     INTEGER NOT NULL DEFAULT 0,
  _clock      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX conflict_status ON conflict(status, row_id);

-- This device's own writes, one row per changed field, in the order made: the sync outbox and the
-- audit trail. Never rewritten except for `batch`, `state` and `result` as sync progresses.
CREATE TABLE change_log (
  seq    INTEGER PRIMARY KEY,
  id     BLOB NOT NULL,
  entity TEXT NOT NULL,
  row_id BLOB NOT NULL,
  field  TEXT NOT NULL,
  value  TEXT NOT NULL,           -- JSON
  prev   TEXT,                    -- JSON of the value it replaced (NULL: none)
  hlc    INTEGER NOT NULL,
  base   TEXT,                    -- JSON Version or NULL
  seen   TEXT,                    -- JSON, deletes only
  state  INTEGER NOT NULL DEFAULT 0,  -- 0 unsent or unacknowledged, 1 acknowledged, 2 quarantined, 3 discarded
  result TEXT                     -- the server's status, or why it refused the change
);
