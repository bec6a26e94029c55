-- Device database, version 5: each household's latest visit, latest income calculation and member count,
-- kept by triggers in the same transaction as the write or pull that changes them, so that the office
-- reports read one row per household instead of scanning every visit and handbook entry.
CREATE TABLE household_digest (
  household_id      BLOB PRIMARY KEY,
  visit_id          BLOB,
  visited_on        TEXT,
  basic_needs       TEXT,
  actual_population INTEGER,
  calc_id           BLOB,
  calc_key          INTEGER,   -- year * 10^8 + entry date (YYYYMMDD): the latest calculation is the largest
  income_calc       TEXT,
  members           INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- A new visit becomes the latest if it is newer (by date, then id) than the one held.
CREATE TRIGGER visit_digest_insert AFTER INSERT ON visit
WHEN NEW.deleted = 0 AND NEW.visited_on IS NOT NULL AND NEW.household_id IS NOT NULL
BEGIN
  INSERT INTO household_digest(household_id, visit_id, visited_on, basic_needs, actual_population)
  VALUES (NEW.household_id, NEW.id, NEW.visited_on, NEW.basic_needs, NEW.actual_population)
  ON CONFLICT(household_id) DO UPDATE SET
    visit_id = excluded.visit_id, visited_on = excluded.visited_on,
    basic_needs = excluded.basic_needs, actual_population = excluded.actual_population
  WHERE household_digest.visited_on IS NULL OR excluded.visited_on > household_digest.visited_on
     OR (excluded.visited_on = household_digest.visited_on AND excluded.visit_id > household_digest.visit_id);
END;

-- An edited, deleted or restored visit: the household's latest is found again.
CREATE TRIGGER visit_digest_update AFTER UPDATE ON visit WHEN NEW.household_id IS NOT NULL
BEGIN
  INSERT INTO household_digest(household_id) VALUES (NEW.household_id) ON CONFLICT(household_id) DO NOTHING;
  UPDATE household_digest SET (visit_id, visited_on, basic_needs, actual_population) =
    (SELECT id, visited_on, basic_needs, actual_population FROM visit
     WHERE household_id = NEW.household_id AND deleted = 0 AND visited_on IS NOT NULL
     ORDER BY visited_on DESC, id DESC LIMIT 1)
  WHERE household_id = NEW.household_id;
END;

CREATE TRIGGER calc_digest_insert AFTER INSERT ON handbook_entry
WHEN NEW.deleted = 0 AND NEW.income_calc IS NOT NULL AND NEW.household_id IS NOT NULL
BEGIN
  INSERT INTO household_digest(household_id, calc_id, calc_key, income_calc)
  VALUES (NEW.household_id, NEW.id,
          json_extract(NEW.income_calc, '$.year') * 100000000 + CAST(replace(NEW.entry_date, '-', '') AS INTEGER),
          NEW.income_calc)
  ON CONFLICT(household_id) DO UPDATE SET
    calc_id = excluded.calc_id, calc_key = excluded.calc_key, income_calc = excluded.income_calc
  WHERE household_digest.calc_key IS NULL OR excluded.calc_key > household_digest.calc_key
     OR (excluded.calc_key = household_digest.calc_key AND excluded.calc_id > household_digest.calc_id);
END;

CREATE TRIGGER calc_digest_update AFTER UPDATE ON handbook_entry WHEN NEW.household_id IS NOT NULL
BEGIN
  INSERT INTO household_digest(household_id) VALUES (NEW.household_id) ON CONFLICT(household_id) DO NOTHING;
  UPDATE household_digest SET (calc_id, calc_key, income_calc) =
    (SELECT id, json_extract(income_calc, '$.year') * 100000000 + CAST(replace(entry_date, '-', '') AS INTEGER) AS k,
            income_calc
     FROM handbook_entry
     WHERE household_id = NEW.household_id AND deleted = 0 AND income_calc IS NOT NULL
     ORDER BY k DESC, id DESC LIMIT 1)
  WHERE household_id = NEW.household_id;
END;

CREATE TRIGGER member_digest_insert AFTER INSERT ON member
WHEN NEW.deleted = 0 AND NEW.household_id IS NOT NULL
BEGIN
  INSERT INTO household_digest(household_id, members) VALUES (NEW.household_id, 1)
  ON CONFLICT(household_id) DO UPDATE SET members = members + 1;
END;

CREATE TRIGGER member_digest_update AFTER UPDATE OF deleted, household_id ON member
WHEN NEW.household_id IS NOT NULL
BEGIN
  INSERT INTO household_digest(household_id) VALUES (NEW.household_id) ON CONFLICT(household_id) DO NOTHING;
  UPDATE household_digest SET members =
    (SELECT count(*) FROM member WHERE household_id = NEW.household_id AND deleted = 0)
  WHERE household_id = NEW.household_id;
END;

-- What is already there.
INSERT INTO household_digest(household_id, members)
  SELECT household_id, count(*) FROM member WHERE deleted = 0 AND household_id IS NOT NULL GROUP BY household_id;
INSERT INTO household_digest(household_id)
  SELECT DISTINCT household_id FROM visit WHERE household_id IS NOT NULL
  UNION SELECT DISTINCT household_id FROM handbook_entry WHERE household_id IS NOT NULL
  ON CONFLICT(household_id) DO NOTHING;
UPDATE household_digest SET (visit_id, visited_on, basic_needs, actual_population) =
  (SELECT id, visited_on, basic_needs, actual_population FROM visit
   WHERE household_id = household_digest.household_id AND deleted = 0 AND visited_on IS NOT NULL
   ORDER BY visited_on DESC, id DESC LIMIT 1);
UPDATE household_digest SET (calc_id, calc_key, income_calc) =
  (SELECT id, json_extract(income_calc, '$.year') * 100000000 + CAST(replace(entry_date, '-', '') AS INTEGER) AS k,
          income_calc
   FROM handbook_entry
   WHERE household_id = household_digest.household_id AND deleted = 0 AND income_calc IS NOT NULL
   ORDER BY k DESC, id DESC LIMIT 1);
