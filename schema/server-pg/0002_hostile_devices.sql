-- Server schema (PostgreSQL), version 2: the same as the SQLite backend's schema/server/0008.

-- The kind of record whose readers may read a log entry, where it is not the entry's own kind (a
-- conflict: the kind of the record it is about). NULL: the entry's own kind.
ALTER TABLE change_log ADD COLUMN about text;
UPDATE change_log c SET about = (
  SELECT s.value::json #>> '{}' FROM change_log s WHERE s.row_id = c.row_id AND s.field = 'entity' AND s.live
) WHERE c.entity = 'conflict';

-- The latest clock reading along each device's history chain: later changes must be dated after it.
ALTER TABLE device ADD COLUMN chain_hlc bigint NOT NULL DEFAULT 0;

-- Who may read a file: the log entry by which a record first named it (only the first naming counts:
-- naming a hash seen elsewhere gives nothing; files named before this version count as first), and
-- whether a device of the naming record's village has shown it holds the bytes by uploading them.
ALTER TABLE blob_ref ADD COLUMN seq bigint NOT NULL DEFAULT 0;
ALTER TABLE blob_ref ADD COLUMN proven boolean NOT NULL DEFAULT false;

-- Wrong enrolment codes and passwords, counted per client address and per account within a window.
CREATE TABLE guard (
  key      text PRIMARY KEY,
  since    bigint NOT NULL,
  failures integer NOT NULL
);

-- Users and enrolment codes stored with a malformed scope before scopes were checked on the way in:
-- the users are disabled and the codes expired.
UPDATE app_user SET disabled_at = coalesce(disabled_at, '1970-01-01T00:00:00+00:00'), scope = 'county:000000'
WHERE scope !~ '^(county:[0-9]{6}|township:[0-9]{9}|village:[0-9a-f-]{36})$';
UPDATE enrol_code SET expires_at = '1970-01-01T00:00:00+00:00'
WHERE scope !~ '^(county:[0-9]{6}|township:[0-9]{9}|village:[0-9a-f-]{36})$';
