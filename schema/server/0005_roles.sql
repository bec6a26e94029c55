-- Server schema, version 5: users with roles, devices with a role and an expiry, two kinds of revocation.

-- People who sign in to enrol a device. Passwords are stored as argon2id PHC strings only.
CREATE TABLE app_user (
  id            BLOB PRIMARY KEY,
  login         TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL,
  role          TEXT NOT NULL,       -- work_team | first_secretary | township | inspector | county | admin
  scope         TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  disabled_at   TEXT
);

-- Devices enrolled before roles existed were village work-team tablets or office machines; their scope
-- level says which.
ALTER TABLE device ADD COLUMN role TEXT NOT NULL DEFAULT 'work_team';
UPDATE device SET role = CASE
  WHEN scope LIKE 'village:%' THEN 'work_team'
  WHEN scope LIKE 'township:%' THEN 'township'
  ELSE 'county' END;
ALTER TABLE device ADD COLUMN user_id BLOB;
-- NULL: a device enrolled before tokens expired; it keeps working until revoked.
ALTER TABLE device ADD COLUMN expires_at TEXT;
-- 'handover': may still push and upload what it holds, then wipes; 'lost': refused outright, wipes.
ALTER TABLE device ADD COLUMN revoke_mode TEXT;
ALTER TABLE device ADD COLUMN handed_in_at TEXT;

ALTER TABLE enrol_code ADD COLUMN role TEXT NOT NULL DEFAULT 'work_team';
UPDATE enrol_code SET role = CASE
  WHEN scope LIKE 'village:%' THEN 'work_team'
  WHEN scope LIKE 'township:%' THEN 'township'
  ELSE 'county' END;
ALTER TABLE enrol_code ADD COLUMN token_days INTEGER NOT NULL DEFAULT 180;
