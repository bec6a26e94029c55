-- Server schema, version 8: what a hostile or broken device must not get around.

-- The kind of record whose readers may read a log entry, where it is not the entry's own kind: a
-- conflict is readable only by those who may read the record it is about (a conflict over a 暗访
-- inspection reaches the county office only). NULL: the entry's own kind.
ALTER TABLE change_log ADD COLUMN about TEXT;
UPDATE change_log SET about = (
  SELECT json_extract(s.value, '$') FROM change_log s
  WHERE s.row_id = change_log.row_id AND s.field = 'entity' AND s.live = 1
) WHERE entity = 'conflict';

-- The latest clock reading along each device's history chain: later changes must be dated after it.
ALTER TABLE device ADD COLUMN chain_hlc INTEGER NOT NULL DEFAULT 0;

-- Who may read a file: the log entry by which a record first named it (only the first naming counts:
-- naming a hash seen elsewhere gives nothing; files named before this version count as first), and
-- whether a device of the naming record's village has shown it holds the bytes by uploading them.
ALTER TABLE blob_ref ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE blob_ref ADD COLUMN proven INTEGER NOT NULL DEFAULT 0;

-- Wrong enrolment codes and passwords, counted per client address and per account within a window, so
-- that guessing stays slow across restarts and replicas.
CREATE TABLE guard (
  key      TEXT PRIMARY KEY,     -- addr:<client address> | login:<login>
  since    INTEGER NOT NULL,     -- start of the window (Unix ms)
  failures INTEGER NOT NULL
) WITHOUT ROWID;

-- Users and enrolment codes stored with a malformed scope before scopes were checked on the way in
-- (e.g. county:522630abc, township:522630): the users are disabled and the codes expired, so neither
-- can be used, and listing users reads every row.
UPDATE app_user SET disabled_at = coalesce(disabled_at, '1970-01-01T00:00:00+00:00'), scope = 'county:000000'
WHERE NOT (scope GLOB 'county:[0-9][0-9][0-9][0-9][0-9][0-9]'
  OR scope GLOB 'township:[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'
  OR scope GLOB 'village:[0-9a-f]*-*-*-*-*');
UPDATE enrol_code SET expires_at = '1970-01-01T00:00:00+00:00'
WHERE NOT (scope GLOB 'county:[0-9][0-9][0-9][0-9][0-9][0-9]'
  OR scope GLOB 'township:[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'
  OR scope GLOB 'village:[0-9a-f]*-*-*-*-*');
