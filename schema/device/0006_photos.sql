-- Device database, version 6: 一户一档 documents, photos, and the photo bytes this device holds.
CREATE TABLE archive_document (
  id           BLOB PRIMARY KEY,
  household_id BLOB REFERENCES household(id),
  kind         TEXT,
  title        TEXT,
  note         TEXT,
  recorded_by  TEXT,
  deleted      INTEGER NOT NULL DEFAULT 0,
  _clock       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX archive_document_household ON archive_document(household_id, kind);

CREATE TABLE photo (
  id           BLOB PRIMARY KEY,
  village_id   BLOB REFERENCES village(id),
  household_id BLOB REFERENCES household(id),
  owner_kind   TEXT,
  owner_id     BLOB,
  hash         TEXT,
  thumb_hash   TEXT,
  width        INTEGER,
  height       INTEGER,
  bytes        INTEGER,
  page         INTEGER,
  taken_at     TEXT,
  lat          REAL,
  lon          REAL,
  added_by     TEXT,
  caption      TEXT,
  deleted      INTEGER NOT NULL DEFAULT 0,
  _clock       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX photo_owner ON photo(owner_id, page);
CREATE INDEX photo_household ON photo(household_id);
CREATE INDEX photo_hash ON photo(hash);
CREATE INDEX photo_thumb_hash ON photo(thumb_hash);

-- Photo files this device holds (named by SHA-256 in the photo directory beside the database).
-- `uploaded_at` stays NULL until the server has confirmed the whole file under its hash; files made
-- here start NULL, files fetched from the server are on the server already.
CREATE TABLE blob (
  hash        TEXT PRIMARY KEY,
  bytes       INTEGER NOT NULL,
  created_at  TEXT NOT NULL,
  uploaded_at TEXT
);
CREATE INDEX blob_pending ON blob(hash) WHERE uploaded_at IS NULL;
