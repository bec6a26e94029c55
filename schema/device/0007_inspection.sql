-- Device database, version 7: 暗访 inspections. Only inspector and county-office devices hold any:
-- the coverage metadata in clear, the findings sealed to the county office's key.
CREATE TABLE inspection (
  id           BLOB PRIMARY KEY,
  household_id BLOB REFERENCES household(id),
  inspected_on TEXT,
  inspector    TEXT,
  sealed       TEXT,
  deleted      INTEGER NOT NULL DEFAULT 0,
  _clock       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX inspection_household ON inspection(household_id);
