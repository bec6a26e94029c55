-- Device database, version 12: 销号 belongs to whoever issued a rectification item. Each step (the
-- village's proposal, the issuer's confirmation or sending back, the county's re-check) is one record,
-- never edited, and the item names the one that last changed its status.
CREATE TABLE rectification_review (
  id               BLOB PRIMARY KEY,
  village_id       BLOB REFERENCES village(id),
  rectification_id BLOB REFERENCES rectification(id),
  decided_on       TEXT,
  actor            TEXT,
  note             TEXT,
  action           TEXT,
  recorded_at      TEXT,
  deleted          INTEGER NOT NULL DEFAULT 0,
  _clock           TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX rectification_review_item ON rectification_review(rectification_id, decided_on);
ALTER TABLE rectification ADD COLUMN review BLOB;
