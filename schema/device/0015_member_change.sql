-- Device database, version 15: members join and leave by a procedure, never a delete. Each change is one
-- record, never edited; the member names the one that last moved it and, once it left, the date. The
-- member count of the household digest counts members still in the household.
CREATE TABLE member_change (
  id           BLOB PRIMARY KEY,
  household_id BLOB REFERENCES household(id),
  member_id    BLOB REFERENCES member(id),
  changed_on   TEXT,
  actor        TEXT,
  evidence     TEXT,
  kind         TEXT,
  recorded_at  TEXT,
  deleted      INTEGER NOT NULL DEFAULT 0,
  _clock       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX member_change_household ON member_change(household_id, changed_on);
ALTER TABLE member ADD COLUMN member_change BLOB;
ALTER TABLE member ADD COLUMN left_on TEXT;

DROP TRIGGER member_digest_insert;
DROP TRIGGER member_digest_update;
CREATE TRIGGER member_digest_insert AFTER INSERT ON member
WHEN NEW.deleted = 0 AND NEW.household_id IS NOT NULL AND NEW.left_on IS NULL
BEGIN
  INSERT INTO household_digest(household_id, members) VALUES (NEW.household_id, 1)
  ON CONFLICT(household_id) DO UPDATE SET members = members + 1;
END;
CREATE TRIGGER member_digest_update AFTER UPDATE OF deleted, household_id, left_on ON member
WHEN NEW.household_id IS NOT NULL
BEGIN
  INSERT INTO household_digest(household_id) VALUES (NEW.household_id) ON CONFLICT(household_id) DO NOTHING;
  UPDATE household_digest SET members =
    (SELECT count(*) FROM member WHERE household_id = NEW.household_id AND deleted = 0 AND left_on IS NULL)
  WHERE household_id = NEW.household_id;
END;
