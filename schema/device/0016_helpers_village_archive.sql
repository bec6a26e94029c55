-- Device database, version 16: the 帮扶责任人 register and the village's own archive (村级档案).
-- A household names its helper from the register and a visit the helper made names them, so visit
-- frequency is counted per person; a village document is photographed page by page like 一户一档.
CREATE TABLE helper (
  id         BLOB PRIMARY KEY,
  village_id BLOB REFERENCES village(id),
  name       TEXT,
  phone      TEXT,
  unit       TEXT,
  post       TEXT,
  deleted    INTEGER NOT NULL DEFAULT 0,
  _clock     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX helper_village ON helper(village_id, name);
ALTER TABLE household ADD COLUMN helper_id BLOB;
ALTER TABLE visit ADD COLUMN helper_id BLOB;
CREATE INDEX household_helper ON household(helper_id);
CREATE INDEX visit_helper ON visit(helper_id, visited_on);

CREATE TABLE village_document (
  id          BLOB PRIMARY KEY,
  village_id  BLOB REFERENCES village(id),
  kind        TEXT,
  year        INTEGER,
  title       TEXT,
  note        TEXT,
  recorded_by TEXT,
  deleted     INTEGER NOT NULL DEFAULT 0,
  _clock      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX village_document_village ON village_document(village_id, kind);
