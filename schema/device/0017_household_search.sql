-- Device database, version 17: a visit's household index covers what the reports read of a visit, and
-- the household list gets its own narrow table, one row per household with what
-- the list filters on and the text its search matches, kept by triggers in the same transaction as the
-- write or pull that changes a household or a member.
--
-- Why not scan the records: a county device holds 30,000 households and 100,000 members in wide rows
-- (every field and its versions); scanning both for a name took 40–80 ms. This table holds about 150
-- bytes a household, so one scan of it answers any substring — a 2-character name (秀英), a 户编号
-- prefix, the end of a 身份证号 (0X) — which an n-gram index (FTS5's trigram needs 3 characters) does not.
--
-- `head` and `members` hold the searched values, each followed by char(31) (a character no one types,
-- so a query never matches across two values), upper-cased as SQLite's upper() does (ASCII only: the
-- x of a 身份证号); the query is upper-cased the same way. A member pulled before its household makes a
-- row marked deleted until the household arrives. Records are never deleted on a device (only marked),
-- except by a wipe, which empties this table with the others.
CREATE TABLE household_search (
  household_id BLOB PRIMARY KEY,
  village_id   BLOB,
  household_no TEXT,
  status       TEXT,
  deleted      INTEGER NOT NULL DEFAULT 1,
  head         TEXT NOT NULL DEFAULT '',
  members      TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

CREATE TRIGGER household_search_insert AFTER INSERT ON household
BEGIN
  INSERT INTO household_search(household_id, village_id, household_no, status, deleted, head)
  VALUES (NEW.id, NEW.village_id, NEW.household_no, NEW.status, NEW.deleted,
          upper(coalesce(NEW.household_no, '') || char(31) || coalesce(NEW.head_name, '') || char(31)
                || coalesce(NEW.head_id_number, '') || char(31)))
  ON CONFLICT(household_id) DO UPDATE SET
    village_id = excluded.village_id, household_no = excluded.household_no, status = excluded.status,
    deleted = excluded.deleted, head = excluded.head;
END;

CREATE TRIGGER household_search_update
AFTER UPDATE OF village_id, household_no, head_name, head_id_number, status, deleted ON household
BEGIN
  UPDATE household_search SET
    village_id = NEW.village_id, household_no = NEW.household_no, status = NEW.status, deleted = NEW.deleted,
    head = upper(coalesce(NEW.household_no, '') || char(31) || coalesce(NEW.head_name, '') || char(31)
                 || coalesce(NEW.head_id_number, '') || char(31))
  WHERE household_id = NEW.id;
END;

-- A new member is appended to its household's text (a pull inserts members by the hundred thousand).
CREATE TRIGGER member_search_insert AFTER INSERT ON member
WHEN NEW.deleted = 0 AND NEW.household_id IS NOT NULL
BEGIN
  INSERT INTO household_search(household_id, members)
  VALUES (NEW.household_id,
          upper(coalesce(NEW.name, '') || char(31) || coalesce(NEW.id_number, '') || char(31)))
  ON CONFLICT(household_id) DO UPDATE SET members = members || excluded.members;
END;

-- An edited, moved, deleted or restored member: the text of the households concerned is made again.
CREATE TRIGGER member_search_update AFTER UPDATE OF name, id_number, deleted, household_id ON member
BEGIN
  INSERT INTO household_search(household_id) SELECT NEW.household_id WHERE NEW.household_id IS NOT NULL
  ON CONFLICT(household_id) DO NOTHING;
  UPDATE household_search SET members =
    (SELECT coalesce(group_concat(upper(coalesce(m.name, '') || char(31) || coalesce(m.id_number, '') || char(31)), ''), '')
     FROM member m WHERE m.household_id = household_search.household_id AND m.deleted = 0)
  WHERE household_id IN (NEW.household_id, OLD.household_id);
END;

-- What a database of an earlier version already holds.
INSERT INTO household_search(household_id, village_id, household_no, status, deleted, head, members)
SELECT h.id, h.village_id, h.household_no, h.status, h.deleted,
       upper(coalesce(h.household_no, '') || char(31) || coalesce(h.head_name, '') || char(31)
             || coalesce(h.head_id_number, '') || char(31)),
       (SELECT coalesce(group_concat(upper(coalesce(m.name, '') || char(31) || coalesce(m.id_number, '') || char(31)), ''), '')
        FROM member m WHERE m.household_id = h.id AND m.deleted = 0)
FROM household h;
INSERT INTO household_search(household_id, members)
SELECT m.household_id,
       group_concat(upper(coalesce(m.name, '') || char(31) || coalesce(m.id_number, '') || char(31)), '')
FROM member m
WHERE m.deleted = 0 AND m.household_id IS NOT NULL AND m.household_id NOT IN (SELECT id FROM household)
GROUP BY m.household_id;

-- The assessment and the helpers' report read every visit's household, date, kind, satisfaction and
-- helper: from this index alone, not from the visits' wide rows.
DROP INDEX visit_household;
CREATE INDEX visit_household ON visit(household_id, visited_on, deleted, kind, satisfaction, helper_id);
