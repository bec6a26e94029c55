-- Device database, version 10: 户状态 changes only through a procedure. Each change is one record,
-- never edited (脱贫退出, 返贫, 县级纠错), and the household names the one that last changed its status.
CREATE TABLE status_change (
  id            BLOB PRIMARY KEY,
  household_id  BLOB REFERENCES household(id),
  procedure     TEXT,
  from_status   TEXT,
  to_status     TEXT,
  decided_on    TEXT,
  actor         TEXT,
  reason        TEXT,
  evidence      TEXT,
  exit_decision BLOB REFERENCES exit_decision(id),
  recorded_at   TEXT,
  deleted       INTEGER NOT NULL DEFAULT 0,
  _clock        TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX status_change_household ON status_change(household_id, decided_on);
ALTER TABLE household ADD COLUMN status_change BLOB;
