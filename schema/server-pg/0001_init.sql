-- Server database (PostgreSQL backend), version 1: the same tables as the SQLite backend's
-- schema/server/0001–0007, in PostgreSQL's own types (uuid, bytea, boolean, bigint).

CREATE TABLE server_meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);

-- Enrolled devices. Tokens are stored as SHA-256 only.
CREATE TABLE device (
  id           uuid PRIMARY KEY,
  name         text NOT NULL,
  token_hash   bytea NOT NULL UNIQUE,
  scope        text NOT NULL,          -- village:<uuid> | township:<9 digits> | county:<6 digits>
  role         text NOT NULL DEFAULT 'work_team',
  user_id      uuid,
  created_at   text NOT NULL,
  expires_at   text,
  revoked_at   text,
  revoke_mode  text,                   -- handover | lost
  handed_in_at text,
  last_batch   bigint NOT NULL DEFAULT 0,
  last_seen_at text,
  chain_head   bytea
);

-- One-time enrolment codes handed out by the township office. Stored hashed.
CREATE TABLE enrol_code (
  code_hash   bytea PRIMARY KEY,
  device_name text NOT NULL,
  scope       text NOT NULL,
  role        text NOT NULL DEFAULT 'work_team',
  token_days  integer NOT NULL DEFAULT 180,
  created_at  text NOT NULL,
  expires_at  text NOT NULL,
  used_by     uuid,
  used_at     text
);

-- People who sign in to enrol a device. Passwords are stored as argon2id PHC strings only.
CREATE TABLE app_user (
  id            uuid PRIMARY KEY,
  login         text NOT NULL UNIQUE,
  name          text NOT NULL,
  role          text NOT NULL,
  scope         text NOT NULL,
  password_hash text NOT NULL,
  created_at    text NOT NULL,
  disabled_at   text
);

-- Division code of every village, for township and county scopes.
CREATE TABLE village_scope (
  village_id uuid PRIMARY KEY,
  code       text NOT NULL
);
CREATE INDEX village_scope_code ON village_scope(code text_pattern_ops);

-- The village each record belongs to, fixed when the record is created.
CREATE TABLE row_scope (
  row_id     uuid PRIMARY KEY,
  entity     text NOT NULL,
  village_id uuid NOT NULL
);
CREATE INDEX row_scope_village ON row_scope(village_id, entity);

-- Every accepted change, in the order the server accepted it (seq, gap-free: assigned under one
-- transaction-scoped lock, see crates/server/src/pg). `applied`: it became the field's value
-- when it arrived; `live`: it is still the field's current value (only live entries are pulled).
-- `value` is the JSON text as validated, served as it is.
CREATE TABLE change_log (
  seq         bigint PRIMARY KEY,
  id          uuid NOT NULL UNIQUE,
  entity      text NOT NULL,
  row_id      uuid NOT NULL,
  field       text NOT NULL,
  value       text NOT NULL,
  hlc         bigint NOT NULL,
  device      uuid NOT NULL,
  base        text,
  seen        text,
  village_id  uuid NOT NULL,
  applied     boolean NOT NULL,
  live        boolean NOT NULL,
  received_at bigint NOT NULL,
  chain       bytea
);
CREATE UNIQUE INDEX change_log_current ON change_log(row_id, field) WHERE live;
CREATE INDEX change_log_scope ON change_log(village_id, seq) WHERE live;

-- The one open conflict of a field, if any.
CREATE TABLE open_conflict (
  row_id      uuid NOT NULL,
  field       text NOT NULL,
  conflict_id uuid NOT NULL,
  PRIMARY KEY (row_id, field)
);

-- Changes the server refused, kept as received: part of the device's history and the audit trail.
CREATE TABLE rejected_change (
  id          uuid PRIMARY KEY,
  device      uuid NOT NULL,
  hlc         bigint NOT NULL,
  change      text NOT NULL,
  reason      text NOT NULL,
  received_at bigint NOT NULL
);
CREATE INDEX rejected_change_device ON rejected_change(device, hlc);

-- Which records name a photo file: a device may upload or fetch a file only when a record of a kind
-- its role reads, in its scope, names it.
CREATE TABLE blob_ref (
  hash       text NOT NULL,
  village_id uuid NOT NULL,
  entity     text NOT NULL DEFAULT 'photo',
  PRIMARY KEY (hash, village_id)
);

-- The county office's public key, one per county: inspectors' devices seal 暗访 findings to it.
CREATE TABLE sealing_key (
  county  text PRIMARY KEY,
  key     text NOT NULL,
  set_by  uuid NOT NULL,
  set_at  text NOT NULL
);
