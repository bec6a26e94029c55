-- Device database, version 4: decisions of the exit procedure (脱贫退出程序), one record per decision.
CREATE TABLE exit_decision (
  id                    BLOB PRIMARY KEY,
  household_id          BLOB REFERENCES household(id),
  step                  TEXT,
  outcome               TEXT,
  decided_on            TEXT,
  actor                 TEXT,
  evidence              TEXT,
  reason                TEXT,
  publicity_start       TEXT,
  publicity_end         TEXT,
  income_per_capita_fen INTEGER,
  poverty_line_fen      INTEGER,
  recorded_at           TEXT,
  deleted               INTEGER NOT NULL DEFAULT 0,
  _clock                TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX exit_decision_household ON exit_decision(household_id, decided_on);
